// Fixed-point plane geometry for the simulation.
//
// Every length is an `Int32` number of centimetres on a floor plane: x grows to the east,
// y grows to the north (maps are drawn north up). All arithmetic is integer; products of
// two coordinates are taken in `Int64`, and products of four in `Int128`, so no test here
// depends on floating-point rounding.
//
// Invariants:
// 1. Coordinates stay within `Geometry.coordinateLimitCentimetres` in magnitude, so that a
//    difference fits in `Int32` and a squared difference fits in `Int64` with room to spare.
// 2. A `Rect` has `minX <= maxX` and `minY <= maxY`.
// 3. A `Polygon` has between 3 and `Polygon.vertexCountMax` vertices and is simple (its
//    edges do not cross); either winding is accepted.

public enum Geometry {
    /// 100 km: far beyond any space we model, small enough that every product below fits.
    public static let coordinateLimitCentimetres: Int32 = 10_000_000
}

public struct Vec2: Hashable, Sendable, CustomStringConvertible {
    public var x: Int32
    public var y: Int32

    @inlinable public init(_ x: Int32, _ y: Int32) {
        self.x = x
        self.y = y
    }

    public static let zero = Vec2(0, 0)

    @inlinable public static func + (a: Vec2, b: Vec2) -> Vec2 { Vec2(a.x &+ b.x, a.y &+ b.y) }
    @inlinable public static func - (a: Vec2, b: Vec2) -> Vec2 { Vec2(a.x &- b.x, a.y &- b.y) }

    @inlinable public var lengthSquared: Int64 { Int64(x) * Int64(x) + Int64(y) * Int64(y) }

    @inlinable public func distanceSquared(to other: Vec2) -> Int64 {
        let dx = Int64(x) - Int64(other.x)
        let dy = Int64(y) - Int64(other.y)
        return dx * dx + dy * dy
    }

    @inlinable public func dot(_ other: Vec2) -> Int64 { Int64(x) * Int64(other.x) + Int64(y) * Int64(other.y) }

    /// The vector scaled to `length` (rounded toward zero); the zero vector stays zero.
    @inlinable public func scaled(toLength length: Int32) -> Vec2 {
        let current = Int64(integerSquareRoot(UInt64(lengthSquared)))
        if current == 0 { return .zero }
        return Vec2(Int32(Int64(x) * Int64(length) / current), Int32(Int64(y) * Int64(length) / current))
    }

    public var description: String { "(\(x), \(y))" }
}

/// The largest integer whose square is at most `n`. Exact for every `UInt64`.
@inlinable public func integerSquareRoot(_ n: UInt64) -> UInt64 {
    if n < 2 { return n }
    // Newton's method from an over-estimate converges downward to the floor of the root.
    var x = UInt64(1) << ((64 - UInt64(n.leadingZeroBitCount) + 1) / 2)
    while true {
        let y = (x + n / x) / 2
        if y >= x { return x }
        x = y
    }
}

public struct Rect: Hashable, Sendable {
    public var minX: Int32
    public var minY: Int32
    public var maxX: Int32
    public var maxY: Int32

    @inlinable public init(minX: Int32, minY: Int32, maxX: Int32, maxY: Int32) {
        self.minX = minX
        self.minY = minY
        self.maxX = maxX
        self.maxY = maxY
    }

    public var isValid: Bool { minX <= maxX && minY <= maxY }
    public var width: Int32 { maxX - minX }
    public var height: Int32 { maxY - minY }

    @inlinable public func contains(_ p: Vec2) -> Bool {
        p.x >= minX && p.x <= maxX && p.y >= minY && p.y <= maxY
    }

    /// The rectangle grown by `margin` on every side (shrunk when negative).
    @inlinable public func inset(by margin: Int32) -> Rect {
        Rect(minX: minX + margin, minY: minY + margin, maxX: maxX - margin, maxY: maxY - margin)
    }

    @inlinable public func intersects(_ other: Rect) -> Bool {
        minX <= other.maxX && other.minX <= maxX && minY <= other.maxY && other.minY <= maxY
    }

    /// Squared distance from `p` to the nearest point of the rectangle (zero inside).
    @inlinable public func distanceSquared(to p: Vec2) -> Int64 {
        let dx = Int64(max(minX - p.x, 0, p.x - maxX))
        let dy = Int64(max(minY - p.y, 0, p.y - maxY))
        return dx * dx + dy * dy
    }
}

public struct Circle: Hashable, Sendable {
    public var center: Vec2
    public var radius: Int32

    public init(center: Vec2, radius: Int32) {
        self.center = center
        self.radius = radius
    }
}

public struct Polygon: Hashable, Sendable {
    public static let vertexCountMax = 256
    public let vertices: [Vec2]
    /// The bounding box, kept so that most tests end with four comparisons.
    public let bounds: Rect

    public init(vertices: [Vec2]) {
        self.vertices = vertices
        var r = Rect(minX: .max, minY: .max, maxX: .min, maxY: .min)
        for v in vertices {
            r.minX = min(r.minX, v.x)
            r.minY = min(r.minY, v.y)
            r.maxX = max(r.maxX, v.x)
            r.maxY = max(r.maxY, v.y)
        }
        bounds = r
    }

    /// Twice the signed area (positive when counter-clockwise).
    public var doubleSignedArea: Int64 {
        var sum: Int64 = 0
        for i in vertices.indices {
            let a = vertices[i]
            let b = vertices[(i + 1) % vertices.count]
            sum += Int64(a.x) * Int64(b.y) - Int64(b.x) * Int64(a.y)
        }
        return sum
    }

    /// Even-odd test; points on an edge count as inside.
    @inlinable public func contains(_ p: Vec2) -> Bool {
        guard bounds.contains(p) else { return false }
        var inside = false
        var j = vertices.count - 1
        for i in 0..<vertices.count {
            let a = vertices[i]
            let b = vertices[j]
            // On the edge: collinear with it and within its box.
            let cross = Int64(b.x - a.x) * Int64(p.y - a.y) - Int64(b.y - a.y) * Int64(p.x - a.x)
            if cross == 0 && min(a.x, b.x) <= p.x && p.x <= max(a.x, b.x) && min(a.y, b.y) <= p.y && p.y <= max(a.y, b.y) {
                return true
            }
            if (a.y > p.y) != (b.y > p.y) {
                // Does the horizontal ray from p to +x cross edge a-b? Compare without division:
                // x_cross = a.x + (p.y - a.y) * (b.x - a.x) / (b.y - a.y) > p.x
                let lhs = Int64(p.x - a.x) * Int64(b.y - a.y)
                let rhs = Int64(p.y - a.y) * Int64(b.x - a.x)
                if (b.y - a.y > 0) ? (rhs > lhs) : (rhs < lhs) { inside.toggle() }
            }
            j = i
        }
        return inside
    }

    /// True when the disk of `radius` around `p` overlaps the polygon (inside or within
    /// `radius` of an edge).
    @inlinable public func overlapsDisk(center p: Vec2, radius: Int32) -> Bool {
        guard bounds.inset(by: -radius).contains(p) else { return false }
        if contains(p) { return true }
        let r2 = Int64(radius) * Int64(radius)
        var j = vertices.count - 1
        for i in 0..<vertices.count {
            let a = vertices[j], b = vertices[i]
            // Skip edges whose box, grown by the radius, does not hold p.
            if p.x >= min(a.x, b.x) - radius && p.x <= max(a.x, b.x) + radius && p.y >= min(a.y, b.y) - radius && p.y <= max(a.y, b.y) + radius,
               segmentDistanceSquaredIsAtMost(p, a, b, r2) {
                return true
            }
            j = i
        }
        return false
    }
}

/// Whether the distance from `p` to segment a-b is strictly less than sqrt(`limit`) when
/// `limit > 0`, or zero (p on the segment) when `limit == 0`. Exact: uses `Int128` where
/// four coordinates multiply.
@inlinable public func segmentDistanceSquaredIsAtMost(_ p: Vec2, _ a: Vec2, _ b: Vec2, _ limit: Int64) -> Bool {
    let ab = b - a
    let ap = p - a
    let len2 = ab.lengthSquared
    let t = ab.dot(ap)
    if len2 == 0 || t <= 0 {
        let d = ap.lengthSquared
        return limit == 0 ? d == 0 : d < limit
    }
    if t >= len2 {
        let d = p.distanceSquared(to: b)
        return limit == 0 ? d == 0 : d < limit
    }
    // Distance squared to the line = |ap|^2 - t^2 / len2; compare after multiplying by len2.
    let lhs = Int128(ap.lengthSquared) * Int128(len2) - Int128(t) * Int128(t)
    let rhs = Int128(limit) * Int128(len2)
    return limit == 0 ? lhs == 0 : lhs < rhs
}

/// The shape of a static obstacle.
public enum Shape: Hashable, Sendable {
    case rect(Rect)
    case circle(Circle)
    case polygon(Polygon)

    public var bounds: Rect {
        switch self {
        case .rect(let r): return r
        case .circle(let c):
            return Rect(minX: c.center.x - c.radius, minY: c.center.y - c.radius,
                        maxX: c.center.x + c.radius, maxY: c.center.y + c.radius)
        case .polygon(let p): return p.bounds
        }
    }

    /// Whether a disk of `radius` centred on `p` overlaps the shape. Touching (distance
    /// exactly `radius`) does not count as overlap, so an avatar may stand against a wall.
    @inlinable public func overlapsDisk(center p: Vec2, radius: Int32) -> Bool {
        switch self {
        case .rect(let r):
            return r.distanceSquared(to: p) < Int64(radius) * Int64(radius) || r.contains(p)
        case .circle(let c):
            let reach = Int64(c.radius) + Int64(radius)
            return c.center.distanceSquared(to: p) < reach * reach
        case .polygon(let poly):
            return poly.overlapsDisk(center: p, radius: radius)
        }
    }
}
