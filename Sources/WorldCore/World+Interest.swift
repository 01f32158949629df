// Interest management: which avatars each observer sees.
//
// The rule, for an observer o refreshed at tick t (its entry tick, and then every
// `refreshPeriodTicks`, staggered by slot so that a crowd's refreshes spread evenly):
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
// Cost: candidates are gathered ring by ring of grid cells outward from the observer, and
// the scan stops as soon as `visibleMax` candidates have keys smaller than anything the
// unscanned rings could hold, or the rings pass the leave radius. In a packed plaza the
// scan therefore covers the K nearest, not the whole radius; in a sparse one, the radius.
// Selection is an O(n) quickselect over the gathered keys.

extension World {
    /// Bits of the interest key that hold the slot.
    static let keySlotBits: UInt64 = 20
    static let keySlotMask: UInt64 = (1 << keySlotBits) - 1

    mutating func refreshViews() {
        let period = UInt64(definition.interest.refreshPeriodTicks)
        if spatialIndex == .grid {
            interestIndex.rebuild(alive: alive, position: position, floor: floor, slotHighWater: slotHighWater)
        }
        let v = views.writable()
        for o in 0..<slotHighWater where alive[o] {
            if enteredTick[o] == tick || (tick &+ UInt64(o)) % period == 0 {
                refreshView(of: o, in: v)
            }
        }
    }

    @inline(__always) func pairHash(observer: UInt64, subject: UInt64) -> UInt64 {
        mix64(observer &* 0x9E37_79B9_7F4A_7C15 ^ subject)
    }

    mutating func clearView(of o: Int) {
        let v = views.writable()
        let base = o * visibleMax
        let observer = AvatarID(slot: UInt32(o), generation: generation[o]).packed
        for i in 0..<Int(v.counts[o]) {
            interestHash ^= pairHash(observer: observer, subject: v.ids[base + i])
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

        // 1. Mark the current members that still exist on this floor.
        for i in 0..<previousCount {
            let id = AvatarID(packed: v.ids[base + i])
            let s = Int(id.slot)
            if alive[s] && generation[s] == id.generation && floor[s] == f { v.marks[s] = memberStamp }
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
            keyCount = interestIndex.gatherCandidates(observer: o, center: p, floor: f, rule: rule,
                                                      marks: UnsafeBufferPointer(v.marks), memberStamp: memberStamp, keys: v.keys)
        }
        report.viewRefreshes += 1
        report.viewCandidates += keyCount

        // 3. Keep the K smallest keys.
        let count = min(keyCount, visibleMax)
        if keyCount > visibleMax { selectSmallest(v.keys, length: keyCount, count: visibleMax, spare: v.spare, histogram: v.histogram) }

        // 4. Newcomers enter; members found again are marked kept.
        let observer = AvatarID(slot: UInt32(o), generation: generation[o])
        for i in 0..<count {
            let n = Int(v.keys[i] & Self.keySlotMask)
            if v.marks[n] == memberStamp {
                v.marks[n] = keptStamp
            } else {
                let subject = AvatarID(slot: UInt32(n), generation: generation[n])
                report.viewChanges.append(ViewChange(observer: observer, subject: subject, entered: true))
                interestHash ^= pairHash(observer: observer.packed, subject: subject.packed)
            }
        }
        // 5. Previous members not kept leave.
        for i in 0..<previousCount {
            let id = AvatarID(packed: v.ids[base + i])
            let s = Int(id.slot)
            let kept = alive[s] && generation[s] == id.generation && v.marks[s] == keptStamp
            if !kept {
                report.viewChanges.append(ViewChange(observer: observer, subject: id, entered: false))
                interestHash ^= pairHash(observer: observer.packed, subject: id.packed)
            }
        }
        // 6. Store the new view with each member's update band (distance recovered from the key).
        for i in 0..<count {
            let key = v.keys[i]
            let n = Int(key & Self.keySlotMask)
            v.ids[base + i] = AvatarID(slot: UInt32(n), generation: generation[n]).packed
            let d2 = Int64(key >> Self.keySlotBits) / (v.marks[n] == keptStamp ? rule.memberScale : rule.newScale)
            v.bands[base + i] = d2 <= rule.near2 ? 0 : (d2 <= 4 * rule.near2 ? 1 : 2)
        }
        v.counts[o] = Int32(count)
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
        let o = Int(observer.slot)
        guard o < slotHighWater, alive[o], generation[o] == observer.generation else { return }
        let v = views.storage
        let base = o * visibleMax
        for i in 0..<Int(v.counts[o]) {
            let id = AvatarID(packed: v.ids[base + i])
            let s = Int(id.slot)
            if alive[s] && generation[s] == id.generation { body(id, Int(v.bands[base + i])) }
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
