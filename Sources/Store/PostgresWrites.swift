// Each `StoreWrite` in PostgreSQL's words: the same rows and the same outcomes as
// `StoreWrite.apply` on SQLite (Records.swift, Moderation.swift). The values are bound
// parameters (`\(value)` in a PostgresQuery is `$n`, never text). Differences: `RETURNING id`
// for SQLite's last row id, the command's row count for its changes count, `GREATEST` for its
// two-argument `max`, a statement that SQLite runs only after reading the one before (the
// audit row of a lift or a resolve) written as one statement with a CTE, and runs of inserts of
// one kind written as one statement of many rows (`insertMany`), their ids taken in order from
// the table's sequence first.

import NIOCore
import PostgresNIO

extension PostgresStore {
    /// Sends the write's statements without waiting for their answers (they run in order on
    /// the connection, pipelined with the rest of the transaction); the future holds its outcome.
    /// A write whose second statement depends on its first says so in one statement (a CTE),
    /// so that nothing waits.
    func send(_ write: StoreWrite, _ c: PostgresConnection, origin: Int64?) -> EventLoopFuture<StoreOutcome> {
        switch write {
        case .heartbeat(let run, let at):
            return none(c, "UPDATE server_runs SET heartbeat_at_ms = GREATEST(heartbeat_at_ms, \(at)) WHERE id = \(run)")
        case .runStopped(let run, let at):
            return none(c, """
                UPDATE server_runs SET heartbeat_at_ms = GREATEST(heartbeat_at_ms, \(at)), stopped_at_ms = GREATEST(heartbeat_at_ms, \(at)),
                    stop_reason = 'stopped' WHERE id = \(run)
                """)
        case .accountSeen(let account, let name, let roles, let at):
            return none(c, """
                INSERT INTO accounts (account_id, display_name, roles, first_seen_at_ms, last_seen_at_ms) VALUES (\(account), \(name), \(roles), \(at), \(at))
                ON CONFLICT (account_id) DO UPDATE SET display_name = excluded.display_name, roles = excluded.roles,
                    last_seen_at_ms = GREATEST(accounts.last_seen_at_ms, excluded.last_seen_at_ms)
                """)
        case .visitOpened(let v):
            return query(c, """
                INSERT INTO visits (id, run_id, session_id, account_id, role, space_id, entered_at_ms)
                VALUES (\(v.visitID), \(v.runID), \(Int64(bitPattern: v.sessionID)), \(v.accountID), \(v.role), \(v.spaceID), \(v.enteredAtMillis))
                """).map { _ in .id(v.visitID) }
        case .visitClosed(let id, let at, let reason):
            return none(c, """
                UPDATE visits SET left_at_ms = GREATEST(entered_at_ms, \(at)), end_reason = \(reason.rawValue) WHERE id = \(id) AND left_at_ms IS NULL
                """)
        case .serviceEvent(let e):
            return id(c, """
                INSERT INTO service_events (service, kind, account_id, at_ms, duration_ms, outcome)
                VALUES (\(e.service), \(e.kind), \(e.accountID), \(e.atMillis), \(e.durationMillis), \(e.outcome)) RETURNING id
                """)
        case .bugReport(let r):
            return id(c, """
                INSERT INTO bug_reports (run_id, session_id, account_id, role, description, space_id, floor, x_cm, y_cm, tick, server_version, created_at_ms)
                VALUES (\(r.runID), \(Int64(bitPattern: r.sessionID)), \(r.accountID), \(r.role), \(r.description), \(r.spaceID), \(r.floor),
                    \(r.xCentimetres), \(r.yCentimetres), \(r.tick), \(r.serverVersion), \(r.createdAtMillis)) RETURNING id
                """)
        case .prune(let before, let limit):
            return prune(c, before: before, limit: limit).map { .count($0) }
        case .sanction(let s):
            let audit = AuditEntry(atMillis: s.startsAtMillis, actor: s.actor, action: s.kind == .ban ? .ban : .mute, targetAccount: s.accountID,
                                   untilMillis: s.endsAtMillis, reason: s.reason)
            let sanction = id(c, """
                INSERT INTO sanctions (account_id, kind, starts_at_ms, ends_at_ms, reason, actor)
                VALUES (\(s.accountID), \(s.kind.rawValue), \(s.startsAtMillis), \(s.endsAtMillis), \(s.reason), \(s.actor)) RETURNING id
                """)
            return sanction.and(insertAudit(c, origin: origin, audit)).map { outcome, _ in outcome }
        case .liftSanctions(let account, let kind, let at, let actor, let reason):
            // The audit row only when something was lifted: one statement.
            return count(c, """
                WITH lifted AS (
                    UPDATE sanctions SET lifted_at_ms = \(at), lifted_by = \(actor)
                    WHERE account_id = \(account) AND kind = \(kind.rawValue) AND lifted_at_ms IS NULL AND (ends_at_ms IS NULL OR ends_at_ms > \(at))
                    RETURNING 1
                ), audit AS (
                    INSERT INTO audit_log (at_ms, actor, action, target_account, report_id, until_ms, reason, run_id)
                    SELECT \(at), \(actor), \((kind == .ban ? Schema.AuditAction.unban : .unmute).rawValue), \(account), NULL, NULL, \(reason), \(origin)
                    WHERE EXISTS (SELECT 1 FROM lifted)
                )
                SELECT count(*) FROM lifted
                """)
        case .audit(let entry):
            return insertAudit(c, origin: origin, entry).map { .id($0) }
        case .block(let blocker, let blocked, let at):
            return changes(c, """
                INSERT INTO blocks (blocker_account, blocked_account, created_at_ms) VALUES (\(blocker), \(blocked), \(at)) ON CONFLICT DO NOTHING
                """)
        case .unblock(let blocker, let blocked):
            return changes(c, "DELETE FROM blocks WHERE blocker_account = \(blocker) AND blocked_account = \(blocked)")
        case .userReport(let r):
            return id(c, """
                INSERT INTO user_reports (reporter_account, reporter_session, reported_account, reported_name, reported_entity, reason,
                    description, space_id, tick, recording_file, recording_tick, evidence, created_at_ms)
                VALUES (\(r.reporterAccount), \(Int64(bitPattern: r.reporterSession)), \(r.reportedAccount), \(r.reportedName),
                    \(r.reportedEntity.map { Int64($0) }), \(r.reason.rawValue), \(r.description), \(r.spaceID), \(r.tick), \(r.recordingFile),
                    \(r.recordingTick), \(r.evidenceJSON), \(r.createdAtMillis)) RETURNING id
                """)
        case .resolveReport(let id, let actor, let resolution, let at):
            // The reporter's inbox message (Moderation.swift, ReportOutcome) in the same statement.
            let acted = ReportOutcome.message(reportID: id, reporter: "", acted: true, atMillis: at)
            let reviewed = ReportOutcome.message(reportID: id, reporter: "", acted: false, atMillis: at)
            let resolved = count(c, """
                WITH resolved AS (
                    UPDATE user_reports SET resolved_at_ms = \(at), resolved_by = \(actor), resolution = \(resolution)
                    WHERE id = \(id) AND resolved_at_ms IS NULL RETURNING reported_account, reporter_account, created_at_ms
                ), audit AS (
                    INSERT INTO audit_log (at_ms, actor, action, target_account, report_id, until_ms, reason, run_id)
                    SELECT \(at), \(actor), \(Schema.AuditAction.resolveReport.rawValue), reported_account, \(id), NULL, \(resolution), \(origin) FROM resolved
                ), told AS (
                    INSERT INTO inbox (account_id, kind, title, body, reference, created_at_ms)
                    SELECT r.reporter_account, 'report-outcome',
                        CASE WHEN x.acted THEN \(acted.title) ELSE \(reviewed.title) END, CASE WHEN x.acted THEN \(acted.body) ELSE \(reviewed.body) END,
                        \(acted.reference), \(at)
                    FROM resolved r CROSS JOIN LATERAL (SELECT EXISTS (
                        SELECT 1 FROM audit_log a WHERE a.target_account = r.reported_account AND a.at_ms >= r.created_at_ms
                        AND a.action IN ('warn', 'kick', 'mute', 'ban')) AS acted) x
                    WHERE r.reporter_account IS NOT NULL
                )
                SELECT count(*) FROM resolved
                """)
            _ = none(c, """
                DELETE FROM inbox WHERE id IN (SELECT id FROM inbox WHERE account_id = (SELECT reporter_account FROM user_reports WHERE id = \(id))
                    ORDER BY read_at_ms IS NULL, id
                    LIMIT GREATEST(0, (SELECT count(*) FROM inbox WHERE account_id = (SELECT reporter_account FROM user_reports WHERE id = \(id))) - \(inboxPerAccountMax)))
                """)
            return resolved
        case .filterHit(let account, let at):
            return none(c, """
                INSERT INTO filter_counts (account_id, filtered, last_at_ms) VALUES (\(account), 1, \(at))
                ON CONFLICT (account_id) DO UPDATE SET filtered = filter_counts.filtered + 1,
                    last_at_ms = GREATEST(filter_counts.last_at_ms, excluded.last_at_ms)
                """)
        case .notice(let n):
            return id(c, """
                INSERT INTO notices (title_ko, title_en, body_ko, body_en, category, starts_at_ms, ends_at_ms, target_spaces, pinned, author, created_at_ms)
                VALUES (\(n.titleKo), \(n.titleEn), \(n.bodyKo), \(n.bodyEn), \(n.category), \(n.startsAtMillis), \(n.endsAtMillis), \(n.targetColumn),
                    \(n.pinned ? 1 : 0), \(n.author), \(n.createdAtMillis)) RETURNING id
                """)
        case .withdrawNotice(let id, let by, let at):
            return changes(c, "UPDATE notices SET withdrawn_by = \(by), withdrawn_at_ms = \(at) WHERE id = \(id) AND withdrawn_at_ms IS NULL")
        case .noticesRead(let account, let ids, let at):
            return none(c, """
                INSERT INTO notice_reads (account_id, notice_id, read_at_ms) SELECT \(account), id, \(at) FROM notices WHERE id = ANY(\(ids))
                ON CONFLICT (account_id, notice_id) DO NOTHING
                """)
        case .fileSuggestion, .takeSuggestion, .respondSuggestion, .inbox, .inboxRead:
            return sendSuggestion(write, c)
        case .ethicsAccepted(let account, let version, let at):
            return none(c, """
                INSERT INTO ethics_acceptances (account_id, version, accepted_at_ms) VALUES (\(account), \(version), \(at))
                ON CONFLICT (account_id, version) DO NOTHING
                """)
        case .tutorialStep(let account, let step, let at):
            return none(c, """
                INSERT INTO tutorial_progress (account_id, step_id, done_at_ms) VALUES (\(account), \(step), \(at))
                ON CONFLICT (account_id, step_id) DO NOTHING
                """)
        }
    }

    /// A server's read (StoreRead), in a read-only transaction of its own.
    public func read(_ r: StoreRead) throws -> StoreOutcome {
        try inTransaction("reading \(r.kind) from \(name)", begin: Self.snapshot) { c in
            switch r {
            case .standing(let account, let now):
                return .standing(try standing(c, account: account, nowMillis: now).wait())
            case .auditSince(let after, let limit):
                return .audit(try audit(c, "SELECT \(unescaped: Self.auditColumns) FROM audit_log WHERE id > \(after) ORDER BY id LIMIT \(limit)").wait())
            case .liveNotices(let now):
                return .notices(try notices(c, "SELECT \(unescaped: NoticeRecord.columns) FROM notices WHERE ends_at_ms > \(now) ORDER BY id").wait())
            case .noticesRead(let account, let now):
                let rows = try query(c, """
                    SELECT r.notice_id FROM notice_reads r JOIN notices n ON n.id = r.notice_id
                    WHERE r.account_id = \(account) AND n.ends_at_ms > \(now) ORDER BY r.notice_id
                    """).wait()
                return .ids(try rows.map { try $0.decode(Int64.self) })
            case .suggestion, .suggestionsOf, .suggestionQueue, .answeredSuggestions, .inbox:
                return try readSuggestion(r, c)
            case .tutorialProgress(let account):
                let rows = try query(c, "SELECT step_id FROM tutorial_progress WHERE account_id = \(account) ORDER BY step_id").wait()
                return .strings(try rows.rows.map { try $0.decode(String.self) })
            }
        }
    }

    func query(_ c: PostgresConnection, _ query: PostgresQuery) -> EventLoopFuture<PostgresQueryResult> { c.query(query, logger: logger) }

    /// The most rows in one statement (PostgreSQL takes at most 65,535 bound values; a bug
    /// report has 13).
    static let rowsPerStatementMax = 2_000

    /// The table a write inserts one row into, when runs of it can go as one statement.
    static func manyRows(_ write: StoreWrite) -> String? {
        switch write {
        case .bugReport: return "bug_reports"
        case .serviceEvent: return "service_events"
        case .visitOpened: return "visits"
        default: return nil
        }
    }

    /// A run of inserts into one table (`manyRows`) as one statement; the outcomes in order. The
    /// ids of bug reports and service events are taken from the table's sequence first (in
    /// order, and unique among every writer), then written explicitly.
    func insertMany(_ writes: ArraySlice<StoreWrite>, _ c: PostgresConnection) throws -> [StoreOutcome] {
        guard let table = Self.manyRows(writes.first!) else { preconditionFailure("not a run of inserts") }
        var ids: [Int64] = []
        if table != "visits" {
            ids = try run(c, "SELECT nextval(pg_get_serial_sequence(\(table), 'id')) FROM generate_series(1, \(writes.count))")
                .rows.map { try $0.decode(Int64.self) }.sorted()
            guard ids.count == writes.count else { throw StoreError("the sequence of \(table) gave \(ids.count) ids for \(writes.count) rows") }
        }
        var binds = PostgresBindings(capacity: writes.count * 13)
        var rows: [String] = []
        rows.reserveCapacity(writes.count)
        var columns = 0
        func row(_ append: (inout PostgresBindings) -> Void) {
            let first = binds.count
            append(&binds)
            columns = binds.count - first
            rows.append("(" + (first + 1...binds.count).map { "$\($0)" }.joined(separator: ", ") + ")")
        }
        var outcomes: [StoreOutcome] = []
        for (n, write) in writes.enumerated() {
            switch write {
            case .bugReport(let r):
                row { b in
                    b.append(ids[n]); b.append(r.runID); b.append(Int64(bitPattern: r.sessionID)); b.append(r.accountID); b.append(r.role)
                    b.append(r.description); b.append(r.spaceID); b.append(r.floor); b.append(r.xCentimetres); b.append(r.yCentimetres)
                    b.append(r.tick); b.append(r.serverVersion); b.append(r.createdAtMillis)
                }
                outcomes.append(.id(ids[n]))
            case .serviceEvent(let e):
                row { b in
                    b.append(ids[n]); b.append(e.service); b.append(e.kind); b.append(e.accountID); b.append(e.atMillis)
                    b.append(e.durationMillis); b.append(e.outcome)
                }
                outcomes.append(.id(ids[n]))
            case .visitOpened(let v):
                row { b in
                    b.append(v.visitID); b.append(v.runID); b.append(Int64(bitPattern: v.sessionID)); b.append(v.accountID); b.append(v.role)
                    b.append(v.spaceID); b.append(v.enteredAtMillis)
                }
                outcomes.append(.id(v.visitID))
            default:
                preconditionFailure("not an insert into \(table)")
            }
        }
        let names: String
        switch table {
        case "bug_reports": names = "id, run_id, session_id, account_id, role, description, space_id, floor, x_cm, y_cm, tick, server_version, created_at_ms"
        case "service_events": names = "id, service, kind, account_id, at_ms, duration_ms, outcome"
        default: names = "id, run_id, session_id, account_id, role, space_id, entered_at_ms"
        }
        assert(names.split(separator: ",").count == columns)
        try run(c, PostgresQuery(unsafeSQL: "INSERT INTO \(table) (\(names)) VALUES " + rows.joined(separator: ", "), binds: binds))
        return outcomes
    }

    func none(_ c: PostgresConnection, _ q: PostgresQuery) -> EventLoopFuture<StoreOutcome> { query(c, q).map { _ in .none } }

    /// The id an INSERT ... RETURNING id gave.
    func id(_ c: PostgresConnection, _ q: PostgresQuery) -> EventLoopFuture<StoreOutcome> {
        query(c, q).flatMapThrowing { result in
            guard let row = result.rows.first else { throw StoreError("an INSERT returned no id") }
            return .id(try row.decode(Int64.self))
        }
    }

    /// The rows a statement changed (its command tag).
    func changes(_ c: PostgresConnection, _ q: PostgresQuery) -> EventLoopFuture<StoreOutcome> {
        query(c, q).map { .count(Int64($0.metadata.rows ?? 0)) }
    }

    /// The count a SELECT count(*) gave.
    func count(_ c: PostgresConnection, _ q: PostgresQuery) -> EventLoopFuture<StoreOutcome> {
        query(c, q).flatMapThrowing { .count(try $0.rows.first?.decode(Int64.self) ?? 0) }
    }

    func insertAudit(_ c: PostgresConnection, origin: Int64?, _ e: AuditEntry) -> EventLoopFuture<Int64> {
        query(c, """
            INSERT INTO audit_log (at_ms, actor, action, target_account, report_id, until_ms, reason, run_id)
            VALUES (\(e.atMillis), \(e.actor), \(e.action.rawValue), \(e.targetAccount), \(e.reportID), \(e.untilMillis), \(e.reason), \(origin)) RETURNING id
            """).flatMapThrowing { result in
            guard let row = result.rows.first else { throw StoreError("an INSERT returned no id") }
            return try row.decode(Int64.self)
        }
    }

    /// As SQLite's `StoreWrite.prune`: old finished rows in small batches, then what no kept
    /// row names.
    func prune(_ c: PostgresConnection, before: Int64, limit: Int) -> EventLoopFuture<Int64> {
        let statements: [PostgresQuery] = [
            "DELETE FROM visits WHERE id IN (SELECT id FROM visits WHERE entered_at_ms < \(before) AND left_at_ms IS NOT NULL LIMIT \(limit))",
            "DELETE FROM service_events WHERE id IN (SELECT id FROM service_events WHERE at_ms < \(before) LIMIT \(limit))",
            "DELETE FROM bug_reports WHERE id IN (SELECT id FROM bug_reports WHERE created_at_ms < \(before) LIMIT \(limit))",
            "DELETE FROM notices WHERE id IN (SELECT id FROM notices WHERE ends_at_ms < \(before) LIMIT \(limit))",
            """
            DELETE FROM accounts WHERE account_id IN (
                SELECT a.account_id FROM accounts a WHERE a.last_seen_at_ms < \(before)
                AND NOT EXISTS (SELECT 1 FROM visits v WHERE v.account_id = a.account_id)
                AND NOT EXISTS (SELECT 1 FROM service_events e WHERE e.account_id = a.account_id)
                AND NOT EXISTS (SELECT 1 FROM bug_reports b WHERE b.account_id = a.account_id)
                LIMIT \(limit))
            """,
            """
            DELETE FROM server_runs WHERE id IN (
                SELECT r.id FROM server_runs r WHERE r.stopped_at_ms IS NOT NULL AND r.stopped_at_ms < \(before)
                AND NOT EXISTS (SELECT 1 FROM visits v WHERE v.run_id = r.id)
                AND NOT EXISTS (SELECT 1 FROM bug_reports b WHERE b.run_id = r.id)
                LIMIT \(limit))
            """,
        ]
        let deleted = statements.map { query(c, $0).map { Int64($0.metadata.rows ?? 0) } }
        return EventLoopFuture.reduce(0, deleted, on: c.eventLoop, +)
    }

    func standing(_ c: PostgresConnection, account: String, nowMillis: Int64) -> EventLoopFuture<AccountStanding> {
        func active(_ kind: Sanction.Kind) -> EventLoopFuture<Sanction?> {
            // The one that ends last (for good first).
            query(c, """
                SELECT starts_at_ms, ends_at_ms, reason, actor FROM sanctions WHERE account_id = \(account) AND kind = \(kind.rawValue)
                AND lifted_at_ms IS NULL AND starts_at_ms <= \(nowMillis) AND (ends_at_ms IS NULL OR ends_at_ms > \(nowMillis))
                ORDER BY ends_at_ms IS NULL DESC, ends_at_ms DESC LIMIT 1
                """).flatMapThrowing { result in
                guard let row = result.rows.first else { return nil }
                let (starts, ends, reason, actor) = try row.decode((Int64, Int64?, String, String).self)
                return Sanction(accountID: account, kind: kind, startsAtMillis: starts, endsAtMillis: ends, reason: reason, actor: actor)
            }
        }
        let blocked = query(c, """
            SELECT blocked_account FROM blocks WHERE blocker_account = \(account) ORDER BY blocked_account LIMIT \(blocksPerAccountMax)
            """).flatMapThrowing { try $0.rows.map { try $0.decode(String.self) } }
        let versions = query(c, "SELECT version FROM ethics_acceptances WHERE account_id = \(account) ORDER BY version")
            .flatMapThrowing { try $0.rows.map { try $0.decode(String.self) } }
        return active(.ban).and(active(.mute)).and(blocked).and(versions).map { first, versions in
            AccountStanding(ban: first.0.0, mute: first.0.1, blocked: first.1, ethicsVersions: versions)
        }
    }

    static let auditColumns = "id, at_ms, actor, action, target_account, report_id, until_ms, reason, run_id"

    func notices(_ c: PostgresConnection, _ q: PostgresQuery) -> EventLoopFuture<[NoticeRecord]> {
        query(c, q).flatMapThrowing { result in
            try result.rows.map { row in
                let r = row.makeRandomAccess()
                return NoticeRecord(
                    id: try r[0].decode(Int64.self), titleKo: try r[1].decode(String?.self), titleEn: try r[2].decode(String?.self),
                    bodyKo: try r[3].decode(String?.self), bodyEn: try r[4].decode(String?.self), category: try r[5].decode(String.self),
                    startsAtMillis: try r[6].decode(Int64.self), endsAtMillis: try r[7].decode(Int64.self),
                    targetSpaces: NoticeRecord.spaces(try r[8].decode(String?.self)), pinned: try r[9].decode(Int64.self) == 1,
                    author: try r[10].decode(String.self), createdAtMillis: try r[11].decode(Int64.self),
                    withdrawnBy: try r[12].decode(String?.self), withdrawnAtMillis: try r[13].decode(Int64?.self))
            }
        }
    }

    func audit(_ c: PostgresConnection, _ q: PostgresQuery) -> EventLoopFuture<[AuditEntry]> {
        query(c, q).flatMapThrowing { result in
            try result.rows.map { row in
                let (id, at, actor, action, target, report, until, reason, runID) =
                    try row.decode((Int64, Int64, String, String, String?, Int64?, Int64?, String, Int64?).self)
                return AuditEntry(id: id, atMillis: at, actor: actor, action: Schema.AuditAction(rawValue: action) ?? .warn, targetAccount: target,
                                  reportID: report, untilMillis: until, reason: reason, runID: runID)
            }
        }
    }
}
