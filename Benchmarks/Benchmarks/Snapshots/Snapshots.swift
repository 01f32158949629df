// The server's per-client work of one tick: every avatar quantised once (`TickStates`), then
// every connected client's snapshot built and encoded (`SnapshotFeed.next`: its view gathered, merged with what it was shown, ordered by
// priority, delta-coded against the newest snapshot it acknowledged), at plaza density. One
// measured iteration is one tick for every client, so "Malloc (total)" is allocations per
// tick and wall clock / clients is the time per client.
//
// The crowd walks between iterations (outside the measurement), and each client acknowledges
// the snapshot of two ticks before, as over a 100 ms round trip at 20 Hz; so the deltas and
// the history a client's feed keeps are those of a playing server.

import Benchmark
import Crowd
import NetProto
import WorldCore
import WorldServer

final class FeedFixture: @unchecked Sendable {
    var world: World?
    var crowd: Wanderers?
    var feeds: [SnapshotFeed] = []
    var sent: [[UInt32]] = []
    /// One for every client, as the server has.
    let scratch = SnapshotScratch()
    /// Every avatar quantised once a tick, as the server does (`TickStates`).
    let states = TickStates()

    func build(avatars: Int, squareMetresPerAvatar: Int) throws {
        let definition = SyntheticWorlds.forCrowd(avatars: avatars, squareMetresPerAvatar: squareMetresPerAvatar)
        var world = try World(definition: definition, seed: 2026)
        var crowd = Wanderers(seed: 2026, target: avatars, definition: definition, enterPerTickMax: avatars)
        for _ in 0..<60 {
            world.step(crowd.nextInputs())
            crowd.observe(world.report)
        }
        precondition(world.population == avatars, "the fixture's crowd did not all enter: \(world.population) of \(avatars)")
        feeds = crowd.ids.map { SnapshotFeed(observer: $0) }
        sent = Array(repeating: [], count: feeds.count)
        self.world = world
        self.crowd = crowd
        // Warm: a few ticks so that every feed has a baseline and a history.
        for _ in 0..<8 { tick(measure: nil) }
    }

    /// One tick: the world steps (not measured), then every client's snapshot is built.
    func tick(measure benchmark: Benchmark?) {
        guard var world, var crowd else { fatalError("fixture missing") }
        self.world = nil // the world's storage uniquely referenced while it steps
        world.step(crowd.nextInputs())
        crowd.observe(world.report)
        let tick = UInt32(truncatingIfNeeded: world.tick)
        let header = SnapshotHeader(tick: tick, baselineTick: 0, inputAck: 0, echoClientTimeMillis: 0, holdMillis: 0, serverTimeMillis: 0)
        benchmark?.startMeasurement()
        states.update(from: world)
        for i in feeds.indices {
            if let (body, _) = feeds[i].next(world: world, header: header, scratch: scratch, states: states) { blackHole(body.count) }
        }
        benchmark?.stopMeasurement()
        for i in feeds.indices {
            sent[i].append(tick)
            if sent[i].count > 2 { feeds[i].acknowledge(sent[i].removeFirst(), scratch: scratch) }
        }
        self.world = world
        self.crowd = crowd
    }

    func release() {
        world = nil
        crowd = nil
        feeds = []
        sent = []
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal, .peakMemoryResident],
        timeUnits: .microseconds,
        warmupIterations: 3,
        maxDuration: .seconds(6),
        maxIterations: 200
    )
    for n in [1_000, 2_000] {
        let fixture = FeedFixture()
        Benchmark("snapshots plaza \(n) clients", closure: { benchmark in
            for _ in benchmark.scaledIterations { fixture.tick(measure: benchmark) }
        }, setup: {
            try fixture.build(avatars: n, squareMetresPerAvatar: SyntheticWorlds.plazaSquareMetresPerAvatar)
        }, teardown: {
            fixture.release()
        })
    }
}
