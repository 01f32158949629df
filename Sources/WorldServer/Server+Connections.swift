// Connections: accepting a TCP client, carrying out what its ConnectionStateMachine decided
// (authentication, welcome, closes), and routing each delivered message to the part of the
// server that serves it.

import Transport
import Crypto
import Foundation
import Logging
import NetProto
import Recording
import Services
import Store
import WorldCore
import WorldFiles

extension Server {
    // MARK: Connections

    func accept(_ c: TCPConnection) {
        guard let session = admit(c) else { return }
        c.delegate = session
        c.lastWordsOnOverflow = Framing.frame(ServerMessage.error(code: .tooSlow, requestID: 0,
                                                                  text: "disconnected: this client did not read its messages fast enough").encode())
    }

    /// A new client's session on `channel`, or nil (and the channel told why and closed) when
    /// the server is stopping or full.
    func admit(_ channel: any ByteChannel) -> Session? {
        guard !stopping, sessions.count < configuration.sessionsMax else {
            channel.write(Framing.frame(ServerMessage.error(code: stopping ? .shuttingDown : .rateLimited, requestID: 0,
                                                            text: stopping ? "the server is stopping" : "the server is full").encode()))
            channel.close()
            return nil
        }
        let id = sessions.newID()
        var secret = [UInt8](repeating: 0, count: WireProtocol.udpSecretBytes)
        for i in secret.indices { secret[i] = UInt8.random(in: 0...255, using: &sessions.random) }
        let session = Session(id: id, connection: channel, server: self, secret: secret, nowMillis: clockMillis, limits: configuration.connectionLimits)
        sessions.add(session)
        counters.connectionsAccepted += 1
        return session
    }

    func sessionClosed(_ s: Session, error: UVError?) {
        // The account's last connection: its places in queues are held, its desk sessions end.
        if let account = s.accountID, sessionsOf(account).count <= 1 { deskEvent(.disconnected(account: account)) }
        carryOut(s.presence.disconnected(s.records.endReason), for: s)
        sessions.remove(s)
        counters.connectionsClosed += 1
        if let error { logger.debug("connection closed", metadata: ["session": "\(s.id)", "error": "\(error)"]) }
    }

    /// Carries out what a session's state machine decided.
    func perform(_ action: ConnectionStateMachine.Action, for s: Session) {
        switch action {
        case .none: break
        case .send(let message): s.send(message)
        case .close(let code, let text):
            if code == .idleTimeout { s.records.endReason = .idleTimeout }
            s.send(.error(code: code, requestID: 0, text: text))
            s.connection.close()
        case .closeQuietly: s.connection.close()
        case .authenticateGuest(let name):
            s.role = replay == nil ? 0 : Self.spectatorRole
            s.displayName = name
            perform(s.machine.authenticated(welcome(for: s)), for: s)
        case .authenticateMember(let token):
            let now = UInt64(nowUnixMillis() / 1_000)
            switch MemberToken.verify(token, secret: configuration.tokenSecret, nowUnixSeconds: now) {
            case .success(let t):
                s.role = replay == nil ? 1 : Self.spectatorRole
                s.displayName = t.displayName
                s.accountID = t.accountID
                s.roles = t.roles
                recordAccount(t)
                admitMember(s)
            case .failure(.expired(let at)):
                perform(s.machine.refused(.tokenExpired, "the token expired at unix time \(at)"), for: s)
            case .failure(let failure):
                perform(s.machine.refused(.authenticationFailed, "the token does not verify: \(failure)"), for: s)
            }
        case .deliver(let message): handle(message, from: s)
        }
    }

    func welcome(for s: Session) -> Welcome {
        Welcome(sessionID: s.id, udpSecret: s.secret, tickRateHertz: UInt16(configuration.tickRateHertz), role: s.role,
                displayName: s.displayName, spaces: host.entries)
    }

    func handle(_ message: ClientMessage, from s: Session) {
        if s.role != 1 && !Self.guestMay(message) {
            refuseGuest(message, from: s)
            return
        }
        switch message {
        case .enterSpace(let request, let spaceID):
            guard host.spaces[spaceID] != nil, rooms.room(spaceID: spaceID) == nil else {
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
            // Travel through the world map (the space one is in is refused with 11, another
            // pending entry with 18: Presence decides).
            carryOut(s.presence.enter(spaceID, request: request, to: .publicSpace), for: s)
        case .leaveSpace(let request):
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
            if let room = rooms.room(spaceID: current), let account = s.accountID,
               let held = desks.session(inRoom: room.id)?.session, held.staff == account || held.citizen == account {
                deskRequest(.end, from: s, request: request, answer: false)
                return
            }
            let wasRoom = s.presence.inRoom
            carryOut(s.presence.leave(.leave), for: s)
            s.send(.left(requestID: request))
            // Leaving a room: back to where the member entered it from.
            if wasRoom { carryOut(s.presence.returnToOrigin(request: request), for: s) }
        case .snapshotsOverTCP(let on): s.realtime.snapshotsOverTCP = on
        case .ping(let t): s.send(.pong(clientTimeMicros: t, serverTick: UInt64(counters.ticks)))
        case .input(let body): apply(body, from: s)
        case .reportBug(let request, let description): fileBugReport(s, request: request, description: description)
        case .chat(let request, let to, let text): chat(s, request: request, to: to, text: text)
        case .reportUser(let request, let entity, let reason, let description):
            reportUser(s, request: request, entity: entity, reason: reason, description: description)
        case .block(let request, let subject, let on): block(s, request: request, subject: subject, on: on)
        case .listBlocks(let request): s.send(.blockList(requestID: request, accounts: s.chat.blocked.sorted()))
        case .staff(let request, let action, let subject, let seconds, let reason):
            staffAction(s, request: request, action: action, subject: subject, seconds: seconds, reason: reason)
        case .openRoom(let request, let template, let title, let access): openRoom(s, request: request, template: template, title: title, access: access)
        case .enterRoom(let request, let roomID, let code): roomRequest(.enter(roomID: roomID, code: code), from: s, request: request)
        case .listRooms(let request, let offset): listRooms(s, request: request, offset: offset)
        case .deskDuty(let request, let desk, let on, let field):
            deskRequest(.duty(desk: desk, on: on, field: field.isEmpty ? nil : field), from: s, request: request)
        case .joinQueue(let request, let desk, let field): deskRequest(.join(desk: desk, field: field.isEmpty ? nil : field), from: s, request: request)
        case .leaveQueue(let request, let desk): deskRequest(.leave(desk: desk), from: s, request: request)
        case .takeNext(let request, let desk): deskRequest(.takeNext(desk: desk), from: s, request: request)
        case .listDesks(let request): listDesks(s, request: request)
        case .endSession(let request): deskRequest(.end, from: s, request: request)
        case .hello, .authenticateGuest, .authenticateMember, .goodbye: break // handled by the state machine
        }
    }

    /// The `welcome` role of every client of a recording.
    static let spectatorRole: UInt8 = 2
}
