// Snapshots: what one client sees, delta-coded against the last snapshot it acknowledged.
//
// The technique follows Glenn Fiedler's "Snapshot Compression" (gafferongames.com): the
// server keeps the snapshots it sent to each client; the client acknowledges the newest it
// received; each new snapshot is coded against that acknowledged one (the baseline), so a
// lost packet costs nothing but freshness: the next snapshot is coded against a baseline
// the client does hold. Positions are quantised to 2 cm, entities are referred to by their
// place in the baseline's list (small gaps, short codes), and small moves are sent as small
// signed deltas.
//
// Layout (docs/PROTOCOL.md, "Snapshot body", is the specification):
//   header, 18 bytes: tick u32, baselineTick u32 (0: none), inputAck u32,
//                     echoClientTime u16, holdMillis u16, serverTime u16
//   bits, least significant first:
//     removedCount (10), then for each: gap code of its baseline index
//     updatedCount (10), then for each: gap code of its baseline index, then its changes
//     addedCount (10), then for each: entity (32) and its full state
// Invariants:
// 1. Entity lists are sorted by entity id, without duplicates, at most `entitiesMax` long.
// 2. The encoder never exceeds its byte budget: it chooses what to send by upper-bound costs.
// 3. `known` (what the client holds after this snapshot) is exactly what the decoder
//    reconstructs from the same baseline.

public struct EntityState: Hashable, Sendable {
    public var entity: UInt32
    /// Position in units of 2 cm from the space's origin, each below 2^20 (so up to 20.97 km).
    public var x: UInt32
    public var y: UInt32
    /// Floor index, below 64.
    public var floor: UInt8
    /// Heading in 256ths of a turn (0 east, counter-clockwise).
    public var heading: UInt8
    /// 0 standing, 1 walking, 2 running.
    public var motion: UInt8

    public init(entity: UInt32, x: UInt32, y: UInt32, floor: UInt8, heading: UInt8, motion: UInt8) {
        self.entity = entity
        self.x = x
        self.y = y
        self.floor = floor
        self.heading = heading
        self.motion = motion
    }

    /// Quantises centimetres to the wire's 2 cm units, clamping into range.
    public static func quantise(centimetres: Int32) -> UInt32 {
        UInt32(min(max(Int64(centimetres) + 1, 0) / 2, Int64(SnapshotCodec.coordinateMax)))
    }

    /// The centre of a quantised position's 2 cm step, in centimetres.
    public static func centimetres(_ q: UInt32) -> Int32 { Int32(q) * 2 }
}

extension EntityState {
    /// FNV-1a over the states in entity order: equal on both sides when the client holds what
    /// the server believes it holds (the soak's desync check, `--view-digests`).
    public static func digest(_ states: [EntityState]) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix(_ value: UInt32) {
            for shift in stride(from: 0, to: 32, by: 8) {
                hash ^= UInt64(truncatingIfNeeded: value >> UInt32(shift)) & 0xFF
                hash &*= 0x0000_0100_0000_01B3
            }
        }
        for e in states.sorted(by: { $0.entity < $1.entity }) {
            mix(e.entity)
            mix(e.x)
            mix(e.y)
            mix(UInt32(e.floor) | UInt32(e.heading) << 8 | UInt32(e.motion) << 16)
        }
        return hash
    }
}

public struct SnapshotHeader: Hashable, Sendable {
    public var tick: UInt32
    /// The tick of the snapshot this one is coded against, or 0 when coded against nothing.
    public var baselineTick: UInt32
    /// The newest input sequence the server has applied.
    public var inputAck: UInt32
    public var echoClientTimeMillis: UInt16
    public var holdMillis: UInt16
    public var serverTimeMillis: UInt16

    public init(tick: UInt32, baselineTick: UInt32, inputAck: UInt32, echoClientTimeMillis: UInt16, holdMillis: UInt16, serverTimeMillis: UInt16) {
        self.tick = tick
        self.baselineTick = baselineTick
        self.inputAck = inputAck
        self.echoClientTimeMillis = echoClientTimeMillis
        self.holdMillis = holdMillis
        self.serverTimeMillis = serverTimeMillis
    }

    static let bytes = 18
}

public struct SnapshotStatistics: Hashable, Sendable {
    public var removed = 0
    public var updated = 0
    /// Of `updated`, those whose position changed.
    public var moved = 0
    public var added = 0
    /// Entities that changed or were new but did not fit this time.
    public var deferred = 0
    /// Bits spent on updates whose position changed (their reference and all their fields).
    public var movedBits = 0
    public var bytes = 0
}

public enum SnapshotCodec {
    public static let entitiesMax = 1_023
    public static let coordinateBits = 20
    public static let coordinateMax: UInt32 = (1 << 20) - 1
    static let countBits = 10
    static let floorBits = 6
    /// Full state of an added entity: id, x, y, floor, heading, motion.
    static let addedBits = 32 + 20 + 20 + 6 + 8 + 2
    /// The most an update can cost: the longest gap code, the absolute position class, and
    /// changed heading and motion.
    static let updateBitsMax = 13 + 2 + 20 + 20 + 6 + 1 + 8 + 1 + 2

    // MARK: Gap codes: baseline indexes in increasing order, each as the gap from the last.

    static func writeGap(_ gap: Int, _ w: inout BitWriter) {
        precondition(gap >= 1 && gap <= 1 + 4 + 16 + 1_024)
        if gap == 1 {
            w.write(1, bits: 1)
        } else if gap <= 5 {
            w.write(0b10, bits: 2) // '0' then '1', least significant first
            w.write(UInt64(gap - 2), bits: 2)
        } else if gap <= 21 {
            w.write(0b100, bits: 3)
            w.write(UInt64(gap - 6), bits: 4)
        } else {
            w.write(0b000, bits: 3)
            w.write(UInt64(gap - 22), bits: 10)
        }
    }

    static func readGap(_ r: inout BitReader) throws(WireError) -> Int {
        if try r.read(bits: 1) == 1 { return 1 }
        if try r.read(bits: 1) == 1 { return 2 + Int(try r.read(bits: 2)) }
        if try r.read(bits: 1) == 1 { return 6 + Int(try r.read(bits: 4)) }
        return 22 + Int(try r.read(bits: 10))
    }

    static func gapBits(_ gap: Int) -> Int { gap == 1 ? 1 : (gap <= 5 ? 4 : (gap <= 21 ? 7 : 13)) }

    // MARK: Encoding

    /// Encodes `current` against `baseline` within `budgetBytes` (header included).
    ///
    /// - `priority`: the entities whose changes the caller wants sent this tick, most
    ///   important first (for example: due updates, nearest first). Added entities are
    ///   taken in this order too; an entity new to the client but missing from `priority`
    ///   is added after the listed ones. Removals always go first.
    /// - Returns the snapshot body, what the client will hold after it, and statistics.
    public static func encode(header: SnapshotHeader, current: [EntityState], baseline: [EntityState], priority: [UInt32],
                              budgetBytes: Int) -> (body: [UInt8], known: [EntityState], statistics: SnapshotStatistics) {
        precondition(current.count <= entitiesMax && baseline.count <= entitiesMax)
        precondition(budgetBytes >= SnapshotHeader.bytes + 4)
        assert(isSortedUnique(current) && isSortedUnique(baseline), "entity lists must be sorted by id without duplicates")
        var stats = SnapshotStatistics()
        var budgetBits = (budgetBytes - SnapshotHeader.bytes) * 8 - 3 * countBits

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
            if let i = index(of: id, in: current), !listed[i] {
                listed[i] = true
                order.append(i)
            }
        }
        for i in current.indices where baselineOfCurrent[i] < 0 && !listed[i] {
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
                if budgetBits >= updateBitsMax {
                    updates.append(bi)
                    budgetBits -= updateBitsMax
                } else {
                    stats.deferred += 1
                }
            } else if additions.count < entitiesMax && budgetBits >= addedBits {
                additions.append(now)
                budgetBits -= addedBits
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
        bits.write(UInt64(removed.count), bits: countBits)
        var last = -1
        for i in removed {
            writeGap(i - last, &bits)
            last = i
        }
        bits.write(UInt64(updates.count), bits: countBits)
        last = -1
        for i in updates {
            let before = bits.bitCount
            writeGap(i - last, &bits)
            last = i
            let moved = writeChanges(from: baseline[i], to: current[currentOfBaseline[i]], &bits)
            stats.updated += 1
            if moved {
                stats.moved += 1
                stats.movedBits += bits.bitCount - before
            }
        }
        bits.write(UInt64(additions.count), bits: countBits)
        for e in additions { writeFull(e, &bits) }
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

    /// Binary search in a list sorted by entity.
    static func index(of entity: UInt32, in list: [EntityState]) -> Int? {
        var lo = 0, hi = list.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if list[mid].entity < entity { lo = mid + 1 } else { hi = mid }
        }
        return lo < list.count && list[lo].entity == entity ? lo : nil
    }

    static func isSortedUnique(_ list: [EntityState]) -> Bool {
        zip(list, list.dropFirst()).allSatisfy { $0.entity < $1.entity }
    }

    /// Writes what changed between `a` and `b`; returns whether the position changed.
    static func writeChanges(from a: EntityState, to b: EntityState, _ w: inout BitWriter) -> Bool {
        let dx = Int64(b.x) - Int64(a.x), dy = Int64(b.y) - Int64(a.y)
        let moved: Bool
        if dx == 0 && dy == 0 && a.floor == b.floor {
            w.write(0, bits: 2)
            moved = false
        } else if a.floor == b.floor && abs(dx) <= 15 && abs(dy) <= 15 {
            w.write(1, bits: 2)
            w.signed(dx, bits: 5)
            w.signed(dy, bits: 5)
            moved = true
        } else if a.floor == b.floor && abs(dx) <= 511 && abs(dy) <= 511 {
            w.write(2, bits: 2)
            w.signed(dx, bits: 10)
            w.signed(dy, bits: 10)
            moved = true
        } else {
            w.write(3, bits: 2)
            w.write(UInt64(b.x), bits: coordinateBits)
            w.write(UInt64(b.y), bits: coordinateBits)
            w.write(UInt64(b.floor), bits: floorBits)
            moved = true
        }
        w.bool(a.heading != b.heading)
        if a.heading != b.heading { w.write(UInt64(b.heading), bits: 8) }
        w.bool(a.motion != b.motion)
        if a.motion != b.motion { w.write(UInt64(b.motion), bits: 2) }
        return moved
    }

    static func writeFull(_ e: EntityState, _ w: inout BitWriter) {
        w.write(UInt64(e.entity), bits: 32)
        w.write(UInt64(e.x), bits: coordinateBits)
        w.write(UInt64(e.y), bits: coordinateBits)
        w.write(UInt64(e.floor), bits: floorBits)
        w.write(UInt64(e.heading), bits: 8)
        w.write(UInt64(e.motion), bits: 2)
    }

    // MARK: Decoding

    public static func decodeHeader(_ body: [UInt8]) throws(WireError) -> SnapshotHeader {
        var r = ByteReader(body)
        let tick = try r.u32(), baseline = try r.u32(), ack = try r.u32()
        let echo = try r.u16(), hold = try r.u16(), time = try r.u16()
        guard baseline < tick || baseline == 0 else { throw .invalid(field: "baselineTick", reason: "\(baseline) is not before tick \(tick)") }
        return SnapshotHeader(tick: tick, baselineTick: baseline, inputAck: ack, echoClientTimeMillis: echo, holdMillis: hold, serverTimeMillis: time)
    }

    /// Checks that `body` is a complete, well-formed snapshot (header, counts, codes, padding)
    /// without its baseline, so that a damaged snapshot is refused where it arrives. Values
    /// that depend on the baseline are checked by `decode`.
    public static func validateStructure(_ body: [UInt8]) throws(WireError) {
        _ = try decodeHeader(body)
        var r = BitReader(body, byteOffset: SnapshotHeader.bytes)
        var index = -1
        for _ in 0..<Int(try r.read(bits: countBits)) { index += try readGap(&r) }
        guard index < entitiesMax else { throw .invalid(field: "removed", reason: "index \(index) beyond \(entitiesMax)") }
        index = -1
        for _ in 0..<Int(try r.read(bits: countBits)) {
            index += try readGap(&r)
            switch try r.read(bits: 2) {
            case 0: break
            case 1: _ = try r.read(bits: 10)
            case 2: _ = try r.read(bits: 20)
            default: _ = try r.read(bits: 2 * coordinateBits + floorBits)
            }
            if try r.bool() { _ = try r.read(bits: 8) }
            if try r.bool(), try r.read(bits: 2) > 2 { throw .invalid(field: "motion", reason: "not 0, 1 or 2") }
        }
        guard index < entitiesMax else { throw .invalid(field: "updated", reason: "index \(index) beyond \(entitiesMax)") }
        for _ in 0..<Int(try r.read(bits: countBits)) { _ = try readFull(&r) }
        try r.finish()
    }

    /// Rebuilds what the server says this client sees, from the body and the baseline named
    /// in its header (empty when `baselineTick` is 0).
    public static func decode(_ body: [UInt8], baseline: [EntityState]) throws(WireError) -> (header: SnapshotHeader, state: [EntityState]) {
        let header = try decodeHeader(body)
        if header.baselineTick == 0 && !baseline.isEmpty { throw .invalid(field: "baseline", reason: "given, but the snapshot names none") }
        var r = BitReader(body, byteOffset: SnapshotHeader.bytes)
        var state = baseline
        var keep = [Bool](repeating: true, count: baseline.count)

        let removedCount = Int(try r.read(bits: countBits))
        var index = -1
        for _ in 0..<removedCount {
            index += try readGap(&r)
            guard index < baseline.count else { throw .invalid(field: "removed", reason: "index \(index) beyond the baseline's \(baseline.count) entities") }
            keep[index] = false
        }
        let updatedCount = Int(try r.read(bits: countBits))
        index = -1
        for _ in 0..<updatedCount {
            index += try readGap(&r)
            guard index < baseline.count else { throw .invalid(field: "updated", reason: "index \(index) beyond the baseline's \(baseline.count) entities") }
            guard keep[index] else { throw .invalid(field: "updated", reason: "entity \(baseline[index].entity) is also removed") }
            state[index] = try readChanges(from: baseline[index], &r)
        }
        var result: [EntityState] = []
        result.reserveCapacity(state.count)
        for i in state.indices where keep[i] { result.append(state[i]) }
        let addedCount = Int(try r.read(bits: countBits))
        var previous: UInt32? = nil
        for _ in 0..<addedCount {
            let e = try readFull(&r)
            if let previous, e.entity <= previous { throw .invalid(field: "added", reason: "entities not in increasing order") }
            previous = e.entity
            result.append(e)
        }
        try r.finish()
        result.sort { $0.entity < $1.entity }
        for (a, b) in zip(result, result.dropFirst()) where a.entity == b.entity {
            throw .invalid(field: "added", reason: "entity \(a.entity) is already in the baseline")
        }
        guard result.count <= entitiesMax else { throw .invalid(field: "entities", reason: "\(result.count), more than \(entitiesMax)") }
        return (header, result)
    }

    static func readChanges(from a: EntityState, _ r: inout BitReader) throws(WireError) -> EntityState {
        var b = a
        switch try r.read(bits: 2) {
        case 0: break
        case 1:
            b.x = try offset(a.x, by: try r.signed(bits: 5))
            b.y = try offset(a.y, by: try r.signed(bits: 5))
        case 2:
            b.x = try offset(a.x, by: try r.signed(bits: 10))
            b.y = try offset(a.y, by: try r.signed(bits: 10))
        default:
            b.x = UInt32(try r.read(bits: coordinateBits))
            b.y = UInt32(try r.read(bits: coordinateBits))
            b.floor = UInt8(try r.read(bits: floorBits))
        }
        if try r.bool() { b.heading = UInt8(try r.read(bits: 8)) }
        if try r.bool() {
            b.motion = UInt8(try r.read(bits: 2))
            guard b.motion <= 2 else { throw .invalid(field: "motion", reason: "\(b.motion) is not 0, 1 or 2") }
        }
        return b
    }

    static func offset(_ v: UInt32, by d: Int64) throws(WireError) -> UInt32 {
        let n = Int64(v) + d
        guard n >= 0 && n <= Int64(coordinateMax) else { throw .invalid(field: "position", reason: "moves outside 0...\(coordinateMax)") }
        return UInt32(n)
    }

    static func readFull(_ r: inout BitReader) throws(WireError) -> EntityState {
        let id = UInt32(try r.read(bits: 32))
        let x = UInt32(try r.read(bits: coordinateBits)), y = UInt32(try r.read(bits: coordinateBits))
        let floor = UInt8(try r.read(bits: floorBits)), heading = UInt8(try r.read(bits: 8)), motion = UInt8(try r.read(bits: 2))
        guard motion <= 2 else { throw .invalid(field: "motion", reason: "\(motion) is not 0, 1 or 2") }
        return EntityState(entity: id, x: x, y: y, floor: floor, heading: heading, motion: motion)
    }
}
