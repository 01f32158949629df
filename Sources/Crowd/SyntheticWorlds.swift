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
}
