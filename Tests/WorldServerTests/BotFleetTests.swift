import Bots
import Foundation
import NetProto
import Testing

@Suite(.serialized, .timeLimit(.minutes(10))) struct BotFleetTests {
    /// With the snapshots built on the loop's thread, and shared out among three workers.
    @Test(arguments: [1, 3])
    func fiftyBotsConnectAndReportConsistently(snapshotWorkers: Int) throws {
        let running = try RunningServer { $0.snapshotWorkers = snapshotWorkers }
        defer { running.stop() }
        let scenarioURL = Shipped.worlds.deletingLastPathComponent().appendingPathComponent("scenarios/plaza-festival.json")
        let scenario = try Scenario.load(scenarioURL)
        let fleet = try BotFleet(options: FleetOptions(server: running.address, count: 50, rampPerSecond: 100, durationSeconds: 4,
                                                       tcpOnlyShare: 0.2, scenario: scenario, seed: 3))
        var lines = 0
        let report = try fleet.run { _ in lines += 1 }
        #expect(lines >= 3, "a progress line every second")
        #expect(report.attempted == 50)
        #expect(report.succeeded == 50, "\(report.failedByReason)")
        #expect(report.failed == 0 && report.dropped == 0)
        #expect(report.contactViolationsSeen == 0)
        #expect(report.viewsChecked >= 50)
        #expect(report.snapshots > 50 * 20)
        #expect(report.protocolErrors == 0)
        #expect(report.rttMillis.count > 0, "round trips were measured")
        #expect(report.snapshotIntervalMillis.count > 0)
        #expect(report.kilobitsPerSecondDownPerBot > 0 && report.kilobitsPerSecondUpPerBot > 0)
        // The fleet's own loop: it ticked about every 50 ms and did not stall its bots out.
        #expect(report.fleetLoop.tickIntervalMillis.count >= 40 && report.fleetLoop.busyShare > 0 && report.fleetLoop.busyShare < 1 && report.fleetLoop.processCPUShare > 0)
        #expect(report.fleetLoop.dropsAfterOwnStall == 0 && report.text.contains("the fleet's own loop") && !report.text.contains("FLEET STALLED"))
        let json = try JSONEncoder().encode(report)
        let parsed = try JSONDecoder().decode(BotReport.self, from: json)
        #expect(parsed.succeeded == 50)
        let object = try JSONSerialization.jsonObject(with: json) as? [String: Any]
        #expect(object?["contactViolationsSeen"] as? Int == 0)
    }

    @Test func badScenariosAreRefusedWithReasons() throws {
        let bad = Scenario(name: "x", world: "seoul-plaza", description: nil, behaviours: [
            Scenario.Behaviour(kind: .gather, share: 0.5),
            Scenario.Behaviour(kind: .tour, share: 0.2),
        ])
        let problems = bad.problems()
        #expect(problems.contains { $0.contains("add up to 0.7") })
        #expect(problems.contains { $0.contains("gather needs gatherPointMetres") })
        #expect(problems.contains { $0.contains("tour needs tourSpaces") })
        for file in ["plaza-festival", "landmark-tour"] {
            let url = Shipped.worlds.deletingLastPathComponent().appendingPathComponent("scenarios/\(file).json")
            #expect(try Scenario.load(url).problems().isEmpty)
        }
    }
}
