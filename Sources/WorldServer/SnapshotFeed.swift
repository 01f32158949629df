// What one client is sent each tick: its avatar and the avatars in its view, delta-coded
// against the newest snapshot it acknowledged.
//
// Each visible avatar has a *presented* state for this client: refreshed from the world on
// the ticks it is due (WorldCore's bands: near every tick, middle every second, far every
// fourth) and on the tick it enters the view, held otherwise. That is where the bands save
// bandwidth: a far avatar's presented state changes at most every fourth tick.
// Every snapshot then carries each presented state that differs from the acknowledged
// baseline, most important first (own avatar, then due avatars nearest first, then the
// rest), as many as fit in `budgetBytes`. So nothing reverts: an update sent in a snapshot
// the client has not acknowledged yet is sent again until one it acknowledges carries it.
// (Sending only the due avatars, as a first version did, reverted the others to the baseline
// in every snapshot, and a far avatar whose due ticks were never the acknowledged ones stayed
// stale for good; SnapshotConvergenceTests guards against it.)
//
// Invariants:
// 1. `history` holds at most `historyTicks` entries, in increasing tick order, none older
//    than the acknowledged one.
// 2. The baseline used is always one the client acknowledged and the feed still holds;
//    otherwise the snapshot is coded against nothing (sent whole).
// 3. Once the world stands still, every client's view equals the world within
//    (refresh period + acknowledgement delay) ticks, if the budget holds the differences.
// 4. Every avatar within the near radius of the client's own is presented as of this tick.

import NetProto
import WorldCore

public struct SnapshotFeed: Sendable {
    public static let historyTicks = 32
    public let observer: AvatarID
    /// A spectator's fixed point of view (floor index), instead of an avatar's: the feed then
    /// shows the `visibleMax` avatars nearest to it, every one due every tick.
    public let camera: (position: Vec2, floor: Int)?
    public let budgetBytes: Int
    var history: [(tick: UInt32, known: [EntityState])] = []
    /// The states this client is being shown (see above), sorted by entity.
    var presented: [EntityState] = []
    public private(set) var ackedTick: UInt32 = 0

    /// What the client holds if it received the snapshot of `tick` (while the feed keeps it).
    public func known(atTick tick: UInt32) -> [EntityState]? { history.last { $0.tick == tick }?.known }

    /// What the client holds if it received the latest snapshot.
    public var lastKnown: [EntityState] { history.last?.known ?? [] }

    public init(observer: AvatarID, budgetBytes: Int = WireProtocol.packetBytesMax - 5) {
        self.observer = observer
        self.camera = nil
        self.budgetBytes = budgetBytes
    }

    /// A spectator's feed: no avatar of its own, a view from `position` on `floor`.
    public init(camera position: Vec2, floor: Int, budgetBytes: Int = WireProtocol.packetBytesMax - 5) {
        self.observer = AvatarID(slot: .max, generation: .max)
        self.camera = (position, floor)
        self.budgetBytes = budgetBytes
    }

    /// The entity a spectator is told is its own in `entered`: none the world can have.
    public static let spectatorEntity: UInt32 = 0xFFFF_FFFF

    /// The client says it holds the snapshot of `tick`. Older or unknown ticks are ignored.
    /// Snapshots older than the acknowledged one are dropped at once: acknowledgements only move
    /// forward, so no later baseline can be older. With a round trip of a few ticks the feed
    /// then holds a few snapshots, not `historyTicks` (most of a client's memory before).
    /// `scratch`, if given, takes the dropped snapshots' arrays for reuse.
    public mutating func acknowledge(_ tick: UInt32, scratch: SnapshotScratch? = nil) {
        guard tick > ackedTick, history.contains(where: { $0.tick == tick }) else { return }
        ackedTick = tick
        if let first = history.firstIndex(where: { $0.tick == tick }), first > 0 { dropHistory(first: first, into: scratch) }
    }

    /// The wire identity of an avatar: its slot in the low 20 bits, the low 12 bits of its
    /// generation above (so a slot's next occupant is a different entity to the client).
    public static func entity(_ id: AvatarID) -> UInt32 { id.slot | (id.generation & 0xFFF) << 20 }

    public static func state(_ a: World.AvatarState) -> EntityState {
        let motion: UInt8
        switch a.movement {
        case .idle: motion = 0
        case .heading(_, let pace), .target(_, let pace): motion = pace == .run ? 2 : 1
        }
        return EntityState(entity: entity(a.id), x: EntityState.quantise(centimetres: a.position.x), y: EntityState.quantise(centimetres: a.position.y),
                           floor: UInt8(min(a.floor, 63)), heading: UInt8(a.heading.raw >> 8), motion: motion)
    }

    /// The next snapshot for this client, or nil if its avatar is gone (a spectator's feed
    /// always has one). With a scratch of its own: for tests and one-off callers.
    public mutating func next(world: World, header: SnapshotHeader) -> (body: [UInt8], statistics: SnapshotStatistics)? {
        next(world: world, header: header, scratch: SnapshotScratch())
    }

    /// The next snapshot for this client, or nil if its avatar is gone (a spectator's feed
    /// always has one). `scratch` is shared by every client the caller serves (one per
    /// thread); once its arrays have grown, building a snapshot allocates nothing but what
    /// the feed keeps. The body returned lives in `scratch` until its next use: send it first.
    ///
    /// No hashing on this path (it runs for every client on every tick): the visible avatars
    /// are gathered into one array, put in entity order along `presented` (last tick's view),
    /// and, only when not everything fits in the packet, ordered for priority by precomputed keys.
    public mutating func next(world: World, header: SnapshotHeader, scratch: SnapshotScratch) -> (body: [UInt8], statistics: SnapshotStatistics)? {
        next(world: world, header: header, scratch: scratch, states: nil)
    }

    /// `next`, reading each visible avatar's quantised state and position from `states`, made
    /// once this tick for every client of the space, instead of quantising it for each client
    /// that sees it. The same bytes either way.
    public mutating func next(world: World, header: SnapshotHeader, scratch: SnapshotScratch, states: TickStates?) -> (body: [UInt8], statistics: SnapshotStatistics)? {
        // Gathered into the scratch's fixed buffer (a view holds at most visibleMax <= 1,000
        // avatars and the own one, within the codec's entitiesMax).
        let seen = scratch.seen
        var count = 0
        var mine: UInt32?
        if let camera {
            // A spectator: the nearest avatars on the camera's floor, each one fresh every tick.
            scratch.spectatorSeen.removeAll(keepingCapacity: true)
            for a in world.avatars where a.floor == camera.floor {
                scratch.spectatorSeen.append(Seen(state: Self.state(a), distance: a.position.distanceSquared(to: camera.position), due: true))
            }
            let cap = world.definition.interest.visibleMax
            if scratch.spectatorSeen.count > cap {
                scratch.spectatorSeen.sort { ($0.distance, $0.state.entity) < ($1.distance, $1.state.entity) }
                scratch.spectatorSeen.removeLast(scratch.spectatorSeen.count - cap)
            }
            for item in scratch.spectatorSeen {
                seen[count] = item
                count += 1
            }
        } else {
            guard let me = world.avatar(observer) else { return nil }
            let own = Self.state(me)
            mine = own.entity
            let near = Int64(world.definition.interest.nearRadiusCentimetres)
            let tick = world.tick
            // (state now, squared distance, due) per visible avatar.
            seen[0] = Seen(state: own, distance: 0, due: true)
            count = 1
            if let states {
                precondition(states.tick == world.tick && states.states.count >= world.slotBound, "tick states of another tick")
                let me = me.position
                states.states.withUnsafeBufferPointer { quantised in
                    states.positions.withUnsafeBufferPointer { positions in
                        world.forEachVisibleSlot(of: observer) { s, band in
                            guard count < SnapshotScratch.capacity else { return }
                            let d2 = positions[s].distanceSquared(to: me)
                            seen[count] = Seen(state: quantised[s], distance: d2, due: Self.isDue(slot: s, band: band, tick: tick, distance: d2, near: near))
                            count += 1
                        }
                    }
                }
            } else {
                world.forEachVisibleAvatar(of: observer) { a, band in
                    guard count < SnapshotScratch.capacity else { return }
                    let d2 = a.position.distanceSquared(to: me.position)
                    let due = Self.isDue(slot: Int(a.id.slot), band: band, tick: tick, distance: d2, near: near)
                    seen[count] = Seen(state: Self.state(a), distance: d2, due: due)
                    count += 1
                }
            }
        }
        // Into entity order, merged with what was presented: held states stay unless due;
        // newcomers are fresh (`orderByEntity`).
        Self.orderByEntity(presented: presented, count: count, scratch: scratch)
        presented.removeAll(keepingCapacity: true)
        presented.append(contentsOf: UnsafeBufferPointer(start: scratch.current, count: count))
        let baselineIndex = history.lastIndex { $0.tick == ackedTick }
        var h = header
        h.baselineTick = baselineIndex.map { history[$0].tick } ?? 0
        var known = scratch.spareKnown.popLast() ?? []
        // Priority (own avatar, then due avatars nearest first, then the rest nearest first)
        // is ordered only if the codec asks: when not every change fits.
        let sorted = UnsafeBufferPointer(start: scratch.sorted, count: count)
        let stats = SnapshotCodec.encode(header: h, current: presented, baseline: baselineIndex.map { history[$0].known } ?? [],
                                         priority: { Self.priority(of: sorted, mine: mine, into: &$0, keys: &scratch.keys) },
                                         budgetBytes: budgetBytes, scratch: scratch.codec, known: &known)
        history.append((header.tick, known))
        if history.count > Self.historyTicks { dropHistory(first: history.count - Self.historyTicks, into: scratch) }
        if ackedTick != 0 && !history.contains(where: { $0.tick == ackedTick }) { ackedTick = 0 }
        return (scratch.codec.body, stats)
    }

    /// Orders `scratch.seen[0..<count]` by entity into `scratch.sorted`, and the states to
    /// present into `scratch.current` (the due or new ones fresh, the others as in
    /// `presented`), without sorting the whole view: `presented` is last tick's view in entity
    /// order and mostly this tick's too, so walking it finds the members in order, through a
    /// mark per slot (an entity's slot is its low 20 bits, unique within a view); only the
    /// newcomers are sorted, then merged in. Linear in the view where a sort was n log n (a
    /// tenth of the server's time at 1,000 bots), and on fixed buffers: no allocation, no
    /// run-time exclusivity or uniqueness checks.
    static func orderByEntity(presented: [EntityState], count: Int, scratch: SnapshotScratch) {
        precondition(count <= SnapshotScratch.capacity)
        let seen = scratch.seen, sorted = scratch.sorted, current = scratch.current
        let held = scratch.held, heldStates = scratch.heldStates, fresh = scratch.fresh
        var highestSlot = 0
        for i in 0..<count { highestSlot = max(highestSlot, Int(seen[i].state.entity & slotMask)) }
        scratch.growMarks(toInclude: highestSlot)
        let marks = scratch.slotMarks
        for i in 0..<count { marks[Int(seen[i].state.entity & slotMask)] = Int32(i + 1) }
        // Members still in view, in entity order, with their held or fresh state.
        var heldCount = 0
        presented.withUnsafeBufferPointer { presented in
            for p in presented {
                let slot = Int(p.entity & slotMask)
                guard slot < scratch.slotMarksCount, marks[slot] != 0 else { continue }
                let item = seen[Int(marks[slot]) - 1]
                guard item.state.entity == p.entity else { continue }
                marks[slot] = 0
                held[heldCount] = item
                heldStates[heldCount] = item.due ? item.state : p
                heldCount += 1
            }
        }
        // Newcomers: still marked. Sorted by (entity, index) keys; usually a handful.
        var freshCount = 0
        for i in 0..<count {
            let slot = Int(seen[i].state.entity & slotMask)
            if marks[slot] != 0 {
                marks[slot] = 0
                fresh[freshCount] = UInt64(seen[i].state.entity) << 32 | UInt64(i)
                freshCount += 1
            }
        }
        var newcomers = UnsafeMutableBufferPointer(start: fresh, count: freshCount)
        newcomers.sort()
        // Merge the two, both in entity order.
        var h = 0, out = 0
        for f in 0..<freshCount {
            let item = seen[Int(truncatingIfNeeded: fresh[f] & 0xFFFF_FFFF)]
            while h < heldCount && held[h].state.entity < item.state.entity {
                sorted[out] = held[h]
                current[out] = heldStates[h]
                h += 1
                out += 1
            }
            sorted[out] = item
            current[out] = item.state
            out += 1
        }
        while h < heldCount {
            sorted[out] = held[h]
            current[out] = heldStates[h]
            h += 1
            out += 1
        }
        precondition(out == count, "a slot twice in one view")
    }

    static let slotMask: UInt32 = (1 << 20) - 1

    /// Due by WorldCore's bands (near every tick, middle every second, far every fourth,
    /// phased by slot), and always within the near radius as measured now, so that everything
    /// a client shows close to itself is of one tick.
    @inline(__always)
    static func isDue(slot: Int, band: Int, tick: UInt64, distance d2: Int64, near: Int64) -> Bool {
        let periodMask = (UInt64(1) << UInt64(band)) - 1
        return (tick &+ UInt64(slot)) & periodMask == 0 || d2 <= near * near
    }

    /// Drops the oldest `count` history entries, giving their arrays to `scratch` for reuse.
    mutating func dropHistory(first count: Int, into scratch: SnapshotScratch?) {
        if let scratch {
            for i in 0..<count where scratch.spareKnown.count < SnapshotScratch.spareKnownMax {
                var spare = history[i].known
                history[i].known = []
                spare.removeAll(keepingCapacity: true)
                scratch.spareKnown.append(spare)
            }
        }
        history.removeFirst(count)
    }

    /// The order in which `seen` (sorted by entity) is offered to the codec: own avatar, then
    /// due avatars nearest first, then the rest nearest first; ties of distance go to the lower
    /// entity. When every squared distance fits in 46 bits (under 83 km), the rank, the distance
    /// and the index in `seen` pack into one UInt64 whose plain sort gives exactly that order
    /// (several times cheaper than sorting tuples through a closure, per client per tick);
    /// otherwise, or when `packed` is false (the tests compare both), the tuples are sorted.
    static func priority(of seen: [Seen], mine: UInt32?, packed: Bool = true) -> [UInt32] {
        var out: [UInt32] = []
        var keys: [UInt64] = []
        seen.withUnsafeBufferPointer { priority(of: $0, mine: mine, packed: packed, into: &out, keys: &keys) }
        return out
    }

    /// `priority(of:mine:)` into reused arrays (`keys` is working space).
    static func priority(of seen: UnsafeBufferPointer<Seen>, mine: UInt32?, packed: Bool = true, into out: inout [UInt32], keys: inout [UInt64]) {
        out.removeAll(keepingCapacity: true)
        if packed && seen.count < 1 << 16 && seen.allSatisfy({ $0.distance >= 0 && $0.distance < 1 << 46 }) {
            keys.removeAll(keepingCapacity: true)
            for (i, item) in seen.enumerated() {
                let rank: UInt64 = item.state.entity == mine ? 0 : (item.due ? 1 : 2)
                keys.append(rank << 62 | UInt64(item.distance) << 16 | UInt64(i))
            }
            keys.sort()
            for key in keys { out.append(seen[Int(truncatingIfNeeded: key & 0xFFFF)].state.entity) }
            return
        }
        var keyed: [(key: UInt64, entity: UInt32)] = []
        keyed.reserveCapacity(seen.count)
        for item in seen {
            let rank: UInt64 = item.state.entity == mine ? 0 : (item.due ? 1 : 2)
            keyed.append((rank << 62 | UInt64(min(item.distance, (1 << 61) - 1)), item.state.entity))
        }
        keyed.sort { ($0.key, $0.entity) < ($1.key, $1.entity) }
        out.append(contentsOf: keyed.lazy.map(\.entity))
    }

    /// A visible avatar as one client sees it this tick.
    struct Seen {
        var state: EntityState
        /// Squared distance from the client's avatar (or camera), in cm².
        var distance: Int64
        /// Refreshed this tick (by its band, or near), rather than held.
        var due: Bool
    }
}
