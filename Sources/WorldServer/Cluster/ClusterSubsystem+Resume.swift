// Coming back after a dropped connection, a node's part (issue 25; docs/PROTOCOL.md 7.20,
// docs/CLUSTER.md): resume tickets given to citizens in public spaces and kept fresh, where
// dropped avatars stood, and arrivals with a resume ticket waiting for their space's next host.
// `ResumeBook` keeps that state and its rules (pure, on times given); the extension of
// ClusterSubsystem carries them out with the session table, the world and the directory.
//
// Invariants:
// 1. A session in a public space on a node holds a resume ticket at most `refreshMillis` old.
// 2. A citizen coming back with a resume ticket is never sent back to the node that made it.
// 3. The book is bounded: one entry per session, at most `droppedSpotsMax` drops, each kept for
//    a ticket's lifetime; a waiting arrival for `waitMillis`.

import NetProto
import Store

struct ResumeBook {
    /// The last resume ticket each session in a public space was given: its id, the spot it
    /// names, and when (clock millis).
    var issued: [UInt64: (id: String, spot: HandOverTicket.Spot?, atMillis: UInt64)] = [:]
    /// Where the avatars of connections that dropped here stood as they dropped, by their last
    /// resume ticket's id: a citizen who comes back here is placed there, not at the (older)
    /// spot its ticket names.
    private(set) var droppedSpots: [String: (spot: HandOverTicket.Spot, untilMillis: UInt64)] = [:]
    /// Arrivals with a resume ticket to a space no node hosts just now (its node failed and its
    /// lease has not run out yet): placed as soon as a node hosts it, until their deadline.
    var waiting: [UInt64: (ticket: HandOverTicket, untilMillis: UInt64)] = [:]

    static let droppedSpotsMax = 100_000
    /// A moving avatar's ticket is made again when it has gone this far from the spot its last
    /// one names (at most every `moveRefreshMillis`), so that a failed node's citizens come back
    /// near where they were.
    static let moveCentimetres: Int64 = 1_000
    static let moveRefreshMillis: UInt64 = 5_000
    /// How long an arrival with a resume ticket waits for its space to be hosted again: past a
    /// failed node's lease (at most 60 s) and the claim after it.
    static let waitMillis: UInt64 = 20_000
    /// A node unheard of this long is suspected of having failed (it announces every second),
    /// though its leases still run: a citizen coming back waits for the space's next host
    /// rather than being sent there, and one travelling there is refused (ClusterSubsystem's
    /// `redirects`) and stays where they are.
    static let suspectAfterMillis: Int64 = 2_500

    /// The sessions whose ticket may need making again (old enough to look at), in order.
    func due(nowMillis now: UInt64) -> [UInt64] {
        issued.filter { $0.value.atMillis + Self.moveRefreshMillis <= now }.keys.sorted()
    }

    /// Whether `id`'s ticket is to be made again: past `HandOverTicket.resumeRefreshMillis`, or
    /// its avatar now `moveCentimetres` from the ticket's spot (or on another floor).
    func stale(_ id: UInt64, spot: HandOverTicket.Spot?, nowMillis now: UInt64) -> Bool {
        guard let last = issued[id] else { return false }
        return last.atMillis + HandOverTicket.resumeRefreshMillis <= now || Self.apart(last.spot, spot)
    }

    /// Whether two spots are on different floors or `moveCentimetres` apart.
    static func apart(_ a: HandOverTicket.Spot?, _ b: HandOverTicket.Spot?) -> Bool {
        guard let a, let b else { return a != b }
        let dx = Int64(a.x) - Int64(b.x), dy = Int64(a.y) - Int64(b.y)
        return a.floor != b.floor || dx * dx + dy * dy > moveCentimetres * moveCentimetres
    }

    /// Session `id`'s connection ended with its avatar at `spot`: kept under its last ticket's id.
    mutating func dropped(_ id: UInt64, at spot: HandOverTicket.Spot?, nowMillis now: UInt64) {
        waiting[id] = nil
        guard let last = issued.removeValue(forKey: id), let spot, droppedSpots.count < Self.droppedSpotsMax else { return }
        droppedSpots[last.id] = (spot, now + HandOverTicket.resumeLifetimeMillis)
    }

    /// Where the citizen coming back with ticket `ticketID` stood as it dropped here, once.
    mutating func takeDroppedSpot(_ ticketID: String) -> HandOverTicket.Spot? {
        droppedSpots.removeValue(forKey: ticketID)?.spot
    }

    mutating func forgetOldDrops(nowMillis now: UInt64) {
        droppedSpots = droppedSpots.filter { $0.value.untilMillis > now }
    }
}

extension ClusterSubsystem {

    /// Where a citizen coming back with a resume ticket goes: as `route`, except that a node
    /// that has not announced itself for `suspectAfterMillis` counts as none (it may be the very
    /// node that failed under the citizen; its lease still runs for a few seconds).
    func resumeRoute(_ space: String) -> Route {
        let r = route(space)
        guard case .elsewhere(let node, _, _) = r, quietMillis(node) > ResumeBook.suspectAfterMillis else { return r }
        return .nobody
    }

    /// How long `node` has not announced itself: by the directory as last read, plus the time
    /// since that read while this node's own rounds succeed (a node that cannot reach the
    /// directory suspects nobody for it).
    func quietMillis(_ node: String) -> Int64 {
        guard let view, let entry = view.nodes.first(where: { $0.name == node }) else { return 0 }
        let age = directoryReachable ? Int64(server.clockMillis - viewReadAtMillis) : 0
        return view.atMillis - entry.seenAtMillis + age
    }

    /// Where a citizen coming back with `ticket` (a resume ticket) goes: as `resumeRoute`, except
    /// that it is not sent back to the node that made the ticket. The client tries that node
    /// first, so one that comes here could not reach it: the space's next host is waited for.
    func returnRoute(_ ticket: HandOverTicket, id: String) -> Route {
        let r = resumeRoute(id)
        if case .elsewhere(let node, _, _) = r, node == ticket.issuer { return .nobody }
        return r
    }

    /// Presence's changes: a session placed in a public space gets a resume ticket for it at
    /// once (just before its `entered`); one that leaves or disconnects is forgotten.
    func heard(_ change: PresenceChange) {
        guard settings != nil else { return }
        switch change {
        case .entered(let s, _), .resumed(let s, _, _):
            issueResumeTicket(s)
        case .disconnected(let s, _):
            // Published before the avatar is taken out: where it stands is still known.
            resumes.dropped(s.id, at: spot(of: s), nowMillis: server.clockMillis)
        case .left, .signedIn:
            break
        }
    }

    /// The public space a session would come back to: where it is, or the one its room was
    /// opened from.
    func resumeSpace(of s: Session) -> String? {
        if s.presence.inRoom { return s.presence.origin?.spaceID }
        guard let space = s.spaceID, case let base = SpaceInstanceKey(parsing: space).space,
              server.host.entries.contains(where: { $0.id == base && $0.kind == 0 }) else { return nil }
        return space
    }

    private func issueResumeTicket(_ s: Session) {
        guard let space = resumeSpace(of: s) else { return }
        let spot = spot(of: s)
        guard let id = sendResumeTicket(s, space: space, spot: spot) else { return }
        resumes.issued[s.id] = (id, spot, server.clockMillis)
    }

    /// Sends `s` a resume ticket for `space`; returns its id.
    @discardableResult
    func sendResumeTicket(_ s: Session, space: String, spot: HandOverTicket.Spot?) -> String? {
        guard let settings, s.role <= 1, s.machine.state == .active else { return nil }
        let ticket = self.ticket(for: s, node: "", space: space, request: 0, lifetimeMillis: HandOverTicket.resumeLifetimeMillis, spot: spot)
        // This node first (a dropped connection whose node lives comes back here), then the
        // other live nodes by name.
        let others = (view?.nodes ?? []).filter { $0.live && $0.name != settings.node && !reach.cutOff.contains($0.name) && !$0.address.isEmpty }.map(\.address)
        let nodes = Array(([advertisedAddress] + others).prefix(WireProtocol.resumeNodesMax))
        figures.resumeTicketsIssued += 1
        s.send(.resumeTicket(validSeconds: UInt16(HandOverTicket.resumeLifetimeMillis / 1_000), ticket: ticket.signed(secret: settings.secret), nodes: nodes))
        return ticket.idText
    }

    /// Each session in a public space holds a resume ticket issued at most `resumeRefreshMillis`
    /// ago, or sooner when its avatar moved far from the spot the last one names.
    func refreshResumeTickets(now: UInt64) {
        for id in resumes.due(nowMillis: now) {
            guard let s = server.sessions[id] else {
                resumes.issued[id] = nil
                continue
            }
            if resumes.stale(id, spot: spot(of: s), nowMillis: now) { issueResumeTicket(s) }
        }
        resumes.forgetOldDrops(nowMillis: now)
    }

    /// Arrivals waiting for their space to be hosted again: placed, sent on, or (past their
    /// deadline) told that nobody hosts it.
    func placeWaiting(now: UInt64) {
        for (id, entry) in resumes.waiting.sorted(by: { $0.key < $1.key }) {
            guard let s = server.sessions[id] else {
                resumes.waiting[id] = nil
                continue
            }
            if returnRoute(entry.ticket, id: SpaceInstanceKey(space: entry.ticket.space, instance: Int(entry.ticket.instance)).description) != .nobody {
                resumes.waiting[id] = nil
                arrive(s, entry.ticket)
            } else if entry.untilMillis <= now {
                resumes.waiting[id] = nil
                // Its node kept the space all along (the client could not reach it, though this
                // node can): send it there after all; else nobody took the space over in time.
                if case .elsewhere(let node, let host, let port) = route(entry.ticket.space) {
                    handOver(s, request: 0, space: entry.ticket.space, node: node, host: host, port: port, spot: entry.ticket.spot)
                } else {
                    s.send(.error(code: .notHosted, requestID: 0, text: "no node of the city took '\(entry.ticket.space)' over in time; enter a space again"))
                }
            }
        }
    }
}
