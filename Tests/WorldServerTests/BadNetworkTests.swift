// The bots' bad network (WorldClient/NetworkSimulator.swift) does what it says, and a client
// behind it still gets in, sees the others and holds exactly what the server believes it
// holds (the digests the soak compares).

import Transport
import Foundation
import NetProto
import Testing
import WorldClient
@testable import WorldServer

@Suite struct NetworkSimulatorTests {
    @Test func lossDuplicationAndJitterAreWhatWasAsked() {
        var net = NetworkSimulator(conditions: NetworkConditions(lossPercent: 25, duplicatePercent: 25, latencyMillis: 100, jitterMillis: 50), seed: 7)
        let start: UInt64 = 1_000_000_000
        // Nothing arrives before the latency less the jitter.
        net.submit([0], .toServer, nowNanos: start)
        #expect(net.due(nowNanos: start + 49_000_000).isEmpty)
        var delivered = net.due(nowNanos: start + 151_000_000).count
        // One a millisecond for 20 s, taking what is due as time passes.
        for i in 1..<20_000 {
            let now = start + UInt64(i) * 1_000_000
            net.submit([UInt8(truncatingIfNeeded: i)], .toServer, nowNanos: now)
            delivered += net.due(nowNanos: now).count
        }
        delivered += net.due(nowNanos: start + 20_000 * 1_000_000 + 151_000_000).count
        let f = net.figures
        #expect(f.submitted == 20_000)
        #expect(f.overflowed == 0)
        #expect(abs(Double(f.dropped) / 20_000 - 0.25) < 0.02, "\(f.dropped) lost")
        #expect(abs(Double(f.duplicated) / Double(20_000 - f.dropped) - 0.25) < 0.02, "\(f.duplicated) duplicated")
        // Everything not lost arrives by latency plus jitter, the duplicates twice.
        #expect(delivered == 20_000 - f.dropped + f.duplicated)
        #expect(net.heldCount == 0)
        #expect(net.figures.overtaken > 1_000, "jitter of ±50 ms over 1 ms spacing reorders many")
    }

    @Test func aPerfectNetworkChangesNothingAndTheSameSeedTheSameLosses() {
        var a = NetworkSimulator(conditions: NetworkConditions(lossPercent: 10), seed: 3)
        var b = NetworkSimulator(conditions: NetworkConditions(lossPercent: 10), seed: 3)
        for i in 0..<1_000 {
            a.submit([1], .toClient, nowNanos: UInt64(i))
            b.submit([1], .toClient, nowNanos: UInt64(i))
        }
        #expect(a.figures == b.figures)
        #expect(NetworkConditions.perfect.isPerfect)
        #expect(NetworkConditions(lossPercent: 101).problem != nil)
    }
}

@Suite(.serialized, .timeLimit(.minutes(10))) struct BadNetworkServerTests {
    @Test func clientsBehindABadNetworkHoldWhatTheServerBelieves() throws {
        let path = NSTemporaryDirectory() + "seoulworld-digests-\(UUID().uuidString).txt"
        let running = try RunningServer { $0.viewDigestsPath = path }
        let loop = try UVLoop()
        let bad = NetworkConditions(lossPercent: 25, duplicatePercent: 25, latencyMillis: 60, jitterMillis: 40)
        let clients = try (0..<6).map { i in
            var options = WorldClient.Options(network: bad, networkSeed: UInt64(i + 1))
            options.viewDigestEveryTicks = ViewDigestLog.everyTicks
            return try WorldClient(loop: loop, server: running.address, credentials: .guest(displayName: "lossy-\(i)"), options: options)
        }
        drive(loop, clients, seconds: 15) { clients.allSatisfy { $0.welcome != nil && $0.udpBound } }
        try #require(clients.allSatisfy { $0.udpBound }, "the binding completes through loss")
        for c in clients { c.enter("seoul-plaza") }
        drive(loop, clients, seconds: 10) { clients.allSatisfy { $0.space != nil } }
        // Walk about for a while so that the views change.
        for (i, c) in clients.enumerated() { c.move(.go(heading: UInt16(i * 10_000), pace: i % 2 == 0 ? 2 : 1)) }
        drive(loop, clients, seconds: 8) { false }
        running.stop()
        loop.closeAll()

        var server: [String: String] = [:]
        for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") {
            let parts = line.split(separator: " ")
            server["\(parts[0]) \(parts[1])"] = String(parts[2])
        }
        var compared = 0
        for c in clients {
            let session = c.welcome!.sessionID
            for d in c.viewDigests {
                guard let believed = server["\(session) \(d.tick)"] else { continue }
                #expect(believed == String(d.digest), "session \(session) tick \(d.tick): the client holds other than the server believes")
                compared += 1
            }
        }
        #expect(compared >= 15, "enough views compared: \(compared)")
        let figures = clients.reduce(NetworkFigures()) { $0 + $1.networkFigures }
        #expect(figures.dropped > 0 && figures.duplicated > 0 && figures.overtaken > 0, "\(figures)")
        #expect(clients.allSatisfy { $0.snapshotsUndecodable == 0 })
    }
}
