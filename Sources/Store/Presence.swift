// Who is online on which node of a cluster, and the messages nodes pass to each other (issue
// 25; docs/CLUSTER.md "Between nodes", docs/DATA.md "v8-presence"). A node calls these from its
// cluster thread (WorldServer's ClusterLink), never from the loop.
//
// Presence is each node's own: a node replaces all its rows at once when its people changed,
// and a reader takes only rows of live nodes (seen within the liveness window, not stopped), so
// a node that failed stops counting as soon as it stops announcing itself, without anyone
// deleting its rows. Messages between nodes go over PostgreSQL's NOTIFY on `relayChannel`, with
// the message as the payload: delivered when the sending transaction commits, to every node
// listening then, and to nobody later (a node that is down misses them).
//
// Invariants:
// 1. After `publishPresence(node:people:)` commits, the node's rows are exactly `people`.
// 2. `whereIs` and `presence` never answer a row of a node that is not live at the read.
// 3. A relay payload over `relayPayloadMax` bytes is refused before it reaches the database.

import Foundation
import PostgresNIO

/// One session online on a node, as the cluster's presence has it.
public struct PresenceEntry: Sendable, Hashable {
    public enum Role: String, Sendable, Hashable, CaseIterable {
        case guest, member, staff
    }

    public var node: String
    /// The node's session id (its 64 bits as a signed integer, as PostgreSQL keeps them).
    public var sessionID: Int64
    /// Nil for a guest.
    public var accountID: String?
    public var displayName: String
    public var role: Role
    /// The space it is in; nil between spaces.
    public var spaceID: String?
    /// When it came online on this node (the node's clock, Unix milliseconds).
    public var sinceMillis: Int64

    public init(node: String, sessionID: Int64, accountID: String?, displayName: String, role: Role, spaceID: String?, sinceMillis: Int64) {
        self.node = node
        self.sessionID = sessionID
        self.accountID = accountID
        self.displayName = displayName
        self.role = role
        self.spaceID = spaceID
        self.sinceMillis = sinceMillis
    }
}

extension PostgresStore {
    /// The channel nodes pass messages on (direct chat, announcements, operators' notices).
    public static let relayChannel = "seoulworld_relay"
    /// PostgreSQL refuses a NOTIFY payload of 8,000 bytes or more; this leaves room to spare.
    public static let relayPayloadMax = 7_900

    /// Replaces `node`'s presence with `people` (invariant 1); their `node` fields are ignored.
    public func publishPresence(node: String, people: [PresenceEntry]) throws {
        try inTransaction("publishing \(node)'s presence in \(name)") { c in
            try run(c, "DELETE FROM cluster_presence WHERE node = \(node)")
            guard !people.isEmpty else { return }
            let sessions = people.map(\.sessionID), accounts = people.map { $0.accountID ?? "" }, names = people.map(\.displayName)
            let roles = people.map(\.role.rawValue), spaces = people.map { $0.spaceID ?? "" }, since = people.map(\.sinceMillis)
            try run(c, """
                INSERT INTO cluster_presence (node, session_id, account_id, display_name, role, space_id, since_ms)
                SELECT \(node), u.session_id, NULLIF(u.account_id, ''), u.display_name, u.role, NULLIF(u.space_id, ''), u.since_ms
                FROM unnest(\(sessions)::bigint[], \(accounts)::text[], \(names)::text[], \(roles)::text[], \(spaces)::text[], \(since)::bigint[])
                    AS u(session_id, account_id, display_name, role, space_id, since_ms)
                """)
        }
    }

    /// The sessions of `account` on live nodes other than `except` (invariant 2), oldest first.
    public func whereIs(account: String, except: String, liveMillis: Int64) throws -> [PresenceEntry] {
        try people(account: account, except: except, liveMillis: liveMillis, what: "finding \(account)")
    }

    /// Everyone online on a live node (invariant 2), by node, then session.
    public func presence(liveMillis: Int64) throws -> [PresenceEntry] {
        try people(account: "", except: "", liveMillis: liveMillis, what: "reading who is online")
    }

    /// Sends `payload` to every node listening on `relayChannel` (itself included) when this
    /// statement commits; refused over `relayPayloadMax` bytes (invariant 3).
    public func relay(_ payload: String) throws {
        guard payload.utf8.count <= Self.relayPayloadMax else {
            throw RelayTooLarge(bytes: payload.utf8.count)
        }
        try inTransaction("passing a message to the other nodes in \(name)") { c in
            try run(c, "SELECT pg_notify(\(Self.relayChannel), \(payload))")
        }
    }

    /// Calls `heard` (on the store's own thread) with each payload sent on `channel`: `LISTEN`.
    /// Lost with the connection; listen again on the next one.
    public func listen(_ channel: String, payloads heard: @escaping @Sendable (String) -> Void) throws {
        try connected().addListener(channel: channel) { _, notification in heard(notification.payload) }
    }

    /// Presence rows of live nodes: of one account unless `account` is empty, and not of the
    /// node `except` names.
    private func people(account: String, except: String, liveMillis: Int64, what: String) throws -> [PresenceEntry] {
        try inTransaction("\(what) in \(name)") { c in
            try run(c, """
                SELECT p.node, p.session_id, COALESCE(p.account_id, ''), p.display_name, p.role, COALESCE(p.space_id, ''), p.since_ms
                FROM cluster_presence p JOIN cluster_nodes n ON n.node = p.node
                WHERE n.state = 'serving' AND n.seen_at_ms >= \(unescaped: Self.databaseNowMillis) - \(liveMillis)
                    AND (\(account) = '' OR p.account_id = \(account)) AND p.node <> \(except)
                ORDER BY p.node, p.since_ms, p.session_id
                """).rows.map(Self.presenceEntry)
        }
    }

    private static func presenceEntry(_ row: PostgresRow) throws -> PresenceEntry {
        let (node, session, account, name, role, space, since) = try row.decode((String, Int64, String, String, String, String, Int64).self)
        return PresenceEntry(node: node, sessionID: session, accountID: account.isEmpty ? nil : account, displayName: name,
                             role: PresenceEntry.Role(rawValue: role) ?? .guest, spaceID: space.isEmpty ? nil : space, sinceMillis: since)
    }
}

/// A message between nodes too large for NOTIFY's payload (`PostgresStore.relayPayloadMax`).
public struct RelayTooLarge: Error, CustomStringConvertible, Sendable {
    public var bytes: Int
    public var description: String { "a message between nodes of \(bytes) bytes is over the \(PostgresStore.relayPayloadMax) that NOTIFY carries" }
}
