import Foundation
import ServiceFiles
import Services
import Testing
import WorldFiles

/// The shipped desks name spaces, desk points and room templates that the shipped world files have.
@Suite struct DesksWorldTests {
    @Test func everyDeskStandsAtADeskOfAPublicSpaceAndOpensAShippedTemplate() throws {
        let catalog = try DeskCatalog.load(directory: Shipped.worlds.deletingLastPathComponent().appendingPathComponent("services").path)
        let world = Shipped.catalog
        var points: [String: Set<String>] = [:]
        for space in world.publicSpaces { points[space.id] = Set(space.pointsOfInterest.filter { $0.kind == "counselling-desk" }.map(\.id)) }
        let facts = DeskCatalog.WorldFacts(deskPoints: points, templates: Set(world.templates.map(\.id)))
        #expect(catalog.problems(against: facts).isEmpty, "\(catalog.problems(against: facts))")
    }
}
