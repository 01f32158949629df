// Rooms through a live server: opened from a template and entered, access and capacity, the
// return to the spot a member came from, and a room closing once empty.

import Transport
import Foundation
import NetProto
import Recording
import Services
import Testing
import WorldClient
import WorldCore
@testable import WorldServer

@Suite(.serialized, .timeLimit(.minutes(10))) struct RoomsServerTests {
    static func token(_ account: String, roles: MemberToken.Roles = [.member]) -> [UInt8] {
        MemberToken(accountID: account, displayName: account, roles: roles, expiresAtUnixSeconds: UInt64(Date().timeIntervalSince1970) + 3_600)
            .signed(secret: Shipped.secret)
    }

    static func connect(_ loop: UVLoop, _ running: RunningServer, _ who: [(String, MemberToken.Roles)], into space: String = "seoul-plaza") throws -> [WorldClient] {
        let clients = try who.map { try WorldClient(loop: loop, server: running.address, credentials: $0.0.hasPrefix("guest") ? .guest(displayName: $0.0) : .member(token: token($0.0, roles: $0.1))) }
        drive(loop, clients, seconds: 10) { clients.allSatisfy { $0.welcome != nil } }
        for c in clients { c.enter(space) }
        drive(loop, clients, seconds: 10) { clients.allSatisfy { $0.space == space } }
        return clients
    }

    @Test func openEnterAndComeBackToWhereYouStood() throws {
        let running = try RunningServer()
        defer { running.stop() }
        let loop = try UVLoop()
        defer { loop.closeAll() }
        let clients = try Self.connect(loop, running, [("host", [.member]), ("friend", [.member]), ("third", [.member]), ("guest-1", [])])
        let (host, friend, third, guest) = (clients[0], clients[1], clients[2], clients[3])
        let before = running.server.inspect { server in server.world("seoul-plaza")!.avatars.first { SnapshotFeed.entity($0.id) == host.entity! }!.position }
        let opening = host.openRoom(template: "counselling-room", title: "상담", access: .open)
        drive(loop, clients, seconds: 5) { host.space?.hasPrefix("room-") == true }
        let room = try #require(host.roomsOpened[opening])
        #expect(host.space == room.spaceID)
        // Listed for everyone, guests included; a guest may not enter.
        let listing = guest.listRooms()
        let refused = guest.enterRoom(room.roomID)
        drive(loop, clients, seconds: 5) { guest.roomLists[listing] != nil && guest.errors.contains { $0.requestID == refused } }
        #expect(guest.roomLists[listing]?.rooms.map(\.roomID) == [room.roomID])
        #expect(guest.roomLists[listing]?.rooms.first == RoomEntry(roomID: room.roomID, template: "counselling-room", title: "상담", population: 1, capacity: 2))
        #expect(guest.errors.last?.code == .guestNotAllowed)
        // Capacity 2: the friend enters, the third is refused with spaceFull.
        friend.enterRoom(room.roomID)
        drive(loop, clients, seconds: 5) { friend.space == room.spaceID }
        let full = third.enterRoom(room.roomID)
        drive(loop, clients, seconds: 5) { third.errors.contains { $0.requestID == full } }
        #expect(third.errors.last?.code == .spaceFull && third.space == "seoul-plaza")
        // enterSpace cannot go around the room's rule.
        let sneak = third.enter(room.spaceID)
        drive(loop, clients, seconds: 5) { third.errors.contains { $0.requestID == sneak } }
        #expect(third.errors.last?.code == .unknownSpace)
        // Chat in the room reaches the room only.
        host.chat(.room, "둘만의 이야기")
        drive(loop, clients, seconds: 5) { !friend.chatReceived.isEmpty }
        drive(loop, clients, seconds: 0.3)
        #expect(friend.chatReceived.map(\.text) == ["둘만의 이야기"] && third.chatReceived.isEmpty)
        // Leaving: back on the plaza, where the host stood (or the nearest free spot).
        host.leave()
        drive(loop, clients, seconds: 5) { host.space == "seoul-plaza" }
        let after = running.server.inspect { server in server.world("seoul-plaza")!.avatars.first { SnapshotFeed.entity($0.id) == host.entity! }!.position }
        #expect(after.distanceSquared(to: before) <= 200 * 200, "back within 2 m of the spot left: \(before) -> \(after)")
    }

    @Test func accessRulesAndTheMentoringRoles() throws {
        let running = try RunningServer()
        defer { running.stop() }
        let loop = try UVLoop()
        defer { loop.closeAll() }
        let clients = try Self.connect(loop, running, [("owner", [.member]), ("invitee", [.member]), ("stranger", [.member]),
                                                       ("mentor", [.member, .mentor]), ("mentee", [.member, .mentee])])
        let (owner, invitee, stranger, mentor, mentee) = (clients[0], clients[1], clients[2], clients[3], clients[4])
        let a = owner.openRoom(template: "conference-room", title: "Invited only", access: .invited(["invitee"]))
        drive(loop, clients, seconds: 5) { owner.roomsOpened[a] != nil && owner.space?.hasPrefix("room-") == true }
        let invitedRoom = try #require(owner.roomsOpened[a]).roomID
        let no = stranger.enterRoom(invitedRoom)
        invitee.enterRoom(invitedRoom)
        drive(loop, clients, seconds: 5) { stranger.errors.contains { $0.requestID == no } && invitee.space == owner.space }
        #expect(stranger.errors.last?.code == .roomAccessDenied && stranger.errors.last?.text.contains("invited") == true)
        // One room per owner.
        let second = owner.openRoom(template: "conference-room", title: "Another")
        drive(loop, clients, seconds: 5) { owner.errors.contains { $0.requestID == second } }
        #expect(owner.errors.last?.code == .limitReached)
        // Youth mentoring admits mentors and mentees only, to open and to enter.
        let plain = stranger.openRoom(template: "youth-mentoring-forest", title: "숲")
        drive(loop, clients, seconds: 5) { stranger.errors.contains { $0.requestID == plain } }
        #expect(stranger.errors.last?.code == .roomAccessDenied)
        let m = mentor.openRoom(template: "youth-mentoring-forest", title: "숲 멘토링", access: .code("7777"))
        drive(loop, clients, seconds: 5) { mentor.roomsOpened[m] != nil && mentor.space?.hasPrefix("room-") == true }
        let forest = try #require(mentor.roomsOpened[m]).roomID
        let wrongCode = mentee.enterRoom(forest, code: "1234")
        drive(loop, clients, seconds: 5) { mentee.errors.contains { $0.requestID == wrongCode } }
        #expect(mentee.errors.last?.code == .roomAccessDenied)
        mentee.enterRoom(forest, code: "7777")
        let adult = invitee.enterRoom(forest, code: "7777")
        drive(loop, clients, seconds: 5) { mentee.space == mentor.space && invitee.errors.contains { $0.requestID == adult } }
        #expect(invitee.errors.last?.code == .roomAccessDenied && invitee.errors.last?.text.contains("mentor") == true)
    }

    @Test func anEmptyRoomClosesAndItsIdNamesNothing() throws {
        let running = try RunningServer { $0.roomRules.emptyCloseMillis = 500 }
        defer { running.stop() }
        let loop = try UVLoop()
        defer { loop.closeAll() }
        let clients = try Self.connect(loop, running, [("host", [.member]), ("late", [.member])])
        let (host, late) = (clients[0], clients[1])
        let opening = host.openRoom(template: "conference-room", title: "Brief meeting")
        drive(loop, clients, seconds: 5) { host.space?.hasPrefix("room-") == true }
        let room = try #require(host.roomsOpened[opening])
        host.leave()
        drive(loop, clients, seconds: 5) { host.space == "seoul-plaza" }
        // Empty: within the half second plus the once-a-second check, it is gone.
        drive(loop, clients, seconds: 3) { running.server.inspect { $0.host.spaces[room.spaceID] == nil } }
        #expect(running.server.inspect { $0.host.spaces[room.spaceID] == nil && !$0.host.spaceOrder.contains(room.spaceID) })
        let tooLate = late.enterRoom(room.roomID)
        let listing = late.listRooms()
        drive(loop, clients, seconds: 5) { late.errors.contains { $0.requestID == tooLate } && late.roomLists[listing] != nil }
        #expect(late.errors.last?.code == .unknownSpace && late.roomLists[listing]?.total == 0)
        // The owner may open another now.
        let again = host.openRoom(template: "conference-room", title: "Second meeting")
        drive(loop, clients, seconds: 5) { host.roomsOpened[again] != nil }
        #expect(host.roomsOpened[again]!.roomID == room.roomID + 1)
    }
}

extension RoomsServerTests {
    /// A recording server records a room's world too, and the return to the plaza (an entry
    /// with a return spot) replays exactly in the plaza's file.
    @Test func roomsAndReturnsAreRecordedAndReplayExactly() throws {
        let directory = NSTemporaryDirectory() + "seoulworld-rooms-rec-\(UUID().uuidString)"
        let running = try RunningServer { $0.recording = RecorderSettings(directory: directory, serverVersion: Server.version) }
        let loop = try UVLoop()
        defer { loop.closeAll() }
        let clients = try Self.connect(loop, running, [("host", [.member]), ("visitor", [.member])])
        let (host, other) = (clients[0], clients[1])
        let opening = host.openRoom(template: "conference-room", title: "Recorded")
        drive(loop, clients, seconds: 5) { host.space?.hasPrefix("room-") == true }
        let room = try #require(host.roomsOpened[opening])
        other.enterRoom(room.roomID)
        drive(loop, clients, seconds: 5) { other.space == room.spaceID }
        try #require(other.space == room.spaceID)
        host.move(.go(heading: 16_384, pace: 1))
        drive(loop, clients, seconds: 1.5)
        host.leave()
        other.leave()
        drive(loop, clients, seconds: 5) { host.space == "seoul-plaza" && other.space == "seoul-plaza" }
        try #require(host.space == "seoul-plaza" && other.space == "seoul-plaza")
        drive(loop, clients, seconds: 0.5)
        let paths = running.server.inspect { $0.recordingPaths }
        running.stop()
        let roomFile = try #require(paths.first { $0.contains("/\(room.spaceID).") })
        for path in [roomFile, try #require(paths.first { $0.contains("/seoul-plaza.") })] {
            let file = try RecordingFile(path: path)
            #expect(file.damage == nil && file.header.formatVersion == RecordingFormat.version)
            var replayer = try Replayer(file: file)
            let summary = replayer.run(to: nil, speed: nil, clock: { 0 }, sleep: { _ in })
            #expect(summary.divergence == nil, "\(path): \(summary.divergence?.description ?? "")")
            #expect(summary.entered == (path == roomFile ? 2 : 4), "\(path): \(summary.entered) entries (two in the room; in the plaza two and two returns)")
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}
