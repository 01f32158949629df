// Carrying out what a session's Presence decided (Presence.swift): the avatar taken out of its
// space with its visit closed, a place asked of a space, the client told it is in, a stray
// placement taken out again, an entry refused. The only code that changes a session's space,
// avatar and snapshot feed.

import NetProto
import Services
import WorldCore

extension Server {
    func carryOut(_ actions: [Presence.Action], for s: Session) {
        for action in actions {
            switch action {
            case .takeOut(let space, let avatar, _, let reason):
                closeVisit(s, reason)
                if let instance = host.spaces[space] {
                    instance.inputs.append(.leave(avatar))
                    instance.members[s.id] = nil
                }
                s.realtime.feed = nil
                if let room = rooms.room(spaceID: space) {
                    rooms.left(room.id, nowMillis: monotonicMillis)
                    // Out of a desk session's room by any other way than ending the session
                    // (travel, going on duty elsewhere): the session ends for both, as leaveSpace
                    // ends it; else its room would empty and close under a session still held
                    // (found by the whole-server simulation, seeds 11 and 12).
                    if let account = s.accountID, desks.session(inRoom: room.id) != nil { deskEvent(.leftSessionRoom(roomID: room.id, account: account)) }
                }
            case .requestPlace(let space, let near):
                guard let instance = host.spaces[space] else {
                    carryOut(s.presence.closed(space), for: s)
                    continue
                }
                instance.inputs.append(.enter(EnterRequest(tag: s.id, near: near)))
            case .entered(let space, let avatar, _, let request): placed(s, avatar, in: space, request: request)
            case .removeStray(let space, let avatar): host.spaces[space]?.inputs.append(.leave(avatar))
            case .refuse(let refusal, let space, let request): s.send(Self.refusal(refusal, space: space, request: request, room: rooms.room(spaceID: space)?.id))
            case .stopWatching(let space):
                host.spaces[space]?.members[s.id] = nil
                s.realtime.feed = nil
            case .watch(let space, let request): watch(space, request: request, session: s)
            }
        }
    }

    /// An avatar is placed: its feed, the space's tables, the visit, and `entered`.
    func placed(_ s: Session, _ avatar: AvatarID, in id: String, request: UInt32) {
        guard let space = host.spaces[id], let a = space.world.avatar(avatar) else { return }
        s.realtime.feed = SnapshotFeed(observer: avatar, budgetBytes: WireProtocol.packetBytesMax - 5)
        s.realtime.namesSent.removeAll()
        space.members[s.id] = s
        space.sessionBySlot[avatar.slot] = s
        if let room = rooms.room(spaceID: id) {
            rooms.entered(room.id)
            openVisit(s, space: room.template) // usage is counted per template, not per room
        } else {
            openVisit(s, space: id)
        }
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
