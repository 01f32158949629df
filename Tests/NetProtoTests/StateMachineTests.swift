import Testing
@testable import NetProto

@Suite struct ConnectionStateMachineTests {
    let hello = ClientMessage.hello(protocolID: WireProtocol.id, version: WireProtocol.version).encode()

    @Test func aGuestGetsWelcomedAndItsMessagesDelivered() {
        var m = ConnectionStateMachine(nowMillis: 0)
        #expect(m.received(hello, nowMillis: 10) == .send(.helloOK(version: WireProtocol.version)))
        #expect(m.received(ClientMessage.authenticateGuest(displayName: "guest").encode(), nowMillis: 20) == .authenticateGuest(displayName: "guest"))
        let welcome = Welcome(sessionID: 1, udpSecret: Array(repeating: 1, count: 16), tickRateHertz: 20, role: 0, displayName: "guest", spaces: [])
        #expect(m.authenticated(welcome) == .send(.welcome(welcome)))
        #expect(m.state == .active)
        let enter = ClientMessage.enterSpace(requestID: 1, spaceID: "seoul-plaza")
        #expect(m.received(enter.encode(), nowMillis: 30) == .deliver(enter))
        #expect(m.received(ClientMessage.goodbye.encode(), nowMillis: 40) == .closeQuietly)
        #expect(m.state == .closed)
        #expect(m.received(enter.encode(), nowMillis: 50) == .none)
    }

    @Test func aWrongVersionGetsItsErrorCode() {
        var m = ConnectionStateMachine(nowMillis: 0)
        guard case .close(let code, let text) = m.received(ClientMessage.hello(protocolID: WireProtocol.id, version: 99).encode(), nowMillis: 1) else {
            Issue.record("a wrong version must close with an error")
            return
        }
        #expect(code == .versionMismatch)
        #expect(text.contains("version \(WireProtocol.version)") && text.contains("99"))
        var other = ConnectionStateMachine(nowMillis: 0)
        if case .close(let code, _) = other.received(ClientMessage.hello(protocolID: 0x1234, version: 1).encode(), nowMillis: 1) {
            #expect(code == .protocolMismatch)
        } else { Issue.record("a wrong protocol id must close") }
        var http = ConnectionStateMachine(nowMillis: 0)
        if case .close(let code, _) = http.received(Array("GET / HTTP/1.1".utf8), nowMillis: 1) {
            #expect(code == .protocolMismatch)
        } else { Issue.record("another protocol must close") }
    }

    @Test func orderAndTimeAreEnforced() {
        var early = ConnectionStateMachine(nowMillis: 0)
        if case .close(let code, _) = early.received(ClientMessage.enterSpace(requestID: 1, spaceID: "x").encode(), nowMillis: 1) {
            #expect(code == .unexpectedMessage)
        } else { Issue.record("enter before hello must close") }
        var unauthenticated = ConnectionStateMachine(nowMillis: 0)
        _ = unauthenticated.received(hello, nowMillis: 1)
        if case .close(let code, _) = unauthenticated.received(ClientMessage.leaveSpace(requestID: 1).encode(), nowMillis: 2) {
            #expect(code == .notAuthenticated)
        } else { Issue.record("leave before authentication must close") }
        var slow = ConnectionStateMachine(nowMillis: 1_000, limits: .init(handshakeMillis: 5_000, idleMillis: 30_000))
        #expect(slow.timePassed(nowMillis: 5_999) == .none)
        if case .close(let code, _) = slow.timePassed(nowMillis: 6_000) { #expect(code == .handshakeTimeout) } else { Issue.record("handshake deadline") }
        // Credentials sent in time and the server slow to check them: not the client's fault.
        var checking = ConnectionStateMachine(nowMillis: 1_000, limits: .init(handshakeMillis: 5_000, idleMillis: 30_000))
        _ = checking.received(hello, nowMillis: 1_001)
        _ = checking.received(ClientMessage.authenticateGuest(displayName: "g").encode(), nowMillis: 5_000)
        #expect(checking.timePassed(nowMillis: 14_999) == .none, "past the handshake's 5 s, still within the check's 10 s")
        if case .close(let code, _) = checking.timePassed(nowMillis: 15_000) { #expect(code == .busy) } else { Issue.record("check deadline") }
        var idle = ConnectionStateMachine(nowMillis: 0)
        _ = idle.received(hello, nowMillis: 1)
        _ = idle.received(ClientMessage.authenticateGuest(displayName: "g").encode(), nowMillis: 2)
        _ = idle.authenticated(Welcome(sessionID: 1, udpSecret: Array(repeating: 0, count: 16), tickRateHertz: 20, role: 0, displayName: "g", spaces: []))
        _ = idle.received(ClientMessage.ping(clientTimeMicros: 0).encode(), nowMillis: 10_000)
        #expect(idle.timePassed(nowMillis: 39_999) == .none)
        if case .close(let code, _) = idle.timePassed(nowMillis: 40_000) { #expect(code == .idleTimeout) } else { Issue.record("idle timeout") }
    }

    @Test func udpActivityKeepsAQuietTCPConnectionAlive() {
        var m = ConnectionStateMachine(nowMillis: 0)
        _ = m.received(hello, nowMillis: 1)
        _ = m.received(ClientMessage.authenticateGuest(displayName: "g").encode(), nowMillis: 2)
        _ = m.authenticated(Welcome(sessionID: 1, udpSecret: Array(repeating: 0, count: 16), tickRateHertz: 20, role: 0, displayName: "g", spaces: []))
        for t in stride(from: UInt64(1_000), through: 120_000, by: 1_000) {
            m.heard(nowMillis: t)
            #expect(m.timePassed(nowMillis: t) == .none, "at \(t) ms")
        }
        if case .close(let code, _) = m.timePassed(nowMillis: 150_001) { #expect(code == .idleTimeout) } else { Issue.record("silence must still time out") }
    }

    @Test func refusedCredentialsCloseWithTheReason() {
        var m = ConnectionStateMachine(nowMillis: 0)
        _ = m.received(hello, nowMillis: 1)
        #expect(m.received(ClientMessage.authenticateMember(token: [1, 2, 3]).encode(), nowMillis: 2) == .authenticateMember(token: [1, 2, 3]))
        #expect(m.refused(.tokenExpired, "token expired at 2026-11-21T00:00:00Z") == .close(.tokenExpired, "token expired at 2026-11-21T00:00:00Z"))
        #expect(m.state == .closed)
    }
}

@Suite struct BindingStateMachineTests {
    @Test func retriesFromTheSameAddressGetTheSameChallenge() {
        // Found by the load soak: with round trips slower than the client's retries, a fresh
        // nonce per request invalidated every answer, and 1,500 of 2,000 bots never bound.
        var m = BindingStateMachine<String>(sessionID: 5)
        #expect(m.bindRequested(from: "a", nonce: 1) == .reply(.challenge(sessionID: 5, nonce: 1), to: "a"))
        #expect(m.bindRequested(from: "a", nonce: 2) == .reply(.challenge(sessionID: 5, nonce: 1), to: "a"))
        #expect(m.bindRequested(from: "a", nonce: 3) == .reply(.challenge(sessionID: 5, nonce: 1), to: "a"))
        let mac = Array(repeating: UInt8(1), count: 16)
        guard case .bind = m.challengeAnswered(from: "a", nonce: 1, mac: mac, expectedMAC: mac) else {
            Issue.record("the answer to the first challenge must still bind")
            return
        }
        var moved = BindingStateMachine<String>(sessionID: 6)
        _ = moved.bindRequested(from: "a", nonce: 1)
        #expect(moved.bindRequested(from: "b", nonce: 2) == .reply(.challenge(sessionID: 6, nonce: 2), to: "b"), "another address replaces the challenge")
    }

    @Test func aChallengeBindsOnlyTheAddressThatAnsweredIt() {
        var m = BindingStateMachine<String>(sessionID: 77)
        let request = Packet.bindRequest(sessionID: 77).encode()
        let action = m.bindRequested(from: "10.0.0.1:5000", nonce: 1234)
        guard case .reply(let challenge, let to) = action else {
            Issue.record("a bind request must be challenged")
            return
        }
        #expect(to == "10.0.0.1:5000")
        #expect(challenge.encode().count < request.count, "no amplification: \(challenge.encode().count) >= \(request.count)")
        #expect(!m.accepts(from: "10.0.0.1:5000"))
        let good = Array(repeating: UInt8(9), count: 16), bad = Array(repeating: UInt8(8), count: 16)
        #expect(m.challengeAnswered(from: "10.0.0.1:5000", nonce: 1234, mac: bad, expectedMAC: good) == .none)
        #expect(m.challengeAnswered(from: "10.6.6.6:5000", nonce: 1234, mac: good, expectedMAC: good) == .none, "a spoofed address cannot answer")
        #expect(m.challengeAnswered(from: "10.0.0.1:5000", nonce: 1, mac: good, expectedMAC: good) == .none, "a stale nonce is refused")
        let bound = m.challengeAnswered(from: "10.0.0.1:5000", nonce: 1234, mac: good, expectedMAC: good)
        guard case .bind(let address, let reply) = bound else {
            Issue.record("the right answer must bind")
            return
        }
        #expect(address == "10.0.0.1:5000")
        #expect(reply.encode().count < Packet.challengeResponse(sessionID: 77, nonce: 1234, mac: good).encode().count)
        #expect(m.accepts(from: "10.0.0.1:5000"))
        #expect(!m.accepts(from: "10.6.6.6:5000"))
    }
}
