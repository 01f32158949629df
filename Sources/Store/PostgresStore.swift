// The city's records on PostgreSQL (docs/DATA.md, "PostgreSQL"): the same tables as the
// SQLite file (Schema.swift's migrations, translated by `Schema.postgres`), written by the same
// writer thread (Writer.swift), one transaction per batch.
//
// Threads: the connection lives on an event loop thread of its own (NIO), never on the
// server's libuv loop; the writer thread (or the thread starting the server) waits for each
// query's answer there. One user at a time: a lock serialises the callers.
//
// Differences from SQLite, each where it is made:
// - ids come from identity columns (`RETURNING id`), which several writers share without
//   collision; a visit's id is chosen by its server from a block of its own (`beginRun`);
// - `GREATEST` for SQLite's two-argument `max`;
// - plain inserts (bug reports, service events, visits) between two other writes go as one
//   statement of many rows per table: postgres-nio sends one statement at a time, each a round
//   trip;
// - several servers may write at once: there is no single-writer lock, and a run counts as
//   crashed only when its heartbeat is older than `crashedAfterMillis`.
//
// Invariants:
// 1. A database whose migrations this binary does not know is never written (as for SQLite).
// 2. A lost connection is `StoreUnavailable` (the writer keeps the batch and tries again, and
//    the next call reconnects); an error of the writes themselves is a `StoreError`, after a
//    ROLLBACK.

import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO

public final class PostgresStore: StoreBackend, @unchecked Sendable {
    public let location: PostgresLocation
    public var name: String { location.description }
    /// A run whose heartbeat is older than this is taken as crashed by the next server to
    /// start (a live server beats every few seconds).
    public static let crashedAfterMillis: Int64 = 60_000
    /// A visit id is `block << visitBlockBits | n`: each run takes a block from a sequence.
    static let visitBlockBits: Int64 = 32

    let group: MultiThreadedEventLoopGroup
    let logger: Logger
    let lock = NSLock()
    // Guarded by `lock`.
    var connection: PostgresConnection?
    var nextConnectionID = 1

    /// Connects and, for a server, migrates; for a tool, checks that the database is at this
    /// binary's schema. Every failure is a sentence naming what to do.
    public init(location: PostgresLocation, access: Store.Access, logger: Logger = Logger(label: "seoulworld.store.postgres")) throws {
        self.location = location
        self.logger = logger
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            let c = try connected()
            switch access {
            case .server: try migrate(c)
            case .readOnly, .operatorTool: try checkReadable(c)
            }
        } catch {
            disconnect()
            try? group.syncShutdownGracefully()
            throw error
        }
    }

    deinit {
        disconnect()
        try? group.syncShutdownGracefully()
    }

    public func disconnect() {
        lock.lock()
        let c = connection
        connection = nil
        lock.unlock()
        try? c?.close().wait()
    }

    // MARK: Connecting

    /// The open connection, or a new one; `StoreUnavailable` when the server cannot be reached,
    /// `StoreError` when it refuses us (wrong user, password or database).
    func connected() throws -> PostgresConnection {
        lock.lock()
        defer { lock.unlock() }
        if let c = connection, !c.isClosed { return c }
        connection = nil
        var configuration: PostgresConnection.Configuration
        switch location.endpoint {
        case .tcp(let host, let port):
            configuration = .init(host: host, port: port, username: location.user, password: location.password, database: location.database, tls: .disable)
        case .unixSocket(let path):
            configuration = .init(unixSocketPath: path, username: location.user, password: location.password, database: location.database)
        }
        configuration.options.connectTimeout = .seconds(5)
        let id = nextConnectionID
        nextConnectionID += 1
        do {
            let c = try PostgresConnection.connect(on: group.next(), configuration: configuration, id: id, logger: logger).wait()
            connection = c
            return c
        } catch {
            let classified = classify(error, context: "connecting to \(name)")
            guard classified is StoreUnavailable else { throw classified }
            let address: String
            switch location.endpoint {
            case .tcp(let host, let port): address = "nothing answers at \(host):\(port)"
            case .unixSocket(let path): address = "no server has its socket at \(path)"
            }
            throw StoreUnavailable("cannot reach \(name): \(address); is PostgreSQL running there? (\(Self.detail(error)))")
        }
    }

    /// A lost or refused connection is `StoreUnavailable` (try again later); the server's
    /// refusal of who we are, or of a statement, is a `StoreError` with its message.
    func classify(_ error: any Error, context: String) -> any Error {
        if error is StoreError || error is StoreUnavailable { return error }
        if error is ChannelError || error is IOError || error is NIOConnectionError { return StoreUnavailable("\(context): \(error)") }
        guard let p = error as? PSQLError else { return StoreError("\(context): \(error)") }
        if let state = p.serverInfo?[.sqlState] {
            let message = p.serverInfo?[.message] ?? "\(p.code)"
            // 08: connection exceptions; 57: the server shutting down or restarting.
            if state.hasPrefix("08") || state.hasPrefix("57") { return StoreUnavailable("\(context): \(message) (\(state))") }
            switch state {
            case "28P01", "28000": return StoreError("\(context): \(message): check the user in the URL and the password file (\(state))")
            case "3D000": return StoreError("\(context): \(message): create it (createdb), or name an existing database in the URL")
            default: return StoreError("\(context): \(message) (\(state))")
            }
        }
        switch p.code {
        case .serverClosedConnection, .connectionError, .uncleanShutdown, .clientClosedConnection:
            return StoreUnavailable("\(context): \(p.code) \(p.underlying.map { "\($0)" } ?? "")")
        case .authMechanismRequiresPassword:
            return StoreError("\(context): the server asks for a password: give it in a file with --store-password-file (or in PGPASSWORD)")
        default:
            return StoreError("\(context): \(p.code)")
        }
    }

    /// The cause under a connection error, as short as it can be said.
    static func detail(_ error: any Error) -> String {
        if let p = error as? PSQLError, let underlying = p.underlying { return "\(underlying)" }
        return "\(error)"
    }

    /// Runs one statement on `c`, waiting for its rows.
    @discardableResult
    func run(_ c: PostgresConnection, _ query: PostgresQuery) throws -> PostgresQueryResult {
        try c.query(query, logger: logger).wait()
    }

    /// One transaction on the open connection: `body` runs between BEGIN and COMMIT; an error
    /// rolls back. Errors come out classified.
    func inTransaction<T>(_ what: String, begin: PostgresQuery = "BEGIN", _ body: (PostgresConnection) throws -> T) throws -> T {
        let c = try connected()
        do {
            try run(c, begin)
            let value = try body(c)
            try run(c, "COMMIT")
            return value
        } catch {
            let classified = classify(error, context: what)
            if classified is StoreUnavailable || c.isClosed {
                disconnect()
                if classified is StoreUnavailable { throw classified }
                throw StoreUnavailable("\(what): the connection closed: \(error)")
            }
            _ = try? run(c, "ROLLBACK")
            throw classified
        }
    }

    // MARK: Schema

    static let migrationsTable = "seoulworld_migrations"
    /// The advisory lock two servers starting at once take, so that one migrates and the other
    /// waits (an arbitrary constant: "SW" in ASCII).
    static let migrationLock: Int64 = 0x5357

    func applied(_ c: PostgresConnection) throws -> [String] {
        let exists = try run(c, "SELECT to_regclass('seoulworld_migrations') IS NOT NULL").rows.first?.decode(Bool.self) ?? false
        guard exists else { return [] }
        return try run(c, "SELECT identifier FROM seoulworld_migrations ORDER BY identifier").rows.map { try $0.decode(String.self) }
    }

    func migrate(_ c: PostgresConnection) throws {
        try inTransaction("migrating \(name)") { c in
            try run(c, "SELECT pg_advisory_xact_lock(\(Self.migrationLock))")
            try run(c, "CREATE TABLE IF NOT EXISTS seoulworld_migrations (identifier TEXT PRIMARY KEY, applied_at_ms BIGINT NOT NULL)")
            let done = try applied(c)
            try Schema.refuseNewer(applied: done, name: name)
            let now = Int64(Date().timeIntervalSince1970 * 1_000)
            for (id, sql) in Schema.migrations where !done.contains(id) {
                // One statement at a time (a prepared statement holds one); the texts have no
                // semicolon but those that end statements.
                for statement in Schema.postgres(sql).split(separator: ";").map({ $0.trimmingCharacters(in: .whitespacesAndNewlines) }) where !statement.isEmpty {
                    try run(c, PostgresQuery(unsafeSQL: statement))
                }
                try run(c, "INSERT INTO seoulworld_migrations (identifier, applied_at_ms) VALUES (\(id), \(now))")
            }
            try run(c, "CREATE SEQUENCE IF NOT EXISTS visit_id_blocks")
            // Every commit that adds to the audit trail or changes the notice board tells the
            // nodes of a cluster at once (NOTIFY; docs/CLUSTER.md), so that they need not wait for
            // a poll. Not a migration: the body is PostgreSQL's own, replaced at every start.
            try run(c, PostgresQuery(unsafeSQL: """
                CREATE OR REPLACE FUNCTION seoulworld_notify() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN PERFORM pg_notify(TG_ARGV[0], ''); RETURN NULL; END $$
                """))
            for (trigger, table, channel) in [("audit_log_notify", "audit_log", Self.auditChannel), ("notices_notify", "notices", Self.noticesChannel)] {
                try run(c, PostgresQuery(unsafeSQL: """
                    CREATE OR REPLACE TRIGGER \(trigger) AFTER INSERT OR UPDATE ON \(table)
                    FOR EACH STATEMENT EXECUTE FUNCTION seoulworld_notify('\(channel)')
                    """))
            }
        }
    }

    func checkReadable(_ c: PostgresConnection) throws {
        try Schema.refuseUnreadable(applied: try applied(c), name: name, engine: "a PostgreSQL database", ifEmpty: ": start a server on it once")
    }

    public func schemaVersion() throws -> String? {
        let c = try connected()
        do { return try applied(c).last } catch { throw classify(error, context: "reading the schema of \(name)") }
    }

    // MARK: StoreBackend

    public func transaction(_ writes: [StoreWrite], origin: Int64?) throws -> [StoreOutcome] {
        // postgres-nio runs one statement at a time on a connection (a round trip each), so the
        // plain inserts between two other writes (a flood of bug reports, each with its service
        // event) go as one statement of many rows per table. Those rows do not depend on each
        // other (what they refer to, a run or an account, was written before the other writes
        // that bound them), so grouping them by table changes nothing but the round trips.
        try inTransaction("writing to \(name)") { c in
            var out = [StoreOutcome](repeating: .none, count: writes.count)
            var i = 0
            while i < writes.count {
                guard Self.manyRows(writes[i]) != nil else {
                    out[i] = try send(writes[i], c, origin: origin).wait()
                    i += 1
                    continue
                }
                var end = i + 1
                while end < writes.count, end - i < Self.rowsPerStatementMax, Self.manyRows(writes[end]) != nil { end += 1 }
                var byTable: [String: [Int]] = [:]
                for k in i..<end { byTable[Self.manyRows(writes[k])!, default: []].append(k) }
                for table in byTable.keys.sorted() {
                    let indices = byTable[table]!
                    if indices.count == 1 {
                        out[indices[0]] = try send(writes[indices[0]], c, origin: origin).wait()
                    } else {
                        for (k, outcome) in zip(indices, try insertMany(indices.map { writes[$0] }[...], c)) { out[k] = outcome }
                    }
                }
                i = end
            }
            return out
        }
    }

    public func beginRun(serverVersion: String, nowMillis: Int64) throws -> RunStart {
        try inTransaction("starting a run in \(name)") { c in
            let (crashed, visitsClosed) = try closeCrashedRuns(c, nowMillis: nowMillis)
            let runID = try run(c, """
                INSERT INTO server_runs (server_version, started_at_ms, heartbeat_at_ms) VALUES (\(serverVersion), \(nowMillis), \(nowMillis)) RETURNING id
                """).rows.first!.decode(Int64.self)
            let block = try run(c, "SELECT nextval('visit_id_blocks')").rows.first!.decode(Int64.self)
            return RunStart(runID: runID, nextVisitID: block << Self.visitBlockBits | 1, crashedRuns: crashed, visitsClosedAfterCrash: visitsClosed)
        }
    }

    /// Closes the runs that stopped beating more than `crashedAfterMillis` before `nowMillis`
    /// (their servers crashed or were killed) and their open visits, as at a start: a node of a
    /// cluster calls this now and then, so that a failed node's visits end as `crash` without
    /// waiting for a server to start. How many runs and visits it closed.
    public func closeCrashedRuns(nowMillis: Int64) throws -> (runs: Int, visits: Int) {
        try inTransaction("closing crashed runs in \(name)") { c in try closeCrashedRuns(c, nowMillis: nowMillis) }
    }

    private func closeCrashedRuns(_ c: PostgresConnection, nowMillis: Int64) throws -> (runs: Int, visits: Int) {
        // Runs that stopped beating long ago crashed; runs beating now are other servers'.
        let stale = nowMillis - Self.crashedAfterMillis
        let crashed = try run(c, "SELECT id, heartbeat_at_ms FROM server_runs WHERE stopped_at_ms IS NULL AND heartbeat_at_ms < \(stale) FOR UPDATE")
            .rows.map { try $0.decode((Int64, Int64).self) }
        var visitsClosed = 0
        for (run, heartbeat) in crashed {
            let closed = try self.run(c, """
                UPDATE visits SET left_at_ms = GREATEST(entered_at_ms, \(heartbeat)), end_reason = 'crash' WHERE run_id = \(run) AND left_at_ms IS NULL
                """)
            visitsClosed += closed.metadata.rows ?? 0
            try self.run(c, "UPDATE server_runs SET stopped_at_ms = heartbeat_at_ms, stop_reason = 'crash' WHERE id = \(run)")
        }
        return (crashed.count, visitsClosed)
    }

    public func lastAuditID() throws -> Int64 {
        try inTransaction("reading the audit trail of \(name)") { c in
            try run(c, "SELECT coalesce(max(id), 0) FROM audit_log").rows.first!.decode(Int64.self)
        }
    }

    // MARK: Reads for tools and tests

    /// An account's standing now (as a server reads it before a welcome).
    public func standing(of account: String, nowMillis: Int64) throws -> AccountStanding {
        try inTransaction("reading \(account)'s standing in \(name)") { c in try standing(c, account: account, nowMillis: nowMillis).wait() }
    }

    /// Row counts of every table, as `Store.rowCounts`.
    public func rowCounts() throws -> [(table: String, rows: Int)] {
        try inTransaction("counting the rows of \(name)") { c in
            try Store.tables.map { table in (table, Int(try run(c, PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table)")).rows.first!.decode(Int64.self))) }
        }
    }

    /// The ids of every bug report and user report kept, as `Store.reportIDs`.
    public func reportIDs() throws -> (bugReports: Set<Int64>, userReports: Set<Int64>) {
        try inTransaction("reading the report ids of \(name)") { c in
            (Set(try run(c, "SELECT id FROM bug_reports").rows.map { try $0.decode(Int64.self) }),
             Set(try run(c, "SELECT id FROM user_reports").rows.map { try $0.decode(Int64.self) }))
        }
    }
}
