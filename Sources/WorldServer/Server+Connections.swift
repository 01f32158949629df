// Connections: accepting a TCP client, carrying out what its ConnectionStateMachine decided
// (closes; authentication goes to Server+SignIn), and handing each delivered message, once the
// guest rule allows it, to the registry's routes (Features.swift).

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
        counters.connectionsClosed += 1
        if let error { logger.debug("connection closed", metadata: ["session": "\(s.id)", "error": "\(error)"]) }
        // On a node of a cluster, a connection that dropped without a word leaves its avatar
        // standing for the resume window (Cluster/ClusterSubsystem+Away.swift).
        if cluster.holdAway(s) {
            sessions.remove(s)
            return
        }
        // Published first: the account's last connection holds its places in queues and ends
        // its desk sessions before its avatar is taken out.
        publish(.disconnected(s, lastOfAccount: s.accountID.map { sessions.of(account: $0).count <= 1 } ?? false))
        carryOut(s.presence.disconnected(s.records.endReason), for: s)
        sessions.remove(s)
    }

    /// The end of a session held away (no longer in the table) whose window ran out: as a
    /// closed connection's, a window late.
    func finishAway(_ s: Session) {
        publish(.disconnected(s, lastOfAccount: s.accountID.map { sessions.of(account: $0).isEmpty } ?? false))
        carryOut(s.presence.disconnected(s.records.endReason), for: s)
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
        case .authenticateGuest(let name): signInGuest(s, name: name)
        case .authenticateMember(let token): signInMember(s, token: token)
        case .authenticateTicket(let ticket): cluster.signIn(s, ticket: ticket)
        case .deliver(let message): handle(message, from: s)
        }
    }

    func handle(_ message: ClientMessage, from s: Session) {
        if s.role != 1 && !message.guestMaySend {
            refuseGuest(message, from: s)
            return
        }
        route(message, from: s)
    }
}
