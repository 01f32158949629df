// Chat (docs/PROTOCOL.md, section 7.5) and the guest rule, on the loop thread.
//
// A message is checked in this order, and the first failure answers it: the guest rule, the
// channel's role (announcements are staff's), a place to speak from, a mute, the text
// (ChatText), the rate limit (ChatRateLimit, which may mute the sender for a minute), then it
// is filtered (ProfanityFilter), delivered to its recipients except across a block, kept in
// the space's chat log, and answered with `chatSent` (saying whether it was masked).
//
// Invariants:
// 1. A guest's or spectator's request that its message does not allow them
//    (`ClientMessage.guestMaySend`, in NetProto) changes nothing and
//    is answered with `guestNotAllowed` (or `spectatorOnly`) and counted.
// 2. Nothing is delivered between two accounts when either blocks the other (announcements
//    from staff excepted).
// 3. Chat text is kept only in memory (the chat log), never written to the store, except as a
//    report's evidence.

import Foundation
import NetProto
import Services
import Store
import WorldCore

extension Server {
    // MARK: The guest rule

    /// Answers a message that a guest or spectator may not send (`ClientMessage.guestMaySend`
    /// says which: the guest rule of the city's ethics code, stated with the messages).
    func refuseGuest(_ message: ClientMessage, from s: Session) {
        counters.guestRefusals += 1
        let request = message.requestID
        if s.role == Self.spectatorRole {
            s.send(.error(code: .spectatorOnly, requestID: request, text: "this server plays a recording: spectators may watch, not take part"))
        } else {
            s.send(.error(code: .guestNotAllowed, requestID: request,
                          text: "guests may look around, read and report, but not chat, block or use services: sign in as a member to do that"))
        }
    }

    // MARK: Chat

    func chat(_ s: Session, request: UInt32, to target: ChatTarget, text raw: String) {
        let channel: ChatGate.Channel
        switch target {
        case .nearby: channel = .nearby
        case .room: channel = .room
        case .directEntity: channel = .directEntity
        case .directAccount: channel = .directAccount
        case .announceSpace: channel = .announceSpace
        case .announceAll: channel = .announceAll
        }
        let space = s.spaceID.flatMap { host.spaces[$0] }
        let now = nowUnixMillis()
        let sender = ChatGate.Sender(isStaff: s.isStaff, inSpace: space != nil && s.avatar != nil, mutedUntilMillis: s.chat.mutedUntilMillis)
        let text: String
        switch ChatGate.check(channel, text: raw, sender: sender, limit: &s.chat.chatLimit, rules: configuration.chatRateRules,
                              nowMillis: now, monotonicMillis: Int64(clockMillis)) {
        case .pass(let t, let muteEnded):
            text = t
            if muteEnded { s.chat.mutedUntilMillis = nil }
        case .refuse(let refusal):
            return refuseChat(refusal, s, request)
        }
        var delivered = text
        var filtered = false
        if let filter = configuration.profanity {
            let result = filter.check(text)
            if result.flagged {
                delivered = result.masked
                filtered = true
                counters.chatFiltered += 1
                if let account = s.accountID { submitUsage(.filterHit(accountID: account, atMillis: now)) }
            }
        }
        // A member online on another node of the city: the line goes there (ClusterSubsystem+Relay).
        if case .directAccount(let account) = target, cluster.isNode, account != s.accountID, sessions.of(account: account).isEmpty {
            return cluster.relayDirect(from: s, request: request, account: account, sent: text, delivered: delivered, filtered: filtered)
        }
        guard let (channel, recipients) = recipients(of: s, target: target, request: request) else { return }
        let tick = space.map { $0.world.tick } ?? 0
        // One frame for everyone in the sender's space; another (entity 0) for those elsewhere.
        let senderEntity = s.avatar.map(SnapshotFeed.entity) ?? 0
        var here: [UInt8]?, elsewhere: [UInt8]?
        for r in recipients {
            if r.spaceID != nil && r.spaceID == s.spaceID {
                if here == nil { here = Framing.frame(ServerMessage.chat(channel: channel, senderEntity: senderEntity, senderName: s.displayName,
                                                                          serverTimeMillis: UInt64(now), text: delivered).encode()) }
                r.send(frame: here!)
            } else {
                if elsewhere == nil { elsewhere = Framing.frame(ServerMessage.chat(channel: channel, senderEntity: 0, senderName: s.displayName,
                                                                                    serverTimeMillis: UInt64(now), text: delivered).encode()) }
                r.send(frame: elsewhere!)
            }
        }
        counters.chatMessages += 1
        counters.chatDeliveries += recipients.count
        let line = ChatLine(atMillis: now, tick: tick, channel: channel.rawValue, senderSession: s.id, senderAccount: s.accountID,
                            senderName: s.displayName, recipients: channel == .announcement ? [] : recipients.map(\.id), sent: text, delivered: delivered)
        if let space { space.chatLog.append(line) }
        // A direct message to someone in another space is kept in their space's log too, so that
        // a report from either side finds it.
        if channel == .direct, let r = recipients.first, r.spaceID != s.spaceID, let theirs = r.spaceID.flatMap({ host.spaces[$0] }) {
            theirs.chatLog.append(line)
        }
        // Staff's announcement to everyone reaches the other nodes' people too (counted there).
        if case .announceAll = target {
            cluster.relayToAll(.announce, senderAccount: s.accountID, senderName: s.displayName, text: delivered)
        }
        s.send(.chatSent(requestID: request, filtered: filtered, recipients: UInt32(recipients.count), text: delivered))
    }

    /// Who a message reaches, or nil when the request was answered with an error.
    func recipients(of s: Session, target: ChatTarget, request: UInt32) -> (ChatChannel, [Session])? {
        switch target {
        case .nearby:
            guard let space = s.spaceID.flatMap({ host.spaces[$0] }), let me = s.avatar.flatMap({ space.world.avatar($0) }) else { return (.nearby, []) }
            var out: [Session] = []
            for other in space.members.values where other !== s && mayTalk(s, other) {
                guard let a = other.avatar.flatMap({ space.world.avatar($0) }) else { continue }
                if ChatReach.hears(speakerFloor: me.floor, speakerX: me.position.x, speakerY: me.position.y, listenerFloor: a.floor,
                                   listenerX: a.position.x, listenerY: a.position.y, radiusCentimetres: space.chatRadiusCentimetres) {
                    out.append(other)
                }
            }
            return (.nearby, out.sorted { $0.id < $1.id })
        case .room:
            guard let space = s.spaceID.flatMap({ host.spaces[$0] }) else { return (.room, []) }
            return (.room, space.members.values.filter { $0 !== s && $0.avatar != nil && mayTalk(s, $0) }.sorted { $0.id < $1.id })
        case .directEntity(let entity):
            guard let space = s.spaceID.flatMap({ host.spaces[$0] }), let other = space.session(forEntity: entity), other !== s else {
                s.send(.error(code: .unknownTarget, requestID: request, text: "no one with entity \(entity) in this space"))
                return nil
            }
            return direct(s, to: other, request: request)
        case .directAccount(let account):
            guard let other = sessions.of(account: account).first, other !== s else {
                s.send(.error(code: .unknownTarget, requestID: request, text: "the account '\(account)' is not online"))
                return nil
            }
            return direct(s, to: other, request: request)
        case .announceSpace:
            guard let space = s.spaceID.flatMap({ host.spaces[$0] }) else { return (.announcement, []) }
            return (.announcement, space.members.values.filter { $0 !== s }.sorted { $0.id < $1.id })
        case .announceAll:
            return (.announcement, sessions.values.filter { $0 !== s && $0.machine.state == .active }.sorted { $0.id < $1.id })
        }
    }

    func direct(_ s: Session, to other: Session, request: UInt32) -> (ChatChannel, [Session])? {
        guard other.role == 1 else {
            s.send(.error(code: .unknownTarget, requestID: request, text: "direct messages go to members; this is a guest, who cannot answer"))
            return nil
        }
        // A block is not revealed: the message simply reaches no one.
        return (.direct, mayTalk(s, other) ? [other] : [])
    }

    /// A refused chat: its error (and, for flooding, the system's mute), counted.
    func refuseChat(_ refusal: ChatGate.Refusal, _ s: Session, _ request: UInt32) {
        switch refusal {
        case .announcementsAreForStaff:
            s.send(.error(code: .forbidden, requestID: request, text: "announcements are for staff; use nearby, room or direct chat"))
        case .notInSpace:
            s.send(.error(code: .notInSpace, requestID: request, text: "enter a space first: this channel reaches the people around you"))
        case .muted(let until):
            counters.chatRefusedMuted += 1
            s.send(.error(code: .muted, requestID: request, text: "you are muted \(ModerationSubsystem.describeUntil(until)); the message was not sent"))
        case .invalidText(let why): s.send(.error(code: .invalidText, requestID: request, text: why.sentence))
        case .rateLimited:
            counters.chatRateLimited += 1
            s.send(.error(code: .rateLimited, requestID: request, text: "too many messages: about one a second, five at once; this one was not sent"))
        case .flooding(let until):
            counters.chatRateLimited += 1
            counters.systemMutes += 1
            s.send(.error(code: .rateLimited, requestID: request, text: "too many messages: this one was not sent"))
            systemMute(s, untilMillis: until)
        }
    }

    /// Whether chat may pass between two sessions: neither blocks the other's account.
    func mayTalk(_ a: Session, _ b: Session) -> Bool {
        if let account = b.accountID, a.chat.blocked.contains(account) { return false }
        if let account = a.accountID, b.chat.blocked.contains(account) { return false }
        return true
    }

    /// The system's mute for flooding: recorded like a staff mute (a sanction and its audit row).
    func systemMute(_ s: Session, untilMillis: Int64) {
        moderation.mute(s.accountID.map { sessions.of(account: $0) } ?? [s], untilMillis: untilMillis, reason: "sent messages too fast, three times within a minute")
        if let account = s.accountID {
            submitUsage(.sanction(Sanction(accountID: account, kind: .mute, startsAtMillis: nowUnixMillis(), endsAtMillis: untilMillis,
                                           reason: "chat flood: over the rate limit three times within a minute", actor: "system")))
        }
    }
}
