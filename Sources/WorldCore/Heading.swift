// Headings as binary angles, and the integer trigonometry the step needs.
//
// A heading is a `UInt16` fraction of a full turn: 0 faces east (+x), 16,384 north (+y),
// 32,768 west, 49,152 south (counter-clockwise, as on a map with north up). Wrap-around is
// free in 16-bit arithmetic.
//
// The cosine table is computed once from a Taylor series using only IEEE-754 addition,
// multiplication and division, which every conforming platform rounds identically; the
// step itself then uses the table's integers only. So headings are deterministic without
// depending on a C maths library.

public struct Heading: Hashable, Sendable, CustomStringConvertible {
    public var raw: UInt16

    @inlinable public init(raw: UInt16) { self.raw = raw }

    public static let east = Heading(raw: 0)
    public static let north = Heading(raw: 16_384)
    public static let west = Heading(raw: 32_768)
    public static let south = Heading(raw: 49_152)

    /// Heading from whole degrees, counter-clockwise from east.
    public init(degrees: Int) {
        let d = ((degrees % 360) + 360) % 360
        self.raw = UInt16(truncatingIfNeeded: d * 65_536 / 360)
    }

    /// Unit vector of this heading in units of `Trig.one` (1 << 14).
    @inlinable public var unitVector: (x: Int32, y: Int32) {
        let i = Int(raw >> Trig.indexShift)
        return (Trig.cosine[i], Trig.cosine[(i &- Trig.tableCount / 4) & (Trig.tableCount - 1)])
    }

    /// The heading of vector `v` (to within one table step, 0.09 degrees). Zero for the zero vector.
    public init(of v: Vec2) {
        self.raw = Trig.atan2(y: v.y, x: v.x)
    }

    public var description: String { "\(Int(raw) * 360 / 65_536)°" }
}

public enum Trig {
    /// Fixed-point one for unit vectors.
    public static let one: Int32 = 1 << 14
    /// Table entries per full turn.
    public static let tableCount = 4_096
    @usableFromInline static let indexShift: UInt16 = 4 // 65,536 / 4,096 = 16 = 1 << 4

    /// cos(2 * pi * i / tableCount) * `one`, rounded to nearest.
    public static let cosine: [Int32] = {
        var table = [Int32](repeating: 0, count: tableCount)
        let quarter = tableCount / 4
        for i in 0...quarter {
            let angle = 2.0 * pi * Double(i) / Double(tableCount)
            let c = taylorCosine(angle) * Double(one)
            let v = Int32((c + 0.5).rounded(.down))
            table[i] = v
            if i < quarter { table[(tableCount - i) & (tableCount - 1)] = v }
            table[(tableCount / 2 - i)] = -v
            if i > 0 { table[tableCount / 2 + i] = -v }
        }
        return table
    }()

    static let pi = 3.141_592_653_589_793

    /// cos(x) for 0 <= x <= pi / 2 from its Taylor series; terms to x^24 put the error far
    /// below the table's resolution.
    static func taylorCosine(_ x: Double) -> Double {
        var term = 1.0
        var sum = 1.0
        let x2 = x * x
        for k in 1...12 {
            term = -term * x2 / Double((2 * k - 1) * (2 * k))
            sum += term
        }
        return sum
    }

    /// Binary-angle atan2 by octant reduction and a binary search over the table: integer only.
    public static func atan2(y: Int32, x: Int32) -> UInt16 {
        if x == 0 && y == 0 { return 0 }
        var ax = Int64(x).magnitude
        var ay = Int64(y).magnitude
        let swapped = ay > ax
        if swapped { swap(&ax, &ay) }
        // Find the largest table index i in [0, tableCount / 8] with tan(i) <= ay / ax,
        // i.e. sin(i) * ax <= cos(i) * ay, comparing without division.
        var lo = 0
        var hi = tableCount / 8
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            let c = UInt64(cosine[mid])
            let s = UInt64(cosine[(mid - tableCount / 4) & (tableCount - 1)])
            if s * ax <= c * ay { lo = mid } else { hi = mid - 1 }
        }
        var index = lo // angle within the first octant
        if swapped { index = tableCount / 4 - index }
        if x < 0 { index = tableCount / 2 - index }
        if y < 0 { index = tableCount - index }
        return UInt16(truncatingIfNeeded: (index & (tableCount - 1)) << Int(indexShift))
    }
}
