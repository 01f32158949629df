// Interest management: which avatars each observer sees.
//
// The rule, for an observer o refreshed at tick t (its entry tick, and then every
// `refreshPeriodTicks`, staggered by blocks of slots so that a crowd's refreshes spread
// evenly over ticks; see `isRefreshTick`):
//   1. A subject is eligible if it is alive, on o's floor, not o, and either within the
//      enter radius, or already in o's view and within the leave radius (hysteresis).
//   2. Each eligible subject gets the key (d² x scale, slot), where d is the distance and
//      scale is 100² for newcomers and (100 - capHysteresisPercent)² for current members,
//      so members hold their place against newcomers slightly nearer than they are.
//   3. The view becomes the `visibleMax` eligible subjects with the smallest keys.
// Keys are unique (the slot breaks ties), so the view is a function of the state alone,
// whatever order candidates are found in. The tests hold the world to a brute-force
// evaluation of exactly this rule.
//
// Between refreshes a view keeps its members; one that left the world is reported as
// leaving at the observer's next refresh, and never reported as due an update meanwhile.
//
// Cost: a view that was full at its last refresh is looked for first within a little more
// than its last reach (the farthest member's key, grown by two walking steps a tick between
// refreshes): only the cells that meet that disk are scanned, and only keys inside it kept.
// If that finds at least `visibleMax`, their smallest are exactly the rule's (everything
// outside has a larger key); if not (the crowd thinned), and for views that were not full,
// candidates are gathered ring by ring of grid cells outward from the observer, and the scan
// stops as soon as `visibleMax` candidates have keys smaller than anything the unscanned rings
// could hold, or the rings pass the leave radius. In a packed plaza either way covers about
// the K nearest, not the whole radius; in a sparse one, the radius. Selection is an O(n)
// histogram select over the gathered keys. The reach is a hint, not state: it is neither
// hashed nor captured, and a world restored without it refreshes to the same views.

extension World {
    /// Bits of the interest key that hold the slot.
    static let keySlotBits: UInt64 = 20
    static let keySlotMask: UInt64 = (1 << keySlotBits) - 1

    // A view entry is 32 bits: the slot in the low 20, the low 12 bits of the subject's
    // generation in the high 12. Between two refreshes of a view at most
    // `refreshPeriodTicks` (<= 64) ticks pass, and a slot's generation rises at most once a
    // tick, so 12 bits always tell a member from a newcomer in its slot, and the member's
    // full generation can be recovered from the slot's current one.
    static let entrySlotMask: UInt32 = (1 << 20) - 1
    static let entryGenerationMask: UInt32 = ~entrySlotMask

    @inline(__always) static func entry(slot: Int, generation: UInt32) -> UInt32 {
        UInt32(slot) | generation << 20
    }

    /// The full id of a view entry whose slot now holds `current`.
    @inline(__always) static func id(ofEntry e: UInt32, current: UInt32) -> AvatarID {
        let low = e >> 20
        return AvatarID(slot: e & entrySlotMask, generation: current &- ((current &- low) & 0xFFF))
    }

    /// The presence word of a live avatar: low generation bits, floor and the alive bit, so
    /// that "is this entry's avatar still here, on this floor" is one comparison.
    @inline(__always) static func presence(generation: UInt32, floor: Int32, alive: Bool) -> UInt32 {
        alive ? (generation << 20 | UInt32(floor) << 1 | 1) : 0
    }

    mutating func refreshViews() {
        let period = UInt64(definition.interest.refreshPeriodTicks)
        // The grid is read only by the refreshes: a tick in which no observer refreshes (an
        // empty space, or a small crowd between its turns) does not rebuild it.
        var indexed = spatialIndex != .grid
        let v = views.writable()
        for o in 0..<slotHighWater where alive[o] {
            if enteredTick[o] == tick || Self.isRefreshTick(tick, slot: o, period: period) {
                if !indexed {
                    interestIndex.rebuild(alive: alive, position: position, floor: floor, slotHighWater: slotHighWater)
                    indexed = true
                }
                refreshView(of: o, in: v)
            }
        }
    }

    /// Observers take turns in blocks of `refreshBlockSlots` consecutive slots, so that one
    /// tick's refreshes read consecutive rows of the view table (memory the processor can
    /// prefetch) instead of every fourth row.
    public static let refreshBlockSlots = 64

    /// Whether the observer in `slot` refreshes its view at `tick` (besides its entry tick).
    @inline(__always) public static func isRefreshTick(_ tick: UInt64, slot: Int, period: UInt64) -> Bool {
        (tick &+ UInt64(slot / refreshBlockSlots)) % period == 0
    }

    @inline(__always) func pairHash(observer: UInt64, subject: UInt64) -> UInt64 {
        mix64(observer &* 0x9E37_79B9_7F4A_7C15 ^ subject)
    }

    mutating func clearView(of o: Int) {
        let v = views.writable()
        let base = o * visibleMax
        let observer = AvatarID(slot: UInt32(o), generation: generation[o]).packed
        for i in 0..<Int(v.counts[o]) {
            let e = v.ids[base + i]
            let subject = Self.id(ofEntry: e, current: generation[Int(e & Self.entrySlotMask)])
            interestHash ^= pairHash(observer: observer, subject: subject.packed)
        }
        v.counts[o] = 0
    }

    mutating func refreshView(of o: Int, in v: ViewStorage) {
        let base = o * visibleMax
        let previousCount = Int(v.counts[o])
        let f = floor[o]
        let p = position[o]
        v.stamp &+= 2
        let memberStamp = v.stamp &- 1
        let keptStamp = v.stamp
        let rule = interestRule
        let here = UInt32(f) << 1 | 1

        // 1. Mark the current members that still exist on this floor.
        presence.withUnsafeBufferPointer { presence in
            for i in 0..<previousCount {
                let e = v.ids[base + i]
                let s = Int(e & Self.entrySlotMask)
                if presence[s] == (e & Self.entryGenerationMask) | here { v.marks[s] = memberStamp }
            }
        }

        // 2. Gather eligible candidates with their keys.
        var keyCount = 0
        switch spatialIndex {
        case .bruteForce:
            for n in 0..<slotHighWater where alive[n] && floor[n] == f && n != o {
                let d2 = p.distanceSquared(to: position[n])
                let isMember = v.marks[n] == memberStamp
                if isMember ? d2 > rule.leave2 : d2 > rule.enter2 { continue }
                v.keys[keyCount] = UInt64(d2 * (isMember ? rule.memberScale : rule.newScale)) << Self.keySlotBits | UInt64(n)
                keyCount += 1
            }
        case .grid:
            let marks = UnsafeBufferPointer(v.marks)
            keyCount = 0
            let last = v.reach[o]
            if last > 0 {
                // The view was full: look first within a little more than its last reach.
                keyCount = interestIndex.gatherCandidates(observer: o, center: p, floor: f, rule: rule,
                                                          within: Self.grownReach(last, margin: reachMargin),
                                                          marks: marks, memberStamp: memberStamp, keys: v.keys)
                if keyCount < visibleMax { report.viewRescans += 1 }
            }
            if keyCount < visibleMax {
                keyCount = interestIndex.gatherCandidates(observer: o, center: p, floor: f, rule: rule,
                                                          marks: marks, memberStamp: memberStamp, keys: v.keys)
            }
        }
        report.viewRefreshes += 1
        report.viewCandidates += keyCount

        // 3. Keep the K smallest keys.
        let count = min(keyCount, visibleMax)
        if keyCount > visibleMax { selectSmallest(v.keys, length: keyCount, count: visibleMax, spare: v.spare, histogram: v.histogram) }

        // 4. Newcomers enter; members found again are marked kept. Each member's new entry and
        //    update band go to `spare` (free after the selection), to be stored in step 6, once
        //    step 5 has read the previous row.
        let observer = AvatarID(slot: UInt32(o), generation: generation[o])
        var farthest: UInt64 = 0
        for i in 0..<count {
            let key = v.keys[i]
            farthest = max(farthest, key)
            let n = Int(key & Self.keySlotMask)
            let distance = Int64(key >> Self.keySlotBits)
            let band: UInt64
            if v.marks[n] == memberStamp {
                v.marks[n] = keptStamp
                band = distance <= rule.nearMember ? 0 : (distance <= rule.middleMember ? 1 : 2)
            } else {
                let subject = AvatarID(slot: UInt32(n), generation: generation[n])
                report.viewChanges.append(ViewChange(observer: observer, subject: subject, entered: true))
                interestHash ^= pairHash(observer: observer.packed, subject: subject.packed)
                band = distance <= rule.nearNew ? 0 : (distance <= rule.middleNew ? 1 : 2)
            }
            // The entry's generation bits are the presence word's (see `presence`).
            v.spare[i] = UInt64(UInt32(n) | presence[n] & Self.entryGenerationMask) | band << 32
        }
        // 5. Previous members not kept leave. (Only members were marked, and slots are unique
        //    within a view, so a kept mark on the entry's slot means this very entry was kept.)
        for i in 0..<previousCount {
            let e = v.ids[base + i]
            let s = Int(e & Self.entrySlotMask)
            if v.marks[s] != keptStamp {
                let subject = Self.id(ofEntry: e, current: generation[s])
                report.viewChanges.append(ViewChange(observer: observer, subject: subject, entered: false))
                interestHash ^= pairHash(observer: observer.packed, subject: subject.packed)
            }
        }
        // 6. Store the new view.
        for i in 0..<count {
            let packed = v.spare[i]
            v.ids[base + i] = UInt32(truncatingIfNeeded: packed)
            v.bands[base + i] = UInt8(truncatingIfNeeded: packed >> 32)
        }
        v.counts[o] = Int32(count)
        v.reach[o] = count == visibleMax ? Int64(farthest >> Self.keySlotBits) : 0
    }

    /// The distance part of a key `margin` centimetres (newcomer's scale) beyond `last`.
    @inline(__always) static func grownReach(_ last: Int64, margin: Int64) -> Int64 {
        let distance = Int64(Double(last).squareRoot()) / 100 &+ margin
        return distance &* distance &* 10_000
    }

    // MARK: Queries

    /// The avatars in `observer`'s view, in no particular order. Members that left the world
    /// since the last refresh are left out. Empty for an unknown or stale id.
    public func view(of observer: AvatarID) -> [AvatarID] {
        var out: [AvatarID] = []
        forEachVisible(of: observer) { id, _ in out.append(id) }
        return out
    }

    /// Calls `body` with each live member of the view and its update band (0 near, 1 middle, 2 far).
    public func forEachVisible(of observer: AvatarID, _ body: (AvatarID, Int) -> Void) {
        forEachVisibleSlot(of: observer) { s, band in body(AvatarID(slot: UInt32(s), generation: generation[s]), band) }
    }

    /// `forEachVisible` with each member's state: one look-up per member where
    /// `forEachVisible` and then `avatar(_:)` make two (the snapshot path's loop, for every
    /// client on every tick).
    public func forEachVisibleAvatar(of observer: AvatarID, _ body: (AvatarState, Int) -> Void) {
        forEachVisibleSlot(of: observer) { s, band in body(avatarState(slot: s), band) }
    }

    /// The slot and band of each live member of `observer`'s view (the loop of both above),
    /// for a caller that keeps its own per-slot table of this tick's states.
    @inline(__always)
    public func forEachVisibleSlot(of observer: AvatarID, _ body: (Int, Int) -> Void) {
        let o = Int(observer.slot)
        guard o < slotHighWater, alive[o], generation[o] == observer.generation else { return }
        let v = views.storage
        let base = o * visibleMax
        for i in 0..<Int(v.counts[o]) {
            let e = v.ids[base + i]
            let s = Int(e & Self.entrySlotMask)
            if presence[s] & (Self.entryGenerationMask | 1) == (e & Self.entryGenerationMask) | 1 {
                body(s, Int(v.bands[base + i]))
            }
        }
    }

    /// Calls `body` with the members of `observer`'s view that are due an update on the
    /// current tick: the near band every tick, the middle band every second tick, the far
    /// band every fourth, phased by the subject's slot so that updates spread over ticks.
    public func forEachDueUpdate(of observer: AvatarID, _ body: (AvatarID) -> Void) {
        let t = tick
        forEachVisible(of: observer) { id, band in
            let periodMask = (UInt64(1) << UInt64(band)) - 1
            if (t &+ UInt64(id.slot)) & periodMask == 0 { body(id) }
        }
    }
}

/// Moves the `count` smallest of `keys[0..<length]` to its front (in no particular order).
///
/// Distances of a crowd's candidates are spread roughly evenly over d² (area grows with d²),
/// so a 64-bucket histogram up to the largest key finds the bucket holding the count-th key in
/// two linear passes; only that bucket's few keys need a quickselect. Keys are unique (the
/// slot is in the low bits), so the result is exact and independent of the input order.
/// `spare` must hold at least `length` keys; `histogram` is working space of 64 counters.
func selectSmallest(_ keys: UnsafeMutableBufferPointer<UInt64>, length: Int, count: Int,
                    spare: UnsafeMutableBufferPointer<UInt64>, histogram counts: UnsafeMutableBufferPointer<Int32>) {
    precondition(count > 0 && count <= length && length <= keys.count && length <= spare.count)
    if count == length { return }
    var top: UInt64 = 0
    for i in 0..<length { top = max(top, keys[i]) }
    // Buckets of a power-of-two width, so that a key's bucket is a shift, not a division.
    precondition(counts.count == 64)
    let shift = UInt64(max(0, 64 - top.leadingZeroBitCount - 6))
    for b in 0..<counts.count { counts[b] = 0 }
    do {
        for i in 0..<length { counts[Int(keys[i] >> shift)] &+= 1 }
        var cut = 0
        var before = 0
        while before + Int(counts[cut]) < count {
            before += Int(counts[cut])
            cut += 1
        }
        // Keys below the cut bucket are in; keys in it compete for the remaining places.
        var front = 0
        var tied = 0
        for i in 0..<length {
            let k = keys[i]
            let b = Int(k >> shift)
            if b < cut {
                keys[front] = k
                front += 1
            } else if b == cut {
                spare[tied] = k
                tied += 1
            }
        }
        assert(front == before)
        let needed = count - before
        if needed < tied { quickselect(spare, length: tied, count: needed) }
        for i in 0..<needed { keys[front + i] = spare[i] }
    }
}

/// Hoare-partition quickselect with a median-of-three pivot: moves the `count` smallest of
/// `a[0..<length]` to the front. Keys are unique, so ties cannot stall it.
func quickselect(_ a: UnsafeMutableBufferPointer<UInt64>, length: Int, count: Int) {
    precondition(count > 0 && count <= length && length <= a.count)
    var lo = 0
    var hi = length - 1
    let k = count - 1
    while lo < hi {
        let mid = lo + (hi - lo) / 2
        if a[mid] < a[lo] { a.swapAt(mid, lo) }
        if a[hi] < a[lo] { a.swapAt(hi, lo) }
        if a[hi] < a[mid] { a.swapAt(hi, mid) }
        let pivot = a[mid]
        var i = lo, j = hi
        while i <= j {
            while a[i] < pivot { i += 1 }
            while a[j] > pivot { j -= 1 }
            if i <= j {
                a.swapAt(i, j)
                i += 1
                j -= 1
            }
        }
        if k <= j { hi = j } else if k >= i { lo = i } else { return }
    }
}
