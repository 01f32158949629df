// A world's whole state as plain values: what a recording's keyframe holds, so that a
// replay can start at any keyframe instead of at the beginning.
//
// `World.capture()` and `World(definition:restoring:)` are inverses: a restored world has
// the same state hash as the captured one, and steps exactly as it would have (the tests hold
// them to this over thousands of ticks). Everything else in a world is derived and rebuilt on
// restore: the free-slot heap (the dead slots below the high-water mark, since slots are taken
// lowest first), the movement grid (query results do not depend on a cell's list order),
// presence words, the view set hash, and the per-tick scratch.

public struct WorldState: Hashable, Sendable {
    /// The last tick stepped (0 before the first).
    public var tick: UInt64
    public var random: WorldRandom
    /// Slots 0 up to the high-water mark, live or not: a dead slot keeps its generation.
    public var slots: [Slot]

    public struct Slot: Hashable, Sendable {
        public var generation: UInt32
        /// The avatar in the slot, or nil if the slot is free.
        public var avatar: Avatar?

        public init(generation: UInt32, avatar: Avatar?) {
            self.generation = generation
            self.avatar = avatar
        }
    }

    public struct Avatar: Hashable, Sendable {
        public var tag: UInt64
        public var position: Vec2
        public var floor: Int32
        public var heading: Heading
        public var movement: Movement
        public var enteredTick: UInt64
        /// The view as stored: entries in row order.
        public var view: [ViewEntry]

        public init(tag: UInt64, position: Vec2, floor: Int32, heading: Heading, movement: Movement, enteredTick: UInt64, view: [ViewEntry]) {
            self.tag = tag
            self.position = position
            self.floor = floor
            self.heading = heading
            self.movement = movement
            self.enteredTick = enteredTick
            self.view = view
        }
    }

    /// One member of a view as the world stores it: the subject's slot in the low 20 bits and
    /// the low 12 bits of its generation at the last refresh in the high 12 (see
    /// World+Interest.swift), and its update band (0 near, 1 middle, 2 far).
    public struct ViewEntry: Hashable, Sendable {
        public var entry: UInt32
        public var band: UInt8

        public init(entry: UInt32, band: UInt8) {
            self.entry = entry
            self.band = band
        }

        public var slot: Int { Int(entry & World.entrySlotMask) }
    }

    public init(tick: UInt64, random: WorldRandom, slots: [Slot]) {
        self.tick = tick
        self.random = random
        self.slots = slots
    }

    public var population: Int { slots.reduce(0) { $0 + ($1.avatar == nil ? 0 : 1) } }

    /// Everything that keeps this state from being a state of a world with `definition`, as
    /// "what: why" lines; empty when it can be restored. A keyframe comes from a file, so it
    /// is checked like any other input.
    public func problems(for definition: WorldDefinition) -> [String] {
        var out: [String] = []
        func check(_ ok: Bool, _ message: @autoclosure () -> String) { if out.count < 20, !ok { out.append(message()) } }
        check(slots.count <= definition.capacity, "slots: \(slots.count), more than the capacity \(definition.capacity)")
        check(random.state != (0, 0, 0, 0), "random: the all-zero generator state")
        let walkable = definition.bounds.inset(by: definition.personalSpaceRadiusCentimetres)
        for (s, slot) in slots.enumerated() {
            guard let a = slot.avatar else { continue }
            check(walkable.contains(a.position), "slot \(s): position \(a.position) outside the walkable bounds")
            check(definition.floors.indices.contains(Int(a.floor)), "slot \(s): no floor with index \(a.floor)")
            check(a.enteredTick <= tick, "slot \(s): entered at tick \(a.enteredTick), after the state's tick \(tick)")
            check(a.view.count <= definition.interest.visibleMax, "slot \(s): view of \(a.view.count), more than visibleMax \(definition.interest.visibleMax)")
            var seen = Set<Int>()
            for e in a.view {
                check(e.slot < slots.count && e.slot != s, "slot \(s): view names slot \(e.slot), which is outside the state or itself")
                check(e.band <= 2, "slot \(s): view band \(e.band), not 0, 1 or 2")
                check(seen.insert(e.slot).inserted, "slot \(s): view names slot \(e.slot) twice")
            }
        }
        return out
    }
}

public struct WorldStateError: Error, CustomStringConvertible {
    public var problems: [String]
    public var description: String { "the state does not fit the world:\n  " + problems.joined(separator: "\n  ") }
}

extension World {
    /// The whole state, for a keyframe.
    public func capture() -> WorldState {
        let v = views.storage
        var slots: [WorldState.Slot] = []
        slots.reserveCapacity(slotHighWater)
        for s in 0..<slotHighWater {
            guard alive[s] else {
                slots.append(WorldState.Slot(generation: generation[s], avatar: nil))
                continue
            }
            let base = s * visibleMax
            let view = (0..<Int(v.counts[s])).map { WorldState.ViewEntry(entry: v.ids[base + $0], band: v.bands[base + $0]) }
            slots.append(WorldState.Slot(generation: generation[s], avatar: WorldState.Avatar(
                tag: tagOfSlot[s], position: position[s], floor: floor[s], heading: heading[s],
                movement: movement[s], enteredTick: enteredTick[s], view: view)))
        }
        return WorldState(tick: tick, random: random, slots: slots)
    }

    /// A world with `definition` in exactly `state`, stepping on as the captured world would.
    public init(definition: WorldDefinition, restoring state: WorldState, spatialIndex: SpatialIndexKind = .grid) throws(WorldStateError) {
        let problems = state.problems(for: definition)
        guard problems.isEmpty else { throw WorldStateError(problems: problems) }
        do {
            try self.init(definition: definition, seed: 1, spatialIndex: spatialIndex)
        } catch {
            throw WorldStateError(problems: error.problems)
        }
        tick = state.tick
        random = state.random
        slotHighWater = state.slots.count
        let v = views.writable()
        for (s, slot) in state.slots.enumerated() {
            generation[s] = slot.generation
            guard let a = slot.avatar else {
                freeSlots.push(UInt32(s))
                continue
            }
            alive[s] = true
            position[s] = a.position
            floor[s] = a.floor
            heading[s] = a.heading
            movement[s] = a.movement
            enteredTick[s] = a.enteredTick
            tagOfSlot[s] = a.tag
            population += 1
            setPresence(s)
            if spatialIndex == .grid { grid.insert(Int32(s), cell: grid.cell(floor: a.floor, position: a.position)) }
            let base = s * visibleMax
            for (i, e) in a.view.enumerated() {
                v.ids[base + i] = e.entry
                v.bands[base + i] = e.band
            }
            v.counts[s] = Int32(a.view.count)
        }
        // The view set hash, from the views (the same pairs `refreshView` and `clearView` mix).
        for o in 0..<slotHighWater where alive[o] {
            let observer = AvatarID(slot: UInt32(o), generation: generation[o]).packed
            for i in 0..<Int(v.counts[o]) {
                let e = v.ids[o * visibleMax + i]
                let subject = Self.id(ofEntry: e, current: generation[Int(e & Self.entrySlotMask)])
                interestHash ^= pairHash(observer: observer, subject: subject.packed)
            }
        }
    }

    /// How many leaves, enters and moves the last tick applied (see `forEachAppliedInput`).
    public var appliedInputCounts: (leaves: Int, enters: Int, moves: Int) { (leaveInputs.count, enterInputs.count, moveInputs.count) }

    /// The inputs of the last tick as the world applied them: leaves by avatar, enters by tag,
    /// moves by avatar (arrival order breaking ties), without those over the per-tick limit.
    /// Stepping a world with exactly these, in this order, applies them in this order again.
    public func forEachAppliedInput(_ body: (Input) -> Void) {
        for (id, _) in leaveInputs { body(.leave(id)) }
        for (request, _) in enterInputs { body(.enter(request)) }
        for (id, move, _) in moveInputs { body(.move(id, move)) }
    }
}
