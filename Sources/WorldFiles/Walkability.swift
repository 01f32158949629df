// Where an avatar can walk in a space, as a raster per floor, and which parts connect.
//
// A raster cell is walkable when an avatar's centre may stand at the cell's centre: inside
// the bounds by the personal-space radius and clear of every obstacle by that radius (the
// same test the simulation applies to a move). Cells are at most one radius wide, so two
// neighbouring walkable centres are joined by a segment that an avatar of that radius can
// follow, and no wall can hide between them. Walkable cells are labelled by connected part
// (4-neighbours); portals within the same space (lifts, stairs) join parts across floors.
//
// The raster is kept as runs: per row, the walkable cells in maximal intervals of columns.
// A rectangle or a circle grown by the radius stays convex, so the cells it blocks in a row
// are one interval, found from the ends of its bounding box inward; a polygon, convex or not,
// blocks per row its inside and each of its edges grown by the radius, an interval each
// (`polygonRow`), every end settled by the exact integer test. Runs are joined into parts with
// a union-find between neighbouring rows, and the parts are numbered in the order of their
// first cell, row by row: the labels a cell-by-cell flood fill gives (WalkabilityTests holds
// that flood fill as the reference).
//
// Cost: O(rows x (obstacles + polygon edges) + runs), plus the corners between a rectangle's
// or a circle's box and its shape, instead of O(cells x obstacles); the cell size and the
// `cellCountMax` budget are as they were (never beyond the radius; a space that would need
// more is refused as too large).

import WorldCore

struct Walkability {
    let cellCentimetres: Int32
    let columns: Int
    let rows: Int
    /// A row's walkable cells from `start` to `end` (columns, both included), in one part.
    struct Run {
        var start: Int32
        var end: Int32
        var label: Int32
    }
    /// Per floor, per row: the runs in column order.
    let runs: [[[Run]]]
    /// Where avatar centres may stand, summed over floors.
    let walkableSquareMetres: Double

    static let cellCountMax = 4_000_000

    /// The raster's cell for a space: half the radius (at least 25 cm), doubled while the
    /// floor would need more than `cellCountMax` cells, never beyond the radius; nil when even
    /// that is too many.
    static func cellSize(_ d: WorldDefinition) -> Int32? {
        let r = d.personalSpaceRadiusCentimetres
        let area = Double(d.bounds.width) * Double(d.bounds.height)
        var cell = max(Int32(25), r / 2)
        while area / (Double(cell) * Double(cell)) > Double(Self.cellCountMax) && cell < r { cell = min(r, cell * 2) }
        return area / (Double(cell) * Double(cell)) <= Double(Self.cellCountMax) * 1.01 ? cell : nil
    }

    /// Nil when the space is too large to rasterise at its radius within the cell budget.
    init?(space: Space) {
        let d = space.definition
        let r = d.personalSpaceRadiusCentimetres
        guard let cell = Self.cellSize(d) else { return nil }
        cellCentimetres = cell
        columns = Int(d.bounds.width / cell)
        rows = Int(d.bounds.height / cell)
        let walkable = d.bounds.inset(by: r)
        // Columns and rows whose centres lie in the walkable bounds.
        let i0 = Int((walkable.minX - cell / 2 + cell - 1) / cell), i1 = min(columns - 1, Int((walkable.maxX - cell / 2) / cell))
        let j0 = Int((walkable.minY - cell / 2 + cell - 1) / cell), j1 = min(rows - 1, Int((walkable.maxY - cell / 2) / cell))
        var runs: [[[Run]]] = []
        var walkableCells = 0
        for f in d.floors.indices {
            var blocked = [[(Int32, Int32)]](repeating: [], count: rows)
            for o in d.obstacles where (o.floor == nil || o.floor == f) && i0 <= i1 && j0 <= j1 {
                Self.block(o.shape, radius: r, cell: cell, columns: i0...i1, rows: j0...j1, into: &blocked)
            }
            var floorRuns = [[Run]](repeating: [], count: rows)
            if i0 <= i1 && j0 <= j1 {
                for j in j0...j1 {
                    floorRuns[j] = Self.freeRuns(from: Int32(i0), to: Int32(i1), blocked: &blocked[j])
                    for run in floorRuns[j] { walkableCells += Int(run.end - run.start + 1) }
                }
            }
            Self.label(&floorRuns)
            runs.append(floorRuns)
        }
        self.runs = runs
        self.walkableSquareMetres = Double(walkableCells) * Double(cell) * Double(cell) / 10_000
    }

    /// Adds the columns `shape` blocks (a disk of `radius` at the cell's centre overlaps it) to
    /// each row's blocked intervals, within the walkable columns and rows.
    static func block(_ shape: Shape, radius r: Int32, cell: Int32, columns: ClosedRange<Int>, rows: ClosedRange<Int>,
                      into blocked: inout [[(Int32, Int32)]]) {
        let b = shape.bounds.inset(by: -r)
        let oi0 = max(columns.lowerBound, Int((b.minX - cell / 2) / cell)), oi1 = min(columns.upperBound, Int((b.maxX - cell / 2) / cell) + 1)
        let oj0 = max(rows.lowerBound, Int((b.minY - cell / 2) / cell)), oj1 = min(rows.upperBound, Int((b.maxY - cell / 2) / cell) + 1)
        guard oi0 <= oi1 && oj0 <= oj1 else { return }
        if case .polygon(let polygon) = shape {
            for j in oj0...oj1 { blocked[j] += polygonRow(polygon, y: Int32(j) * cell + cell / 2, radius: r, cell: cell, columns: oi0...oi1) }
            return
        }
        // A rectangle or a circle grown by the radius is convex: one interval per row, found
        // from the ends of its box inward.
        func overlaps(_ i: Int, _ y: Int32) -> Bool { shape.overlapsDisk(center: Vec2(Int32(i) * cell + cell / 2, y), radius: r) }
        for j in oj0...oj1 {
            let y = Int32(j) * cell + cell / 2
            var a = oi0
            while a <= oi1 && !overlaps(a, y) { a += 1 }
            guard a <= oi1 else { continue }
            var z = oi1
            while !overlaps(z, y) { z -= 1 }
            blocked[j].append((Int32(a), Int32(z)))
        }
    }

    /// The columns of the row at `y` whose centres a polygon blocks: inside it, or nearer than
    /// the radius to one of its edges (Polygon.overlapsDisk). Each edge grown by the radius is
    /// convex, so it blocks one interval of the row: placed from its floating-point chord and
    /// then settled cell by cell with the exact integer test, so the ends are exact. The
    /// inside comes from the edges' crossings in floating point: a centre it misplaces lies
    /// within a hair of an edge, so nearer than the radius, and an edge's interval holds it.
    /// O(edges) per row instead of O(columns x edges).
    static func polygonRow(_ polygon: Polygon, y: Int32, radius r: Int32, cell: Int32, columns: ClosedRange<Int>) -> [(Int32, Int32)] {
        var out: [(Int32, Int32)] = []
        let r2 = Int64(r) * Int64(r)
        let v = polygon.vertices
        let yd = Double(y), rd = Double(r), c = Double(cell)
        func centre(_ i: Int) -> Vec2 { Vec2(Int32(i) * cell + cell / 2, y) }
        /// The columns whose centres lie in [lo, hi] (centimetres), clipped to the row's.
        func span(_ lo: Double, _ hi: Double) -> (Int, Int)? {
            let a = max(columns.lowerBound, Int(((lo - c / 2) / c).rounded(.up))), z = min(columns.upperBound, Int(((hi - c / 2) / c).rounded(.down)))
            return a <= z ? (a, z) : nil
        }
        var k = v.count - 1
        for i in 0..<v.count {
            let a = v[k], b = v[i]
            k = i
            guard yd > Double(min(a.y, b.y)) - rd && yd < Double(max(a.y, b.y)) + rd else { continue }
            // The edge grown by the radius, on this row: the disks at its ends and the band
            // along it, in floating point; an empty chord still tries the column nearest the
            // edge, for a centre that the rounding put just outside.
            var lo = Double.infinity, hi = -Double.infinity
            for p in [a, b] where abs(yd - Double(p.y)) < rd {
                let half = (rd * rd - (yd - Double(p.y)) * (yd - Double(p.y))).squareRoot()
                lo = min(lo, Double(p.x) - half)
                hi = max(hi, Double(p.x) + half)
            }
            let dx = Double(b.x - a.x), dy = Double(b.y - a.y), length = (dx * dx + dy * dy).squareRoot()
            if length > 0 {
                // Points (x, y) with 0 < t < 1 along the edge and less than r from its line.
                var bandLo = -Double.infinity, bandHi = Double.infinity
                func within(_ slope: Double, _ offset: Double, _ low: Double, _ high: Double) {
                    // low < slope * x + offset < high
                    if slope == 0 {
                        if !(offset > low && offset < high) { bandLo = .infinity }
                    } else {
                        let x1 = (low - offset) / slope, x2 = (high - offset) / slope
                        bandLo = max(bandLo, min(x1, x2))
                        bandHi = min(bandHi, max(x1, x2))
                    }
                }
                within(dx, dy * (yd - Double(a.y)) - dx * Double(a.x), 0, length * length)           // t along the edge
                within(-dy, dx * (yd - Double(a.y)) + dy * Double(a.x), -rd * length, rd * length)   // distance across it
                if bandLo < bandHi {
                    lo = min(lo, bandLo)
                    hi = max(hi, bandHi)
                }
            }
            func near(_ i: Int) -> Bool { segmentDistanceSquaredIsAtMost(centre(i), a, b, r2) }
            var first: Int, last: Int
            if let (s0, s1) = span(lo, hi) {
                (first, last) = (s0, s1)
            } else {
                // Nothing by the floating point: the edge at most grazes the row. Try the
                // columns about the edge's point nearest the row.
                let x: Double
                if (a.y > y) != (b.y > y) { x = Double(a.x) + (yd - Double(a.y)) * dx / dy }
                else { x = abs(a.y - y) <= abs(b.y - y) ? Double(a.x) : Double(b.x) }
                let g = Int(((x - c / 2) / c).rounded())
                (first, last) = (max(columns.lowerBound, g - 1), min(columns.upperBound, g + 1))
            }
            // Settle both ends with the exact test (the grown edge is convex: one interval).
            while first <= last && !near(first) { first += 1 }
            while last >= first && !near(last) { last -= 1 }
            guard first <= last else { continue }
            while first > columns.lowerBound && near(first - 1) { first -= 1 }
            while last < columns.upperBound && near(last + 1) { last += 1 }
            out.append((Int32(first), Int32(last)))
        }
        let crossings = polygon.crossings(atRow: y)
        var pair = 0
        while pair + 1 < crossings.count {
            if let (a, z) = span(crossings[pair], crossings[pair + 1]) { out.append((Int32(a), Int32(z))) }
            pair += 2
        }
        return out
    }

    /// The columns from `first` to `last` less the blocked intervals, as runs (labels unset).
    static func freeRuns(from first: Int32, to last: Int32, blocked: inout [(Int32, Int32)]) -> [Run] {
        blocked.sort { $0.0 < $1.0 }
        var out: [Run] = []
        var next = first
        for (a, z) in blocked {
            if a > next { out.append(Run(start: next, end: min(a - 1, last), label: -1)) }
            next = max(next, z + 1)
            if next > last { break }
        }
        if next <= last { out.append(Run(start: next, end: last, label: -1)) }
        return out
    }

    /// Joins runs that share a column with a run of the row below into parts, and numbers the
    /// parts in the order of their first run, row by row (a flood fill's order).
    static func label(_ rows: inout [[Run]]) {
        var offsets: [Int] = []
        var count = 0
        for row in rows {
            offsets.append(count)
            count += row.count
        }
        var parent = Array(0..<count)
        func find(_ x: Int) -> Int {
            var x = x
            while parent[x] != x {
                parent[x] = parent[parent[x]]
                x = parent[x]
            }
            return x
        }
        for j in rows.indices.dropFirst() {
            let below = rows[j - 1], here = rows[j]
            var a = 0, b = 0
            while a < below.count && b < here.count {
                if below[a].start <= here[b].end && here[b].start <= below[a].end {
                    let x = find(offsets[j - 1] + a), y = find(offsets[j] + b)
                    // The smaller index is the part's first run in row order.
                    if x != y { parent[max(x, y)] = min(x, y) }
                }
                if below[a].end < here[b].end { a += 1 } else { b += 1 }
            }
        }
        var labelOfRoot = [Int32](repeating: -1, count: count)
        var next: Int32 = 0
        for j in rows.indices {
            for k in rows[j].indices {
                let root = find(offsets[j] + k)
                if labelOfRoot[root] < 0 {
                    labelOfRoot[root] = next
                    next += 1
                }
                rows[j][k].label = labelOfRoot[root]
            }
        }
    }

    /// The label of the cell at column `i`, row `j` of `floor`, or -1 where no one can stand.
    func label(floor: Int, column i: Int, row j: Int) -> Int32 {
        guard j >= 0 && j < rows else { return -1 }
        for run in runs[floor][j] where Int(run.start) <= i && i <= Int(run.end) { return run.label }
        return -1
    }

    /// The labels of the walkable cells whose centres lie in `rect` on `floor`.
    func parts(in rect: Rect, floor: Int) -> Set<Int32> {
        var out = Set<Int32>()
        forEachRun(in: rect, floor: floor) { run, _, _, _ in out.insert(run.label) }
        return out
    }

    /// The labels of walkable cells whose centres are within `reach` of `point` on `floor`.
    func parts(near point: Vec2, reach: Int32, floor: Int) -> Set<Int32> {
        let box = Rect(minX: point.x - reach, minY: point.y - reach, maxX: point.x + reach, maxY: point.y + reach)
        var out = Set<Int32>()
        let reach2 = Int64(reach) * Int64(reach)
        let c = cellCentimetres
        forEachRun(in: box, floor: floor) { run, j, lo, hi in
            guard !out.contains(run.label) else { return }
            // Along a row the distance is least at the column nearest the point, clamped to
            // the run's part inside the box: try the columns either side of the point.
            let below = point.x >= c / 2 ? Int((point.x - c / 2) / c) : -1
            for i in [below, below + 1] {
                let k = Int32(min(max(i, lo), hi))
                let centre = Vec2(k * c + c / 2, Int32(j) * c + c / 2)
                if centre.distanceSquared(to: point) <= reach2 {
                    out.insert(run.label)
                    return
                }
            }
        }
        return out
    }

    /// Each run with cells whose centres lie inside `rect`, with its row and the columns of it
    /// inside (both included).
    func forEachRun(in rect: Rect, floor: Int, _ body: (Run, Int, Int, Int) -> Void) {
        let c = cellCentimetres
        let i0 = max(0, Int((rect.minX - c / 2 + c - 1) / c)), i1 = min(columns - 1, Int((rect.maxX - c / 2) / c))
        let j0 = max(0, Int((rect.minY - c / 2 + c - 1) / c)), j1 = min(rows - 1, Int((rect.maxY - c / 2) / c))
        guard i0 <= i1 && j0 <= j1 else { return }
        for j in j0...j1 {
            for run in runs[floor][j] where Int(run.end) >= i0 && Int(run.start) <= i1 {
                body(run, j, max(Int(run.start), i0), min(Int(run.end), i1))
            }
        }
    }

    /// A node of the reachability graph: a connected part of one floor.
    struct Part: Hashable {
        var floor: Int
        var label: Int32
    }

    /// Every part reachable on foot from `starts`, going through this space's own portals
    /// (lifts and stairs) to their arrival areas.
    func reachable(from starts: Set<Part>, space: Space) -> Set<Part> {
        var seen = starts
        var queue = Array(starts)
        while let part = queue.popLast() {
            for portal in space.portals where portal.targetSpace == space.id && portal.floor == part.floor {
                guard parts(in: portal.area, floor: portal.floor).contains(part.label),
                      let target = space.portals.first(where: { $0.id == portal.targetPortal }) else { continue }
                for label in parts(in: target.arrival, floor: target.floor) {
                    let next = Part(floor: target.floor, label: label)
                    if seen.insert(next).inserted { queue.append(next) }
                }
            }
        }
        return seen
    }
}

extension Polygon {
    /// Where the edges cross the row at `y`, in floating point, ascending: between the first
    /// and second, the third and fourth and so on lies the inside (the even-odd rule, with the
    /// half-open test on the edges' ends that `contains` uses).
    func crossings(atRow y: Int32) -> [Double] {
        var out: [Double] = []
        var j = vertices.count - 1
        for i in vertices.indices {
            let a = vertices[j], b = vertices[i]
            j = i
            if (a.y > y) != (b.y > y) { out.append(Double(a.x) + Double(y - a.y) * Double(b.x - a.x) / Double(b.y - a.y)) }
        }
        return out.sorted()
    }
}
