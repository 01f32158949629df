// The notice board's rows (docs/DATA.md, `notices` and `notice_reads`): the record the store
// keeps, and its writes on SQLite (PostgreSQL's are in PostgresWrites.swift). The board's rules
// are Services' (NoticeBoard); this module knows only columns.

import GRDB

public struct NoticeRecord: Sendable, Hashable {
    public var id: Int64?
    public var titleKo: String?
    public var titleEn: String?
    public var bodyKo: String?
    public var bodyEn: String?
    /// `event`, `service-update`, `maintenance` or `safety`.
    public var category: String
    public var startsAtMillis: Int64
    public var endsAtMillis: Int64
    /// The spaces it shows in; empty for the whole city.
    public var targetSpaces: [String]
    public var pinned: Bool
    public var author: String
    public var createdAtMillis: Int64
    public var withdrawnBy: String?
    public var withdrawnAtMillis: Int64?

    public init(id: Int64? = nil, titleKo: String?, titleEn: String?, bodyKo: String?, bodyEn: String?, category: String, startsAtMillis: Int64,
                endsAtMillis: Int64, targetSpaces: [String], pinned: Bool, author: String, createdAtMillis: Int64,
                withdrawnBy: String? = nil, withdrawnAtMillis: Int64? = nil) {
        self.id = id
        self.titleKo = titleKo
        self.titleEn = titleEn
        self.bodyKo = bodyKo
        self.bodyEn = bodyEn
        self.category = category
        self.startsAtMillis = startsAtMillis
        self.endsAtMillis = endsAtMillis
        self.targetSpaces = targetSpaces
        self.pinned = pinned
        self.author = author
        self.createdAtMillis = createdAtMillis
        self.withdrawnBy = withdrawnBy
        self.withdrawnAtMillis = withdrawnAtMillis
    }

    /// The `target_spaces` column: null for the whole city, else the ids joined by commas.
    var targetColumn: String? { targetSpaces.isEmpty ? nil : targetSpaces.joined(separator: ",") }
    static func spaces(_ column: String?) -> [String] { column.map { $0.split(separator: ",").map(String.init) } ?? [] }

    init(row: Row) {
        self.init(id: row["id"], titleKo: row["title_ko"], titleEn: row["title_en"], bodyKo: row["body_ko"], bodyEn: row["body_en"],
                  category: row["category"], startsAtMillis: row["starts_at_ms"], endsAtMillis: row["ends_at_ms"],
                  targetSpaces: Self.spaces(row["target_spaces"]), pinned: (row["pinned"] as Int) == 1, author: row["author"],
                  createdAtMillis: row["created_at_ms"], withdrawnBy: row["withdrawn_by"], withdrawnAtMillis: row["withdrawn_at_ms"])
    }

    static let columns = "id, title_ko, title_en, body_ko, body_en, category, starts_at_ms, ends_at_ms, target_spaces, pinned, author, created_at_ms, withdrawn_by, withdrawn_at_ms"
}

extension StoreWrite {
    func applyNotice(_ db: Database) throws -> StoreOutcome {
        switch self {
        case .notice(let n):
            try db.cachedStatement(sql: """
                INSERT INTO notices (title_ko, title_en, body_ko, body_en, category, starts_at_ms, ends_at_ms, target_spaces, pinned, author, created_at_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [n.titleKo, n.titleEn, n.bodyKo, n.bodyEn, n.category, n.startsAtMillis, n.endsAtMillis, n.targetColumn,
                                         n.pinned ? 1 : 0, n.author, n.createdAtMillis])
            return .id(db.lastInsertedRowID)
        case .withdrawNotice(let id, let by, let at):
            try db.cachedStatement(sql: "UPDATE notices SET withdrawn_by = ?, withdrawn_at_ms = ? WHERE id = ? AND withdrawn_at_ms IS NULL")
                .execute(arguments: [by, at, id])
            return .count(Int64(db.changesCount))
        case .noticesRead(let account, let ids, let at):
            // Only notices that exist: a stale id from a client is not an error, and not a row.
            for id in ids {
                try db.cachedStatement(sql: """
                    INSERT INTO notice_reads (account_id, notice_id, read_at_ms) SELECT ?, id, ? FROM notices WHERE id = ?
                    ON CONFLICT (account_id, notice_id) DO NOTHING
                    """).execute(arguments: [account, at, id])
            }
            return .none
        default:
            preconditionFailure("\(kind) is not a notice write")
        }
    }
}
