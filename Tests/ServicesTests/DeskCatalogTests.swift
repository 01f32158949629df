import Foundation
import Testing
import ServiceFiles
@testable import Services

@Suite struct DeskCatalogTests {
    static let directory = Paths.repository.appendingPathComponent("services").path

    @Test func theShippedDesksLoad() throws {
        let catalog = try DeskCatalog.load(directory: Self.directory)
        #expect(catalog.desks.map(\.id) == ["business-support", "counselling-120", "tax-counselling", "youth-mentoring", "youth-policy"])
        let experts = try #require(catalog.desks.first { $0.id == "business-support" })
        #expect(experts.fields.count == 9 && experts.fields.reduce(0) { $0 + $1.experts } == 11, "11 experts in 9 fields (BRIEF.md)")
        let c120 = try #require(catalog.desks.first { $0.id == "counselling-120" })
        #expect(c120.hours.rule == .weekdays(openMinute: 540, closeMinute: 1_080) && c120.hours.holidays.contains(LocalDate("2026-09-25")!))
        #expect(catalog.desks.first { $0.id == "youth-mentoring" }?.hours.rule == .always)
    }

    @Test func crossChecksNameWhatIsMissing() throws {
        let catalog = try DeskCatalog.load(directory: Self.directory)
        let facts = DeskCatalog.WorldFacts(deskPoints: ["city-hall": ["information-desk"], "tax-square": ["desk"]], templates: ["counselling-room"])
        let problems = catalog.problems(against: facts)
        #expect(problems.contains { $0.hasPrefix("counselling-120.json: space:") })
        #expect(problems.contains { $0.hasPrefix("business-support.json: roomTemplate:") })
        #expect(!problems.contains { $0.hasPrefix("tax-counselling.json") })
    }

    @Test func badHoursAndFieldsAreNamed() {
        let file = DeskCatalog.File(formatVersion: 1, id: "x", name: .init(ko: "x", en: "x"), sources: ["s"], space: "s", point: "p", staffRole: "boss",
                                    citizenRoles: nil, roomTemplate: "r", hours: .init(always: nil, weekdays: ["18:00", "09:00"]), queueMax: 0,
                                    fields: [.init(id: "a", name: .init(ko: "a", en: "a"), experts: 0)])
        let (desk, problems) = DeskCatalog.check(file, name: "x.json", holidays: [])
        #expect(desk == nil)
        #expect(problems.count == 4, "\(problems)")
        #expect(problems.contains { $0.contains("staffRole") } && problems.contains { $0.contains("hours.weekdays") })
    }
}
