// Staff on duty, visible: docents at the landmarks' posts, the badges in the roster and the map (docs/PROTOCOL.md,
// section 7.18). The rules are the roster's (Services' DocentRoster: who may, where, when, and
// off duty at closing or on leaving the post's space); this subsystem owns it, hands it each
// event with the desks' clock (`deskNowMillis`, with a rehearsal's offset), and carries out what
// it answers. It also keeps the roster's badges in step: whoever knows an avatar's name hears
// again when its badge changes, for desk staff as for docents (`badgeChanged`).
//
// Invariants:
// 1. The roster's state is the machine's alone (`roster`); nothing here keeps a copy of it.
// 2. A name sent to an observer carries the badge the server would give it now: every change of
//    duty re-sends the name to each observer that holds it (`Realtime.namesSent`; a name it
//    forgot, out of view, is sent again with the badge of the time when the avatar comes back).

import NetProto
import Services
import Store
import WorldCore
import WorldFiles

final class OnDutySubsystem {
    unowned let server: Server
    private(set) var roster = DocentRoster(posts: [])

    init(server: Server) { self.server = server }

    /// Sets the posts up (DeskCatalog checked them against the world files).
    func open(_ posts: [DocentPost], catalog world: WorldCatalog) {
        roster = DocentRoster(posts: posts.map { p in
            let space = world.space(p.space)!
            let point = space.pointsOfInterest.first { $0.id == p.point }!
            return (p, Spot(floor: point.floor, position: point.position), space.name.en)
        })
    }

    /// A member's request: the roster decides, and the answer goes to `s`.
    func duty(_ s: Session, request: UInt32, space: String, on: Bool) {
        guard let account = s.accountID else { return } // guests are refused before (the guest rule)
        let facts = DeskFacts(account: account, isStaff: s.isStaff, roles: s.roles.names)
        carryOut(roster.handle(.duty(space: space, on: on), facts: facts, nowMillis: server.deskNowMillis), asker: s, request: request)
    }

    /// Once a second: posts that closed send their docents off duty.
    func second() {
        guard !roster.onDuty.isEmpty else { return }
        carryOut(roster.handle(.second, facts: nil, nowMillis: server.deskNowMillis), asker: nil, request: 0)
    }

    /// Presence's changes, as the roster hears them (Features.swift).
    func heard(_ change: PresenceChange) {
        guard !roster.onDuty.isEmpty else { return }
        switch change {
        case .left(let s, let space, _):
            // Standing at the post moves the docent within its space (out and straight back in):
            // that is not leaving it.
            guard let account = s.accountID, s.presence.pendingSpace != space else { return }
            carryOut(roster.handle(.leftSpace(account: account, space: space), facts: nil, nowMillis: server.deskNowMillis), asker: nil, request: 0)
        case .disconnected(let s, let lastOfAccount):
            guard lastOfAccount, let account = s.accountID else { return }
            carryOut(roster.handle(.disconnected(account: account), facts: nil, nowMillis: server.deskNowMillis), asker: nil, request: 0)
        case .entered(let s, let space):
            // Arrived somewhere else than the post (an entry that was already on its way when
            // the docent went on duty): that is leaving the post too.
            guard let account = s.accountID, let post = roster.post(of: account), post != space else { return }
            carryOut(roster.handle(.leftSpace(account: account, space: post), facts: nil, nowMillis: server.deskNowMillis), asker: nil, request: 0)
        case .signedIn, .resumed: break // a resumed avatar stands where it stood
        }
    }

    /// The spaces with staff on duty now: desk staff where their desk is, docents at their post.
    func list(_ s: Session, request: UInt32) {
        var bySpace: [String: (desk: Int, docents: Int)] = [:]
        for d in server.desks.desks where !d.queue.onDuty.isEmpty { bySpace[d.desk.space, default: (0, 0)].desk += d.queue.onDuty.count }
        for (space, count) in roster.countsBySpace() { bySpace[space, default: (0, 0)].docents += count }
        let entries = bySpace.keys.sorted().prefix(WireProtocol.desksMax).map { space in
            OnDutyEntry(space: space, deskStaff: UInt16(clamping: bySpace[space]!.desk), docents: UInt16(clamping: bySpace[space]!.docents))
        }
        s.send(.onDutyList(requestID: request, entries: Array(entries)))
    }

    // MARK: Badges

    /// The badge a session's name carries now.
    func badge(of s: Session) -> StaffBadge {
        guard let account = s.accountID, s.isStaff || s.roles.contains(.mentor) else { return .none }
        if roster.post(of: account) != nil { return .docent }
        if server.desksSubsystem.isOnDuty(account) { return .deskStaff }
        return .none
    }

    /// The account's badge may have changed: every observer that knows one of its avatars' names
    /// hears the name again, with the badge as it is now.
    func badgeChanged(account: String) {
        for s in server.sessions.of(account: account) {
            guard let avatar = s.avatar, let space = s.spaceID, let instance = server.host.spaces[space] else { continue }
            let entity = SnapshotFeed.entity(avatar)
            let names = ServerMessage.names([(entity, s.displayName, badge(of: s))])
            for observer in instance.members.values.sorted(by: { $0.id < $1.id }) where observer.realtime.namesSent.contains(entity) {
                observer.send(names)
            }
        }
    }

    // MARK: Carrying out

    private func carryOut(_ effects: [DocentEffect], asker: Session?, request: UInt32) {
        for effect in effects {
            switch effect {
            case .refuse(let kind, let text):
                asker?.send(.error(code: DesksSubsystem.errorCode(kind), requestID: request, text: text))
            case .done:
                asker?.send(.done(requestID: request))
            case .record(let service, let kind, let account, let duration, let space):
                server.submitUsage(.serviceEvent(ServiceEvent(service: service, kind: kind, accountID: account, atMillis: server.nowUnixMillis(),
                                                              durationMillis: duration, outcome: space)))
            case .badge(let account, _):
                badgeChanged(account: account)
            case .told(let account, let text):
                for s in server.sessions.of(account: account) { s.send(.notice(kind: .offDuty, untilUnixMillis: 0, text: text)) }
            case .standAt(let space, let spot):
                guard let s = asker, s.presence.pendingSpace == nil, server.host.spaces[space] != nil else { continue }
                server.carryOut(s.presence.enter(space, request: request, to: .desk, near: spot), for: s)
            }
        }
    }
}
