// Turns one world file's JSON tree into a `Space`, converting metres to centimetres and
// real floor numbers to floor indexes, and reporting every problem it meets with its path.
// Checks that need other files or geometry are in `Validation.swift`.

import WorldCore

public enum WorldFileFormat {
    /// The `formatVersion` this loader reads.
    public static let version = 1

    public static let topLevelFields = [
        "$schema", "formatVersion", "id", "kind", "name", "description", "scale", "sources", "sizeMetres", "floors",
        "capacity", "tickRateHertz", "personalSpaceRadiusMetres", "chatRadiusMetres", "admitsRoles", "walkSpeedMetresPerSecond", "runSpeedMetresPerSecond",
        "interest", "spawnAreas", "obstacles", "portals", "pointsOfInterest",
    ]
    static let interestFields = ["enterRadiusMetres", "leaveRadiusMetres", "visibleMax", "nearRadiusMetres", "refreshPeriodTicks"]
    static let floorFields = ["level", "name"]
    static let spawnAreaFields = ["id", "floor", "rect"]
    static let obstacleFields = ["id", "kind", "floor", "rect", "circle", "polygon"]
    static let portalFields = ["id", "name", "floor", "rect", "arrival", "to"]
    static let targetFields = ["space", "portal"]
    static let pointFields = ["id", "kind", "name", "info", "floor", "at", "reachMetres"]
    /// A point of interest's name and text, in each language (the protocol's limits).
    static let placeNameBytesMax = 120
    static let placeTextBytesMax = 1_000
    static let textFields = ["ko", "en"]

    public static let obstacleKinds = ["building", "wall", "water", "lawn", "road", "planting", "structure", "furniture", "statue", "tree", "railing", "other"]
    public static let pointKinds = [
        "info-board", "notice-board", "ebook-kiosk", "suggestion-box", "media-wall", "video-screen", "counselling-desk",
        "mini-game", "photo-spot", "stage", "exhibit", "booth", "greeting", "other",
    ]

    /// The largest side of a space: 20 km, far more than the longest park we model.
    public static let sideMetresMax = 20_000.0
}

struct SpaceDecoder {
    let diagnostics: Diagnostics

    /// Nil when the file is too broken to describe a space; its errors are in `diagnostics`.
    func decode(_ root: JSONValue, expectedID: String) -> Space? {
        guard let top = ObjectReader(root, path: "", diagnostics: diagnostics, known: WorldFileFormat.topLevelFields) else { return nil }
        if let version = top.integer("formatVersion"), version != WorldFileFormat.version {
            diagnostics.error("formatVersion", "is \(version); this server reads version \(WorldFileFormat.version)",
                              expected: "\(WorldFileFormat.version)")
        }
        let id = top.string("id") ?? expectedID
        if !isKebabCase(id) {
            diagnostics.error("id", "'\(id)' is not a lowercase kebab-case id", expected: "letters a-z, digits and single hyphens, such as 'seoul-plaza'")
        } else if id != expectedID {
            diagnostics.error("id", "'\(id)' differs from the file name", expected: "'\(expectedID)', the file's name without .json")
        }
        var kind = SpaceKind.public
        if let k = top.string("kind") {
            if let parsed = SpaceKind(rawValue: k) { kind = parsed } else {
                diagnostics.error("kind", "'\(k)' is not a kind of space", expected: "one of " + SpaceKind.allCases.map(\.rawValue).joined(separator: ", "))
            }
        }
        let name = text(top, "name")
        let description = text(top, "description")
        let scale = top.string("scale") ?? ""
        var admitsRoles: [String] = []
        for (item, path) in top.array("admitsRoles", required: false) ?? [] {
            if case .string(let s) = item, Space.roleNames.contains(s) {
                if !admitsRoles.contains(s) { admitsRoles.append(s) }
            } else {
                diagnostics.error(path, "is not a role", expected: "one of " + Space.roleNames.joined(separator: ", "))
            }
        }
        if !admitsRoles.isEmpty && kind != .template {
            diagnostics.error("admitsRoles", "is for room templates only", expected: "no admitsRoles on a \(kind.rawValue) space")
        }
        var sources: [String] = []
        for (item, path) in top.array("sources") ?? [] {
            if case .string(let s) = item { sources.append(s) } else { diagnostics.error(path, "is \(item.typeName)", expected: "a string naming a source") }
        }

        let size = top.numbers("sizeMetres", count: 2, meaning: "[width, height] in metres")
        var width = 10.0, height = 10.0
        if let size {
            if size.allSatisfy({ $0 > 0 && $0 <= WorldFileFormat.sideMetresMax }) {
                width = size[0]
                height = size[1]
            } else {
                diagnostics.error("sizeMetres", "\(size.map(format)) must be positive and at most \(format(WorldFileFormat.sideMetresMax)) m")
            }
        }
        let bounds = Rect(minX: 0, minY: 0, maxX: centimetres(width), maxY: centimetres(height))

        let floors = decodeFloors(top)
        let levels = floors.map(\.floor.level)
        func floorIndex(_ reader: ObjectReader) -> Int {
            guard let level = reader.integer("floor", required: false) else { return 0 }
            if let i = levels.firstIndex(of: level) { return i }
            diagnostics.error(reader.child("floor"), "no floor \(level) in this space", expected: "one of the levels in floors: " + levels.map(String.init).joined(separator: ", "))
            return 0
        }

        var spawnAreas: [NamedSpawnArea] = []
        for (item, path) in top.array("spawnAreas") ?? [] {
            guard let r = ObjectReader(item, path: path, diagnostics: diagnostics, known: WorldFileFormat.spawnAreaFields) else { continue }
            let sid = identifier(r)
            let f = floorIndex(r)
            if let rect = rect(r, "rect") { spawnAreas.append(NamedSpawnArea(id: sid, spawnArea: SpawnArea(floor: f, area: rect))) }
        }

        var obstacles: [NamedObstacle] = []
        for (item, path) in top.array("obstacles", required: false) ?? [] {
            guard let r = ObjectReader(item, path: path, diagnostics: diagnostics, known: WorldFileFormat.obstacleFields) else { continue }
            let oid = identifier(r)
            let kind = oneOf(r, "kind", WorldFileFormat.obstacleKinds)
            let f: Int? = r.fields["floor"] == nil ? nil : floorIndex(r)
            if let shape = shape(r) { obstacles.append(NamedObstacle(id: oid, kind: kind, obstacle: Obstacle(shape, floor: f))) }
        }

        var portals: [Portal] = []
        for (item, path) in top.array("portals", required: false) ?? [] {
            guard let r = ObjectReader(item, path: path, diagnostics: diagnostics, known: WorldFileFormat.portalFields) else { continue }
            let pid = identifier(r)
            let pname = text(r, "name")
            let f = floorIndex(r)
            let area = rect(r, "rect")
            let arrival = rect(r, "arrival")
            let target = r.object("to", known: WorldFileFormat.targetFields)
            let space = target?.string("space"), portal = target?.string("portal")
            if let area, let arrival, let space, let portal {
                portals.append(Portal(id: pid, name: pname, floor: f, area: area, arrival: arrival, targetSpace: space, targetPortal: portal))
            }
        }

        var points: [PointOfInterest] = []
        for (item, path) in top.array("pointsOfInterest", required: false) ?? [] {
            guard let r = ObjectReader(item, path: path, diagnostics: diagnostics, known: WorldFileFormat.pointFields) else { continue }
            let pid = identifier(r)
            let kind = oneOf(r, "kind", WorldFileFormat.pointKinds)
            let pname = text(r, "name")
            let info = text(r, "info")
            // Served to visitors as they are (docs/PROTOCOL.md 7.16): each fits its message.
            for (key, t, limit) in [("name", pname, WorldFileFormat.placeNameBytesMax), ("info", info, WorldFileFormat.placeTextBytesMax)] {
                for (language, value) in [("ko", t.ko), ("en", t.en)] where value.utf8.count > limit {
                    diagnostics.error(r.child(key) + "." + language, "is \(value.utf8.count) bytes", expected: "at most \(limit) bytes of UTF-8")
                }
            }
            let f = floorIndex(r)
            let reach = r.number("reachMetres", required: false, range: 0.1...50) ?? 2
            if let at = r.numbers("at", count: 2, meaning: "[x, y] in metres") {
                points.append(PointOfInterest(id: pid, kind: kind, name: pname, info: info, floor: f,
                                              position: Vec2(centimetres(at[0]), centimetres(at[1])), reachCentimetres: centimetres(reach)))
            }
        }

        var interest = InterestSettings()
        if let i = top.object("interest", required: false, known: WorldFileFormat.interestFields) {
            if let v = i.number("enterRadiusMetres", required: false, range: 1...200) { interest.enterRadiusCentimetres = centimetres(v) }
            if let v = i.number("leaveRadiusMetres", required: false, range: 1...200) { interest.leaveRadiusCentimetres = centimetres(v) }
            if let v = i.integer("visibleMax", required: false, range: InterestSettings.visibleMaxRange) { interest.visibleMax = v }
            if let v = i.number("nearRadiusMetres", required: false, range: 0...200) { interest.nearRadiusCentimetres = centimetres(v) }
            if let v = i.integer("refreshPeriodTicks", required: false, range: InterestSettings.refreshPeriodTicksRange) { interest.refreshPeriodTicks = v }
        }

        let capacity = top.integer("capacity", range: 1...WorldDefinition.capacityMax) ?? 1
        let tickRate = top.integer("tickRateHertz", required: false, range: WorldDefinition.tickRateHertzRange) ?? 20
        let radius = top.number("personalSpaceRadiusMetres", required: false, range: 0.1...5) ?? 0.6
        let walk = top.number("walkSpeedMetresPerSecond", required: false, range: 0.1...20) ?? 1.4
        let run = top.number("runSpeedMetresPerSecond", required: false, range: 0.1...20) ?? 4
        let chat = top.number("chatRadiusMetres", required: false, range: 1...500) ?? Space.chatRadiusMetresDefault

        let definition = WorldDefinition(
            id: id, bounds: bounds, floors: floors.map(\.floor), obstacles: obstacles.map(\.obstacle),
            spawnAreas: spawnAreas.map(\.spawnArea), capacity: capacity, personalSpaceRadiusCentimetres: centimetres(radius),
            interest: interest, tickRateHertz: tickRate, walkSpeedCentimetresPerSecond: centimetres(walk),
            runSpeedCentimetresPerSecond: centimetres(run))
        if interest.leaveRadiusCentimetres < interest.enterRadiusCentimetres {
            diagnostics.error("interest.leaveRadiusMetres", "is smaller than enterRadiusMetres",
                              expected: "at least \(format(Double(interest.enterRadiusCentimetres) / 100)) m, so that a view does not flicker at its edge")
        }
        // Whatever else the core would refuse (in centimetres), once the file's own errors are fixed.
        if diagnostics.errors.isEmpty {
            for problem in definition.problems() { diagnostics.error("", "the simulation refuses this space: " + problem) }
        }
        return Space(id: id, kind: kind, name: name, description: description, scale: scale, sources: sources,
                     floorNames: floors.map(\.name), obstacles: obstacles, spawnAreas: spawnAreas, portals: portals,
                     pointsOfInterest: points, definition: definition, chatRadiusCentimetres: centimetres(chat), admitsRoles: admitsRoles, file: diagnostics.file)
    }

    // MARK: Pieces

    func decodeFloors(_ top: ObjectReader) -> [(floor: Floor, name: LocalizedText)] {
        guard let items = top.array("floors", required: false) else {
            return [(Floor(level: 1, name: "1F"), LocalizedText(ko: "1층", en: "1F"))]
        }
        var out: [(Floor, LocalizedText)] = []
        for (item, path) in items {
            guard let r = ObjectReader(item, path: path, diagnostics: diagnostics, known: WorldFileFormat.floorFields) else { continue }
            guard let level = r.integer("level", range: -20...200) else { continue }
            if out.contains(where: { $0.0.level == level }) { diagnostics.error(r.child("level"), "floor \(level) is listed twice") }
            let name = text(r, "name")
            out.append((Floor(level: level, name: name.en), name))
        }
        if out.isEmpty {
            diagnostics.error("floors", "is empty", expected: "at least one floor, or no floors field for a single floor")
            return [(Floor(level: 1, name: "1F"), LocalizedText(ko: "1층", en: "1F"))]
        }
        return out
    }

    func text(_ r: ObjectReader, _ key: String) -> LocalizedText {
        guard let t = r.object(key, known: WorldFileFormat.textFields) else { return LocalizedText(ko: "", en: "") }
        let ko = t.string("ko") ?? "", en = t.string("en") ?? ""
        if t.fields["ko"] != nil && ko.trimmingCharacters(in: .whitespaces).isEmpty { diagnostics.error(t.child("ko"), "is empty", expected: "Korean text") }
        if t.fields["en"] != nil && en.trimmingCharacters(in: .whitespaces).isEmpty { diagnostics.error(t.child("en"), "is empty", expected: "English text") }
        return LocalizedText(ko: ko, en: en)
    }

    func identifier(_ r: ObjectReader) -> String {
        guard let id = r.string("id") else { return "" }
        if !isKebabCase(id) { diagnostics.error(r.child("id"), "'\(id)' is not a lowercase kebab-case id", expected: "letters a-z, digits and single hyphens") }
        return id
    }

    func oneOf(_ r: ObjectReader, _ key: String, _ allowed: [String]) -> String {
        guard let v = r.string(key) else { return "other" }
        if !allowed.contains(v) { diagnostics.error(r.child(key), "'\(v)' is not a known kind", expected: "one of " + allowed.joined(separator: ", ")) }
        return v
    }

    func rect(_ r: ObjectReader, _ key: String) -> Rect? {
        guard let n = r.numbers(key, count: 4, meaning: "[minX, minY, maxX, maxY] in metres") else { return nil }
        guard n[0] <= n[2] && n[1] <= n[3] else {
            diagnostics.error(r.child(key), "\(n.map(format)) has a minimum greater than its maximum", expected: "[minX, minY, maxX, maxY] with min <= max")
            return nil
        }
        return Rect(minX: centimetres(n[0]), minY: centimetres(n[1]), maxX: centimetres(n[2]), maxY: centimetres(n[3]))
    }

    func shape(_ r: ObjectReader) -> Shape? {
        let given = ["rect", "circle", "polygon"].filter { r.fields[$0] != nil }
        guard given.count == 1 else {
            diagnostics.error(r.path, given.isEmpty ? "has no shape" : "has \(given.count) shapes (\(given.joined(separator: ", ")))",
                              expected: "exactly one of rect, circle, polygon")
            return nil
        }
        switch given[0] {
        case "rect":
            return rect(r, "rect").map(Shape.rect)
        case "circle":
            guard let c = r.numbers("circle", count: 3, meaning: "[centreX, centreY, radius] in metres") else { return nil }
            guard c[2] > 0 else {
                diagnostics.error(r.child("circle"), "radius \(format(c[2])) is not positive")
                return nil
            }
            return .circle(Circle(center: Vec2(centimetres(c[0]), centimetres(c[1])), radius: centimetres(c[2])))
        default:
            guard let items = r.array("polygon") else { return nil }
            var vertices: [Vec2] = []
            for (item, path) in items {
                guard let v = ObjectReader.numbers(item, path: path, count: 2, meaning: "[x, y] in metres", diagnostics: diagnostics) else { return nil }
                vertices.append(Vec2(centimetres(v[0]), centimetres(v[1])))
            }
            guard (3...Polygon.vertexCountMax).contains(vertices.count) else {
                diagnostics.error(r.child("polygon"), "has \(vertices.count) vertices", expected: "3 to \(Polygon.vertexCountMax)")
                return nil
            }
            let polygon = Polygon(vertices: vertices)
            // Crossings first: a symmetric bow tie also has zero signed area, and "its edges
            // cross" is the truer message.
            if let crossing = firstSelfCrossing(polygon) {
                diagnostics.error(r.child("polygon"), "edges \(crossing.0) and \(crossing.1) cross", expected: "a simple polygon, vertices in order around its outline")
                return nil
            }
            if polygon.doubleSignedArea == 0 {
                diagnostics.error(r.child("polygon"), "has no area (its vertices are on one line)")
                return nil
            }
            return .polygon(polygon)
        }
    }
}

/// Metres to whole centimetres, clamped to what the core accepts.
func centimetres(_ metres: Double) -> Int32 {
    let cm = (metres * 100).rounded()
    let limit = Double(Geometry.coordinateLimitCentimetres)
    return Int32(min(max(cm, -limit), limit))
}

func isKebabCase(_ s: String) -> Bool {
    guard let first = s.unicodeScalars.first, ("a"..."z").contains(first), !s.hasSuffix("-"), !s.contains("--") else { return false }
    return s.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
}

/// The first pair of non-adjacent edges that cross, if any. O(n²), fine for outlines of at
/// most a few hundred vertices, checked once at load.
func firstSelfCrossing(_ p: Polygon) -> (Int, Int)? {
    let v = p.vertices
    let n = v.count
    func orientation(_ a: Vec2, _ b: Vec2, _ c: Vec2) -> Int {
        let cross = Int64(b.x - a.x) * Int64(c.y - a.y) - Int64(b.y - a.y) * Int64(c.x - a.x)
        return cross > 0 ? 1 : (cross < 0 ? -1 : 0)
    }
    for i in 0..<n {
        for j in (i + 1)..<n {
            if j == i + 1 || (i == 0 && j == n - 1) { continue }
            let a = v[i], b = v[(i + 1) % n], c = v[j], d = v[(j + 1) % n]
            let o1 = orientation(a, b, c), o2 = orientation(a, b, d), o3 = orientation(c, d, a), o4 = orientation(c, d, b)
            if o1 != o2 && o3 != o4 && o1 != 0 && o2 != 0 && o3 != 0 && o4 != 0 { return (i, j) }
        }
    }
    return nil
}
