// What a client written from docs/PROTOCOL.md alone expects, pinned where the document and the
// server once disagreed (issue 22): entering the space or room one is in, an invitation list
// of a length the server does not allow, the error before a shutdown's close, and a mute
// announced once however the audit trail is read back.

import Transport
import Foundation
import NetProto
import Services
import Store
import Testing
import WorldClient
import WorldCore
@testable import WorldServer

@Suite(.serialized, .timeLimit(.minutes(10))) struct ConformanceTests {
    /// Section 8, code 11: entering the space one is in is refused and changes nothing; entering
    /// another space travels there (the world map); the same for a room and `enterRoom`.
    @Test func enteringWhereYouAlreadyAreIsRefusedAndAnotherSpaceIsTravel() throws {
        let running = try RunningServer()
        defer { running.stop() }
        let loop = try UVLoop()
        defer { loop.closeAll() }
        let clients = try RoomsServerTests.connect(loop, running, [("walker", [.member])])
        let walker = clients[0]
        let entity = try #require(walker.entity)
        let again = walker.enter("seoul-plaza")
        drive(loop, clients, seconds: 5) { walker.errors.contains { $0.requestID == again } }
        #expect(walker.errors.last?.code == .alreadyInSpace)
        drive(loop, clients, seconds: 0.3)
        #expect(walker.space == "seoul-plaza" && walker.entity == entity, "still there, with the same avatar")
        #expect(running.server.inspect { $0.world("seoul-plaza")!.population } == 1)
        // Another space: travel, one avatar throughout.
        let travel = walker.enter("city-hall")
        drive(loop, clients, seconds: 5) { walker.space == "city-hall" }
        #expect(walker.space == "city-hall" && !walker.errors.contains { $0.requestID == travel })
        #expect(running.server.inspect { ($0.world("seoul-plaza")!.population, $0.world("city-hall")!.population) } == (0, 1))
        // A room: enterRoom of the room one is in gets 11 too.
        let opening = walker.openRoom(template: "conference-room", title: "회의", access: .open)
        drive(loop, clients, seconds: 5) { walker.space?.hasPrefix("room-") == true }
        let room = try #require(walker.roomsOpened[opening])
        let twice = walker.enterRoom(room.roomID)
        drive(loop, clients, seconds: 5) { walker.errors.contains { $0.requestID == twice } }
        #expect(walker.errors.last?.code == .alreadyInSpace && walker.space == room.spaceID)
    }

    /// Sections 4.1 and 7.9: an invitation list of 0 or 33 accounts is well-formed; the server
    /// refuses it with 28 (invalidText) and the connection stays open.
    @Test func anInvitationListOfTheWrongLengthIsRefusedWithoutClosing() throws {
        let running = try RunningServer()
        defer { running.stop() }
        let loop = try UVLoop()
        defer { loop.closeAll() }
        let clients = try RoomsServerTests.connect(loop, running, [("host", [.member])])
        let host = clients[0]
        for count in [0, 33] {
            let request = host.openRoom(template: "conference-room", title: "초대", access: .invited((0..<count).map { "citizen-\($0)" }))
            drive(loop, clients, seconds: 5) { host.errors.contains { $0.requestID == request } || host.closed }
            #expect(host.errors.last?.requestID == request && host.errors.last?.code == .invalidText, "\(count) invited")
            #expect(!host.closed && host.space == "seoul-plaza")
        }
        // And the connection still serves: a list of 32 opens the room.
        let fine = host.openRoom(template: "conference-room", title: "초대", access: .invited((0..<32).map { "citizen-\($0)" }))
        drive(loop, clients, seconds: 5) { host.roomsOpened[fine] != nil }
        #expect(host.roomsOpened[fine] != nil)
    }

    /// Section 7.1: every close by the server is preceded by an error; a shutdown sends its
    /// notice (0x47), then error 16, then closes.
    @Test func aShutdownEndsWithErrorSixteen() throws {
        let running = try RunningServer()
        let loop = try UVLoop()
        defer { loop.closeAll() }
        let client = try WorldClient(loop: loop, server: running.address, credentials: .guest(displayName: "guest-1"))
        drive(loop, [client], seconds: 10) { client.welcome != nil }
        running.server.requestStop()
        drive(loop, [client], seconds: 5) { client.closed }
        running.stop()
        #expect(client.shutdownNotice != nil)
        #expect(client.closed && client.errors.last?.code == .shuttingDown, "\(client.errors.map(\.code))")
    }

    /// An action the server took itself never comes back to it through the audit trail: a
    /// member muted and unmuted by staff hears each once, however many polls of the trail pass;
    /// so does one muted by the server for flooding. An operator's mute from the command line,
    /// written elsewhere, still arrives through the trail (once).
    @Test func aMuteIsAnnouncedOnceAndTheTrailCarriesOnlyWhatWasDecidedElsewhere() throws {
        let (running, loop, clients, path) = try ChatServerTests.start(["officer", "member", "flooder", "quiet"], staff: ["officer"]) {
            $0.chatRateRules.burst = 1
            $0.chatRateRules.refillMillisPerMessage = 60_000
            $0.chatRateRules.strikesToMute = 1
        }
        defer { running.stop(); loop.closeAll() }
        let (officer, member, flooder, quiet) = (clients[0], clients[1], clients[2], clients[3])
        let muted = officer.staff(.mute, .account("member"), seconds: 600, reason: "insults")
        drive(loop, clients, seconds: 5) { officer.done.contains(muted) }
        let unmuted = officer.staff(.unmute, .account("member"), reason: "apologised")
        drive(loop, clients, seconds: 5) { officer.done.contains(unmuted) }
        // The server mutes the flooder itself: one message passes, the second is refused.
        flooder.chat(.room, "one")
        flooder.chat(.room, "two")
        drive(loop, clients, seconds: 5) { flooder.notices.contains { $0.kind == .muted } }
        // More than two polls of the trail (every 2 s).
        drive(loop, clients, seconds: Double(ModerationSubsystem.auditPollMillis) * 2.5 / 1_000)
        #expect(member.notices.map(\.kind) == [.muted, .unmuted], "\(member.notices.map(\.text))")
        #expect(flooder.notices.map(\.kind) == [.muted], "\(flooder.notices.map(\.text))")
        let speak = member.chat(.room, "sorry")
        drive(loop, clients, seconds: 5) { member.errors.contains { $0.requestID == speak } || member.chatAnswers.contains { $0.requestID == speak } }
        #expect(member.chatAnswers.contains { $0.requestID == speak }, "the member may chat again: \(member.errors.map(\.text))")
        // The rows carry the run that wrote them; the operator's command writes none.
        let (status, output) = try ChatServerTests.seoulworld(["moderation", "mute", "quiet", "--for", "10m", "--reason", "off-topic", "--actor", "test", "--data", path])
        #expect(status == 0, "\(output)")
        drive(loop, clients, seconds: 5) { !quiet.notices.isEmpty }
        drive(loop, clients, seconds: Double(ModerationSubsystem.auditPollMillis) * 1.5 / 1_000)
        #expect(quiet.notices.map(\.kind) == [.muted])
        let trail = try Store(path: path, access: .operatorTool).auditEntries()
        #expect(trail.first { $0.targetAccount == "quiet" }?.runID == nil)
        let own = trail.filter { $0.targetAccount == "member" || $0.targetAccount == "flooder" }
        #expect(own.count >= 3 && own.allSatisfy { $0.runID != nil }, "the staff mute, unmute and the flood mute carry the run: \(own)")
    }
}
