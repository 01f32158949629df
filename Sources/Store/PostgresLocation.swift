// Where a PostgreSQL database is, from the URL an operator writes (libpq's forms):
//
//   postgres://user@host:5432/database              TCP (port 5432 when none is given)
//   postgres://user@/database?host=/run/postgresql  a Unix socket in that directory
//   postgresql://...                                the same
//
// The password never comes from the command line (where `ps` shows it to everyone): a URL
// with one is refused, and the password is read from a file (`--store-password-file`) or the
// PGPASSWORD environment variable, or none is used (trust or peer authentication on a socket).

import Foundation

public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    public enum Endpoint: Sendable, Equatable {
        case tcp(host: String, port: Int)
        /// The socket file itself: `<directory>/.s.PGSQL.<port>`.
        case unixSocket(path: String)
    }

    public var endpoint: Endpoint
    public var user: String
    public var database: String
    public var password: String?

    public init(endpoint: Endpoint, user: String, database: String, password: String? = nil) {
        self.endpoint = endpoint
        self.user = user
        self.database = database
        self.password = password
    }

    /// The URL without the password, for the log and the operator.
    public var description: String {
        switch endpoint {
        case .tcp(let host, let port): return "postgres://\(user)@\(host):\(port)/\(database)"
        case .unixSocket(let path):
            let directory = (path as NSString).deletingLastPathComponent
            return "postgres://\(user)@/\(database)?host=\(directory)"
        }
    }

    /// Whether a `--store` value names PostgreSQL (else it is an SQLite file's path).
    public static func isURL(_ text: String) -> Bool { text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") }

    /// Parses a URL; the error says what is wrong and what to write instead.
    public static func parse(_ text: String) throws(StoreError) -> PostgresLocation {
        let example = "write it as postgres://user@host:5432/database, or postgres://user@/database?host=/socket/directory"
        guard isURL(text), let url = URLComponents(string: text) else { throw StoreError("'\(text)' is not a PostgreSQL URL: \(example)") }
        if url.password != nil {
            throw StoreError("the PostgreSQL URL carries a password, which would show in the process list: remove it, and put the password in a file named by --store-password-file (or in PGPASSWORD)")
        }
        guard let user = url.user, !user.isEmpty else { throw StoreError("the PostgreSQL URL names no user: \(example)") }
        let database = String(url.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else { throw StoreError("the PostgreSQL URL names no database (the path after the host): \(example)") }
        let query = Dictionary((url.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { _, last in last })
        if let unknown = query.keys.sorted().first(where: { $0 != "host" && $0 != "port" }) {
            throw StoreError("the PostgreSQL URL has the parameter '\(unknown)', which seoulworld does not read (it reads host and port)")
        }
        let portText = query["port"] ?? url.port.map(String.init) ?? "5432"
        guard let port = Int(portText), (1...65_535).contains(port) else { throw StoreError("the PostgreSQL URL's port '\(portText)' is not a port number") }
        if let directory = query["host"], directory.hasPrefix("/") {
            return PostgresLocation(endpoint: .unixSocket(path: "\(directory)/.s.PGSQL.\(port)"), user: user, database: database)
        }
        guard let host = query["host"] ?? url.host, !host.isEmpty else {
            throw StoreError("the PostgreSQL URL names no host: \(example)")
        }
        return PostgresLocation(endpoint: .tcp(host: host, port: port), user: user, database: database)
    }

    /// The password from a file (its first line), or from PGPASSWORD, or none.
    public static func password(file: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws(StoreError) -> String? {
        if let file {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw StoreError("cannot read the PostgreSQL password file \(file): check the path and that this user may read it")
            }
            let line = text.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
            guard !line.isEmpty else { throw StoreError("the PostgreSQL password file \(file) is empty") }
            return line
        }
        return environment["PGPASSWORD"]
    }
}
