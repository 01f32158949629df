// Staffed service desks and their queues (docs/PROTOCOL.md, section 7.10). The rules are the
// desks' machine's (Services' DeskBoard: duty, queues, taking the next citizen, holds, closing,
// sessions ending); this file hands it each event with who asks and the desks' clock
// (`deskNowMillis`, with a rehearsal's offset), and carries out what it answers: the replies,
// the service events, the standings pushed, the rooms made for sessions and closed after them,
// and the people moved.
//
// Invariants:
// 1. The desks' state is the machine's alone (`desks`); nothing here keeps a copy of it.
// 2. A desk session's room exists exactly while the machine holds the session: the answer that
//    ends a session closes its room, at once (no minute's wait, unlike rooms members open).
// 3. Effects are carried out in the order the machine gave them; a room for a session is
//    opened here and the outcome handed back to the machine before anything else happens.

import Foundation
import NetProto
import Services
import Store
import WorldCore
import WorldFiles

extension Server {
    /// Checks the desks against the world files and sets them up; a desk naming what the world
    /// files lack stops the start, every such problem named.
    func openDesks(_ catalog: DeskCatalog, catalog world: WorldCatalog) throws {
        var points: [String: Set<String>] = [:]
        for space in world.publicSpaces { points[space.id] = Set(space.pointsOfInterest.filter { $0.kind == "counselling-desk" }.map(\.id)) }
        let problems = catalog.problems(against: DeskCatalog.WorldFacts(deskPoints: points, templates: Set(world.templates.map(\.id))))
        guard problems.isEmpty else { throw DeskCatalog.LoadError(problems: problems) }
        desks = DeskBoard(desks: catalog.desks.map { d in
            let point = world.space(d.space)!.pointsOfInterest.first { $0.id == d.point }!
            return (d, Spot(floor: point.floor, position: point.position))
        }, rules: configuration.deskRules)
    }

    /// A member's desk request: the machine decides, and the answer goes to `s`. `answer: false`
    /// when another reply answers the request (leaving a session's room is answered by `left`).
    func deskRequest(_ event: DeskEvent, from s: Session, request: UInt32, answer: Bool = true) {
        guard let account = s.accountID else { return } // guests are refused before (ChatServer's guest rule)
        let facts = DeskFacts(account: account, isStaff: s.isStaff, roles: s.roles.names)
        carryOut(desks.handle(event, facts: facts, nowMillis: deskNowMillis), asker: s, request: request, answer: answer)
    }

    /// An event nobody asked for (a connection gone or back, a room left by travel, the second).
    func deskEvent(_ event: DeskEvent) {
        guard !desks.isEmpty else { return }
        carryOut(desks.handle(event, facts: nil, nowMillis: deskNowMillis), asker: nil, request: 0)
    }

    /// The desks for the world map: open or not, how many serve and wait, the next opening.
    func listDesks(_ s: Session, request: UInt32) {
        let entries = desks.listing(nowMillis: deskNowMillis).prefix(WireProtocol.desksMax).map { l in
            DeskEntry(desk: l.desk, open: l.open, serving: UInt16(clamping: l.serving), waiting: UInt16(clamping: l.waiting),
                      nextOpeningUnixMillis: UInt64(l.nextOpeningUnixMillis))
        }
        s.send(.deskList(requestID: request, desks: entries))
    }

    // MARK: Carrying out

    /// Presence's changes, as the desks hear them (Features.swift).
    func desksHeard(_ change: PresenceChange) {
        switch change {
        case .left(let s, let space, _):
            // Out of a desk session's room by any other way than ending the session (travel,
            // going on duty elsewhere): the session ends for both, as leaveSpace ends it; else
            // its room would empty and close under a session still held (found by the
            // whole-server simulation, seeds 11 and 12).
            if let room = rooms.room(spaceID: space), let account = s.accountID, desks.session(inRoom: room.id) != nil {
                deskEvent(.leftSessionRoom(roomID: room.id, account: account))
            }
        case .signedIn(let s):
            if let account = s.accountID { deskEvent(.reconnected(account: account)) }
        case .disconnected(let s, let lastOfAccount):
            // The account's last connection: its places in queues are held, its desk sessions end.
            if lastOfAccount, let account = s.accountID { deskEvent(.disconnected(account: account)) }
        case .entered: break
        }
    }

    func carryOut(_ effects: [DeskEffect], asker: Session?, request: UInt32, answer: Bool = true) {
        for effect in effects {
            switch effect {
            case .refuse(let kind, let text):
                asker?.send(.error(code: Self.errorCode(kind), requestID: request, text: text))
            case .done:
                if answer { asker?.send(.done(requestID: request)) }
            case .record(let desk, let kind, let account, let duration, let outcome):
                submitUsage(.serviceEvent(ServiceEvent(service: desk, kind: kind, accountID: account, atMillis: nowUnixMillis(),
                                                       durationMillis: duration, outcome: outcome)))
            case .standing(let account, let desk, let position, let estimate):
                let seconds = estimate.map { UInt32(clamping: $0 / 1_000) } ?? WireProtocol.unknownEstimate
                for s in sessions.of(account: account) { s.send(.queueStanding(desk: desk, position: UInt16(clamping: position), estimateSeconds: seconds)) }
            case .queueEnded(let account, let desk, let reason, let text):
                for s in sessions.of(account: account) { s.send(.queueEnded(desk: desk, reason: Self.wire(reason), text: text)) }
            case .standAtDesk(let space, let spot):
                // Stand at the desk: the free spot nearest its point.
                guard let s = asker, s.presence.pendingSpace == nil, host.spaces[space] != nil else { continue }
                carryOut(s.presence.enter(space, request: request, to: .desk, near: spot), for: s)
            case .openSessionRoom(let desk, let staff, let citizen, let template, let title):
                let outcome = openSessionRoom(desk: desk, staff: staff, citizen: citizen, template: template, title: title)
                carryOut(desks.handle(outcome, facts: nil, nowMillis: deskNowMillis), asker: asker, request: request, answer: answer)
            case .sessionStarted(let desk, let roomID, let staff, let citizen, let field):
                guard let room = rooms.room(id: roomID), let counsellor = asker?.accountID == staff ? asker : sessions.of(account: staff).first,
                      let person = sessions.of(account: citizen).first else { continue }
                person.send(.queueEnded(desk: desk, reason: .served, text: "your turn: \(counsellor.displayName) will see you now"))
                counsellor.send(.sessionStarted(desk: desk, roomID: roomID, counterpart: person.displayName, field: field))
                person.send(.sessionStarted(desk: desk, roomID: roomID, counterpart: counsellor.displayName, field: field))
                moveIntoRoom(counsellor, room, request: counsellor === asker ? request : 0, overriding: true)
                moveIntoRoom(person, room, request: 0, overriding: true)
            case .sessionOver(let account, let desk, let roomID, let text):
                guard let room = rooms.room(id: roomID) else { continue }
                for s in sessions.of(account: account) where s.spaceID == room.spaceID && !s.connection.isClosed {
                    let mine = s === asker
                    s.send(.sessionEnded(desk: desk, text: text))
                    carryOut(s.presence.leave(.leave), for: s)
                    s.send(.left(requestID: mine ? request : 0))
                    returnToOrigin(s, request: mine ? request : 0)
                }
            case .notice(let account, let desk, let roomID, let text):
                for s in sessions.of(account: account) where s.spaceID != Room.spaceID(roomID) { s.send(.sessionEnded(desk: desk, text: text)) }
            case .closeRoom(let roomID):
                guard let room = rooms.room(id: roomID) else { continue }
                // Anyone else still in it (staff may enter any room) goes back where they came from.
                for s in (host.spaces[room.spaceID]?.members.values.sorted { $0.id < $1.id } ?? []) where s.spaceID == room.spaceID && s.avatar != nil {
                    carryOut(s.presence.leave(.leave), for: s)
                    s.send(.left(requestID: 0))
                    returnToOrigin(s, request: 0)
                }
                rooms.remove(roomID)
                removeRoomWorld(room)
            }
        }
    }

    /// Opens the 1:1 room of a session just taken, and says how that went, for the machine.
    private func openSessionRoom(desk: String, staff: String, citizen: String, template: String, title: String) -> DeskEvent {
        guard !sessions.of(account: citizen).isEmpty else { return .sessionRoomRefused(desk: desk, staff: staff, citizenGone: true) }
        guard let t = host.templates[template],
              case .success(let room) = rooms.open(owner: "desk:\(desk):\(staff)", ownerRoles: [], isStaff: true, template: template, admitsRoles: [],
                                                   capacity: t.definition.capacity, title: title, access: .invited([citizen]), nowMillis: monotonicMillis) else {
            return .sessionRoomRefused(desk: desk, staff: staff, citizenGone: false)
        }
        guard makeRoomWorld(room, t) else {
            rooms.remove(room.id)
            return .sessionRoomRefused(desk: desk, staff: staff, citizenGone: false)
        }
        return .sessionRoomOpened(desk: desk, staff: staff, roomID: room.id)
    }

    static func errorCode(_ kind: DeskRefusalKind) -> ErrorCode {
        switch kind {
        case .forbidden: return .forbidden
        case .unknownTarget: return .unknownTarget
        case .limitReached: return .limitReached
        case .invalidText: return .invalidText
        case .deskClosed: return .deskClosed
        }
    }

    static func wire(_ reason: DeskQueueEnd) -> QueueEndReason {
        switch reason {
        case .served: return .served
        case .left: return .left
        case .skipped: return .skipped
        case .closed: return .closed
        }
    }
}
