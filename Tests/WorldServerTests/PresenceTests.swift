// Presence alone (Presence.swift): every transition, and the races the server has met, without
// a socket or a world.

import Testing
import WorldCore
@testable import WorldServer

@Suite struct PresenceTests {
    static let a1 = AvatarID(slot: 1, generation: 1)
    static let a2 = AvatarID(slot: 2, generation: 1)
    static let here = Spot(floor: 0, position: Vec2(1_000, 2_000))

    /// A session placed in `space` (a public space unless `room`).
    static func present(in space: String, avatar: AvatarID = a1, room: Bool = false) -> Presence {
        var p = Presence()
        _ = p.enter(space, request: 1, to: room ? .room : .publicSpace)
        _ = p.placed(in: space, avatar: avatar)
        return p
    }

    @Test func enterIsPlacedOrRefused() {
        var p = Presence()
        #expect(p.enter("plaza", request: 7, to: .publicSpace) == [.requestPlace(space: "plaza", near: nil)])
        #expect(p.state == .entering(space: "plaza", request: 7, room: false) && p.spaceID == nil && p.avatar == nil)
        #expect(p.placed(in: "plaza", avatar: Self.a1) == [.entered(space: "plaza", avatar: Self.a1, room: false, request: 7)])
        #expect(p.spaceID == "plaza" && p.avatar == Self.a1)
        var q = Presence()
        _ = q.enter("plaza", request: 8, to: .publicSpace)
        #expect(q.refused(in: "plaza", .worldFull) == [.refuse(.noPlace(.worldFull), space: "plaza", request: 8)])
        #expect(q.state == .nowhere)
        #expect(q.refused(in: "plaza", .worldFull) == [], "a refusal for nothing pending does nothing")
    }

    @Test func travelTakesTheAvatarOutInTheSameStepAndForgetsTheReturnSpot() {
        var p = Self.present(in: "plaza")
        #expect(p.enter("city-hall", request: 2, to: .publicSpace)
            == [.takeOut(space: "plaza", avatar: Self.a1, room: false, reason: .travel), .requestPlace(space: "city-hall", near: nil)])
        #expect(p.avatar == nil, "never two avatars")
        #expect(p.enter("plaza", request: 3, to: .publicSpace) == [.refuse(.pending, space: "plaza", request: 3)], "one entry at a time")
    }

    @Test func theSpaceOneIsInIsRefusedButADeskMovesWithinIt() {
        var p = Self.present(in: "centre")
        #expect(p.enter("centre", request: 4, to: .publicSpace) == [.refuse(.alreadyThere, space: "centre", request: 4)])
        #expect(p.avatar == Self.a1, "nothing changed")
        let desk = Spot(floor: 0, position: Vec2(0, 0))
        #expect(p.enter("centre", request: 5, to: .desk, near: desk)
            == [.takeOut(space: "centre", avatar: Self.a1, room: false, reason: .travel), .requestPlace(space: "centre", near: desk)])
    }

    /// A citizen back after a dropped connection takes over the avatar its old session gave up,
    /// and in a room the way back to where it came from goes with it.
    @Test func anAvatarHandedOverKeepsItsRoomAndTheWayBack() {
        var old = Self.present(in: "plaza")
        _ = old.enter("room-1", request: 2, to: .room, standing: Self.here)
        _ = old.placed(in: "room-1", avatar: Self.a2)
        let held = old.handOverAvatar()
        #expect(held == Presence.HeldAvatar(space: "room-1", avatar: Self.a2, room: true, originSpace: "plaza", originSpot: Self.here))
        #expect(old.state == .nowhere && old.origin == nil && old.handOverAvatar() == nil, "given up once")
        var new = Presence()
        #expect(new.adopt(held!, request: 9) == [.entered(space: "room-1", avatar: Self.a2, room: true, request: 9)])
        #expect(new.inRoom && new.origin?.spaceID == "plaza" && new.origin?.spot == Self.here)
        #expect(new.leave(.leave) == [.takeOut(space: "room-1", avatar: Self.a2, room: true, reason: .leave)])
        #expect(new.returnToOrigin(request: 10) == [.requestPlace(space: "plaza", near: Self.here)], "back where it came from")
        // In a public space there is no way back to carry; and a session somewhere adopts nothing.
        var plain = Self.present(in: "plaza")
        #expect(plain.handOverAvatar() == Presence.HeldAvatar(space: "plaza", avatar: Self.a1, room: false, originSpace: nil, originSpot: nil))
        var busy = Self.present(in: "city-hall")
        #expect(busy.adopt(held!, request: 11) == [] && busy.spaceID == "city-hall")
    }

    @Test func aRoomRemembersTheSpotLeftAndTheReturnGoesThere() {
        var p = Self.present(in: "plaza")
        _ = p.enter("room-1", request: 2, to: .room, standing: Self.here)
        _ = p.placed(in: "room-1", avatar: Self.a2)
        #expect(p.inRoom && p.origin?.spaceID == "plaza" && p.origin?.spot == Self.here)
        // Room to room keeps the spot; a spot in a room is never remembered.
        _ = p.enter("room-2", request: 3, to: .room, standing: Spot(floor: 0, position: Vec2(5, 5)))
        _ = p.placed(in: "room-2", avatar: Self.a1)
        #expect(p.origin?.spaceID == "plaza" && p.origin?.spot == Self.here)
        #expect(p.leave(.leave) == [.takeOut(space: "room-2", avatar: Self.a1, room: true, reason: .leave)])
        #expect(p.returnToOrigin(request: 9) == [.requestPlace(space: "plaza", near: Self.here)])
        #expect(p.origin == nil && p.state == .entering(space: "plaza", request: 9, room: false))
        #expect(p.returnToOrigin(request: 10) == [], "nowhere to go back to twice")
    }

    @Test func travelToAPublicSpaceOrADeskForgetsTheReturnSpot() {
        for destination in [Presence.Destination.publicSpace, .desk] {
            var p = Self.present(in: "plaza")
            _ = p.enter("room-1", request: 2, to: .room, standing: Self.here)
            _ = p.placed(in: "room-1", avatar: Self.a2)
            _ = p.enter("city-hall", request: 3, to: destination)
            #expect(p.origin == nil, "\(destination)")
        }
    }

    /// The race of commit 65daf97: an entry is answered after the session was sent elsewhere (a
    /// desk took it into a room): the late placement is a stray, taken out again.
    @Test func aPlacementForAnEntryReplacedMeanwhileIsAStray() {
        var p = Presence()
        _ = p.enter("plaza", request: 1, to: .publicSpace)
        #expect(p.enter("room-5", request: 0, to: .room, overriding: true) == [.requestPlace(space: "room-5", near: nil)])
        #expect(p.placed(in: "plaza", avatar: Self.a1) == [.removeStray(space: "plaza", avatar: Self.a1)])
        #expect(p.placed(in: "room-5", avatar: Self.a2) == [.entered(space: "room-5", avatar: Self.a2, room: true, request: 0)])
        #expect(p.avatar == Self.a2)
    }

    /// A kick (or a disconnect) during an entry: nothing to take out now; the placement, when it
    /// comes, is a stray.
    @Test func aDisconnectDuringAnEntryLeavesNothingBehind() {
        var p = Self.present(in: "plaza")
        _ = p.enter("room-1", request: 2, to: .room, standing: Self.here)
        #expect(p.disconnected(.kicked) == [])
        #expect(p.state == .nowhere && p.origin == nil)
        #expect(p.placed(in: "room-1", avatar: Self.a2) == [.removeStray(space: "room-1", avatar: Self.a2)])
        var q = Self.present(in: "plaza")
        #expect(q.disconnected(.kicked) == [.takeOut(space: "plaza", avatar: Self.a1, room: false, reason: .kicked)])
    }

    @Test func aRoomClosingBeforeItPlacesTheSessionRefusesTheEntry() {
        var p = Presence()
        _ = p.enter("room-3", request: 4, to: .room)
        #expect(p.closed("room-2") == [], "another space")
        #expect(p.closed("room-3") == [.refuse(.spaceGone, space: "room-3", request: 4)] && p.state == .nowhere)
    }

    @Test func spectatorsWatchWithoutAnAvatar() {
        var p = Presence()
        #expect(p.watch("plaza", request: 1) == [.watch(space: "plaza", request: 1)])
        #expect(p.spaceID == "plaza" && p.avatar == nil)
        #expect(p.watch("hall", request: 2) == [.stopWatching(space: "plaza"), .watch(space: "hall", request: 2)])
        #expect(p.leave(.leave) == [.stopWatching(space: "hall")] && p.spaceID == nil)
    }
}
