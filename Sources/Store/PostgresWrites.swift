// Each `StoreWrite` in PostgreSQL's words: the same rows and the same outcomes as
// `StoreWrite.apply` on SQLite (Records.swift, Moderation.swift), statement for statement.
// The values are bound parameters (`\(value)` in a PostgresQuery is `$n`, never text).
// Differences: `RETURNING id` for SQLite's last row id, the command's row count for its
// changes count, and `GREATEST` for its two-argument `max`.

import PostgresNIO

extension PostgresStore {
    func apply(_ write: StoreWrite, _ c: PostgresConnection, origin: Int64?) throws -> StoreOutcome {
        switch write {
        case .heartbeat(let run, let at):
            try self.run(c, "UPDATE server_runs SET heartbeat_at_ms = GREATEST(heartbeat_at_ms, \(at)) WHERE id = \(run)")
            return .none
        case .runStopped(let run, let at):
            try self.run(c, """
                UPDATE server_runs SET heartbeat_at_ms = GREATEST(heartbeat_at_ms, \(at)), stopped_at_ms = GREATEST(heartbeat_at_ms, \(at)),
                    stop_reason = 'stopped' WHERE id = \(run)
                """)
            return .none
        case .accountSeen(let account, let name, let roles, let at):
            try self.run(c, """
                INSERT INTO accounts (account_id, display_name, roles, first_seen_at_ms, last_seen_at_ms) VALUES (\(account), \(name), \(roles), \(at), \(at))
                ON CONFLICT (account_id) DO UPDATE SET display_name = excluded.display_name, roles = excluded.roles,
                    last_seen_at_ms = GREATEST(accounts.last_seen_at_ms, excluded.last_seen_at_ms)
                """)
            return .none
        case .visitOpened(let v):
            try self.run(c, """
                INSERT INTO visits (id, run_id, session_id, account_id, role, space_id, entered_at_ms)
                VALUES (\(v.visitID), \(v.runID), \(Int64(bitPattern: v.sessionID)), \(v.accountID), \(v.role), \(v.spaceID), \(v.enteredAtMillis))
                """)
            return .id(v.visitID)
        case .visitClosed(let id, let at, let reason):
            try self.run(c, """
                UPDATE visits SET left_at_ms = GREATEST(entered_at_ms, \(at)), end_reason = \(reason.rawValue) WHERE id = \(id) AND left_at_ms IS NULL
                """)
            return .none
        case .serviceEvent(let e):
            return .id(try id(c, """
                INSERT INTO service_events (service, kind, account_id, at_ms, duration_ms, outcome)
                VALUES (\(e.service), \(e.kind), \(e.accountID), \(e.atMillis), \(e.durationMillis), \(e.outcome)) RETURNING id
                """))
        case .bugReport(let r):
            return .id(try id(c, """
                INSERT INTO bug_reports (run_id, session_id, account_id, role, description, space_id, floor, x_cm, y_cm, tick, server_version, created_at_ms)
                VALUES (\(r.runID), \(Int64(bitPattern: r.sessionID)), \(r.accountID), \(r.role), \(r.description), \(r.spaceID), \(r.floor),
                    \(r.xCentimetres), \(r.yCentimetres), \(r.tick), \(r.serverVersion), \(r.createdAtMillis)) RETURNING id
                """))
        case .prune(let before, let limit):
            return .count(try prune(c, before: before, limit: limit))
        case .sanction(let s):
            let id = try id(c, """
                INSERT INTO sanctions (account_id, kind, starts_at_ms, ends_at_ms, reason, actor)
                VALUES (\(s.accountID), \(s.kind.rawValue), \(s.startsAtMillis), \(s.endsAtMillis), \(s.reason), \(s.actor)) RETURNING id
                """)
            try insertAudit(c, origin: origin, AuditEntry(atMillis: s.startsAtMillis, actor: s.actor, action: s.kind == .ban ? .ban : .mute,
                                                         targetAccount: s.accountID, untilMillis: s.endsAtMillis, reason: s.reason))
            return .id(id)
        case .liftSanctions(let account, let kind, let at, let actor, let reason):
            let changed = try count(c, """
                UPDATE sanctions SET lifted_at_ms = \(at), lifted_by = \(actor)
                WHERE account_id = \(account) AND kind = \(kind.rawValue) AND lifted_at_ms IS NULL AND (ends_at_ms IS NULL OR ends_at_ms > \(at))
                """)
            if changed > 0 {
                try insertAudit(c, origin: origin, AuditEntry(atMillis: at, actor: actor, action: kind == .ban ? .unban : .unmute, targetAccount: account, reason: reason))
            }
            return .count(changed)
        case .audit(let entry):
            return .id(try insertAudit(c, origin: origin, entry))
        case .block(let blocker, let blocked, let at):
            return .count(try count(c, """
                INSERT INTO blocks (blocker_account, blocked_account, created_at_ms) VALUES (\(blocker), \(blocked), \(at)) ON CONFLICT DO NOTHING
                """))
        case .unblock(let blocker, let blocked):
            return .count(try count(c, "DELETE FROM blocks WHERE blocker_account = \(blocker) AND blocked_account = \(blocked)"))
        case .userReport(let r):
            return .id(try id(c, """
                INSERT INTO user_reports (reporter_account, reporter_session, reported_account, reported_name, reported_entity, reason,
                    description, space_id, tick, recording_file, recording_tick, evidence, created_at_ms)
                VALUES (\(r.reporterAccount), \(Int64(bitPattern: r.reporterSession)), \(r.reportedAccount), \(r.reportedName),
                    \(r.reportedEntity.map { Int64($0) }), \(r.reason.rawValue), \(r.description), \(r.spaceID), \(r.tick), \(r.recordingFile),
                    \(r.recordingTick), \(r.evidenceJSON), \(r.createdAtMillis)) RETURNING id
                """))
        case .resolveReport(let id, let actor, let resolution, let at):
            let target = try self.run(c, """
                UPDATE user_reports SET resolved_at_ms = \(at), resolved_by = \(actor), resolution = \(resolution)
                WHERE id = \(id) AND resolved_at_ms IS NULL RETURNING reported_account
                """).rows.map { try $0.decode(String?.self) }
            if let reported = target.first {
                try insertAudit(c, origin: origin, AuditEntry(atMillis: at, actor: actor, action: .resolveReport, targetAccount: reported, reportID: id, reason: resolution))
            }
            return .count(Int64(target.count))
        case .filterHit(let account, let at):
            try self.run(c, """
                INSERT INTO filter_counts (account_id, filtered, last_at_ms) VALUES (\(account), 1, \(at))
                ON CONFLICT (account_id) DO UPDATE SET filtered = filter_counts.filtered + 1,
                    last_at_ms = GREATEST(filter_counts.last_at_ms, excluded.last_at_ms)
                """)
            return .none
        case .loadStanding(let account, let now):
            return .standing(try standing(c, account: account, nowMillis: now))
        case .auditSince(let after, let limit):
            return .audit(try audit(c, "SELECT \(unescaped: Self.auditColumns) FROM audit_log WHERE id > \(after) ORDER BY id LIMIT \(limit)"))
        }
    }

    func id(_ c: PostgresConnection, _ query: PostgresQuery) throws -> Int64 {
        guard let row = try run(c, query).rows.first else { throw StoreError("an INSERT returned no id") }
        return try row.decode(Int64.self)
    }

    func count(_ c: PostgresConnection, _ query: PostgresQuery) throws -> Int64 {
        Int64(try run(c, query).metadata.rows ?? 0)
    }

    @discardableResult
    func insertAudit(_ c: PostgresConnection, origin: Int64?, _ e: AuditEntry) throws -> Int64 {
        try id(c, """
            INSERT INTO audit_log (at_ms, actor, action, target_account, report_id, until_ms, reason, run_id)
            VALUES (\(e.atMillis), \(e.actor), \(e.action.rawValue), \(e.targetAccount), \(e.reportID), \(e.untilMillis), \(e.reason), \(origin)) RETURNING id
            """)
    }

    /// As SQLite's `StoreWrite.prune`: old finished rows in small batches, then what no kept
    /// row names.
    func prune(_ c: PostgresConnection, before: Int64, limit: Int) throws -> Int64 {
        var deleted: Int64 = 0
        deleted += try count(c, "DELETE FROM visits WHERE id IN (SELECT id FROM visits WHERE entered_at_ms < \(before) AND left_at_ms IS NOT NULL LIMIT \(limit))")
        deleted += try count(c, "DELETE FROM service_events WHERE id IN (SELECT id FROM service_events WHERE at_ms < \(before) LIMIT \(limit))")
        deleted += try count(c, "DELETE FROM bug_reports WHERE id IN (SELECT id FROM bug_reports WHERE created_at_ms < \(before) LIMIT \(limit))")
        deleted += try count(c, """
            DELETE FROM accounts WHERE account_id IN (
                SELECT a.account_id FROM accounts a WHERE a.last_seen_at_ms < \(before)
                AND NOT EXISTS (SELECT 1 FROM visits v WHERE v.account_id = a.account_id)
                AND NOT EXISTS (SELECT 1 FROM service_events e WHERE e.account_id = a.account_id)
                AND NOT EXISTS (SELECT 1 FROM bug_reports b WHERE b.account_id = a.account_id)
                LIMIT \(limit))
            """)
        deleted += try count(c, """
            DELETE FROM server_runs WHERE id IN (
                SELECT r.id FROM server_runs r WHERE r.stopped_at_ms IS NOT NULL AND r.stopped_at_ms < \(before)
                AND NOT EXISTS (SELECT 1 FROM visits v WHERE v.run_id = r.id)
                AND NOT EXISTS (SELECT 1 FROM bug_reports b WHERE b.run_id = r.id)
                LIMIT \(limit))
            """)
        return deleted
    }

    func standing(_ c: PostgresConnection, account: String, nowMillis: Int64) throws -> AccountStanding {
        func active(_ kind: Sanction.Kind) throws -> Sanction? {
            // The one that ends last (for good first).
            guard let row = try run(c, """
                SELECT starts_at_ms, ends_at_ms, reason, actor FROM sanctions WHERE account_id = \(account) AND kind = \(kind.rawValue)
                AND lifted_at_ms IS NULL AND starts_at_ms <= \(nowMillis) AND (ends_at_ms IS NULL OR ends_at_ms > \(nowMillis))
                ORDER BY ends_at_ms IS NULL DESC, ends_at_ms DESC LIMIT 1
                """).rows.first else { return nil }
            let (starts, ends, reason, actor) = try row.decode((Int64, Int64?, String, String).self)
            return Sanction(accountID: account, kind: kind, startsAtMillis: starts, endsAtMillis: ends, reason: reason, actor: actor)
        }
        let blocked = try run(c, """
            SELECT blocked_account FROM blocks WHERE blocker_account = \(account) ORDER BY blocked_account LIMIT \(blocksPerAccountMax)
            """).rows.map { try $0.decode(String.self) }
        return AccountStanding(ban: try active(.ban), mute: try active(.mute), blocked: blocked)
    }

    static let auditColumns = "id, at_ms, actor, action, target_account, report_id, until_ms, reason, run_id"

    func audit(_ c: PostgresConnection, _ query: PostgresQuery) throws -> [AuditEntry] {
        try run(c, query).rows.map { row in
            let (id, at, actor, action, target, report, until, reason, runID) =
                try row.decode((Int64, Int64, String, String, String?, Int64?, Int64?, String, Int64?).self)
            return AuditEntry(id: id, atMillis: at, actor: actor, action: Schema.AuditAction(rawValue: action) ?? .warn, targetAccount: target,
                              reportID: report, untilMillis: until, reason: reason, runID: runID)
        }
    }
}
