import Crowd
import NetProto
import Testing
import WorldCore
@testable import WorldServer

@Suite struct SnapshotWorkTests {
    /// Shared out among three workers, reading the avatars quantised once a tick, every client
    /// gets the very bytes it gets from one loop with one scratch quantising for each client,
    /// tick after tick, with acknowledgements moving each feed's baseline.
    @Test func threeWorkersBuildTheSameBytesAsOne() throws {
        let definition = SyntheticWorlds.forCrowd(avatars: 300, squareMetresPerAvatar: SyntheticWorlds.plazaSquareMetresPerAvatar)
        var world = try World(definition: definition, seed: 12)
        var crowd = Wanderers(seed: 12, target: 300, definition: definition, enterPerTickMax: 300)
        world.step(crowd.nextInputs())
        crowd.observe(world.report)
        let observed = Array(crowd.ids.prefix(50))
        var alone = observed.map { SnapshotFeed(observer: $0) }
        var shared = alone
        let one = SnapshotWork(workers: 1), three = SnapshotWork(workers: 3)
        var compared = 0
        for _ in 0..<40 {
            world.step(crowd.nextInputs())
            crowd.observe(world.report)
            let tick = UInt32(world.tick)
            let header = SnapshotHeader(tick: tick, baselineTick: 0, inputAck: 0, echoClientTimeMillis: 0, holdMillis: 0, serverTimeMillis: 0)
            let frozen = world
            let tickStates = TickStates()
            tickStates.update(from: frozen)
            func build(_ feeds: inout [SnapshotFeed], on work: SnapshotWork, states: TickStates?) -> [[UInt8]?] {
                var built = [SnapshotWork.Built?](repeating: nil, count: feeds.count)
                feeds.withUnsafeMutableBufferPointer { feeds in
                    built.withUnsafeMutableBufferPointer { built in
                        work.run(clients: feeds.count) { i, scratch, output in
                            // Each client acknowledges what it was sent two ticks ago.
                            if tick > 2 { feeds[i].acknowledge(tick - 2, scratch: scratch) }
                            built[i] = feeds[i].next(world: frozen, header: header, scratch: scratch, states: states).map { output.keep($0.body, $0.statistics) }
                        }
                    }
                }
                return built.map { $0.map(work.body(of:)) }
            }
            let a = build(&alone, on: one, states: nil), b = build(&shared, on: three, states: tickStates)
            #expect(a == b, "tick \(tick)")
            compared += a.compactMap { $0 }.count
        }
        #expect(compared == 50 * 40)
        // The acknowledgements moved the baselines: the bodies were deltas, not whole views.
        #expect(alone.allSatisfy { $0.ackedTick != 0 })
    }
}
