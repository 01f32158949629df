// One running space: its avatars, their movement, who sees whom, and the tick that
// advances it all.
//
// `step(_:)` is the only way the state changes. One call is one tick of 1 / tickRateHertz
// seconds; the world never reads a clock, so a test can run a day of world time in
// seconds and a recording replays bit for bit.
//
// A tick, in this order:
//   1. inputs are sorted into a canonical order: leaves by avatar, enters by tag, moves by
//      avatar (arrival order breaks ties, and of several moves for one avatar the last wins);
//   2. leaves, then enters (placing each newcomer on a free spot), then moves are applied;
//   3. every moving avatar advances, in slot order, stopped or slid where it would break the
//      no-contact rule or enter an obstacle;
//   4. views are refreshed for the observers whose turn it is;
//   5. the state hash is taken.
//
// Invariants (checked by the tests on every tick, and by assertions in debug builds):
// 1. No two avatars on the same floor have centres closer than twice the personal-space
//    radius. Each move is accepted only if it keeps this against every other avatar's
//    current position, so the rule holds after every single move, not only at tick end.
// 2. No avatar's centre is nearer than the radius to an obstacle or to the bounds' edge.
// 3. A slot's generation rises each time its avatar leaves; an `AvatarID` is valid only
//    while its generation matches its slot's.
// 4. Slots are allocated lowest-free-first, so the allocation is a function of which slots
//    are alive and needs no history of its own in the state hash.
// 5. Nothing in the step iterates a `Dictionary` or `Set`.

public enum SpatialIndexKind: Sendable {
    /// The uniform grid: queries cost what the neighbourhood holds.
    case grid
    /// Every query scans every avatar. Exists as the baseline for benchmarks and as a
    /// cross-check in tests; it gives identical results, at O(N) per query.
    case bruteForce
}

public struct WorldDefinitionError: Error, CustomStringConvertible {
    public var worldID: String
    public var problems: [String]
    public var description: String { "world '\(worldID)' is not valid:\n  " + problems.joined(separator: "\n  ") }
}

public struct World: Sendable {
    public let definition: WorldDefinition
    public let spatialIndex: SpatialIndexKind
    public internal(set) var tick: UInt64 = 0
    public internal(set) var random: WorldRandom
    public internal(set) var population = 0

    /// The most inputs one tick accepts; the rest are dropped and counted.
    public static let inputsPerTickMax = 65_536
    /// Random spots tried in a spawn area before the lattice scan.
    static let spawnRandomTries = 24
    /// How far from a requested spot (`EnterRequest.near`) a free one is looked for.
    public static let nearSearchRadiusCentimetres: Int32 = 800
    /// The most lattice points a spawn scan visits.
    static let spawnScanPointsMax = 200_000

    // MARK: Per-slot state (index = slot)

    var alive: [Bool]
    var generation: [UInt32]
    var position: [Vec2]
    var floor: [Int32]
    var heading: [Heading]
    var movement: [Movement]
    var enteredTick: [UInt64]
    var tagOfSlot: [UInt64]
    /// Derived from `alive`, `generation` and `floor` (see `World.presence`), kept in step by
    /// `setPresence`, so the interest refresh checks a member with one load.
    var presence: [UInt32]
    /// One past the highest slot ever used; loops over slots stop here.
    var slotHighWater = 0
    var freeSlots = MinHeap()

    // MARK: Indexes

    var grid: SpatialGrid
    var interestIndex: InterestIndex
    let obstacleIndex: ObstacleIndex

    // MARK: Interest (see World+Interest.swift)

    let visibleMax: Int
    let interestRule: InterestRule
    var views: ViewTable
    /// XOR of a mix of every (observer, subject) pair in every view: a set hash kept up to
    /// date with each change, so the state hash covers the views without walking them.
    var interestHash: UInt64 = 0
    /// Whether `step` refreshes views. Movement, entries and leaves never read views, so a
    /// world without them moves exactly as one with them; only the views (and so the state
    /// hash) differ. For a replay that checks positions and takes views from the recording.
    public var viewsEnabled = true

    // MARK: Derived constants

    let radius: Int32
    let contactDistanceSquared: Int64
    let walkable: Rect
    let walkStepCentimetres: Int32
    let runStepCentimetres: Int32
    /// How far beyond a full view's last reach its next refresh looks first: two walking
    /// steps per tick between refreshes (observer and subject each walking apart).
    let reachMargin: Int64

    // MARK: Scratch buffers, reused every tick so the step allocates nothing in steady state

    var scratchSlots: [Int32] = []
    /// Spawn areas found jammed this tick: later entries to them this tick are refused at once.
    /// Exact, since an area only fills further within a tick, and it bounds the spawn work
    /// of a tick to one full scan per area, however many entries arrive.
    var jammedSpawnAreas: [Bool] = []
    var leaveInputs: [(id: AvatarID, order: Int32)] = []
    var enterInputs: [(request: EnterRequest, order: Int32)] = []
    var moveInputs: [(id: AvatarID, move: Move, order: Int32)] = []

    // MARK: Output

    /// What the last tick produced.
    public internal(set) var report = TickReport()
    /// Rejections and movement counters summed over every tick so far.
    public internal(set) var totalRejections = InputRejections()
    public internal(set) var totalMovement = MovementCounters()

    public init(definition: WorldDefinition, seed: UInt64, spatialIndex: SpatialIndexKind = .grid) throws(WorldDefinitionError) {
        let problems = definition.problems()
        if !problems.isEmpty { throw WorldDefinitionError(worldID: definition.id, problems: problems) }
        self.definition = definition
        self.spatialIndex = spatialIndex
        self.random = WorldRandom(seed: seed)
        let n = definition.capacity
        alive = [Bool](repeating: false, count: n)
        generation = [UInt32](repeating: 0, count: n)
        position = [Vec2](repeating: .zero, count: n)
        floor = [Int32](repeating: 0, count: n)
        heading = [Heading](repeating: .east, count: n)
        movement = [Movement](repeating: .idle, count: n)
        enteredTick = [UInt64](repeating: 0, count: n)
        tagOfSlot = [UInt64](repeating: 0, count: n)
        presence = [UInt32](repeating: 0, count: n)
        radius = definition.personalSpaceRadiusCentimetres
        contactDistanceSquared = 4 * Int64(radius) * Int64(radius)
        walkable = definition.bounds.inset(by: radius)
        let rate = Int32(definition.tickRateHertz)
        walkStepCentimetres = max(1, (definition.walkSpeedCentimetresPerSecond + rate / 2) / rate)
        runStepCentimetres = max(1, (definition.runSpeedCentimetresPerSecond + rate / 2) / rate)
        reachMargin = 2 * Int64(walkStepCentimetres) * Int64(definition.interest.refreshPeriodTicks)
        // Movement cells just cover a contact query's reach (two radii plus a running step),
        // so a query looks at a few cells holding a few avatars each.
        let cellSize = max(2 * radius + 2 * runStepCentimetres, 200)
        grid = SpatialGrid(bounds: definition.bounds, floorCount: definition.floors.count, slotCount: n, cellSizeCentimetres: cellSize)
        // Interest cells of a tenth of the enter radius: in a packed crowd the scan for the
        // K nearest then stops within a few cells of the observer.
        interestIndex = InterestIndex(bounds: definition.bounds, floorCount: definition.floors.count, slotCount: n,
                                      cellSizeCentimetres: max(definition.interest.enterRadiusCentimetres / 10, 200))
        obstacleIndex = ObstacleIndex(obstacles: definition.obstacles, bounds: definition.bounds,
                                      clearanceCentimetres: radius, cellSizeCentimetres: cellSize)
        visibleMax = definition.interest.visibleMax
        interestRule = InterestRule(definition.interest)
        jammedSpawnAreas = [Bool](repeating: false, count: definition.spawnAreas.count)
        views = ViewTable(slotCount: n, visibleMax: visibleMax)
        precondition(n <= 1 << Self.keySlotBits, "capacity exceeds the interest key's slot field")
        precondition(definition.interest.refreshPeriodTicks < 4_096, "view entries keep 12 generation bits")
    }

    // MARK: The tick

    /// Advances the world by one tick. Inputs that cannot apply are counted in
    /// `report.rejections`, never trapped on.
    public mutating func step(_ inputs: [Input]) {
        tick += 1
        report.reset(tick: tick)
        for i in jammedSpawnAreas.indices { jammedSpawnAreas[i] = false }
        sortInputs(inputs)
        for (id, _) in leaveInputs { applyLeave(id) }
        for (request, _) in enterInputs { applyEnter(request) }
        for (id, move, _) in moveInputs { applyMove(id, move) }
        for s in 0..<slotHighWater where alive[s] {
            if case .idle = movement[s] { continue }
            advance(slot: s)
        }
        if viewsEnabled { refreshViews() }
        report.stateHash = stateHash()
        totalRejections += report.rejections
        totalMovement += report.movement
    }

    mutating func sortInputs(_ inputs: [Input]) {
        leaveInputs.removeAll(keepingCapacity: true)
        enterInputs.removeAll(keepingCapacity: true)
        moveInputs.removeAll(keepingCapacity: true)
        let accepted = min(inputs.count, Self.inputsPerTickMax)
        report.rejections.overLimit = inputs.count - accepted
        for i in 0..<accepted {
            switch inputs[i] {
            case .leave(let id): leaveInputs.append((id, Int32(i)))
            case .enter(let request): enterInputs.append((request, Int32(i)))
            case .move(let id, let move): moveInputs.append((id, move, Int32(i)))
            }
        }
        leaveInputs.sort { ($0.id.slot, $0.id.generation, $0.order) < ($1.id.slot, $1.id.generation, $1.order) }
        enterInputs.sort { ($0.request.tag, $0.order) < ($1.request.tag, $1.order) }
        moveInputs.sort { ($0.id.slot, $0.order) < ($1.id.slot, $1.order) }
    }

    /// Whether `id` names a live avatar; counts the rejection when it does not.
    mutating func admit(_ id: AvatarID) -> Bool {
        let s = Int(id.slot)
        guard s < slotHighWater, alive[s] else {
            report.rejections.unknownAvatar += 1
            return false
        }
        guard generation[s] == id.generation else {
            report.rejections.staleAvatar += 1
            return false
        }
        return true
    }

    mutating func applyLeave(_ id: AvatarID) {
        guard admit(id) else { return }
        let s = Int(id.slot)
        if spatialIndex == .grid { grid.remove(Int32(s)) }
        clearView(of: s)
        alive[s] = false
        generation[s] &+= 1
        movement[s] = .idle
        population -= 1
        setPresence(s)
        freeSlots.push(UInt32(s))
        report.left.append(id)
    }

    mutating func applyEnter(_ request: EnterRequest) {
        func refuse(_ reason: EntryRefusal) {
            report.enterResults.append(EnterResult(tag: request.tag, outcome: .failure(reason)))
        }
        guard definition.spawnAreas.indices.contains(request.spawnArea) else { return refuse(.noSuchSpawnArea) }
        guard population < definition.capacity else { return refuse(.worldFull) }
        let area = definition.spawnAreas[request.spawnArea]
        var place: (spot: Vec2, floor: Int)?
        if let near = request.near, definition.floors.indices.contains(near.floor), let spot = findSpot(near: near.position, floor: Int32(near.floor)) {
            place = (spot, near.floor)
        }
        if place == nil {
            guard !jammedSpawnAreas[request.spawnArea] else { return refuse(.noFreeSpot) }
            guard let spot = findSpawnSpot(in: area) else {
                jammedSpawnAreas[request.spawnArea] = true
                return refuse(.noFreeSpot)
            }
            place = (spot, area.floor)
        }
        let (spot, spotFloor) = place!
        let s: Int
        if let free = freeSlots.popMin() { s = Int(free) } else {
            s = slotHighWater
            slotHighWater += 1
        }
        assert(!alive[s])
        alive[s] = true
        position[s] = spot
        floor[s] = Int32(spotFloor)
        heading[s] = .north
        movement[s] = .idle
        enteredTick[s] = tick
        tagOfSlot[s] = request.tag
        assert(views.storage.counts[s] == 0, "a free slot kept a view")
        population += 1
        setPresence(s)
        if spatialIndex == .grid { grid.insert(Int32(s), cell: grid.cell(floor: floor[s], position: spot)) }
        report.enterResults.append(EnterResult(tag: request.tag, outcome: .success(AvatarID(slot: UInt32(s), generation: generation[s]))))
    }

    mutating func applyMove(_ id: AvatarID, _ move: Move) {
        guard admit(id) else { return }
        let s = Int(id.slot)
        switch move {
        case .stop: movement[s] = .idle
        case .go(let h, let pace): movement[s] = .heading(h, pace)
        case .walkTo(let target, let pace):
            guard walkable.contains(target) else {
                report.rejections.invalidMove += 1
                return
            }
            movement[s] = .target(target, pace)
        }
    }

    mutating func setPresence(_ s: Int) {
        presence[s] = Self.presence(generation: generation[s], floor: floor[s], alive: alive[s])
    }

    // MARK: State hash

    /// The 64-bit hash of everything that defines the state: the tick, the generator, every
    /// slot's generation and every live avatar's full state, and the views.
    public func stateHash() -> UInt64 { stateHash(viewsHash: interestHash) }

    /// The set hash of every view (see `interestHash`): the part of the state hash views add.
    public var viewsHash: UInt64 { interestHash }

    /// The state hash as it would be if the views hashed to `viewsHash`: lets a world stepped
    /// without views be checked against a recorded hash, with the views taken on trust.
    public func stateHash(viewsHash: UInt64) -> UInt64 {
        var h = StateHasher(seed: .seoulHashSeed)
        h.combine(tick)
        h.combine(random.state.0)
        h.combine(random.state.1)
        h.combine(random.state.2)
        h.combine(random.state.3)
        h.combine(population)
        h.combine(slotHighWater)
        for s in 0..<slotHighWater {
            h.combine(UInt64(generation[s]) << 1 | (alive[s] ? 1 : 0))
            guard alive[s] else { continue }
            h.combine(UInt64(UInt32(bitPattern: position[s].x)) << 32 | UInt64(UInt32(bitPattern: position[s].y)))
            h.combine(UInt64(UInt32(bitPattern: floor[s])) << 16 | UInt64(heading[s].raw))
            let m = movement[s].hashWords
            h.combine(m.0)
            h.combine(m.1)
            h.combine(enteredTick[s])
            h.combine(tagOfSlot[s])
        }
        h.combine(viewsHash)
        return h.finalize()
    }

    // MARK: Queries

    public struct AvatarState: Hashable, Sendable {
        public var id: AvatarID
        public var tag: UInt64
        public var position: Vec2
        public var floor: Int
        public var heading: Heading
        public var movement: Movement
    }

    public func avatar(_ id: AvatarID) -> AvatarState? {
        let s = Int(id.slot)
        guard s < slotHighWater, alive[s], generation[s] == id.generation else { return nil }
        return avatarState(slot: s)
    }

    func avatarState(slot s: Int) -> AvatarState {
        AvatarState(id: AvatarID(slot: UInt32(s), generation: generation[s]), tag: tagOfSlot[s],
                    position: position[s], floor: Int(floor[s]), heading: heading[s], movement: movement[s])
    }

    /// Calls `body` with the slot and state of every live avatar, in slot order, without
    /// building an array (the snapshot path's once-a-tick pass).
    public func forEachAvatar(_ body: (Int, AvatarState) -> Void) {
        for s in 0..<slotHighWater where alive[s] { body(s, avatarState(slot: s)) }
    }

    /// One past the highest slot ever used: every slot `forEachAvatar` or a view names is below it.
    public var slotBound: Int { slotHighWater }

    /// Every live avatar, in slot order.
    public var avatars: [AvatarState] {
        (0..<slotHighWater).filter { alive[$0] }.map { avatarState(slot: $0) }
    }

    /// The derived per-tick movement step, in centimetres, for a pace.
    public func stepCentimetres(_ pace: Pace) -> Int32 { pace == .run ? runStepCentimetres : walkStepCentimetres }
}

/// A binary min-heap of free slots, so allocation takes the lowest free slot in O(log n).
struct MinHeap: Sendable {
    private var items: [UInt32] = []

    var isEmpty: Bool { items.isEmpty }

    mutating func push(_ v: UInt32) {
        items.append(v)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if items[parent] <= items[i] { break }
            items.swapAt(parent, i)
            i = parent
        }
    }

    mutating func popMin() -> UInt32? {
        guard let last = items.popLast() else { return nil }
        guard !items.isEmpty else { return last }
        let top = items[0]
        items[0] = last
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < items.count && items[l] < items[m] { m = l }
            if r < items.count && items[r] < items[m] { m = r }
            if m == i { break }
            items.swapAt(i, m)
            i = m
        }
        return top
    }
}
