// The views of every observer: fixed-size tables, one row of `visibleMax` entries per slot.
//
// The tables are raw buffers in a class, behind copy-on-write: `World` stays a value (a
// copy of a world is independent of the original), and the refresh loop, the hottest code
// of the tick, writes through plain pointers after one uniqueness check per tick instead of
// one per write.
//
// Invariants:
// 1. Row o holds `counts[o]` entries of observer o's view, each with its band.
// 2. `marks` holds stamps below or equal to `stamp`; a stamp is never reused.

final class ViewStorage: @unchecked Sendable {
    let slotCount: Int
    let visibleMax: Int
    /// View entries (see `World.entry(slot:generation:)`).
    let ids: UnsafeMutableBufferPointer<UInt32>
    let bands: UnsafeMutableBufferPointer<UInt8>
    let counts: UnsafeMutableBufferPointer<Int32>
    let marks: UnsafeMutableBufferPointer<UInt64>
    /// The distance part (d² x scale) of the farthest member's key at each observer's last
    /// refresh, or 0 if its view was not full: where the next refresh starts looking. A hint
    /// only (a refresh gives the same view whatever it holds), so it is neither hashed nor
    /// captured.
    let reach: UnsafeMutableBufferPointer<Int64>
    /// Candidate keys of one refresh; each avatar is a candidate at most once, so
    /// `slotCount` entries always suffice.
    let keys: UnsafeMutableBufferPointer<UInt64>
    /// Working space for the selection of the nearest keys.
    let spare: UnsafeMutableBufferPointer<UInt64>
    let histogram: UnsafeMutableBufferPointer<Int32>
    var stamp: UInt64 = 0

    init(slotCount: Int, visibleMax: Int) {
        self.slotCount = slotCount
        self.visibleMax = visibleMax
        ids = .allocate(capacity: slotCount * visibleMax)
        ids.initialize(repeating: 0)
        bands = .allocate(capacity: slotCount * visibleMax)
        bands.initialize(repeating: 0)
        counts = .allocate(capacity: slotCount)
        counts.initialize(repeating: 0)
        marks = .allocate(capacity: slotCount)
        marks.initialize(repeating: 0)
        reach = .allocate(capacity: slotCount)
        reach.initialize(repeating: 0)
        keys = .allocate(capacity: slotCount)
        keys.initialize(repeating: 0)
        spare = .allocate(capacity: slotCount)
        spare.initialize(repeating: 0)
        histogram = .allocate(capacity: 64)
        histogram.initialize(repeating: 0)
    }

    func copy() -> ViewStorage {
        let c = ViewStorage(slotCount: slotCount, visibleMax: visibleMax)
        _ = c.ids.update(fromContentsOf: ids)
        _ = c.bands.update(fromContentsOf: bands)
        _ = c.counts.update(fromContentsOf: counts)
        _ = c.marks.update(fromContentsOf: marks)
        _ = c.reach.update(fromContentsOf: reach)
        c.stamp = stamp
        return c
    }

    deinit {
        ids.deallocate()
        bands.deallocate()
        counts.deallocate()
        marks.deallocate()
        reach.deallocate()
        keys.deallocate()
        spare.deallocate()
        histogram.deallocate()
    }
}

struct ViewTable: @unchecked Sendable {
    private(set) var storage: ViewStorage

    init(slotCount: Int, visibleMax: Int) {
        storage = ViewStorage(slotCount: slotCount, visibleMax: visibleMax)
    }

    /// The storage, made unique first so that writing through it cannot reach a copy.
    mutating func writable() -> ViewStorage {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return storage
    }
}
