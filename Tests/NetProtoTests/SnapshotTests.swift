import Testing
import WorldCore
@testable import NetProto

@Suite struct SnapshotTests {
    func randomState(_ random: inout WorldRandom, count: Int) -> [EntityState] {
        var ids = Set<UInt32>()
        while ids.count < count { ids.insert(UInt32(truncatingIfNeeded: random.next())) }
        return ids.sorted().map { id in
            EntityState(entity: id, x: UInt32(random.uniform(below: 1 << 20)), y: UInt32(random.uniform(below: 1 << 20)),
                        floor: UInt8(random.uniform(below: 64)), heading: UInt8(random.uniform(below: 256)), motion: UInt8(random.uniform(below: 3)))
        }
    }

    /// `base` with some removed, some moved a little or a lot, some turned, and some added.
    func evolve(_ base: [EntityState], _ random: inout WorldRandom) -> [EntityState] {
        var out: [EntityState] = []
        for var e in base {
            switch random.uniform(below: 10) {
            case 0: continue
            case 1...5:
                let dx = Int64(random.uniform(below: 31)) - 15, dy = Int64(random.uniform(below: 31)) - 15
                e.x = UInt32(min(max(Int64(e.x) + dx, 0), Int64(SnapshotCodec.coordinateMax)))
                e.y = UInt32(min(max(Int64(e.y) + dy, 0), Int64(SnapshotCodec.coordinateMax)))
            case 6: e.x = UInt32(random.uniform(below: 1 << 20))
            case 7: e.heading &+= 3
            case 8: e.motion = UInt8(random.uniform(below: 3))
            default: break
            }
            out.append(e)
        }
        out += randomState(&random, count: Int(random.uniform(below: 5)))
        var seen = Set<UInt32>()
        return out.filter { seen.insert($0.entity).inserted }.sorted { $0.entity < $1.entity }
    }

    @Test func deltasRoundTripWhateverFitsTheBudget() throws {
        var random = WorldRandom(seed: 12)
        var deferredTrials = 0
        for trial in 0..<400 {
            let baseline = trial % 5 == 0 ? [] : randomState(&random, count: Int(random.uniform(below: 150)))
            let current = evolve(baseline, &random)
            var priority = current.map(\.entity)
            for i in priority.indices.reversed() where i > 0 { priority.swapAt(i, Int(random.uniform(below: UInt64(i + 1)))) }
            let budget = 40 + Int(random.uniform(below: 1_200 - 40))
            let header = SnapshotHeader(tick: 100, baselineTick: baseline.isEmpty ? 0 : 90, inputAck: 5, echoClientTimeMillis: 6, holdMillis: 7, serverTimeMillis: 8)
            let (body, known, stats) = SnapshotCodec.encode(header: header, current: current, baseline: baseline, priority: priority, budgetBytes: budget)
            #expect(body.count <= budget)
            let (decodedHeader, state) = try SnapshotCodec.decode(body, baseline: baseline)
            #expect(decodedHeader == header)
            #expect(state == known, "trial \(trial)")
            if stats.deferred == 0 {
                #expect(known == current, "trial \(trial): everything fit, so the client must hold the current state")
            } else {
                deferredTrials += 1
                #expect(known != current, "trial \(trial): something was deferred, so the client cannot hold everything yet")
            }
            if budget >= SnapshotHeader.bytes + 4 + (current.count + baseline.count) * 12 {
                #expect(stats.deferred == 0, "trial \(trial): a budget above every entity's largest encoding must send everything")
            }
        }
        #expect(deferredTrials > 20, "small budgets must have forced deferrals for this test to mean anything")
    }

    @Test func aCorruptSnapshotIsAnErrorNotATrap() throws {
        var random = WorldRandom(seed: 13)
        let baseline = randomState(&random, count: 60)
        // Entities removed, moved and added (the added ones among the baseline's ids), so that
        // every part of the body is there to be damaged.
        var current = evolve(baseline, &random)
        current = (current + randomState(&random, count: 6)).sorted { $0.entity < $1.entity }
        let kept = Set(baseline.map(\.entity))
        try #require(current.contains { !kept.contains($0.entity) } && baseline.contains { b in !current.contains { $0.entity == b.entity } })
        try #require(current.contains { c in kept.contains(c.entity) && !baseline.contains(c) })
        let header = SnapshotHeader(tick: 3, baselineTick: 2, inputAck: 0, echoClientTimeMillis: 0, holdMillis: 0, serverTimeMillis: 0)
        let body = SnapshotCodec.encode(header: header, current: current, baseline: baseline, priority: current.map(\.entity), budgetBytes: 1_200).body
        #expect(try SnapshotCodec.decode(body, baseline: baseline).state == current, "the undamaged snapshot decodes")
        var refused = 0, accepted = 0
        for i in 0..<20_000 {
            var bytes = body
            bytes[SnapshotHeader.bytes + Int(random.uniform(below: UInt64(bytes.count - SnapshotHeader.bytes)))] ^= UInt8(1 << (i % 8))
            // A flipped bit is an error, or a state a real encoder could have sent: entities in
            // order, each once, every field in its range. Never a trap, never garbage.
            do {
                let state = try SnapshotCodec.decode(bytes, baseline: baseline).state
                accepted += 1
                #expect(zip(state, state.dropFirst()).allSatisfy { $0.entity < $1.entity }, "flip \(i): entities out of order or repeated")
                #expect(state.allSatisfy { $0.x <= SnapshotCodec.coordinateMax && $0.y <= SnapshotCodec.coordinateMax && $0.motion <= 2 }, "flip \(i)")
            } catch {
                refused += 1
            }
            // Every snapshot cut short is refused: its last byte always holds data.
            let cut = Int(random.uniform(below: UInt64(body.count)))
            #expect(throws: WireError.self, "cut to \(cut) of \(body.count) bytes") { _ = try SnapshotCodec.decode(Array(body.prefix(cut)), baseline: baseline) }
        }
        #expect(refused > 1_000 && accepted > 1_000, "flips land both in values (accepted) and in counts, codes and padding (refused): \(refused) refused, \(accepted) accepted")
        #expect(throws: WireError.self) { _ = try SnapshotCodec.decode(body, baseline: []) }
    }

    @Test func quantisationIsWithinOneStep() {
        for cm in Int32(0)...1_000 {
            let q = EntityState.quantise(centimetres: cm)
            #expect(abs(EntityState.centimetres(q) - cm) <= 1)
        }
    }
}
