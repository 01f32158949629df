import Crowd
import NetProto
import Testing
import WorldCore
@testable import WorldServer

@Suite struct SnapshotFeedTests {
    @Test func clientsDecodeExactlyWhatTheServerBelievesUnderLossAndLateAcks() throws {
        let definition = SyntheticWorlds.forCrowd(avatars: 400, squareMetresPerAvatar: SyntheticWorlds.plazaSquareMetresPerAvatar)
        let report = try SnapshotCost.measure(definition: definition, avatars: 400, seconds: 4, observedClients: 40,
                                              lossPercent: 10, ackDelayTicks: 3, seed: 4)
        #expect(report.mismatches == 0)
        #expect(report.snapshotsSent == 40 * 80)
        #expect(report.snapshotsLost > 0)
        #expect(report.largestPacketBytes <= WireProtocol.packetBytesMax)
        #expect(report.averageVisible > 50, "a plaza crowd should fill views: \(report.averageVisible)")
        #expect(report.movedUpdates > 10_000)
        // The target: at most 24 bits per moving visible avatar's update, on average.
        #expect(report.bitsPerMovedUpdate <= 24, "\(report.bitsPerMovedUpdate) bits per moved update")
    }

    @Test func theOwnAvatarIsAlwaysCurrentAtTheClient() throws {
        let definition = SyntheticWorlds.forCrowd(avatars: 200, squareMetresPerAvatar: 4)
        var world = try World(definition: definition, seed: 9)
        var crowd = Wanderers(seed: 9, target: 200, definition: definition, enterPerTickMax: 200)
        world.step(crowd.nextInputs())
        crowd.observe(world.report)
        let me = crowd.ids[0]
        var feed = SnapshotFeed(observer: me, budgetBytes: 60) // tiny: most of the view must wait
        var held: [UInt32: [EntityState]] = [:]
        for _ in 0..<60 {
            world.step(crowd.nextInputs() + [.move(me, .go(.east, .walk))])
            crowd.observe(world.report)
            let tick = UInt32(world.tick)
            let next = feed.next(world: world, header: SnapshotHeader(tick: tick, baselineTick: 0, inputAck: 0, echoClientTimeMillis: 0, holdMillis: 0, serverTimeMillis: 0))
            let (body, _) = try #require(next)
            #expect(body.count <= 60)
            let header = try SnapshotCodec.decodeHeader(body)
            let (_, state) = try SnapshotCodec.decode(body, baseline: header.baselineTick == 0 ? [] : try #require(held[header.baselineTick]))
            held[tick] = state
            feed.acknowledge(tick)
            let mine = try #require(state.first { $0.entity == SnapshotFeed.entity(me) })
            let truth = try #require(world.avatar(me)).position
            #expect(abs(EntityState.centimetres(mine.x) - truth.x) <= 1 && abs(EntityState.centimetres(mine.y) - truth.y) <= 1,
                    "the client sees itself within the 2 cm quantisation step")
        }
    }
}

@Suite struct SnapshotConvergenceTests {
    /// Every client's view must settle on the truth once the crowd stands still, whatever the
    /// phase of its acknowledgements against the update bands (the bug this guards against:
    /// avatars not due on the acknowledged tick were reverted to an older baseline forever).
    @Test(arguments: [0, 1, 2, 3, 5])
    func viewsConvergeOnceTheCrowdStops(ackDelayTicks: Int) throws {
        let definition = SyntheticWorlds.forCrowd(avatars: 120, squareMetresPerAvatar: 4)
        var world = try World(definition: definition, seed: 21)
        var crowd = Wanderers(seed: 21, target: 120, definition: definition, enterPerTickMax: 120, changeEveryTicksMean: 5)
        world.step(crowd.nextInputs())
        crowd.observe(world.report)
        let observers = Array(crowd.ids.prefix(30))
        var feeds = observers.map { SnapshotFeed(observer: $0) }
        var held = [[UInt32: [EntityState]]](repeating: [:], count: observers.count)
        var views = [[EntityState]](repeating: [], count: observers.count)
        var pendingAcks = [[(Int, UInt32)]](repeating: [], count: observers.count)
        for t in 0..<160 {
            // Walk for 100 ticks, then everyone stops.
            var inputs = t < 100 ? crowd.nextInputs() : []
            if t == 100 { inputs = crowd.ids.map { .move($0, .stop) } }
            world.step(inputs)
            if t < 100 { crowd.observe(world.report) }
            let tick = UInt32(world.tick)
            for i in observers.indices {
                while let first = pendingAcks[i].first, first.0 <= t {
                    feeds[i].acknowledge(first.1)
                    pendingAcks[i].removeFirst()
                }
                let header = SnapshotHeader(tick: tick, baselineTick: 0, inputAck: 0, echoClientTimeMillis: 0, holdMillis: 0, serverTimeMillis: 0)
                let next = feeds[i].next(world: world, header: header)
                let (body, _) = try #require(next)
                let baselineTick = try SnapshotCodec.decodeHeader(body).baselineTick
                let (_, state) = try SnapshotCodec.decode(body, baseline: baselineTick == 0 ? [] : try #require(held[i][baselineTick]))
                held[i][tick] = state
                views[i] = state
                pendingAcks[i].append((t + ackDelayTicks, tick))
            }
        }
        for (i, observer) in observers.enumerated() {
            var truth = [SnapshotFeed.state(world.avatar(observer)!)]
            world.forEachVisible(of: observer) { id, _ in truth.append(SnapshotFeed.state(world.avatar(id)!)) }
            truth.sort { $0.entity < $1.entity }
            let same = views[i] == truth
            #expect(same, "observer \(i): \(zip(views[i], truth).filter { $0 != $1 }.count) of \(truth.count) avatars stale")
        }
    }
}

@Suite struct SnapshotPriorityTests {
    /// The packed-key sort gives exactly the order of the tuple sort it replaced, ties of
    /// distance included, and a distance too large to pack falls back to the tuple sort.
    @Test func packedPriorityEqualsTheTupleSort() {
        var random = WorldRandom(seed: 7)
        for round in 0..<500 {
            let count = Int(random.next() % 120) + 1
            var entities = Set<UInt32>()
            while entities.count < count { entities.insert(UInt32(truncatingIfNeeded: random.next())) }
            // Few distinct distances, so that ties are common; sometimes one beyond 2^46.
            var seen = entities.sorted().map { e in
                SnapshotFeed.Seen(state: EntityState(entity: e, x: 0, y: 0, floor: 0, heading: 0, motion: 0),
                                  distance: Int64(random.next() % 8) * 10_000, due: random.next() % 3 != 0)
            }
            if round % 10 == 0 { seen[Int(random.next() % UInt64(count))].distance = 1 << 50 }
            let mine = seen[Int(random.next() % UInt64(count))].state.entity
            #expect(SnapshotFeed.priority(of: seen, mine: mine) == SnapshotFeed.priority(of: seen, mine: mine, packed: false), "round \(round)")
        }
    }
}

@Suite struct SnapshotOrderTests {
    /// Ordering a view along last tick's (`orderByEntity`) gives exactly what sorting it whole
    /// and merging it with what was presented gave: members held unless due, newcomers fresh,
    /// leavers gone; with one scratch reused across rounds, as the server reuses it.
    @Test func orderingAlongThePresentedViewEqualsTheSortItReplaced() {
        var random = WorldRandom(seed: 11)
        let scratch = SnapshotScratch()
        func state(_ e: UInt32) -> EntityState {
            EntityState(entity: e, x: UInt32(random.next() % 1_000), y: UInt32(random.next() % 1_000), floor: 0, heading: 0, motion: 0)
        }
        for round in 0..<400 {
            // Entities: a slot below 4,096 (unique) and a generation in the high bits.
            var slots = Set<UInt32>()
            let count = Int(random.next() % 110)
            while slots.count < count { slots.insert(UInt32(random.next() % 4_096)) }
            let view = slots.map { $0 | UInt32(random.next() % 4) << 20 }
            // Last tick's presented view: most of this one (some with another generation, so a
            // different avatar in the same slot), and some that left.
            var presented: [EntityState] = []
            for e in view where random.next() % 5 != 0 {
                presented.append(state(random.next() % 8 == 0 ? (e & SnapshotFeed.slotMask) | 7 << 20 : e))
            }
            for _ in 0..<Int(random.next() % 6) {
                let e = UInt32(4_096 + random.next() % 1_000)
                if !presented.contains(where: { $0.entity == e }) { presented.append(state(e)) }
            }
            presented.sort { $0.entity < $1.entity }
            let seen = view.map { SnapshotFeed.Seen(state: state($0), distance: Int64(random.next() % 100), due: random.next() % 2 == 0) }
            for (i, item) in seen.enumerated() { scratch.seen[i] = item }

            // What the full sort and merge gave.
            let sorted = seen.sorted { $0.state.entity < $1.state.entity }
            var expected: [EntityState] = []
            var p = 0
            for item in sorted {
                while p < presented.count && presented[p].entity < item.state.entity { p += 1 }
                let held = p < presented.count && presented[p].entity == item.state.entity ? presented[p] : nil
                expected.append(item.due || held == nil ? item.state : held!)
            }

            SnapshotFeed.orderByEntity(presented: presented, count: seen.count, scratch: scratch)
            #expect(UnsafeBufferPointer(start: scratch.sorted, count: seen.count).map(\.state) == sorted.map(\.state), "round \(round)")
            #expect(Array(UnsafeBufferPointer(start: scratch.current, count: seen.count)) == expected, "round \(round)")
            #expect(UnsafeBufferPointer(start: scratch.slotMarks, count: scratch.slotMarksCount).allSatisfy { $0 == 0 },
                    "marks are cleared for the next view")
        }
    }
}
