// The server's side of one TCP control connection, as a state machine: it takes events
// (a frame arrived, time passed, authentication finished) and returns what to do. It does no
// I/O and reads no clock; the transport feeds it and carries out its actions.
//
//        hello ok           guest/member          verified
//   awaitingHello ──────▶ awaitingAuthentication ──────▶ authenticating ──────▶ active
//        │                        │                           │ refused          │ goodbye,
//        └────────────────────────┴───────────────────────────┴──────────────────┴▶ closed
//   (any state: a malformed or unexpected frame, the handshake deadline, or the idle
//    timeout closes with an error code first)
//
// Invariants:
// 1. Nothing but `hello` is accepted before `hello`; nothing but authentication before
//    `welcome`; the server's other logic sees only frames of an active session.
// 2. Every close is preceded by an error message carrying the reason, except the
//    client's own goodbye.

public struct ConnectionStateMachine: Sendable {
    public enum State: Hashable, Sendable {
        case awaitingHello
        case awaitingAuthentication
        case authenticating
        case active
        case closed
    }

    public enum Action: Hashable, Sendable {
        case none
        case send(ServerMessage)
        /// Send the error, then close the connection.
        case close(ErrorCode, String)
        /// Close without a word (the client said goodbye).
        case closeQuietly
        case authenticateGuest(displayName: String)
        case authenticateMember(token: [UInt8])
        case authenticateTicket(ticket: [UInt8])
        /// A message for the server's logic (enter, leave, input, ping ...).
        case deliver(ClientMessage)
    }

    public struct Limits: Hashable, Sendable {
        /// From connecting to the client's authentication (hello, then its credentials).
        public var handshakeMillis: UInt64 = 5_000
        /// From the credentials to `welcome` or a refusal: the server's own checks (the store, a
        /// cluster's directory). Past it the server says it is busy, not that the client was slow.
        public static let checkMillis: UInt64 = 10_000
        /// The longest silence from an active client, on TCP and its bound UDP address together
        /// (clients send inputs every tick while in a space, and ping otherwise).
        public var idleMillis: UInt64 = 30_000

        public init(handshakeMillis: UInt64 = 5_000, idleMillis: UInt64 = 30_000) {
            self.handshakeMillis = handshakeMillis
            self.idleMillis = idleMillis
        }
    }

    public private(set) var state: State = .awaitingHello
    public let limits: Limits
    let connectedAtMillis: UInt64
    var lastHeardMillis: UInt64
    /// When the client's credentials arrived (the `authenticating` state began).
    var credentialsAtMillis: UInt64 = 0

    public init(nowMillis: UInt64, limits: Limits = Limits()) {
        self.limits = limits
        connectedAtMillis = nowMillis
        lastHeardMillis = nowMillis
    }

    /// A complete frame body arrived.
    public mutating func received(_ body: [UInt8], nowMillis: UInt64) -> Action {
        guard state != .closed else { return .none }
        lastHeardMillis = nowMillis
        let message: ClientMessage
        do {
            message = try ClientMessage.decode(body)
        } catch {
            // Before `hello`, a frame this server cannot read is most likely another protocol.
            if state == .awaitingHello { return close(.protocolMismatch, "this is a SeoulWorld server (protocol id 0x\(String(WireProtocol.id, radix: 16)), version \(WireProtocol.version)); the first frame was not a hello: \(error)") }
            return close(.malformedMessage, "malformed message: \(error)")
        }
        switch (state, message) {
        case (.awaitingHello, .hello(let id, let version)):
            guard id == WireProtocol.id else {
                return close(.protocolMismatch, "protocol id 0x\(String(id, radix: 16)) is not SeoulWorld's (0x\(String(WireProtocol.id, radix: 16)))")
            }
            guard version == WireProtocol.version else {
                return close(.versionMismatch, "this server speaks protocol version \(WireProtocol.version); the client speaks \(version)")
            }
            state = .awaitingAuthentication
            return .send(.helloOK(version: WireProtocol.version))
        case (.awaitingHello, _):
            return close(.unexpectedMessage, "the first message must be hello")
        case (.awaitingAuthentication, .authenticateGuest(let name)):
            state = .authenticating
            credentialsAtMillis = nowMillis
            return .authenticateGuest(displayName: name)
        case (.awaitingAuthentication, .authenticateMember(let token)):
            state = .authenticating
            credentialsAtMillis = nowMillis
            return .authenticateMember(token: token)
        case (.awaitingAuthentication, .authenticateTicket(let ticket)):
            state = .authenticating
            credentialsAtMillis = nowMillis
            return .authenticateTicket(ticket: ticket)
        case (.awaitingAuthentication, .goodbye), (.authenticating, .goodbye), (.active, .goodbye):
            state = .closed
            return .closeQuietly
        case (.awaitingAuthentication, _), (.authenticating, _):
            return close(.notAuthenticated, "authenticate as a guest or a member first")
        case (.active, .hello), (.active, .authenticateGuest), (.active, .authenticateMember), (.active, .authenticateTicket):
            return close(.unexpectedMessage, "already authenticated")
        case (.active, _):
            return .deliver(message)
        case (.closed, _):
            return .none
        }
    }

    /// The client was heard on another channel (a valid UDP packet from its bound address):
    /// it is not idle, even if its TCP connection is quiet.
    public mutating func heard(nowMillis: UInt64) {
        if state != .closed { lastHeardMillis = max(lastHeardMillis, nowMillis) }
    }

    /// The server checked the credentials and welcomes the client.
    public mutating func authenticated(_ welcome: Welcome) -> Action {
        guard state == .authenticating else { return .none }
        state = .active
        return .send(.welcome(welcome))
    }

    /// The server refused the credentials.
    public mutating func refused(_ code: ErrorCode, _ text: String) -> Action {
        guard state == .authenticating else { return .none }
        return close(code, text)
    }

    /// Time passed; closes a handshake that took too long or a client gone silent.
    public mutating func timePassed(nowMillis: UInt64) -> Action {
        switch state {
        case .awaitingHello, .awaitingAuthentication:
            if nowMillis >= connectedAtMillis + limits.handshakeMillis {
                return close(.handshakeTimeout, "no hello and authentication within \(limits.handshakeMillis) ms")
            }
        case .authenticating:
            // The client did its part in time; the server's checks are taking too long.
            if nowMillis >= credentialsAtMillis + Limits.checkMillis {
                return close(.busy, "the server could not check these credentials within \(Limits.checkMillis / 1_000) s (its store or the cluster's directory is slow); try again in a few seconds")
            }
        case .active:
            if nowMillis >= lastHeardMillis + limits.idleMillis {
                return close(.idleTimeout, "nothing heard for \(limits.idleMillis) ms")
            }
        case .closed:
            break
        }
        return .none
    }

    /// The server closes the connection for its own reasons (shutdown, a slow reader).
    public mutating func close(_ code: ErrorCode, _ text: String) -> Action {
        guard state != .closed else { return .none }
        state = .closed
        return .close(code, text)
    }
}
