import Testing
import WorldCore
@testable import Services

/// The desks' machine, directly: every event's effects, in order, without a server or a socket.
@Suite struct DeskBoardTests {
    static let monday10 = OpeningHours.unixMillis(seoulDateTime: "2026-11-23 10:00")!
    static let weekdays = OpeningHours(rule: .weekdays(openMinute: 540, closeMinute: 1_080), holidays: [])

    static func desk(_ id: String, staffRole: String = "staff", citizenRoles: [String] = [], fields: [String] = [], hours: OpeningHours = weekdays) -> Desk {
        Desk(id: id, ko: id, en: "The \(id) desk", space: "city-hall", point: "p-\(id)", staffRole: staffRole, citizenRoles: citizenRoles,
             roomTemplate: "counselling-room", hours: hours, queueMax: 3, fields: fields.map { DeskField(id: $0, ko: $0, en: $0, experts: 1) },
             file: "\(id).json")
    }

    static func board() -> DeskBoard {
        DeskBoard(desks: [(desk("tax"), Spot(floor: 0, position: Vec2(100, 200))), (desk("mentor", staffRole: "mentor", citizenRoles: ["youth"]), Spot(floor: 0, position: Vec2(0, 0)))],
                  rules: DeskRules())
    }

    static let staff = DeskFacts(account: "kim", isStaff: true, roles: ["staff"])
    static func member(_ account: String, roles: [String] = []) -> DeskFacts { DeskFacts(account: account, isStaff: false, roles: roles) }

    /// Staff on duty at "tax", and `citizens` queued there in order.
    static func queued(_ citizens: [String]) -> DeskBoard {
        var b = board()
        _ = b.handle(.duty(desk: "tax", on: true, field: nil), facts: staff, nowMillis: monday10)
        for (i, c) in citizens.enumerated() { _ = b.handle(.join(desk: "tax", field: nil), facts: member(c), nowMillis: monday10 + Int64(i)) }
        return b
    }

    /// Staff took the first citizen into room 7.
    static func inSession(_ citizens: [String]) -> DeskBoard {
        var b = queued(citizens)
        _ = b.handle(.takeNext(desk: "tax"), facts: staff, nowMillis: monday10 + 60_000)
        _ = b.handle(.sessionRoomOpened(desk: "tax", staff: "kim", roomID: 7), facts: nil, nowMillis: monday10 + 60_000)
        return b
    }

    @Test func dutyIsForStaffOrTheDesksMentorsAndStandsThemAtTheDesk() {
        var b = Self.board()
        #expect(b.handle(.duty(desk: "tax", on: true, field: nil), facts: Self.member("lee", roles: ["mentor"]), nowMillis: Self.monday10)
                == [.refuse(.forbidden, "this desk is served by staff")])
        #expect(b.handle(.duty(desk: "nowhere", on: true, field: nil), facts: Self.staff, nowMillis: Self.monday10)
                == [.refuse(.unknownTarget, "no desk 'nowhere'; desks: mentor, tax")])
        #expect(b.handle(.duty(desk: "mentor", on: true, field: nil), facts: Self.member("lee", roles: ["mentor"]), nowMillis: Self.monday10)
                == [.record(desk: "mentor", kind: "on-duty", account: "lee", durationMillis: nil, outcome: nil), .done,
                    .standAtDesk(space: "city-hall", spot: Spot(floor: 0, position: Vec2(0, 0)))])
        let on = b.handle(.duty(desk: "tax", on: true, field: nil), facts: Self.staff, nowMillis: Self.monday10)
        #expect(on == [.record(desk: "tax", kind: "on-duty", account: "kim", durationMillis: nil, outcome: nil), .done,
                       .standAtDesk(space: "city-hall", spot: Spot(floor: 0, position: Vec2(100, 200)))])
        // Again: no second record, but standing at the desk again.
        #expect(b.handle(.duty(desk: "tax", on: true, field: nil), facts: Self.staff, nowMillis: Self.monday10 + 5).first == .done)
        #expect(b.handle(.duty(desk: "tax", on: false, field: nil), facts: Self.staff, nowMillis: Self.monday10 + 90_000)
                == [.record(desk: "tax", kind: "off-duty", account: "kim", durationMillis: 90_000, outcome: nil), .done])
    }

    @Test func joiningChecksRolesOneQueueAtATimeAndTheHours() {
        var b = Self.queued([])
        #expect(b.handle(.join(desk: "mentor", field: nil), facts: Self.member("park"), nowMillis: Self.monday10) == [.refuse(.forbidden, "this desk serves youth only")])
        let joined = b.handle(.join(desk: "tax", field: nil), facts: Self.member("park"), nowMillis: Self.monday10)
        // One on duty, first in line: about one median session (the default ten minutes).
        #expect(joined == [.record(desk: "tax", kind: "joined", account: "park", durationMillis: nil, outcome: nil), .done,
                           .standing(account: "park", desk: "tax", position: 1, estimateMillis: 600_000)])
        #expect(b.handle(.join(desk: "mentor", field: nil), facts: Self.member("park", roles: ["youth"]), nowMillis: Self.monday10)
                == [.refuse(.limitReached, "you are already waiting at 'tax'; one queue at a time")])
        #expect(b.handle(.join(desk: "tax", field: nil), facts: Self.member("park"), nowMillis: Self.monday10)
                == [.refuse(.limitReached, "you are already waiting at 'tax'; one queue at a time")])
        let evening = OpeningHours.unixMillis(seoulDateTime: "2026-11-23 18:00")!
        #expect(b.handle(.join(desk: "tax", field: nil), facts: Self.member("choi"), nowMillis: evening)
                == [.refuse(.deskClosed, "The tax desk is closed now; it opens at \(OpeningHours.describe(OpeningHours.unixMillis(seoulDateTime: "2026-11-24 09:00")!))")])
        _ = b.handle(.join(desk: "tax", field: nil), facts: Self.member("b"), nowMillis: Self.monday10)
        _ = b.handle(.join(desk: "tax", field: nil), facts: Self.member("c"), nowMillis: Self.monday10)
        #expect(b.handle(.join(desk: "tax", field: nil), facts: Self.member("d"), nowMillis: Self.monday10)
                == [.refuse(.limitReached, "the queue is full (3 waiting); try again later")])
        // Leaving: recorded with the wait, told, answered, and the ones behind move up.
        #expect(b.handle(.leave(desk: "tax"), facts: Self.member("park"), nowMillis: Self.monday10 + 30_000)
                == [.record(desk: "tax", kind: "abandoned", account: "park", durationMillis: 30_000, outcome: nil),
                    .queueEnded(account: "park", desk: "tax", reason: .left, text: "you left the queue"), .done,
                    .standing(account: "b", desk: "tax", position: 1, estimateMillis: 600_000),
                    .standing(account: "c", desk: "tax", position: 2, estimateMillis: 1_200_000)])
        #expect(b.handle(.leave(desk: "tax"), facts: Self.member("park"), nowMillis: Self.monday10) == [.refuse(.unknownTarget, "you are not waiting at 'tax'")])
    }

    @Test func takingTheNextAsksForARoomAndStartsTheSessionWhenItIsOpen() {
        var b = Self.queued(["ann", "bob"])
        #expect(b.handle(.takeNext(desk: "tax"), facts: Self.member("ann"), nowMillis: Self.monday10) == [.refuse(.forbidden, "go on duty at this desk first")])
        let took = b.handle(.takeNext(desk: "tax"), facts: Self.staff, nowMillis: Self.monday10 + 60_000)
        #expect(took == [.record(desk: "tax", kind: "served", account: "ann", durationMillis: 60_000, outcome: nil),
                         .openSessionRoom(desk: "tax", staff: "kim", citizen: "ann", template: "counselling-room", title: "The tax desk"),
                         .standing(account: "bob", desk: "tax", position: 1, estimateMillis: 600_000)])
        #expect(b.handle(.sessionRoomOpened(desk: "tax", staff: "kim", roomID: 7), facts: nil, nowMillis: Self.monday10 + 60_000)
                == [.sessionStarted(desk: "tax", roomID: 7, staff: "kim", citizen: "ann", field: "")])
        #expect(b.session(inRoom: 7)?.session.citizen == "ann" && b.session(of: "kim")?.session.roomID == 7)
        #expect(b.handle(.takeNext(desk: "tax"), facts: Self.staff, nowMillis: Self.monday10) == [.refuse(.unknownTarget, "finish your current session first")])
        // In a session, a citizen may not queue elsewhere.
        #expect(b.handle(.join(desk: "mentor", field: nil), facts: Self.member("ann", roles: ["youth"]), nowMillis: Self.monday10)
                == [.refuse(.limitReached, "you are in a session at 'tax'; end it before you queue again")])
    }

    @Test func aSessionThatCannotBeginPutsTheCitizenBackOrLetsThemGo() {
        var b = Self.queued(["ann", "bob"])
        _ = b.handle(.takeNext(desk: "tax"), facts: Self.staff, nowMillis: Self.monday10 + 60_000)
        #expect(b.handle(.sessionRoomRefused(desk: "tax", staff: "kim", citizenGone: false), facts: nil, nowMillis: Self.monday10 + 60_000)
                == [.refuse(.limitReached, "no room could be opened for the session just now; the citizen stays first in line"),
                    .standing(account: "ann", desk: "tax", position: 1, estimateMillis: 600_000),
                    .standing(account: "bob", desk: "tax", position: 2, estimateMillis: 1_200_000)])
        #expect(b["tax"]?.queue.waiting.map(\.account) == ["ann", "bob"] && b["tax"]?.queue.onDuty["kim"] != nil)
        _ = b.handle(.takeNext(desk: "tax"), facts: Self.staff, nowMillis: Self.monday10 + 61_000)
        #expect(b.handle(.sessionRoomRefused(desk: "tax", staff: "kim", citizenGone: true), facts: nil, nowMillis: Self.monday10 + 61_000)
                == [.refuse(.unknownTarget, "the citizen left just now; take the next")]) // bob's standing is as he was told
        // A session that never began does not count for the estimates (it used to, as a session of 0 ms).
        #expect(b["tax"]?.queue.waiting.map(\.account) == ["bob"] && b["tax"]?.queue.sessions.isEmpty == true)
        #expect(b["tax"]?.queue.recentSessionMillis.isEmpty == true)
    }

    @Test func endingASessionTellsBothClosesTheRoomAndAnswersTheOneWhoEndedIt() {
        var b = Self.inSession(["ann"])
        #expect(b.handle(.end, facts: Self.member("bob"), nowMillis: Self.monday10) == [.refuse(.unknownTarget, "you are in no desk session")])
        #expect(b.handle(.end, facts: Self.member("ann"), nowMillis: Self.monday10 + 360_000)
                == [.record(desk: "tax", kind: "ended", account: "ann", durationMillis: 300_000, outcome: nil),
                    .sessionOver(account: "kim", desk: "tax", roomID: 7, text: "the session has ended"),
                    .sessionOver(account: "ann", desk: "tax", roomID: 7, text: "you ended the session"),
                    .closeRoom(roomID: 7), .done])
        #expect(b.session(inRoom: 7) == nil && b["tax"]?.queue.medianSessionMillis == 300_000)
    }

    @Test func onlyAPartyLeavingTheRoomEndsTheSession() {
        var b = Self.inSession(["ann"])
        #expect(b.handle(.leftSessionRoom(roomID: 7, account: "visiting-staff"), facts: nil, nowMillis: Self.monday10).isEmpty)
        #expect(b.handle(.leftSessionRoom(roomID: 7, account: "kim"), facts: nil, nowMillis: Self.monday10 + 120_000)
                == [.record(desk: "tax", kind: "ended", account: "ann", durationMillis: 60_000, outcome: nil),
                    .notice(account: "kim", desk: "tax", roomID: 7, text: "you left the session's room: the session has ended"),
                    .sessionOver(account: "kim", desk: "tax", roomID: 7, text: "the session has ended"),
                    .sessionOver(account: "ann", desk: "tax", roomID: 7, text: "the session has ended"),
                    .closeRoom(roomID: 7)])
    }

    @Test func aDisconnectedCitizenIsHeldForTheMinuteThenSkipped() {
        var b = Self.queued(["ann", "bob"])
        #expect(b.handle(.disconnected(account: "ann"), facts: nil, nowMillis: Self.monday10).isEmpty)
        #expect(b.handle(.second, facts: nil, nowMillis: Self.monday10 + 59_999).isEmpty)
        // Passed over meanwhile: bob is taken first.
        let took = b.handle(.takeNext(desk: "tax"), facts: Self.staff, nowMillis: Self.monday10 + 30_000)
        #expect(took.contains(.openSessionRoom(desk: "tax", staff: "kim", citizen: "bob", template: "counselling-room", title: "The tax desk")))
        _ = b.handle(.sessionRoomRefused(desk: "tax", staff: "kim", citizenGone: true), facts: nil, nowMillis: Self.monday10 + 30_000)
        #expect(b.handle(.second, facts: nil, nowMillis: Self.monday10 + 60_000)
                == [.record(desk: "tax", kind: "skipped", account: "ann", durationMillis: 60_000, outcome: nil),
                    .queueEnded(account: "ann", desk: "tax", reason: .skipped, text: "you were away for more than a minute; join again")])
        // Back in time: the place resumes and is told again.
        var c = Self.queued(["ann", "bob"])
        _ = c.handle(.disconnected(account: "ann"), facts: nil, nowMillis: Self.monday10)
        #expect(c.handle(.reconnected(account: "ann"), facts: nil, nowMillis: Self.monday10 + 10_000)
                == [.standing(account: "ann", desk: "tax", position: 1, estimateMillis: 600_000)])
    }

    @Test func aCounsellorsDisconnectPutsTheCitizenFirstAgainEvenOffDuty() {
        for offDutyFirst in [false, true] {
            var b = Self.inSession(["ann", "bob"])
            if offDutyFirst { _ = b.handle(.duty(desk: "tax", on: false, field: nil), facts: Self.staff, nowMillis: Self.monday10 + 70_000) }
            let effects = b.handle(.disconnected(account: "kim"), facts: nil, nowMillis: Self.monday10 + 120_000)
            #expect(Array(effects.prefix(3)) == [.record(desk: "tax", kind: "requeued", account: "ann", durationMillis: nil, outcome: nil),
                                                 .sessionOver(account: "ann", desk: "tax", roomID: 7, text: "the counsellor was disconnected: you are first in line again"),
                                                 .closeRoom(roomID: 7)], "off duty first: \(offDutyFirst)")
            #expect(effects.contains(.record(desk: "tax", kind: "off-duty", account: "kim", durationMillis: 120_000, outcome: nil)) == !offDutyFirst)
            #expect(b["tax"]?.queue.waiting.map(\.account) == ["ann", "bob"] && b.session(inRoom: 7) == nil)
            // Nobody on duty now: no estimate.
            #expect(effects.suffix(2) == [.standing(account: "ann", desk: "tax", position: 1, estimateMillis: nil),
                                          .standing(account: "bob", desk: "tax", position: 2, estimateMillis: nil)])
        }
    }

    @Test func aCitizensDisconnectEndsTheirSession() {
        var b = Self.inSession(["ann"])
        #expect(b.handle(.disconnected(account: "ann"), facts: nil, nowMillis: Self.monday10 + 90_000)
                == [.record(desk: "tax", kind: "ended", account: "ann", durationMillis: 30_000, outcome: nil),
                    .sessionOver(account: "kim", desk: "tax", roomID: 7, text: "the session has ended"),
                    .sessionOver(account: "ann", desk: "tax", roomID: 7, text: "the session has ended"),
                    .closeRoom(roomID: 7)])
    }

    @Test func closingTimeLetsTheQueueGoAndSessionsGoOn() {
        var b = Self.inSession(["ann", "bob", "cy"])
        let six = OpeningHours.unixMillis(seoulDateTime: "2026-11-23 18:00")!
        let tomorrow = OpeningHours.describe(OpeningHours.unixMillis(seoulDateTime: "2026-11-24 09:00")!)
        #expect(b.handle(.second, facts: nil, nowMillis: six - 1).isEmpty)
        #expect(b.handle(.second, facts: nil, nowMillis: six)
                == [.record(desk: "tax", kind: "closed", account: "bob", durationMillis: six - Self.monday10 - 1, outcome: nil),
                    .queueEnded(account: "bob", desk: "tax", reason: .closed, text: "The tax desk has closed for today. It opens again at \(tomorrow)."),
                    .record(desk: "tax", kind: "closed", account: "cy", durationMillis: six - Self.monday10 - 2, outcome: nil),
                    .queueEnded(account: "cy", desk: "tax", reason: .closed, text: "The tax desk has closed for today. It opens again at \(tomorrow).")])
        #expect(b.session(inRoom: 7)?.session.citizen == "ann")
    }

    @Test func fieldsAreChosenAndServedByTheirOwnStaff() {
        var b = DeskBoard(desks: [(Self.desk("biz", fields: ["law", "tax"]), Spot(floor: 0, position: Vec2(0, 0)))], rules: DeskRules())
        #expect(b.handle(.join(desk: "biz", field: nil), facts: Self.member("ann"), nowMillis: Self.monday10) == [.refuse(.invalidText, "choose a field: law, tax")])
        #expect(b.handle(.duty(desk: "biz", on: true, field: "art"), facts: Self.staff, nowMillis: Self.monday10) == [.refuse(.invalidText, "this desk has no field 'art'")])
        _ = b.handle(.duty(desk: "biz", on: true, field: "law"), facts: Self.staff, nowMillis: Self.monday10)
        _ = b.handle(.join(desk: "biz", field: "tax"), facts: Self.member("ann"), nowMillis: Self.monday10)
        _ = b.handle(.join(desk: "biz", field: "law"), facts: Self.member("bob"), nowMillis: Self.monday10)
        #expect(b.handle(.takeNext(desk: "biz"), facts: Self.staff, nowMillis: Self.monday10).contains(
            .openSessionRoom(desk: "biz", staff: "kim", citizen: "bob", template: "counselling-room", title: "The biz desk")))
    }
}
