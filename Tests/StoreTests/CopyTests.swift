// Moving a city between backends (`seoulworld data copy`, Store/Copy.swift): every table with
// its ids from SQLite to PostgreSQL and back, the same counts, checksums and reports on all
// three; the ids allocated after a copy never collide with copied ones; a non-empty or live
// destination refused; and the tables' shapes as each engine really holds them.

import Foundation
import GRDB
import PostgresNIO
import PostgresScratch
import Testing
@testable import Store

@Suite(.serialized, .timeLimit(.minutes(10))) struct CopyTests {
    /// An SQLite file with rows in every table: every kind of write, a day of synthetic visits
    /// (more than a few chunks), and account ids whose byte order differs from a language's
    /// (upper case, accents, Hangul) so that the key order is tested.
    static func populated() throws -> Store {
        let store = try Store(path: temporaryDirectory() + "/city.sqlite")
        let run = try store.beginRun(serverVersion: "test", nowMillis: 1_000)
        let writes = everyKindOfWrite(run: run.runID, visit: run.nextVisitID).filter {
            if case .prune = $0 { return false }
            return true
        }
        _ = try store.transaction(writes, origin: run.runID)
        let names = ["Zed", "apple", "éclair", "김민지", "a b", "a-b", "A"]
        var visits: [FinishedVisit] = []
        for i in 0..<1_200 {
            let o = VisitOpening(visitID: 0, runID: 0, sessionID: UInt64(i), accountID: i % 4 == 0 ? nil : names[i % names.count],
                                 role: i % 4 == 0 ? 0 : 1, spaceID: ["seoul-plaza", "city-hall", "n-seoul-tower"][i % 3],
                                 enteredAtMillis: 1_763_251_200_000 + Int64(i) * 53_000)
            visits.append(FinishedVisit(opening: o, leftAtMillis: o.enteredAtMillis + Int64(i % 11 + 1) * 97_000, reason: .leave))
        }
        try store.importVisits(visits, serverVersion: "test")
        for (i, name) in names.enumerated() {
            try store.perform(.block(blocker: name, blocked: names[(i + 1) % names.count], atMillis: 5))
            try store.perform(.filterHit(accountID: name, atMillis: Int64(i)))
        }
        return store
    }

    /// A database whose own collation orders text as English readers do ("apple" before "Zed"),
    /// unlike SQLite's bytes: the copy's order must not depend on it.
    static func linguisticDatabase() throws -> PostgresLocation {
        var location = try scratch().database()
        let admin = try PostgresStore(location: location, access: .server)
        let name = "icu_\(UInt32.random(in: 0...UInt32.max))"
        try admin.run(try admin.connected(), PostgresQuery(unsafeSQL: "CREATE DATABASE \(name) LOCALE_PROVIDER icu ICU_LOCALE 'en-US' TEMPLATE template0"))
        location.database = name
        return location
    }

    static let request = StatsRequest(fromMillis: 1_763_164_800_000, toMillis: 1_763_164_800_000 + 3 * 86_400_000, period: .day, spaceID: nil,
                                      timeZone: TimeZone(identifier: "Asia/Seoul")!, nowMillis: 1_763_164_800_000 + 4 * 86_400_000)

    /// What the operators' tools read, to compare backends.
    static func reads(_ store: any StoreReading) throws -> String {
        var report = try store.stats(request)
        report.readSeconds = 0
        report.computeSeconds = 0
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(report), as: UTF8.self)
            + "\(try store.userReports(includeResolved: true, limit: 10))"
            + "\(try store.auditEntries(account: nil, limit: 100))"
            + "\(try store.auditEntries(account: "lee", limit: 100))"
            + "\(try store.standing(of: "lee", nowMillis: 5_000))"
            + "\(try store.standing(of: "김민지", nowMillis: 5_000))"
            + "\(try store.filteredCount(of: "lee")) \(try store.filteredCount(of: "Zed")) \(try store.userReport(id: 1).map { "\($0)" } ?? "none")"
    }

    @Test func aCityGoesToPostgreSQLAndBackWithTheSameRowsChecksumsAndReports() throws {
        let sqlite = try Self.populated()
        let postgres = try PostgresStore(location: try Self.linguisticDatabase(), access: .server)
        var lines: [String] = []
        let there = try StoreCopy.copy(from: sqlite, to: postgres, replacing: false, nowMillis: 10_000, chunkRows: 500) { lines.append($0) }
        #expect(there.agrees, "\(there.source) vs \(there.destination)")
        #expect(there.source.map(\.table) == Store.tables)
        #expect(there.source.allSatisfy { $0.rows > 0 }, "every table has rows: \(there.source.map(\.rows))")
        #expect(there.source.first { $0.table == "visits" }?.rows == 1_202)
        #expect(try sqlite.rowCounts().map(\.rows) == (try postgres.rowCounts()).map(\.rows))
        #expect(lines.contains("visits: 1202 rows"))
        let sqliteReads = try Self.reads(sqlite)
        #expect(sqliteReads.contains("seoul-plaza"))
        #expect(try Self.reads(postgres) == sqliteReads, "the tools read the same on both backends")

        let back = try Store(path: temporaryDirectory() + "/back.sqlite")
        let returned = try StoreCopy.copy(from: postgres, to: back, replacing: false, nowMillis: 10_000, chunkRows: 333)
        #expect(returned.agrees && returned.source == there.source, "the way back gives the very same tables")
        #expect(try Self.reads(back) == sqliteReads)

        // After the copy, what PostgreSQL allocates never collides with a copied id.
        let run = try postgres.beginRun(serverVersion: "test", nowMillis: 20_000)
        #expect(run.runID == 3, "the copied runs were 1 and 2")
        let ids = try postgres.transaction([.bugReport(report(run: run.runID, text: "after the move", at: 20_000)),
                                            .visitOpened(opening(run.nextVisitID, run: run.runID, at: 20_000))], origin: run.runID)
        #expect(ids[0] == .id(2), "one bug report was copied")
        let sqliteRun = try back.beginRun(serverVersion: "test", nowMillis: 20_000)
        #expect(sqliteRun.runID == 3 && sqliteRun.nextVisitID == 1_203)
    }

    @Test func aDestinationWithRecordsIsRefusedUnlessReplacedAndALiveOneAlways() throws {
        let sqlite = try Self.populated()
        let postgres = try PostgresStore(location: try scratch().database(), access: .server)
        _ = try postgres.transaction([.accountSeen(accountID: "someone", displayName: "S", roles: 1, atMillis: 1)], origin: nil)
        let refused = #expect(throws: StoreError.self) { _ = try StoreCopy.copy(from: sqlite, to: postgres, replacing: false, nowMillis: 10_000) }
        #expect(refused?.description.contains("already holds records (1 in accounts)") == true, "\(refused?.description ?? "")")
        #expect(try postgres.rowCounts().map(\.rows).reduce(0, +) == 1, "nothing was written")
        let replaced = try StoreCopy.copy(from: sqlite, to: postgres, replacing: true, nowMillis: 10_000)
        #expect(replaced.agrees)
        #expect(try postgres.standing(of: "someone", nowMillis: 1) == AccountStanding(ban: nil, mute: nil, blocked: []))
        #expect(try postgres.rowCounts().map(\.rows) == (try sqlite.rowCounts()).map(\.rows), "the old rows are gone")

        // A server beating on the destination now: refused, even when replacing.
        let now: Int64 = 1_800_000_000_000
        _ = try postgres.beginRun(serverVersion: "test", nowMillis: now)
        let live = #expect(throws: StoreError.self) { _ = try StoreCopy.copy(from: sqlite, to: postgres, replacing: true, nowMillis: now + 5_000) }
        #expect(live?.description.contains("a server is writing to") == true)
    }

    /// A copy that fails halfway (a row the destination refuses) leaves the destination as it was.
    @Test func aCopyThatFailsHalfwayLeavesNothingBehind() throws {
        let sqlite = try Self.populated()
        try sqlite.pool.write { db in
            // A value the schema's CHECK refuses on PostgreSQL only: SQLite was told to skip the
            // check, as a damaged or hand-edited file might.
            try db.execute(sql: "PRAGMA ignore_check_constraints = ON")
            try db.execute(sql: "UPDATE filter_counts SET filtered = 0 WHERE account_id = 'Zed'")
        }
        let postgres = try PostgresStore(location: try scratch().database(), access: .server)
        let error = #expect(throws: StoreError.self) { _ = try StoreCopy.copy(from: sqlite, to: postgres, replacing: false, nowMillis: 10_000) }
        #expect(error?.description.contains("filter_counts") == true, "\(error?.description ?? "")")
        #expect(try postgres.rowCounts().allSatisfy { $0.rows == 0 })
    }

    /// The shapes copying uses are the tables as both engines hold them: a migration that adds a
    /// column or a table is copied (or this fails).
    @Test func theShapesAreTheSchemaOnBothEngines() throws {
        #expect(TableShape.all.map(\.name) == Store.tables)
        // Every table of the schema is a record (copied) or the cluster's live state (not).
        let db = try DatabaseQueue()
        try Schema.migrator.migrate(db)
        let schema = try db.read { try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'grdb_migrations'") }
        #expect(Set(schema) == Set(Store.tables + Store.clusterTables) && Set(Store.tables).isDisjoint(with: Store.clusterTables))
        #expect(TableShape.all.first { $0.name == "blocks" }?.key == ["blocker_account", "blocked_account"])
        #expect(TableShape.all.filter(\.allocatesIDs).map(\.name) == ["server_runs", "visits", "service_events", "bug_reports", "sanctions", "user_reports", "audit_log", "notices", "suggestions", "inbox"])
        let postgres = try PostgresStore(location: try scratch().database(), access: .server)
        for shape in TableShape.all {
            let columns = try postgres.inTransaction("test") { c in
                try postgres.run(c, "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = \(shape.name) ORDER BY ordinal_position")
                    .rows.map { try $0.decode((String, String).self) }
            }
            #expect(columns.map(\.0) == shape.columns.map(\.name), "\(shape.name)")
            #expect(columns.map(\.1) == shape.columns.map { $0.kind == .integer ? "bigint" : "text" }, "\(shape.name)")
        }
    }
}
