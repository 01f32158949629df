// The service desks as one machine (docs/PROTOCOL.md, section 7.10): staff go on and off duty,
// members queue and leave, staff take the next citizen into a 1:1 room, either ends the
// session, connections come and go, and once a second holds run out and closed desks let
// their queues go. Pure: the caller passes who asks and the time (the desks' clock, Unix ms),
// and carries out the effects in order; a room for a session is the caller's to open, and it
// answers with `.sessionRoomOpened` or `.sessionRoomRefused`.
//
//   request ──▶ checks ──refused──▶ [.refuse]
//                 │ allowed
//                 ▼
//   the queue changes ──▶ [.record ...] ──▶ what people are told, who moves ──▶ [.standing ...]
//
//   takeNext ──▶ [.record(served), .openSessionRoom] ──caller──▶ sessionRoomOpened ──▶ [.sessionStarted]
//                                                             └─▶ sessionRoomRefused ──▶ [.refuse] (citizen first again,
//                                                                                         or gone)
//
// Every walk over the desks goes in desk-id order, so that one seed gives one order of events.
//
// Invariants:
// 1. An account waits at most at one desk, and not while in a desk session.
// 2. Every standing a citizen was last told is the one its desk computes now, after each event
//    (the `.standing` effects at the end of every answer).
// 3. A session's room is closed (`.closeRoom`) in the same answer that ends the session.
// 4. A refusal is the only effect of a refused request.

import WorldCore

/// Who asks: a member (guests never reach the desks).
public struct DeskFacts: Sendable, Equatable {
    public var account: String
    public var isStaff: Bool
    public var roles: [String]

    public init(account: String, isStaff: Bool, roles: [String]) {
        self.account = account
        self.isStaff = isStaff
        self.roles = roles
    }
}

public enum DeskEvent: Sendable, Equatable {
    case duty(desk: String, on: Bool, field: String?)
    case join(desk: String, field: String?)
    case leave(desk: String)
    case takeNext(desk: String)
    /// The caller opened the room for the session `staff` took.
    case sessionRoomOpened(desk: String, staff: String, roomID: UInt32)
    /// The caller could not begin the session `staff` took: the citizen had gone meanwhile, or
    /// no room could be made.
    case sessionRoomRefused(desk: String, staff: String, citizenGone: Bool)
    /// The asker ends the desk session they are in (a request, or leaving its room by asking).
    case end
    /// `account` left a session's room some other way (travel, duty elsewhere).
    case leftSessionRoom(roomID: UInt32, account: String)
    /// The account's last connection closed.
    case disconnected(account: String)
    /// The account signed in again.
    case reconnected(account: String)
    case second
}

/// How a queue ended for a citizen.
public enum DeskQueueEnd: Sendable, Equatable {
    case served, left, skipped, closed
}

/// What a refusal is, for the caller's error code.
public enum DeskRefusalKind: Sendable, Equatable {
    case forbidden, unknownTarget, limitReached, invalidText, deskClosed
}

public enum DeskEffect: Sendable, Equatable {
    case refuse(DeskRefusalKind, String)
    case done
    /// A service event for the records (the caller stamps it with the wall clock).
    case record(desk: String, kind: String, account: String?, durationMillis: Int64?, outcome: String?)
    /// Tell every session of the account where it stands.
    case standing(account: String, desk: String, position: Int, estimateMillis: Int64?)
    case queueEnded(account: String, desk: String, reason: DeskQueueEnd, text: String)
    /// The asker goes to stand at the desk (the free spot nearest its point), if it can.
    case standAtDesk(space: String, spot: Spot)
    /// Open a 1:1 room from `template` for this session, and answer with `sessionRoomOpened` or
    /// `sessionRoomRefused`.
    case openSessionRoom(desk: String, staff: String, citizen: String, template: String, title: String)
    /// Tell both, and move both into the room (the citizen told first that it is their turn).
    case sessionStarted(desk: String, roomID: UInt32, staff: String, citizen: String, field: String)
    /// The account's sessions in the room are told, taken out and sent back where they came from.
    case sessionOver(account: String, desk: String, roomID: UInt32, text: String)
    /// The account's sessions outside the room are told (it left by another way).
    case notice(account: String, desk: String, roomID: UInt32, text: String)
    case closeRoom(roomID: UInt32)
}

public struct DeskBoard: Sendable {
    /// One desk's state: its definition, its queue, what its citizens were last told, who is on
    /// duty since when.
    public struct Entry: Sendable {
        public let desk: Desk
        /// Where its staff stand (the desk's point in its space).
        public let spot: Spot
        public internal(set) var queue: DeskQueue
        var lastStandings: [String: DeskQueue.Standing] = [:]
        var onDutySince: [String: Int64] = [:]
    }

    /// The desks in id order.
    public private(set) var desks: [Entry] = []
    private var index: [String: Int] = [:]

    public init(desks: [(Desk, Spot)], rules: DeskRules) {
        for (desk, spot) in desks.sorted(by: { $0.0.id < $1.0.id }) {
            var rules = rules
            rules.queueMax = desk.queueMax
            precondition(index[desk.id] == nil, "desk ids are unique (DeskCatalog checks)")
            index[desk.id] = self.desks.count
            self.desks.append(Entry(desk: desk, spot: spot, queue: DeskQueue(fields: desk.fields.map(\.id), rules: rules)))
        }
    }

    public var isEmpty: Bool { desks.isEmpty }
    public subscript(id: String) -> Entry? { index[id].map { desks[$0] } }

    /// The desk whose queue holds `account` waiting.
    public func waiting(of account: String) -> Entry? { desks.first { $0.queue.isWaiting(account) } }

    /// The desk session held in a room, with its desk.
    public func session(inRoom roomID: UInt32) -> (desk: Entry, session: DeskQueue.Session)? {
        for d in desks { if let s = d.queue.session(inRoom: roomID) { return (d, s) } }
        return nil
    }

    /// The desk session (held in a room) this account is in, as staff or citizen.
    public func session(of account: String) -> (desk: Entry, session: DeskQueue.Session)? {
        for d in desks { if let s = d.queue.session(involving: account), s.roomID != nil { return (d, s) } }
        return nil
    }

    // MARK: The machine

    public mutating func handle(_ event: DeskEvent, facts: DeskFacts?, nowMillis now: Int64) -> [DeskEffect] {
        var out: [DeskEffect] = []
        switch event {
        case .duty(let id, let on, let field):
            guard let facts, let i = desk(id, &out) else { break }
            duty(i, facts, on: on, field: field, now, &out)
        case .join(let id, let field):
            guard let facts, let i = desk(id, &out) else { break }
            join(i, facts, field: field, now, &out)
        case .leave(let id):
            guard let facts, let i = desk(id, &out) else { break }
            guard let w = desks[i].queue.leave(facts.account) else {
                out.append(.refuse(.unknownTarget, "you are not waiting at '\(id)'"))
                break
            }
            out.append(.record(desk: id, kind: "abandoned", account: facts.account, durationMillis: now - w.joinedAtMillis, outcome: nil))
            out.append(.queueEnded(account: facts.account, desk: id, reason: .left, text: "you left the queue"))
            out.append(.done)
        case .takeNext(let id):
            guard let facts, let i = desk(id, &out) else { break }
            take(i, facts.account, now, &out)
        case .sessionRoomOpened(let id, let staff, let roomID):
            guard let i = index[id], let session = desks[i].queue.sessions[staff] else { break }
            desks[i].queue.held(in: roomID, staff: staff)
            out.append(.sessionStarted(desk: id, roomID: roomID, staff: staff, citizen: session.citizen, field: session.field ?? ""))
        case .sessionRoomRefused(let id, let staff, let citizenGone):
            guard let i = index[id], desks[i].queue.sessions[staff] != nil else { break }
            if citizenGone {
                // Taken only when present (holds are passed over); gone in between: end at once.
                desks[i].queue.dropSession(staff)
                out.append(.refuse(.unknownTarget, "the citizen left just now; take the next"))
            } else {
                _ = desks[i].queue.sessionUndone(staff) // the citizen back at the head; the counsellor stays on duty
                out.append(.refuse(.limitReached, "no room could be opened for the session just now; the citizen stays first in line"))
            }
        case .end:
            guard let facts, let found = session(of: facts.account), let roomID = found.session.roomID else {
                out.append(.refuse(.unknownTarget, "you are in no desk session"))
                break
            }
            end(index[found.desk.desk.id]!, roomID: roomID, endedBy: facts.account, leftRoom: false, now, &out)
            out.append(.done)
        case .leftSessionRoom(let roomID, let account):
            // Only a party's leaving ends it (staff may visit any room, and leave again).
            guard let found = session(inRoom: roomID), found.session.staff == account || found.session.citizen == account else { break }
            end(index[found.desk.desk.id]!, roomID: roomID, endedBy: account, leftRoom: true, now, &out)
        case .disconnected(let account):
            disconnected(account, now, &out)
        case .reconnected(let account):
            guard let d = waiting(of: account), let i = index[d.desk.id] else { break }
            _ = desks[i].queue.reconnected(account)
            desks[i].lastStandings[account] = nil // told again, on the new connection
        case .second:
            for i in desks.indices { second(i, now, &out) }
        }
        // A refused request changed nothing, so no standing changes after it (invariant 4).
        let refused = out.count == 1 && { if case .refuse = out[0] { return true }; return false }()
        for i in desks.indices { standings(i, &out) }
        assert(!refused || out.count == 1 || { if case .sessionRoomRefused = event { return true }; return false }(),
               "a refusal is the only effect of a refused request")
        return out
    }

    private func desk(_ id: String, _ out: inout [DeskEffect]) -> Int? {
        guard let i = index[id] else {
            out.append(.refuse(.unknownTarget, "no desk '\(id)'; desks: \(desks.map(\.desk.id).joined(separator: ", "))"))
            return nil
        }
        return i
    }

    private mutating func duty(_ i: Int, _ facts: DeskFacts, on: Bool, field: String?, _ now: Int64, _ out: inout [DeskEffect]) {
        let desk = desks[i].desk
        let allowed = facts.isStaff || (desk.staffRole == "mentor" && facts.roles.contains("mentor"))
        guard allowed else {
            out.append(.refuse(.forbidden, "this desk is served by \(desk.staffRole == "mentor" ? "mentors" : "staff")"))
            return
        }
        let account = facts.account
        if !on {
            desks[i].queue.goOffDuty(account)
            let since = desks[i].onDutySince.removeValue(forKey: account)
            out.append(.record(desk: desk.id, kind: "off-duty", account: account, durationMillis: since.map { now - $0 }, outcome: nil))
            out.append(.done)
            return
        }
        if let refusal = desks[i].queue.goOnDuty(account, field: field) {
            out.append(.refuse(.invalidText, refusal.sentence))
            return
        }
        if desks[i].onDutySince[account] == nil {
            desks[i].onDutySince[account] = now
            out.append(.record(desk: desk.id, kind: "on-duty", account: account, durationMillis: nil, outcome: field))
        }
        out.append(.done)
        out.append(.standAtDesk(space: desk.space, spot: desks[i].spot))
    }

    private mutating func join(_ i: Int, _ facts: DeskFacts, field: String?, _ now: Int64, _ out: inout [DeskEffect]) {
        let desk = desks[i].desk
        let account = facts.account
        if !desk.citizenRoles.isEmpty && !facts.isStaff && !desk.citizenRoles.contains(where: facts.roles.contains) {
            out.append(.refuse(.forbidden, "this desk serves \(desk.citizenRoles.joined(separator: " and ")) only"))
            return
        }
        if let other = waiting(of: account) {
            out.append(.refuse(.limitReached, "you are already waiting at '\(other.desk.id)'; one queue at a time"))
            return
        }
        // In a session at one desk, waiting at another would let its staff take the citizen
        // out of the first session's room (found by the whole-server simulation, seed 2).
        if let busy = desks.first(where: { $0.queue.session(involving: account) != nil }) {
            out.append(.refuse(.limitReached, "you are in a session at '\(busy.desk.id)'; end it before you queue again"))
            return
        }
        guard desk.hours.isOpen(atUnixMillis: now) else {
            let next = desk.hours.nextOpening(atOrAfterUnixMillis: now).map { "; it opens at \(OpeningHours.describe($0))" } ?? ""
            out.append(.refuse(.deskClosed, "\(desk.en) is closed now\(next)"))
            return
        }
        switch desks[i].queue.join(account, field: field, nowMillis: now) {
        case .success:
            out.append(.record(desk: desk.id, kind: "joined", account: account, durationMillis: nil, outcome: field))
            out.append(.done)
        case .failure(let refusal):
            let kind: DeskRefusalKind
            switch refusal {
            case .full, .alreadyQueued: kind = .limitReached
            default: kind = .invalidText
            }
            out.append(.refuse(kind, refusal.sentence))
        }
    }

    private mutating func take(_ i: Int, _ staff: String, _ now: Int64, _ out: inout [DeskEffect]) {
        let desk = desks[i].desk
        switch desks[i].queue.takeNext(staff, nowMillis: now) {
        case .success(let session):
            out.append(.record(desk: desk.id, kind: "served", account: session.citizen, durationMillis: session.waitedMillis, outcome: session.field))
            out.append(.openSessionRoom(desk: desk.id, staff: staff, citizen: session.citizen, template: desk.roomTemplate, title: desk.en))
        case .failure(let refusal):
            out.append(.refuse(refusal == .notOnDuty ? .forbidden : .unknownTarget, refusal.sentence))
        }
    }

    /// A session ends: recorded, both told and sent back (the one who ended it told so), and
    /// its room closed.
    private mutating func end(_ i: Int, roomID: UInt32, endedBy: String?, leftRoom: Bool, _ now: Int64, _ out: inout [DeskEffect]) {
        let id = desks[i].desk.id
        guard let held = desks[i].queue.session(inRoom: roomID), let (session, duration) = desks[i].queue.endSession(involving: held.staff, nowMillis: now) as (DeskQueue.Session, Int64)? else {
            return
        }
        out.append(.record(desk: id, kind: "ended", account: session.citizen, durationMillis: duration, outcome: nil))
        if leftRoom, let by = endedBy {
            out.append(.notice(account: by, desk: id, roomID: roomID, text: "you left the session's room: the session has ended"))
        }
        for account in [session.staff, session.citizen] {
            let mine = !leftRoom && account == endedBy
            out.append(.sessionOver(account: account, desk: id, roomID: roomID, text: mine ? "you ended the session" : "the session has ended"))
        }
        out.append(.closeRoom(roomID: roomID))
    }

    /// A member's last connection closed: a waiting citizen keeps the place for the hold; a
    /// staff member goes off duty, and a citizen being served goes back to the head of the
    /// queue; a citizen's session ends.
    private mutating func disconnected(_ account: String, _ now: Int64, _ out: inout [DeskEffect]) {
        if let d = waiting(of: account), let i = index[d.desk.id] { desks[i].queue.disconnected(account, nowMillis: now) }
        for i in desks.indices {
            let id = desks[i].desk.id
            let serving = desks[i].queue.sessions[account]
            guard desks[i].queue.onDuty[account] != nil || serving != nil else { continue }
            if let session = serving, let roomID = session.roomID {
                _ = desks[i].queue.staffDisconnected(account)
                out.append(.record(desk: id, kind: "requeued", account: session.citizen, durationMillis: nil, outcome: nil))
                out.append(.sessionOver(account: session.citizen, desk: id, roomID: roomID, text: "the counsellor was disconnected: you are first in line again"))
                out.append(.closeRoom(roomID: roomID))
            } else {
                desks[i].queue.goOffDuty(account)
            }
            if let since = desks[i].onDutySince.removeValue(forKey: account) {
                out.append(.record(desk: id, kind: "off-duty", account: account, durationMillis: now - since, outcome: nil))
            }
        }
        if let found = session(of: account), found.session.citizen == account, let roomID = found.session.roomID {
            end(index[found.desk.desk.id]!, roomID: roomID, endedBy: nil, leftRoom: false, now, &out)
        }
    }

    /// Once a second: holds that ran out are skipped, and a desk that has closed lets its queue go.
    private mutating func second(_ i: Int, _ now: Int64, _ out: inout [DeskEffect]) {
        let desk = desks[i].desk
        for w in desks[i].queue.expireHolds(nowMillis: now) {
            out.append(.record(desk: desk.id, kind: "skipped", account: w.account, durationMillis: now - w.joinedAtMillis, outcome: nil))
            out.append(.queueEnded(account: w.account, desk: desk.id, reason: .skipped, text: "you were away for more than a minute; join again"))
        }
        // Closed with people waiting (at closing time, or after a jump of the clock): let them go.
        guard !desk.hours.isOpen(atUnixMillis: now), !desks[i].queue.waiting.isEmpty else { return }
        let next = desk.hours.nextOpening(atOrAfterUnixMillis: now).map { " It opens again at \(OpeningHours.describe($0))." } ?? ""
        for w in desks[i].queue.close() {
            out.append(.record(desk: desk.id, kind: "closed", account: w.account, durationMillis: now - w.joinedAtMillis, outcome: nil))
            out.append(.queueEnded(account: w.account, desk: desk.id, reason: .closed, text: "\(desk.en) has closed for today.\(next)"))
        }
    }

    /// The standings that changed since each citizen was last told, in account order.
    private mutating func standings(_ i: Int, _ out: inout [DeskEffect]) {
        let now = desks[i].queue.standings
        let id = desks[i].desk.id
        let changed = now.filter { desks[i].lastStandings[$0.key] != $0.value }
        for (account, st) in changed.sorted(by: { $0.key < $1.key }) {
            out.append(.standing(account: account, desk: id, position: st.position, estimateMillis: st.estimateMillis))
        }
        desks[i].lastStandings = now
    }

    // MARK: Reading

    /// What the world map's desk list shows of each desk now.
    public struct Listing: Sendable, Equatable {
        public var desk: String
        public var open: Bool
        public var serving: Int
        public var waiting: Int
        /// 0 when open, else the next opening (Unix ms), 0 if none is known.
        public var nextOpeningUnixMillis: Int64
    }

    public func listing(nowMillis now: Int64) -> [Listing] {
        desks.map { d in
            let open = d.desk.hours.isOpen(atUnixMillis: now)
            return Listing(desk: d.desk.id, open: open, serving: d.queue.onDuty.count, waiting: d.queue.waiting.count,
                           nextOpeningUnixMillis: open ? 0 : max(0, d.desk.hours.nextOpening(atOrAfterUnixMillis: now) ?? 0))
        }
    }
}
