// kill -9 while the server stores bug reports: a child `seoulworld serve` process receives
// reports from a client that keeps every id it was given; the child is killed with SIGKILL at
// 20 random moments and started again on the same database. Afterwards the database passes
// SQLite's integrity check, every acknowledged id is there with its text, and each killed
// run was closed as a crash by the start after it. The same on PostgreSQL (8 kills): every
// acknowledged id is there with its text; the killed runs stay open there, since a run counts
// as crashed only after a minute without a heartbeat (docs/DATA.md, section 7).

import Transport
import ChildProcess
import Foundation
import GRDB
import PostgresScratch
@testable import Store
import Testing
import WorldClient
import WorldCore
@testable import NetProto

/// A `seoulworld serve` child process on a free loopback port, its log in a file.
final class ChildServer {
    let process = Process()
    let logPath: String
    private(set) var port: UInt16 = 0
    /// The admin side's port, once it says where it listens (0 with --no-admin).
    var adminPort: UInt16 {
        guard let range = log.range(of: #"http=http://127\.0\.0\.1:(\d+)/"#, options: .regularExpression) else { return 0 }
        return UInt16(log[range].dropFirst("http=http://127.0.0.1:".count).dropLast())!
    }

    /// The `seoulworld` binary built beside the test bundle (`swift build` puts every product there).
    static var binary: String { ChildProcess.builtBesideTests("seoulworld") }

    init(arguments: [String], logPath: String) throws {
        self.logPath = logPath
        FileManager.default.createFile(atPath: logPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: Self.binary)
        // The admin side on a free port too: tests run side by side, and beside a developer's server.
        process.arguments = ["serve", "--port", "0", "--admin-port", "0", "--log-level", "info"] + arguments
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // The server says where it listens once everything is open (at most 30 s).
        let deadline = Date().addingTimeInterval(30)
        while port == 0 && Date() < deadline && process.isRunning {
            if let log = try? String(contentsOfFile: logPath, encoding: .utf8),
               let range = log.range(of: #"tcp=127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                port = UInt16(log[range].split(separator: ":").last!)!
            } else {
                Thread.sleep(forTimeInterval: 0.02)
            }
        }
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Sends `signal` and waits at most 15 s for the process to end (then kills it for good).
    /// Returns whether it ended by itself.
    @discardableResult
    func kill(_ signal: Int32) -> Bool {
        Foundation.kill(process.processIdentifier, signal)
        let deadline = Date().addingTimeInterval(15)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        guard process.isRunning else { return true }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return false
    }

    deinit {
        if process.isRunning { kill(SIGKILL) }
    }
}

@Suite(.serialized, .timeLimit(.minutes(10))) struct CrashTests {
    static let worlds = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("WorldFilesTests/Fixtures/good").path

    @Test(arguments: [false, true]) func killedManyTimesNoAcknowledgedReportIsLost(onPostgres: Bool) throws {
        try #require(FileManager.default.isExecutableFile(atPath: ChildServer.binary), "build the seoulworld binary first (`swift build`): \(ChildServer.binary)")
        let directory = NSTemporaryDirectory() + "seoulworld-kill-\(UUID().uuidString)"
        let database = directory + "/records.sqlite"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let postgres = onPostgres ? try PostgresScratch.shared.get().database() : nil
        let store = postgres.map { ["--store", $0.description] } ?? ["--data", database]
        var random = WorldRandom(seed: 20_261_122)
        var acknowledged: [UInt64: String] = [:]
        var sent = 0
        let kills = onPostgres ? 8 : 20
        for round in 0..<kills {
            let child = try ChildServer(arguments: store + ["--worlds", Self.worlds, "--policy", Policy.directory, "--no-desks", "--no-tax-square", "--no-guide"], logPath: directory + "/server-\(round).log")
            try #require(child.port != 0, "the server did not start: \(child.log)")
            let loop = try UVLoop()
            let client = try WorldClient(loop: loop, server: try SocketAddress(host: "127.0.0.1", port: child.port), credentials: .guest(displayName: "reporter"))
            drive(loop, [client], seconds: 10) { client.welcome != nil }
            try #require(client.welcome != nil, "round \(round): no welcome")
            client.enter("hall")
            // Report continuously, four at a time, until a random moment 0.2 to 1.5 s after the
            // round's first acknowledgement (counted from then, so that a slow start on a busy
            // machine still leaves every round reports acknowledged before the kill).
            let spread = 200_000_000 + random.next() % 1_300_000_000
            var killAt = Monotonic.nanoseconds() + 30_000_000_000
            var timerStarted = false
            var texts: [UInt32: String] = [:]
            let acknowledgedBefore = acknowledged.count
            while Monotonic.nanoseconds() < killAt {
                if !timerStarted, !client.bugReportsFiled.isEmpty {
                    timerStarted = true
                    killAt = Monotonic.nanoseconds() + spread
                }
                while client.bugReportsOutstanding < 4 {
                    let text = "round \(round) report \(sent): 계단에서 떨어졌어요"
                    texts[client.reportBug(text)] = text
                    sent += 1
                }
                drive(loop, [client], seconds: 0.01)
            }
            child.kill(SIGKILL)
            drive(loop, [client], seconds: 0.2)
            for (request, id) in client.bugReportsFiled { acknowledged[id] = texts[request]! }
            #expect(acknowledged.count > acknowledgedBefore, "round \(round): reports were acknowledged before the kill")
            client.close()
            loop.closeAll()
        }

        // One clean start and stop, which closes the last killed run.
        let last = try ChildServer(arguments: store + ["--worlds", Self.worlds, "--policy", Policy.directory, "--no-desks", "--no-tax-square", "--no-guide"], logPath: directory + "/server-last.log")
        try #require(last.port != 0)
        #expect(last.kill(SIGTERM), "the server stops on SIGTERM, also when its parent blocked the signal")
        #expect(last.process.terminationStatus == 0)

        if let postgres {
            let pg = try PostgresStore(location: postgres, access: .readOnly)
            let (stored, runs) = try pg.inTransaction("test") { c in
                (Dictionary(uniqueKeysWithValues: try pg.run(c, "SELECT id, description FROM bug_reports").rows.map { row in
                    let (id, text) = try row.decode((Int64, String).self)
                    return (UInt64(id), text)
                }), try pg.run(c, "SELECT coalesce(stop_reason, 'open') FROM server_runs ORDER BY id").rows.map { try $0.decode(String.self) })
            }
            let missing = acknowledged.filter { stored[$0.key] != $0.value }
            #expect(missing.isEmpty, "\(missing.count) acknowledged reports missing or changed, e.g. \(missing.first.map { "\($0)" } ?? "")")
            #expect(runs == Array(repeating: "open", count: kills) + ["stopped"], "killed runs are closed only after a minute's silence")
            return
        }
        #expect(last.log.contains("did not stop cleanly"))

        let file = try Store(path: database, readOnly: true)
        #expect(try file.integrityCheck() == ["ok"])
        let stored = try file.read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT id, description FROM bug_reports").map { (UInt64($0["id"] as Int64), $0["description"] as String) })
        }
        let missing = acknowledged.filter { stored[$0.key] != $0.value }
        #expect(missing.isEmpty, "\(missing.count) acknowledged reports missing or changed, e.g. \(missing.first.map { "\($0)" } ?? "")")
        let runs = try file.read { db in try String.fetchAll(db, sql: "SELECT coalesce(stop_reason, 'open') FROM server_runs ORDER BY id") }
        #expect(runs == Array(repeating: "crash", count: kills) + ["stopped"])
        let open = try file.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM visits WHERE left_at_ms IS NULL") }
        #expect(open == 0, "every killed run's visits were closed at the next start")
    }
}
