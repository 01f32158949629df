// A client's session on the server: the per-connection state the loop thread keeps (a space's
// instance is SpaceHost.swift's). Only the loop thread touches it.

import NetProto
import Transport
import Recording
import Services
import Store
import WorldCore

final class Session: TCPConnectionDelegate {
    let id: UInt64
    /// The client's byte stream: a TCP connection, or a VirtualDriver's in-memory one.
    let connection: any ByteChannel
    unowned let server: Server
    let secret: [UInt8]
    var machine: ConnectionStateMachine
    var decoder = FrameDecoder()
    var role: UInt8 = 0
    var displayName = ""
    /// The member's account, nil for a guest.
    var accountID: String?
    /// The member token's roles (staff may moderate).
    var roles: MemberToken.Roles = []
    /// Where the session is: its space, avatar, pending entry and return spot (Presence.swift).
    var presence = Presence()
    var spaceID: String? { presence.spaceID }
    var avatar: AvatarID? { presence.avatar }
    /// UDP, snapshots, inputs and round trips (Server+Realtime.swift, Server+Tick.swift).
    var realtime: RealtimeState
    /// The rate, the mute and the blocks (Server+Chat.swift, Moderation/ModerationSubsystem.swift).
    var chat = ChatState()
    /// The open visit and the reports waiting for the store (Server+Records.swift).
    var records = RecordsState()

    var isStaff: Bool { roles.contains(.staff) }

    init(id: UInt64, connection: any ByteChannel, server: Server, secret: [UInt8], nowMillis: UInt64, limits: ConnectionStateMachine.Limits) {
        self.id = id
        self.connection = connection
        self.server = server
        self.secret = secret
        machine = ConnectionStateMachine(nowMillis: nowMillis, limits: limits)
        realtime = RealtimeState(binding: BindingStateMachine(sessionID: id))
    }

    func send(_ message: ServerMessage) { send(frame: Framing.frame(message.encode())) }

    /// Sends an already framed message (one chat line framed once for all its recipients).
    func send(frame: [UInt8]) {
        if connection.write(frame) {
            server.counters.bytesOut += frame.count
            server.counters.framesOut += 1
        }
    }

    func connection(_ c: TCPConnection, received bytes: UnsafeRawBufferPointer) { received(bytes) }

    func connectionClosed(_ c: TCPConnection, error: UVError?) { server.sessionClosed(self, error: error) }

    /// Bytes from the client: framed, decoded and handed to the connection's state machine.
    func received(_ bytes: UnsafeRawBufferPointer) {
        server.counters.bytesIn += bytes.count
        decoder.append(bytes)
        while machine.state != .closed {
            let body: [UInt8]?
            do {
                body = try decoder.next()
            } catch {
                let code: ErrorCode = { if case .tooLarge = error { return .frameTooLarge } else { return .malformedMessage } }()
                server.perform(machine.close(code, "bad frame: \(error)"), for: self)
                return
            }
            guard let body else { return }
            server.counters.framesIn += 1
            server.perform(machine.received(body, nowMillis: server.clockMillis), for: self)
        }
    }
}

/// A session's realtime channel: its UDP binding, its snapshot feed (or snapshots over TCP),
/// the order of its inputs, the names it was sent, and its round trip.
struct RealtimeState {
    var binding: BindingStateMachine<SocketAddress>
    var feed: SnapshotFeed?
    var snapshotsOverTCP = false
    var lastSequence: UInt32 = 0
    var lastInput: (clientTime: UInt16, heardAtMillis: UInt64) = (0, 0)
    var namesSent = Set<UInt32>()
    var rttMillis: UInt16?
    var refusedNoticeAtMillis: UInt64 = 0
}

/// A session's chat: its rate limit, its mute, and the accounts it blocks.
struct ChatState {
    var chatLimit: ChatRateLimit?
    /// Muted until this Unix time in milliseconds (`Int64.max`: for good); nil when not muted.
    var mutedUntilMillis: Int64?
    /// The accounts this member blocks: no chat either way.
    var blocked = Set<String>()
}

/// A session's records: its open visit, and the reports waiting for the store's commit.
struct RecordsState {
    /// The open visit's row id in the store, while in a space (and the server keeps records).
    var visitID: Int64?
    /// Why the visit will end if the connection closes now.
    var endReason = Schema.EndReason.disconnect
    var bugReportsPending = 0
    var userReportsPending = 0
}

extension BindingStateMachine {
    /// The address the session is bound to, if any.
    public var boundAddress: Address? {
        if case .bound(let address) = state { return address }
        return nil
    }
}
