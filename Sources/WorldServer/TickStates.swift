// One space's avatars as clients are sent them, made once a tick for all its clients.

import NetProto
import WorldCore

/// Every live avatar's state as clients are sent it (quantised, `SnapshotFeed.state`) and
/// its position, by slot, for one space at one tick: made once a tick after the step and read
/// by every client's snapshot (by every worker: read-only until the next `update`).
public final class TickStates: @unchecked Sendable {
    public private(set) var tick: UInt64 = .max
    var states: [EntityState] = []
    var positions: [Vec2] = []

    public init() {}

    /// Takes `world`'s avatars as they are now. Slots not alive keep whatever they held: no
    /// view names them.
    public func update(from world: World) {
        let bound = world.slotBound
        if states.count < bound {
            let none = EntityState(entity: 0, x: 0, y: 0, floor: 0, heading: 0, motion: 0)
            states.append(contentsOf: repeatElement(none, count: bound - states.count))
            positions.append(contentsOf: repeatElement(Vec2(0, 0), count: bound - positions.count))
        }
        states.withUnsafeMutableBufferPointer { states in
            positions.withUnsafeMutableBufferPointer { positions in
                world.forEachAvatar { s, a in
                    states[s] = SnapshotFeed.state(a)
                    positions[s] = a.position
                }
            }
        }
        tick = world.tick
    }
}
