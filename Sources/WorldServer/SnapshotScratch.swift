// The snapshot path's working memory: one per thread that builds snapshots.

import NetProto
import WorldCore

/// The working memory of `SnapshotFeed.next`, shared by every client of one thread (the
/// server's loop has one): fixed buffers for one view (at most `capacity` avatars), marks per
/// slot (grown to the highest slot seen, all zero between views), and the arrays of dropped
/// history entries, kept for the next snapshots' history.
public final class SnapshotScratch {
    static let capacity = SnapshotCodec.entitiesMax + 1
    /// Spare history arrays kept. Every client's acknowledgement frees one between ticks and
    /// every client's snapshot takes one in the tick, so the pool must hold one per client to
    /// save the allocation (with 64, 1,000 clients still made 936 a tick); beyond this many
    /// clients the rest go back to the allocator.
    static let spareKnownMax = 4_096
    let seen: UnsafeMutablePointer<SnapshotFeed.Seen>
    let sorted: UnsafeMutablePointer<SnapshotFeed.Seen>
    let held: UnsafeMutablePointer<SnapshotFeed.Seen>
    let heldStates: UnsafeMutablePointer<EntityState>
    let current: UnsafeMutablePointer<EntityState>
    let fresh: UnsafeMutablePointer<UInt64>
    /// Per slot: 1 + the index in `seen` of the avatar in that slot, while ordering one view.
    private(set) var slotMarks: UnsafeMutablePointer<Int32>
    private(set) var slotMarksCount = 0
    var spectatorSeen: [SnapshotFeed.Seen] = []
    var keys: [UInt64] = []
    let codec = SnapshotCodec.EncodeScratch()
    var spareKnown: [[EntityState]] = []

    public init() {
        seen = .allocate(capacity: Self.capacity)
        sorted = .allocate(capacity: Self.capacity)
        held = .allocate(capacity: Self.capacity)
        heldStates = .allocate(capacity: Self.capacity)
        current = .allocate(capacity: Self.capacity)
        fresh = .allocate(capacity: Self.capacity)
        slotMarks = .allocate(capacity: 0)
        let none = EntityState(entity: 0, x: 0, y: 0, floor: 0, heading: 0, motion: 0)
        for buffer in [seen, sorted, held] { buffer.initialize(repeating: SnapshotFeed.Seen(state: none, distance: 0, due: false), count: Self.capacity) }
        heldStates.initialize(repeating: none, count: Self.capacity)
        current.initialize(repeating: none, count: Self.capacity)
        fresh.initialize(repeating: 0, count: Self.capacity)
    }

    deinit {
        seen.deallocate()
        sorted.deallocate()
        held.deallocate()
        heldStates.deallocate()
        current.deallocate()
        fresh.deallocate()
        slotMarks.deallocate()
    }

    /// Makes `slotMarks` reach `slot` (slots are below 2^20), new marks zero.
    func growMarks(toInclude slot: Int) {
        guard slot >= slotMarksCount else { return }
        precondition(slot <= Int(SnapshotFeed.slotMask))
        let count = max(slot + 1, slotMarksCount * 2, 1_024)
        let grown = UnsafeMutablePointer<Int32>.allocate(capacity: count)
        grown.initialize(repeating: 0, count: count)
        grown.update(from: slotMarks, count: slotMarksCount)
        slotMarks.deallocate()
        slotMarks = grown
        slotMarksCount = count
    }
}
