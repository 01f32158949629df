// A message one node of the cluster passes to another (issue 25; docs/CLUSTER.md "Between
// nodes"): a direct chat line to an account online there, a staff announcement to everyone, or
// an operator's notice to everyone or to one space. Carried as the payload of PostgreSQL's
// NOTIFY (Store's Presence.swift), as JSON, so that an operator reading `LISTEN seoulworld_relay`
// in psql can read it too.
//
// The sending node has done everything that concerns the sender: the guest rule, the mute, the
// text's rules, the filter and the sender's own blocks. The receiving node does what concerns
// its people: the recipient's blocks, and who is in which space.
//
// Invariants:
// 1. `decode(encode(m)) == m` for every message; anything else decodes to nil, never a crash.
// 2. A node acts only on a message addressed to it (`to`, or everyone but the sender when empty).

import Foundation

public struct RelayMessage: Codable, Sendable, Hashable {
    public enum Kind: String, Codable, Sendable, Hashable {
        /// To one member's sessions on `to` (`account`).
        case direct
        /// A staff member's announcement in chat, to everyone active.
        case announce
        /// An operator's notice: to everyone active, or to those in `space`.
        case notice
    }

    /// The layout; a node ignores a version it does not know.
    public static let version = 1

    public var v = Self.version
    public var kind: Kind
    /// The sending node.
    public var from: String
    /// The node it is for; empty for every node but the sender.
    public var to: String
    /// The recipient's account (direct).
    public var account: String?
    /// A notice's space; nil for everywhere.
    public var space: String?
    public var senderAccount: String?
    public var senderName: String
    /// Already checked and filtered by the sending node.
    public var text: String
    /// When it was sent, the sender's clock, Unix milliseconds.
    public var atMillis: Int64

    public init(kind: Kind, from: String, to: String, account: String? = nil, space: String? = nil, senderAccount: String?,
                senderName: String, text: String, atMillis: Int64) {
        self.kind = kind
        self.from = from
        self.to = to
        self.account = account
        self.space = space
        self.senderAccount = senderAccount
        self.senderName = senderName
        self.text = text
        self.atMillis = atMillis
    }

    public func encode() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a struct of strings and integers cannot fail.
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    /// The message in `payload`, or nil when it is not one this node understands (invariant 1).
    public static func decode(_ payload: String) -> RelayMessage? {
        guard let message = try? JSONDecoder().decode(RelayMessage.self, from: Data(payload.utf8)), message.v == version else { return nil }
        if message.kind == .direct && (message.account ?? "").isEmpty { return nil }
        return message
    }

    /// Whether node `me` acts on it (invariant 2).
    public func isFor(_ me: String) -> Bool {
        from != me && (to.isEmpty || to == me)
    }
}
