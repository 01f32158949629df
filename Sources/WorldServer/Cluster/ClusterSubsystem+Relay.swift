// Between the nodes of a city (issue 25; docs/CLUSTER.md "Between nodes"): who is online where
// (the presence each node publishes in its rounds), a direct chat line to an account on another
// node, a staff announcement to everyone, and an operator's notice to everyone or one space.
// The messages are Services' RelayMessage, carried by PostgreSQL's NOTIFY (Store's
// Presence.swift) on the cluster's thread; everything here runs on the loop thread.
//
// Invariants:
// 1. A direct line crosses to another node only when the sender does not block the recipient,
//    and is delivered there only when the recipient does not block the sender (Server+Chat's
//    invariant 2, split between the two nodes that each know one side's blocks).
// 2. A sender is told a direct line was sent only after the NOTIFY that carries it committed.
// 3. A message is acted on by the node it is for, once, and never by the node that sent it.

import Foundation
import NetProto
import Services
import Store

extension ClusterSubsystem {
    struct RelayState {
        /// The presence last published (nil before the first round that did).
        var published: [PresenceEntry]?
        /// When this node first saw each session active (Unix milliseconds), for `since`.
        var since: [UInt64: Int64] = [:]
        var sent = 0
        var received = 0
        /// Direct lines that reached a recipient's block, or a recipient who had left.
        var blocked = 0
        var undelivered = 0
        /// Payloads on the channel that this node could not read (another version, or not ours).
        var unreadable = 0
        var failed = 0
    }

    // MARK: Presence

    /// This node's active sessions as the presence has them, by session (node "" on a server
    /// alone). A guest's name is not kept: guests leave no identifier (docs/DATA.md).
    func presenceNow() -> [PresenceEntry] {
        let node = settings?.node ?? ""
        let now = server.nowUnixMillis()
        var people: [PresenceEntry] = []
        var seen: [UInt64: Int64] = [:]
        for s in server.sessions.values where s.machine.state == .active {
            let since = relay.since[s.id] ?? now
            seen[s.id] = since
            let role: PresenceEntry.Role = s.isStaff ? .staff : s.role == 1 ? .member : .guest
            people.append(PresenceEntry(node: node, sessionID: Int64(bitPattern: s.id), accountID: s.accountID,
                                        displayName: role == .guest ? "" : s.displayName, role: role, spaceID: s.spaceID, sinceMillis: since))
        }
        relay.since = seen
        return people.sorted { $0.sessionID < $1.sessionID }
    }

    /// What a round publishes: the presence when it changed since the last one published.
    func presenceToPublish() -> [PresenceEntry]? {
        let now = presenceNow()
        return now == relay.published ? nil : now
    }

    /// Who is online in the city (every live node) for the operator; this node's own people
    /// when it is not a node, or when the directory does not answer (then with the error).
    func people(reply: @escaping ([PresenceEntry], (any Error)?) -> Void) {
        guard let link else { return reply(presenceNow(), nil) }
        link.submit(.people { [weak self] result in
            switch result {
            case .success(let people): reply(people, nil)
            case .failure(let error): reply(self?.presenceNow() ?? [], error)
            }
        })
    }

    // MARK: Sending

    /// A direct line to `account`, online on no session of this node: sent to its node when the
    /// presence has it elsewhere, and the sender answered once it went (invariants 1 and 2).
    func relayDirect(from s: Session, request: UInt32, account: String, sent: String, delivered: String, filtered: Bool) {
        guard let link, let settings else { return }
        // A block is not revealed: the line reaches no one, as on one node.
        if s.chat.blocked.contains(account) {
            return s.send(.chatSent(requestID: request, filtered: filtered, recipients: 0, text: delivered))
        }
        let now = server.nowUnixMillis()
        let message = RelayMessage(kind: .direct, from: settings.node, to: "", account: account, senderAccount: s.accountID,
                                   senderName: s.displayName, text: delivered, atMillis: now)
        let sessionID = s.id
        link.submit(.relayDirect(account: account, payload: { to in
            var addressed = message
            addressed.to = to.node
            return addressed.encode()
        }) { [weak self] result in
            guard let self, let s = self.server.sessions[sessionID] else { return }
            switch result {
            case .failure(let error):
                self.relay.failed += 1
                s.send(.error(code: .busy, requestID: request, text: "the line could not be passed to the other nodes of the city just now, and was not sent; try again (\(error))"))
            case .success(nil):
                s.send(.error(code: .unknownTarget, requestID: request, text: "the account '\(account)' is not online"))
            case .success(let to?):
                self.relay.sent += 1
                self.server.counters.chatMessages += 1
                self.server.counters.chatDeliveries += 1
                // Kept in the sender's space's log, so that a report from the sender finds it
                // (the recipient's node keeps it in theirs).
                if let space = s.spaceID.flatMap({ self.server.host.spaces[$0] }) {
                    space.chatLog.append(ChatLine(atMillis: now, tick: space.world.tick, channel: ChatChannel.direct.rawValue, senderSession: s.id,
                                                  senderAccount: s.accountID, senderName: s.displayName, recipients: [], sent: sent, delivered: delivered))
                }
                self.server.logger.debug("direct line relayed", metadata: ["to": "\(to.node)"])
                s.send(.chatSent(requestID: request, filtered: filtered, recipients: 1, text: delivered))
            }
        })
    }

    /// A staff announcement or an operator's notice, for the other nodes; `done` (on the loop
    /// thread) after the NOTIFY committed, with the error when it did not. Not a node: done at once.
    func relayToAll(_ kind: RelayMessage.Kind, space: String? = nil, senderAccount: String?, senderName: String, text: String,
                    done: @escaping ((any Error)?) -> Void = { _ in }) {
        guard let link, let settings else { return done(nil) }
        let message = RelayMessage(kind: kind, from: settings.node, to: "", space: space, senderAccount: senderAccount, senderName: senderName,
                                   text: text, atMillis: server.nowUnixMillis())
        link.submit(.relay(message.encode()) { [weak self] result in
            switch result {
            case .success:
                self?.relay.sent += 1
                done(nil)
            case .failure(let error):
                self?.relay.failed += 1
                self?.server.logger.warning("an announcement could not be passed to the other nodes", metadata: ["error": "\(error)"])
                done(error)
            }
        })
    }

    // MARK: Receiving

    /// A payload heard on the relay channel (invariant 3).
    func relayed(_ payload: String) {
        guard let settings else { return }
        guard let message = RelayMessage.decode(payload) else {
            relay.unreadable += 1
            return
        }
        guard message.isFor(settings.node) else { return }
        relay.received += 1
        switch message.kind {
        case .direct: deliverDirect(message)
        case .announce, .notice: deliverAnnouncement(message)
        }
    }

    private func deliverDirect(_ message: RelayMessage) {
        guard let account = message.account, let r = server.sessions.of(account: account).first(where: { $0.machine.state == .active }) else {
            relay.undelivered += 1
            return
        }
        if let sender = message.senderAccount, r.chat.blocked.contains(sender) {
            relay.blocked += 1
            return
        }
        r.send(.chat(channel: .direct, senderEntity: 0, senderName: message.senderName, serverTimeMillis: UInt64(message.atMillis), text: message.text))
        server.counters.chatDeliveries += 1
        if let space = r.spaceID.flatMap({ server.host.spaces[$0] }) {
            space.chatLog.append(ChatLine(atMillis: message.atMillis, tick: space.world.tick, channel: ChatChannel.direct.rawValue, senderSession: 0,
                                          senderAccount: message.senderAccount, senderName: message.senderName, recipients: [r.id],
                                          sent: message.text, delivered: message.text))
        }
    }

    private func deliverAnnouncement(_ message: RelayMessage) {
        let targets: [Session]
        if let spaceID = message.space {
            targets = server.host.instances(of: spaceID).flatMap { $0.members.values }.sorted { $0.id < $1.id }
        } else {
            targets = server.sessions.values.filter { $0.machine.state == .active }.sorted { $0.id < $1.id }
        }
        let frame = Framing.frame(ServerMessage.chat(channel: .announcement, senderEntity: 0, senderName: message.senderName,
                                                     serverTimeMillis: UInt64(message.atMillis), text: message.text).encode())
        for t in targets { t.send(frame: frame) }
        server.counters.chatDeliveries += targets.count
        guard message.kind == .notice else { return }
        // An operator's notice is kept in the logs of the spaces it reached, as on the node it
        // was posted on.
        for id in message.space.map({ [$0] }) ?? server.host.spaceOrder {
            guard let space = server.host.spaces[id], !space.members.isEmpty else { continue }
            space.chatLog.append(ChatLine(atMillis: message.atMillis, tick: space.world.tick, channel: ChatChannel.announcement.rawValue,
                                          senderSession: 0, senderAccount: message.senderAccount, senderName: message.senderName, recipients: [],
                                          sent: message.text, delivered: message.text))
        }
    }
}
