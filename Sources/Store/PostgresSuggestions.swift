import NIOCore
import PostgresNIO

// The suggestion box's and the inbox's writes and reads in PostgreSQL's words: the same rows and
// outcomes as Suggestions.swift on SQLite. Two differences, each for its reason: a filing first
// takes a lock on its account for the rest of the transaction (`pg_advisory_xact_lock`), so that
// two servers filing for one account at once count each other (SQLite has one writer); and a
// response writes its inbox row in the same statement (a CTE), only when the response was made.
extension PostgresStore {
    func sendSuggestion(_ write: StoreWrite, _ c: PostgresConnection) -> EventLoopFuture<StoreOutcome> {
        switch write {
        case .fileSuggestion(let s, let dayStart, let perDay):
            // Pipelined: the lock's statement ends (holding the lock) before the insert starts, and
            // the insert's snapshot, taken then, sees every filing committed before.
            _ = query(c, "SELECT pg_advisory_xact_lock(hashtextextended(\("suggestions:" + s.accountID), 0))")
            return query(c, """
                INSERT INTO suggestions (account_id, title, body, category, space_id, public_consent, state, filed_at_ms)
                SELECT \(s.accountID), \(s.title), \(s.body), \(s.category), \(s.spaceID), \(s.publicConsent ? 1 : 0), 'received', \(s.filedAtMillis)
                WHERE (SELECT count(*) FROM suggestions WHERE account_id = \(s.accountID) AND filed_at_ms >= \(dayStart)) < \(perDay)
                RETURNING id
                """).flatMapThrowing { result in
                guard let row = result.rows.first else { return .count(0) }
                return .id(try row.decode(Int64.self))
            }
        case .takeSuggestion(let id, let by, let at):
            return changes(c, "UPDATE suggestions SET state = 'in-review', handler = \(by), taken_at_ms = \(at) WHERE id = \(id) AND state = 'received'")
        case .respondSuggestion(let id, let state, let text, let by, let at, let m):
            let answered = query(c, """
                WITH responded AS (
                    UPDATE suggestions SET state = \(state), response = \(text), responded_by = \(by), responded_at_ms = \(at),
                        handler = coalesce(handler, \(by)), taken_at_ms = coalesce(taken_at_ms, \(at))
                    WHERE id = \(id) AND (state = 'received' OR (state = 'in-review' AND handler = \(by))) RETURNING id
                ), told AS (
                    INSERT INTO inbox (account_id, kind, title, body, reference, created_at_ms)
                    SELECT \(m.accountID), \(m.kind), \(m.title), \(m.body), \(m.reference), \(m.createdAtMillis) FROM responded RETURNING id
                )
                SELECT id FROM told
                """).flatMapThrowing { result -> StoreOutcome in
                guard let row = result.rows.first else { return .count(0) }
                return .id(try row.decode(Int64.self))
            }
            _ = trimInbox(c, account: m.accountID)
            return answered
        case .inbox(let m):
            let inserted = id(c, """
                INSERT INTO inbox (account_id, kind, title, body, reference, created_at_ms)
                VALUES (\(m.accountID), \(m.kind), \(m.title), \(m.body), \(m.reference), \(m.createdAtMillis)) RETURNING id
                """)
            _ = trimInbox(c, account: m.accountID)
            return inserted
        case .inboxRead(let account, let ids, let at):
            return none(c, "UPDATE inbox SET read_at_ms = \(at) WHERE id = ANY(\(ids)) AND account_id = \(account) AND read_at_ms IS NULL")
        default:
            preconditionFailure("\(write.kind) is not a suggestion or inbox write")
        }
    }

    /// Keeps the account's inbox within its limit: the oldest read messages go first.
    func trimInbox(_ c: PostgresConnection, account: String) -> EventLoopFuture<StoreOutcome> {
        none(c, """
            DELETE FROM inbox WHERE id IN (SELECT id FROM inbox WHERE account_id = \(account) ORDER BY read_at_ms IS NULL, id
                LIMIT GREATEST(0, (SELECT count(*) FROM inbox WHERE account_id = \(account)) - \(inboxPerAccountMax)))
            """)
    }

    func readSuggestion(_ r: StoreRead, _ c: PostgresConnection) throws -> StoreOutcome {
        switch r {
        case .suggestion(let id): return .suggestions(try suggestions(c, "SELECT \(unescaped: SuggestionRecord.columns) FROM suggestions WHERE id = \(id)").wait())
        case .suggestionsOf(let account, let offset, let limit):
            return .suggestions(try suggestions(c, "SELECT \(unescaped: SuggestionRecord.columns) FROM suggestions WHERE account_id = \(account) ORDER BY id DESC LIMIT \(limit) OFFSET \(offset)").wait())
        case .suggestionQueue(let offset, let limit):
            return .suggestions(try suggestions(c, "SELECT \(unescaped: SuggestionRecord.columns) FROM suggestions WHERE state IN ('received', 'in-review') ORDER BY id LIMIT \(limit) OFFSET \(offset)").wait())
        case .answeredSuggestions(let offset, let limit):
            return .suggestions(try suggestions(c, """
                SELECT \(unescaped: SuggestionRecord.columns) FROM suggestions WHERE state = 'answered' AND public_consent = 1 ORDER BY responded_at_ms DESC, id DESC LIMIT \(limit) OFFSET \(offset)
                """).wait())
        case .inbox(let account, let offset, let limit):
            let items = try query(c, """
                SELECT \(unescaped: InboxRecord.columns) FROM inbox WHERE account_id = \(account) ORDER BY id DESC LIMIT \(limit) OFFSET \(offset)
                """).wait().rows.map { row in
                let (id, account, kind, title, body, reference, created, read) = try row.decode((Int64, String, String, String, String, String?, Int64, Int64?).self)
                return InboxRecord(id: id, accountID: account, kind: kind, title: title, body: body, reference: reference, createdAtMillis: created, readAtMillis: read)
            }
            let counts = try query(c, "SELECT count(*), count(*) FILTER (WHERE read_at_ms IS NULL) FROM inbox WHERE account_id = \(account)").wait()
            let (total, unread) = try counts.rows.first!.decode((Int64, Int64).self)
            return .inbox(InboxPage(items: items, total: Int(total), unread: Int(unread)))
        default:
            preconditionFailure("\(r.kind) is not a suggestion or inbox read")
        }
    }

    func suggestions(_ c: PostgresConnection, _ q: PostgresQuery) -> EventLoopFuture<[SuggestionRecord]> {
        query(c, q).flatMapThrowing { result in
            try result.rows.map { row in
                let r = row.makeRandomAccess()
                return SuggestionRecord(
                    id: try r[0].decode(Int64.self), accountID: try r[1].decode(String.self), title: try r[2].decode(String.self), body: try r[3].decode(String.self),
                    category: try r[4].decode(String.self), spaceID: try r[5].decode(String?.self), publicConsent: try r[6].decode(Int64.self) == 1,
                    state: try r[7].decode(String.self), filedAtMillis: try r[8].decode(Int64.self), handler: try r[9].decode(String?.self),
                    takenAtMillis: try r[10].decode(Int64?.self), response: try r[11].decode(String?.self), respondedBy: try r[12].decode(String?.self),
                    respondedAtMillis: try r[13].decode(Int64?.self))
            }
        }
    }
}
