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
// An obstacle that is convex (a rectangle, a circle, a convex polygon), grown by the radius,
// stays convex, so the cells it blocks in a row are one interval, found from the ends of its
// bounding box inward; only a concave polygon is tested cell by cell. Runs are joined into
// parts with a union-find between neighbouring rows, and the parts are numbered in the order
// of their first cell, row by row: the labels a cell-by-cell flood fill gives.
//
// Cost: O(rows x obstacles + runs), plus the gaps between an obstacle's box and its shape,
// instead of O(cells); the cell size and the `cellCountMax` budget are as they were (never
// beyond the radius; a space that would need more is refused as too large).

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

    /// Nil when the space is too large to rasterise at its radius within the cell budget.
    init?(space: Space) {
        let d = space.definition
        let r = d.personalSpaceRadiusCentimetres
        let area = Double(d.bounds.width) * Double(d.bounds.height)
        var cell = max(Int32(25), r / 2)
        while area / (Double(cell) * Double(cell)) > Double(Self.cellCountMax) && cell < r { cell = min(r, cell * 2) }
        guard area / (Double(cell) * Double(cell)) <= Double(Self.cellCountMax) * 1.01 else { return nil }
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
        func overlaps(_ i: Int, _ y: Int32) -> Bool { shape.overlapsDisk(center: Vec2(Int32(i) * cell + cell / 2, y), radius: r) }
        let convex = isConvex(shape)
        for j in oj0...oj1 {
            let y = Int32(j) * cell + cell / 2
            if convex {
                var a = oi0
                while a <= oi1 && !overlaps(a, y) { a += 1 }
                guard a <= oi1 else { continue }
                var z = oi1
                while !overlaps(z, y) { z -= 1 }
                blocked[j].append((Int32(a), Int32(z)))
            } else {
                var i = oi0
                while i <= oi1 {
                    guard overlaps(i, y) else {
                        i += 1
                        continue
                    }
                    let a = i
                    while i + 1 <= oi1 && overlaps(i + 1, y) { i += 1 }
                    blocked[j].append((Int32(a), Int32(i)))
                    i += 1
                }
            }
        }
    }

    /// Rectangles and circles are convex; a polygon when every turn goes the same way.
    static func isConvex(_ shape: Shape) -> Bool {
        guard case .polygon(let p) = shape else { return true }
        var sign = 0
        let v = p.vertices
        for k in v.indices {
            let a = v[k], b = v[(k + 1) % v.count], c = v[(k + 2) % v.count]
            let cross = Int64(b.x - a.x) * Int64(c.y - b.y) - Int64(b.y - a.y) * Int64(c.x - b.x)
            if cross == 0 { continue }
            let s = cross > 0 ? 1 : -1
            if sign == 0 { sign = s } else if s != sign { return false }
        }
        return true
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
