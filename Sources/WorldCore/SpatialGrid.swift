// A uniform grid over the world's bounds, one layer per floor, holding avatar slots.
//
// Each cell is the head of an intrusive doubly linked list threaded through per-slot
// `next`/`prev` arrays, so inserting, moving and removing an avatar cost O(1) and nothing
// is allocated after start-up. A query visits only the cells its square touches, so its
// cost follows how many avatars are near, not how many are in the world.
//
// Invariants:
// 1. A slot is in at most one cell list, and `cellOfSlot[slot]` names it (or is -1).
// 2. Every cell index lies in 0..<cellCount; positions outside the bounds clamp to the edge.

public struct SpatialGrid: Sendable {
    public let origin: Vec2
    public let cellSizeCentimetres: Int32
    public let columns: Int32
    public let rows: Int32
    public let floorCount: Int32
    @usableFromInline var head: [Int32]
    @usableFromInline var next: [Int32]
    @usableFromInline var prev: [Int32]
    @usableFromInline var cellOfSlot: [Int32]

    /// The most cells a grid may have (all floors), whatever the world's size.
    public static let cellCountMax = 4_000_000

    public init(bounds: Rect, floorCount: Int, slotCount: Int, cellSizeCentimetres requested: Int32) {
        precondition(bounds.isValid && floorCount > 0 && slotCount > 0 && requested > 0)
        // Grow the cells until the whole grid fits the cell budget.
        var size = requested
        while Int64((bounds.width / size) + 1) * Int64((bounds.height / size) + 1) * Int64(floorCount) > Int64(Self.cellCountMax) {
            size = size * 2
        }
        origin = Vec2(bounds.minX, bounds.minY)
        cellSizeCentimetres = size
        columns = bounds.width / size + 1
        rows = bounds.height / size + 1
        self.floorCount = Int32(floorCount)
        head = [Int32](repeating: -1, count: Int(columns * rows) * floorCount)
        next = [Int32](repeating: -1, count: slotCount)
        prev = [Int32](repeating: -1, count: slotCount)
        cellOfSlot = [Int32](repeating: -1, count: slotCount)
    }

    @inlinable public func column(_ x: Int32) -> Int32 { min(max((x - origin.x) / cellSizeCentimetres, 0), columns - 1) }
    @inlinable public func row(_ y: Int32) -> Int32 { min(max((y - origin.y) / cellSizeCentimetres, 0), rows - 1) }

    @inlinable public func cell(floor: Int32, column: Int32, row: Int32) -> Int32 {
        (floor * rows + row) * columns + column
    }

    @inlinable public func cell(floor: Int32, position: Vec2) -> Int32 {
        cell(floor: floor, column: column(position.x), row: row(position.y))
    }

    @inlinable public mutating func insert(_ slot: Int32, cell: Int32) {
        assert(cellOfSlot[Int(slot)] == -1, "slot already in the grid")
        let first = head[Int(cell)]
        next[Int(slot)] = first
        prev[Int(slot)] = -1
        if first >= 0 { prev[Int(first)] = slot }
        head[Int(cell)] = slot
        cellOfSlot[Int(slot)] = cell
    }

    @inlinable public mutating func remove(_ slot: Int32) {
        let cell = cellOfSlot[Int(slot)]
        assert(cell >= 0, "slot not in the grid")
        let n = next[Int(slot)]
        let p = prev[Int(slot)]
        if p >= 0 { next[Int(p)] = n } else { head[Int(cell)] = n }
        if n >= 0 { prev[Int(n)] = p }
        next[Int(slot)] = -1
        prev[Int(slot)] = -1
        cellOfSlot[Int(slot)] = -1
    }

    /// Moves `slot` to `cell` if it is not already there.
    @inlinable public mutating func update(_ slot: Int32, cell: Int32) {
        if cellOfSlot[Int(slot)] == cell { return }
        remove(slot)
        insert(slot, cell: cell)
    }

    /// Appends to `out` every slot in the cells that the square of half-side `radius`
    /// around `center` touches, on `floor`. Callers filter by exact distance.
    @inlinable public func gather(floor: Int32, center: Vec2, radius: Int32, into out: inout [Int32]) {
        let c0 = column(center.x &- radius), c1 = column(center.x &+ radius)
        let r0 = row(center.y &- radius), r1 = row(center.y &+ radius)
        var r = r0
        while r <= r1 {
            var c = c0
            while c <= c1 {
                var s = head[Int(cell(floor: floor, column: c, row: r))]
                while s >= 0 {
                    out.append(s)
                    s = next[Int(s)]
                }
                c += 1
            }
            r += 1
        }
    }
}
