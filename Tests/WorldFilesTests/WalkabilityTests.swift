// The walkability raster kept as runs (Walkability.swift) against the plain cell-by-cell
// raster and flood fill it replaced, kept here as the reference: the same walkable area, the
// same label for every cell (the parts numbered in the same order), and the same answers to
// the questions the check asks, on the shipped spaces and on spaces made to be awkward
// (concave polygons, circles touching, obstacles over the edge, several floors).

import Foundation
import Testing
import Crowd
import WorldCore
@testable import WorldFiles

/// The raster as it was built before runs: every cell tested, then a 4-neighbour flood fill.
struct ReferenceRaster {
    let cell: Int32
    let columns: Int
    let rows: Int
    var labels: [[Int32]] = []
    var walkableCells = 0

    init?(space: Space) {
        let d = space.definition
        let r = d.personalSpaceRadiusCentimetres
        // The same cell as the runs use (the reference checks the labels, not the cell size).
        guard let cell = Walkability.cellSize(d) else { return nil }
        self.cell = cell
        columns = Int(d.bounds.width / cell)
        rows = Int(d.bounds.height / cell)
        let walkable = d.bounds.inset(by: r)
        for f in d.floors.indices {
            var grid = [Int32](repeating: -1, count: columns * rows)
            for j in 0..<rows {
                for i in 0..<columns {
                    let p = Vec2(Int32(i) * cell + cell / 2, Int32(j) * cell + cell / 2)
                    guard walkable.contains(p) else { continue }
                    if !d.obstacles.contains(where: { ($0.floor == nil || $0.floor == f) && $0.shape.overlapsDisk(center: p, radius: r) }) { grid[j * columns + i] = -2 }
                }
            }
            var next: Int32 = 0
            var stack: [Int] = []
            for start in grid.indices where grid[start] == -2 {
                grid[start] = next
                stack.append(start)
                while let c = stack.popLast() {
                    let i = c % columns, j = c / columns
                    for (n, ok) in [(c - 1, i > 0), (c + 1, i + 1 < columns), (c - columns, j > 0), (c + columns, j + 1 < rows)] where ok && grid[n] == -2 {
                        grid[n] = next
                        stack.append(n)
                    }
                }
                next += 1
            }
            walkableCells += grid.filter { $0 >= 0 }.count
            labels.append(grid)
        }
    }
}

@Suite struct WalkabilityTests {
    static func compare(_ space: Space, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let walk = try #require(Walkability(space: space), sourceLocation: sourceLocation)
        let reference = try #require(ReferenceRaster(space: space), sourceLocation: sourceLocation)
        #expect(walk.cellCentimetres == reference.cell && walk.columns == reference.columns && walk.rows == reference.rows, sourceLocation: sourceLocation)
        let area = Double(reference.walkableCells) * Double(reference.cell) * Double(reference.cell) / 10_000
        #expect(walk.walkableSquareMetres == area, "\(space.id)", sourceLocation: sourceLocation)
        var differences = 0
        for f in space.definition.floors.indices {
            for j in 0..<reference.rows {
                for i in 0..<reference.columns where walk.label(floor: f, column: i, row: j) != reference.labels[f][j * reference.columns + i] {
                    differences += 1
                }
            }
        }
        #expect(differences == 0, "\(space.id): \(differences) cells labelled differently", sourceLocation: sourceLocation)
        // The check's questions: the parts under each spawn area, portal and arrival, and near
        // each point of interest, as the reference answers them.
        func referenceParts(_ rect: Rect, floor: Int, near: (Vec2, Int64)? = nil) -> Set<Int32> {
            var out = Set<Int32>()
            for j in 0..<reference.rows {
                for i in 0..<reference.columns {
                    let p = Vec2(Int32(i) * reference.cell + reference.cell / 2, Int32(j) * reference.cell + reference.cell / 2)
                    guard rect.contains(p) else { continue }
                    if let (point, reach2) = near, p.distanceSquared(to: point) > reach2 { continue }
                    let l = reference.labels[floor][j * reference.columns + i]
                    if l >= 0 { out.insert(l) }
                }
            }
            return out
        }
        for s in space.spawnAreas { #expect(walk.parts(in: s.spawnArea.area, floor: s.spawnArea.floor) == referenceParts(s.spawnArea.area, floor: s.spawnArea.floor), sourceLocation: sourceLocation) }
        for p in space.portals {
            #expect(walk.parts(in: p.area, floor: p.floor) == referenceParts(p.area, floor: p.floor), sourceLocation: sourceLocation)
            #expect(walk.parts(in: p.arrival, floor: p.floor) == referenceParts(p.arrival, floor: p.floor), sourceLocation: sourceLocation)
        }
        for poi in space.pointsOfInterest {
            let reach = poi.reachCentimetres
            let box = Rect(minX: poi.position.x - reach, minY: poi.position.y - reach, maxX: poi.position.x + reach, maxY: poi.position.y + reach)
            #expect(walk.parts(near: poi.position, reach: reach, floor: poi.floor) == referenceParts(box, floor: poi.floor, near: (poi.position, Int64(reach) * Int64(reach))),
                    "\(space.id): \(poi.id)", sourceLocation: sourceLocation)
        }
    }

    static func shipped() throws -> WorldCatalog {
        let result = WorldLoader.load(directory: Locations.shippedWorlds)
        #expect(result.errors.isEmpty)
        return result.catalog
    }

    /// Every shipped space small enough for the reference to label in a test's time (the
    /// largest landmarks, millions of cells, are left to `worlds check`).
    @Test func theShippedSpacesGetTheReferencesLabels() throws {
        let catalog = try Self.shipped()
        var compared = 0
        for space in catalog.spaces {
            let d = space.definition
            let cells = Double(d.bounds.width) * Double(d.bounds.height) / Double(max(25, d.personalSpaceRadiusCentimetres / 2) * max(25, d.personalSpaceRadiusCentimetres / 2))
            guard cells * Double(d.floors.count) <= 1_000_000 else { continue }
            try Self.compare(space)
            compared += 1
        }
        #expect(compared >= 15, "\(compared) spaces compared")
    }

    /// Concave and convex polygons, circles and rectangles crossing each other and the edge,
    /// some on one floor only, at random: the same labels as the reference.
    @Test func awkwardObstaclesGetTheReferencesLabels() throws {
        var space = try #require(Self.shipped().space("seoul-plaza"))
        var random = WorldRandom(seed: 7)
        func coordinate(_ limit: Int32) -> Int32 { Int32(random.uniform(below: UInt64(limit))) }
        let bounds = Rect(minX: 0, minY: 0, maxX: 4_000, maxY: 3_000)
        for round in 0..<16 {
            let obstacles = SyntheticWorlds.randomObstacles(count: 8 + round, in: bounds, size: 600, starSize: 560, random: &random)
            space.definition.bounds = bounds
            space.definition.obstacles = obstacles
            space.definition.floors = [space.definition.floors[0], space.definition.floors[0]]
            space.definition.personalSpaceRadiusCentimetres = [30, 45, 60][round % 3]
            space.portals = []
            space.pointsOfInterest = space.pointsOfInterest.map { p in
                var p = p
                p.position = Vec2(coordinate(bounds.maxX), coordinate(bounds.maxY))
                p.floor = Int(random.uniform(below: 2))
                return p
            }
            space.spawnAreas = []
            try Self.compare(space)
        }
    }

    /// A spawn area's first overlapping obstacle and point, found from the samples inside each
    /// obstacle's box only, is the one the full sampling finds (kept here as the reference).
    @Test func theFirstOverlapIsTheFullSamplingsOne() throws {
        func reference(_ rect: Rect, floor: Int, space: Space) -> (Int, Vec2)? {
            let step = max(25, max(rect.width, rect.height) / 400)
            for (o, named) in space.obstacles.enumerated() where named.obstacle.floor == nil || named.obstacle.floor == floor {
                guard named.obstacle.shape.bounds.intersects(rect) else { continue }
                var y = rect.minY
                while y <= rect.maxY {
                    var x = rect.minX
                    while x <= rect.maxX {
                        if named.obstacle.shape.overlapsDisk(center: Vec2(x, y), radius: 0) { return (o, Vec2(x, y)) }
                        x = x == rect.maxX ? x + 1 : min(x + step, rect.maxX)
                    }
                    y = y == rect.maxY ? y + 1 : min(y + step, rect.maxY)
                }
            }
            return nil
        }
        let plaza = try #require(Self.shipped().space("seoul-plaza"))
        var random = WorldRandom(seed: 11)
        // Seoul Plaza's own obstacles, then random stars whose vertices often lie on a row.
        var stars = plaza
        stars.obstacles = (0..<12).map { n in
            let centre = Vec2(Int32(random.uniform(below: 16_000)), Int32(random.uniform(below: 15_000)))
            let star = SyntheticWorlds.star(around: centre, count: 5 + Int(random.uniform(below: 20)), nearest: 100, farthest: 3_000, random: &random)
            return NamedObstacle(id: "star-\(n)", kind: "other", obstacle: Obstacle(.polygon(star)))
        }
        var found = 0
        for space in [plaza, stars] {
            for _ in 0..<400 {
                let x = Int32(random.uniform(below: 15_000)), y = Int32(random.uniform(below: 14_000))
                let w = Int32(random.uniform(below: 3_000)), h = Int32(random.uniform(below: 100) < 10 ? 0 : random.uniform(below: 3_000))
                let rect = Rect(minX: x, minY: y, maxX: x + w, maxY: y + h)
                let ours = Validation.firstObstacleOverlap(rect, floor: 0, space: space), theirs = reference(rect, floor: 0, space: space)
                #expect(ours?.0 == theirs?.0 && ours?.1 == theirs?.1, "\(space.id) \(rect)")
                if ours != nil { found += 1 }
            }
        }
        #expect(found > 120, "the rectangles met obstacles \(found) times")
    }
}
