// Where the writer's transactions go: the embedded SQLite file (`Store`, the default) or a
// PostgreSQL database (`PostgresStore`). The writer thread (Writer.swift) keeps its shape over
// either: the bounded queue, group commit, acknowledgement only after the commit, each write
// again alone when a group fails. A backend is used from one thread at a time (the writer's,
// or the one starting the server before the writer exists).

/// A backend that could not be reached (a lost connection, a server restarting): nothing of
/// the transaction was kept, and the same writes may be tried again once it is back. Any other
/// error is about the writes themselves.
public struct StoreUnavailable: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

public protocol StoreBackend: AnyObject, Sendable {
    /// For the log and the operator: the file's path, or the database's URL without a password.
    var name: String { get }
    /// Applies `writes` in one transaction, in order, and returns their outcomes; throws when
    /// the transaction did not commit (then none of it is kept). `origin` is the server run
    /// that writes (audit rows carry it); nil for an operator's command.
    func transaction(_ writes: [StoreWrite], origin: Int64?) throws -> [StoreOutcome]
    /// Answers a server's read from a snapshot that includes every transaction committed so far.
    func read(_ r: StoreRead) throws -> StoreOutcome
    /// Registers a server's run after closing what crashed runs left open (Records.swift).
    func beginRun(serverVersion: String, nowMillis: Int64) throws -> RunStart
    /// The newest audit row's id (0 for none): the server polls for rows after it.
    func lastAuditID() throws -> Int64
    /// The last migration applied, or nil for an empty database.
    func schemaVersion() throws -> String?
    /// Ends the backend's connections (after the writer stopped).
    func disconnect()
}

extension Store: StoreBackend {
    public var name: String { path }

    public func transaction(_ writes: [StoreWrite], origin: Int64?) throws -> [StoreOutcome] {
        try pool.write { db in try writes.map { try $0.apply(db, origin: origin) } }
    }

    public func read(_ r: StoreRead) throws -> StoreOutcome {
        try pool.read { db in try r.apply(db) }
    }

    public func disconnect() {}
}
