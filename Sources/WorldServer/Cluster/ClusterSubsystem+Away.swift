// A citizen's avatar kept while its connection is away (issue 25; docs/CLUSTER.md "Coming back
// after a dropped connection"): on a node, a connection that ends without a word (no goodbye,
// not closed by the server) while its citizen stands in a public space with a resume ticket
// leaves the avatar standing, stopped, for `ClusterSettings.awayMillis` (60 s). Others still see it and it keeps its
// place (and the space's capacity). In a room the avatar keeps the room (a 1:1 desk session goes
// on; the counsellor sees the citizen stand still). The citizen coming back to this node with
// the ticket takes the same avatar over where it stands, with its room's way back; after the
// window it is taken out and the visit closed as `disconnect`, as at once before; a kick or a
// ban of the account ends it at once, as `kicked`.
//
// Invariants:
// 1. An away session is in no table but `away` (not `sessions`): nothing is sent to it, and
//    nothing but expiry or adoption ends it, exactly once.
// 2. An avatar belongs to one session at a time (Presence's `handOverAvatar`/`adopt`).

import Foundation
import NetProto
import Services
import Store
import WorldCore

extension ClusterSubsystem {
    struct AwayState {
        /// Sessions away, by their last resume ticket's id, with when the window ends (clock millis).
        var held: [String: (session: Session, untilMillis: UInt64)] = [:]
        var heldCount = 0
        var adopted = 0
        var expired = 0
    }

    /// Whether `s`, whose connection just closed, is held away (invariant 1): only on a node, for
    /// a drop without a word (its state machine still active: no goodbye, no close by the server),
    /// in a public space or a room opened from one, with a resume ticket, while the node is not
    /// stopping.
    func holdAway(_ s: Session) -> Bool {
        guard isNode, !draining, !server.stopping, s.machine.state == .active, s.records.endReason == .disconnect,
              let spaceID = s.spaceID, let avatar = s.avatar, let space = server.host.spaces[spaceID],
              let ticket = resumes.issued[s.id] else { return false }
        space.inputs.append(.move(avatar, .stop))
        s.realtime.feed = nil
        resumes.issued[s.id] = nil
        away.held[ticket.id] = (s, server.clockMillis + UInt64(max(0, settings?.awayMillis ?? 60_000)))
        away.heldCount += 1
        return true
    }

    /// The away session a citizen arriving with `ticket` comes back to: by the ticket's id, or
    /// (a ticket refreshed as the connection dropped) a member's own whose way back is the
    /// ticket's space (where it stands, or the space its room was opened from).
    func takeAway(for ticket: HandOverTicket) -> Session? {
        if let entry = away.held.removeValue(forKey: ticket.idText) { return entry.session }
        guard !ticket.accountID.isEmpty,
              let (id, entry) = away.held.first(where: { $0.value.session.accountID == ticket.accountID && resumeSpace(of: $0.value.session).map(SpaceHost.base) == ticket.space })
        else { return nil }
        away.held[id] = nil
        return entry.session
    }

    /// `s`, just signed in with a resume ticket, takes over the avatar `old` left standing
    /// (invariant 2): the features hear `resumed` (the old visit ends as a disconnect and a new
    /// one opens; a room's population and a desk session in it go on), the client is told it is
    /// in, where the avatar stands, and the other features forget the old session.
    /// False (the old session ended) when the avatar is gone meanwhile: the caller places the
    /// citizen as any other coming back.
    func adopt(_ old: Session, into s: Session, request: UInt32) -> Bool {
        // A mute the old session was under (one of the server's own, for flooding, is not in
        // the store that the sign-in read) stays in force.
        if let until = old.chat.mutedUntilMillis, until > (s.chat.mutedUntilMillis ?? .min) { s.chat.mutedUntilMillis = until }
        guard server.resume(s, from: old, request: request) else {
            server.finishAway(old)
            return false
        }
        away.adopted += 1
        figures.resumed += 1
        server.publish(.disconnected(old, lastOfAccount: false))
        return true
    }

    /// The sessions of `account` held away here, for moderation (a kick or a ban reaches them).
    func awaySessions(of account: String) -> [Session] {
        away.held.values.map(\.session).filter { $0.accountID == account }.sorted { $0.id < $1.id }
    }

    /// Ends the away session `id` at once, its visit closed for `reason`; false when there is none.
    @discardableResult
    func endAway(sessionID id: UInt64, reason: Schema.EndReason) -> Bool {
        guard let (key, entry) = away.held.first(where: { $0.value.session.id == id }) else { return false }
        away.held[key] = nil
        away.expired += 1
        entry.session.records.endReason = reason
        server.finishAway(entry.session)
        return true
    }

    /// Once a second: away sessions whose window ran out end.
    func expireAway(now: UInt64) {
        for (id, entry) in away.held.sorted(by: { $0.key < $1.key }) where entry.untilMillis <= now {
            away.held[id] = nil
            away.expired += 1
            server.finishAway(entry.session)
        }
    }

    /// A member signing in anew with a token (not resuming): the avatars its dropped connections
    /// left standing here go now, so that the citizen does not meet itself.
    func letAwayGo(account: String) {
        for (id, entry) in away.held.sorted(by: { $0.key < $1.key }) where entry.session.accountID == account {
            away.held[id] = nil
            away.expired += 1
            server.finishAway(entry.session)
        }
    }

    /// Every away session ends now (the node is stopping).
    func finishAllAway() {
        for (_, entry) in away.held.sorted(by: { $0.key < $1.key }) { server.finishAway(entry.session) }
        away.expired += away.held.count
        away.held.removeAll()
    }
}
