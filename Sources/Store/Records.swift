// What the server writes, as values: each `StoreWrite` knows its own SQL. The loop thread
// builds them (it owns the clock and the sessions) and hands them to the writer thread; the
// writer applies a whole queue's worth in one transaction (Writer.swift).
//
// Times are integer milliseconds since the Unix epoch, UTC. Session ids are the server's
// 64-bit session numbers stored as signed 64-bit integers (their bit pattern).

import GRDB

/// A visit that began: a presence of one session in one space.
public struct VisitOpening: Sendable, Hashable {
    public var visitID: Int64
    public var runID: Int64
    public var sessionID: UInt64
    /// Nil for a guest: guests are not identified.
    public var accountID: String?
    /// 0 guest, 1 member.
    public var role: Int
    public var spaceID: String
    public var enteredAtMillis: Int64

    public init(visitID: Int64, runID: Int64, sessionID: UInt64, accountID: String?, role: Int, spaceID: String, enteredAtMillis: Int64) {
        self.visitID = visitID
        self.runID = runID
        self.sessionID = sessionID
        self.accountID = accountID
        self.role = role
        self.spaceID = spaceID
        self.enteredAtMillis = enteredAtMillis
    }
}

/// One use of one of the city's services, for the yearly evaluation.
public struct ServiceEvent: Sendable, Hashable {
    public var service: String
    public var kind: String
    public var accountID: String?
    public var atMillis: Int64
    public var durationMillis: Int64?
    public var outcome: String?

    public init(service: String, kind: String, accountID: String?, atMillis: Int64, durationMillis: Int64? = nil, outcome: String? = nil) {
        self.service = service
        self.kind = kind
        self.accountID = accountID
        self.atMillis = atMillis
        self.durationMillis = durationMillis
        self.outcome = outcome
    }
}

/// A fault reported by a citizen, with where and when the server saw them.
public struct BugReport: Sendable, Hashable {
    public var runID: Int64
    public var sessionID: UInt64
    public var accountID: String?
    public var role: Int
    public var description: String
    public var spaceID: String?
    public var floor: Int?
    public var xCentimetres: Int?
    public var yCentimetres: Int?
    public var tick: Int64?
    public var serverVersion: String
    public var createdAtMillis: Int64

    public init(runID: Int64, sessionID: UInt64, accountID: String?, role: Int, description: String, spaceID: String?, floor: Int?,
                xCentimetres: Int?, yCentimetres: Int?, tick: Int64?, serverVersion: String, createdAtMillis: Int64) {
        self.runID = runID
        self.sessionID = sessionID
        self.accountID = accountID
        self.role = role
        self.description = description
        self.spaceID = spaceID
        self.floor = floor
        self.xCentimetres = xCentimetres
        self.yCentimetres = yCentimetres
        self.tick = tick
        self.serverVersion = serverVersion
        self.createdAtMillis = createdAtMillis
    }
}

/// What a running server reads from its records, on the writer's thread and in its order: a
/// read submitted after a write is answered after that write committed (a sign-in after a ban
/// sees the ban). Reads are not writes: they run after their group's transaction committed, in
/// a read transaction of their own, and never join or undo a group.
public enum StoreRead: Sendable, Hashable {
    /// The account's active ban and mute and its blocks, answered with `.standing`.
    case standing(accountID: String, nowMillis: Int64)
    /// Audit rows after `afterID`, oldest first (so the server sees what operators' commands
    /// did), answered with `.audit`.
    case auditSince(afterID: Int64, limit: Int)
    /// The notices not yet ended at `nowMillis` (withdrawn ones too), by id, answered with
    /// `.notices`: the board at a server's start.
    case liveNotices(nowMillis: Int64)
    /// Which of the notices not yet ended the account has read, answered with `.ids`.
    case noticesRead(accountID: String, nowMillis: Int64)
    // The suggestion box and the inbox (Suggestions.swift), answered with `.suggestions`, the inbox with `.inbox`.
    case suggestion(id: Int64)
    /// An account's own suggestions, newest first.
    case suggestionsOf(accountID: String, offset: Int, limit: Int)
    /// Received and in review, oldest first: the answerers' queue.
    case suggestionQueue(offset: Int, limit: Int)
    /// Answered ones whose citizens consented, the latest answer first: the public board.
    case answeredSuggestions(offset: Int, limit: Int)
    case inbox(accountID: String, offset: Int, limit: Int)
    /// The tutorial's steps the account has done, answered with `.strings`.
    case tutorialProgress(accountID: String)

    public var kind: String {
        switch self {
        case .standing: "standing"
        case .auditSince: "audit-since"
        case .liveNotices: "live-notices"
        case .noticesRead: "notices-read"
        case .suggestion: "suggestion"
        case .suggestionsOf: "suggestions-of"
        case .suggestionQueue: "suggestion-queue"
        case .answeredSuggestions: "answered-suggestions"
        case .inbox: "inbox"
        case .tutorialProgress: "tutorial-progress"
        }
    }
}

public enum StoreWrite: Sendable, Hashable {
    case heartbeat(runID: Int64, atMillis: Int64)
    case runStopped(runID: Int64, atMillis: Int64)
    /// Upserts the account: first seen is kept, the rest replaced.
    case accountSeen(accountID: String, displayName: String, roles: Int, atMillis: Int64)
    case visitOpened(VisitOpening)
    case visitClosed(visitID: Int64, leftAtMillis: Int64, reason: Schema.EndReason)
    case serviceEvent(ServiceEvent)
    /// Answered with the report's id.
    case bugReport(BugReport)
    /// Deletes at most `rowsMax` rows of each kept table older than `beforeMillis`; answered
    /// with the number of rows deleted (the server asks again while it equals the batch).
    case prune(beforeMillis: Int64, rowsMax: Int)
    // Moderation (Moderation.swift).
    /// Answered with the sanction's id; writes its audit row too.
    case sanction(Sanction)
    /// Lifts the account's active sanctions of a kind (unban, unmute); answered with how many.
    case liftSanctions(accountID: String, kind: Sanction.Kind, atMillis: Int64, actor: String, reason: String)
    /// An audit row of its own (warn, kick); answered with its id.
    case audit(AuditEntry)
    case block(blocker: String, blocked: String, atMillis: Int64)
    case unblock(blocker: String, blocked: String)
    /// Answered with the report's id.
    case userReport(UserReport)
    /// Answered with 1 if it was open and is now resolved, else 0.
    case resolveReport(reportID: Int64, actor: String, resolution: String, atMillis: Int64)
    case filterHit(accountID: String, atMillis: Int64)
    // The notice board (Notices.swift).
    /// Answered with the notice's id.
    case notice(NoticeRecord)
    /// Answered with 1 if it was not withdrawn and now is, else 0.
    case withdrawNotice(id: Int64, by: String, atMillis: Int64)
    /// Marks notices read by the account (again: no change).
    case noticesRead(accountID: String, ids: [Int64], atMillis: Int64)
    // The suggestion box and the inbox (Suggestions.swift).
    /// Answered with the new id, or `.count(0)` when the account filed `perDay` since `dayStartMillis`.
    case fileSuggestion(SuggestionRecord, dayStartMillis: Int64, perDay: Int)
    /// Answered with 1 when it was received and is now in review, else 0.
    case takeSuggestion(id: Int64, by: String, atMillis: Int64)
    /// Answers or closes (`state`) a suggestion received, or in review by `by`, and writes
    /// `inbox` with it; answered with the inbox message's id, or `.count(0)` (and nothing
    /// written) when it was not so.
    case respondSuggestion(id: Int64, state: String, text: String, by: String, atMillis: Int64, inbox: InboxRecord)
    /// A message for an account's inbox; answered with its id.
    case inbox(InboxRecord)
    /// Marks the account's messages read (again, or another's: no change).
    case inboxRead(accountID: String, ids: [Int64], atMillis: Int64)
    // The Angel Guide and the ethics code.
    /// The account accepted this version of the code (again: no change).
    case ethicsAccepted(accountID: String, version: String, atMillis: Int64)
    /// The account did this step of the tutorial (again: no change).
    case tutorialStep(accountID: String, step: String, atMillis: Int64)

    /// Whether a client waits for this write (its failure must reach that client), or it is a
    /// usage record (whose failure is counted and logged).
    public var isAcknowledged: Bool {
        switch self {
        case .bugReport, .sanction, .liftSanctions, .block, .unblock, .userReport, .resolveReport, .audit, .notice, .withdrawNotice,
             .fileSuggestion, .takeSuggestion, .respondSuggestion, .inbox, .ethicsAccepted, .tutorialStep: return true
        default: return false
        }
    }

    /// A short name for logs and counters.
    public var kind: String {
        switch self {
        case .heartbeat: return "heartbeat"
        case .runStopped: return "run-stopped"
        case .accountSeen: return "account"
        case .visitOpened: return "visit-opened"
        case .visitClosed: return "visit-closed"
        case .serviceEvent: return "service-event"
        case .bugReport: return "bug-report"
        case .prune: return "prune"
        case .sanction: return "sanction"
        case .liftSanctions: return "lift-sanctions"
        case .audit: return "audit"
        case .block: return "block"
        case .unblock: return "unblock"
        case .userReport: return "user-report"
        case .resolveReport: return "resolve-report"
        case .filterHit: return "filter-hit"
        case .notice: return "notice"
        case .withdrawNotice: return "withdraw-notice"
        case .noticesRead: return "notices-read"
        case .fileSuggestion: return "file-suggestion"
        case .takeSuggestion: return "take-suggestion"
        case .respondSuggestion: return "respond-suggestion"
        case .inbox: return "inbox"
        case .inboxRead: return "inbox-read"
        case .ethicsAccepted: return "ethics-accepted"
        case .tutorialStep: return "tutorial-step"
        }
    }

    /// Applies the write inside the writer's transaction; returns the new row's id or a count
    /// where the write has one to give. Statements are prepared once per connection and cached:
    /// preparing an INSERT costs more than running it. `origin` is the server run that writes
    /// (nil for an operator's command): audit rows carry it, so that a server can tell its own
    /// actions from those decided elsewhere when it reads the trail back.
    func apply(_ db: Database, origin: Int64? = nil) throws -> StoreOutcome {
        switch self {
        case .heartbeat(let run, let at):
            try db.cachedStatement(sql: "UPDATE server_runs SET heartbeat_at_ms = max(heartbeat_at_ms, ?) WHERE id = ?").execute(arguments: [at, run])
            return .none
        case .runStopped(let run, let at):
            try db.cachedStatement(sql: """
                UPDATE server_runs SET heartbeat_at_ms = max(heartbeat_at_ms, ?), stopped_at_ms = max(heartbeat_at_ms, ?), stop_reason = 'stopped'
                WHERE id = ?
                """).execute(arguments: [at, at, run])
            return .none
        case .accountSeen(let account, let name, let roles, let at):
            try db.cachedStatement(sql: """
                INSERT INTO accounts (account_id, display_name, roles, first_seen_at_ms, last_seen_at_ms) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (account_id) DO UPDATE SET display_name = excluded.display_name, roles = excluded.roles,
                    last_seen_at_ms = max(accounts.last_seen_at_ms, excluded.last_seen_at_ms)
                """).execute(arguments: [account, name, roles, at, at])
            return .none
        case .visitOpened(let v):
            try db.cachedStatement(sql: """
                INSERT INTO visits (id, run_id, session_id, account_id, role, space_id, entered_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [v.visitID, v.runID, Int64(bitPattern: v.sessionID), v.accountID, v.role, v.spaceID, v.enteredAtMillis])
            return .id(v.visitID)
        case .visitClosed(let id, let at, let reason):
            // max(): a clock stepped back between enter and leave must not break the row's check.
            try db.cachedStatement(sql: "UPDATE visits SET left_at_ms = max(entered_at_ms, ?), end_reason = ? WHERE id = ? AND left_at_ms IS NULL").execute(arguments: [at, reason.rawValue, id])
            return .none
        case .serviceEvent(let e):
            try db.cachedStatement(sql: "INSERT INTO service_events (service, kind, account_id, at_ms, duration_ms, outcome) VALUES (?, ?, ?, ?, ?, ?)").execute(arguments: [e.service, e.kind, e.accountID, e.atMillis, e.durationMillis, e.outcome])
            return .id(db.lastInsertedRowID)
        case .bugReport(let r):
            try db.cachedStatement(sql: """
                INSERT INTO bug_reports (run_id, session_id, account_id, role, description, space_id, floor, x_cm, y_cm, tick,
                    server_version, created_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [r.runID, Int64(bitPattern: r.sessionID), r.accountID, r.role, r.description, r.spaceID, r.floor,
                                 r.xCentimetres, r.yCentimetres, r.tick, r.serverVersion, r.createdAtMillis])
            return .id(db.lastInsertedRowID)
        case .prune(let before, let limit):
            return .count(try Self.prune(db, before: before, limit: limit))
        case .notice, .withdrawNotice, .noticesRead:
            return try applyNotice(db)
        case .fileSuggestion, .takeSuggestion, .respondSuggestion, .inbox, .inboxRead:
            return try applySuggestion(db)
        case .ethicsAccepted(let account, let version, let at):
            try db.cachedStatement(sql: "INSERT INTO ethics_acceptances (account_id, version, accepted_at_ms) VALUES (?, ?, ?) ON CONFLICT (account_id, version) DO NOTHING")
                .execute(arguments: [account, version, at])
            return .none
        case .tutorialStep(let account, let step, let at):
            try db.cachedStatement(sql: "INSERT INTO tutorial_progress (account_id, step_id, done_at_ms) VALUES (?, ?, ?) ON CONFLICT (account_id, step_id) DO NOTHING")
                .execute(arguments: [account, step, at])
            return .none
        default:
            return try applyModeration(db, origin: origin)
        }
    }

    /// Deletes old rows in small batches: closed visits, service events and bug reports that
    /// began before `before`, notices that ended before it (with their reads), then accounts last seen before it that no kept row names, then
    /// finished runs with nothing left that refers to them.
    static func prune(_ db: Database, before: Int64, limit: Int) throws -> Int64 {
        var deleted = 0
        try db.execute(sql: "DELETE FROM visits WHERE id IN (SELECT id FROM visits WHERE entered_at_ms < ? AND left_at_ms IS NOT NULL LIMIT ?)",
                       arguments: [before, limit])
        deleted += db.changesCount
        try db.execute(sql: "DELETE FROM service_events WHERE id IN (SELECT id FROM service_events WHERE at_ms < ? LIMIT ?)", arguments: [before, limit])
        deleted += db.changesCount
        try db.execute(sql: "DELETE FROM bug_reports WHERE id IN (SELECT id FROM bug_reports WHERE created_at_ms < ? LIMIT ?)", arguments: [before, limit])
        deleted += db.changesCount
        // Notices that ended before the cut, their reads with them (ON DELETE CASCADE).
        try db.execute(sql: "DELETE FROM notices WHERE id IN (SELECT id FROM notices WHERE ends_at_ms < ? LIMIT ?)", arguments: [before, limit])
        deleted += db.changesCount
        try db.execute(sql: """
            DELETE FROM accounts WHERE account_id IN (
                SELECT a.account_id FROM accounts a WHERE a.last_seen_at_ms < ?
                AND NOT EXISTS (SELECT 1 FROM visits v WHERE v.account_id = a.account_id)
                AND NOT EXISTS (SELECT 1 FROM service_events e WHERE e.account_id = a.account_id)
                AND NOT EXISTS (SELECT 1 FROM bug_reports b WHERE b.account_id = a.account_id)
                LIMIT ?)
            """, arguments: [before, limit])
        deleted += db.changesCount
        try db.execute(sql: """
            DELETE FROM server_runs WHERE id IN (
                SELECT r.id FROM server_runs r WHERE r.stopped_at_ms IS NOT NULL AND r.stopped_at_ms < ?
                AND NOT EXISTS (SELECT 1 FROM visits v WHERE v.run_id = r.id)
                AND NOT EXISTS (SELECT 1 FROM bug_reports b WHERE b.run_id = r.id)
                LIMIT ?)
            """, arguments: [before, limit])
        deleted += db.changesCount
        return Int64(deleted)
    }
}

/// What `beginRun` found and decided at start-up.
public struct RunStart: Sendable {
    public var runID: Int64
    /// The first visit id this run may use (ids are allocated by the one writing server).
    public var nextVisitID: Int64
    /// Runs that had not stopped (the server was killed or crashed), now closed at their last heartbeat.
    public var crashedRuns: Int
    /// Their visits left open, now closed with the reason `crash`.
    public var visitsClosedAfterCrash: Int
}

extension Store {
    /// Registers this server's run, after closing what a crashed earlier run left open: its
    /// open visits end at its last heartbeat (or at their entry, if they began after it) with
    /// the reason `crash`. Runs before the loop starts, so it may wait for the disk.
    public func beginRun(serverVersion: String, nowMillis: Int64) throws -> RunStart {
        try pool.write { db in
            var visitsClosed = 0
            let crashed = try Row.fetchAll(db, sql: "SELECT id, heartbeat_at_ms FROM server_runs WHERE stopped_at_ms IS NULL")
            for row in crashed {
                let run: Int64 = row["id"], heartbeat: Int64 = row["heartbeat_at_ms"]
                try db.execute(sql: """
                    UPDATE visits SET left_at_ms = max(entered_at_ms, ?), end_reason = 'crash' WHERE run_id = ? AND left_at_ms IS NULL
                    """, arguments: [heartbeat, run])
                visitsClosed += db.changesCount
                try db.execute(sql: "UPDATE server_runs SET stopped_at_ms = heartbeat_at_ms, stop_reason = 'crash' WHERE id = ?", arguments: [run])
            }
            try db.execute(sql: "INSERT INTO server_runs (server_version, started_at_ms, heartbeat_at_ms) VALUES (?, ?, ?)",
                           arguments: [serverVersion, nowMillis, nowMillis])
            let run = db.lastInsertedRowID
            let maxVisit = try Int64.fetchOne(db, sql: "SELECT max(id) FROM visits") ?? 0
            return RunStart(runID: run, nextVisitID: maxVisit + 1, crashedRuns: crashed.count, visitsClosedAfterCrash: visitsClosed)
        }
    }
}

/// A visit with its end, for loading history in bulk (`seoulworld data generate`, tests).
public struct FinishedVisit: Sendable, Hashable {
    public var opening: VisitOpening
    public var leftAtMillis: Int64
    public var reason: Schema.EndReason

    public init(opening: VisitOpening, leftAtMillis: Int64, reason: Schema.EndReason) {
        precondition(leftAtMillis >= opening.enteredAtMillis)
        self.opening = opening
        self.leftAtMillis = leftAtMillis
        self.reason = reason
    }
}

extension Store {
    /// Inserts finished visits (and their members' accounts) in one transaction, under a run of
    /// their own; for benchmarks and tests, never while a server writes (the lock says so).
    public func importVisits(_ visits: [FinishedVisit], serverVersion: String) throws {
        guard !visits.isEmpty else { return }
        try pool.write { db in
            let start = visits.map(\.opening.enteredAtMillis).min()!, end = visits.map(\.leftAtMillis).max()!
            try db.execute(sql: "INSERT INTO server_runs (server_version, started_at_ms, heartbeat_at_ms, stopped_at_ms, stop_reason) VALUES (?, ?, ?, ?, 'stopped')",
                           arguments: [serverVersion, start, end, end])
            let run = db.lastInsertedRowID
            var nextID = (try Int64.fetchOne(db, sql: "SELECT max(id) FROM visits") ?? 0) + 1
            let account = try db.makeStatement(sql: """
                INSERT INTO accounts (account_id, display_name, roles, first_seen_at_ms, last_seen_at_ms) VALUES (?, ?, 1, ?, ?)
                ON CONFLICT (account_id) DO UPDATE SET first_seen_at_ms = min(accounts.first_seen_at_ms, excluded.first_seen_at_ms),
                    last_seen_at_ms = max(accounts.last_seen_at_ms, excluded.last_seen_at_ms)
                """)
            let visit = try db.makeStatement(sql: """
                INSERT INTO visits (id, run_id, session_id, account_id, role, space_id, entered_at_ms, left_at_ms, end_reason)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for v in visits {
                let o = v.opening
                if let a = o.accountID { try account.execute(arguments: [a, a, o.enteredAtMillis, o.enteredAtMillis]) }
                try visit.execute(arguments: [nextID, run, Int64(bitPattern: o.sessionID), o.accountID, o.role, o.spaceID,
                                              o.enteredAtMillis, v.leftAtMillis, v.reason.rawValue])
                nextID += 1
            }
        }
    }

    /// The ids of every bug report and user report kept: the whole-server simulation checks that
    /// each id a client was told is among them.
    public func reportIDs() throws -> (bugReports: Set<Int64>, userReports: Set<Int64>) {
        try pool.read { db in
            (Set(try Int64.fetchAll(db, sql: "SELECT id FROM bug_reports")), Set(try Int64.fetchAll(db, sql: "SELECT id FROM user_reports")))
        }
    }

    /// Row counts of every table, for `seoulworld data check`.
    /// Every table of the schema.
    public static let tables = ["server_runs", "accounts", "visits", "service_events", "bug_reports", "sanctions", "blocks", "user_reports", "audit_log",
                                "filter_counts", "notices", "notice_reads", "suggestions", "inbox",
                                "ethics_acceptances", "tutorial_progress"]
    /// The tables of a cluster's live state (Directory.swift, Presence.swift): who hosts what,
    /// which tickets were used, who is online where. Not records: `data copy` and `data check` leave them.
    public static let clusterTables = ["cluster_nodes", "space_hosts", "tickets_used", "cluster_presence"]

    public func rowCounts() throws -> [(table: String, rows: Int)] {
        try pool.read { db in
            try Self.tables.map { table in
                (table, try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0)
            }
        }
    }
}
