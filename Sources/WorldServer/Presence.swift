// Where one session is in the world, as a state machine (issue 23): the one owner of "which
// space, which avatar, which entry is pending, where a room's leaver goes back to". Pure: its
// methods take an event and return the actions the server carries out (take an avatar out, ask
// a space for a place, tell the client); it does no I/O and reads no clock.
//
//                  enter(B)                           placed(B, avatar)
//   nowhere ─────────────────▶ entering(B, request) ─────────────────────▶ present(B, avatar)
//      ▲  ▲                       │ refused(B), closed(B)                      │
//      │  └───────────────────────┘ leave (the placement, when it comes, is    │
//      │                            taken out again: a stray)                  │
//      └───────────────────────────────────────────────────────────────────────┘
//                 leave, disconnect (the avatar taken out, its visit closed)
//
//   present(A) ── enter(B) ──▶ entering(B): travel; the avatar in A is taken out in the same
//   tick, so a session never has two avatars (placed answers for anything but the pending
//   entry are strays).
//   watching(A): a spectator of a recording, with a camera and no avatar.
//   present(A) ── handOverAvatar ──▶ nowhere, and in another session nowhere ── adopt ──▶
//   present(A) with the same avatar: a citizen back on the node its connection dropped from
//   takes over the avatar it left standing (Cluster/ClusterSubsystem+Away.swift).
//
// The return spot (`origin`): set when a member goes from a public space into a room, kept from
// room to room, cleared by travel to a public space or a desk, by the return itself and by a
// disconnect. A later "handed to another node" is one more state beside `entering`.
//
// Invariants:
// 1. At most one avatar: `present` holds it, and every transition out of `present` takes it out.
// 2. At most one pending entry: a second is refused unless the server itself moves the session
//    (a desk taking a citizen into its room), which replaces it; the replaced one's placement
//    is then a stray.
// 3. `origin`, when set, names a public space.

import Store
import WorldCore

struct Presence: Equatable {
    enum State: Equatable {
        case nowhere
        case entering(space: String, request: UInt32, room: Bool)
        case present(space: String, avatar: AvatarID, room: Bool)
        case watching(space: String)
    }

    /// Where an entry goes, which decides what becomes of the return spot.
    enum Destination: Equatable {
        /// A public space (the world map): travel, the return spot forgotten.
        case publicSpace
        /// A room: the spot in the public space left is remembered (`standing`).
        case room
        /// A desk's point (staff going on duty): like travel, and allowed within the space the
        /// session is in (it moves to the desk).
        case desk
    }

    enum Refusal: Equatable {
        case pending
        case alreadyThere
        case spaceGone
        /// The space's world refused the entry (full, or no free spot).
        case noPlace(EntryRefusal)
    }

    enum Action: Equatable {
        /// Take the avatar out of its space, closing its visit for `reason`.
        case takeOut(space: String, avatar: AvatarID, room: Bool, reason: Schema.EndReason)
        /// Ask a space to place the session's avatar (on the free spot nearest `near`, if any).
        case requestPlace(space: String, near: Spot?)
        /// The avatar is placed: the client is told, with its request's id.
        case entered(space: String, avatar: AvatarID, room: Bool, request: UInt32)
        /// An avatar placed for an entry no longer pending: take it out again, silently.
        case removeStray(space: String, avatar: AvatarID)
        case refuse(Refusal, space: String, request: UInt32)
        /// A spectator stops watching `space`.
        case stopWatching(space: String)
        /// A spectator's camera in `space`.
        case watch(space: String, request: UInt32)
    }

    private(set) var state = State.nowhere
    private(set) var origin: (spaceID: String, spot: Spot)?

    static func == (a: Presence, b: Presence) -> Bool {
        a.state == b.state && a.origin?.spaceID == b.origin?.spaceID && a.origin?.spot == b.origin?.spot
    }

    // MARK: What the rest of the server reads

    /// The space the session is in (present or watching).
    var spaceID: String? {
        switch state {
        case .present(let space, _, _), .watching(let space): return space
        case .nowhere, .entering: return nil
        }
    }

    var avatar: AvatarID? {
        if case .present(_, let avatar, _) = state { return avatar }
        return nil
    }

    /// The space an entry is pending for.
    var pendingSpace: String? {
        if case .entering(let space, _, _) = state { return space }
        return nil
    }

    var inRoom: Bool {
        if case .present(_, _, let room) = state { return room }
        return false
    }

    // MARK: Transitions

    /// The session asks (or the server moves it) to enter `space`. `standing` is where its
    /// avatar stands now, if present (for the return spot); `overriding` is set when the server
    /// moves the session, replacing an entry still pending.
    mutating func enter(_ space: String, request: UInt32, to destination: Destination, near: Spot? = nil, standing: Spot? = nil,
                        overriding: Bool = false) -> [Action] {
        var actions: [Action] = []
        switch state {
        case .entering where !overriding: return [.refuse(.pending, space: space, request: request)]
        case .present(let current, _, _) where current == space && destination != .desk: return [.refuse(.alreadyThere, space: space, request: request)]
        case .present(let current, let avatar, let room):
            if destination == .room && !room, let standing { origin = (current, standing) }
            actions.append(.takeOut(space: current, avatar: avatar, room: room, reason: .travel))
        case .watching(let current): actions.append(.stopWatching(space: current))
        case .nowhere, .entering: break
        }
        if destination != .room { origin = nil }
        state = .entering(space: space, request: request, room: destination == .room)
        actions.append(.requestPlace(space: space, near: near))
        return actions
    }

    /// After leaving a room: back to the public space and spot the member came from, if any.
    mutating func returnToOrigin(request: UInt32) -> [Action] {
        guard let origin else { return [] }
        assert(avatar == nil, "leave the room first")
        self.origin = nil
        state = .entering(space: origin.spaceID, request: request, room: false)
        return [.requestPlace(space: origin.spaceID, near: origin.spot)]
    }

    /// A space placed an avatar for this session.
    mutating func placed(in space: String, avatar: AvatarID) -> [Action] {
        guard case .entering(space, let request, let room) = state else { return [.removeStray(space: space, avatar: avatar)] }
        state = .present(space: space, avatar: avatar, room: room)
        return [.entered(space: space, avatar: avatar, room: room, request: request)]
    }

    /// A space could not place this session (full, or no free spot).
    mutating func refused(in space: String, _ reason: EntryRefusal) -> [Action] {
        guard case .entering(space, let request, _) = state else { return [] }
        state = .nowhere
        return [.refuse(.noPlace(reason), space: space, request: request)]
    }

    /// The space an entry was pending for closed (a room) before it placed anyone.
    mutating func closed(_ space: String) -> [Action] {
        guard case .entering(space, let request, _) = state else { return [] }
        state = .nowhere
        return [.refuse(.spaceGone, space: space, request: request)]
    }

    /// Leaves wherever the session is (the return spot stays, for a room's leaver).
    mutating func leave(_ reason: Schema.EndReason) -> [Action] {
        defer { if case .entering = state { state = .nowhere } }
        switch state {
        case .present(let space, let avatar, let room):
            state = .nowhere
            return [.takeOut(space: space, avatar: avatar, room: room, reason: reason)]
        case .watching(let space):
            state = .nowhere
            return [.stopWatching(space: space)]
        case .nowhere, .entering: return []
        }
    }

    /// What `handOverAvatar` gives and `adopt` takes: the avatar, where it stands, and (in a
    /// room) the return spot that goes with it.
    struct HeldAvatar: Equatable {
        let space: String
        let avatar: AvatarID
        let room: Bool
        let originSpace: String?
        let originSpot: Spot?
    }

    /// Gives the avatar up to another session of the same citizen without taking it out of its
    /// space: nowhere after. What `adopt` takes (with the return spot, for a room); nil when not
    /// present.
    mutating func handOverAvatar() -> HeldAvatar? {
        guard case .present(let space, let avatar, let room) = state else { return nil }
        let held = HeldAvatar(space: space, avatar: avatar, room: room, originSpace: room ? origin?.spaceID : nil, originSpot: room ? origin?.spot : nil)
        state = .nowhere
        origin = nil
        return held
    }

    /// Takes over an avatar another session gave up (`handOverAvatar`): present at once, told as
    /// if just placed; in a room, with its return spot (invariant 3 holds: it named a public
    /// space where it was set). Nothing unless nowhere (invariant 1).
    mutating func adopt(_ held: HeldAvatar, request: UInt32) -> [Action] {
        guard case .nowhere = state else { return [] }
        state = .present(space: held.space, avatar: held.avatar, room: held.room)
        if held.room, let space = held.originSpace, let spot = held.originSpot { origin = (space, spot) }
        return [.entered(space: held.space, avatar: held.avatar, room: held.room, request: request)]
    }

    /// The connection closed: out of everything, the return spot forgotten.
    mutating func disconnected(_ reason: Schema.EndReason) -> [Action] {
        origin = nil
        return leave(reason)
    }

    /// A spectator of a recording watches `space` (from wherever it watched before).
    mutating func watch(_ space: String, request: UInt32) -> [Action] {
        var actions: [Action] = []
        if case .watching(let current) = state { actions.append(.stopWatching(space: current)) }
        state = .watching(space: space)
        actions.append(.watch(space: space, request: request))
        return actions
    }
}
