// Moderation's records (docs/DATA.md): sanctions (mutes and bans), blocks between accounts,
// citizens' reports with their evidence, filtered-message counts, and the audit trail of
// every staff and system action. The server writes them through the writer thread (as
// `StoreWrite`s); an operator's command writes them directly (`Store.perform`), beside a
// running server, which picks the change up from the audit trail within seconds.

import GRDB

/// A mute or a ban of an account, from `startsAtMillis` to `endsAtMillis` (nil: for good).
public struct Sanction: Sendable, Hashable {
    public enum Kind: String, Sendable, CaseIterable { case mute, ban }
    public var accountID: String
    public var kind: Kind
    public var startsAtMillis: Int64
    public var endsAtMillis: Int64?
    public var reason: String
    /// Who decided: "system", "staff:<account>" or "operator:<name>".
    public var actor: String

    public init(accountID: String, kind: Kind, startsAtMillis: Int64, endsAtMillis: Int64?, reason: String, actor: String) {
        precondition(endsAtMillis.map { $0 >= startsAtMillis } ?? true)
        self.accountID = accountID
        self.kind = kind
        self.startsAtMillis = startsAtMillis
        self.endsAtMillis = endsAtMillis
        self.reason = reason
        self.actor = actor
    }

    /// Whether it holds at `nowMillis`.
    public func isActive(at nowMillis: Int64) -> Bool { startsAtMillis <= nowMillis && (endsAtMillis.map { $0 > nowMillis } ?? true) }
}

/// One row of the audit trail: who did what, to whom, when and why.
public struct AuditEntry: Sendable, Hashable {
    public var id: Int64
    public var atMillis: Int64
    public var actor: String
    public var action: Schema.AuditAction
    public var targetAccount: String?
    public var reportID: Int64?
    public var untilMillis: Int64?
    public var reason: String
    /// The server run that wrote the row; nil for an operator's command (`seoulworld moderation`).
    public var runID: Int64?

    public init(id: Int64 = 0, atMillis: Int64, actor: String, action: Schema.AuditAction, targetAccount: String?, reportID: Int64? = nil,
                untilMillis: Int64? = nil, reason: String, runID: Int64? = nil) {
        self.runID = runID
        self.id = id
        self.atMillis = atMillis
        self.actor = actor
        self.action = action
        self.targetAccount = targetAccount
        self.reportID = reportID
        self.untilMillis = untilMillis
        self.reason = reason
    }
}

/// A citizen's report of another user, with the evidence the server attached (JSON,
/// docs/DATA.md).
public struct UserReport: Sendable, Hashable {
    public var id: Int64 = 0
    public var reporterAccount: String?
    public var reporterSession: UInt64
    public var reportedAccount: String?
    public var reportedName: String
    public var reportedEntity: UInt32?
    public var reason: Schema.ReportReason
    public var description: String
    public var spaceID: String?
    public var tick: Int64?
    public var recordingFile: String?
    public var recordingTick: Int64?
    public var evidenceJSON: String
    public var createdAtMillis: Int64
    public var resolvedAtMillis: Int64?
    public var resolvedBy: String?
    public var resolution: String?

    public init(reporterAccount: String?, reporterSession: UInt64, reportedAccount: String?, reportedName: String, reportedEntity: UInt32?,
                reason: Schema.ReportReason, description: String, spaceID: String?, tick: Int64?, recordingFile: String?,
                recordingTick: Int64?, evidenceJSON: String, createdAtMillis: Int64) {
        self.reporterAccount = reporterAccount
        self.reporterSession = reporterSession
        self.reportedAccount = reportedAccount
        self.reportedName = reportedName
        self.reportedEntity = reportedEntity
        self.reason = reason
        self.description = description
        self.spaceID = spaceID
        self.tick = tick
        self.recordingFile = recordingFile
        self.recordingTick = recordingTick
        self.evidenceJSON = evidenceJSON
        self.createdAtMillis = createdAtMillis
    }
}

/// What the server needs to know about an account as it authenticates.
public struct AccountStanding: Sendable, Hashable {
    public var ban: Sanction?
    public var mute: Sanction?
    /// The accounts it blocks (at most `blocksPerAccountMax`).
    public var blocked: [String]
    /// The versions of the city's ethics code it accepted (docs/DATA.md, `ethics_acceptances`).
    public var ethicsVersions: [String]
    public init(ban: Sanction? = nil, mute: Sanction? = nil, blocked: [String] = [], ethicsVersions: [String] = []) {
        self.ban = ban
        self.mute = mute
        self.blocked = blocked
        self.ethicsVersions = ethicsVersions
    }
}

/// What a reporter's inbox says when a report is resolved (docs/DATA.md, `inbox`): "acted on"
/// when a warning, kick, mute or ban of the reported account was recorded since the report was
/// made, "reviewed" otherwise; neither names the other party nor says what was done.
public enum ReportOutcome {
    /// True when the report (the one bound parameter, its id) was followed by an action on the
    /// reported account.
    static let actedSQL = """
        SELECT 1 FROM audit_log a JOIN user_reports r ON a.target_account = r.reported_account
        WHERE r.id = ? AND a.at_ms >= r.created_at_ms AND a.action IN ('warn', 'kick', 'mute', 'ban')
        """

    public static func message(reportID: Int64, reporter: String, acted: Bool, atMillis: Int64) -> InboxRecord {
        let title = acted ? "신고 #\(reportID)에 따라 조치했습니다 · Your report #\(reportID) was acted on"
                          : "신고 #\(reportID)을(를) 검토했습니다 · Your report #\(reportID) was reviewed"
        let body = acted ? "신고하신 내용을 확인하고 조치했습니다. 누구에 대한 어떤 조치인지는 알려 드리지 않습니다. · We looked into your report and took action. We do not say who it was about or what was done."
                         : "신고하신 내용을 확인했지만 조치할 사유를 찾지 못했습니다. · We looked into your report and found no reason to act."
        return InboxRecord(accountID: reporter, kind: "report-outcome", title: title, body: body, reference: "report #\(reportID)", createdAtMillis: atMillis)
    }
}

/// The most accounts one account may block (a declared limit; the server refuses past it).
public let blocksPerAccountMax = 100

/// What a write gives back.
public enum StoreOutcome: Sendable, Hashable {
    case none
    /// The new row's id.
    case id(Int64)
    /// Rows changed or deleted.
    case count(Int64)
    case standing(AccountStanding)
    case audit([AuditEntry])
    case notices([NoticeRecord])
    case ids([Int64])
    case suggestions([SuggestionRecord])
    case inbox(InboxPage)
    case strings([String])
}

extension StoreWrite {
    func applyModeration(_ db: Database, origin: Int64?) throws -> StoreOutcome {
        switch self {
        case .sanction(let s):
            try db.cachedStatement(sql: """
                INSERT INTO sanctions (account_id, kind, starts_at_ms, ends_at_ms, reason, actor) VALUES (?, ?, ?, ?, ?, ?)
                """).execute(arguments: [s.accountID, s.kind.rawValue, s.startsAtMillis, s.endsAtMillis, s.reason, s.actor])
            let id = db.lastInsertedRowID
            try Self.insertAudit(db, origin: origin, AuditEntry(atMillis: s.startsAtMillis, actor: s.actor, action: s.kind == .ban ? .ban : .mute,
                                                targetAccount: s.accountID, untilMillis: s.endsAtMillis, reason: s.reason))
            return .id(id)
        case .liftSanctions(let account, let kind, let at, let actor, let reason):
            try db.cachedStatement(sql: """
                UPDATE sanctions SET lifted_at_ms = ?, lifted_by = ?
                WHERE account_id = ? AND kind = ? AND lifted_at_ms IS NULL AND (ends_at_ms IS NULL OR ends_at_ms > ?)
                """).execute(arguments: [at, actor, account, kind.rawValue, at])
            let changed = Int64(db.changesCount)
            if changed > 0 {
                try Self.insertAudit(db, origin: origin, AuditEntry(atMillis: at, actor: actor, action: kind == .ban ? .unban : .unmute, targetAccount: account, reason: reason))
            }
            return .count(changed)
        case .audit(let entry):
            return .id(try Self.insertAudit(db, origin: origin, entry))
        case .block(let blocker, let blocked, let at):
            try db.cachedStatement(sql: "INSERT INTO blocks (blocker_account, blocked_account, created_at_ms) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")
                .execute(arguments: [blocker, blocked, at])
            return .count(Int64(db.changesCount))
        case .unblock(let blocker, let blocked):
            try db.cachedStatement(sql: "DELETE FROM blocks WHERE blocker_account = ? AND blocked_account = ?").execute(arguments: [blocker, blocked])
            return .count(Int64(db.changesCount))
        case .userReport(let r):
            try db.cachedStatement(sql: """
                INSERT INTO user_reports (reporter_account, reporter_session, reported_account, reported_name, reported_entity, reason,
                    description, space_id, tick, recording_file, recording_tick, evidence, created_at_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [r.reporterAccount, Int64(bitPattern: r.reporterSession), r.reportedAccount, r.reportedName,
                                         r.reportedEntity.map { Int64($0) }, r.reason.rawValue, r.description, r.spaceID, r.tick,
                                         r.recordingFile, r.recordingTick, r.evidenceJSON, r.createdAtMillis])
            return .id(db.lastInsertedRowID)
        case .resolveReport(let id, let actor, let resolution, let at):
            try db.cachedStatement(sql: """
                UPDATE user_reports SET resolved_at_ms = ?, resolved_by = ?, resolution = ? WHERE id = ? AND resolved_at_ms IS NULL
                """).execute(arguments: [at, actor, resolution, id])
            let changed = Int64(db.changesCount)
            if changed > 0 {
                let target = try String.fetchOne(db, sql: "SELECT reported_account FROM user_reports WHERE id = ?", arguments: [id])
                try Self.insertAudit(db, origin: origin, AuditEntry(atMillis: at, actor: actor, action: .resolveReport, targetAccount: target, reportID: id, reason: resolution))
                // The reporter (a member) is told the outcome in the inbox, without the other party.
                if let reporter = try String.fetchOne(db, sql: "SELECT reporter_account FROM user_reports WHERE id = ?", arguments: [id]) {
                    let acted = try Bool.fetchOne(db, sql: "SELECT EXISTS (\(ReportOutcome.actedSQL))", arguments: [id]) ?? false
                    try Self.insertInbox(db, ReportOutcome.message(reportID: id, reporter: reporter, acted: acted, atMillis: at))
                }
            }
            return .count(changed)
        case .filterHit(let account, let at):
            try db.cachedStatement(sql: """
                INSERT INTO filter_counts (account_id, filtered, last_at_ms) VALUES (?, 1, ?)
                ON CONFLICT (account_id) DO UPDATE SET filtered = filter_counts.filtered + 1,
                    last_at_ms = max(filter_counts.last_at_ms, excluded.last_at_ms)
                """).execute(arguments: [account, at])
            return .none
        default:
            preconditionFailure("not a moderation write: \(kind)")
        }
    }

    @discardableResult
    static func insertAudit(_ db: Database, origin: Int64?, _ e: AuditEntry) throws -> Int64 {
        try db.cachedStatement(sql: """
            INSERT INTO audit_log (at_ms, actor, action, target_account, report_id, until_ms, reason, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [e.atMillis, e.actor, e.action.rawValue, e.targetAccount, e.reportID, e.untilMillis, e.reason, origin])
        return db.lastInsertedRowID
    }

    static func standing(_ db: Database, account: String, nowMillis: Int64) throws -> AccountStanding {
        func active(_ kind: Sanction.Kind) throws -> Sanction? {
            // The one that ends last (for good first).
            guard let row = try Row.fetchOne(db, sql: """
                SELECT * FROM sanctions WHERE account_id = ? AND kind = ? AND lifted_at_ms IS NULL AND starts_at_ms <= ?
                AND (ends_at_ms IS NULL OR ends_at_ms > ?) ORDER BY ends_at_ms IS NULL DESC, ends_at_ms DESC LIMIT 1
                """, arguments: [account, kind.rawValue, nowMillis, nowMillis]) else { return nil }
            return Sanction(accountID: row["account_id"], kind: kind, startsAtMillis: row["starts_at_ms"], endsAtMillis: row["ends_at_ms"],
                            reason: row["reason"], actor: row["actor"])
        }
        let blocked = try String.fetchAll(db, sql: "SELECT blocked_account FROM blocks WHERE blocker_account = ? ORDER BY blocked_account LIMIT ?",
                                          arguments: [account, blocksPerAccountMax])
        let versions = try String.fetchAll(db, sql: "SELECT version FROM ethics_acceptances WHERE account_id = ? ORDER BY version", arguments: [account])
        return AccountStanding(ban: try active(.ban), mute: try active(.mute), blocked: blocked, ethicsVersions: versions)
    }

    static func audit(_ db: Database, sql: String, arguments: StatementArguments) throws -> [AuditEntry] {
        try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
            AuditEntry(id: row["id"], atMillis: row["at_ms"], actor: row["actor"], action: Schema.AuditAction(rawValue: row["action"]) ?? .warn,
                       targetAccount: row["target_account"], reportID: row["report_id"], untilMillis: row["until_ms"], reason: row["reason"],
                       runID: row["run_id"])
        }
    }
}

extension Store {
    /// Applies one write now, in its own transaction: for operators' commands and tests (the
    /// server goes through its writer thread instead).
    @discardableResult
    public func perform(_ write: StoreWrite) throws -> StoreOutcome {
        do {
            return try pool.write { db in try write.apply(db) }
        } catch let refused as DatabaseError {
            // Worded as PostgresStore words the same refusal, so that a tool says one thing on both.
            throw StoreError("writing to \(path): the \(write.kind) was refused: \(refused.message ?? "\(refused.resultCode)") (SQLite \(refused.extendedResultCode.rawValue))")
        }
    }

    /// Reports, newest first: open ones only unless `includeResolved`.
    public func userReports(includeResolved: Bool = false, limit: Int = 50) throws -> [UserReport] {
        try pool.read { db in
            let filter = includeResolved ? "" : "WHERE resolved_at_ms IS NULL"
            return try Row.fetchAll(db, sql: "SELECT * FROM user_reports \(filter) ORDER BY created_at_ms DESC, id DESC LIMIT ?", arguments: [limit])
                .map(Self.userReport)
        }
    }

    public func userReport(id: Int64) throws -> UserReport? {
        try pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM user_reports WHERE id = ?", arguments: [id]).map(Self.userReport) }
    }

    /// The audit trail, newest first; only about `account` when given.
    public func auditEntries(account: String? = nil, limit: Int = 100) throws -> [AuditEntry] {
        try pool.read { db in
            if let account {
                return try StoreWrite.audit(db, sql: "SELECT * FROM audit_log WHERE target_account = ? OR actor = ? ORDER BY id DESC LIMIT ?",
                                            arguments: [account, account, limit])
            }
            return try StoreWrite.audit(db, sql: "SELECT * FROM audit_log ORDER BY id DESC LIMIT ?", arguments: [limit])
        }
    }

    /// The newest audit row's id (0 for none): the server polls for rows after it.
    public func lastAuditID() throws -> Int64 {
        try pool.read { db in try Int64.fetchOne(db, sql: "SELECT max(id) FROM audit_log") ?? 0 }
    }

    public func standing(of account: String, nowMillis: Int64) throws -> AccountStanding {
        try pool.read { db in try StoreWrite.standing(db, account: account, nowMillis: nowMillis) }
    }

    /// How many of an account's messages the filter masked.
    public func filteredCount(of account: String) throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: "SELECT filtered FROM filter_counts WHERE account_id = ?", arguments: [account]) ?? 0 }
    }

    static func userReport(_ row: Row) -> UserReport {
        var r = UserReport(reporterAccount: row["reporter_account"], reporterSession: UInt64(bitPattern: row["reporter_session"]),
                           reportedAccount: row["reported_account"], reportedName: row["reported_name"],
                           reportedEntity: (row["reported_entity"] as Int64?).map { UInt32(truncatingIfNeeded: $0) },
                           reason: Schema.ReportReason(rawValue: row["reason"]) ?? .other, description: row["description"],
                           spaceID: row["space_id"], tick: row["tick"], recordingFile: row["recording_file"], recordingTick: row["recording_tick"],
                           evidenceJSON: row["evidence"], createdAtMillis: row["created_at_ms"])
        r.id = row["id"]
        r.resolvedAtMillis = row["resolved_at_ms"]
        r.resolvedBy = row["resolved_by"]
        r.resolution = row["resolution"]
        return r
    }
}

extension StoreRead {
    /// The read on one snapshot of the SQLite file.
    func apply(_ db: Database) throws -> StoreOutcome {
        switch self {
        case .standing(let account, let now):
            return .standing(try StoreWrite.standing(db, account: account, nowMillis: now))
        case .auditSince(let id, let limit):
            return .audit(try StoreWrite.audit(db, sql: "SELECT * FROM audit_log WHERE id > ? ORDER BY id LIMIT ?", arguments: [id, limit]))
        case .liveNotices(let now):
            return .notices(try Row.fetchAll(db, sql: "SELECT * FROM notices WHERE ends_at_ms > ? ORDER BY id", arguments: [now]).map(NoticeRecord.init(row:)))
        case .noticesRead(let account, let now):
            return .ids(try Int64.fetchAll(db, sql: """
                SELECT r.notice_id FROM notice_reads r JOIN notices n ON n.id = r.notice_id
                WHERE r.account_id = ? AND n.ends_at_ms > ? ORDER BY r.notice_id
                """, arguments: [account, now]))
        case .suggestion, .suggestionsOf, .suggestionQueue, .answeredSuggestions, .inbox:
            return try applySuggestion(db)
        case .tutorialProgress(let account):
            return .strings(try String.fetchAll(db, sql: "SELECT step_id FROM tutorial_progress WHERE account_id = ? ORDER BY step_id", arguments: [account]))
        }
    }
}
