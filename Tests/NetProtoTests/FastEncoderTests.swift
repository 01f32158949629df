// The snapshot encoder as it was before it was made to allocate nothing (arrays rebuilt for
// every client, a sort where a merge now is, a priority always ordered): kept here as the
// reference the fast encoder must equal, byte for byte, in what the client will hold, and in
// its statistics. One line differs, marked: an update the priority does not list used to be
// left out; now it is offered after the listed ones, as an addition was (the server always
// lists every entity, so what it sends is unchanged).
import Testing
import WorldCore
@testable import NetProto

enum ReferenceEncoder {
    static func encode(header: SnapshotHeader, current: [EntityState], baseline: [EntityState], priority: [UInt32],
                              budgetBytes: Int) -> (body: [UInt8], known: [EntityState], statistics: SnapshotStatistics) {
        precondition(current.count <= SnapshotCodec.entitiesMax && baseline.count <= SnapshotCodec.entitiesMax)
        precondition(budgetBytes >= SnapshotHeader.bytes + 4)
        assert(SnapshotCodec.isSortedUnique(current) && SnapshotCodec.isSortedUnique(baseline), "entity lists must be sorted by id without duplicates")
        var stats = SnapshotStatistics()
        var budgetBits = (budgetBytes - SnapshotHeader.bytes) * 8 - 3 * SnapshotCodec.countBits

        // Match current and baseline by merging (both are sorted by entity): no hashing, since
        // this runs for every client on every tick.
        var baselineOfCurrent = [Int](repeating: -1, count: current.count)
        var currentOfBaseline = [Int](repeating: -1, count: baseline.count)
        var b = 0
        for (i, e) in current.enumerated() {
            while b < baseline.count && baseline[b].entity < e.entity { b += 1 }
            if b < baseline.count && baseline[b].entity == e.entity {
                baselineOfCurrent[i] = b
                currentOfBaseline[b] = i
            }
        }

        // 1. Removals, in baseline order, as many as fit.
        var removed: [Int] = []
        for i in baseline.indices where currentOfBaseline[i] < 0 {
            if budgetBits >= 13 {
                removed.append(i)
                budgetBits -= 13
            } else {
                stats.deferred += 1
            }
        }
        // 2. Updates and additions by priority, each charged its most expensive case; entities
        //    new to the client and not listed come after the listed ones.
        var listed = [Bool](repeating: false, count: current.count)
        var order: [Int] = []
        order.reserveCapacity(current.count)
        for id in priority {
            if let i = current.firstIndex(where: { $0.entity == id }), !listed[i] {
                listed[i] = true
                order.append(i)
            }
        }
        for i in current.indices where !listed[i] { // was: only additions (see above)
            listed[i] = true
            order.append(i)
        }
        var updates: [Int] = []
        var additions: [EntityState] = []
        for i in order {
            let now = current[i]
            let bi = baselineOfCurrent[i]
            if bi >= 0 {
                guard baseline[bi] != now else { continue }
                if budgetBits >= SnapshotCodec.updateBitsMax {
                    updates.append(bi)
                    budgetBits -= SnapshotCodec.updateBitsMax
                } else {
                    stats.deferred += 1
                }
            } else if additions.count < SnapshotCodec.entitiesMax && budgetBits >= SnapshotCodec.addedBits {
                additions.append(now)
                budgetBits -= SnapshotCodec.addedBits
            } else {
                stats.deferred += 1
            }
        }
        updates.sort()
        additions.sort { $0.entity < $1.entity }

        // 3. Write, in baseline order.
        var w = ByteWriter(capacity: budgetBytes)
        w.u32(header.tick)
        w.u32(header.baselineTick)
        w.u32(header.inputAck)
        w.u16(header.echoClientTimeMillis)
        w.u16(header.holdMillis)
        w.u16(header.serverTimeMillis)
        var bits = BitWriter()
        bits.write(UInt64(removed.count), bits: SnapshotCodec.countBits)
        var last = -1
        for i in removed {
            SnapshotCodec.writeGap(i - last, &bits)
            last = i
        }
        bits.write(UInt64(updates.count), bits: SnapshotCodec.countBits)
        last = -1
        for i in updates {
            let before = bits.bitCount
            SnapshotCodec.writeGap(i - last, &bits)
            last = i
            let moved = SnapshotCodec.writeChanges(from: baseline[i], to: current[currentOfBaseline[i]], &bits)
            stats.updated += 1
            if moved {
                stats.moved += 1
                stats.movedBits += bits.bitCount - before
            }
        }
        bits.write(UInt64(additions.count), bits: SnapshotCodec.countBits)
        for e in additions { SnapshotCodec.writeFull(e, &bits) }
        w.raw(bits.finished())
        precondition(w.bytes.count <= budgetBytes, "snapshot over its budget")

        // 4. What the client will hold.
        var isRemoved = [Bool](repeating: false, count: baseline.count)
        for i in removed { isRemoved[i] = true }
        var isUpdated = [Bool](repeating: false, count: baseline.count)
        for i in updates { isUpdated[i] = true }
        var known: [EntityState] = []
        known.reserveCapacity(baseline.count + additions.count)
        for (i, e) in baseline.enumerated() where !isRemoved[i] {
            known.append(isUpdated[i] ? current[currentOfBaseline[i]] : e)
        }
        known += additions
        known.sort { $0.entity < $1.entity }
        stats.removed = removed.count
        stats.added = additions.count
        stats.bytes = w.bytes.count
        return (w.bytes, known, stats)
    }

}

@Suite struct FastEncoderTests {
    @Test func theFastEncoderEqualsTheReferenceOnRandomViews() {
        var random = WorldRandom(seed: 2026)
        let scratch = SnapshotCodec.EncodeScratch()
        var known: [EntityState] = []
        var asked = 0, deferred = 0
        for round in 0..<2_000 {
            // Small ids so that current and baseline overlap; sometimes far more than fit.
            let big = round % 4 == 0
            func states(_ n: Int) -> [EntityState] {
                var ids = Set<UInt32>()
                while ids.count < n { ids.insert(UInt32(random.next() % (big ? 1_500 : 300))) }
                return ids.sorted().map {
                    EntityState(entity: $0, x: UInt32(random.next() % 3_000), y: UInt32(random.next() % 3_000),
                                floor: UInt8(random.next() % 2), heading: UInt8(random.next() % 4), motion: UInt8(random.next() % 3))
                }
            }
            let current = states(Int(random.next() % (big ? 400 : 130)))
            var baseline = states(Int(random.next() % (big ? 400 : 130)))
            // Some baseline entries equal their current state (unchanged, not sent).
            for i in baseline.indices where random.next() % 3 == 0 {
                if let c = current.first(where: { $0.entity == baseline[i].entity }) { baseline[i] = c }
            }
            var priority = current.map(\.entity)
            for i in priority.indices.reversed() where i > 0 { priority.swapAt(i, Int(random.next() % UInt64(i + 1))) }
            priority.removeLast(Int(random.next() % UInt64(priority.count / 4 + 1))) // some not listed
            if random.next() % 5 == 0, let first = priority.first { priority.append(first) } // listed twice
            let budget = [1_195, 600, 200][Int(random.next() % 3)]
            let header = SnapshotHeader(tick: UInt32(round + 2), baselineTick: UInt32(round + 1), inputAck: 7, echoClientTimeMillis: 1,
                                        holdMillis: 2, serverTimeMillis: 3)
            let reference = ReferenceEncoder.encode(header: header, current: current, baseline: baseline, priority: priority, budgetBytes: budget)
            var called = false
            let stats = SnapshotCodec.encode(header: header, current: current, baseline: baseline, priority: { called = true; $0 = priority },
                                             budgetBytes: budget, scratch: scratch, known: &known)
            #expect(scratch.body == reference.body, "round \(round)")
            #expect(known == reference.known, "round \(round)")
            #expect(stats == reference.statistics, "round \(round)")
            // The priority is asked for only when not every change fits; when it is not, nothing waits.
            if called { asked += 1 } else { #expect(stats.deferred == 0, "round \(round)") }
            deferred += stats.deferred
        }
        #expect(asked > 200 && asked < 1_800 && deferred > 0, "both paths were taken")
    }
}
