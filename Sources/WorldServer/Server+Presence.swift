// Travel through the world map (enterSpace, leaveSpace), and carrying out what a session's
// Presence decided (Presence.swift): the avatar taken out of its space, a place asked of a
// space, the client told it is in, a stray placement taken out again, an entry refused. The
// only code that changes a session's space, avatar and snapshot feed; what follows from a
// change (a visit, a room's population, a desk session) is the subscribers' (Features.swift),
// told through `publish`.

import NetProto
import Services
import WorldCore

extension Server {
    /// Travel to a public space through the world map (the space one is in is refused with
    /// 11, another pending entry with 18: Presence decides).
    func enterSpace(_ s: Session, request: UInt32, spaceID: String) {
        // On a node of a cluster, `space#n` names an overflow instance, wherever it is hosted.
        let base = SpaceHost.base(spaceID)
        let isInstance = base != spaceID && cluster.isNode && host.entries.contains { $0.id == base && $0.kind == 0 }
            && Int(spaceID.split(separator: "#").last ?? "") ?? 0 <= OverflowPlan.instancesMax
        guard isInstance || (host.spaces[spaceID] != nil && rooms.room(spaceID: spaceID) == nil) else {
            let text: String
            if host.templateIDs.contains(spaceID) {
                text = "'\(spaceID)' is a room template: open a room from it (openRoom), or enter an open one (enterRoom)"
            } else if rooms.room(spaceID: spaceID) != nil {
                text = "'\(spaceID)' is a room: enter it with enterRoom, so that its access rule applies"
            } else {
                text = "no space '\(spaceID)'"
            }
            s.send(.error(code: .unknownSpace, requestID: request, text: text))
            return
        }
        if replay != nil { return carryOut(s.presence.watch(spaceID, request: request), for: s) }
        // On a node of a cluster: the first instance with room, unless one was named; and a
        // space another node hosts is entered there (Cluster/).
        let target = isInstance ? spaceID : cluster.chooseInstance(spaceID)
        if cluster.redirects(s, request: request, space: target) { return }
        carryOut(s.presence.enter(target, request: request, to: .publicSpace), for: s)
    }

    /// Out of the space one is in; out of a room, back to where the member entered it from.
    func leaveSpace(_ s: Session, request: UInt32) {
        if replay != nil, s.spaceID != nil {
            carryOut(s.presence.leave(.leave), for: s)
            s.send(.left(requestID: request))
            return
        }
        guard let current = s.spaceID, s.avatar != nil else {
            s.send(.error(code: .notInSpace, requestID: request, text: "not in a space"))
            return
        }
        // Leaving a desk session's room ends the session, for both.
        if desksSubsystem.isSessionRoom(current, of: s) {
            desksSubsystem.request(.end, from: s, request: request, answer: false)
            return
        }
        let wasRoom = s.presence.inRoom
        carryOut(s.presence.leave(.leave), for: s)
        s.send(.left(requestID: request))
        // Leaving a room: back to where the member entered it from.
        if wasRoom { returnToOrigin(s, request: request) }
    }

    /// After leaving a room: back to the space and spot the member came from, if they came from one.
    func returnToOrigin(_ s: Session, request: UInt32) {
        carryOut(s.presence.returnToOrigin(request: request), for: s)
    }

    func carryOut(_ actions: [Presence.Action], for s: Session) {
        for action in actions {
            switch action {
            case .takeOut(let space, let avatar, _, let reason):
                if let instance = host.spaces[space] {
                    instance.inputs.append(.leave(avatar))
                    instance.members[s.id] = nil
                }
                s.realtime.feed = nil
                publish(.left(s, space: space, reason: reason))
            case .requestPlace(let space, let near):
                guard let instance = host.spaces[space] else {
                    carryOut(s.presence.closed(space), for: s)
                    continue
                }
                instance.inputs.append(.enter(EnterRequest(tag: s.id, near: near)))
            case .entered(let space, let avatar, _, let request): placed(s, avatar, in: space, request: request)
            case .removeStray(let space, let avatar): host.spaces[space]?.inputs.append(.leave(avatar))
            case .refuse(let refusal, let space, let request):
                // A full first instance sends a newcomer on to an overflow instance with room.
                if case .noPlace(.worldFull) = refusal, cluster.overflowed(s, space: space, request: request) { continue }
                s.send(Self.refusal(refusal, space: space, request: request, room: rooms.room(spaceID: space)?.id))
            case .stopWatching(let space):
                host.spaces[space]?.members[s.id] = nil
                s.realtime.feed = nil
            case .watch(let space, let request): watch(space, request: request, session: s)
            }
        }
    }

    /// `s`, a citizen back after a dropped connection, takes over the avatar `old` left standing
    /// (Presence's `handOverAvatar` and `adopt`): placed as if just placed, but the features hear
    /// `resumed` (the avatar never left). False, and nothing changed, when it cannot (the avatar
    /// or its space gone, or `s` already somewhere).
    func resume(_ s: Session, from old: Session, request: UInt32) -> Bool {
        guard s.presence.state == .nowhere, let id = old.spaceID, let avatar = old.avatar, let space = host.spaces[id],
              space.world.avatar(avatar) != nil, let held = old.presence.handOverAvatar() else { return false }
        let told = s.presence.adopt(held, request: request)
        assert(told.count == 1, "a session nowhere adopts")
        space.members[old.id] = nil
        placed(s, held.avatar, in: held.space, request: request, change: .resumed(s, from: old, space: held.space))
        return true
    }

    /// An avatar is placed: its feed, the space's tables, the features told (Features.swift;
    /// `entered`, unless `change` says otherwise), and then the client (`entered`).
    func placed(_ s: Session, _ avatar: AvatarID, in id: String, request: UInt32, change: PresenceChange? = nil) {
        guard let space = host.spaces[id], let a = space.world.avatar(avatar) else { return }
        // A session held away (its connection gone; Cluster/ClusterSubsystem+Away.swift) moved by
        // the server, as out of a room that closed, is sent no snapshots.
        s.realtime.feed = s.connection.isClosed ? nil : SnapshotFeed(observer: avatar, budgetBytes: WireProtocol.packetBytesMax - 5)
        s.realtime.namesSent.removeAll()
        space.members[s.id] = s
        space.sessionBySlot[avatar.slot] = s
        publish(change ?? .entered(s, space: id))
        s.send(.entered(requestID: request, spaceID: id, entity: SnapshotFeed.entity(avatar), x: a.position.x, y: a.position.y, floor: UInt8(a.floor)))
    }

    static func refusal(_ refusal: Presence.Refusal, space: String, request: UInt32, room: UInt32?) -> ServerMessage {
        switch refusal {
        case .pending: return .error(code: .rateLimited, requestID: request, text: "an enter request is already pending")
        case .alreadyThere: return .error(code: .alreadyInSpace, requestID: request, text: room.map { "already in room \($0)" } ?? "already in '\(space)'")
        case .spaceGone:
            return .error(code: .unknownSpace, requestID: request, text: "\(space.hasPrefix("room-") ? "room \(space.dropFirst(5))" : "'\(space)'") closed before you were placed in it")
        case .noPlace(let reason):
            return .error(code: reason == .worldFull ? .spaceFull : .noFreeSpot, requestID: request, text: "cannot enter '\(space)': \(reason.rawValue)")
        }
    }

    /// A spectator's camera, when serving a recording: the first spawn area's centre.
    func watch(_ spaceID: String, request: UInt32, session s: Session) {
        guard let space = host.spaces[spaceID] else { return }
        let area = space.world.definition.spawnAreas[0]
        let camera = Vec2(area.area.minX / 2 + area.area.maxX / 2, area.area.minY / 2 + area.area.maxY / 2)
        s.realtime.feed = SnapshotFeed(camera: camera, floor: area.floor, budgetBytes: WireProtocol.packetBytesMax - 5)
        space.members[s.id] = s
        s.send(.entered(requestID: request, spaceID: spaceID, entity: SnapshotFeed.spectatorEntity, x: camera.x, y: camera.y, floor: UInt8(area.floor)))
    }

    /// Where the session's avatar stands now (for a room's return spot).
    func standing(_ s: Session) -> Spot? {
        guard let id = s.spaceID, let avatar = s.avatar, let a = host.spaces[id]?.world.avatar(avatar) else { return nil }
        return Spot(floor: a.floor, position: a.position)
    }
}
