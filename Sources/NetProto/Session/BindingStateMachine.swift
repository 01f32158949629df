// Binding a UDP address to a TCP session, so that realtime packets from an address are
// believed only after the client proved, from that address, that it holds the session's
// UDP secret (sent over the TCP channel only).
//
//   client                                 server
//   bindRequest(session), 32 bytes   ───▶  session known? remember (address, nonce)
//                                    ◀───  challenge(session, nonce), 21 bytes
//   challengeResponse(session, nonce,
//     mac = HMAC-SHA256(secret, "SWLD bind" ‖ session ‖ nonce)[0..<16])  ───▶ mac right? bind
//                                    ◀───  bound(session), 13 bytes
//
// Invariants:
// 1. Nothing is stored for a packet naming an unknown session, and nothing is answered.
// 2. Every answer is smaller than the packet it answers (no amplification).
// 3. At most one challenge is pending per session. A repeated request from the same address
//    gets the same challenge again (a client retrying while round trips are slower than its
//    retries must not invalidate its own answers); a request from another address replaces it.
// The MAC is computed by the caller (the server holds the cryptography), passed as `expectedMAC`.

public struct BindingStateMachine<Address: Hashable & Sendable>: Sendable {
    public enum State: Hashable, Sendable {
        case unbound
        case challenged(address: Address, nonce: UInt64)
        case bound(address: Address)
    }

    public enum Action: Hashable, Sendable {
        case none
        case reply(Packet, to: Address)
        /// The session is now bound to this address (replacing any earlier one).
        case bind(Address, reply: Packet)
    }

    public let sessionID: UInt64
    public private(set) var state: State = .unbound

    public init(sessionID: UInt64) { self.sessionID = sessionID }


    /// A bind request from `address`; `nonce` is a fresh random number from the server, used
    /// unless a challenge to this address is already pending.
    public mutating func bindRequested(from address: Address, nonce: UInt64) -> Action {
        if case .bound(let current) = state, current == address {
            return .reply(.bound(sessionID: sessionID), to: address)
        }
        if case .challenged(let pending, let pendingNonce) = state, pending == address {
            return .reply(.challenge(sessionID: sessionID, nonce: pendingNonce), to: address)
        }
        state = .challenged(address: address, nonce: nonce)
        return .reply(.challenge(sessionID: sessionID, nonce: nonce), to: address)
    }

    /// A challenge response from `address`, with the MAC the server computed for the pending nonce.
    public mutating func challengeAnswered(from address: Address, nonce: UInt64, mac: [UInt8], expectedMAC: [UInt8]) -> Action {
        guard case .challenged(let pendingAddress, let pendingNonce) = state, pendingAddress == address, pendingNonce == nonce,
              constantTimeEqual(mac, expectedMAC) else { return .none }
        state = .bound(address: address)
        return .bind(address, reply: .bound(sessionID: sessionID))
    }

    /// Whether a realtime packet from `address` belongs to this session.
    public func accepts(from address: Address) -> Bool {
        if case .bound(let bound) = state { return bound == address }
        return false
    }

    /// The nonce a response must carry, if a challenge is pending.
    public var pendingNonce: UInt64? {
        if case .challenged(_, let nonce) = state { return nonce }
        return nil
    }
}

/// Compares without stopping at the first difference, so timing does not reveal how much of a MAC was right.
public func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for i in a.indices { difference |= a[i] ^ b[i] }
    return difference == 0
}

/// The bytes a binding MAC covers: "SWLD bind", the session id and the nonce, little-endian
/// (docs/PROTOCOL.md, section 5).
public func bindingMACInput(sessionID: UInt64, nonce: UInt64) -> [UInt8] {
    var w = ByteWriter()
    w.raw(Array("SWLD bind".utf8))
    w.u64(sessionID)
    w.u64(nonce)
    return w.bytes
}
