// The bots' own loop, on times given by hand: lateness, the longest stall, how busy it was,
// and which drops followed a stall of the fleet's own (the idle window is 30 s).

import Testing
@testable import Bots

@Suite struct FleetLoopTests {
    static let ms: UInt64 = 1_000_000
    static let s: UInt64 = 1_000_000_000

    @Test func aStalledFleetOwnsTheDropsThatFollowItAndNoOthers() {
        var loop = FleetLoop()
        var t: UInt64 = 100 * Self.s
        // Ten seconds of good ticks, each taking 10 ms.
        for _ in 0..<200 {
            loop.began(at: t)
            loop.ended(at: t + 10 * Self.ms)
            t += 50 * Self.ms
        }
        // One tick 120 ms late, then a stall of 12 s, then a stall of 2 s later on.
        t += 70 * Self.ms
        loop.began(at: t); loop.ended(at: t + 10 * Self.ms)
        t += 12 * Self.s
        loop.began(at: t); loop.ended(at: t + 10 * Self.ms)
        let afterBigStall = t + Self.s
        t += 2 * Self.s
        loop.began(at: t); loop.ended(at: t + 10 * Self.ms)
        let longAfter = t + 25 * Self.s

        #expect(loop.lateTicks == 3 && loop.longestStall == 12 * Self.s)
        #expect(loop.isOwnStall(dropSeenAt: afterBigStall), "12 s of the 30 s before were the fleet's stall")
        #expect(!loop.isOwnStall(dropSeenAt: 105 * Self.s), "during good ticks")
        #expect(!loop.isOwnStall(dropSeenAt: longAfter + 20 * Self.s), "the big stall is out of the window by then")
        let f = loop.figures(dropsSeenAt: [afterBigStall, 105 * Self.s, longAfter + 20 * Self.s])
        #expect(f.dropsAfterOwnStall == 1 && f.lateTicks == 3 && f.longestStallMillis == 12_000)
        #expect(f.tickIntervalMillis.p50 == 50 && f.tickIntervalMillis.max >= 11_990)
        #expect(f.busyShare > 0.001 && f.busyShare < 0.2, "\(f.busyShare)")
    }
}
