// The store alone: opening and migrating, refusing what it must refuse with a message an
// operator can act on, the writer's group commit and its full queue, crash recovery, and
// pruning. Every database lives in a fresh temporary directory.

import ChildProcess
import Foundation
import GRDB
import Testing
@testable import Store

func temporaryDirectory() -> String {
    let path = NSTemporaryDirectory() + "seoulworld-store-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Waits (at most `seconds`) for the writer's completions.
func completions(_ writer: StoreWriter, count: Int, seconds: Double = 10) -> [StoreWriter.Completion] {
    var out: [StoreWriter.Completion] = []
    let deadline = Date().addingTimeInterval(seconds)
    while out.count < count && Date() < deadline {
        writer.takeCompleted(into: &out)
        if out.count < count { Thread.sleep(forTimeInterval: 0.005) }
    }
    return out
}

func opening(_ id: Int64, run: Int64, session: UInt64 = 1, account: String? = nil, space: String = "seoul-plaza", at: Int64) -> VisitOpening {
    VisitOpening(visitID: id, runID: run, sessionID: session, accountID: account, role: account == nil ? 0 : 1, spaceID: space, enteredAtMillis: at)
}

func report(run: Int64, text: String, at: Int64) -> BugReport {
    BugReport(runID: run, sessionID: 7, accountID: nil, role: 0, description: text, spaceID: "city-hall", floor: 0, xCentimetres: 10,
              yCentimetres: -20, tick: 99, serverVersion: "test", createdAtMillis: at)
}

@Suite struct StoreTests {
    @Test func anEmptyFileIsCreatedAndMigratedToTheLastVersion() throws {
        let path = temporaryDirectory() + "/new/dir/records.sqlite"
        let store = try Store(path: path)
        #expect(try store.schemaVersion() == Schema.versions.last)
        #expect(try store.integrityCheck() == ["ok"])
        let (journal, sync, keys) = try store.read { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"), try Int.fetchOne(db, sql: "PRAGMA foreign_keys"))
        }
        #expect(journal == "wal")
        #expect(sync == 2) // FULL
        #expect(keys == 1)
        #expect(try store.rowCounts().map(\.table) == ["server_runs", "accounts", "visits", "service_events", "bug_reports", "sanctions", "blocks",
                                                   "user_reports", "audit_log", "filter_counts", "notices", "notice_reads", "suggestions", "inbox",
                                                   "ethics_acceptances", "tutorial_progress"])
    }

    @Test func aDatabaseFromANewerServerIsRefusedAndLeftAlone() throws {
        let path = temporaryDirectory() + "/records.sqlite"
        do {
            let store = try Store(path: path)
            try store.pool.write { db in try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v9-from-the-future')") }
        }
        let error = #expect(throws: StoreError.self) { _ = try Store(path: path) }
        #expect(error?.description.contains("newer seoulworld") == true)
        #expect(error?.description.contains("v9-from-the-future") == true)
        let readOnly = #expect(throws: StoreError.self) { _ = try Store(path: path, readOnly: true) }
        #expect(readOnly?.description.contains("newer") == true)
    }

    @Test func aSecondServerOnTheSameFileIsRefused() throws {
        let path = temporaryDirectory() + "/records.sqlite"
        let first = try Store(path: path)
        let error = #expect(throws: StoreError.self) { _ = try Store(path: path) }
        #expect(error?.description.contains("another seoulworld server (pid \(getpid()))") == true)
        // Readers are welcome while a server writes.
        #expect(throws: Never.self) { _ = try Store(path: path, readOnly: true) }
        withExtendedLifetime(first) {}
    }

    @Test func aCorruptFileIsRefusedWithWhatToDo() throws {
        let path = temporaryDirectory() + "/records.sqlite"
        try Data((0..<8_192).map { UInt8(truncatingIfNeeded: $0 &* 31) }).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: StoreError.self) { _ = try Store(path: path) }
        #expect(error?.description.contains("is not a SeoulWorld database or is damaged") == true)
        #expect(error?.description.contains("Move it aside") == true)
        // The damaged file is kept as it was, for the investigation.
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)).count == 8_192)
    }

    @Test func unusableDataDirectoriesAreRefusedWithTheReason() throws {
        let base = temporaryDirectory()
        FileManager.default.createFile(atPath: base + "/plain-file", contents: Data())
        let file = #expect(throws: StoreError.self) { _ = try Store(path: base + "/plain-file/records.sqlite") }
        #expect(file?.description.contains("is a file, not a directory") == true)
        // /proc refuses new directories even to root.
        let proc = #expect(throws: StoreError.self) { _ = try Store(path: "/proc/seoulworld-test/records.sqlite") }
        #expect(proc?.description.contains("cannot create the data directory") == true)
        let missing = #expect(throws: StoreError.self) { _ = try Store(path: base + "/nothing-here.sqlite", readOnly: true) }
        #expect(missing?.description.contains("no database at") == true)
        try FileManager.default.createDirectory(atPath: base + "/locked", withIntermediateDirectories: false)
        chmod(base + "/locked", 0o555)
        if getuid() != 0 {
            let locked = #expect(throws: StoreError.self) { _ = try Store(path: base + "/locked/records.sqlite") }
            #expect(locked?.description.contains("not writable") == true)
        } else {
            // Root writes anywhere, and CI runs as root: the check is made by the seoulworld
            // command run as `nobody`, which opens a store for writing as a server does.
            let outcome = try Self.asNobody(["data", "generate", "--data", base + "/locked/records.sqlite", "--visits", "1"])
            #expect(outcome.status != 0 && outcome.output.contains("is not writable by this user"), "\(outcome)")
            #expect(!FileManager.default.fileExists(atPath: base + "/locked/records.sqlite"))
        }
    }

    /// Runs the seoulworld binary built beside the tests as the user `nobody` (runuser), from a
    /// copy that `nobody` can reach when the build folder is not (a clone under /root).
    static func asNobody(_ arguments: [String]) throws -> ChildProcess.Outcome {
        let built = ChildProcess.builtBesideTests("seoulworld")
        try #require(FileManager.default.isExecutableFile(atPath: built), "build the seoulworld binary first (`swift build`): \(built)")
        var binary = built
        var reachable = true
        var folder = URL(fileURLWithPath: built).deletingLastPathComponent()
        while folder.path != "/" {
            let mode = (try FileManager.default.attributesOfItem(atPath: folder.path)[.posixPermissions] as? Int) ?? 0
            if mode & 0o001 == 0 { reachable = false }
            folder.deleteLastPathComponent()
        }
        if !reachable {
            let copy = temporaryDirectory()
            chmod(copy, 0o755)
            binary = copy + "/seoulworld"
            try FileManager.default.copyItem(atPath: built, toPath: binary)
        }
        return try ChildProcess.run("/usr/sbin/runuser", ["-u", "nobody", "--", binary] + arguments, deadlineSeconds: 60)
    }

    @Test func theWriterCommitsInGroupsAndAnswersAfterTheCommit() throws {
        let path = temporaryDirectory() + "/records.sqlite"
        let store = try Store(path: path)
        let run = try store.beginRun(serverVersion: "test", nowMillis: 1_000)
        // Another connection holds the write lock while the writes are submitted, so that they
        // queue up whatever the machine's scheduling (a writer that keeps pace with a slow
        // submitter would commit them one by one, and the count below would say nothing).
        var holding = Configuration()
        holding.allowsUnsafeTransactions = true
        let blocker = try DatabaseQueue(path: path, configuration: holding)
        try blocker.writeWithoutTransaction { db in try db.execute(sql: "BEGIN IMMEDIATE") }
        let writer = StoreWriter(backend: store, onCompleted: {}, onProblem: { Issue.record("unexpected problem: \($0)") })
        for i in 0..<5_000 {
            #expect(writer.submit(.visitOpened(opening(run.nextVisitID + Int64(i), run: run.runID, session: UInt64(i), at: 2_000 + Int64(i)))))
        }
        for i in 0..<20 { #expect(writer.submit(.bugReport(report(run: run.runID, text: "report \(i)", at: 3_000)), ticket: UInt64(i + 1))) }
        #expect(completions(writer, count: 1, seconds: 0.3).isEmpty, "nothing is answered before its commit")
        try blocker.writeWithoutTransaction { db in try db.execute(sql: "COMMIT") }
        let answers = completions(writer, count: 20)
        #expect(answers.map(\.ticket) == Array(1...20), "answers come in submission order")
        // Each id is in the database with its text: the answer came after the commit.
        let ids = answers.compactMap { try? $0.result.get() }
        #expect(ids.count == 20)
        let texts = try store.read { db in try String.fetchAll(db, sql: "SELECT description FROM bug_reports ORDER BY id") }
        #expect(texts == (0..<20).map { "report \($0)" })
        #expect(writer.stop())
        let f = writer.figures()
        #expect(f.committed == 5_020)
        #expect(f.transactions < 5_020 / 2, "writes are grouped: \(f.transactions) transactions for 5,020 writes")
        #expect(try store.rowCounts().first { $0.table == "visits" }?.rows == 5_000)
        #expect(!writer.submit(.heartbeat(runID: run.runID, atMillis: 5_000)), "a stopped writer takes nothing")
    }

    /// A read is answered after every write submitted before it committed (a sign-in after a
    /// ban sees the ban), and does not count as a write or a transaction.
    @Test func aReadIsAnsweredAfterTheWritesBeforeIt() throws {
        let store = try Store(path: temporaryDirectory() + "/records.sqlite")
        _ = try store.beginRun(serverVersion: "test", nowMillis: 1_000)
        let writer = StoreWriter(backend: store, onCompleted: {}, onProblem: { Issue.record("unexpected problem: \($0)") })
        #expect(writer.submit(.sanction(Sanction(accountID: "kim", kind: .ban, startsAtMillis: 2_000, endsAtMillis: nil, reason: "spam", actor: "staff:lee")), ticket: 1))
        #expect(writer.submit(read: .standing(accountID: "kim", nowMillis: 3_000), ticket: 2))
        #expect(writer.submit(.block(blocker: "kim", blocked: "lee", atMillis: 3_000), ticket: 3))
        let answers = completions(writer, count: 3)
        #expect(answers.map(\.ticket) == [1, 2, 3])
        guard answers.count == 3, case .success(.standing(let standing)) = answers[1].result else {
            Issue.record("the read is answered with the standing: \(answers)")
            return
        }
        #expect(standing.ban?.reason == "spam", "the ban submitted before the read is in its answer")
        #expect(writer.stop())
        let f = writer.figures()
        #expect(f.committed == 2 && f.reads == 1, "\(f.committed) writes, \(f.reads) reads")
    }

    @Test func aFullQueueRefusesAtOnceAndLosesNothingItAccepted() throws {
        let path = temporaryDirectory() + "/records.sqlite"
        let store = try Store(path: path)
        let run = try store.beginRun(serverVersion: "test", nowMillis: 1_000)
        // Another connection holds the write lock, so the writer's first transaction waits.
        var holding = Configuration()
        holding.allowsUnsafeTransactions = true // this connection keeps its transaction open on purpose
        let blocker = try DatabaseQueue(path: path, configuration: holding)
        try blocker.writeWithoutTransaction { db in try db.execute(sql: "BEGIN IMMEDIATE") }
        let writer = StoreWriter(backend: store, queueMax: 8, batchMax: 2, onCompleted: {}, onProblem: { _ in })
        var accepted = 0, refused = 0
        for i in 0..<40 {
            if writer.submit(.bugReport(report(run: run.runID, text: "r\(i)", at: 2_000)), ticket: UInt64(i + 1)) { accepted += 1 } else { refused += 1 }
        }
        #expect(accepted <= 8 + 2, "at most the queue and one batch in flight")
        #expect(refused >= 30)
        #expect(writer.figures().refusedFull == refused)
        try blocker.writeWithoutTransaction { db in try db.execute(sql: "COMMIT") }
        let answers = completions(writer, count: accepted)
        #expect(answers.count == accepted)
        #expect(answers.allSatisfy { if case .success(.id(let id)) = $0.result { id > 0 } else { false } })
        writer.stop()
        #expect(try store.rowCounts().first { $0.table == "bug_reports" }?.rows == accepted)
    }

    @Test func aCrashedRunsOpenVisitsCloseAtItsLastHeartbeat() throws {
        let path = temporaryDirectory() + "/records.sqlite"
        do {
            let store = try Store(path: path)
            let run = try store.beginRun(serverVersion: "test", nowMillis: 10_000)
            try store.pool.write { db in
                try StoreWrite.visitOpened(opening(1, run: run.runID, at: 11_000)).apply(db)
                try StoreWrite.visitOpened(opening(2, run: run.runID, session: 2, at: 12_000)).apply(db)
                try StoreWrite.visitClosed(visitID: 2, leftAtMillis: 13_000, reason: .leave).apply(db)
                try StoreWrite.heartbeat(runID: run.runID, atMillis: 15_000).apply(db)
                // Entered after the last heartbeat: it ends at its own entry, never before it.
                try StoreWrite.visitOpened(opening(3, run: run.runID, session: 3, at: 17_000)).apply(db)
            }
            // No runStopped: the process "dies" here (the lock goes with the store).
        }
        let store = try Store(path: path)
        let next = try store.beginRun(serverVersion: "test", nowMillis: 60_000)
        #expect(next.crashedRuns == 1)
        #expect(next.visitsClosedAfterCrash == 2)
        #expect(next.nextVisitID == 4)
        let rows = try store.read { db in try Row.fetchAll(db, sql: "SELECT id, left_at_ms, end_reason FROM visits ORDER BY id") }
        #expect(rows.map { $0["left_at_ms"] as Int64 } == [15_000, 13_000, 17_000])
        #expect(rows.map { $0["end_reason"] as String } == ["crash", "leave", "crash"])
        let runs = try store.read { db in try Row.fetchAll(db, sql: "SELECT stopped_at_ms, stop_reason FROM server_runs ORDER BY id") }
        #expect(runs.first?["stop_reason"] == "crash")
        #expect(runs.first?["stopped_at_ms"] == 15_000 as Int64)
        #expect(runs.last?["stop_reason"] == nil as String?)
    }

    @Test func pruningDeletesOnlyWhatIsOlderThanTheKeepingPeriod() throws {
        let path = temporaryDirectory() + "/records.sqlite"
        let store = try Store(path: path)
        let day: Int64 = 86_400_000
        let run = try store.beginRun(serverVersion: "test", nowMillis: 1 * day)
        try store.pool.write { db in
            try StoreWrite.accountSeen(accountID: "old", displayName: "Old", roles: 1, atMillis: 1 * day).apply(db)
            try StoreWrite.accountSeen(accountID: "kept", displayName: "Kept", roles: 1, atMillis: 1 * day).apply(db)
            for i in 0..<30 {
                try StoreWrite.visitOpened(opening(Int64(i + 1), run: run.runID, account: "old", at: 1 * day + Int64(i))).apply(db)
                try StoreWrite.visitClosed(visitID: Int64(i + 1), leftAtMillis: 1 * day + 1_000, reason: .leave).apply(db)
            }
            // A recent visit by an account last seen long ago: the account must stay.
            try StoreWrite.visitOpened(opening(100, run: run.runID, account: "kept", at: 500 * day)).apply(db)
            try StoreWrite.visitClosed(visitID: 100, leftAtMillis: 500 * day + 1, reason: .leave).apply(db)
            // An open old visit is never pruned (it is someone's presence now).
            try StoreWrite.visitOpened(opening(101, run: run.runID, at: 2 * day)).apply(db)
            _ = try StoreWrite.bugReport(report(run: run.runID, text: "old", at: 1 * day)).apply(db)
            _ = try StoreWrite.bugReport(report(run: run.runID, text: "new", at: 500 * day)).apply(db)
        }
        var rounds = 0
        var deleted: Int64 = 0
        repeat {
            deleted = try store.pool.write { db in
                guard case .count(let n) = try StoreWrite.prune(beforeMillis: 100 * day, rowsMax: 7).apply(db) else { return -1 }
                return n
            }
            rounds += 1
        } while deleted > 0 && rounds < 100
        #expect(rounds > 4, "small batches: 30 visits at 7 a batch take several rounds")
        let counts = Dictionary(uniqueKeysWithValues: try store.rowCounts().map { ($0.table, $0.rows) })
        #expect(counts["visits"] == 2)
        #expect(counts["accounts"] == 1)
        #expect(counts["bug_reports"] == 1)
        #expect(try store.read { db in try String.fetchAll(db, sql: "SELECT account_id FROM accounts") } == ["kept"])
    }
}
