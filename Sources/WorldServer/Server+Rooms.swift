// Rooms on demand (docs/PROTOCOL.md, section 7.9): a member opens a room from a template and is
// moved in; others enter by its id if its access rule lets them; leaving brings a member back
// to the space and spot they came from (the nearest free spot to it); a room empty for
// `roomRules.emptyCloseMillis` closes. The rules are RoomBook's machine (Services: members'
// requests and the second, `handle(event, facts, now)`); this file hands it the events, makes
// and removes the rooms' worlds, and moves the sessions, as its effects say.
//
// Invariants:
// 1. A room's world exists (in SpaceHost) exactly while RoomBook has the room.
// 2. RoomBook's population of a room is the number of sessions whose avatar is placed in it.
// 3. Where each session is, and where a room's leaver goes back to, is its Presence's alone
//    (Presence.swift); this file asks it, and carries out what it answers.

import Foundation
import NetProto
import Recording
import Services
import Store
import WorldCore

/// What a room opened from a template is made of.
struct RoomTemplate {
    var definition: WorldDefinition
    var admitsRoles: [String]
    var chatRadiusCentimetres: Int32
}

extension Server {
    /// A member's request about rooms (open, enter): the rooms' machine decides, and the answer
    /// goes to `s`. One entry at a time: a request while one is pending is refused here.
    func roomRequest(_ event: RoomEvent, from s: Session, request: UInt32) {
        guard let account = s.accountID, replay == nil else { return }
        guard s.presence.pendingSpace == nil else {
            s.send(.error(code: .rateLimited, requestID: request, text: "an enter request is already pending"))
            return
        }
        let facts = RoomFacts(account: account, roles: s.roles.names, isStaff: s.isStaff)
        carryOut(rooms.handle(event, facts: facts, nowMillis: monotonicMillis), asker: s, request: request)
    }

    func openRoom(_ s: Session, request: UInt32, template: String, title: String, access wire: RoomAccessRule) {
        let access: RoomAccess
        switch wire {
        case .open: access = .open
        case .invited(let accounts): access = .invited(Set(accounts))
        case .code(let code): access = .code(code)
        }
        let definition = host.templates[template].map { RoomTemplateFacts(admitsRoles: $0.admitsRoles, capacity: $0.definition.capacity) }
        roomRequest(.open(template: template, definition: definition, title: title, access: access), from: s, request: request)
    }

    /// Presence's changes, as the rooms hear them (Features.swift): a room's population.
    func roomsHeard(_ change: PresenceChange) {
        let event: RoomEvent
        switch change {
        case .entered(_, let space):
            guard let room = rooms.room(spaceID: space) else { return }
            event = .arrived(roomID: room.id)
        case .left(_, let space, _):
            guard let room = rooms.room(spaceID: space) else { return }
            event = .departed(roomID: room.id)
        case .signedIn, .disconnected: return
        }
        carryOut(rooms.handle(event, facts: nil, nowMillis: monotonicMillis), asker: nil, request: 0)
    }

    func carryOut(_ effects: [RoomEffect], asker: Session?, request: UInt32) {
        for effect in effects {
            switch effect {
            case .refuse(let refusal, let room):
                let text = room.map { "cannot enter room \($0): \(refusal.sentence)" } ?? refusal.sentence
                asker?.send(.error(code: Self.errorCode(refusal), requestID: request, text: text))
            case .makeWorld(let room):
                let made = host.templates[room.template].map { makeRoomWorld(room, $0) } ?? false
                carryOut(rooms.handle(.worldMade(roomID: room.id, made: made), facts: nil, nowMillis: monotonicMillis), asker: asker, request: request)
            case .record(let kind, let account, let template):
                submitUsage(.serviceEvent(ServiceEvent(service: "room", kind: kind, accountID: account, atMillis: nowUnixMillis(), outcome: template)))
            case .opened(let room):
                asker?.send(.roomOpened(requestID: request, roomID: room.id, spaceID: room.spaceID))
            case .moveIn(let room):
                if let s = asker { moveIntoRoom(s, room, request: request) } // the room one is in: 11, from Presence
            case .removeWorld(let room):
                assert(host.spaces[room.spaceID]?.members.isEmpty ?? true, "a room closes only when empty")
                // Someone whose entry is still on its way (within a tick) is told, not left waiting.
                removeRoomWorld(room)
            }
        }
    }

    /// Makes a room's world (recorded when the server records) and adds it to the tick; on
    /// failure says so in the log (the caller forgets the room).
    func makeRoomWorld(_ room: Room, _ t: RoomTemplate) -> Bool {
        var definition = t.definition
        definition.id = room.spaceID
        let seed = Self.seed(for: room.spaceID) ^ UInt64(room.id)
        let instance: SpaceInstance
        do {
            instance = SpaceInstance(world: try World(definition: definition, seed: seed), seed: seed)
        } catch {
            logger.error("a room's world could not be made", metadata: ["template": "\(room.template)", "error": "\(error)"])
            return false
        }
        instance.chatRadiusCentimetres = t.chatRadiusCentimetres
        if let writer = host.recordingWriter, let settings = configuration.recording {
            instance.recorder = SpaceRecorder(settings: settings, writer: writer, world: instance.world, seed: seed,
                                              nowUnixMillis: UInt64(nowUnixMillis()))
        }
        host.add(room.spaceID, instance)
        return true
    }

    /// Removes a closed room's world from the tick, finishing its recording.
    func removeRoomWorld(_ room: Room) {
        guard let space = host.remove(room.spaceID) else { return }
        space.recorder?.finish(world: space.world)
        for s in sessions.values where s.presence.pendingSpace == room.spaceID { carryOut(s.presence.closed(room.spaceID), for: s) }
    }

    static func errorCode(_ refusal: RoomRefusal) -> ErrorCode {
        switch refusal {
        case .ownerHasOpenRooms, .roomsFull: return .limitReached
        case .badTitle, .badAccess: return .invalidText
        case .roleNotAdmitted, .notInvited, .wrongCode: return .roomAccessDenied
        case .noSuchRoom: return .unknownSpace
        case .full: return .spaceFull
        case .noSuchTemplate: return .unknownSpace
        case .worldNotMade: return .internalError
        }
    }

    /// Into a room (remembering the spot left, when it was a public space); `entered` follows from
    /// the tick. `overriding` when the server moves the session (a desk's session), replacing an
    /// entry still pending.
    func moveIntoRoom(_ s: Session, _ room: Room, request: UInt32, overriding: Bool = false) {
        carryOut(s.presence.enter(room.spaceID, request: request, to: .room, standing: standing(s), overriding: overriding), for: s)
    }

    /// After leaving a room: back to the space and spot the member came from, if they came from one.
    func returnToOrigin(_ s: Session, request: UInt32) {
        carryOut(s.presence.returnToOrigin(request: request), for: s)
    }

    func listRooms(_ s: Session, request: UInt32, offset: UInt16) {
        let listed = rooms.publicRooms
        let page = listed.dropFirst(Int(offset)).prefix(WireProtocol.roomsPerListMax).map { r in
            RoomEntry(roomID: r.id, template: r.template, title: r.title, population: UInt16(clamping: r.population), capacity: UInt16(clamping: r.capacity))
        }
        s.send(.roomList(requestID: request, total: UInt16(clamping: listed.count), offset: offset, rooms: Array(page)))
    }

    /// Once a second: rooms empty for long enough close, and their worlds go.
    func closeEmptyRooms() {
        carryOut(rooms.handle(.second, facts: nil, nowMillis: monotonicMillis), asker: nil, request: 0)
    }
}
