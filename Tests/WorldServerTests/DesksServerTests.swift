// The service desks through a live server: duty, queues with positions and estimates, the
// 1:1 room and the way back, opening hours on the server's injected clock, holds for a
// disconnected citizen, a staff disconnect, field queues.

import Transport
import Foundation
import NetProto
import ServiceFiles
import Services
import Testing
import WorldClient
import WorldCore
@testable import WorldServer

/// A wall clock a test moves by hand.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int64
    init(_ value: Int64) { self.value = value }
    var now: Int64 { lock.withLock { value } }
    func advance(_ millis: Int64) { lock.withLock { value += millis } }
}

@Suite(.serialized, .timeLimit(.minutes(10))) struct DesksServerTests {
    static let services = Shipped.worlds.deletingLastPathComponent().appendingPathComponent("services").path
    /// Monday 23 November 2026, 10:00 in Seoul.
    static let mondayMorning = LocalDate("2026-11-23")!.day * 86_400_000 - OpeningHours.seoulOffsetMillis + 10 * 3_600_000

    static func start(clock: TestClock, hold: Int64 = 60_000) throws -> RunningServer {
        try RunningServer {
            $0.desks = try! DeskCatalog.load(directory: services)
            $0.deskRules.holdMillis = hold
            $0.clock.wallMillis = { clock.now }
        }
    }

    static func client(_ loop: UVLoop, _ running: RunningServer, _ account: String, roles: MemberToken.Roles = [.member],
                       space: String? = "civil-complaint-centre-120") throws -> WorldClient {
        // The server reads its tokens' expiry on its own clock, which these tests set to days
        // around Christmas 2026: a token valid for a year covers them.
        let token = MemberToken(accountID: account, displayName: account, roles: roles,
                                expiresAtUnixSeconds: UInt64(Date().timeIntervalSince1970) + 365 * 86_400).signed(secret: Shipped.secret)
        let c = try WorldClient(loop: loop, server: running.address, credentials: .member(token: token))
        drive(loop, [c], seconds: 10) { c.welcome != nil }
        if let space {
            c.enter(space)
            drive(loop, [c], seconds: 10) { c.space == space }
        }
        return c
    }

    @Test func citizensQueueInOrderAndGoIntoARoomWithTheCounsellorAndBack() throws {
        let clock = TestClock(Self.mondayMorning)
        let running = try Self.start(clock: clock)
        defer { running.stop() }
        let loop = try UVLoop()
        defer { loop.closeAll() }
        let staff = try Self.client(loop, running, "counsellor", roles: [.member, .staff], space: "city-hall")
        let citizens = try ["c1", "c2", "c3"].map { try Self.client(loop, running, $0) }
        let all = [staff] + citizens
        let duty = staff.deskDuty("counselling-120")
        drive(loop, all, seconds: 5) { staff.done.contains(duty) && staff.space == "civil-complaint-centre-120" }
        #expect(staff.space == "civil-complaint-centre-120", "on duty, the counsellor stands at the desk")
        let listing = citizens[0].listDesks()
        drive(loop, all, seconds: 5) { citizens[0].deskLists[listing] != nil }
        let c120 = try #require(citizens[0].deskLists[listing]?.first { $0.desk == "counselling-120" })
        #expect(c120.open && c120.serving == 1 && c120.waiting == 0, "the desk shows how many serve")
        #expect(citizens[0].deskLists[listing]?.first { $0.desk == "business-support" }?.serving == 0)
        // One after the other, so that the order of arrival is the order here.
        for c in citizens {
            c.joinQueue("counselling-120")
            drive(loop, all, seconds: 5) { !c.queueStandings.isEmpty }
        }
        drive(loop, all, seconds: 10) { citizens.map { $0.queueStandings.last?.position } == [1, 2, 3] }
        // One counsellor, no session ended yet: ten minutes a session.
        #expect(citizens.map { $0.queueStandings.last!.position } == [1, 2, 3])
        #expect(citizens.map { $0.queueStandings.last!.estimateSeconds } == [600, 1_200, 1_800])
        let twice = citizens[0].joinQueue("tax-counselling")
        drive(loop, all, seconds: 5) { citizens[0].errors.contains { $0.requestID == twice } }
        #expect(citizens[0].errors.last?.code == .limitReached, "one queue at a time")
        let before = citizens[0].queueStandings.count
        staff.takeNext("counselling-120")
        drive(loop, all, seconds: 5) { staff.space?.hasPrefix("room-") == true && citizens[0].space == staff.space }
        #expect(citizens[0].queueEnds.last?.reason == .served)
        #expect(staff.sessionsStarted.last?.counterpart == "c1" && citizens[0].sessionsStarted.last?.counterpart == "counsellor")
        #expect(citizens[0].queueStandings.count == before, "no standing after being served")
        drive(loop, all, seconds: 10) { citizens[1].queueStandings.last?.position == 1 && citizens[2].queueStandings.last?.position == 2 }
        #expect(citizens[1].queueStandings.last?.position == 1 && citizens[2].queueStandings.last?.position == 2, "positions pushed at once")
        // The session: twelve minutes on the desk's clock; then both go back.
        clock.advance(12 * 60_000)
        let end = citizens[0].endSession()
        drive(loop, all, seconds: 5) { citizens[0].done.contains(end) && citizens[0].space == "civil-complaint-centre-120" && staff.space == "civil-complaint-centre-120" }
        #expect(citizens[0].space == "civil-complaint-centre-120" && staff.space == "civil-complaint-centre-120")
        #expect(staff.sessionsEnded.count == 1)
        drive(loop, all, seconds: 10) { citizens[2].queueStandings.last?.estimateSeconds == 1_440 }
        // The estimate now uses the session that ended: 12 minutes.
        #expect(citizens[2].queueStandings.last?.estimateSeconds == 1_440)
        #expect(running.server.inspect { $0.rooms.rooms.isEmpty }, "the session's room closed at once")
    }

    @Test func openingHoursWithHolidaysOnTheServersClock() throws {
        // Friday 25 December 2026 (Christmas), 11:00.
        let clock = TestClock(LocalDate("2026-12-25")!.day * 86_400_000 - OpeningHours.seoulOffsetMillis + 11 * 3_600_000)
        let running = try Self.start(clock: clock)
        defer { running.stop() }
        let loop = try UVLoop()
        defer { loop.closeAll() }
        let c = try Self.client(loop, running, "early")
        let r = c.joinQueue("counselling-120")
        drive(loop, [c], seconds: 5) { c.errors.contains { $0.requestID == r } }
        #expect(c.errors.last?.code == .deskClosed && c.errors.last?.text.contains("2026-12-28 09:00 KST") == true, "\(c.errors.last?.text ?? "")")
        // Youth mentoring is open at all hours, for mentees.
        let y = c.joinQueue("youth-mentoring")
        drive(loop, [c], seconds: 5) { c.errors.contains { $0.requestID == y } }
        #expect(c.errors.last?.code == .forbidden)
        // Monday 28 December, 17:59: open; at 18:00 the queue closes and those waiting are told.
        clock.advance(3 * 86_400_000 + 6 * 3_600_000 + 59 * 60_000)
        let ok = c.joinQueue("counselling-120")
        drive(loop, [c], seconds: 5) { c.done.contains(ok) }
        clock.advance(60_000)
        drive(loop, [c], seconds: 3) { !c.queueEnds.isEmpty }
        #expect(c.queueEnds.last?.reason == .closed && c.queueEnds.last?.text.contains("2026-12-29 09:00 KST") == true)
    }

    @Test func aDisconnectedCitizenKeepsThePlaceForTheHoldThenIsSkipped() throws {
        let clock = TestClock(Self.mondayMorning)
        let running = try Self.start(clock: clock)
        defer { running.stop() }
        let loop = try UVLoop()
        defer { loop.closeAll() }
        let first = try Self.client(loop, running, "first")
        let second = try Self.client(loop, running, "second")
        first.joinQueue("counselling-120")
        drive(loop, [first, second], seconds: 5) { !first.queueStandings.isEmpty }
        second.joinQueue("counselling-120")
        drive(loop, [first, second], seconds: 5) { !second.queueStandings.isEmpty }
        first.close()
        // The server must have seen the hang-up before its clock moves on: the hold starts then.
        drive(loop, [second], seconds: 10) { running.server.inspect { $0.sessions.count } == 1 }
        try #require(running.server.inspect { $0.sessions.count } == 1)
        clock.advance(30_000)
        // Back within the minute: first in line still.
        let back = try Self.client(loop, running, "first", space: nil)
        drive(loop, [back, second], seconds: 5) { !back.queueStandings.isEmpty }
        #expect(back.queueStandings.last?.position == 1 && second.queueStandings.last?.position == 2)
        // Away again, for longer than the minute: skipped, and the second moves up.
        back.close()
        drive(loop, [second], seconds: 10) { running.server.inspect { $0.sessions.count } == 1 }
        try #require(running.server.inspect { $0.sessions.count } == 1)
        clock.advance(61_000)
        drive(loop, [second], seconds: 3) { second.queueStandings.last?.position == 1 }
        #expect(second.queueStandings.last?.position == 1)
    }

    /// No room can be opened for a session (the server holds its most rooms): the citizen stays
    /// first in line and the counsellor stays on duty, as the desk list says.
    @Test func aSessionWithoutARoomKeepsTheCounsellorOnDuty() throws {
        let clock = TestClock(Self.mondayMorning)
        let running = try RunningServer {
            $0.desks = try! DeskCatalog.load(directory: Self.services)
            $0.clock.wallMillis = { clock.now }
            $0.roomRules.roomsMax = 0
        }
        defer { running.stop() }
        let loop = try UVLoop()
        defer { loop.closeAll() }
        let staff = try Self.client(loop, running, "counsellor", roles: [.member, .staff], space: "city-hall")
        let citizen = try Self.client(loop, running, "c1")
        let all = [staff, citizen]
        let duty = staff.deskDuty("counselling-120")
        drive(loop, all, seconds: 5) { staff.done.contains(duty) }
        citizen.joinQueue("counselling-120")
        drive(loop, all, seconds: 5) { !citizen.queueStandings.isEmpty }
        let take = staff.takeNext("counselling-120")
        drive(loop, all, seconds: 5) { staff.errors.contains { $0.requestID == take } }
        #expect(staff.errors.last?.code == .limitReached)
        let listing = citizen.listDesks()
        drive(loop, all, seconds: 5) { citizen.deskLists[listing] != nil }
        let desk = try #require(citizen.deskLists[listing]?.first { $0.desk == "counselling-120" })
        #expect(desk.serving == 1 && desk.waiting == 1, "the counsellor is still on duty: \(desk)")
        #expect(citizen.queueStandings.last?.position == 1 && citizen.queueStandings.last?.estimateSeconds != WireProtocol.unknownEstimate)
    }

    @Test func aStaffDisconnectPutsTheCitizenFirstAgainAndExpertsServeTheirField() throws {
        let clock = TestClock(Self.mondayMorning)
        let running = try Self.start(clock: clock)
        defer { running.stop() }
        let loop = try UVLoop()
        defer { loop.closeAll() }
        let lawyer = try Self.client(loop, running, "lawyer", roles: [.member, .staff], space: "business-support-center")
        let taxA = try Self.client(loop, running, "tax-a", space: "business-support-center")
        let legalB = try Self.client(loop, running, "legal-b", space: "business-support-center")
        let all = [lawyer, taxA, legalB]
        let noField = taxA.joinQueue("business-support")
        drive(loop, all, seconds: 5) { taxA.errors.contains { $0.requestID == noField } }
        #expect(taxA.errors.last?.code == .invalidText && taxA.errors.last?.text.contains("choose a field") == true)
        taxA.joinQueue("business-support", field: "tax-accounting")
        legalB.joinQueue("business-support", field: "legal")
        drive(loop, all, seconds: 5) { !taxA.queueStandings.isEmpty && !legalB.queueStandings.isEmpty }
        lawyer.deskDuty("business-support", field: "legal")
        drive(loop, all, seconds: 10) { lawyer.done.count == 1 && legalB.queueStandings.last?.estimateSeconds == 600 }
        #expect(legalB.queueStandings.last?.position == 1 && legalB.queueStandings.last?.estimateSeconds == 600)
        #expect(taxA.queueStandings.last?.estimateSeconds == WireProtocol.unknownEstimate, "no tax expert on duty")
        lawyer.takeNext("business-support")
        drive(loop, all, seconds: 5) { legalB.space?.hasPrefix("room-") == true && lawyer.space == legalB.space }
        #expect(lawyer.sessionsStarted.last?.field == "legal" && legalB.space == lawyer.space)
        // The lawyer's connection drops: the citizen is back on the floor, first in line.
        lawyer.close()
        drive(loop, [taxA, legalB], seconds: 5) { legalB.space == "business-support-center" && legalB.queueStandings.last?.position == 1 }
        #expect(legalB.sessionsEnded.count == 1 && legalB.queueStandings.last?.position == 1)
        #expect(running.server.inspect { $0.desks.waiting(of: "legal-b")?.desk.id } == "business-support")
    }
}
