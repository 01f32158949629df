// The database schema, as migrations in code: docs/DATA.md describes every table and column,
// and changes with this file.
//
// Rules for migrations (so that every earlier file can be brought forward):
// 1. A migration, once released, is never edited: a change is a new migration appended here.
// 2. Each has an identifier that sorts after the previous ("v1-records", "v2-...").
// 3. SQL stays portable to PostgreSQL (DESIGN.md): INTEGER ids, TEXT, times as integer
//    milliseconds since the Unix epoch in UTC, CHECK constraints and partial indexes (both
//    engines have them); nothing SQLite-only (no WITHOUT ROWID, no AUTOINCREMENT tricks).

import Foundation
import GRDB

public enum Schema {
    /// Why a visit ended. The strings are stored; docs/DATA.md lists them.
    public enum EndReason: String, CaseIterable, Sendable {
        case leave
        case travel
        case disconnect
        case idleTimeout = "idle-timeout"
        case kicked
        case shutdown
        case crash
    }

    /// The identifiers of every migration, in order: the last is this binary's schema version.
    public static var versions: [String] { migrations.map(\.id) }

    /// Every migration, in order: its identifier and its SQL, as SQLite runs it. PostgreSQL runs
    /// the same text through `postgres(_:)`, which makes the few differences in one place.
    public static let migrations: [(id: String, sql: String)] = {
        let reasons = EndReason.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        let reportReasons = ReportReason.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        let actions = AuditAction.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        return [
            ("v1-records", """
                CREATE TABLE server_runs (
                    id INTEGER PRIMARY KEY,
                    server_version TEXT NOT NULL,
                    started_at_ms INTEGER NOT NULL,
                    heartbeat_at_ms INTEGER NOT NULL,
                    stopped_at_ms INTEGER,
                    stop_reason TEXT CHECK (stop_reason IN ('stopped', 'crash')),
                    CHECK (heartbeat_at_ms >= started_at_ms)
                );
                CREATE TABLE accounts (
                    account_id TEXT PRIMARY KEY,
                    display_name TEXT NOT NULL,
                    roles INTEGER NOT NULL,
                    first_seen_at_ms INTEGER NOT NULL,
                    last_seen_at_ms INTEGER NOT NULL,
                    CHECK (last_seen_at_ms >= first_seen_at_ms)
                );
                CREATE INDEX accounts_last_seen ON accounts (last_seen_at_ms);
                CREATE TABLE visits (
                    id INTEGER PRIMARY KEY,
                    run_id INTEGER NOT NULL REFERENCES server_runs (id) ON DELETE CASCADE,
                    session_id INTEGER NOT NULL,
                    account_id TEXT REFERENCES accounts (account_id) ON DELETE SET NULL,
                    role INTEGER NOT NULL CHECK (role IN (0, 1)),
                    space_id TEXT NOT NULL,
                    entered_at_ms INTEGER NOT NULL,
                    left_at_ms INTEGER,
                    end_reason TEXT CHECK (end_reason IN (\(reasons))),
                    CHECK (left_at_ms IS NULL OR left_at_ms >= entered_at_ms),
                    CHECK ((left_at_ms IS NULL) = (end_reason IS NULL))
                );
                CREATE INDEX visits_entered ON visits (entered_at_ms);
                CREATE INDEX visits_left ON visits (left_at_ms);
                CREATE INDEX visits_open ON visits (run_id) WHERE left_at_ms IS NULL;
                CREATE INDEX visits_account ON visits (account_id);
                CREATE TABLE service_events (
                    id INTEGER PRIMARY KEY,
                    service TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    account_id TEXT REFERENCES accounts (account_id) ON DELETE SET NULL,
                    at_ms INTEGER NOT NULL,
                    duration_ms INTEGER CHECK (duration_ms IS NULL OR duration_ms >= 0),
                    outcome TEXT
                );
                CREATE INDEX service_events_at ON service_events (at_ms);
                CREATE INDEX service_events_account ON service_events (account_id);
                CREATE TABLE bug_reports (
                    id INTEGER PRIMARY KEY,
                    run_id INTEGER NOT NULL REFERENCES server_runs (id) ON DELETE CASCADE,
                    session_id INTEGER NOT NULL,
                    account_id TEXT REFERENCES accounts (account_id) ON DELETE SET NULL,
                    role INTEGER NOT NULL CHECK (role IN (0, 1)),
                    description TEXT NOT NULL,
                    space_id TEXT,
                    floor INTEGER,
                    x_cm INTEGER,
                    y_cm INTEGER,
                    tick INTEGER,
                    server_version TEXT NOT NULL,
                    created_at_ms INTEGER NOT NULL
                );
                CREATE INDEX bug_reports_created ON bug_reports (created_at_ms);
                CREATE INDEX bug_reports_account ON bug_reports (account_id);
                """),
            // No foreign keys to accounts here: a ban may name an account this server never
            // saw, and these rows outlive the usage rows that pruning deletes.
            ("v2-moderation", """
                CREATE TABLE sanctions (
                    id INTEGER PRIMARY KEY,
                    account_id TEXT NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('mute', 'ban')),
                    starts_at_ms INTEGER NOT NULL,
                    ends_at_ms INTEGER,
                    reason TEXT NOT NULL,
                    actor TEXT NOT NULL,
                    lifted_at_ms INTEGER,
                    lifted_by TEXT,
                    CHECK (ends_at_ms IS NULL OR ends_at_ms >= starts_at_ms),
                    CHECK ((lifted_at_ms IS NULL) = (lifted_by IS NULL))
                );
                CREATE INDEX sanctions_account ON sanctions (account_id, kind);
                CREATE TABLE blocks (
                    blocker_account TEXT NOT NULL,
                    blocked_account TEXT NOT NULL,
                    created_at_ms INTEGER NOT NULL,
                    PRIMARY KEY (blocker_account, blocked_account),
                    CHECK (blocker_account <> blocked_account)
                );
                CREATE TABLE user_reports (
                    id INTEGER PRIMARY KEY,
                    reporter_account TEXT,
                    reporter_session INTEGER NOT NULL,
                    reported_account TEXT,
                    reported_name TEXT NOT NULL,
                    reported_entity INTEGER,
                    reason TEXT NOT NULL CHECK (reason IN (\(reportReasons))),
                    description TEXT NOT NULL,
                    space_id TEXT,
                    tick INTEGER,
                    recording_file TEXT,
                    recording_tick INTEGER,
                    evidence TEXT NOT NULL,
                    created_at_ms INTEGER NOT NULL,
                    resolved_at_ms INTEGER,
                    resolved_by TEXT,
                    resolution TEXT,
                    CHECK ((resolved_at_ms IS NULL) = (resolved_by IS NULL))
                );
                CREATE INDEX user_reports_created ON user_reports (created_at_ms);
                CREATE INDEX user_reports_open ON user_reports (created_at_ms) WHERE resolved_at_ms IS NULL;
                CREATE INDEX user_reports_reported ON user_reports (reported_account);
                CREATE TABLE audit_log (
                    id INTEGER PRIMARY KEY,
                    at_ms INTEGER NOT NULL,
                    actor TEXT NOT NULL,
                    action TEXT NOT NULL CHECK (action IN (\(actions))),
                    target_account TEXT,
                    report_id INTEGER,
                    until_ms INTEGER,
                    reason TEXT NOT NULL
                );
                CREATE INDEX audit_log_at ON audit_log (at_ms);
                CREATE INDEX audit_log_target ON audit_log (target_account);
                CREATE TABLE filter_counts (
                    account_id TEXT PRIMARY KEY,
                    filtered INTEGER NOT NULL CHECK (filtered > 0),
                    last_at_ms INTEGER NOT NULL
                );
                """),
            // The audit trail says which server run wrote each row (null for an operator's
            // command), so that a server reading the trail for actions decided elsewhere skips its
            // own (a mute it announced must not be announced again). No foreign key: audit rows
            // outlive the runs that pruning deletes.
            ("v3-audit-origin", "ALTER TABLE audit_log ADD COLUMN run_id INTEGER"),
            // The city's notice board (issue 26): each notice in Korean and/or English, the
            // spaces it targets (null: the whole city; else space ids joined by commas, which
            // ids never contain), who wrote and who withdrew it; and which accounts read which.
            // The reads name accounts without a foreign key: accounts are pruned, reads of an
            // ended notice go with it.
            ("v4-notices", """
                CREATE TABLE notices (
                    id INTEGER PRIMARY KEY,
                    title_ko TEXT,
                    title_en TEXT,
                    body_ko TEXT,
                    body_en TEXT,
                    category TEXT NOT NULL CHECK (category IN ('event', 'service-update', 'maintenance', 'safety')),
                    starts_at_ms INTEGER NOT NULL,
                    ends_at_ms INTEGER NOT NULL,
                    target_spaces TEXT,
                    pinned INTEGER NOT NULL CHECK (pinned IN (0, 1)),
                    author TEXT NOT NULL,
                    created_at_ms INTEGER NOT NULL,
                    withdrawn_by TEXT,
                    withdrawn_at_ms INTEGER,
                    CHECK (ends_at_ms > starts_at_ms),
                    CHECK (title_ko IS NOT NULL OR title_en IS NOT NULL),
                    CHECK (body_ko IS NOT NULL OR body_en IS NOT NULL),
                    CHECK ((withdrawn_by IS NULL) = (withdrawn_at_ms IS NULL))
                );
                CREATE INDEX notices_ends ON notices (ends_at_ms);
                CREATE TABLE notice_reads (
                    account_id TEXT NOT NULL,
                    notice_id INTEGER NOT NULL REFERENCES notices (id) ON DELETE CASCADE,
                    read_at_ms INTEGER NOT NULL,
                    PRIMARY KEY (account_id, notice_id)
                );
                CREATE INDEX notice_reads_notice ON notice_reads (notice_id);
                """),
            // The mayor's suggestion box and the citizens' inboxes (issue 26): each suggestion as
            // filed and as answered or closed (by whom, when); each inbox message until the
            // account's inbox passes its limit. Accounts are named without a foreign key, as above.
            ("v5-suggestions-inbox", """
                CREATE TABLE suggestions (
                    id INTEGER PRIMARY KEY,
                    account_id TEXT NOT NULL,
                    title TEXT NOT NULL,
                    body TEXT NOT NULL,
                    category TEXT NOT NULL CHECK (category IN ('transport', 'housing', 'welfare', 'environment', 'safety', 'culture', 'economy', 'administration', 'other')),
                    space_id TEXT,
                    public_consent INTEGER NOT NULL CHECK (public_consent IN (0, 1)),
                    state TEXT NOT NULL CHECK (state IN ('received', 'in-review', 'answered', 'closed')),
                    filed_at_ms INTEGER NOT NULL,
                    handler TEXT,
                    taken_at_ms INTEGER,
                    response TEXT,
                    responded_by TEXT,
                    responded_at_ms INTEGER,
                    CHECK ((state IN ('answered', 'closed')) = (response IS NOT NULL AND responded_by IS NOT NULL AND responded_at_ms IS NOT NULL)),
                    CHECK ((state = 'received') = (handler IS NULL))
                );
                CREATE INDEX suggestions_account ON suggestions (account_id, filed_at_ms);
                CREATE INDEX suggestions_open ON suggestions (state, id);
                CREATE TABLE inbox (
                    id INTEGER PRIMARY KEY,
                    account_id TEXT NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('suggestion-answered', 'suggestion-closed', 'report-outcome', 'sanction', 'operator')),
                    title TEXT NOT NULL,
                    body TEXT NOT NULL,
                    reference TEXT,
                    created_at_ms INTEGER NOT NULL,
                    read_at_ms INTEGER
                );
                CREATE INDEX inbox_account ON inbox (account_id, id);
                """),
            // The Angel Guide and the ethics code (issue 26): which version of the code each
            // account accepted and when, and which steps of the tutorial it did.
            ("v6-guide", """
                CREATE TABLE ethics_acceptances (
                    account_id TEXT NOT NULL,
                    version TEXT NOT NULL,
                    accepted_at_ms INTEGER NOT NULL,
                    PRIMARY KEY (account_id, version)
                );
                CREATE TABLE tutorial_progress (
                    account_id TEXT NOT NULL,
                    step_id TEXT NOT NULL,
                    done_at_ms INTEGER NOT NULL,
                    PRIMARY KEY (account_id, step_id)
                );
                """),
            // A city of nodes (issue 25; docs/CLUSTER.md): the nodes, which node hosts which
            // space instance under a lease, and the hand-over tickets already used. Live state
            // of a cluster on PostgreSQL, not the city's records: `data copy` leaves it
            // (`Store.clusterTables`). Times are the database's own clock, so that the nodes'
            // clocks never decide who holds a lease.
            ("v7-cluster", """
                CREATE TABLE cluster_nodes (
                    node TEXT PRIMARY KEY,
                    address TEXT NOT NULL,
                    prefers TEXT NOT NULL,
                    started_at_ms INTEGER NOT NULL,
                    seen_at_ms INTEGER NOT NULL,
                    population INTEGER NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('serving', 'stopped'))
                );
                CREATE TABLE space_hosts (
                    space_id TEXT NOT NULL,
                    instance INTEGER NOT NULL CHECK (instance >= 1),
                    node TEXT NOT NULL,
                    claimed_at_ms INTEGER NOT NULL,
                    lease_until_ms INTEGER NOT NULL,
                    population INTEGER NOT NULL,
                    capacity INTEGER NOT NULL,
                    PRIMARY KEY (space_id, instance)
                );
                CREATE TABLE tickets_used (
                    ticket_id TEXT PRIMARY KEY,
                    node TEXT NOT NULL,
                    used_at_ms INTEGER NOT NULL,
                    expires_at_ms INTEGER NOT NULL
                );
                CREATE INDEX tickets_used_expiry ON tickets_used (expires_at_ms);
                """),
            // Who is online on which node of a cluster, and where (issue 25): each node replaces
            // its own rows when its people change; a reader trusts only rows of live nodes.
            // Live state like the directory's (`Store.clusterTables`), but personal: it names
            // accounts and where they are, and holds nothing once they leave.
            ("v8-presence", """
                CREATE TABLE cluster_presence (
                    node TEXT NOT NULL,
                    session_id INTEGER NOT NULL,
                    account_id TEXT,
                    display_name TEXT NOT NULL,
                    role TEXT NOT NULL CHECK (role IN ('guest', 'member', 'staff')),
                    space_id TEXT,
                    since_ms INTEGER NOT NULL,
                    PRIMARY KEY (node, session_id)
                );
                CREATE INDEX cluster_presence_account ON cluster_presence (account_id);
                """),
            // The nodes each node cannot reach at their public addresses (issue 25): the votes
            // from which every node decides which nodes are cut off (Services' Reachability).
            ("v9-reach", """
                ALTER TABLE cluster_nodes ADD COLUMN cannot_reach TEXT NOT NULL DEFAULT '';
                """),
        ]
    }()

    static let migrator: DatabaseMigrator = {
        var m = DatabaseMigrator()
        for (id, sql) in migrations { m.registerMigration(id) { db in try db.execute(sql: sql) } }
        return m
    }()

    /// A migration's SQL as PostgreSQL runs it. The differences, each for its reason:
    /// - `INTEGER PRIMARY KEY` (SQLite's row id, allocated by the one writer) becomes an identity
    ///   column, `BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY`: PostgreSQL allocates the
    ///   ids, and several writers do so without colliding; an explicit id (a visit's, or a row
    ///   copied with `data copy`) is still accepted.
    /// - Every other `INTEGER` becomes `BIGINT`: SQLite's integers are 64-bit, PostgreSQL's
    ///   `INTEGER` is 32.
    /// Everything else (TEXT, CHECK constraints, partial indexes, ON DELETE rules, ALTER TABLE
    /// ADD COLUMN) is the same text.
    public static func postgres(_ sql: String) -> String {
        sql.replacingOccurrences(of: "INTEGER PRIMARY KEY", with: "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")
            .replacingOccurrences(of: "INTEGER", with: "BIGINT")
    }

    /// Why a citizen reported someone. The strings are stored; the numbers are the protocol's.
    public enum ReportReason: String, CaseIterable, Sendable {
        case harassment, profanity, spam
        case inappropriateName = "inappropriate-name"
        case other
    }

    /// What an audit row records. The strings are stored; docs/DATA.md lists them.
    public enum AuditAction: String, CaseIterable, Sendable {
        case warn, kick, mute, unmute, ban, unban
        case resolveReport = "resolve-report"
    }

    /// The identifiers of the migrations applied to the file, in order (none for a new file).
    static func applied(_ pool: DatabasePool) throws -> [String] {
        try pool.read { db in
            guard try db.tableExists("grdb_migrations") else { return [] }
            return try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier")
        }
    }

    /// Refuses a file written by a newer server (migrations this binary does not know).
    static func checkNotNewer(_ pool: DatabasePool, path: String) throws {
        try refuseNewer(applied: try applied(pool), name: path)
    }

    /// For read-only use: the file must be a SeoulWorld database at a version this binary reads.
    static func checkReadable(_ pool: DatabasePool, path: String) throws {
        try refuseUnreadable(applied: try applied(pool), name: path, engine: "an SQLite file")
    }

    /// The writers' rule, for both backends: migrations this binary does not know mean a newer
    /// server wrote the database, and it is not written to.
    static func refuseNewer(applied: [String], name: String) throws(StoreError) {
        let known = Set(versions)
        let unknown = applied.filter { !known.contains($0) }
        guard unknown.isEmpty else {
            throw StoreError("""
                \(name) was written by a newer seoulworld (schema \(unknown.joined(separator: ", ")); this binary knows up to \
                \(versions.last ?? "none")). Run the newer server, or restore a backup made for this version; \
                this one will not write to it
                """)
        }
    }

    /// The readers' rule, for both backends: a SeoulWorld database at exactly this binary's
    /// schema (`engine` names what it is otherwise, "an SQLite file"; `ifEmpty` says what to do
    /// about one without migrations).
    static func refuseUnreadable(applied: [String], name: String, engine: String, ifEmpty: String = "") throws(StoreError) {
        guard !applied.isEmpty else { throw StoreError("\(name) is \(engine) but not a SeoulWorld database (no migrations applied)\(ifEmpty)") }
        let known = Set(versions)
        if let newer = applied.first(where: { !known.contains($0) }) {
            throw StoreError("\(name) was written by a newer seoulworld (schema \(newer)); use that version's tools to read it")
        }
        if applied.count < versions.count {
            throw StoreError("\(name) is at schema \(applied.last!), older than this binary's \(versions.last!): start the server on it once to migrate it")
        }
    }
}
