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

    static func writeGap<W: BitSink>(_ gap: Int, _ w: inout W) {
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
    /// - `priority`: the order in which the changes (updates and additions) are offered to
    ///   the budget, most important first (for example: due updates, nearest first); an
    ///   entity of `current` missing from it is offered after the listed ones, in entity
    ///   order. Removals always go first. Every change is sent that fits.
    /// - Returns the snapshot body, what the client will hold after it, and statistics.
    public static func encode(header: SnapshotHeader, current: [EntityState], baseline: [EntityState], priority: [UInt32],
                              budgetBytes: Int) -> (body: [UInt8], known: [EntityState], statistics: SnapshotStatistics) {
        let scratch = EncodeScratch()
        var known: [EntityState] = []
        let stats = encode(header: header, current: current, baseline: baseline, priority: { $0 = priority }, budgetBytes: budgetBytes,
                           scratch: scratch, known: &known)
        return (scratch.body, known, stats)
    }

    /// The working memory of `encode`, allocated once at its largest (`entitiesMax` entities,
    /// `bodyBytesMax` bytes) and kept by a caller that encodes for many clients (the server:
    /// one for all its clients), so that an encoding allocates nothing. `body` is the last
    /// snapshot encoded; the next call overwrites it.
    public final class EncodeScratch {
        public static let bodyBytesMax = 2_048
        public internal(set) var body: [UInt8] = []
        /// Per current entity: its index in the baseline, or -1.
        let baselineOfCurrent: UnsafeMutablePointer<Int32>
        /// Per baseline entity: its index in current, -1 if gone, -2 if its removal is sent.
        let currentOfBaseline: UnsafeMutablePointer<Int32>
        /// Per current entity: listed by the priority already; sent as an addition.
        let listed: UnsafeMutablePointer<Bool>
        let added: UnsafeMutablePointer<Bool>
        /// Per baseline entity: its update is sent.
        let updated: UnsafeMutablePointer<Bool>
        let bytes: UnsafeMutableRawPointer
        var priority: [UInt32] = []

        public init() {
            let n = SnapshotCodec.entitiesMax + 1
            baselineOfCurrent = .allocate(capacity: n)
            currentOfBaseline = .allocate(capacity: n)
            listed = .allocate(capacity: n)
            added = .allocate(capacity: n)
            updated = .allocate(capacity: n)
            bytes = .allocate(byteCount: Self.bodyBytesMax, alignment: 16)
            body.reserveCapacity(Self.bodyBytesMax)
        }

        deinit {
            baselineOfCurrent.deallocate()
            currentOfBaseline.deallocate()
            listed.deallocate()
            added.deallocate()
            updated.deallocate()
            bytes.deallocate()
        }
    }

    /// `encode` into reused memory: the body in `scratch.body`, what the client will hold
    /// after it in `known` (emptied first; its capacity is reused).
    ///
    /// `priority` fills in the entities in the order their changes should be offered (see
    /// above); it is called only when not every change fits the budget. When they all fit
    /// (each removal, update and addition charged its most expensive case), the order cannot
    /// change what is sent or its bytes (the body lists each kind in entity order), so none is
    /// needed; with the 100 avatars a view holds, they nearly always fit.
    public static func encode(header: SnapshotHeader, current: [EntityState], baseline: [EntityState],
                              priority: (inout [UInt32]) -> Void, budgetBytes: Int,
                              scratch s: EncodeScratch, known: inout [EntityState]) -> SnapshotStatistics {
        precondition(current.count <= entitiesMax && baseline.count <= entitiesMax)
        precondition(budgetBytes >= SnapshotHeader.bytes + 4 && budgetBytes <= EncodeScratch.bodyBytesMax)
        assert(isSortedUnique(current) && isSortedUnique(baseline), "entity lists must be sorted by id without duplicates")
        var stats = SnapshotStatistics()
        var budgetBits = (budgetBytes - SnapshotHeader.bytes) * 8 - 3 * countBits
        let nc = current.count, nb = baseline.count
        let boc = s.baselineOfCurrent, cob = s.currentOfBaseline, listed = s.listed, added = s.added, updated = s.updated

        current.withUnsafeBufferPointer { cur in
        baseline.withUnsafeBufferPointer { base in
            // Match current and baseline by merging (both are sorted by entity): no hashing,
            // since this runs for every client on every tick.
            for i in 0..<nb {
                cob[i] = -1
                updated[i] = false
            }
            var b = 0
            for i in 0..<nc {
                boc[i] = -1
                added[i] = false
                let e = cur[i].entity
                while b < nb && base[b].entity < e { b += 1 }
                if b < nb && base[b].entity == e {
                    boc[i] = Int32(b)
                    cob[b] = Int32(i)
                }
            }

            // 1. Removals, in baseline order, as many as fit.
            var removedCount = 0
            for i in 0..<nb where cob[i] == -1 {
                if budgetBits >= 13 {
                    cob[i] = -2
                    removedCount += 1
                    budgetBits -= 13
                } else {
                    stats.deferred += 1
                }
            }
            // 2. Updates and additions. Each charged its most expensive case: if all of them
            //    fit, all are sent; otherwise they are offered by priority, the entities it
            //    does not list after the listed ones.
            var changedBits = 0
            for i in 0..<nc {
                let bi = Int(boc[i])
                if bi < 0 { changedBits += addedBits } else if base[bi] != cur[i] { changedBits += updateBitsMax }
            }
            if changedBits <= budgetBits {
                for i in 0..<nc {
                    let bi = Int(boc[i])
                    if bi < 0 {
                        added[i] = true
                        stats.added += 1
                    } else if base[bi] != cur[i] {
                        updated[bi] = true
                        stats.updated += 1
                    }
                }
            } else {
                func offer(_ i: Int) {
                    let bi = Int(boc[i])
                    if bi >= 0 {
                        guard base[bi] != cur[i] else { return }
                        if budgetBits >= updateBitsMax {
                            updated[bi] = true
                            stats.updated += 1
                            budgetBits -= updateBitsMax
                        } else {
                            stats.deferred += 1
                        }
                    } else if stats.added < entitiesMax && budgetBits >= addedBits {
                        added[i] = true
                        stats.added += 1
                        budgetBits -= addedBits
                    } else {
                        stats.deferred += 1
                    }
                }
                for i in 0..<nc { listed[i] = false }
                priority(&s.priority)
                for id in s.priority {
                    if let i = index(of: id, in: cur), !listed[i] {
                        listed[i] = true
                        offer(i)
                    }
                }
                for i in 0..<nc where !listed[i] {
                    listed[i] = true
                    offer(i)
                }
            }

            // 3. Write: the header, then removals, updates and additions, each in entity order.
            let out = s.bytes
            out.storeBytes(of: header.tick.littleEndian, toByteOffset: 0, as: UInt32.self)
            out.storeBytes(of: header.baselineTick.littleEndian, toByteOffset: 4, as: UInt32.self)
            out.storeBytes(of: header.inputAck.littleEndian, toByteOffset: 8, as: UInt32.self)
            out.storeBytes(of: header.echoClientTimeMillis.littleEndian, toByteOffset: 12, as: UInt16.self)
            out.storeBytes(of: header.holdMillis.littleEndian, toByteOffset: 14, as: UInt16.self)
            out.storeBytes(of: header.serverTimeMillis.littleEndian, toByteOffset: 16, as: UInt16.self)
            var bits = BitBuffer(base: out, capacity: EncodeScratch.bodyBytesMax, offset: SnapshotHeader.bytes)
            bits.write(UInt64(removedCount), bits: countBits)
            var last = -1
            for i in 0..<nb where cob[i] == -2 {
                writeGap(i - last, &bits)
                last = i
            }
            bits.write(UInt64(stats.updated), bits: countBits)
            last = -1
            for i in 0..<nb where updated[i] {
                let before = bits.bitCount
                writeGap(i - last, &bits)
                last = i
                if writeChanges(from: base[i], to: cur[Int(cob[i])], &bits) {
                    stats.moved += 1
                    stats.movedBits += bits.bitCount - before
                }
            }
            bits.write(UInt64(stats.added), bits: countBits)
            for i in 0..<nc where added[i] { writeFull(cur[i], &bits) }
            let count = bits.finish()
            precondition(count <= budgetBytes, "snapshot over its budget")
            s.body.removeAll(keepingCapacity: true)
            s.body.append(contentsOf: UnsafeRawBufferPointer(start: out, count: count))

            // 4. What the client will hold: the baseline less the removed, with the updated
            //    taken from current, merged with the additions (both in entity order).
            known.removeAll(keepingCapacity: true)
            known.reserveCapacity(nb - removedCount + stats.added)
            var a = 0
            for i in 0..<nb where cob[i] != -2 {
                let e = base[i]
                while a < nc && (!added[a] || cur[a].entity < e.entity) {
                    if added[a] { known.append(cur[a]) }
                    a += 1
                }
                known.append(updated[i] ? cur[Int(cob[i])] : e)
            }
            while a < nc {
                if added[a] { known.append(cur[a]) }
                a += 1
            }
            stats.removed = removedCount
            stats.bytes = count
        }
        }
        assert(isSortedUnique(known))
        return stats
    }

    /// Binary search in a list sorted by entity.
    static func index(of entity: UInt32, in list: UnsafeBufferPointer<EntityState>) -> Int? {
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
    static func writeChanges<W: BitSink>(from a: EntityState, to b: EntityState, _ w: inout W) -> Bool {
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

    static func writeFull<W: BitSink>(_ e: EntityState, _ w: inout W) {
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
    ///
    /// In one pass over the baseline (every client decodes every snapshot, so this is most of
    /// a bot's work): the removed and updated indices are strictly increasing (every gap is at
    /// least 1), so the kept and updated entities are written out in baseline order, and the
    /// added ones (in increasing entity order, as the format requires) merged in; a baseline
    /// out of entity order (never one this decoder made) is sorted at the end instead.
    public static func decode(_ body: [UInt8], baseline: [EntityState]) throws(WireError) -> (header: SnapshotHeader, state: [EntityState]) {
        let header = try decodeHeader(body)
        if header.baselineTick == 0 && !baseline.isEmpty { throw .invalid(field: "baseline", reason: "given, but the snapshot names none") }
        var r = BitReader(body, byteOffset: SnapshotHeader.bytes)

        let removedCount = Int(try r.read(bits: countBits))
        var removed: [Int] = []
        var index = -1
        for _ in 0..<removedCount {
            index += try readGap(&r)
            guard index < baseline.count else { throw .invalid(field: "removed", reason: "index \(index) beyond the baseline's \(baseline.count) entities") }
            removed.append(index)
        }
        var result: [EntityState] = []
        result.reserveCapacity(baseline.count - removed.count)
        var next = 0        // the next baseline index not yet written out
        var nextRemoved = 0 // the first of `removed` at or after `next`
        var inOrder = true
        func keep(upTo end: Int) {
            while next < end {
                if nextRemoved < removed.count && removed[nextRemoved] == next {
                    nextRemoved += 1
                } else {
                    if let last = result.last, last.entity >= baseline[next].entity { inOrder = false }
                    result.append(baseline[next])
                }
                next += 1
            }
        }
        let updatedCount = Int(try r.read(bits: countBits))
        index = -1
        for _ in 0..<updatedCount {
            index += try readGap(&r)
            guard index < baseline.count else { throw .invalid(field: "updated", reason: "index \(index) beyond the baseline's \(baseline.count) entities") }
            keep(upTo: index)
            guard nextRemoved >= removed.count || removed[nextRemoved] != index else {
                throw .invalid(field: "updated", reason: "entity \(baseline[index].entity) is also removed")
            }
            let updated = try readChanges(from: baseline[index], &r)
            if let last = result.last, last.entity >= updated.entity { inOrder = false }
            result.append(updated)
            next = index + 1
        }
        keep(upTo: baseline.count)
        let addedCount = Int(try r.read(bits: countBits))
        var added: [EntityState] = []
        added.reserveCapacity(addedCount)
        for _ in 0..<addedCount {
            let e = try readFull(&r)
            if let previous = added.last, e.entity <= previous.entity { throw .invalid(field: "added", reason: "entities not in increasing order") }
            added.append(e)
        }
        try r.finish()
        if !inOrder {
            result.append(contentsOf: added)
            result.sort { $0.entity < $1.entity }
            for (a, b) in zip(result, result.dropFirst()) where a.entity == b.entity {
                throw .invalid(field: "added", reason: "entity \(a.entity) is already in the baseline")
            }
        } else if let first = added.first, let last = result.last, first.entity <= last.entity {
            result = try merge(result, added)
        } else {
            result.append(contentsOf: added)
        }
        guard result.count <= entitiesMax else { throw .invalid(field: "entities", reason: "\(result.count), more than \(entitiesMax)") }
        return (header, result)
    }

    /// Two lists in increasing entity order as one; an entity in both is an error of the added.
    static func merge(_ kept: [EntityState], _ added: [EntityState]) throws(WireError) -> [EntityState] {
        var out: [EntityState] = []
        out.reserveCapacity(kept.count + added.count)
        var i = 0, j = 0
        while i < kept.count && j < added.count {
            if kept[i].entity < added[j].entity {
                out.append(kept[i])
                i += 1
            } else if added[j].entity < kept[i].entity {
                out.append(added[j])
                j += 1
            } else {
                throw .invalid(field: "added", reason: "entity \(added[j].entity) is already in the baseline")
            }
        }
        out.append(contentsOf: kept[i...])
        out.append(contentsOf: added[j...])
        return out
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
