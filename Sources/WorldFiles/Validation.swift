// Checks that need more than one field: across files (unique ids, portals that lead
// somewhere real) and through geometry (spawn room for the capacity, and that people can
// walk from every spawn area to every portal and point of interest).
//
// Geometric checks run only on files that decoded without errors: on a half-read file
// they would mostly repeat the decoding errors in other words.

import WorldCore

enum Validation {
    /// Cross-file checks over every decoded space. `brokenFileIDs` are the names (without
    /// .json) of files that had errors of their own: a portal to one of them is not reported
    /// again, since the file's own errors say what is wrong with it.
    static func crossFile(_ spaces: [Space], brokenFileIDs: Set<String> = []) -> [WorldFileError] {
        var errors: [WorldFileError] = []
        var firstFile: [String: String] = [:]
        for space in spaces {
            if let other = firstFile[space.id] {
                errors.append(WorldFileError(file: space.file, path: "id", message: "'\(space.id)' is also the id of \(other)", expected: "a unique id"))
            } else {
                firstFile[space.id] = space.file
            }
        }
        let byID = Dictionary(spaces.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for space in spaces {
            for (i, portal) in space.portals.enumerated() {
                let path = "portals[\(i)].to"
                guard let target = byID[portal.targetSpace] else {
                    if brokenFileIDs.contains(portal.targetSpace) { continue }
                    let suggestion = closest(portal.targetSpace, among: byID.keys.sorted())
                    errors.append(WorldFileError(file: space.file, path: path + ".space", message: "no space '\(portal.targetSpace)' in this directory",
                                                 expected: suggestion.map { "an existing space id; did you mean '\($0)'?" } ?? "an existing space id"))
                    continue
                }
                if !target.portals.contains(where: { $0.id == portal.targetPortal }) {
                    let ids = target.portals.map(\.id)
                    errors.append(WorldFileError(file: space.file, path: path + ".portal", message: "space '\(target.id)' has no portal '\(portal.targetPortal)'",
                                                 expected: ids.isEmpty ? "a portal in '\(target.id)' (it has none)" : "one of " + ids.joined(separator: ", ")))
                }
            }
        }
        return errors
    }

    /// Geometric checks of one space that decoded cleanly.
    static func geometry(_ space: inout Space) -> [WorldFileError] {
        var errors: [WorldFileError] = []
        func fail(_ path: String, _ message: String, expected: String? = nil) {
            errors.append(WorldFileError(file: space.file, path: path, message: message, expected: expected))
        }
        let d = space.definition
        let r = d.personalSpaceRadiusCentimetres
        let metres = { (cm: Int32) in format(Double(cm) / 100) }

        // Spawn areas: inside the bounds, no point of them inside an obstacle.
        for (i, s) in space.spawnAreas.enumerated() {
            let a = s.spawnArea.area
            if !(a.minX >= d.bounds.minX && a.minY >= d.bounds.minY && a.maxX <= d.bounds.maxX && a.maxY <= d.bounds.maxY) {
                fail("spawnAreas[\(i)].rect", "reaches outside the space's size", expected: "within [0, 0, \(metres(d.bounds.maxX)), \(metres(d.bounds.maxY))]")
            }
            if let (o, p) = firstObstacleOverlap(a, floor: s.spawnArea.floor, space: space) {
                fail("spawnAreas[\(i)].rect", "overlaps obstacle '\(space.obstacles[o].id)' at (\(metres(p.x)), \(metres(p.y)))",
                     expected: "a spawn area clear of obstacles")
            }
        }
        for (i, p) in space.portals.enumerated() {
            for (key, rect) in [("rect", p.area), ("arrival", p.arrival)] where !d.bounds.contains(Vec2(rect.minX, rect.minY)) || !d.bounds.contains(Vec2(rect.maxX, rect.maxY)) {
                fail("portals[\(i)].\(key)", "reaches outside the space's size", expected: "within [0, 0, \(metres(d.bounds.maxX)), \(metres(d.bounds.maxY))]")
            }
        }

        // Room to place `capacity` avatars at once in the spawn areas, at the no-contact spacing.
        let room = spawnRoom(space, upTo: d.capacity)
        if room < d.capacity {
            fail("capacity", "is \(d.capacity), but the spawn areas hold only \(room) avatars at \(metres(2 * r)) m apart",
                 expected: "at most \(room), or larger spawn areas")
        }

        // Walking: every spawn area reaches every portal; every point of interest is reachable.
        guard let walk = Walkability(space: space) else {
            fail("sizeMetres", "is too large to check on foot at a \(metres(r)) m radius", expected: "at most \(Walkability.cellCountMax) raster cells per floor")
            return errors
        }
        space.walkableSquareMetres = walk.walkableSquareMetres
        var reachableFromAny = Set<Walkability.Part>()
        for (i, s) in space.spawnAreas.enumerated() {
            let starts = Set(walk.parts(in: s.spawnArea.area, floor: s.spawnArea.floor).map { Walkability.Part(floor: s.spawnArea.floor, label: $0) })
            if starts.isEmpty {
                fail("spawnAreas[\(i)]", "'\(s.id)' has no spot where an avatar can stand", expected: "an area at least \(metres(r)) m clear of walls and obstacles")
                continue
            }
            // Every part the spawn area touches must reach each portal: a newcomer may be placed in any of them.
            for start in starts.sorted(by: { $0.label < $1.label }) {
                let reach = walk.reachable(from: [start], space: space)
                reachableFromAny.formUnion(reach)
                for (j, p) in space.portals.enumerated() {
                    let targets = walk.parts(in: p.area, floor: p.floor).map { Walkability.Part(floor: p.floor, label: $0) }
                    if !targets.isEmpty && !targets.contains(where: reach.contains) {
                        fail("portals[\(j)]", "'\(p.id)' cannot be reached on foot from spawn area '\(s.id)'",
                             expected: "a walkable path at least \(metres(2 * r)) m wide from every spawn area")
                    }
                }
            }
        }
        for (j, p) in space.portals.enumerated() {
            if walk.parts(in: p.area, floor: p.floor).isEmpty {
                fail("portals[\(j)].rect", "'\(p.id)' has no spot where an avatar can stand", expected: "an area at least \(metres(r)) m clear of walls and obstacles")
            }
            if walk.parts(in: p.arrival, floor: p.floor).isEmpty {
                fail("portals[\(j)].arrival", "'\(p.id)' has no spot where an arriving avatar can stand", expected: "an area at least \(metres(r)) m clear of walls and obstacles")
            }
        }
        for (k, poi) in space.pointsOfInterest.enumerated() {
            let near = walk.parts(near: poi.position, reach: poi.reachCentimetres, floor: poi.floor)
            if near.isEmpty {
                fail("pointsOfInterest[\(k)]", "'\(poi.id)' has nowhere to stand within \(metres(poi.reachCentimetres)) m",
                     expected: "a walkable spot within reachMetres of 'at'")
            } else if !near.contains(where: { reachableFromAny.contains(Walkability.Part(floor: poi.floor, label: $0)) }) {
                fail("pointsOfInterest[\(k)]", "'\(poi.id)' cannot be reached on foot from any spawn area", expected: "a walkable path to it")
            }
        }
        return errors
    }

    /// The first obstacle that covers a point of `rect` (sampled at most 400 points a side, and
    /// never coarser than 25 cm), with the point.
    static func firstObstacleOverlap(_ rect: Rect, floor: Int, space: Space) -> (Int, Vec2)? {
        let step = max(25, max(rect.width, rect.height) / 400)
        for (o, named) in space.obstacles.enumerated() where named.obstacle.floor == nil || named.obstacle.floor == floor {
            let box = named.obstacle.shape.bounds
            guard box.intersects(rect) else { continue }
            // Only the samples inside the obstacle's box can be inside it: the same points in
            // the same order, less those that cannot count.
            let xs = samples(rect.minX, rect.maxX, step: step, within: box.minX...box.maxX)
            for y in samples(rect.minY, rect.maxY, step: step, within: box.minY...box.maxY) {
                if let x = firstInside(named.obstacle.shape, xs: xs, y: y) { return (o, Vec2(x, y)) }
            }
        }
        return nil
    }

    /// The first of `xs` (ascending) whose point on the row at `y` is in `shape` (edges
    /// included), by the exact test. For a polygon, the row's inside is placed first from its
    /// edges' crossings in floating point, and only the samples inside it or within a
    /// centimetre of a crossing are tested exactly (the rest are surely outside: the floating
    /// point errs by far less); a row through a vertex, where a horizontal edge may lie on it,
    /// tests every sample. O(edges + samples) per row instead of O(edges x samples).
    static func firstInside(_ shape: Shape, xs: [Int32], y: Int32) -> Int32? {
        func inside(_ x: Int32) -> Bool { shape.overlapsDisk(center: Vec2(x, y), radius: 0) }
        guard case .polygon(let polygon) = shape, !polygon.vertices.contains(where: { $0.y == y }) else { return xs.first(where: inside) }
        let crossings = polygon.crossings(atRow: y)
        var k = 0 // the first crossing not left of the sample, less the margin
        for x in xs {
            let xd = Double(x)
            while k < crossings.count && crossings[k] < xd - 1 { k += 1 }
            // Inside when an odd number of crossings lie left of it; near a crossing: test.
            let near = k < crossings.count && crossings[k] <= xd + 1
            if (near || k % 2 == 1) && inside(x) { return x }
        }
        return nil
    }

    /// The sampled coordinates from `first` to `last` (every `step`, and `last` itself) that
    /// lie in `range`, in order.
    static func samples(_ first: Int32, _ last: Int32, step: Int32, within range: ClosedRange<Int32>) -> [Int32] {
        guard first <= last, range.upperBound >= first, range.lowerBound <= last else { return [] }
        var out: [Int32] = []
        let skip = range.lowerBound > first ? (range.lowerBound - first + step - 1) / step : 0
        var v = first + skip * step
        while v < last && v <= range.upperBound {
            out.append(v)
            v += step
        }
        if range.contains(last) { out.append(last) }
        return out
    }

    /// How many avatars (up to `limit`) fit in the spawn areas at once: the points of a
    /// hexagonal lattice at the contact distance that lie in a spawn area and where an
    /// avatar may stand. A lower bound on the true room, which is what a promise needs.
    static func spawnRoom(_ space: Space, upTo limit: Int) -> Int {
        let d = space.definition
        let r = d.personalSpaceRadiusCentimetres
        let index = ObstacleIndex(obstacles: d.obstacles, bounds: d.bounds, clearanceCentimetres: r, cellSizeCentimetres: 400)
        let walkable = d.bounds.inset(by: r)
        let spacing = 2 * r
        let rowHeight = max(1, spacing * 866 / 1_000)
        var count = 0
        for f in d.floors.indices {
            let areas = d.spawnAreas.filter { $0.floor == f }.map(\.area)
            guard let first = areas.first else { continue }
            var box = first
            for a in areas {
                box = Rect(minX: min(box.minX, a.minX), minY: min(box.minY, a.minY), maxX: max(box.maxX, a.maxX), maxY: max(box.maxY, a.maxY))
            }
            var y = box.minY, row: Int32 = 0
            while y <= box.maxY {
                var x = box.minX + (row & 1 == 1 ? r : 0)
                while x <= box.maxX {
                    let p = Vec2(x, y)
                    if walkable.contains(p) && areas.contains(where: { $0.contains(p) }) && !index.blocks(p, floor: f) {
                        count += 1
                        if count >= limit { return count }
                    }
                    x += spacing
                }
                y += rowHeight
                row += 1
            }
        }
        return count
    }

    /// The candidate nearest to `word` by edit distance, if it is near enough to be a typo.
    static func closest(_ word: String, among candidates: [String]) -> String? {
        func distance(_ a: [Character], _ b: [Character]) -> Int {
            var previous = Array(0...b.count)
            for i in 1...max(a.count, 1) where !a.isEmpty {
                var current = [i] + [Int](repeating: 0, count: b.count)
                for j in 1...max(b.count, 1) where !b.isEmpty {
                    current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                }
                previous = current
            }
            return a.isEmpty ? b.count : previous[b.count]
        }
        let w = Array(word)
        let best = candidates.map { ($0, distance(w, Array($0))) }.min { $0.1 < $1.1 }
        guard let best, best.1 <= max(2, w.count / 3) else { return nil }
        return best.0
    }
}
