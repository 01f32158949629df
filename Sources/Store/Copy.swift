// Moving a city's records between backends (`seoulworld data copy`): every table with its ids,
// from one snapshot of the source into one transaction of the destination, then counted and
// checksummed on both sides.
//
// The tables' shapes come from the schema itself (the migrations applied to an empty SQLite
// database in memory, read back with `PRAGMA table_info`), so a migration that adds a column
// is copied without anyone remembering to list it here.
//
// The checksum of a table is SHA-256 over its rows in primary-key order, each value written as
// a tag byte (0 null, 1 integer, 2 text), then an integer as 8 bytes big-endian or a text as
// its UTF-8 length (4 bytes big-endian) and bytes. Text keys are ordered by their bytes on both
// engines (SQLite's BINARY collation, PostgreSQL's "C"), so the same rows give the same digest
// wherever they are.
//
// Invariants:
// 1. Nothing is written into a database that holds rows unless the operator said `replacing`;
//    then its rows are deleted in the same transaction as the copy (all or nothing).
// 2. A destination where a server is writing now (a run beating within
//    `PostgresStore.crashedAfterMillis`) is refused even when replacing.
// 3. A copy is reported good only when every table's count and checksum agree on both sides,
//    the destination's read back after its commit.

import Crypto
import Foundation
import GRDB

public enum StoreValue: Hashable, Sendable {
    case null
    case integer(Int64)
    case text(String)
}

public struct TableShape: Sendable, Hashable {
    public enum Kind: Sendable, Hashable { case integer, text }
    public struct Column: Sendable, Hashable {
        public var name: String
        public var kind: Kind
    }

    public var name: String
    public var columns: [Column]
    /// The primary key's columns, in the key's order: rows are copied and checksummed in it.
    public var key: [String]

    /// Whether the table's id is allocated by the database (an identity column on PostgreSQL,
    /// whose sequence a copy moves past the ids it wrote).
    public var allocatesIDs: Bool { key == ["id"] && columns.first { $0.name == "id" }?.kind == .integer }
    public var columnList: String { columns.map(\.name).joined(separator: ", ") }
}

/// A backend that can give every row of the schema and take them.
public protocol StoreCopying: StoreReading {
    /// Every row of every table (in `TableShape.all`'s order, each table in key order), in
    /// chunks of at most `chunkRows`, from one snapshot.
    func copyOut(chunkRows: Int, _ each: (TableShape, [[StoreValue]]) throws -> Void) throws
    /// One transaction: when `replacing`, every row deleted first; then `fill` hands over the
    /// rows (tables in `TableShape.all`'s order); then what allocates ids is moved past them.
    func copyIn(replacing: Bool, _ fill: (_ insert: (TableShape, [[StoreValue]]) throws -> Void) throws -> Void) throws
    /// Runs that a server is writing now (its heartbeat within the last minute).
    func liveRuns(nowMillis: Int64) throws -> Int
}

extension TableShape {
    /// Every table, parents before the tables that refer to them (`Store.tables`' order).
    public static let all: [TableShape] = {
        do {
            let db = try DatabaseQueue()
            try Schema.migrator.migrate(db)
            return try db.read { db in
                try Store.tables.map { table in
                    let info = try Row.fetchAll(db, sql: "PRAGMA table_info(\(table))")
                    precondition(!info.isEmpty, "the schema has no table \(table)")
                    let columns = info.map { row -> Column in
                        let type: String = row["type"]
                        precondition(type == "INTEGER" || type == "TEXT", "\(table) has a column of type \(type), which copying does not know")
                        return Column(name: row["name"], kind: type == "INTEGER" ? .integer : .text)
                    }
                    let key = info.filter { ($0["pk"] as Int) > 0 }.sorted { ($0["pk"] as Int) < ($1["pk"] as Int) }.map { $0["name"] as String }
                    precondition(!key.isEmpty, "\(table) has no primary key")
                    return TableShape(name: table, columns: columns, key: key)
                }
            }
        } catch {
            preconditionFailure("the schema cannot be applied to an empty database in memory: \(error)")
        }
    }()
}

public enum StoreCopy {
    /// Rows per chunk read and written: a bounded memory, and (9 columns for a visit) within
    /// PostgreSQL's 65,535 bound values per statement.
    public static let chunkRows = 5_000

    public struct TableCount: Sendable, Hashable {
        public var table: String
        public var rows: Int
        /// SHA-256, hex.
        public var checksum: String
    }

    public struct Outcome: Sendable {
        public var source: [TableCount]
        public var destination: [TableCount]
        /// Seconds writing, and reading back to check.
        public var copySeconds: Double
        public var checkSeconds: Double
        /// Server runs without a stop in the source: a server running on it (its later writes
        /// are not in the copy), or one that crashed (the next server to start closes it).
        public var openRuns: Int
        public var agrees: Bool { source == destination }
    }

    /// Copies every table of `source` into `destination`; see the file's invariants.
    public static func copy(from source: any StoreCopying, to destination: any StoreCopying, replacing: Bool, nowMillis: Int64,
                            chunkRows: Int = chunkRows, progress: (String) -> Void = { _ in }) throws -> Outcome {
        let live = try destination.liveRuns(nowMillis: nowMillis)
        guard live == 0 else {
            throw StoreError("a server is writing to \(destination.name) now (\(live) run\(live == 1 ? "" : "s") beating within the last minute): stop it before copying into that database")
        }
        if !replacing {
            let held = try destination.rowCounts().filter { $0.rows > 0 }
            guard held.isEmpty else {
                throw StoreError("""
                    \(destination.name) already holds records (\(held.map { "\($0.rows) in \($0.table)" }.joined(separator: ", "))): \
                    copy into an empty database, or pass --replace to delete them in the same transaction as the copy
                    """)
            }
        }
        let started = DispatchTime.now().uptimeNanoseconds
        var sums = Checksums()
        var openRuns = 0
        var current = ""
        try destination.copyIn(replacing: replacing) { insert in
            try source.copyOut(chunkRows: chunkRows) { shape, rows in
                if shape.name != current {
                    if !current.isEmpty { progress("\(current): \(sums.rows[current] ?? 0) rows") }
                    current = shape.name
                }
                sums.add(shape, rows)
                if shape.name == "server_runs", let stopped = shape.columns.firstIndex(where: { $0.name == "stopped_at_ms" }) {
                    openRuns += rows.count { $0[stopped] == .null }
                }
                try insert(shape, rows)
            }
            if !current.isEmpty { progress("\(current): \(sums.rows[current] ?? 0) rows") }
        }
        let copied = DispatchTime.now().uptimeNanoseconds
        progress("committed; reading \(destination.name) back to check")
        let after = try checksums(of: destination)
        return Outcome(source: sums.counts, destination: after, copySeconds: Double(copied - started) / 1e9,
                       checkSeconds: Double(DispatchTime.now().uptimeNanoseconds - copied) / 1e9, openRuns: openRuns)
    }

    /// Every table's count and checksum.
    public static func checksums(of store: any StoreCopying) throws -> [TableCount] {
        var sums = Checksums()
        try store.copyOut(chunkRows: chunkRows) { shape, rows in sums.add(shape, rows) }
        return sums.counts
    }

    struct Checksums {
        var hashers: [String: SHA256] = [:]
        var rows: [String: Int] = [:]
        var buffer: [UInt8] = []

        mutating func add(_ shape: TableShape, _ chunk: [[StoreValue]]) {
            var hasher = hashers[shape.name] ?? SHA256()
            buffer.removeAll(keepingCapacity: true)
            for row in chunk {
                for value in row { Self.encode(value, into: &buffer) }
            }
            hasher.update(data: buffer)
            hashers[shape.name] = hasher
            rows[shape.name, default: 0] += chunk.count
        }

        static func encode(_ value: StoreValue, into out: inout [UInt8]) {
            switch value {
            case .null: out.append(0)
            case .integer(let n):
                out.append(1)
                withUnsafeBytes(of: n.bigEndian) { out.append(contentsOf: $0) }
            case .text(let s):
                out.append(2)
                let bytes = Array(s.utf8)
                withUnsafeBytes(of: UInt32(bytes.count).bigEndian) { out.append(contentsOf: $0) }
                out.append(contentsOf: bytes)
            }
        }

        /// Every table, those without rows included.
        var counts: [TableCount] {
            TableShape.all.map { shape in
                let digest = (hashers[shape.name] ?? SHA256()).finalize()
                return TableCount(table: shape.name, rows: rows[shape.name] ?? 0, checksum: digest.map { String(format: "%02x", $0) }.joined())
            }
        }
    }
}

// MARK: SQLite

extension Store: StoreCopying {
    public func copyOut(chunkRows: Int, _ each: (TableShape, [[StoreValue]]) throws -> Void) throws {
        try pool.read { db in
            for shape in TableShape.all {
                let cursor = try Row.fetchCursor(db, sql: "SELECT \(shape.columnList) FROM \(shape.name) ORDER BY \(shape.key.joined(separator: ", "))")
                var chunk: [[StoreValue]] = []
                chunk.reserveCapacity(chunkRows)
                while let row = try cursor.next() {
                    chunk.append(try Self.values(row, shape))
                    if chunk.count == chunkRows {
                        try each(shape, chunk)
                        chunk.removeAll(keepingCapacity: true)
                    }
                }
                if !chunk.isEmpty { try each(shape, chunk) }
            }
        }
    }

    static func values(_ row: Row, _ shape: TableShape) throws -> [StoreValue] {
        try shape.columns.enumerated().map { i, column in
            let value = row[i] as DatabaseValue
            switch (value.storage, column.kind) {
            case (.null, _): return .null
            case (.int64(let n), .integer): return .integer(n)
            case (.string(let s), .text): return .text(s)
            default:
                throw StoreError("\(shape.name).\(column.name) holds \(value), which the schema does not allow there; `sqlite3` can show the row, and the copy stops before writing anything")
            }
        }
    }

    public func copyIn(replacing: Bool, _ fill: ((TableShape, [[StoreValue]]) throws -> Void) throws -> Void) throws {
        try pool.write { db in
            // One transaction of every row: with SQLite's default 2 MB page cache, the indexes'
            // pages are spilled to the WAL and read back over and over (measured: a million
            // visits in 33 s, most of it in the kernel). A larger cache for this connection
            // while the copy runs, then the default again.
            let cacheBefore = try Int.fetchOne(db, sql: "PRAGMA cache_size") ?? -2_000
            try db.execute(sql: "PRAGMA cache_size = -262144")
            defer { try? db.execute(sql: "PRAGMA cache_size = \(cacheBefore)") }
            if replacing {
                for shape in TableShape.all.reversed() { try db.execute(sql: "DELETE FROM \(shape.name)") }
            }
            var statements: [String: Statement] = [:]
            try fill { shape, rows in
                let statement = try statements[shape.name] ?? db.makeStatement(sql: """
                    INSERT INTO \(shape.name) (\(shape.columnList)) VALUES (\(Array(repeating: "?", count: shape.columns.count).joined(separator: ", ")))
                    """)
                statements[shape.name] = statement
                for row in rows {
                    // Unchecked: the row has exactly the statement's columns (its shape made both).
                    statement.setUncheckedArguments(StatementArguments(row.map { value -> DatabaseValue in
                        switch value {
                        case .null: .null
                        case .integer(let n): n.databaseValue
                        case .text(let s): s.databaseValue
                        }
                    }))
                    try statement.execute()
                }
            }
            // SQLite's row ids and the next run's visit ids follow the largest id: nothing to move.
        }
    }

    /// The file's lock keeps servers out while this process has it open for writing.
    public func liveRuns(nowMillis: Int64) throws -> Int { 0 }
}
