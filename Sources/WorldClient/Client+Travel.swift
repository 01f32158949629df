// The client's travel between nodes (PROTOCOL.md 7.19, 7.20): following a hand-over to another
// node with its ticket, and coming back with a resume ticket after a dropped connection, to the
// nodes it lists in turn. The state these keep (the resume ticket, the resumption under way,
// the counts) is the client's, in Client.swift.

import NetProto
import Transport

extension WorldClient {
    /// Goes where a `handOver` says: this connection and its UDP socket closed, the session's
    /// state forgotten, and a connection to the other node made with the ticket as credentials.
    /// What the client kept (chat received, answers, counts) stays.
    func follow(spaceID: String, node: String, host: String, port: UInt16, ticket: [UInt8], requestedAtNanos: UInt64?) {
        let now = Monotonic.nanoseconds()
        Self.keep(&handOvers, (spaceID, node, now))
        handOverPendingSince = requestedAtNanos ?? now
        send(.goodbye)
        connection?.close()
        forgetSession()
        do {
            serverAddress = try SocketAddress(host: host, port: port)
            credentials = .ticket(ticket)
            try connect()
        } catch {
            errors.append((.internalError, 0, "cannot follow the hand-over to node '\(node)' at \(host):\(port): \(error)"))
            closeReason = "the hand-over to \(host):\(port) failed: \(error)"
            closed = true
        }
    }

    /// The state of a session on a node, forgotten as the client leaves for another (or the
    /// same) node; what the client kept (chat received, answers, counts) stays.
    func forgetSession() {
        udp?.close()
        udp = nil
        decoder = FrameDecoder()
        welcome = nil
        udpBound = false
        space = nil
        entity = nil
        view = []
        held = []
        names = [:]
        badges = [:]
        ticksSinceBindRequest = 0
        bindRetryTicks = 5
    }

    /// The connection dropped, or a node did not answer: a resumption begins (or its attempt
    /// failed, and the next one is made when due).
    func dropped() {
        // A hand-over under way failed (its node did not answer); the resumption places the
        // client instead.
        if handOverPendingSince != nil {
            handOverPendingSince = nil
            handOversUnanswered += 1
        }
        if resuming == nil {
            drops += 1
            resuming = Resumption(sinceNanos: Monotonic.nanoseconds())
        } else {
            resuming?.connecting = false
            resuming?.admitted = false
        }
        forgetSession()
        if let r = resuming, r.attempts == 0 { tryResume() }
    }

    /// The next attempt of a resumption: the next node of the ticket's list (this client's own
    /// node first), until the ticket runs out; then the client is closed, saying so.
    func tryResume() {
        guard var r = resuming, let ticket = resumeTicket, !ticket.nodes.isEmpty else { return }
        let now = Monotonic.nanoseconds()
        guard now < ticket.untilNanos else {
            resuming = nil
            closeReason = "the connection dropped and no node took this client back within its resume ticket's window"
            closed = true
            return
        }
        let address = ticket.nodes[r.attempts % ticket.nodes.count]
        r.attempts += 1
        r.nextAtNanos = now + 500_000_000 * UInt64(min(r.attempts, 4))
        r.connecting = true
        r.accepted = false
        resuming = r
        // The attempt before this one is abandoned (its callbacks no longer match `connection`).
        let previous = connection
        connection = nil
        previous?.close()
        var host = address.lastIndex(of: ":").map { String(address[..<$0]) } ?? ""
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard let colon = address.lastIndex(of: ":"), let port = UInt16(address[address.index(after: colon)...]),
              let target = try? SocketAddress(host: host, port: port) else {
            resuming?.connecting = false
            return
        }
        serverAddress = target
        credentials = .ticket(ticket.ticket)
        do { try connect() } catch { resuming?.connecting = false }
    }
}
