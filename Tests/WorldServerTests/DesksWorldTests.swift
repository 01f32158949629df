import Foundation
import ServiceFiles
import Services
import Testing
import WorldFiles
@testable import WorldServer

/// The shipped desks and docents' posts name spaces, points and room templates that the shipped world files have.
@Suite struct DesksWorldTests {
    @Test func everyDeskStandsAtADeskOfAPublicSpaceAndOpensAShippedTemplate() throws {
        let catalog = try DeskCatalog.load(directory: Shipped.worlds.deletingLastPathComponent().appendingPathComponent("services").path)
        let facts = DesksSubsystem.facts(Shipped.catalog)
        #expect(catalog.problems(against: facts).isEmpty, "\(catalog.problems(against: facts))")
        #expect(catalog.posts.count == 10, "and every docent's post stands at a point of interest of a landmark")
    }
}
