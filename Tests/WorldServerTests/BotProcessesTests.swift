// `bots --processes N`: the fleet as several processes, their reports merged (FleetMerge.swift).

@testable import Bots
import ChildProcess
import Foundation
import Histogram
import Testing

@Suite(.serialized, .timeLimit(.minutes(5))) struct BotProcessesTests {
    static func histogram(_ values: [UInt64]) -> Histogram<UInt64> {
        var h = Histogram<UInt64>(highestTrackableValue: 60_000, numberOfSignificantValueDigits: .three)
        for v in values { _ = h.record(v) }
        return h
    }

    /// Merged percentiles are those of all the samples, not an average of the parts': one part
    /// fast, one slow.
    @Test func percentilesMergeFromHistograms() throws {
        let fast = (0..<900).map { _ in UInt64(10) }, slow = (0..<100).map { UInt64(1_000 + $0) }
        let parts = [Percentiles(Self.histogram(fast), keep: true), Percentiles(Self.histogram(slow), keep: true)]
        let merged = try Percentiles.merged(parts, "rtt")
        let whole = Percentiles(Self.histogram(fast + slow))
        #expect(merged.count == 1_000)
        #expect(merged.p50 == whole.p50)
        #expect(merged.p90 == whole.p90)
        #expect(merged.p99 == whole.p99)
        #expect(merged.max == whole.max)
        #expect(merged.p50 == 10 && merged.p99 >= 1_000, "the slow part's tail shows")
        #expect(merged.histogram == nil, "the merged report keeps percentiles only")
        // Without the histograms there is nothing honest to merge.
        #expect(throws: MergeError.self) { try Percentiles.merged([Percentiles(Self.histogram(fast))], "rtt") }
        // An empty part needs none.
        #expect(try Percentiles.merged([Percentiles(), parts[1]], "rtt").count == 100)
    }

    @Test func reportsMergeCountsAndKeepEachProcessLoop() throws {
        var a = BotReport(), b = BotReport()
        a.target = 3; b.target = 2
        b.firstBot = 3
        a.succeeded = 3; b.succeeded = 1
        b.failed = 1; b.failedByReason = ["busy": 1]
        a.droppedByReason = ["x": 1]; b.droppedByReason = ["x": 2, "y": 1]
        a.bytesDown = 3_000; b.bytesDown = 1_000
        a.durationSeconds = 10; b.durationSeconds = 9
        a.chat.delivered = 5; b.chat.delivered = 7
        a.desk.sessionsEnded = 2; b.desk.joins = 4
        b.civic.inboxRead = 9
        a.fleetLoop.longestStallMillis = 70; b.fleetLoop.longestStallMillis = 2_500
        a.fleetLoop.processCPUShare = 0.5; b.fleetLoop.processCPUShare = 0.25
        a.fleetLoop.tickIntervalMillis = Percentiles(Self.histogram([50, 50]), keep: true)
        b.fleetLoop.tickIntervalMillis = Percentiles(Self.histogram([50, 2_500]), keep: true)
        let m = try BotReport.merged([a, b])
        #expect(m.target == 5 && m.succeeded == 4 && m.failed == 1)
        #expect(m.failedByReason == ["busy": 1])
        #expect(m.droppedByReason == ["x": 3, "y": 1])
        #expect(m.durationSeconds == 10 && m.chat.delivered == 12)
        #expect(m.desk.sessionsEnded == 2 && m.desk.joins == 4 && m.civic.inboxRead == 9)
        // Only figures of counts are added field by field.
        var loop = FleetLoopFigures()
        loop.busyShare = 0.5
        #expect(throws: MergeError.self) { try addedCounts([loop], "fleetLoop") }
        let kilobits: Double = 4_000.0 * 8 / 1_000 / (10 * 4)
        #expect(m.kilobitsPerSecondDownPerBot == kilobits)
        #expect(m.fleetLoop.longestStallMillis == 2_500 && m.fleetLoop.processCPUShare == 0.75)
        #expect(m.fleetLoop.tickIntervalMillis.count == 4 && m.fleetLoop.tickIntervalMillis.max >= 2_500)
        #expect(m.processes?.map(\.bots) == [3, 2])
        #expect(m.processes?.map(\.firstBot) == [0, 3])
        #expect(m.processes?.map(\.loop.longestStallMillis) == [70, 2_500])
        #expect(m.text.contains("process 2 of 2"), "each process's loop is in the text")
    }

    /// The real command: two processes of member bots that chat, against a real server. Each
    /// process has its own range of bot numbers (so of member accounts: the server lets one
    /// account sign in twice, so two processes with the same numbers would go unnoticed but
    /// for this), and the merged report counts every bot once.
    @Test func twoProcessesOfMemberBotsMergeIntoOneReport() throws {
        try #require(FileManager.default.isExecutableFile(atPath: ChildServer.binary), "build the seoulworld binary first (`swift build`): \(ChildServer.binary)")
        let directory = NSTemporaryDirectory() + "seoulworld-bot-processes-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try AdminServerTests.encodeHexForTests(Shipped.secret).write(toFile: directory + "/secret", atomically: true, encoding: .utf8)
        let server = try ChildServer(arguments: ["--data", directory + "/records.sqlite", "--token-secret-file", directory + "/secret",
                                                 "--worlds", Shipped.worlds.path, "--no-admin"], logPath: directory + "/server.log")
        try #require(server.port != 0, "the server did not start: \(server.log)")
        defer { server.kill(SIGTERM) }
        let outcome = try ChildProcess.run(ChildServer.binary, [
            "bots", "--server", "127.0.0.1:\(server.port)", "--processes", "2", "--count", "13", "--ramp", "50", "--duration", "5",
            "--world", "seoul-plaza", "--chat-every-seconds", "1", "--profane-share", "0", "--token-secret-file", directory + "/secret",
            "--report", directory + "/report.json",
        ], deadlineSeconds: 90)
        #expect(outcome.status == 0, "\(outcome)")
        let report = try JSONDecoder().decode(BotReport.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/report.json")))
        #expect(report.target == 13 && report.attempted == 13)
        #expect(report.succeeded == 13, "\(report.failedByReason)")
        #expect(report.dropped == 0, "no account signed in twice: \(report.droppedByReason)")
        #expect(report.processes?.map(\.bots) == [7, 6])
        #expect(report.processes?.map(\.firstBot) == [0, 7], "bots 0 to 6, then 7 to 12")
        #expect(report.snapshots > 13 * 20 && report.protocolErrors == 0)
        #expect(report.rttMillis.count > 0 && report.rttMillis.histogram == nil)
        #expect(report.chat.sent > 0 && report.chat.delivered > 0, "member bots of both processes chatted")
        #expect(report.fleetLoop.tickIntervalMillis.count >= 2 * 60)
        #expect(outcome.standardOutput.contains("process 2 of 2"), "\(outcome.standardOutput)")
    }
}
