// Movement, the no-contact rule, and placing newcomers.
//
// An avatar's move is a sequence of candidate positions, tried in order; the first that
// is free is taken, and if none is, the avatar stays where it is (which is always free,
// because it was free when it got there and nobody may come closer since):
//   1. the full step;
//   2. when another avatar blocks: the step's component tangent to that avatar (sliding
//      around it), which never brings the two closer;
//   3. the step along x alone, then along y alone (sliding along walls and other avatars);
//   4. when another avatar blocks: a sidestep at right angles, to the right, then to the
//      left (so two avatars meeting exactly head-on, whose tangent is zero, keep right and pass).
// A position is free when it lies in the walkable bounds, outside every obstacle by the
// personal-space radius, and at least twice that radius from every other avatar on the
// floor. All tests are exact integer comparisons.

extension World {
    enum Blocker {
        case none
        case geometry
        case avatar(Int32)
    }

    mutating func advance(slot s: Int) {
        let p = position[s]
        var arriving = false
        let d: Vec2
        switch movement[s] {
        case .idle:
            return
        case .heading(let h, let pace):
            let u = h.unitVector
            let step = Int64(stepCentimetres(pace))
            d = Vec2(Int32(Int64(u.x) * step / Int64(Trig.one)), Int32(Int64(u.y) * step / Int64(Trig.one)))
            heading[s] = h
        case .target(let t, let pace):
            let delta = t - p
            let step = stepCentimetres(pace)
            if delta.lengthSquared <= Int64(step) * Int64(step) {
                d = delta
                arriving = true
            } else {
                d = delta.scaled(toLength: step)
            }
            if d != .zero { heading[s] = Heading(of: d) }
        }
        if d == .zero {
            if arriving { movement[s] = .idle }
            return
        }
        let f = floor[s]
        let reach = 2 * radius + max(abs(d.x), abs(d.y)) + 1
        gatherNeighbours(floor: f, center: p, radius: reach)

        let full = p + d
        switch blocker(slot: s, floor: f, at: full) {
        case .none:
            commit(slot: s, to: full)
            if arriving { movement[s] = .idle }
        case .avatar(let other):
            report.movement.contactsPrevented += 1
            let n = p - position[Int(other)]
            let dn = d.dot(n)
            var tangent = d
            let n2 = n.lengthSquared
            if dn < 0 && n2 > 0 {
                tangent = Vec2(d.x - Int32(dn * Int64(n.x) / n2), d.y - Int32(dn * Int64(n.y) / n2))
            }
            if tangent != .zero && tangent != d, case .none = blocker(slot: s, floor: f, at: p + tangent) {
                report.movement.slid += 1
                commit(slot: s, to: p + tangent)
            } else if slideAlongAxes(slot: s, floor: f, from: p, step: d) || sidestep(slot: s, floor: f, from: p, step: d) {
                report.movement.slid += 1
            } else {
                report.movement.stoppedByAvatar += 1
            }
        case .geometry:
            report.movement.blockedByGeometry += 1
            _ = slideAlongAxes(slot: s, floor: f, from: p, step: d)
        }
    }

    /// Tries the step's larger axis component, then the smaller; returns whether one was taken.
    mutating func slideAlongAxes(slot s: Int, floor f: Int32, from p: Vec2, step d: Vec2) -> Bool {
        let xFirst = abs(d.x) >= abs(d.y)
        let first = xFirst ? Vec2(d.x, 0) : Vec2(0, d.y)
        let second = xFirst ? Vec2(0, d.y) : Vec2(d.x, 0)
        for i in 0..<2 {
            let component = i == 0 ? first : second
            if component == .zero { continue }
            if case .none = blocker(slot: s, floor: f, at: p + component) {
                commit(slot: s, to: p + component)
                return true
            }
        }
        return false
    }

    /// Steps at right angles to the blocked step, to the right first, then to the left: two
    /// people meeting exactly head-on both keep right and pass, instead of standing forever.
    mutating func sidestep(slot s: Int, floor f: Int32, from p: Vec2, step d: Vec2) -> Bool {
        let right = Vec2(d.y, -d.x), left = Vec2(-d.y, d.x)
        for i in 0..<2 {
            let q = p + (i == 0 ? right : left)
            if case .none = blocker(slot: s, floor: f, at: q) {
                commit(slot: s, to: q)
                return true
            }
        }
        return false
    }

    mutating func commit(slot s: Int, to q: Vec2) {
        position[s] = q
        if spatialIndex == .grid { grid.update(Int32(s), cell: grid.cell(floor: floor[s], position: q)) }
    }

    /// Fills `scratchSlots` with every avatar that could be within `radius` of `center` on
    /// `floor` (a superset; callers test exact distances).
    mutating func gatherNeighbours(floor f: Int32, center: Vec2, radius r: Int32) {
        scratchSlots.removeAll(keepingCapacity: true)
        switch spatialIndex {
        case .grid:
            grid.gather(floor: f, center: center, radius: r, into: &scratchSlots)
        case .bruteForce:
            for s in 0..<slotHighWater where alive[s] && floor[s] == f { scratchSlots.append(Int32(s)) }
        }
    }

    /// What, if anything, stops avatar `s` standing at `q`; `scratchSlots` must hold its
    /// neighbours. Of several avatars in the way, the nearest (then the lowest slot) is named,
    /// so the answer does not depend on the order of the neighbour list.
    func blocker(slot s: Int, floor f: Int32, at q: Vec2) -> Blocker {
        if !walkable.contains(q) || obstacleIndex.blocks(q, floor: Int(f)) { return .geometry }
        var nearest: Int32 = -1
        var nearestDistance = Int64.max
        for n in scratchSlots where Int(n) != s {
            let d2 = q.distanceSquared(to: position[Int(n)])
            if d2 < contactDistanceSquared && (d2 < nearestDistance || (d2 == nearestDistance && n < nearest)) {
                nearest = n
                nearestDistance = d2
            }
        }
        return nearest >= 0 ? .avatar(nearest) : .none
    }

    // MARK: Spawning

    /// A free spot in the spawn area: first a few uniformly random points (from the world's
    /// generator), which find the gaps a moving crowd leaves; then the points of a hexagonal
    /// lattice at the contact distance, from a random starting point and wrapping around,
    /// which find room in an area filled quickly. Nil when no lattice point is free either
    /// (within `spawnScanPointsMax` points): the area is jammed for now, and the entry is
    /// refused with that reason.
    ///
    /// Random placement alone jams at about half the density of the lattice (random
    /// sequential adsorption), the lattice alone jams in a crowd that has moved off it; the
    /// two together fill a spawn area to most of what the lattice holds. The cost of a refusal
    /// is a scan of the area's lattice: O(area), paid only when the area is jammed.
    mutating func findSpawnSpot(in area: SpawnArea) -> Vec2? {
        let a = Rect(minX: max(area.area.minX, walkable.minX), minY: max(area.area.minY, walkable.minY),
                     maxX: min(area.area.maxX, walkable.maxX), maxY: min(area.area.maxY, walkable.maxY))
        guard a.isValid else { return nil }
        let f = Int32(area.floor)
        for _ in 0..<Self.spawnRandomTries {
            let q = Vec2(random.uniform(a.minX...a.maxX), random.uniform(a.minY...a.maxY))
            if isFreeSpawnSpot(q, floor: f) { return q }
        }
        let spacing = Int64(2 * radius)
        let rowHeight = max(1, spacing * 866 / 1_000) // sqrt(3) / 2: rows of a hexagonal packing
        let columns = Int64(a.width) / spacing + 1
        let rows = Int64(a.height) / rowHeight + 1
        let points = columns * rows
        let first = Int64(random.uniform(below: UInt64(points)))
        for k in 0..<min(points, Int64(Self.spawnScanPointsMax)) {
            let index = (first + k) % points
            let row = index / columns, column = index % columns
            let x = Int64(a.minX) + column * spacing + (row & 1 == 1 ? Int64(radius) : 0)
            guard x <= Int64(a.maxX) else { continue }
            let q = Vec2(Int32(x), a.minY + Int32(row * rowHeight))
            if isFreeSpawnSpot(q, floor: f) { return q }
        }
        return nil
    }

    /// The free spot nearest to `p` on floor `f` (`p` itself when free): points of a square
    /// grid at the personal-space radius, tried in order of distance (ties by y, then x), within
    /// `nearSearchRadiusCentimetres`. No randomness: the same state gives the same spot.
    mutating func findSpot(near p: Vec2, floor f: Int32) -> Vec2? {
        let step = max(1, Int64(radius))
        let reach = Int64(Self.nearSearchRadiusCentimetres) / step
        var offsets: [(d2: Int64, dy: Int64, dx: Int64)] = []
        offsets.reserveCapacity(Int((2 * reach + 1) * (2 * reach + 1)))
        for dy in -reach...reach {
            for dx in -reach...reach where dx * dx + dy * dy <= reach * reach { offsets.append((dx * dx + dy * dy, dy, dx)) }
        }
        offsets.sort { ($0.d2, $0.dy, $0.dx) < ($1.d2, $1.dy, $1.dx) }
        for o in offsets.prefix(Self.spawnScanPointsMax) {
            let x = Int64(p.x) + o.dx * step, y = Int64(p.y) + o.dy * step
            guard let qx = Int32(exactly: x), let qy = Int32(exactly: y) else { continue }
            if isFreeSpawnSpot(Vec2(qx, qy), floor: f) { return Vec2(qx, qy) }
        }
        return nil
    }

    mutating func isFreeSpawnSpot(_ q: Vec2, floor f: Int32) -> Bool {
        report.spawnSpotsExamined += 1
        gatherNeighbours(floor: f, center: q, radius: 2 * radius + 1)
        if case .none = blocker(slot: -1, floor: f, at: q) { return true }
        return false
    }
}
