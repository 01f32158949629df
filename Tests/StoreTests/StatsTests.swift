// The usage statistics on hand-made visits, whose right answers are worked out here by hand,
// and once through the database to the same answers.

import Foundation
import PostgresScratch
import Testing
@testable import Store

@Suite struct StatsTests {
    static let seoul = TimeZone(identifier: "Asia/Seoul")!
    static let hour: Int64 = 3_600_000
    static let day: Int64 = 86_400_000
    /// 2026-11-16 00:00 in Seoul (a Monday) is 2026-11-15 15:00 UTC.
    static let monday: Int64 = 1_794_754_800_000

    @Test func periodsFollowTheLocalCalendar() {
        #expect(UsageStats.localDateTime(Self.monday, offset: 9 * Self.hour) == "2026-11-16 00:00:00")
        let days = UsageStats.boundaries(from: Self.monday, to: Self.monday + 3 * Self.day, period: .day, timeZone: Self.seoul)
        #expect(days == [Self.monday, Self.monday + Self.day, Self.monday + 2 * Self.day, Self.monday + 3 * Self.day])
        // From a Wednesday, weeks break at the next Monday; the first period is cut to the range.
        let weeks = UsageStats.boundaries(from: Self.monday + 2 * Self.day, to: Self.monday + 16 * Self.day, period: .week, timeZone: Self.seoul)
        #expect(weeks == [Self.monday + 2 * Self.day, Self.monday + 7 * Self.day, Self.monday + 14 * Self.day, Self.monday + 16 * Self.day])
        let months = UsageStats.boundaries(from: Self.monday, to: Self.monday + 40 * Self.day, period: .month, timeZone: Self.seoul)
        #expect(months.count == 3)
        #expect(UsageStats.localDate(months[1], offset: 9 * Self.hour) == "2026-12-01")
    }

    @Test func countsLengthsPeaksAndTheBusiestHourAreExact() {
        let t0 = Self.monday + 10 * Self.hour // 10:00 local
        let m: Int64 = 60_000
        let visits = [
            VisitInterval(space: "seoul-plaza", account: "a", enteredMillis: t0, leftMillis: t0 + 30 * m),
            VisitInterval(space: "seoul-plaza", account: "a", enteredMillis: t0 + 40 * m, leftMillis: t0 + 50 * m),
            VisitInterval(space: "seoul-plaza", account: "b", enteredMillis: t0 + 10 * m, leftMillis: t0 + 20 * m),
            VisitInterval(space: "seoul-plaza", account: nil, enteredMillis: t0 + 15 * m, leftMillis: t0 + 25 * m),
            // Leaves at the instant the next enters: a traveller, never two at once.
            VisitInterval(space: "city-hall", account: "c", enteredMillis: t0, leftMillis: t0 + 60 * m),
            VisitInterval(space: "city-hall", account: "d", enteredMillis: t0 + 60 * m, leftMillis: t0 + 120 * m),
            // The next day, and still open: it ends "now".
            VisitInterval(space: "city-hall", account: nil, enteredMillis: t0 + Self.day, leftMillis: nil),
        ]
        let request = StatsRequest(fromMillis: Self.monday, toMillis: Self.monday + 2 * Self.day, period: .day, spaceID: nil, timeZone: Self.seoul,
                                   nowMillis: t0 + Self.day + 90 * m)
        let (rows, presence) = UsageStats.compute(visits: visits, request: request)
        let plaza = rows.first { $0.space == "seoul-plaza" && $0.period == "2026-11-16" }!
        #expect(plaza.visits == 4)
        #expect(plaza.uniqueMembers == 2)
        #expect(plaza.guestVisits == 1)
        #expect(plaza.visitorHours == 1) // 30 + 10 + 10 + 10 minutes
        #expect(plaza.medianVisitSeconds == 600)
        #expect(abs(plaza.p90VisitSeconds - (600 + 0.7 * 1_200)) < 1e-9) // between 10 and 30 minutes, by interpolation
        #expect(plaza.peakConcurrent == 3) // 10:15 to 10:20: a, b and the guest
        #expect(plaza.peakAt == "2026-11-16 10:15:00")
        #expect(plaza.busiestHour == 10)
        let hall = rows.first { $0.space == "city-hall" && $0.period == "2026-11-16" }!
        #expect(hall.peakConcurrent == 1)
        #expect(hall.busiestHour == 10 || hall.busiestHour == 11)
        let hallNext = rows.first { $0.space == "city-hall" && $0.period == "2026-11-17" }!
        #expect(hallNext.visits == 1)
        #expect(hallNext.medianVisitSeconds == 90 * 60)
        let all = rows.first { $0.space == UsageStats.allSpaces && $0.period == "2026-11-16" }!
        #expect(all.visits == 6)
        #expect(all.uniqueMembers == 4)
        #expect(all.peakConcurrent == 4) // the three on the plaza and c in City Hall
        // Presence by hour: 3.5 visitor-hours in City Hall over two days, 1 at 10:00, 1 at 11:00, 1.5 next day.
        #expect(abs((presence["city-hall"]![10] * 2) - 2) < 1e-9)
        #expect(abs((presence["city-hall"]![11] * 2) - 1.5) < 1e-9)
    }

    @Test func aVisitAcrossMidnightPeaksInBothDays() {
        let late = Self.monday + 23 * Self.hour
        let visits = [VisitInterval(space: "han-river", account: "x", enteredMillis: late, leftMillis: late + 2 * Self.hour)]
        let request = StatsRequest(fromMillis: Self.monday, toMillis: Self.monday + 2 * Self.day, period: .day, spaceID: "han-river", timeZone: Self.seoul,
                                   nowMillis: Self.monday + 3 * Self.day)
        let rows = UsageStats.compute(visits: visits, request: request).rows
        #expect(rows.map(\.visits) == [1, 0])
        #expect(rows.map(\.peakConcurrent) == [1, 1])
        #expect(rows[1].peakAt == "2026-11-17 00:00:00")
        #expect(rows.map(\.busiestHour) == [23, 0])
    }

    @Test func theDatabaseGivesTheSameReport() throws {
        let path = temporaryDirectory() + "/records.sqlite"
        let store = try Store(path: path)
        let t0 = Self.monday + 12 * Self.hour
        var finished: [FinishedVisit] = []
        for i in 0..<200 {
            let o = VisitOpening(visitID: 0, runID: 0, sessionID: UInt64(i), accountID: i % 3 == 0 ? nil : "m\(i % 17)", role: i % 3 == 0 ? 0 : 1,
                                 spaceID: ["seoul-plaza", "city-hall"][i % 2], enteredAtMillis: t0 + Int64(i) * 60_000)
            finished.append(FinishedVisit(opening: o, leftAtMillis: o.enteredAtMillis + Int64(i % 7 + 1) * 300_000, reason: .leave))
        }
        try store.importVisits(finished, serverVersion: "test")
        let request = StatsRequest(fromMillis: Self.monday, toMillis: Self.monday + Self.day, period: .day, spaceID: nil, timeZone: Self.seoul,
                                   nowMillis: Self.monday + 2 * Self.day)
        let report = try store.stats(request)
        let expected = UsageStats.compute(visits: finished.map { VisitInterval(space: $0.opening.spaceID, account: $0.opening.accountID,
                                                                              enteredMillis: $0.opening.enteredAtMillis, leftMillis: $0.leftAtMillis) },
                                          request: request).rows
        #expect(report.spaces == expected)
        #expect(report.spaces.first { $0.space == UsageStats.allSpaces }?.visits == 200)
        #expect(report.lastDay == "2026-11-16")
        let svg = StatsChart.svg(report)
        #expect(svg.hasPrefix("<svg") && svg.contains("seoul-plaza (100)") && svg.contains("city-hall (100)"))
    }

    /// Visits to a space's overflow instances (`seoul-plaza#2`, docs/CLUSTER.md) count as visits
    /// to the space, on both backends, and a space whose id only begins like it does not.
    @Test func overflowInstancesCountAsTheirSpaceOnBothBackends() throws {
        let store = try Store(path: temporaryDirectory() + "/records.sqlite")
        let t0 = Self.monday + 12 * Self.hour
        let spaces = ["seoul-plaza", "seoul-plaza#2", "seoul-plaza#3", "seoul-plaza-east", "city-hall"]
        let finished = spaces.enumerated().map { i, space in
            let o = VisitOpening(visitID: 0, runID: 0, sessionID: UInt64(i + 1), accountID: "m\(i)", role: 1, spaceID: space, enteredAtMillis: t0 + Int64(i) * 60_000)
            return FinishedVisit(opening: o, leftAtMillis: o.enteredAtMillis + 600_000, reason: .leave)
        }
        try store.importVisits(finished, serverVersion: "test")
        let postgres = try PostgresStore(location: try scratch().database(), access: .server)
        _ = try StoreCopy.copy(from: store, to: postgres, replacing: false, nowMillis: t0 + Self.day)
        for backend in [store, postgres] as [any StoreReading] {
            let plaza = try backend.stats(StatsRequest(fromMillis: Self.monday, toMillis: Self.monday + Self.day, period: .day, spaceID: "seoul-plaza",
                                                       timeZone: Self.seoul, nowMillis: Self.monday + 2 * Self.day))
            #expect(plaza.spaces.first { $0.space == "seoul-plaza" }?.visits == 3, "\(backend.name): \(plaza.spaces.map { "\($0.space) \($0.visits)" })")
            #expect(plaza.spaces.allSatisfy { $0.space == "seoul-plaza" || $0.space == UsageStats.allSpaces })
            let all = try backend.stats(StatsRequest(fromMillis: Self.monday, toMillis: Self.monday + Self.day, period: .day, spaceID: nil,
                                                     timeZone: Self.seoul, nowMillis: Self.monday + 2 * Self.day))
            #expect(Set(all.spaces.map(\.space)) == ["seoul-plaza", "seoul-plaza-east", "city-hall", UsageStats.allSpaces], "\(backend.name)")
        }
    }
}

extension StatsTests {
    /// A desk's day worked out by hand: four citizens joined; three were served after waits of
    /// 1, 2 and 9 minutes; one left; sessions of 4 and 6 minutes ended; a counsellor was on duty
    /// for 2 hours and another for 30 minutes.
    @Test func aDesksDayByHand() {
        let t = Self.monday + 10 * 3_600_000
        func e(_ kind: String, _ minutes: Int64?, _ service: String = "counselling-120") -> UsageStats.EventRow {
            UsageStats.EventRow(service: service, kind: kind, atMillis: t, durationMillis: minutes.map { $0 * 60_000 }, outcome: nil)
        }
        let events = [e("joined", nil), e("joined", nil), e("joined", nil), e("joined", nil), e("served", 1), e("served", 2), e("served", 9),
                      e("abandoned", 3), e("ended", 4), e("ended", 6), e("on-duty", nil), e("off-duty", 120), e("off-duty", 30),
                      e("filed", nil, "bug-report")]
        let request = StatsRequest(fromMillis: Self.monday, toMillis: Self.monday + Self.day, period: .day, spaceID: nil, timeZone: Self.seoul,
                                   nowMillis: Self.monday + Self.day)
        let rows = UsageStats.computeDesks(events: events, request: request)
        #expect(rows.map(\.desk) == ["counselling-120"], "a bug report is not a desk")
        let d = rows[0]
        #expect(d.joined == 4 && d.served == 3)
        #expect(d.medianWaitSeconds == 120 && d.medianSessionSeconds == 300)
        #expect(d.abandonmentShare == 0.25 && d.staffHoursOnDuty == 2.5)
        #expect(d.p90WaitSeconds.map { $0 > 120 && $0 <= 540 } == true)
    }
}
