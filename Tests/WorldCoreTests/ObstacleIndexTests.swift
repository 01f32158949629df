// The obstacle index answers what testing every obstacle answers, with polygons left out of
// the cells they cannot reach: random stars, U shapes, triangles, circles and rectangles
// (SyntheticWorlds.randomObstacles), on one floor or all, queried at random points inside and
// outside the bounds.

import Crowd
import Testing
@testable import WorldCore

@Suite struct ObstacleIndexTests {
    @Test func theIndexAnswersAsEveryObstacleDoes() {
        var random = WorldRandom(seed: 5)
        func coordinate(_ limit: Int32) -> Int32 { Int32(random.uniform(below: UInt64(limit))) }
        let bounds = Rect(minX: 0, minY: 0, maxX: 6_000, maxY: 5_000)
        var pruned = 0
        for round in 0..<20 {
            let obstacles = SyntheticWorlds.randomObstacles(count: 4 + round, in: bounds, size: 900, starSize: 2_600, random: &random)
            let clearance = [30, 45, 60][round % 3] as Int32
            let index = ObstacleIndex(obstacles: obstacles, bounds: bounds, clearanceCentimetres: clearance, cellSizeCentimetres: 100 + 100 * Int32(round % 4))
            // How many (obstacle, cell) pairs the pruning left out, so the test is known to test it.
            let boxCells = obstacles.reduce(0) { total, o in
                let b = o.shape.bounds.inset(by: -clearance)
                let size = index.cellSizeCentimetres
                let w = Int(min(b.maxX, bounds.maxX) / size - max(b.minX, 0) / size + 1), h = Int(min(b.maxY, bounds.maxY) / size - max(b.minY, 0) / size + 1)
                return total + max(0, w) * max(0, h)
            }
            pruned += boxCells - index.items.count
            for _ in 0..<4_000 {
                let p = Vec2(coordinate(bounds.maxX + 400) - 200, coordinate(bounds.maxY + 400) - 200)
                let floor = Int(random.uniform(below: 2))
                let everyObstacle = obstacles.contains { ($0.floor == nil || $0.floor == floor) && $0.shape.overlapsDisk(center: p, radius: clearance) }
                #expect(index.blocks(p, floor: floor) == everyObstacle, "round \(round) at \(p) floor \(floor)")
            }
        }
        #expect(pruned > 1_000, "the pruning left out \(pruned) cells")
    }
}
