import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import Crowd
import WorldCore
@testable import WorldFiles

enum Locations {
    static let fixtures = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
    /// The repository's worlds/, found from this file's path.
    static let shippedWorlds = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("worlds")
}

/// A temporary directory holding the good fixture pair with one bad case laid over it.
func loadFixture(overlaying cases: [String]) throws -> WorldLoadResult {
    let fm = FileManager.default
    let dir = fm.temporaryDirectory.appendingPathComponent("seoulworld-fixture-\(UUID().uuidString)")
    defer { try? fm.removeItem(at: dir) }
    try fm.copyItem(at: Locations.fixtures.appendingPathComponent("good"), to: dir)
    for name in cases {
        let source = Locations.fixtures.appendingPathComponent("bad").appendingPathComponent(name)
        let walker = fm.enumerator(at: source, includingPropertiesForKeys: nil)!
        for case let file as URL in walker where file.pathExtension == "json" {
            let relative = String(file.standardizedFileURL.path.dropFirst(source.standardizedFileURL.path.count + 1))
            let target = dir.appendingPathComponent(relative)
            try fm.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            if fm.fileExists(atPath: target.path) { try fm.removeItem(at: target) }
            try fm.copyItem(at: file, to: target)
        }
    }
    return WorldLoader.load(directory: dir)
}

struct BadCase: CustomTestStringConvertible, Sendable {
    let name: String
    let file: String
    let path: String
    let message: String
    var testDescription: String { name }
}

@Suite struct WorldFilesTests {
    @Test func theGoodFixturesAreValid() throws {
        let result = try loadFixture(overlaying: [])
        #expect(result.errors.isEmpty, "\(result.errors)")
        #expect(result.catalog.spaces.map(\.id) == ["hall", "yard"])
        let yard = try #require(result.catalog.space("yard"))
        #expect(yard.floorLevels == [1, 2])
        #expect(yard.definition.bounds == Rect(minX: 0, minY: 0, maxX: 3_000, maxY: 1_000), "metres become centimetres")
        #expect(yard.portals[1].floor == 0 && yard.portals[2].floor == 1, "floor numbers become indexes")
        #expect(yard.walkableSquareMetres != nil)
    }

    static let badCases: [BadCase] = [
        BadCase(name: "not-json", file: "yard.json", path: "", message: "is not valid JSON"),
        BadCase(name: "missing-field", file: "yard.json", path: "capacity", message: "is missing"),
        BadCase(name: "wrong-type", file: "yard.json", path: "capacity", message: "is a string (expected a number)"),
        BadCase(name: "unknown-field", file: "yard.json", path: "capasity", message: "unknown field (expected one of"),
        BadCase(name: "format-version", file: "yard.json", path: "formatVersion", message: "is 2; this server reads version 1"),
        BadCase(name: "id-mismatch", file: "yard.json", path: "id", message: "'yards' differs from the file name"),
        BadCase(name: "not-kebab-case", file: "yard.json", path: "spawnAreas[0].id", message: "'West_Side' is not a lowercase kebab-case id"),
        BadCase(name: "duplicate-id", file: "yard.json", path: "id", message: "'yard' is also the id of"),
        BadCase(name: "portal-unknown-space", file: "hall.json", path: "portals[0].to.space", message: "no space 'yrad' in this directory (expected an existing space id; did you mean 'yard'?)"),
        BadCase(name: "portal-unknown-portal", file: "hall.json", path: "portals[0].to.portal", message: "space 'yard' has no portal 'gat' (expected one of gate, stairs-up, stairs-down)"),
        BadCase(name: "unknown-floor", file: "yard.json", path: "spawnAreas[0].floor", message: "no floor 3 in this space"),
        BadCase(name: "spawn-outside-bounds", file: "hall.json", path: "spawnAreas[0].rect", message: "reaches outside the space's size"),
        BadCase(name: "spawn-overlaps-obstacle", file: "hall.json", path: "spawnAreas[0].rect", message: "overlaps obstacle 'crate'"),
        BadCase(name: "capacity-exceeds-spawn-room", file: "yard.json", path: "capacity", message: "is 40, but the spawn areas hold only"),
        BadCase(name: "portal-walled-off", file: "hall.json", path: "portals[0]", message: "'door' cannot be reached on foot from spawn area 'middle'"),
        BadCase(name: "poi-walled-off", file: "hall.json", path: "pointsOfInterest[0]", message: "'board' cannot be reached on foot from any spawn area"),
        BadCase(name: "poi-nowhere-to-stand", file: "hall.json", path: "pointsOfInterest[0]", message: "'board' has nowhere to stand within 2 m"),
        BadCase(name: "poi-text-too-long", file: "hall.json", path: "pointsOfInterest[0].name.ko", message: "is 126 bytes (expected at most 120 bytes of UTF-8)"),
        BadCase(name: "crossed-polygon", file: "hall.json", path: "obstacles[1].polygon", message: "edges 0 and 2 cross"),
        BadCase(name: "two-shapes", file: "hall.json", path: "obstacles[0]", message: "has 2 shapes (rect, circle)"),
        BadCase(name: "unknown-kind", file: "hall.json", path: "obstacles[0].kind", message: "'lava' is not a known kind"),
        BadCase(name: "empty-text", file: "hall.json", path: "name.en", message: "is empty"),
        BadCase(name: "leave-inside-enter", file: "hall.json", path: "interest.leaveRadiusMetres", message: "is smaller than enterRadiusMetres"),
        BadCase(name: "min-greater-than-max", file: "hall.json", path: "spawnAreas[0].rect", message: "has a minimum greater than its maximum"),
    ]

    @Test(arguments: badCases)
    func eachKindOfErrorIsReportedWhereItIs(_ c: BadCase) throws {
        let result = try loadFixture(overlaying: [c.name])
        let match = result.errors.first { $0.path == c.path && $0.description.contains(c.message) && $0.file.hasSuffix(c.file) }
        #expect(match != nil, "expected \(c.file): \(c.path): …\(c.message)…, got:\n\(result.errors.map(\.description).joined(separator: "\n"))")
        // The error names its file, and the untouched file stays clean.
        for error in result.errors {
            #expect(error.file.hasSuffix(c.file), "an error leaked into another file: \(error)")
        }
    }

    @Test func everyErrorOfADirectoryIsReportedTogether() throws {
        let result = try loadFixture(overlaying: ["missing-field", "portal-walled-off"])
        #expect(result.errors.contains { $0.file == "yard.json" && $0.path == "capacity" })
        #expect(result.errors.contains { $0.file == "hall.json" && $0.path == "portals[0]" })
        let several = try loadFixture(overlaying: ["unknown-kind"])
        #expect(several.errors.count == 1)
    }

    @Test func aMissingDirectorySaysSo() {
        let result = WorldLoader.load(directory: URL(fileURLWithPath: "/nonexistent/seoulworld-worlds"))
        #expect(result.errors.count == 1)
        #expect(result.errors[0].description.contains("cannot read the directory"))
    }
}

@Suite struct ShippedWorldsTests {
    static let result = WorldLoader.load(directory: Locations.shippedWorlds)

    @Test func everyShippedFileLoadsAndValidates() {
        let result = Self.result
        #expect(result.errors.isEmpty, "\(result.errors.map(\.description).joined(separator: "\n"))")
        let publicIDs = Set(result.catalog.publicSpaces.map(\.id))
        #expect(publicIDs == ["city-hall", "seoul-plaza", "cheong-wa-dae", "lotte-world-tower", "n-seoul-tower", "deoksugung", "gyeongbokgung",
                              "bukchon-hanok-village", "dongdaemun-design-plaza", "seoul-forest", "hangang-park", "gwanghwamun-square",
                              // The city's service spaces (issue 12).
                              "civil-complaint-centre-120", "business-support-center", "tax-square", "citizens-contest-hall"])
        let templates = result.catalog.templates
        #expect(templates.count == 9)
        #expect(templates.filter { $0.id.hasPrefix("youth-mentoring-") }.count == 6)
        #expect(templates.contains { $0.id == "conference-room" && $0.definition.capacity == 100 })
        #expect(templates.contains { $0.id == "counselling-room" && $0.definition.capacity == 2 })
    }

    @Test func everySpaceLeadsToCityHall() {
        for space in Self.result.catalog.spaces where space.id != "city-hall" {
            #expect(space.portals.contains { $0.targetSpace == "city-hall" }, "\(space.id) has no way to City Hall")
        }
        for space in Self.result.catalog.spaces {
            #expect(!space.name.ko.isEmpty && !space.name.en.isEmpty && !space.sources.isEmpty && !space.scale.isEmpty, "\(space.id)")
        }
    }

    @Test func crowdsWalkEveryShippedSpaceWithoutContactOrTrespass() throws {
        for space in Self.result.catalog.spaces {
            let avatars = min(space.definition.capacity, 150)
            var world = try World(definition: space.definition, seed: 3)
            var crowd = Wanderers(seed: 3, target: avatars, definition: space.definition, changeEveryTicksMean: 10)
            for _ in 0..<80 {
                world.step(crowd.nextInputs())
                crowd.observe(world.report)
            }
            #expect(world.population == avatars, "\(space.id): \(world.population) of \(avatars) placed, \(crowd.refused) refused")
            #expect(world.totalRejections.invalidMove == 0, "\(space.id)")
            let minimum = 2 * Int64(space.definition.personalSpaceRadiusCentimetres)
            let all = world.avatars
            for (i, a) in all.enumerated() {
                for b in all[(i + 1)...] where a.floor == b.floor {
                    #expect(a.position.distanceSquared(to: b.position) >= minimum * minimum, "\(space.id): \(a.id) and \(b.id) touch")
                }
                for named in space.obstacles where named.obstacle.floor == nil || named.obstacle.floor == a.floor {
                    #expect(!named.obstacle.shape.overlapsDisk(center: a.position, radius: space.definition.personalSpaceRadiusCentimetres),
                            "\(space.id): \(a.id) inside \(named.id)")
                }
            }
        }
    }

    @Test func everyMapParsesAsXMLAndShowsEveryObstacleAndPortal() throws {
        for space in Self.result.catalog.spaces {
            let svg = SVGMap.render(space)
            let collector = IDCollector()
            let parser = XMLParser(data: Data(svg.utf8))
            parser.delegate = collector
            #expect(parser.parse(), "\(space.id): \(parser.parserError.map { "\($0)" } ?? "")")
            #expect(collector.root == "svg")
            for (f, floor) in space.definition.floors.enumerated() {
                let tag = "f" + (floor.level < 0 ? "m\(-floor.level)" : "\(floor.level)")
                for o in space.obstacles where o.obstacle.floor == nil || o.obstacle.floor == f {
                    #expect(collector.ids.contains("\(tag)-obstacle-\(o.id)"), "\(space.id): obstacle \(o.id) on \(tag)")
                }
                for p in space.portals where p.floor == f {
                    #expect(collector.ids.contains("\(tag)-portal-\(p.id)"), "\(space.id): portal \(p.id)")
                }
                for poi in space.pointsOfInterest where poi.floor == f {
                    #expect(collector.ids.contains("\(tag)-poi-\(poi.id)"), "\(space.id): point \(poi.id)")
                }
            }
        }
    }

    @Test func theSchemaNamesWhatTheLoaderReads() throws {
        let data = try Data(contentsOf: Locations.shippedWorlds.appendingPathComponent(WorldLoader.schemaFileName))
        let schema = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let properties = try #require(schema["properties"] as? [String: Any])
        #expect(Set(properties.keys) == Set(WorldFileFormat.topLevelFields))
        let obstacleKinds = (((properties["obstacles"] as? [String: Any])?["items"] as? [String: Any])?["properties"] as? [String: Any])?["kind"] as? [String: Any]
        #expect((obstacleKinds?["enum"] as? [String]).map(Set.init) == Set(WorldFileFormat.obstacleKinds))
        let pointKinds = (((properties["pointsOfInterest"] as? [String: Any])?["items"] as? [String: Any])?["properties"] as? [String: Any])?["kind"] as? [String: Any]
        #expect((pointKinds?["enum"] as? [String]).map(Set.init) == Set(WorldFileFormat.pointKinds))
    }
}

final class IDCollector: NSObject, XMLParserDelegate {
    var ids = Set<String>()
    var root: String?

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        if root == nil { root = name }
        if let id = attributes["id"] { ids.insert(id) }
    }
}
