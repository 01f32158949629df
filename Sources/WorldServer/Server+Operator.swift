// The loop thread's side of the operator's view (OperatorView.swift): publishing the view a
// few times a second, and carrying out what operators ask through the admin API.

import Transport
import Foundation
import NetProto
import Services
import Store
import WorldCore

extension Server {
    // MARK: Publishing

    func startPublishing() {
        guard configuration.operatorBoard != nil else { return }
        let every = UInt64(max(50, configuration.publishEveryMillis))
        startTimer(.publish, afterMillis: 0, everyMillis: every) { [unowned self] in self.publishView() }
    }

    /// Called at the end of every tick: keeps its duration for the next view.
    func noteTickForOperator(_ nanos: UInt64) {
        guard configuration.operatorBoard != nil, figures.operatorTickNanos.count < OperatorView.newTicksMax else { return }
        figures.operatorTickNanos.append(nanos)
    }

    func publishView() {
        guard let board = configuration.operatorBoard else { return }
        figures.publishedViews += 1
        let view = OperatorView(
            sequence: figures.publishedViews, atMillis: nowUnixMillis(), uptimeSeconds: Double(configuration.clock.monotonicNanos() - figures.startedAt) / 1e9,
            serverVersion: Self.version, tickRateHertz: configuration.tickRateHertz, newTickNanos: figures.operatorTickNanos,
            counters: counters, udpDroppedByReason: figures.udpDroppedByReason, clients: clientCounts(),
            spaces: spaceFigures(), rooms: roomFigures(), desks: deskFigures(), store: records?.writer.figures(), stopping: stopping,
            cluster: cluster.operatorFigures())
        figures.operatorTickNanos.removeAll(keepingCapacity: true)
        board.publish(view)
    }

    func clientCounts() -> [ClientCount] {
        var counts: [ClientCount: Int] = [:]
        for s in sessions.values where s.machine.state == .active {
            let role: String
            if s.accountID == nil { role = "guest" }
            else if s.isStaff { role = "staff" }
            else if s.roles.contains(.mentor) { role = "mentor" }
            else if s.roles.contains(.mentee) { role = "mentee" }
            else { role = "member" }
            let key = ClientCount(role: role, transport: s.realtime.binding.boundAddress == nil ? "tcp" : "udp", count: 0)
            counts[key, default: 0] += 1
        }
        return counts.map { ClientCount(role: $0.key.role, transport: $0.key.transport, count: $0.value) }
            .sorted { ($0.role, $0.transport) < ($1.role, $1.transport) }
    }

    static func roleCode(_ s: Session) -> UInt8 {
        if s.accountID == nil { return 0 }
        if s.isStaff { return 4 }
        if s.roles.contains(.mentor) { return 3 }
        if s.roles.contains(.mentee) { return 2 }
        return 1
    }

    func spaceFigures() -> [SpaceFigures] {
        host.spaceOrder.compactMap { id -> SpaceFigures? in
            guard let space = host.spaces[id] else { return nil }
            let world = space.world
            var dots = AvatarDots()
            let avatars = world.avatars
            dots.entity.reserveCapacity(avatars.count)
            dots.x.reserveCapacity(avatars.count)
            dots.y.reserveCapacity(avatars.count)
            dots.floor.reserveCapacity(avatars.count)
            dots.role.reserveCapacity(avatars.count)
            dots.name.reserveCapacity(avatars.count)
            for a in avatars {
                dots.entity.append(SnapshotFeed.entity(a.id))
                dots.x.append(a.position.x)
                dots.y.append(a.position.y)
                dots.floor.append(UInt8(truncatingIfNeeded: a.floor))
                let s = space.sessionBySlot[a.id.slot]
                dots.role.append(s.map(Self.roleCode) ?? 0)
                dots.name.append(s?.accountID == nil ? "" : s!.displayName)
            }
            return SpaceFigures(id: id, kind: rooms.room(spaceID: id) == nil ? "public" : "room", population: avatars.count,
                                capacity: world.definition.capacity, floorCount: world.definition.floors.count, avatars: dots)
        }
    }

    func roomFigures() -> [RoomFigures] {
        rooms.rooms.values.sorted { $0.id < $1.id }.map { r in
            let access: String
            switch r.access {
            case .open: access = "open"
            case .invited: access = "invited"
            case .code: access = "code"
            }
            return RoomFigures(id: r.id, spaceID: r.spaceID, template: r.template, title: r.title, access: access,
                               population: host.spaces[r.spaceID]?.world.population ?? 0, capacity: r.capacity)
        }
    }

    func deskFigures() -> [DeskFigures] {
        let now = deskNowMillis
        return desks.desks.map { d in
            let oldest = d.queue.waiting.map(\.joinedAtMillis).min()
            return DeskFigures(id: d.desk.id, name: d.desk.en, space: d.desk.space, open: d.desk.hours.isOpen(atUnixMillis: now),
                               serving: d.queue.onDuty.count, inSession: d.queue.sessions.count, waiting: d.queue.waiting.count,
                               longestWaitMillis: oldest.map { max(0, now - $0) } ?? 0, medianSessionMillis: d.queue.medianSessionMillis)
        }
    }

    // MARK: Operators' requests

    /// Carries out an operator's request on the loop thread and answers through `reply` (on the
    /// loop thread, after the store committed what it records). Safe from any thread; after the
    /// server stopped, the reply is never called, so callers wait with a timeout.
    public func perform(_ action: OperatorAction, actor: String, reply: @escaping @Sendable (OperatorReply) -> Void) {
        let task: () -> Void = { [unowned self] in self.carryOut(action, actor: actor, reply: reply) }
        io.mailbox?.post(task)
    }

    func carryOut(_ action: OperatorAction, actor: String, reply: @escaping @Sendable (OperatorReply) -> Void) {
        guard !stopping else { return reply(OperatorReply(status: 503, message: "the server is stopping")) }
        let now = nowUnixMillis()
        func clean(_ text: String) -> String { text.trimmingCharacters(in: .whitespacesAndNewlines) }
        switch action {
        case .notice(let raw, let spaceID):
            guard case .success(let text) = ChatText.normalise(raw) else {
                return reply(OperatorReply(status: 400, message: "a notice is 1 to \(ChatText.charactersMax) characters of text"))
            }
            let targets: [Session]
            if let spaceID {
                guard host.spaces[spaceID] != nil else { return reply(OperatorReply(status: 404, message: "no space '\(spaceID)' is served now")) }
                // With its overflow instances (docs/CLUSTER.md).
                targets = host.instances(of: spaceID).flatMap { $0.members.values }.sorted { $0.id < $1.id }
            } else {
                targets = sessions.values.filter { $0.machine.state == .active }.sorted { $0.id < $1.id }
            }
            let frame = Framing.frame(ServerMessage.chat(channel: .announcement, senderEntity: 0, senderName: Self.operatorName,
                                                         serverTimeMillis: UInt64(now), text: text).encode())
            for t in targets { t.send(frame: frame) }
            counters.chatMessages += 1
            counters.chatDeliveries += targets.count
            counters.staffActions += 1
            for id in spaceID.map({ [$0] }) ?? host.spaceOrder {
                host.spaces[id]?.chatLog.append(ChatLine(atMillis: now, tick: host.spaces[id]?.world.tick ?? 0, channel: ChatChannel.announcement.rawValue,
                                                    senderSession: 0, senderAccount: actor, senderName: Self.operatorName, recipients: [],
                                                    sent: text, delivered: text))
            }
            logger.notice("operator notice", metadata: ["actor": "\(actor)", "space": "\(spaceID ?? "everywhere")", "recipients": "\(targets.count)", "text": "\(text)"])
            let reached = "the notice reached \(targets.count) \(targets.count == 1 ? "person" : "people")"
            guard cluster.isNode else { return reply(OperatorReply(status: 200, message: reached, sessions: targets.count)) }
            // On a node of a city, the others deliver it to their people (ClusterSubsystem+Relay).
            cluster.relayToAll(.notice, space: spaceID, senderAccount: actor, senderName: Self.operatorName, text: text) { error in
                if let error {
                    reply(OperatorReply(status: 503, message: "\(reached) on this node, but could not be passed to the other nodes of the city: \(error)", sessions: targets.count))
                } else {
                    reply(OperatorReply(status: 200, message: "\(reached) on this node and went to the other nodes of the city", sessions: targets.count))
                }
            }
        case .kick(let account, let reason):
            let online = sessions.of(account: account).count
            moderation.forOperator(.kick, account: account, reason: reason, actor: actor, now: now, reply: reply,
                                done: "kicked '\(account)' (\(online) \(online == 1 ? "session" : "sessions"))")
        case .mute(let account, let seconds, let reason):
            let until = now + Int64(seconds) * 1_000
            moderation.forOperator(.mute(seconds: Int64(seconds)), account: account, reason: reason, actor: actor, now: now, reply: reply,
                                done: "muted '\(account)' \(ModerationSubsystem.describeUntil(until))")
        case .ban(let account, let seconds, let reason):
            let until: Int64? = seconds == 0 ? nil : now + Int64(seconds) * 1_000
            moderation.forOperator(.ban(seconds: Int64(seconds)), account: account, reason: reason, actor: actor, now: now, reply: reply,
                                done: "banned '\(account)' \(ModerationSubsystem.describeUntil(until))")
        case .resolveReport(let id, let resolution):
            guard !clean(resolution).isEmpty else { return reply(OperatorReply(status: 400, message: "say how the report was resolved: it goes into the audit trail")) }
            moderation.resolveForOperator(reportID: id, resolution: resolution, actor: actor, now: now, reply: reply)
        }
    }

    /// Who is online, and where, for the operator (docs/ADMIN.md `/api/people`): the whole
    /// city's on a node of a cluster (its live nodes), else this server's; with the reason when
    /// the directory did not answer and only this node's people could be given. Safe from any
    /// thread; never answered after the server stopped.
    public func people(reply: @escaping @Sendable ([PresenceEntry], String?) -> Void) {
        io.mailbox?.post { [unowned self] in
            cluster.people { people, error in reply(people, error.map { "\($0)" }) }
        }
    }

    static let operatorName = "서울시 운영자 · City operator"
    static let reasonNeeded = OperatorReply(status: 400, message: "give a reason: it goes into the audit trail and to the person")
    static let noStore = OperatorReply(status: 409, message: "this server keeps no records (started without a store): bans and reports need them")
}

