// What one client is sent each tick: its avatar and the avatars in its view, delta-coded
// against the newest snapshot it acknowledged.
//
// The feed keeps the last `historyTicks` snapshots it sent (what the client would hold after
// each); an acknowledgement names one of them as the client's baseline. Priority each tick:
// the client's own avatar, then visible avatars due an update (WorldCore's near/middle/far
// bands), nearest first; avatars entering the view are sent whole as soon as they fit.
// What does not fit in `budgetBytes` goes next tick, because the next snapshot is again coded
// against what the client actually holds.
//
// Invariants:
// 1. `history` holds at most `historyTicks` entries, in increasing tick order.
// 2. The baseline used is always one the client acknowledged and the feed still holds;
//    otherwise the snapshot is coded against nothing (sent whole).

import NetProto
import WorldCore

public struct SnapshotFeed: Sendable {
    public static let historyTicks = 32
    public let observer: AvatarID
    public let budgetBytes: Int
    var history: [(tick: UInt32, known: [EntityState])] = []
    public private(set) var ackedTick: UInt32 = 0

    /// What the client holds if it received the latest snapshot.
    public var lastKnown: [EntityState] { history.last?.known ?? [] }

    public init(observer: AvatarID, budgetBytes: Int = WireProtocol.packetBytesMax - 5) {
        self.observer = observer
        self.budgetBytes = budgetBytes
    }

    /// The client says it holds the snapshot of `tick`. Older or unknown ticks are ignored.
    public mutating func acknowledge(_ tick: UInt32) {
        guard tick > ackedTick, history.contains(where: { $0.tick == tick }) else { return }
        ackedTick = tick
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

    /// The next snapshot for this client, or nil if its avatar is gone.
    public mutating func next(world: World, header: SnapshotHeader) -> (body: [UInt8], statistics: SnapshotStatistics)? {
        guard let me = world.avatar(observer) else { return nil }
        var current: [EntityState] = [Self.state(me)]
        var distance: [UInt32: Int64] = [:]
        world.forEachVisible(of: observer) { id, _ in
            guard let a = world.avatar(id) else { return }
            let e = Self.state(a)
            current.append(e)
            distance[e.entity] = a.position.distanceSquared(to: me.position)
        }
        current.sort { $0.entity < $1.entity }
        var due: [UInt32] = []
        world.forEachDueUpdate(of: observer) { due.append(Self.entity($0)) }
        due.sort { (distance[$0] ?? 0, $0) < (distance[$1] ?? 0, $1) }
        let priority = [Self.entity(me.id)] + due

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
}
