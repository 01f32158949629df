// Staffed service desks and their queues (docs/PROTOCOL.md, section 7.10). The rules are the
// desks' machine's (Services' DeskBoard: duty, queues, taking the next citizen, holds, closing,
// sessions ending); this subsystem owns it, hands it each event with who asks and the desks'
// clock (`deskNowMillis`, with a rehearsal's offset), and carries out what it answers: the
// replies, the service events, the standings pushed, the rooms made for sessions (through the
// rooms subsystem) and closed after them, and the people moved.
//
// Invariants:
// 1. The desks' state is the machine's alone (`board`); nothing here keeps a copy of it.
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

final class DesksSubsystem {
    unowned let server: Server
    private(set) var board = DeskBoard(desks: [], rules: DeskRules())

    init(server: Server) { self.server = server }

    /// Checks the desks against the world files and sets them up; a desk naming what the world
    /// files lack stops the start, every such problem named.
    func open(_ catalog: DeskCatalog, catalog world: WorldCatalog) throws {
        let problems = catalog.problems(against: Self.facts(world))
        guard problems.isEmpty else { throw DeskCatalog.LoadError(problems: problems) }
        board = DeskBoard(desks: catalog.desks.map { d in
            let point = world.space(d.space)!.pointsOfInterest.first { $0.id == d.point }!
            return (d, Spot(floor: point.floor, position: point.position))
        }, rules: server.configuration.deskRules)
    }

    /// What the desks and the docents' posts may name in the world files.
    static func facts(_ world: WorldCatalog) -> DeskCatalog.WorldFacts {
        var deskPoints: [String: Set<String>] = [:], points: [String: Set<String>] = [:]
        for space in world.publicSpaces {
            deskPoints[space.id] = Set(space.pointsOfInterest.filter { $0.kind == "counselling-desk" }.map(\.id))
            points[space.id] = Set(space.pointsOfInterest.map(\.id))
        }
        return DeskCatalog.WorldFacts(deskPoints: deskPoints, templates: Set(world.templates.map(\.id)), points: points)
    }

    /// A member's desk request: the machine decides, and the answer goes to `s`. `answer: false`
    /// when another reply answers the request (leaving a session's room is answered by `left`).
    func request(_ event: DeskEvent, from s: Session, request: UInt32, answer: Bool = true) {
        guard let account = s.accountID else { return } // guests are refused before (the guest rule)
        let facts = DeskFacts(account: account, isStaff: s.isStaff, roles: s.roles.names)
        handle(event, facts: facts, asker: s, request: request, answer: answer)
    }

    /// The machine's answer carried out; whoever went on or off duty meanwhile (by asking, by
    /// disconnecting, by a session's end) has the badge others see changed (OnDuty/).
    private func handle(_ event: DeskEvent, facts: DeskFacts?, asker: Session?, request: UInt32, answer: Bool = true) {
        let before = staffOnDuty
        carryOut(board.handle(event, facts: facts, nowMillis: server.deskNowMillis), asker: asker, request: request, answer: answer)
        for account in before.symmetricDifference(staffOnDuty).sorted() { server.onDuty.badgeChanged(account: account) }
    }

    /// Every account on duty at any desk.
    var staffOnDuty: Set<String> { Set(board.desks.flatMap(\.queue.onDuty.keys)) }

    /// Whether `account` is on duty at a desk (read for each name sent: no allocation).
    func isOnDuty(_ account: String) -> Bool { board.desks.contains { $0.queue.onDuty[account] != nil } }

    /// An event nobody asked for (a connection gone or back, a room left by travel, the second).
    func event(_ event: DeskEvent) {
        guard !board.isEmpty else { return }
        handle(event, facts: nil, asker: nil, request: 0)
    }

    /// Presence's changes, as the desks hear them (Features.swift).
    func heard(_ change: PresenceChange) {
        switch change {
        case .left(let s, let space, _):
            // Out of a desk session's room by any other way than ending the session (travel,
            // going on duty elsewhere): the session ends for both, as leaveSpace ends it; else
            // its room would empty and close under a session still held (found by the
            // whole-server simulation, seeds 11 and 12).
            if let room = server.rooms.room(spaceID: space), let account = s.accountID, board.session(inRoom: room.id) != nil {
                event(.leftSessionRoom(roomID: room.id, account: account))
            }
        case .signedIn(let s, _):
            if let account = s.accountID { event(.reconnected(account: account)) }
        case .disconnected(let s, let lastOfAccount):
            // The account's last connection: its places in queues are held, its desk sessions end.
            if lastOfAccount, let account = s.accountID { event(.disconnected(account: account)) }
        case .entered, .resumed: break // a resumed avatar never left a session's room
        }
    }

    /// Whether leaving `space` would end a desk session `s` is a party to (leaveSpace ends it
    /// through the machine instead of a plain leave).
    func isSessionRoom(_ space: String, of s: Session) -> Bool {
        guard let room = server.rooms.room(spaceID: space), let account = s.accountID,
              let held = board.session(inRoom: room.id)?.session else { return false }
        return held.staff == account || held.citizen == account
    }

    /// The desks for the world map: open or not, how many serve and wait, the next opening.
    func list(_ s: Session, request: UInt32) {
        let entries = board.listing(nowMillis: server.deskNowMillis).prefix(WireProtocol.desksMax).map { l in
            DeskEntry(desk: l.desk, open: l.open, serving: UInt16(clamping: l.serving), waiting: UInt16(clamping: l.waiting),
                      nextOpeningUnixMillis: UInt64(l.nextOpeningUnixMillis))
        }
        s.send(.deskList(requestID: request, desks: entries))
    }

    // MARK: Carrying out

    private func carryOut(_ effects: [DeskEffect], asker: Session?, request: UInt32, answer: Bool = true) {
        let sessions = server.sessions
        for effect in effects {
            switch effect {
            case .refuse(let kind, let text):
                asker?.send(.error(code: Self.errorCode(kind), requestID: request, text: text))
            case .done:
                if answer { asker?.send(.done(requestID: request)) }
            case .record(let desk, let kind, let account, let duration, let outcome):
                server.submitUsage(.serviceEvent(ServiceEvent(service: desk, kind: kind, accountID: account, atMillis: server.nowUnixMillis(),
                                                              durationMillis: duration, outcome: outcome)))

            case .standing(let account, let desk, let position, let estimate):
                let seconds = estimate.map { UInt32(clamping: $0 / 1_000) } ?? WireProtocol.unknownEstimate
                for s in sessions.of(account: account) { s.send(.queueStanding(desk: desk, position: UInt16(clamping: position), estimateSeconds: seconds)) }
            case .queueEnded(let account, let desk, let reason, let text):
                for s in sessions.of(account: account) { s.send(.queueEnded(desk: desk, reason: Self.wire(reason), text: text)) }
            case .standAtDesk(let space, let spot):
                // Stand at the desk: the free spot nearest its point.
                guard let s = asker, s.presence.pendingSpace == nil, server.host.spaces[space] != nil else { continue }
                server.carryOut(s.presence.enter(space, request: request, to: .desk, near: spot), for: s)
            case .openSessionRoom(let desk, let staff, let citizen, let template, let title):
                let outcome = openSessionRoom(desk: desk, staff: staff, citizen: citizen, template: template, title: title)
                carryOut(board.handle(outcome, facts: nil, nowMillis: server.deskNowMillis), asker: asker, request: request, answer: answer)
            case .sessionStarted(let desk, let roomID, let staff, let citizen, let field):
                guard let room = server.rooms.room(id: roomID), let counsellor = asker?.accountID == staff ? asker : sessions.of(account: staff).first,
                      let person = sessions.of(account: citizen).first else { continue }
                person.send(.queueEnded(desk: desk, reason: .served, text: "your turn: \(counsellor.displayName) will see you now"))
                counsellor.send(.sessionStarted(desk: desk, roomID: roomID, counterpart: person.displayName, field: field))
                person.send(.sessionStarted(desk: desk, roomID: roomID, counterpart: counsellor.displayName, field: field))
                server.roomsSubsystem.moveIn(counsellor, room, request: counsellor === asker ? request : 0, overriding: true)
                server.roomsSubsystem.moveIn(person, room, request: 0, overriding: true)
            case .sessionOver(let account, let desk, let roomID, let text):
                guard let room = server.rooms.room(id: roomID) else { continue }
                for s in sessions.of(account: account) where s.spaceID == room.spaceID && !s.connection.isClosed {
                    let mine = s === asker
                    s.send(.sessionEnded(desk: desk, text: text))
                    server.carryOut(s.presence.leave(.leave), for: s)
                    s.send(.left(requestID: mine ? request : 0))
                    server.returnToOrigin(s, request: mine ? request : 0)
                }
            case .notice(let account, let desk, let roomID, let text):
                for s in sessions.of(account: account) where s.spaceID != Room.spaceID(roomID) { s.send(.sessionEnded(desk: desk, text: text)) }
            case .closeRoom(let roomID):
                guard let room = server.rooms.room(id: roomID) else { continue }
                // Anyone else still in it (staff may enter any room) goes back where they came from.
                for s in (server.host.spaces[room.spaceID]?.members.values.sorted { $0.id < $1.id } ?? []) where s.spaceID == room.spaceID && s.avatar != nil {
                    server.carryOut(s.presence.leave(.leave), for: s)
                    s.send(.left(requestID: 0))
                    server.returnToOrigin(s, request: 0)
                }
                server.roomsSubsystem.closeForDesk(room)
            }
        }
    }

    /// Opens the 1:1 room of a session just taken, and says how that went, for the machine.
    private func openSessionRoom(desk: String, staff: String, citizen: String, template: String, title: String) -> DeskEvent {
        guard !server.sessions.of(account: citizen).isEmpty else { return .sessionRoomRefused(desk: desk, staff: staff, citizenGone: true) }
        guard let room = server.roomsSubsystem.openForDesk(desk: desk, staff: staff, citizen: citizen, template: template, title: title) else {
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
