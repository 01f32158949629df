// Where an avatar can walk in a space, as a raster per floor, and which parts connect.
//
// A raster cell is walkable when an avatar's centre may stand at the cell's centre: inside
// the bounds by the personal-space radius and clear of every obstacle by that radius (the
// same test the simulation applies to a move). Cells are at most one radius wide, so two
// neighbouring walkable centres are joined by a segment that an avatar of that radius can
// follow, and no wall can hide between them. Walkable cells are labelled by connected part
// (4-neighbours); portals within the same space (lifts, stairs) join parts across floors.
//
// Cost: O(cells) to label, with cells capped at `cellCountMax` per floor by coarsening the
// raster (never beyond the radius; a space that would need more is refused as too large).

import WorldCore

struct Walkability {
    let cellCentimetres: Int32
    let columns: Int
    let rows: Int
    /// Per floor, per cell: the connected part's label, or -1 where no one can stand.
    let labels: [[Int32]]
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
        var labels: [[Int32]] = []
        var counts: [Int] = []
        var walkableCells = 0
        for f in d.floors.indices {
            let marker: Int32 = -2 // walkable, not yet labelled
            var grid = [Int32](repeating: -1, count: columns * rows)
            if i0 <= i1 && j0 <= j1 {
                for j in j0...j1 { for i in i0...i1 { grid[j * columns + i] = marker } }
            }
            // Obstacle first: only cells under an obstacle's bounding box, grown by the radius,
            // are tested, so open ground costs nothing but the fill above.
            for o in d.obstacles where o.floor == nil || o.floor == f {
                let b = o.shape.bounds.inset(by: -r)
                let oi0 = max(0, Int((b.minX - cell / 2) / cell)), oi1 = min(columns - 1, Int((b.maxX - cell / 2) / cell) + 1)
                let oj0 = max(0, Int((b.minY - cell / 2) / cell)), oj1 = min(rows - 1, Int((b.maxY - cell / 2) / cell) + 1)
                guard oi0 <= oi1 && oj0 <= oj1 else { continue }
                for j in oj0...oj1 {
                    for i in oi0...oi1 where grid[j * columns + i] == marker {
                        let p = Vec2(Int32(i) * cell + cell / 2, Int32(j) * cell + cell / 2)
                        if o.shape.overlapsDisk(center: p, radius: r) { grid[j * columns + i] = -1 }
                    }
                }
            }
            var next: Int32 = 0
            var stack: [Int] = []
            for start in grid.indices where grid[start] == marker {
                grid[start] = next
                stack.append(start)
                while let c = stack.popLast() {
                    let i = c % columns, j = c / columns
                    if i > 0 && grid[c - 1] == marker { grid[c - 1] = next; stack.append(c - 1) }
                    if i + 1 < columns && grid[c + 1] == marker { grid[c + 1] = next; stack.append(c + 1) }
                    if j > 0 && grid[c - columns] == marker { grid[c - columns] = next; stack.append(c - columns) }
                    if j + 1 < rows && grid[c + columns] == marker { grid[c + columns] = next; stack.append(c + columns) }
                }
                next += 1
            }
            for v in grid where v >= 0 { walkableCells += 1 }
            labels.append(grid)
            counts.append(Int(next))
        }
        self.labels = labels
        self.walkableSquareMetres = Double(walkableCells) * Double(cell) * Double(cell) / 10_000
    }

    /// The labels of the walkable cells whose centres lie in `rect` on `floor`.
    func parts(in rect: Rect, floor: Int) -> Set<Int32> {
        var out = Set<Int32>()
        forEachCell(in: rect) { c in
            let l = labels[floor][c]
            if l >= 0 { out.insert(l) }
        }
        return out
    }

    /// The labels of walkable cells whose centres are within `reach` of `point` on `floor`.
    func parts(near point: Vec2, reach: Int32, floor: Int) -> Set<Int32> {
        let box = Rect(minX: point.x - reach, minY: point.y - reach, maxX: point.x + reach, maxY: point.y + reach)
        var out = Set<Int32>()
        let reach2 = Int64(reach) * Int64(reach)
        forEachCell(in: box) { c in
            let l = labels[floor][c]
            if l >= 0 && center(of: c).distanceSquared(to: point) <= reach2 { out.insert(l) }
        }
        return out
    }

    func center(of c: Int) -> Vec2 {
        Vec2(Int32(c % columns) * cellCentimetres + cellCentimetres / 2, Int32(c / columns) * cellCentimetres + cellCentimetres / 2)
    }

    func forEachCell(in rect: Rect, _ body: (Int) -> Void) {
        // Cells whose centres lie inside the rectangle.
        let i0 = max(0, Int((rect.minX - cellCentimetres / 2 + cellCentimetres - 1) / cellCentimetres))
        let i1 = min(columns - 1, Int((rect.maxX - cellCentimetres / 2) / cellCentimetres))
        let j0 = max(0, Int((rect.minY - cellCentimetres / 2 + cellCentimetres - 1) / cellCentimetres))
        let j1 = min(rows - 1, Int((rect.maxY - cellCentimetres / 2) / cellCentimetres))
        guard i0 <= i1 && j0 <= j1 else { return }
        for j in j0...j1 { for i in i0...i1 { body(j * columns + i) } }
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
