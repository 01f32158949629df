// Rooms on demand (docs/PROTOCOL.md, section 7.9): a member opens a room from a template and is
// moved in; others enter by its id if its access rule lets them; leaving brings a member back
// to the space and spot they came from (the nearest free spot to it); a room empty for
// `roomRules.emptyCloseMillis` closes. The rules are RoomBook's machine (Services,
// `handle(event, facts, now)`); this subsystem owns it, hands it the events (members' requests,
// presence's arrivals and departures, the second), makes and removes the rooms' worlds, and
// moves the sessions, as its effects say. The desks open their sessions' rooms through it.
//
// Invariants:
// 1. A room's world exists (in SpaceHost) exactly while RoomBook has the room.
// 2. RoomBook's population of a room is the number of sessions whose avatar is placed in it
//    (presence's `entered` and `left`, Features.swift).
// 3. Where each session is, and where a room's leaver goes back to, is its Presence's alone
//    (Presence.swift); this subsystem asks it, and the server carries out what it answers.

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

final class RoomsSubsystem {
    unowned let server: Server
    /// The rooms open now: the machine's state, changed only through its `handle` and the two
    /// openings and closings the desks ask for (`openForDesk`, `closeForDesk`).
    private(set) var book: RoomBook

    init(server: Server, rules: RoomRules) {
        self.server = server
        book = RoomBook(rules: rules)
    }

    /// A member's request about rooms (open, enter): the rooms' machine decides, and the answer
    /// goes to `s`. One entry at a time: a request while one is pending is refused here.
    func request(_ event: RoomEvent, from s: Session, request: UInt32) {
        guard let account = s.accountID, server.replay == nil else { return }
        guard s.presence.pendingSpace == nil else {
            s.send(.error(code: .rateLimited, requestID: request, text: "an enter request is already pending"))
            return
        }
        let facts = RoomFacts(account: account, roles: s.roles.names, isStaff: s.isStaff)
        carryOut(book.handle(event, facts: facts, nowMillis: server.monotonicMillis), asker: s, request: request)
    }

    func open(_ s: Session, request: UInt32, template: String, title: String, access wire: RoomAccessRule) {
        let access: RoomAccess
        switch wire {
        case .open: access = .open
        case .invited(let accounts): access = .invited(Set(accounts))
        case .code(let code): access = .code(code)
        }
        let definition = server.host.templates[template].map { RoomTemplateFacts(admitsRoles: $0.admitsRoles, capacity: $0.definition.capacity) }
        self.request(.open(template: template, definition: definition, title: title, access: access), from: s, request: request)
    }

    /// Presence's changes, as the rooms hear them (Features.swift): a room's population.
    func heard(_ change: PresenceChange) {
        let event: RoomEvent
        switch change {
        case .entered(_, let space):
            guard let room = book.room(spaceID: space) else { return }
            event = .arrived(roomID: room.id)
        case .left(_, let space, _):
            guard let room = book.room(spaceID: space) else { return }
            event = .departed(roomID: room.id)
        case .signedIn, .disconnected, .resumed: return // a resumed avatar never left
        }
        carryOut(book.handle(event, facts: nil, nowMillis: server.monotonicMillis), asker: nil, request: 0)
    }

    /// Once a second: rooms empty for long enough close, and their worlds go.
    func second() {
        carryOut(book.handle(.second, facts: nil, nowMillis: server.monotonicMillis), asker: nil, request: 0)
    }

    func list(_ s: Session, request: UInt32, offset: UInt16) {
        let listed = book.publicRooms
        let page = listed.dropFirst(Int(offset)).prefix(WireProtocol.roomsPerListMax).map { r in
            RoomEntry(roomID: r.id, template: r.template, title: r.title, population: UInt16(clamping: r.population), capacity: UInt16(clamping: r.capacity))
        }
        s.send(.roomList(requestID: request, total: UInt16(clamping: listed.count), offset: offset, rooms: Array(page)))
    }

    private func carryOut(_ effects: [RoomEffect], asker: Session?, request: UInt32) {
        for effect in effects {
            switch effect {
            case .refuse(let refusal, let room):
                let text = room.map { "cannot enter room \($0): \(refusal.sentence)" } ?? refusal.sentence
                asker?.send(.error(code: Self.errorCode(refusal), requestID: request, text: text))
            case .makeWorld(let room):
                let made = server.host.templates[room.template].map { makeWorld(room, $0) } ?? false
                carryOut(book.handle(.worldMade(roomID: room.id, made: made), facts: nil, nowMillis: server.monotonicMillis), asker: asker, request: request)
            case .record(let kind, let account, let template):
                server.submitUsage(.serviceEvent(ServiceEvent(service: "room", kind: kind, accountID: account, atMillis: server.nowUnixMillis(), outcome: template)))
            case .opened(let room):
                asker?.send(.roomOpened(requestID: request, roomID: room.id, spaceID: room.spaceID))
            case .moveIn(let room):
                if let s = asker { moveIn(s, room, request: request) } // the room one is in: 11, from Presence
            case .removeWorld(let room):
                assert(server.host.spaces[room.spaceID]?.members.isEmpty ?? true, "a room closes only when empty")
                removeWorld(room)
            }
        }
    }

    // MARK: What the desks ask of the rooms

    /// A desk session's 1:1 room: opened for the invited citizen and made, or nil (and nothing
    /// left booked) when the template is missing, the rooms are full or the world cannot be made.
    func openForDesk(desk: String, staff: String, citizen: String, template: String, title: String) -> Room? {
        guard let t = server.host.templates[template],
              case .success(let room) = book.open(owner: "desk:\(desk):\(staff)", ownerRoles: [], isStaff: true, template: template, admitsRoles: [],
                                                  capacity: t.definition.capacity, title: title, access: .invited([citizen]),
                                                  nowMillis: server.monotonicMillis) else { return nil }
        guard makeWorld(room, t) else {
            book.remove(room.id)
            return nil
        }
        return room
    }

    /// Closes a desk session's room at once (no empty minute), its world with it.
    func closeForDesk(_ room: Room) {
        book.remove(room.id)
        removeWorld(room)
    }

    // MARK: Worlds and moves

    /// Makes a room's world (recorded when the server records) and adds it to the tick; on
    /// failure says so in the log (the caller forgets the room).
    private func makeWorld(_ room: Room, _ t: RoomTemplate) -> Bool {
        var definition = t.definition
        definition.id = room.spaceID
        let seed = Server.seed(for: room.spaceID) ^ UInt64(room.id)
        let instance: SpaceInstance
        do {
            instance = SpaceInstance(world: try World(definition: definition, seed: seed), seed: seed)
        } catch {
            server.logger.error("a room's world could not be made", metadata: ["template": "\(room.template)", "error": "\(error)"])
            return false
        }
        instance.chatRadiusCentimetres = t.chatRadiusCentimetres
        if let writer = server.host.recordingWriter, let settings = server.configuration.recording {
            instance.recorder = SpaceRecorder(settings: settings, writer: writer, world: instance.world, seed: seed,
                                              nowUnixMillis: UInt64(server.nowUnixMillis()))
        }
        server.host.add(room.spaceID, instance)
        return true
    }

    /// Removes a closed room's world from the tick, finishing its recording. Someone whose entry
    /// is still on its way (within a tick) is told, not left waiting.
    private func removeWorld(_ room: Room) {
        guard let space = server.host.remove(room.spaceID) else { return }
        space.recorder?.finish(world: space.world)
        for s in server.sessions.values where s.presence.pendingSpace == room.spaceID { server.carryOut(s.presence.closed(room.spaceID), for: s) }
    }

    /// Into a room (remembering the spot left, when it was a public space); `entered` follows from
    /// the tick. `overriding` when the server moves the session (a desk's session), replacing an
    /// entry still pending.
    func moveIn(_ s: Session, _ room: Room, request: UInt32, overriding: Bool = false) {
        server.carryOut(s.presence.enter(room.spaceID, request: request, to: .room, standing: server.standing(s), overriding: overriding), for: s)
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
}
