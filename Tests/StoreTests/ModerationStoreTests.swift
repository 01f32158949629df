// Moderation's records: sanctions hold for their time and until lifted, each with its audit
// row in the same transaction; blocks; reports resolved once; an operator's tool writes beside
// a server's writer. Each on both backends: the SQLite file and a real PostgreSQL server.

import Foundation
import GRDB
import Testing
@testable import Store

/// The two backends, for tests that run on each.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres
    var testDescription: String { rawValue }

    /// A new empty database opened as a server opens it, and where it is.
    func open() throws -> (any StoreBackend & StoreCopying, StoreLocation) {
        switch self {
        case .sqlite:
            let path = NSTemporaryDirectory() + "seoulworld-moderation-\(UUID().uuidString)/records.sqlite"
            return (try Store(path: path), .file(path))
        case .postgres:
            let location = try scratch().database()
            return (try PostgresStore(location: location, access: .server), .postgres(location))
        }
    }
}

@Suite(.serialized, .timeLimit(.minutes(10))) struct ModerationStoreTests {
    static func store(_ backend: Backend) throws -> (any StoreBackend & StoreCopying, StoreLocation) { try backend.open() }

    @Test(arguments: Backend.allCases) func aSanctionHoldsForItsTimeAndUntilLiftedWithItsAuditRows(_ backend: Backend) throws {
        let (store, _) = try Self.store(backend)
        let t: Int64 = 1_800_000_000_000
        try store.perform(.sanction(Sanction(accountID: "kim", kind: .ban, startsAtMillis: t, endsAtMillis: t + 60_000, reason: "spam", actor: "staff:lee")))
        try store.perform(.sanction(Sanction(accountID: "kim", kind: .ban, startsAtMillis: t, endsAtMillis: nil, reason: "again", actor: "operator:park")))
        try store.perform(.sanction(Sanction(accountID: "kim", kind: .mute, startsAtMillis: t, endsAtMillis: t + 1_000, reason: "flood", actor: "system")))
        let now = try store.standing(of: "kim", nowMillis: t + 500)
        #expect(now.ban?.reason == "again" && now.ban?.endsAtMillis == nil, "the ban that ends last (for good) is the one that holds")
        #expect(now.mute?.actor == "system")
        #expect(try store.standing(of: "kim", nowMillis: t + 1_000).mute == nil, "a mute ends at its end")
        #expect(try store.standing(of: "lee", nowMillis: t).ban == nil)
        #expect(try store.perform(.liftSanctions(accountID: "kim", kind: .ban, atMillis: t + 2_000, actor: "operator:park", reason: "appeal")) == .count(2))
        #expect(try store.standing(of: "kim", nowMillis: t + 3_000).ban == nil)
        #expect(try store.perform(.liftSanctions(accountID: "kim", kind: .ban, atMillis: t + 4_000, actor: "operator:park", reason: "again?")) == .count(0))
        let audit = try store.auditEntries(account: "kim", limit: 100)
        #expect(audit.map(\.action) == [.unban, .mute, .ban, .ban], "one row per action, newest first; none for a lift that lifted nothing")
        #expect(audit.last?.untilMillis == t + 60_000 && audit.last?.actor == "staff:lee")
    }

    @Test(arguments: Backend.allCases) func blocksAreListedAndUndone(_ backend: Backend) throws {
        let (store, _) = try Self.store(backend)
        for other in ["c", "a", "b"] { #expect(try store.perform(.block(blocker: "me", blocked: other, atMillis: 1)) == .count(1)) }
        #expect(try store.perform(.block(blocker: "me", blocked: "a", atMillis: 2)) == .count(0), "blocking twice changes nothing")
        #expect(try store.standing(of: "me", nowMillis: 3).blocked == ["a", "b", "c"])
        #expect(try store.perform(.unblock(blocker: "me", blocked: "b")) == .count(1))
        #expect(try store.standing(of: "me", nowMillis: 3).blocked == ["a", "c"])
        // Blocking oneself breaks the table's CHECK: refused as a store error that says which rule.
        let selfBlock = #expect(throws: StoreError.self) { try store.perform(.block(blocker: "me", blocked: "me", atMillis: 1)) }
        #expect(selfBlock?.description.lowercased().contains("check") == true, "\(selfBlock.map { "\($0)" } ?? "nothing thrown")")
        #expect(try store.standing(of: "me", nowMillis: 3).blocked == ["a", "c"], "the refused block changed nothing")
    }

    @Test(arguments: Backend.allCases) func aReportIsResolvedOnceAndTheAuditSaysSo(_ backend: Backend) throws {
        let (store, _) = try Self.store(backend)
        let report = UserReport(reporterAccount: nil, reporterSession: .max, reportedAccount: "troll", reportedName: "Troll", reportedEntity: 5,
                                reason: .harassment, description: "", spaceID: "seoul-plaza", tick: 10, recordingFile: nil, recordingTick: nil,
                                evidenceJSON: "{}", createdAtMillis: 100)
        guard case .id(let id) = try store.perform(.userReport(report)) else { Issue.record("no id"); return }
        #expect(try store.userReports(includeResolved: false, limit: 50).map(\.id) == [id])
        #expect(try store.perform(.resolveReport(reportID: id, actor: "operator:park", resolution: "warned", atMillis: 200)) == .count(1))
        #expect(try store.perform(.resolveReport(reportID: id, actor: "operator:park", resolution: "again", atMillis: 300)) == .count(0))
        #expect(try store.userReports(includeResolved: false, limit: 50).isEmpty && store.userReports(includeResolved: true, limit: 50).first?.resolution == "warned")
        #expect(try store.userReport(id: id)?.reporterSession == .max, "a session number survives as its bit pattern")
        let last = try #require(try store.auditEntries(account: nil, limit: 100).first)
        #expect(last.action == .resolveReport && last.reportID == id && last.targetAccount == "troll")
    }

    @Test(arguments: Backend.allCases) func anOperatorsToolWritesBesideTheServersWriterAndTheServerSeesItInTheAuditTrail(_ backend: Backend) throws {
        let (server, location) = try Self.store(backend)
        let before = try server.lastAuditID()
        let tool = try location.open(.operatorTool)
        try tool.perform(.sanction(Sanction(accountID: "x", kind: .ban, startsAtMillis: 1, endsAtMillis: nil, reason: "r", actor: "operator:o")))
        let rows = try server.read(.auditSince(afterID: before, limit: 10))
        guard case .audit(let entries) = rows else { Issue.record("not an audit read"); return }
        #expect(entries.map(\.action) == [.ban] && entries[0].targetAccount == "x")
        if case .file(let path) = location {
            #expect(throws: StoreError.self) { _ = try Store(path: path) } // the server's lock still holds
        }
    }
}

@Suite struct UpgradeTests {
    /// A database written by the 0.7 server (schema v1-records) opens under this one: v2 is
    /// applied, the v1 rows stay, and the new tables work.
    @Test func aVersionOneDatabaseIsBroughtForwardWithItsRows() throws {
        let path = NSTemporaryDirectory() + "seoulworld-upgrade-\(UUID().uuidString)/records.sqlite"
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        do {
            let old = try DatabaseQueue(path: path)
            try Schema.migrator.migrate(old, upTo: "v1-records")
            try old.write { db in
                try db.execute(sql: "INSERT INTO server_runs (server_version, started_at_ms, heartbeat_at_ms, stopped_at_ms, stop_reason) VALUES ('0.7.0', 1, 2, 2, 'stopped')")
                try db.execute(sql: "INSERT INTO bug_reports (run_id, session_id, role, description, server_version, created_at_ms) VALUES (1, 5, 0, 'old report', '0.7.0', 1)")
            }
            #expect(try old.read { db in try db.tableExists("sanctions") } == false)
        }
        let store = try Store(path: path)
        #expect(try store.schemaVersion() == Schema.versions.last)
        #expect(try store.read { db in try String.fetchOne(db, sql: "SELECT description FROM bug_reports") } == "old report")
        try store.perform(.block(blocker: "a", blocked: "b", atMillis: 3))
        #expect(try store.standing(of: "a", nowMillis: 4).blocked == ["b"])
    }
}
