// Independent checks of the world's invariants, written plainly so that they do not share
// the code they check: a sweep over x for contact, floating-point geometry for obstacles.

import Crowd
import WorldCore

/// Every pair of avatars on the same floor closer than `2 * radius`: sort by x, then
/// compare each avatar with those less than the contact distance further along x. Exact:
/// a pair further apart in x than the contact distance cannot violate it.
func contactViolations(_ world: World) -> [(AvatarID, AvatarID, Int64)] {
    let r = Int64(world.definition.personalSpaceRadiusCentimetres)
    let minimum = 2 * r
    let avatars = world.avatars.sorted { ($0.floor, $0.position.x) < ($1.floor, $1.position.x) }
    var out: [(AvatarID, AvatarID, Int64)] = []
    for i in avatars.indices {
        var j = i + 1
        while j < avatars.count && avatars[j].floor == avatars[i].floor
            && Int64(avatars[j].position.x) - Int64(avatars[i].position.x) < minimum {
            let dx = Int64(avatars[j].position.x) - Int64(avatars[i].position.x)
            let dy = Int64(avatars[j].position.y) - Int64(avatars[i].position.y)
            if dx * dx + dy * dy < minimum * minimum { out.append((avatars[i].id, avatars[j].id, dx * dx + dy * dy)) }
            j += 1
        }
    }
    return out
}

/// The squared distance of the closest two avatars on one floor (Int64.max with fewer than two).
func closestPairSquared(_ world: World) -> Int64 {
    let avatars = world.avatars.sorted { ($0.floor, $0.position.x) < ($1.floor, $1.position.x) }
    var best = Int64.max
    for i in avatars.indices {
        var j = i + 1
        while j < avatars.count && avatars[j].floor == avatars[i].floor {
            let dx = Int64(avatars[j].position.x) - Int64(avatars[i].position.x)
            if dx * dx >= best { break }
            let dy = Int64(avatars[j].position.y) - Int64(avatars[i].position.y)
            best = min(best, dx * dx + dy * dy)
            j += 1
        }
    }
    return best
}

/// Avatars whose personal-space disk overlaps an obstacle or crosses the bounds, computed in
/// floating point from the shapes' definitions (a tolerance of a millimetre).
func geometryViolations(_ world: World) -> [AvatarID] {
    let d = world.definition
    let r = Double(d.personalSpaceRadiusCentimetres) - 0.1
    var out: [AvatarID] = []
    for a in world.avatars {
        let x = Double(a.position.x), y = Double(a.position.y)
        var bad = x - r < Double(d.bounds.minX) || x + r > Double(d.bounds.maxX) || y - r < Double(d.bounds.minY) || y + r > Double(d.bounds.maxY)
        for o in d.obstacles where o.floor == nil || o.floor == a.floor {
            switch o.shape {
            case .rect(let rect):
                let cx = min(max(x, Double(rect.minX)), Double(rect.maxX)), cy = min(max(y, Double(rect.minY)), Double(rect.maxY))
                if ((x - cx) * (x - cx) + (y - cy) * (y - cy)).squareRoot() < r { bad = true }
            case .circle(let c):
                let dx = x - Double(c.center.x), dy = y - Double(c.center.y)
                if (dx * dx + dy * dy).squareRoot() < r + Double(c.radius) { bad = true }
            case .polygon(let p):
                if pointInPolygon(x, y, p) || distanceToPolygonEdges(x, y, p) < r { bad = true }
            }
        }
        if bad { out.append(a.id) }
    }
    return out
}

func pointInPolygon(_ x: Double, _ y: Double, _ p: Polygon) -> Bool {
    var inside = false
    var j = p.vertices.count - 1
    for i in p.vertices.indices {
        let xi = Double(p.vertices[i].x), yi = Double(p.vertices[i].y)
        let xj = Double(p.vertices[j].x), yj = Double(p.vertices[j].y)
        if (yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi { inside.toggle() }
        j = i
    }
    return inside
}

func distanceToPolygonEdges(_ x: Double, _ y: Double, _ p: Polygon) -> Double {
    var best = Double.infinity
    var j = p.vertices.count - 1
    for i in p.vertices.indices {
        let ax = Double(p.vertices[j].x), ay = Double(p.vertices[j].y)
        let bx = Double(p.vertices[i].x), by = Double(p.vertices[i].y)
        let abx = bx - ax, aby = by - ay
        let t = max(0, min(1, ((x - ax) * abx + (y - ay) * aby) / (abx * abx + aby * aby)))
        let px = ax + t * abx - x, py = ay + t * aby - y
        best = min(best, (px * px + py * py).squareRoot())
        j = i
    }
    return best
}

/// Runs `ticks` ticks of a wandering crowd, calling `check` after each.
func runCrowd(_ definition: WorldDefinition, avatars: Int, ticks: Int, seed: UInt64, churnPerMille: UInt64 = 0,
              spatialIndex: SpatialIndexKind = .grid, check: (World) -> Void) throws -> World {
    var world = try World(definition: definition, seed: seed, spatialIndex: spatialIndex)
    var crowd = Wanderers(seed: seed, target: avatars, definition: definition, changeEveryTicksMean: 20, churnPerMille: churnPerMille)
    for _ in 0..<ticks {
        world.step(crowd.nextInputs())
        crowd.observe(world.report)
        check(world)
    }
    return world
}
