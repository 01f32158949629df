// Static obstacles bucketed by grid cell, so a position test looks at the few obstacles
// near it instead of all of them.
//
// Built once per world. An obstacle is listed in every cell that its bounding box, grown by
// the clearance, touches; so a disk of that clearance centred anywhere in a cell can only
// overlap obstacles listed for that cell. A polygon is left out of an inner cell whose square,
// grown by the clearance, it does not touch at all (a long concave road around a plaza has a
// box over the whole plaza, and a disk anywhere in such a cell cannot reach it): which cells
// list what changes, never what `blocks` answers. The edge cells are never pruned (a point
// outside the bounds is counted in them). Stored flat (CSR): `cellStart[c]..<cellStart[c+1]`
// indexes `items`.

public struct ObstacleIndex: Sendable {
    public let obstacles: [Obstacle]
    @usableFromInline let origin: Vec2
    @usableFromInline let cellSizeCentimetres: Int32
    @usableFromInline let columns: Int32
    @usableFromInline let rows: Int32
    @usableFromInline let clearanceCentimetres: Int32
    @usableFromInline let cellStart: [Int32]
    @usableFromInline let items: [Int32]

    public init(obstacles: [Obstacle], bounds: Rect, clearanceCentimetres: Int32, cellSizeCentimetres: Int32) {
        self.obstacles = obstacles
        self.clearanceCentimetres = clearanceCentimetres
        var size = max(cellSizeCentimetres, 100)
        while Int64(bounds.width / size + 1) * Int64(bounds.height / size + 1) > Int64(SpatialGrid.cellCountMax) { size *= 2 }
        let columns = bounds.width / size + 1
        let rows = bounds.height / size + 1
        origin = Vec2(bounds.minX, bounds.minY)
        self.cellSizeCentimetres = size
        self.columns = columns
        self.rows = rows
        let cellCount = Int(columns * rows)
        // Two passes: count per cell, then fill, so the storage is allocated once.
        var counts = [Int32](repeating: 0, count: cellCount + 1)
        func forEachCell(of o: Obstacle, _ body: (Int) -> Void) {
            let b = o.shape.bounds.inset(by: -clearanceCentimetres)
            let c0 = Self.clamp((b.minX - bounds.minX) / size, columns), c1 = Self.clamp((b.maxX - bounds.minX) / size, columns)
            let r0 = Self.clamp((b.minY - bounds.minY) / size, rows), r1 = Self.clamp((b.maxY - bounds.minY) / size, rows)
            if b.maxX < bounds.minX || b.minX > bounds.maxX || b.maxY < bounds.minY || b.minY > bounds.maxY { return }
            for r in r0...r1 {
                for c in c0...c1 {
                    if case .polygon(let polygon) = o.shape, r > 0, r < rows - 1, c > 0, c < columns - 1 {
                        let square = Rect(minX: bounds.minX + c * size, minY: bounds.minY + r * size,
                                          maxX: bounds.minX + (c + 1) * size, maxY: bounds.minY + (r + 1) * size)
                        if !Self.mayTouch(polygon, square.inset(by: -clearanceCentimetres)) { continue }
                    }
                    body(Int(r * columns + c))
                }
            }
        }
        for o in obstacles { forEachCell(of: o) { counts[$0 + 1] += 1 } }
        for i in 0..<cellCount { counts[i + 1] += counts[i] }
        var fill = counts
        var items = [Int32](repeating: 0, count: Int(counts[cellCount]))
        for (i, o) in obstacles.enumerated() {
            forEachCell(of: o) { cell in
                items[Int(fill[cell])] = Int32(i)
                fill[cell] += 1
            }
        }
        cellStart = counts
        self.items = items
    }

    static func clamp(_ v: Int32, _ count: Int32) -> Int32 { min(max(v, 0), count - 1) }

    /// Whether the polygon and the rectangle (both closed) may share a point: false only when
    /// they surely do not. Either a corner of the rectangle is in the polygon, a vertex of the
    /// polygon is in the rectangle, or an edge crosses the rectangle (no axis of the edge's
    /// box or its normal separates them), else they are apart.
    static func mayTouch(_ polygon: Polygon, _ rect: Rect) -> Bool {
        guard polygon.bounds.intersects(rect) else { return false }
        if polygon.contains(Vec2(rect.minX, rect.minY)) { return true }
        let v = polygon.vertices
        for p in v where rect.contains(p) { return true }
        let corners = [Vec2(rect.minX, rect.minY), Vec2(rect.maxX, rect.minY), Vec2(rect.minX, rect.maxY), Vec2(rect.maxX, rect.maxY)]
        var j = v.count - 1
        for i in v.indices {
            let a = v[j], b = v[i]
            j = i
            guard max(a.x, b.x) >= rect.minX && min(a.x, b.x) <= rect.maxX && max(a.y, b.y) >= rect.minY && min(a.y, b.y) <= rect.maxY else { continue }
            var above = false, below = false
            for q in corners {
                let cross = Int64(b.x - a.x) * Int64(q.y - a.y) - Int64(b.y - a.y) * Int64(q.x - a.x)
                if cross >= 0 { above = true }
                if cross <= 0 { below = true }
            }
            if above && below { return true }
        }
        return false
    }

    /// Whether a disk of the clearance radius at `p` on floor index `floor` overlaps any obstacle.
    @inlinable public func blocks(_ p: Vec2, floor: Int) -> Bool {
        let c = min(max((p.x - origin.x) / cellSizeCentimetres, 0), columns - 1)
        let r = min(max((p.y - origin.y) / cellSizeCentimetres, 0), rows - 1)
        let cell = Int(r * columns + c)
        var i = Int(cellStart[cell])
        let end = Int(cellStart[cell + 1])
        while i < end {
            let o = obstacles[Int(items[i])]
            if o.floor == nil || o.floor == floor, o.shape.overlapsDisk(center: p, radius: clearanceCentimetres) { return true }
            i += 1
        }
        return false
    }
}
