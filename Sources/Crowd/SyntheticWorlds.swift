// Plain rectangular spaces for simulations, tests and benchmarks, until (and besides)
// the real spaces under worlds/. Standard library only, like WorldCore.

import WorldCore

public enum SyntheticWorlds {
    /// Square metres per avatar in a festival crowd on a plaza: dense, but with room to walk.
    public static let plazaSquareMetresPerAvatar = 4
    /// Square metres per avatar on an ordinary day in a park.
    public static let sparseSquareMetresPerAvatar = 100

    /// A rectangle of `widthMetres` x `heightMetres` with its south-west corner at the origin,
    /// one spawn area covering it, and a few obstacles in proportion to its size: a round
    /// fountain at the centre, a building block and a kiosk (a polygon) in two corners.
    public static func rectangle(
        id: String = "synthetic",
        widthMetres: Int,
        heightMetres: Int,
        capacity: Int,
        obstacles withObstacles: Bool = true,
        interest: InterestSettings = InterestSettings()
    ) -> WorldDefinition {
        let w = Int32(widthMetres * 100), h = Int32(heightMetres * 100)
        var obstacles: [Obstacle] = []
        if withObstacles {
            let unit = min(w, h) / 20
            obstacles = [
                Obstacle(.circle(Circle(center: Vec2(w / 2, h / 2), radius: unit))),
                Obstacle(.rect(Rect(minX: unit, minY: h - 3 * unit, maxX: 3 * unit, maxY: h - unit))),
                Obstacle(.polygon(Polygon(vertices: [
                    Vec2(w - 3 * unit, unit), Vec2(w - unit, unit), Vec2(w - unit, 2 * unit), Vec2(w - 2 * unit, 3 * unit),
                ]))),
            ]
        }
        return WorldDefinition(
            id: id,
            bounds: Rect(minX: 0, minY: 0, maxX: w, maxY: h),
            obstacles: obstacles,
            spawnAreas: [SpawnArea(area: Rect(minX: 0, minY: 0, maxX: w, maxY: h))],
            capacity: capacity,
            interest: interest
        )
    }

    /// A square world sized so that `avatars` avatars stand at `squareMetresPerAvatar` each.
    public static func forCrowd(avatars: Int, squareMetresPerAvatar: Int, interest: InterestSettings = InterestSettings()) -> WorldDefinition {
        let side = max(20, integerSquareRootInt(avatars * squareMetresPerAvatar))
        return rectangle(widthMetres: side, heightMetres: side, capacity: max(avatars, 1), interest: interest)
    }

    static func integerSquareRootInt(_ n: Int) -> Int { Int(integerSquareRoot(UInt64(max(n, 0)))) }

    /// A star-shaped simple polygon around `centre`: `count` vertices (3 or more) at increasing
    /// angles, each jittered within its share of the turn, at distances from `nearest` to
    /// `farthest` centimetres. Often concave, with edges at every slope: for checking geometry
    /// against brute force. Integer trigonometry (WorldCore's table), so one seed gives one shape.
    public static func star(around centre: Vec2, count: Int, nearest: Int32, farthest: Int32, random: inout WorldRandom) -> Polygon {
        precondition(count >= 3 && nearest > 0 && farthest >= nearest)
        let share = Trig.tableCount / count
        let vertices = (0..<count).map { n -> Vec2 in
            let turn = (n * share + Int(random.uniform(below: UInt64(max(1, share * 2 / 3))))) & (Trig.tableCount - 1)
            let distance = Int64(nearest) + Int64(random.uniform(below: UInt64(farthest - nearest + 1)))
            let cos = Int64(Trig.cosine[turn]), sin = Int64(Trig.cosine[(turn - Trig.tableCount / 4 + Trig.tableCount) & (Trig.tableCount - 1)])
            return Vec2(centre.x + Int32(distance * cos / Int64(Trig.one)), centre.y + Int32(distance * sin / Int64(Trig.one)))
        }
        return Polygon(vertices: vertices)
    }

    /// `count` obstacles at random in `bounds`, for checking geometry against brute force: a
    /// third on every floor, the rest on floor 0 or 1; rectangles, circles, convex triangles,
    /// concave U shapes opening north (a row through their prongs is blocked twice, with room
    /// between) and stars, each up to about `size` centimetres across (stars up to `starSize`,
    /// so that a star's box can be much larger than its body).
    public static func randomObstacles(count: Int, in bounds: Rect, size: Int32, starSize: Int32, random: inout WorldRandom) -> [Obstacle] {
        precondition(size >= 200 && starSize >= 200)
        func upTo(_ limit: Int32) -> Int32 { Int32(random.uniform(below: UInt64(max(1, limit)))) }
        return (0..<count).map { k in
            let x = bounds.minX + upTo(bounds.width), y = bounds.minY + upTo(bounds.height)
            let floor: Int? = k % 3 == 0 ? nil : Int(random.uniform(below: 2))
            let shape: Shape
            switch random.uniform(below: 5) {
            case 0: shape = .rect(Rect(minX: x, minY: y, maxX: x + 50 + upTo(size), maxY: y + 50 + upTo(size * 2 / 3)))
            case 1: shape = .circle(Circle(center: Vec2(x, y), radius: 20 + upTo(size / 2)))
            case 2:
                let w = 400 + upTo(size), h = 200 + upTo(size), a = w / 4, ny = h / 3 + upTo(h / 3)
                shape = .polygon(Polygon(vertices: [Vec2(x, y), Vec2(x + w, y), Vec2(x + w, y + h), Vec2(x + w - a, y + h),
                                                    Vec2(x + w - a, y + ny), Vec2(x + a, y + ny), Vec2(x + a, y + h), Vec2(x, y + h)]))
            case 3: shape = .polygon(star(around: Vec2(x, y), count: 5 + Int(random.uniform(below: 20)), nearest: 60, farthest: starSize, random: &random))
            default:
                shape = .polygon(Polygon(vertices: [Vec2(x, y), Vec2(x + 100 + upTo(size), y + upTo(80)), Vec2(x + upTo(size / 3), y + 100 + upTo(size))]))
            }
            return Obstacle(shape, floor: floor)
        }
    }
}
