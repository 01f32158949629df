// Staffed service desks and their queues (docs/PROTOCOL.md, section 7.10): staff go on duty at
// a desk (and stand at its point), members queue and are told where they stand and about how
// long the wait is, staff take the next citizen into a fresh 1:1 room, and either ends the
// session, both going back where they were. The rules are DeskQueue's and OpeningHours'
// (Services); this file moves sessions, makes the rooms, pushes standings and writes the
// service events. Time comes from the server's clock (`deskNowMillis`, with a rehearsal's offset).
//
// Invariants:
// 1. Who waits where, and which session is held in which room, is the desks' queues' alone
//    (DeskQueue): DeskBoard's `waiting(of:)` and `session(inRoom:)` read them; nothing keeps a
//    second copy in step.
// 2. A desk session's room exists exactly while its queue holds the session; it is closed at
//    once when the session ends (no minute's wait, unlike rooms members open).
// 3. A closed desk has nobody waiting, after each second's check.
// 4. Every standing a citizen was last sent is the one the desk computes now, after each change
//    (`pushStandings`).

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
        for d in catalog.desks {
            let point = world.space(d.space)!.pointsOfInterest.first { $0.id == d.point }!
            desks.add(DeskState(desk: d, spot: Spot(floor: point.floor, position: point.position), rules: configuration.deskRules))
        }
    }

    func deskEvent(_ desk: String, _ kind: String, account: String?, duration: Int64? = nil, outcome: String? = nil) {
        submitUsage(.serviceEvent(ServiceEvent(service: desk, kind: kind, accountID: account, atMillis: nowUnixMillis(),
                                               durationMillis: duration, outcome: outcome)))
    }

    /// Sends each waiting citizen of the desk their standing where it changed.
    func pushStandings(_ d: DeskState) {
        let now = d.queue.standings
        for (account, st) in now where d.lastStandings[account] != st {
            let estimate = st.estimateMillis.map { UInt32(clamping: $0 / 1_000) } ?? WireProtocol.unknownEstimate
            for s in sessionsOf(account) { s.send(.queueStanding(desk: d.desk.id, position: UInt16(clamping: st.position), estimateSeconds: estimate)) }
        }
        d.lastStandings = now
    }

    func deskNamed(_ id: String, _ s: Session, _ request: UInt32) -> DeskState? {
        guard let d = desks[id] else {
            s.send(.error(code: .unknownTarget, requestID: request, text: "no desk '\(id)'; desks: \(desks.order.joined(separator: ", "))"))
            return nil
        }
        return d
    }

    /// The desks for the world map: open or not, how many serve and wait, the next opening.
    func listDesks(_ s: Session, request: UInt32) {
        let now = deskNowMillis
        let entries = desks.all.prefix(WireProtocol.desksMax).map { d -> DeskEntry in
            let open = d.desk.hours.isOpen(atUnixMillis: now)
            let next = open ? 0 : UInt64(max(0, d.desk.hours.nextOpening(atOrAfterUnixMillis: now) ?? 0))
            return DeskEntry(desk: d.desk.id, open: open, serving: UInt16(clamping: d.queue.onDuty.count), waiting: UInt16(clamping: d.queue.waiting.count),
                             nextOpeningUnixMillis: next)
        }
        s.send(.deskList(requestID: request, desks: entries))
    }

    // MARK: Staff

    func deskDuty(_ s: Session, request: UInt32, deskID: String, on: Bool, field: String) {
        guard let account = s.accountID, let d = deskNamed(deskID, s, request) else { return }
        let allowed = s.isStaff || (d.desk.staffRole == "mentor" && s.roles.contains(.mentor))
        guard allowed else {
            s.send(.error(code: .forbidden, requestID: request, text: "this desk is served by \(d.desk.staffRole == "mentor" ? "mentors" : "staff")"))
            return
        }
        if !on {
            d.queue.goOffDuty(account)
            let since = d.onDutySince.removeValue(forKey: account)
            deskEvent(deskID, "off-duty", account: account, duration: since.map { nowUnixMillis() - $0 })
            s.send(.done(requestID: request))
            pushStandings(d)
            return
        }
        if let refusal = d.queue.goOnDuty(account, field: field.isEmpty ? nil : field) {
            s.send(.error(code: .invalidText, requestID: request, text: refusal.sentence))
            return
        }
        if d.onDutySince[account] == nil {
            d.onDutySince[account] = nowUnixMillis()
            deskEvent(deskID, "on-duty", account: account, outcome: field.isEmpty ? nil : field)
        }
        s.send(.done(requestID: request))
        // Stand at the desk: the free spot nearest its point.
        if s.presence.pendingSpace == nil, host.spaces[d.desk.space] != nil {
            carryOut(s.presence.enter(d.desk.space, request: request, to: .desk, near: d.spot), for: s)
        }
        pushStandings(d)
    }

    func takeNext(_ s: Session, request: UInt32, deskID: String) {
        guard let staff = s.accountID, let d = deskNamed(deskID, s, request) else { return }
        guard let template = host.templates[d.desk.roomTemplate] else { return }
        let now = deskNowMillis
        let session: DeskQueue.Session
        switch d.queue.takeNext(staff, nowMillis: now) {
        case .success(let taken): session = taken
        case .failure(let refusal):
            s.send(.error(code: refusal == .notOnDuty ? .forbidden : .unknownTarget, requestID: request, text: refusal.sentence))
            return
        }
        deskEvent(deskID, "served", account: session.citizen, duration: session.waitedMillis, outcome: session.field)
        guard let citizen = sessionsOf(session.citizen).first else {
            // Taken only when present (holds are passed over); gone in between: end at once.
            _ = d.queue.endSession(involving: staff, nowMillis: now)
            s.send(.error(code: .unknownTarget, requestID: request, text: "the citizen left just now; take the next"))
            pushStandings(d)
            return
        }
        let opened = rooms.open(owner: "desk:\(deskID):\(staff)", ownerRoles: s.roles.names, isStaff: true, template: d.desk.roomTemplate,
                                admitsRoles: [], capacity: template.definition.capacity, title: d.desk.en, access: .invited([session.citizen]),
                                nowMillis: monotonicMillis)
        guard case .success(let room) = opened, makeRoomWorld(room, template) else {
            _ = d.queue.sessionUndone(staff) // the citizen back at the head; the counsellor stays on duty
            s.send(.error(code: .limitReached, requestID: request, text: "no room could be opened for the session just now; the citizen stays first in line"))
            pushStandings(d)
            return
        }
        d.queue.held(in: room.id, staff: staff)
        citizen.send(.queueEnded(desk: deskID, reason: .served, text: "your turn: \(s.displayName) will see you now"))
        let field = session.field ?? ""
        s.send(.sessionStarted(desk: deskID, roomID: room.id, counterpart: citizen.displayName, field: field))
        citizen.send(.sessionStarted(desk: deskID, roomID: room.id, counterpart: s.displayName, field: field))
        moveIntoRoom(s, room, request: request, overriding: true)
        moveIntoRoom(citizen, room, request: 0, overriding: true)
        pushStandings(d)
    }

    /// Ends a desk session: both are told and go back where they were; the room closes now.
    func endDeskSession(_ roomID: UInt32, endedBy: Session?, request: UInt32) {
        guard let (d, ref) = desks.session(inRoom: roomID), let room = rooms.rooms[roomID] else { return }
        if let (_, duration) = d.queue.endSession(involving: ref.staff, nowMillis: deskNowMillis) {
            deskEvent(d.desk.id, "ended", account: ref.citizen, duration: duration)
        }
        // Ended by leaving the room some other way (travel): that session is told here.
        if let s = endedBy, s.spaceID != room.spaceID {
            s.send(.sessionEnded(desk: d.desk.id, text: "you left the session's room: the session has ended"))
        }
        for account in [ref.staff, ref.citizen] {
            for s in sessionsOf(account) where s.spaceID == room.spaceID && !s.connection.isClosed {
                let mine = s === endedBy
                s.send(.sessionEnded(desk: d.desk.id, text: mine ? "you ended the session" : "the session has ended"))
                carryOut(s.presence.leave(.leave), for: s)
                s.send(.left(requestID: mine ? request : 0))
                returnToOrigin(s, request: mine ? request : 0)
            }
        }
        rooms.remove(roomID)
        removeRoomWorld(room)
        pushStandings(d)
    }

    // MARK: Citizens

    func joinQueue(_ s: Session, request: UInt32, deskID: String, field: String) {
        guard let account = s.accountID, let d = deskNamed(deskID, s, request) else { return }
        if !d.desk.citizenRoles.isEmpty && !s.isStaff && !d.desk.citizenRoles.contains(where: s.roles.names.contains) {
            s.send(.error(code: .forbidden, requestID: request, text: "this desk serves \(d.desk.citizenRoles.joined(separator: " and ")) only"))
            return
        }
        if let other = desks.waiting(of: account) {
            s.send(.error(code: .limitReached, requestID: request, text: "you are already waiting at '\(other.desk.id)'; one queue at a time"))
            return
        }
        // In a session at one desk, waiting at another would let its staff take the citizen
        // out of the first session's room (found by the whole-server simulation, seed 2).
        if let busy = desks.all.first(where: { $0.queue.session(involving: account) != nil }) {
            s.send(.error(code: .limitReached, requestID: request, text: "you are in a session at '\(busy.desk.id)'; end it before you queue again"))
            return
        }
        let now = deskNowMillis
        guard d.desk.hours.isOpen(atUnixMillis: now) else {
            let next = d.desk.hours.nextOpening(atOrAfterUnixMillis: now).map { "; it opens at \(OpeningHours.describe($0))" } ?? ""
            s.send(.error(code: .deskClosed, requestID: request, text: "\(d.desk.en) is closed now\(next)"))
            return
        }
        switch d.queue.join(account, field: field.isEmpty ? nil : field, nowMillis: now) {
        case .success:
            deskEvent(deskID, "joined", account: account, outcome: field.isEmpty ? nil : field)
            s.send(.done(requestID: request))
            pushStandings(d)
        case .failure(let refusal):
            let code: ErrorCode = { if case .full = refusal { return .limitReached }; if case .alreadyQueued = refusal { return .limitReached }; return .invalidText }()
            s.send(.error(code: code, requestID: request, text: refusal.sentence))
        }
    }

    func leaveQueue(_ s: Session, request: UInt32, deskID: String) {
        guard let account = s.accountID, let d = deskNamed(deskID, s, request) else { return }
        guard let w = d.queue.leave(account) else {
            s.send(.error(code: .unknownTarget, requestID: request, text: "you are not waiting at '\(deskID)'"))
            return
        }
        deskEvent(deskID, "abandoned", account: account, duration: deskNowMillis - w.joinedAtMillis)
        s.send(.queueEnded(desk: deskID, reason: .left, text: "you left the queue"))
        s.send(.done(requestID: request))
        pushStandings(d)
    }

    // MARK: Connections coming and going

    /// A member's connection closed: a waiting citizen keeps the place for a minute; a session
    /// ends (a staff member's citizen goes back to the head of the queue).
    func deskSessionGone(_ s: Session) {
        guard let account = s.accountID, sessionsOf(account).count <= 1 else { return } // another session of the account stays
        if let d = desks.waiting(of: account) {
            d.queue.disconnected(account, nowMillis: deskNowMillis)
            pushStandings(d)
        }
        for d in desks.all where d.queue.onDuty[account] != nil {
            if let ref = d.queue.sessions[account], let roomID = ref.roomID {
                _ = d.queue.staffDisconnected(account)
                deskEvent(d.desk.id, "requeued", account: ref.citizen)
                if let room = rooms.rooms[roomID] {
                    for c in sessionsOf(ref.citizen) where c.spaceID == room.spaceID && !c.connection.isClosed {
                        c.send(.sessionEnded(desk: d.desk.id, text: "the counsellor was disconnected: you are first in line again"))
                        carryOut(c.presence.leave(.leave), for: c)
                        c.send(.left(requestID: 0))
                        returnToOrigin(c, request: 0)
                    }
                    rooms.remove(roomID)
                    removeRoomWorld(room)
                }
            } else {
                d.queue.goOffDuty(account)
            }
            let since = d.onDutySince.removeValue(forKey: account)
            deskEvent(d.desk.id, "off-duty", account: account, duration: since.map { nowUnixMillis() - $0 })
            pushStandings(d)
        }
        if let (_, ref) = desks.session(of: account), ref.citizen == account, let roomID = ref.roomID { endDeskSession(roomID, endedBy: nil, request: 0) }
    }

    /// A member signed in again: a place kept for them resumes.
    func deskReconnected(_ s: Session) {
        guard let account = s.accountID, let d = desks.waiting(of: account) else { return }
        _ = d.queue.reconnected(account)
        d.lastStandings[account] = nil // push it to the new connection
        pushStandings(d)
    }

    /// Once a second: holds that ran out are skipped, and a desk that has just closed lets its
    /// queue go.
    func deskSecond() {
        guard !desks.isEmpty else { return }
        let now = deskNowMillis
        for d in desks.all {
            let id = d.desk.id
            for w in d.queue.expireHolds(nowMillis: now) {
                deskEvent(id, "skipped", account: w.account, duration: now - w.joinedAtMillis)
                for s in sessionsOf(w.account) { s.send(.queueEnded(desk: id, reason: .skipped, text: "you were away for more than a minute; join again")) }
            }
            let open = d.desk.hours.isOpen(atUnixMillis: now)
            // Closed with people waiting (at closing time, or after a jump of the clock): let them go.
            if !open && !d.queue.waiting.isEmpty {
                let next = d.desk.hours.nextOpening(atOrAfterUnixMillis: now).map { " It opens again at \(OpeningHours.describe($0))." } ?? ""
                for w in d.queue.close() {
                    deskEvent(id, "closed", account: w.account, duration: now - w.joinedAtMillis)
                    for s in sessionsOf(w.account) { s.send(.queueEnded(desk: id, reason: .closed, text: "\(d.desk.en) has closed for today.\(next)")) }
                }
            }
            pushStandings(d)
        }
    }
}
