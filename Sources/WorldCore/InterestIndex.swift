// A snapshot of every avatar's position sorted by grid cell, rebuilt once per tick after
// movement, for the interest refresh to read.
//
// Why a second index: the movement grid (`SpatialGrid`) must follow every single move, so it
// is a linked structure; interest reads positions that no longer change during the tick,
// many times over. A counting sort into one flat array gives the reads contiguous memory:
// the cells of one grid row are adjacent in `entries`, so a row of cells is one range.
// Rebuilding costs O(avatars + cells) per tick.
//
// Invariants:
// 1. `entries[cellStart[c] ..< cellStart[c + 1]]` are exactly the avatars in cell c.
// 2. Cells are numbered floor-major, then row, then column.

public struct InterestIndex: Sendable {
    public struct Entry: Sendable {
        public var x: Int32
        public var y: Int32
        public var slot: Int32
    }

    let origin: Vec2
    let cellSizeCentimetres: Int32
    let columns: Int32
    let rows: Int32
    var cellStart: [Int32]
    var entries: [Entry] = []
    var cellOfSlot: [Int32]

    init(bounds: Rect, floorCount: Int, slotCount: Int, cellSizeCentimetres requested: Int32) {
        var size = max(requested, 100)
        while Int64(bounds.width / size + 1) * Int64(bounds.height / size + 1) * Int64(floorCount) > Int64(SpatialGrid.cellCountMax) {
            size *= 2
        }
        origin = Vec2(bounds.minX, bounds.minY)
        cellSizeCentimetres = size
        columns = bounds.width / size + 1
        rows = bounds.height / size + 1
        cellStart = [Int32](repeating: 0, count: Int(columns * rows) * floorCount + 1)
        cellOfSlot = [Int32](repeating: 0, count: slotCount)
    }

    @inline(__always) func column(_ x: Int32) -> Int32 { min(max((x &- origin.x) / cellSizeCentimetres, 0), columns &- 1) }
    @inline(__always) func row(_ y: Int32) -> Int32 { min(max((y &- origin.y) / cellSizeCentimetres, 0), rows &- 1) }

    /// Re-sorts every live avatar into its cell. The passes over every cell (clear, prefix sum,
    /// shift) run over the raw buffer, as memset, one loop and memmove: a large space with few
    /// people pays little for its empty cells, also in a debug build.
    mutating func rebuild(alive: [Bool], position: [Vec2], floor: [Int32], slotHighWater: Int) {
        let cellCount = cellStart.count - 1
        var start = cellStart
        cellStart = [] // keep `start` uniquely referenced, so the writes below do not copy
        var live = 0
        start.withUnsafeMutableBufferPointer { start in
            start.update(repeating: 0)
            for s in 0..<slotHighWater where alive[s] {
                let p = position[s]
                let c = (floor[s] &* rows &+ row(p.y)) &* columns &+ column(p.x)
                cellOfSlot[s] = c
                start[Int(c) + 1] &+= 1
                live += 1
            }
            guard live > 0 else { return }
            var sum: Int32 = 0
            for i in 1...cellCount {
                sum &+= start[i]
                start[i] = sum
            }
        }
        entries.removeAll(keepingCapacity: true)
        guard live > 0 else {
            cellStart = start
            return
        }
        entries.append(contentsOf: repeatElement(Entry(x: 0, y: 0, slot: -1), count: live))
        // Fill each cell from its start, advancing the start; then shift the starts back.
        start.withUnsafeMutableBufferPointer { start in
            for s in 0..<slotHighWater where alive[s] {
                let c = Int(cellOfSlot[s])
                let p = position[s]
                entries[Int(start[c])] = Entry(x: p.x, y: p.y, slot: Int32(s))
                start[c] &+= 1
            }
            let base = start.baseAddress!
            UnsafeMutableRawPointer(base + 1).copyMemory(from: base, byteCount: cellCount * MemoryLayout<Int32>.stride)
            start[0] = 0
        }
        cellStart = start
    }

    /// Writes into `keys` the interest key of every eligible avatar near `center`, scanning
    /// rings of cells (at Chebyshev distance k from the observer's cell) outward until `stopCount` keys are below anything the unscanned rings
    /// could hold, or the rings pass the leave radius. Returns how many keys it wrote. A leaf
    /// over raw buffers: this is the innermost loop of the tick.
    func gatherCandidates(observer o: Int, center p: Vec2, floor f: Int32, rule: InterestRule,
                          marks: UnsafeBufferPointer<UInt64>, memberStamp: UInt64,
                          keys: UnsafeMutableBufferPointer<UInt64>) -> Int {
        var count = 0
        let cc = column(p.x), cr = row(p.y)
        let floorBase = f &* rows
        let cell = Int64(cellSizeCentimetres)
        cellStart.withUnsafeBufferPointer { starts in
            entries.withUnsafeBufferPointer { entries in
                @inline(__always) func scan(_ r: Int32, _ from: Int32, _ to: Int32) {
                    let base = (floorBase &+ r) &* columns
                    count = Self.keep(entries, from: Int(starts[Int(base &+ from)]), to: Int(starts[Int(base &+ to &+ 1)]),
                                      observer: o, center: p, rule: rule, within: .max, marks: marks, memberStamp: memberStamp, keys: keys, count: count)
                }
                // Rings are scanned in bands: one ring at a time near the observer, where a
                // dense crowd usually stops the scan, then bands of growing width, so a
                // sparse scan that must reach the leave radius looks up O(radius) ranges
                // instead of O(radius²).
                var inner: Int32 = 0
                while true {
                    if cc &- inner < 0 && cr &- inner < 0 && cc &+ inner >= columns && cr &+ inner >= rows { break }
                    let outer = inner < 4 ? inner : inner &+ inner / 2 &- 1
                    let c0 = max(cc &- outer, 0), c1 = min(cc &+ outer, columns &- 1)
                    var r = max(cr &- outer, 0)
                    let rEnd = min(cr &+ outer, rows &- 1)
                    while r <= rEnd {
                        if abs(r &- cr) >= inner {
                            scan(r, c0, c1)
                        } else {
                            if cc &- inner >= 0 { scan(r, c0, cc &- inner) }
                            if cc &+ inner < columns { scan(r, cc &+ inner, c1) }
                        }
                        r &+= 1
                    }
                    // Everything not yet scanned is at least `reach` away.
                    let reach = Int64(outer) &* cell
                    if reach > rule.leaveRadius { break }
                    if count >= rule.visibleMax {
                        let bound = UInt64(reach &* reach &* rule.memberScale) << World.keySlotBits
                        var below = 0
                        for k in 0..<count where keys[k] < bound { below &+= 1 }
                        if below >= rule.visibleMax { break }
                    }
                    inner = outer &+ 1
                }
            }
        }
        return count
    }
}

extension InterestIndex {
    /// Writes into `keys` the interest key of every eligible avatar whose distance part
    /// (d² x scale) is at most `bound`, scanning only the cells that meet the disk such an
    /// avatar can be in (radius √(bound / memberScale): members are scaled least). Returns
    /// how many keys it wrote. When that is at least `visibleMax`, the `visibleMax` smallest
    /// of them are exactly the `visibleMax` smallest of all: everything left out has a
    /// larger distance part than anything written.
    func gatherCandidates(observer o: Int, center p: Vec2, floor f: Int32, rule: InterestRule, within bound: Int64,
                          marks: UnsafeBufferPointer<UInt64>, memberStamp: UInt64,
                          keys: UnsafeMutableBufferPointer<UInt64>) -> Int {
        // The disk's radius, rounded up: a cell is skipped only when no point of it is inside.
        let radius = Int64((Double(bound) / Double(rule.memberScale)).squareRoot()) &+ 1
        let radius2 = radius &* radius
        let cell = Int64(cellSizeCentimetres)
        let floorBase = f &* rows
        let r0 = row(Int32(clamping: Int64(p.y) &- radius)), r1 = row(Int32(clamping: Int64(p.y) &+ radius))
        var count = 0
        cellStart.withUnsafeBufferPointer { starts in
            entries.withUnsafeBufferPointer { entries in
                var r = r0
                while r <= r1 {
                    // The row's nearest y to the observer (the edge rows reach past the bounds:
                    // `row` clamps whatever lies beyond into them).
                    let top = Int64(origin.y) &+ Int64(r) &* cell
                    let bottom = top &+ cell &- 1
                    var dy: Int64 = 0
                    if Int64(p.y) < top && r > 0 { dy = top &- Int64(p.y) }
                    if Int64(p.y) > bottom && r < rows &- 1 { dy = Int64(p.y) &- bottom }
                    defer { r &+= 1 }
                    if dy > radius { continue }
                    let half = Int64(Double(radius2 &- dy &* dy).squareRoot()) &+ 1
                    let c0 = column(Int32(clamping: Int64(p.x) &- half)), c1 = column(Int32(clamping: Int64(p.x) &+ half))
                    let base = (floorBase &+ r) &* columns
                    count = Self.keep(entries, from: Int(starts[Int(base &+ c0)]), to: Int(starts[Int(base &+ c1 &+ 1)]),
                                      observer: o, center: p, rule: rule, within: bound, marks: marks, memberStamp: memberStamp, keys: keys, count: count)
                }
            }
        }
        return count
    }

    /// Writes into `keys`, from `keys[count]` on, the key of every eligible avatar among
    /// `entries[from..<to]` whose distance part (d² x scale) is at most `bound`; returns the
    /// new count. The innermost loop of the tick, shared by both ways of gathering.
    @inline(__always)
    static func keep(_ entries: UnsafeBufferPointer<Entry>, from: Int, to end: Int, observer o: Int, center p: Vec2,
                     rule: InterestRule, within bound: Int64, marks: UnsafeBufferPointer<UInt64>, memberStamp: UInt64,
                     keys: UnsafeMutableBufferPointer<UInt64>, count start: Int) -> Int {
        var count = start
        var i = from
        while i < end {
            let e = entries[i]
            i &+= 1
            let n = Int(e.slot)
            if n == o { continue }
            let dx = Int64(e.x &- p.x), dy = Int64(e.y &- p.y)
            let d2 = dx &* dx &+ dy &* dy
            let isMember = marks[n] == memberStamp
            if isMember ? d2 > rule.leave2 : d2 > rule.enter2 { continue }
            let distance = d2 &* (isMember ? rule.memberScale : rule.newScale)
            if distance > bound { continue }
            keys[count] = UInt64(distance) << World.keySlotBits | UInt64(n)
            count &+= 1
        }
        return count
    }
}

/// The interest rule's numbers, squared and scaled once per tick.
struct InterestRule {
    let enter2: Int64
    let leave2: Int64
    let leaveRadius: Int64
    let newScale: Int64
    let memberScale: Int64
    let near2: Int64
    /// The near and middle bands' bounds on a key's distance part (d² x scale), for members
    /// and newcomers: a band read from the key without dividing.
    let nearMember: Int64
    let middleMember: Int64
    let nearNew: Int64
    let middleNew: Int64
    let visibleMax: Int

    init(_ settings: InterestSettings) {
        enter2 = Int64(settings.enterRadiusCentimetres) * Int64(settings.enterRadiusCentimetres)
        leave2 = Int64(settings.leaveRadiusCentimetres) * Int64(settings.leaveRadiusCentimetres)
        leaveRadius = Int64(settings.leaveRadiusCentimetres)
        newScale = 100 * 100
        memberScale = Int64(100 - settings.capHysteresisPercent) * Int64(100 - settings.capHysteresisPercent)
        near2 = Int64(settings.nearRadiusCentimetres) * Int64(settings.nearRadiusCentimetres)
        visibleMax = settings.visibleMax
        nearMember = near2 * memberScale
        middleMember = 4 * near2 * memberScale
        nearNew = near2 * newScale
        middleNew = 4 * near2 * newScale
    }
}
