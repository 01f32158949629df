import Testing
import ServiceFiles
@testable import Services

@Suite struct OpeningHoursTests {
    /// Unix milliseconds of a Seoul local time.
    static func seoul(_ date: String, _ hour: Int64, _ minute: Int64 = 0) -> Int64 {
        LocalDate(date)!.day * 86_400_000 - OpeningHours.seoulOffsetMillis + (hour * 60 + minute) * 60_000
    }

    @Test func aSeoulDateAndTimeReadsAsTheInstant() {
        #expect(OpeningHours.unixMillis(seoulDateTime: "2026-11-23 10:00") == Self.seoul("2026-11-23", 10))
        #expect(OpeningHours.unixMillis(seoulDateTime: "2026-11-23 17:59") == Self.seoul("2026-11-23", 17, 59))
        // 00:30 in Seoul is still the day before in UTC.
        #expect(OpeningHours.unixMillis(seoulDateTime: "2027-01-01 00:30") == 1_798_731_000_000)
        for bad in ["2026-11-23", "2026-11-23 24:00", "2026-11-23 9:00", "2026-02-30 10:00", "10:00 2026-11-23", "2026-11-23 10:00 KST"] {
            #expect(OpeningHours.unixMillis(seoulDateTime: bad) == nil, "\(bad)")
        }
    }

    let hours = OpeningHours(rule: .weekdays(openMinute: 9 * 60, closeMinute: 18 * 60),
                             holidays: [LocalDate("2026-12-25")!, LocalDate("2027-01-01")!])

    @Test func datesAndWeekdays() {
        #expect(LocalDate("1970-01-01")!.day == 0 && LocalDate("1970-01-01")!.weekday == 3) // Thursday
        #expect(LocalDate("2026-11-23")!.weekday == 0) // Monday
        #expect(LocalDate("2026-02-29") == nil && LocalDate("2028-02-29") != nil && LocalDate("2026-13-01") == nil && LocalDate("26-1-1") == nil)
        #expect(LocalDate("2027-12-27")!.description == "2027-12-27")
        // 00:30 in Seoul is still the previous day in UTC.
        #expect(OpeningHours.localDate(Self.seoul("2026-11-23", 0, 30)) == LocalDate("2026-11-23"))
    }

    @Test func weekdaysNineToSixClosedOnHolidaysAndWeekends() {
        #expect(!hours.isOpen(atUnixMillis: Self.seoul("2026-11-23", 8, 59)))
        #expect(hours.isOpen(atUnixMillis: Self.seoul("2026-11-23", 9)))
        #expect(hours.isOpen(atUnixMillis: Self.seoul("2026-11-23", 17, 59)))
        #expect(!hours.isOpen(atUnixMillis: Self.seoul("2026-11-23", 18)))
        #expect(!hours.isOpen(atUnixMillis: Self.seoul("2026-11-28", 12)), "Saturday")
        #expect(!hours.isOpen(atUnixMillis: Self.seoul("2026-12-25", 12)), "Christmas, a Friday")
        #expect(hours.closing(afterUnixMillis: Self.seoul("2026-11-23", 10)) == Self.seoul("2026-11-23", 18))
    }

    @Test func theNextOpeningSkipsWeekendsAndHolidays() {
        // Thursday 24 December 2026, 18:30: Friday is Christmas, then a weekend: Monday 09:00.
        #expect(hours.nextOpening(atOrAfterUnixMillis: Self.seoul("2026-12-24", 18, 30)) == Self.seoul("2026-12-28", 9))
        // Thursday 31 December, evening: New Year's Day is a Friday: Monday 4 January 2027.
        #expect(hours.nextOpening(atOrAfterUnixMillis: Self.seoul("2026-12-31", 20)) == Self.seoul("2027-01-04", 9))
        #expect(OpeningHours.describe(Self.seoul("2027-01-04", 9)) == "2027-01-04 09:00 KST")
        let always = OpeningHours(rule: .always, holidays: [])
        #expect(always.isOpen(atUnixMillis: Self.seoul("2026-12-25", 3)) && always.closing(afterUnixMillis: 0) == nil)
    }
}

@Suite struct HolidaysFileTests {
    static let path = Paths.repository.appendingPathComponent("services/holidays.json").path

    @Test func theShippedFileLoadsAndClosesTheDesksOnItsDays() throws {
        let holidays = try Holidays.load(path: Self.path)
        #expect(holidays.count == 40)
        #expect(holidays.allSatisfy { $0.date >= LocalDate("2026-01-01")! && $0.date <= LocalDate("2027-12-31")! })
        let hours = OpeningHours(rule: .weekdays(openMinute: 540, closeMinute: 1_080), holidays: Set(holidays.map(\.date)))
        // Chuseok 2026 (Thursday 24 to Saturday 26 September): open again Monday 28 at 09:00.
        #expect(hours.nextOpening(atOrAfterUnixMillis: OpeningHoursTests.seoul("2026-09-23", 18)) == OpeningHoursTests.seoul("2026-09-28", 9))
        // The substitute day for Hangul Day 2027 (a Saturday) is Monday 11 October.
        #expect(!hours.isOpen(atUnixMillis: OpeningHoursTests.seoul("2027-10-11", 10)))
    }

    @Test func aBadFileIsRefusedWithWhere() {
        let bad = Holidays.File(timeZone: "Asia/Seoul", sources: ["x"], holidays: [
            .init(date: "2026-03-02", name: .init(ko: "a", en: "a")), .init(date: "2026-03-01", name: .init(ko: "b", en: "b")),
        ])
        #expect(throws: Holidays.LoadError.self) { try Holidays.check(bad, path: "h.json") }
        let worse = Holidays.File(timeZone: "UTC", sources: ["x"], holidays: [])
        #expect(throws: Holidays.LoadError.self) { try Holidays.check(worse, path: "h.json") }
    }
}

@Suite struct SeoulTimeTextTests {
    @Test func describesToTheSecondWhenAsked() {
        let t = OpeningHoursTests.seoul("2026-11-23", 6, 10) + 54_000
        #expect(OpeningHours.describe(t) == "2026-11-23 06:10 KST")
        #expect(OpeningHours.describe(t, seconds: true) == "2026-11-23 06:10:54 KST")
    }
}
