// The suggestion box's and the inbox's rows (docs/DATA.md, `suggestions` and `inbox`): the
// records the store keeps, and their writes and reads on SQLite (PostgreSQL's are in
// PostgresWrites.swift). The rules are Services' (SuggestionBox); this module knows only
// columns, and the two conditions the rows themselves must hold: a filing counted against the
// account's day in the same transaction as its insert, and a response only from a state that
// allows one, with the citizen's inbox row written with it.

import GRDB

public struct SuggestionRecord: Sendable, Hashable {
    public var id: Int64?
    public var accountID: String
    public var title: String
    public var body: String
    public var category: String
    public var spaceID: String?
    public var publicConsent: Bool
    /// received, in-review, answered, closed.
    public var state: String
    public var filedAtMillis: Int64
    public var handler: String?
    public var takenAtMillis: Int64?
    /// The answer, or the reason it was closed.
    public var response: String?
    public var respondedBy: String?
    public var respondedAtMillis: Int64?

    public init(id: Int64? = nil, accountID: String, title: String, body: String, category: String, spaceID: String?, publicConsent: Bool,
                state: String = "received", filedAtMillis: Int64, handler: String? = nil, takenAtMillis: Int64? = nil, response: String? = nil,
                respondedBy: String? = nil, respondedAtMillis: Int64? = nil) {
        self.id = id
        self.accountID = accountID
        self.title = title
        self.body = body
        self.category = category
        self.spaceID = spaceID
        self.publicConsent = publicConsent
        self.state = state
        self.filedAtMillis = filedAtMillis
        self.handler = handler
        self.takenAtMillis = takenAtMillis
        self.response = response
        self.respondedBy = respondedBy
        self.respondedAtMillis = respondedAtMillis
    }

    init(row: Row) {
        self.init(id: row["id"], accountID: row["account_id"], title: row["title"], body: row["body"], category: row["category"], spaceID: row["space_id"],
                  publicConsent: (row["public_consent"] as Int) == 1, state: row["state"], filedAtMillis: row["filed_at_ms"], handler: row["handler"],
                  takenAtMillis: row["taken_at_ms"], response: row["response"], respondedBy: row["responded_by"], respondedAtMillis: row["responded_at_ms"])
    }

    static let columns = "id, account_id, title, body, category, space_id, public_consent, state, filed_at_ms, handler, taken_at_ms, response, responded_by, responded_at_ms"
}

/// One message in a citizen's inbox.
public struct InboxRecord: Sendable, Hashable {
    public var id: Int64?
    public var accountID: String
    /// suggestion-answered, suggestion-closed, report-outcome, sanction, operator.
    public var kind: String
    public var title: String
    public var body: String
    /// What it is about (a suggestion's tracking number, a report's number), if anything.
    public var reference: String?
    public var createdAtMillis: Int64
    public var readAtMillis: Int64?

    public init(id: Int64? = nil, accountID: String, kind: String, title: String, body: String, reference: String?, createdAtMillis: Int64,
                readAtMillis: Int64? = nil) {
        self.id = id
        self.accountID = accountID
        self.kind = kind
        self.title = title
        self.body = body
        self.reference = reference
        self.createdAtMillis = createdAtMillis
        self.readAtMillis = readAtMillis
    }

    init(row: Row) {
        self.init(id: row["id"], accountID: row["account_id"], kind: row["kind"], title: row["title"], body: row["body"], reference: row["reference"],
                  createdAtMillis: row["created_at_ms"], readAtMillis: row["read_at_ms"])
    }

    static let columns = "id, account_id, kind, title, body, reference, created_at_ms, read_at_ms"
}

/// The most messages one account's inbox keeps: past it, the oldest read ones go first, then the
/// oldest unread (a declared limit, docs/DATA.md).
public let inboxPerAccountMax = 100

/// A page of an account's inbox, newest first, with how many it holds and how many are unread.
public struct InboxPage: Sendable, Hashable {
    public var items: [InboxRecord]
    public var total: Int
    public var unread: Int
    public init(items: [InboxRecord], total: Int, unread: Int) {
        self.items = items
        self.total = total
        self.unread = unread
    }
}

extension StoreWrite {
    func applySuggestion(_ db: Database) throws -> StoreOutcome {
        switch self {
        case .fileSuggestion(let s, let dayStart, let perDay):
            // Counted in this transaction, as the only writer: the limit holds however many
            // connections file at once (PostgreSQL takes a lock per account for the same).
            let filed = try Int.fetchOne(db, sql: "SELECT count(*) FROM suggestions WHERE account_id = ? AND filed_at_ms >= ?", arguments: [s.accountID, dayStart]) ?? 0
            guard filed < perDay else { return .count(0) }
            try db.cachedStatement(sql: """
                INSERT INTO suggestions (account_id, title, body, category, space_id, public_consent, state, filed_at_ms) VALUES (?, ?, ?, ?, ?, ?, 'received', ?)
                """).execute(arguments: [s.accountID, s.title, s.body, s.category, s.spaceID, s.publicConsent ? 1 : 0, s.filedAtMillis])
            return .id(db.lastInsertedRowID)
        case .takeSuggestion(let id, let by, let at):
            try db.cachedStatement(sql: "UPDATE suggestions SET state = 'in-review', handler = ?, taken_at_ms = ? WHERE id = ? AND state = 'received'")
                .execute(arguments: [by, at, id])
            return .count(Int64(db.changesCount))
        case .respondSuggestion(let id, let state, let text, let by, let at, let inbox):
            try db.cachedStatement(sql: """
                UPDATE suggestions SET state = ?, response = ?, responded_by = ?, responded_at_ms = ?,
                    handler = coalesce(handler, ?), taken_at_ms = coalesce(taken_at_ms, ?)
                WHERE id = ? AND (state = 'received' OR (state = 'in-review' AND handler = ?))
                """).execute(arguments: [state, text, by, at, by, at, id, by])
            guard db.changesCount == 1 else { return .count(0) }
            return .id(try Self.insertInbox(db, inbox))
        case .inbox(let item):
            return .id(try Self.insertInbox(db, item))
        case .inboxRead(let account, let ids, let at):
            for id in ids {
                try db.cachedStatement(sql: "UPDATE inbox SET read_at_ms = ? WHERE id = ? AND account_id = ? AND read_at_ms IS NULL").execute(arguments: [at, id, account])
            }
            return .none
        default:
            preconditionFailure("\(kind) is not a suggestion or inbox write")
        }
    }

    /// Inserts an inbox row and keeps the account's inbox within its limit.
    @discardableResult
    static func insertInbox(_ db: Database, _ m: InboxRecord) throws -> Int64 {
        try db.cachedStatement(sql: "INSERT INTO inbox (account_id, kind, title, body, reference, created_at_ms) VALUES (?, ?, ?, ?, ?, ?)")
            .execute(arguments: [m.accountID, m.kind, m.title, m.body, m.reference, m.createdAtMillis])
        let id = db.lastInsertedRowID
        try db.cachedStatement(sql: """
            DELETE FROM inbox WHERE id IN (SELECT id FROM inbox WHERE account_id = ? ORDER BY read_at_ms IS NULL, id
                LIMIT max(0, (SELECT count(*) FROM inbox WHERE account_id = ?) - ?))
            """).execute(arguments: [m.accountID, m.accountID, inboxPerAccountMax])
        return id
    }
}

extension StoreRead {
    func applySuggestion(_ db: Database) throws -> StoreOutcome {
        func suggestions(_ sql: String, _ arguments: StatementArguments) throws -> StoreOutcome {
            .suggestions(try Row.fetchAll(db, sql: "SELECT \(SuggestionRecord.columns) FROM suggestions " + sql, arguments: arguments).map(SuggestionRecord.init(row:)))
        }
        switch self {
        case .suggestion(let id): return try suggestions("WHERE id = ?", [id])
        case .suggestionsOf(let account, let offset, let limit):
            return try suggestions("WHERE account_id = ? ORDER BY id DESC LIMIT ? OFFSET ?", [account, limit, offset])
        case .suggestionQueue(let offset, let limit):
            return try suggestions("WHERE state IN ('received', 'in-review') ORDER BY id LIMIT ? OFFSET ?", [limit, offset])
        case .answeredSuggestions(let offset, let limit):
            return try suggestions("WHERE state = 'answered' AND public_consent = 1 ORDER BY responded_at_ms DESC, id DESC LIMIT ? OFFSET ?", [limit, offset])
        case .inbox(let account, let offset, let limit):
            let items = try Row.fetchAll(db, sql: "SELECT \(InboxRecord.columns) FROM inbox WHERE account_id = ? ORDER BY id DESC LIMIT ? OFFSET ?",
                                         arguments: [account, limit, offset]).map(InboxRecord.init(row:))
            let counts = try Row.fetchOne(db, sql: "SELECT count(*) AS total, count(*) FILTER (WHERE read_at_ms IS NULL) AS unread FROM inbox WHERE account_id = ?",
                                          arguments: [account])!
            return .inbox(InboxPage(items: items, total: counts["total"], unread: counts["unread"]))
        default:
            preconditionFailure("\(kind) is not a suggestion or inbox read")
        }
    }
}
