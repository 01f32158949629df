import Foundation
import Testing
import ServiceFiles
import WorldCore
@testable import Services

@Suite struct DocentRosterTests {
    /// Monday 2026-11-23, Seoul time.
    static func at(_ hour: Int, _ minute: Int = 0, day: String = "2026-11-23") -> Int64 {
        OpeningHours.unixMillis(LocalDate(day)!, minutes: hour * 60 + minute)
    }

    static func post(_ space: String) -> DocentPost {
        DocentPost(space: space, point: "info", service: "landmark-docents", ko: "해설사", en: "Landmark docents", staffRole: "staff",
                   hours: OpeningHours(rule: .weekdays(openMinute: 540, closeMinute: 1_080), holidays: [LocalDate("2026-12-25")!]), file: "docents/x.json")
    }

    static let spot = Spot(floor: 0, position: Vec2(500, 700))
    static func roster() -> DocentRoster {
        DocentRoster(posts: [(post("gyeongbokgung"), spot, "Gyeongbokgung"), (post("deoksugung"), spot, "Deoksugung")])
    }
    static let staff = DeskFacts(account: "kim", isStaff: true, roles: ["member", "staff"])

    @Test func theShippedPostsLoadOnePerLandmark() throws {
        let catalog = try DeskCatalog.load(directory: DeskCatalogTests.directory)
        #expect(catalog.posts.count == 10, "the ten landmarks (BRIEF.md)")
        #expect(Set(catalog.posts.map(\.space)).count == 10)
        let palace = try #require(catalog.posts.first { $0.space == "gyeongbokgung" })
        #expect(palace.point == "palace-info" && palace.hours.rule == .weekdays(openMinute: 540, closeMinute: 1_080))
        #expect(palace.hours.holidays.contains(LocalDate("2026-09-25")!), "the desks' holidays")
    }

    @Test func postFilesAreCheckedEveryProblemNamed() {
        let good = #"{"formatVersion":1,"id":"a","name":{"ko":"가","en":"A"},"sources":["s"],"staffRole":"staff","hours":{"weekdays":["09:00","18:00"]},"posts":[{"space":"p","point":"x"}]}"#
        let bad = #"{"formatVersion":2,"id":"b","name":{"ko":"","en":"B"},"sources":[],"staffRole":"mentor","hours":{"weekdays":["18:00","09:00"]},"posts":[{"space":"p","point":"y"},{"space":"q","point":"z"},{"space":"q","point":"z"}]}"#
        let (posts, problems) = DeskCatalog.parseDocents([("a.json", Data(good.utf8)), ("b.json", Data(bad.utf8)), ("c.json", Data("{".utf8))], holidays: [])
        #expect(posts.map(\.space) == ["p"])
        for field in ["formatVersion", "name", "sources", "staffRole", "hours.weekdays", "posts[0].space", "posts[2].space"] {
            #expect(problems.contains { $0.hasPrefix("docents/b.json: \(field):") }, "\(field): \(problems)")
        }
        #expect(problems.contains { $0.hasPrefix("docents/c.json: not a docent file") })
        let catalog = DeskCatalog(desks: [], posts: posts)
        #expect(catalog.postProblems(against: ["p": ["info"]]) == ["docents/a.json: posts: 'x' is not a point of interest of 'p' (it has: info)"])
        #expect(catalog.postProblems(against: [:]).first?.contains("is not a public space") == true)
    }

    @Test func staffGoOnDutyAtAnOpenPostAndStandThere() {
        var roster = Self.roster()
        let out = roster.handle(.duty(space: "gyeongbokgung", on: true), facts: Self.staff, nowMillis: Self.at(10))
        #expect(out == [.record(service: "landmark-docents", kind: "on-duty", account: "kim", durationMillis: nil, space: "gyeongbokgung"),
                        .badge(account: "kim", space: "gyeongbokgung"), .done, .standAt(space: "gyeongbokgung", spot: Self.spot)])
        #expect(roster.post(of: "kim") == "gyeongbokgung" && roster.countsBySpace() == ["gyeongbokgung": 1])
        // Again at the same post: no second record, but stand there again.
        #expect(roster.handle(.duty(space: "gyeongbokgung", on: true), facts: Self.staff, nowMillis: Self.at(11)) == [.done, .standAt(space: "gyeongbokgung", spot: Self.spot)])
        // To another post: off duty at the first with the time served, on at the second.
        let moved = roster.handle(.duty(space: "deoksugung", on: true), facts: Self.staff, nowMillis: Self.at(12))
        #expect(moved.prefix(4) == [.record(service: "landmark-docents", kind: "off-duty", account: "kim", durationMillis: 2 * 3_600_000, space: "gyeongbokgung"),
                                    .badge(account: "kim", space: nil),
                                    .record(service: "landmark-docents", kind: "on-duty", account: "kim", durationMillis: nil, space: "deoksugung"),
                                    .badge(account: "kim", space: "deoksugung")])
        #expect(roster.countsBySpace() == ["deoksugung": 1])
    }

    @Test func refusalsChangeNothingAndSayWhy() {
        var roster = Self.roster()
        let citizen = DeskFacts(account: "lee", isStaff: false, roles: ["member"])
        let cases: [(DocentEvent, DeskFacts, Int64, DeskRefusalKind, String)] = [
            (.duty(space: "gyeongbokgung", on: true), citizen, Self.at(10), .forbidden, "served by the city's staff"),
            (.duty(space: "seoul-plaza", on: true), Self.staff, Self.at(10), .unknownTarget, "posts: deoksugung, gyeongbokgung"),
            // Before opening, on a Saturday, on a holiday: the next opening named.
            (.duty(space: "gyeongbokgung", on: true), Self.staff, Self.at(8, 59), .deskClosed, "opens at 2026-11-23 09:00 KST"),
            (.duty(space: "gyeongbokgung", on: true), Self.staff, Self.at(10, day: "2026-11-28"), .deskClosed, "opens at 2026-11-30 09:00 KST"),
            (.duty(space: "gyeongbokgung", on: true), Self.staff, Self.at(10, day: "2026-12-25"), .deskClosed, "opens at 2026-12-28 09:00 KST"),
            (.duty(space: "", on: false), Self.staff, Self.at(10), .unknownTarget, "not on duty"),
        ]
        for (event, facts, now, kind, words) in cases {
            let out = roster.handle(event, facts: facts, nowMillis: now)
            guard out.count == 1, case .refuse(let k, let text) = out[0] else {
                Issue.record("\(event) at \(now): \(out)")
                continue
            }
            #expect(k == kind && text.contains(words), "\(text)")
            #expect(roster.onDuty.isEmpty)
        }
    }

    @Test func leavingDisconnectingAndClosingEndDutyOnceWithTheTimeServed() {
        var roster = Self.roster()
        let lee = DeskFacts(account: "lee", isStaff: true, roles: ["staff"])
        let park = DeskFacts(account: "park", isStaff: true, roles: ["staff"])
        _ = roster.handle(.duty(space: "gyeongbokgung", on: true), facts: Self.staff, nowMillis: Self.at(9))
        _ = roster.handle(.duty(space: "deoksugung", on: true), facts: lee, nowMillis: Self.at(9))
        _ = roster.handle(.duty(space: "deoksugung", on: true), facts: park, nowMillis: Self.at(9))
        // Leaving another space is not leaving the post.
        #expect(roster.handle(.leftSpace(account: "kim", space: "city-hall"), facts: nil, nowMillis: Self.at(10)).isEmpty)
        let left = roster.handle(.leftSpace(account: "kim", space: "gyeongbokgung"), facts: nil, nowMillis: Self.at(10))
        #expect(left == [.record(service: "landmark-docents", kind: "off-duty", account: "kim", durationMillis: 3_600_000, space: "gyeongbokgung"),
                         .badge(account: "kim", space: nil), .told(account: "kim", text: "you left Gyeongbokgung: you are off duty as its docent")])
        #expect(roster.handle(.disconnected(account: "lee"), facts: nil, nowMillis: Self.at(11)) ==
                [.record(service: "landmark-docents", kind: "off-duty", account: "lee", durationMillis: 2 * 3_600_000, space: "deoksugung"),
                 .badge(account: "lee", space: nil)])
        #expect(roster.handle(.disconnected(account: "lee"), facts: nil, nowMillis: Self.at(11)).isEmpty, "once")
        #expect(roster.handle(.second, facts: nil, nowMillis: Self.at(17, 59)).isEmpty)
        let closing = roster.handle(.second, facts: nil, nowMillis: Self.at(18))
        #expect(closing == [.record(service: "landmark-docents", kind: "off-duty", account: "park", durationMillis: 9 * 3_600_000, space: "deoksugung"),
                            .badge(account: "park", space: nil),
                            .told(account: "park", text: "the docent post at Deoksugung has closed; it opens at 2026-11-24 09:00 KST: you are off duty")])
        #expect(roster.onDuty.isEmpty)
    }
}
