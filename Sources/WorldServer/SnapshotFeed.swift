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
    public mutating func acknowledge(_ tick: UInt32) {
        guard tick > ackedTick, history.contains(where: { $0.tick == tick }) else { return }
        ackedTick = tick
        if let first = history.firstIndex(where: { $0.tick == tick }), first > 0 { history.removeFirst(first) }
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
    /// always has one).
    ///
    /// No hashing on this path (it runs for every client on every tick): the visible avatars
    /// are gathered into one array, sorted by entity, merged with `presented`, and ordered
    /// for priority by precomputed keys.
    public mutating func next(world: World, header: SnapshotHeader) -> (body: [UInt8], statistics: SnapshotStatistics)? {
        var seen: [(state: EntityState, distance: Int64, due: Bool)] = []
        var mine: UInt32?
        if let camera {
            // A spectator: the nearest avatars on the camera's floor, each one fresh every tick.
            for a in world.avatars where a.floor == camera.floor {
                seen.append((Self.state(a), a.position.distanceSquared(to: camera.position), true))
            }
            let cap = world.definition.interest.visibleMax
            if seen.count > cap {
                seen.sort { ($0.distance, $0.state.entity) < ($1.distance, $1.state.entity) }
                seen.removeLast(seen.count - cap)
            }
        } else {
            guard let me = world.avatar(observer) else { return nil }
            let own = Self.state(me)
            mine = own.entity
            let near = Int64(world.definition.interest.nearRadiusCentimetres)
            let tick = world.tick
            // (state now, squared distance, due) per visible avatar.
            seen.append((own, 0, true))
            world.forEachVisible(of: observer) { id, band in
                guard let a = world.avatar(id) else { return }
                let d2 = a.position.distanceSquared(to: me.position)
                // Due by WorldCore's bands (near every tick, middle every second, far every fourth,
                // phased by slot), and always within the near radius as measured now, so that
                // everything a client shows close to itself is of one tick.
                let periodMask = (UInt64(1) << UInt64(band)) - 1
                let due = (tick &+ UInt64(id.slot)) & periodMask == 0 || d2 <= near * near
                seen.append((Self.state(a), d2, due))
            }
        }
        // By entity, through packed integer keys (entity above, index below; entities are
        // unique, so the order is the same as sorting the tuples): a sort of plain UInt64s is
        // several times cheaper than a sort of tuples through a closure, and this one runs for
        // every client on every tick (it was a quarter of the server's time at 500 bots).
        var order = [UInt64](repeating: 0, count: seen.count)
        for i in seen.indices { order[i] = UInt64(seen[i].state.entity) << 32 | UInt64(i) }
        order.sort()
        seen = order.map { seen[Int(truncatingIfNeeded: $0 & 0xFFFF_FFFF)] }
        // Merge with what was presented: held states stay unless due; newcomers are fresh.
        var current: [EntityState] = []
        current.reserveCapacity(seen.count)
        var p = 0
        for item in seen {
            while p < presented.count && presented[p].entity < item.state.entity { p += 1 }
            let held = p < presented.count && presented[p].entity == item.state.entity ? presented[p] : nil
            current.append(item.due || held == nil ? item.state : held!)
        }
        presented = current
        // Priority: own avatar, then due avatars nearest first, then the rest nearest first.
        let priority = Self.priority(of: seen, mine: mine)

        let baselineEntry = history.last { $0.tick == ackedTick }
        var h = header
        h.baselineTick = baselineEntry?.tick ?? 0
        let (body, known, stats) = SnapshotCodec.encode(header: h, current: current, baseline: baselineEntry?.known ?? [],
                                                        priority: priority, budgetBytes: budgetBytes)
        history.append((header.tick, known))
        if history.count > Self.historyTicks { history.removeFirst(history.count - Self.historyTicks) }
        if ackedTick != 0 && !history.contains(where: { $0.tick == ackedTick }) { ackedTick = 0 }
        return (body, stats)
    }

    /// The order in which `seen` (sorted by entity) is offered to the codec: own avatar, then
    /// due avatars nearest first, then the rest nearest first; ties of distance go to the lower
    /// entity. When every squared distance fits in 46 bits (under 83 km), the rank, the distance
    /// and the index in `seen` pack into one UInt64 whose plain sort gives exactly that order
    /// (several times cheaper than sorting tuples through a closure, per client per tick);
    /// otherwise, or when `packed` is false (the tests compare both), the tuples are sorted.
    static func priority(of seen: [(state: EntityState, distance: Int64, due: Bool)], mine: UInt32?, packed: Bool = true) -> [UInt32] {
        if packed && seen.count < 1 << 16 && seen.allSatisfy({ $0.distance >= 0 && $0.distance < 1 << 46 }) {
            var keys = [UInt64](repeating: 0, count: seen.count)
            for (i, item) in seen.enumerated() {
                let rank: UInt64 = item.state.entity == mine ? 0 : (item.due ? 1 : 2)
                keys[i] = rank << 62 | UInt64(item.distance) << 16 | UInt64(i)
            }
            keys.sort()
            return keys.map { seen[Int(truncatingIfNeeded: $0 & 0xFFFF)].state.entity }
        }
        var keyed: [(key: UInt64, entity: UInt32)] = []
        keyed.reserveCapacity(seen.count)
        for item in seen {
            let rank: UInt64 = item.state.entity == mine ? 0 : (item.due ? 1 : 2)
            keyed.append((rank << 62 | UInt64(min(item.distance, (1 << 61) - 1)), item.state.entity))
        }
        keyed.sort { ($0.key, $0.entity) < ($1.key, $1.entity) }
        return keyed.map(\.entity)
    }
}
