// The cluster's directory on PostgreSQL (issue 25; docs/CLUSTER.md, docs/DATA.md "v7-cluster"):
// which nodes are up, which node hosts which space instance under a lease, and the hand-over
// tickets already used. A node calls these from its cluster thread (WorldServer's ClusterLink)
// on a connection of its own, never from the loop.
//
// Leases are counted on the database's clock (`clock_timestamp()`), never a node's: two nodes
// whose clocks disagree still agree on who holds a space. A claim is one statement,
// `INSERT ... ON CONFLICT DO UPDATE ... WHERE` the lease has run out (or is the claimer's own):
// PostgreSQL takes the row's lock, so of two nodes claiming at once exactly one gets a row back.
//
// Invariants:
// 1. A space instance is granted to a node only when no other node's lease on it is running at
//    the grant's time (the claim's WHERE); so two nodes' leases on one instance never overlap.
// 2. A renewal extends only a lease the node still holds (`node` is its own): a lease another
//    node took is never renewed back.
// 3. A ticket is redeemed once: its id is the primary key of `tickets_used`.

import Foundation
import PostgresNIO

/// A node of the cluster as the directory has it.
public struct ClusterNode: Sendable, Hashable {
    public var name: String
    /// Where clients reach it: `host:port` (TCP and UDP on one port).
    public var address: String
    /// The spaces it prefers to host (configuration), in its order.
    public var prefers: [String]
    /// Whether it announced itself within the liveness window and has not stopped.
    public var live: Bool
    public var population: Int
    /// Its last announcement, on the database's clock (as `DirectoryView.atMillis`).
    public var seenAtMillis: Int64
    /// The nodes it could not reach at their public addresses for a few seconds, as it said in
    /// its last announcement (Services' Reachability).
    public var cannotReach: [String]

    public init(name: String, address: String, prefers: [String], live: Bool, population: Int, seenAtMillis: Int64 = 0, cannotReach: [String] = []) {
        self.cannotReach = cannotReach
        self.name = name
        self.address = address
        self.prefers = prefers
        self.live = live
        self.population = population
        self.seenAtMillis = seenAtMillis
    }
}

/// One space instance's host.
public struct SpaceHostEntry: Sendable, Hashable {
    public var spaceID: String
    public var instance: Int
    public var node: String
    /// Whether its lease runs at the directory's time of reading.
    public var live: Bool
    public var population: Int
    public var capacity: Int

    public init(spaceID: String, instance: Int, node: String, live: Bool, population: Int, capacity: Int) {
        self.spaceID = spaceID
        self.instance = instance
        self.node = node
        self.live = live
        self.population = population
        self.capacity = capacity
    }
}

/// The directory as read at one moment of the database's clock.
public struct DirectoryView: Sendable, Hashable {
    public var atMillis: Int64
    public var nodes: [ClusterNode]
    public var hosts: [SpaceHostEntry]

    public init(atMillis: Int64, nodes: [ClusterNode], hosts: [SpaceHostEntry]) {
        self.atMillis = atMillis
        self.nodes = nodes
        self.hosts = hosts
    }
}

/// The answer to a claim: granted (until when, on the database's clock), or who holds it.
public enum ClaimAnswer: Sendable, Hashable {
    case granted(atMillis: Int64, untilMillis: Int64)
    case heldBy(node: String, untilMillis: Int64)
}

extension PostgresStore {
    /// The database's clock in Unix milliseconds, as SQL.
    static let databaseNowMillis = "(extract(epoch from clock_timestamp()) * 1000)::bigint"

    /// Says that `node` is up (or stopped), where clients reach it, what it prefers and how many
    /// people it holds, and which other nodes it cannot reach. `liveMillis` after the last call
    /// without another, it counts as down.
    public func announce(node: String, address: String, prefers: [String], population: Int, cannotReach: [String] = [], stopped: Bool = false) throws {
        let state = stopped ? "stopped" : "serving"
        let prefersText = prefers.joined(separator: ",")
        let cannotReachText = cannotReach.sorted().joined(separator: ",")
        try inTransaction("announcing node \(node) in \(name)") { c in
            try run(c, """
                INSERT INTO cluster_nodes (node, address, prefers, started_at_ms, seen_at_ms, population, state, cannot_reach)
                SELECT \(node), \(address), \(prefersText), n.ms, n.ms, \(Int64(population)), \(state), \(cannotReachText) FROM (SELECT \(unescaped: Self.databaseNowMillis) AS ms) n
                ON CONFLICT (node) DO UPDATE SET address = EXCLUDED.address, prefers = EXCLUDED.prefers, seen_at_ms = EXCLUDED.seen_at_ms,
                    population = EXCLUDED.population, state = EXCLUDED.state, cannot_reach = EXCLUDED.cannot_reach,
                    started_at_ms = CASE WHEN cluster_nodes.state = 'stopped' THEN EXCLUDED.started_at_ms ELSE cluster_nodes.started_at_ms END
                """)
        }
    }

    /// Claims a space instance for `node` for `leaseMillis`: granted when nobody holds it, its
    /// lease ran out, or `node` holds it already (invariant 1).
    public func claim(space: String, instance: Int, node: String, capacity: Int, leaseMillis: Int64) throws -> ClaimAnswer {
        try inTransaction("claiming \(space) #\(instance) for \(node) in \(name)") { c in
            let granted = try run(c, """
                INSERT INTO space_hosts (space_id, instance, node, claimed_at_ms, lease_until_ms, population, capacity)
                SELECT \(space), \(Int64(instance)), \(node), n.ms, n.ms + \(leaseMillis), 0, \(Int64(capacity)) FROM (SELECT \(unescaped: Self.databaseNowMillis) AS ms) n
                ON CONFLICT (space_id, instance) DO UPDATE SET node = EXCLUDED.node, claimed_at_ms = EXCLUDED.claimed_at_ms,
                    lease_until_ms = EXCLUDED.lease_until_ms, population = 0, capacity = EXCLUDED.capacity
                WHERE space_hosts.lease_until_ms < EXCLUDED.claimed_at_ms OR space_hosts.node = EXCLUDED.node
                RETURNING claimed_at_ms, lease_until_ms
                """).rows.first.map { try $0.decode((Int64, Int64).self) }
            if let granted { return .granted(atMillis: granted.0, untilMillis: granted.1) }
            let holder = try run(c, "SELECT node, lease_until_ms FROM space_hosts WHERE space_id = \(space) AND instance = \(Int64(instance))")
                .rows.first!.decode((String, Int64).self)
            return .heldBy(node: holder.0, untilMillis: holder.1)
        }
    }

    /// Renews the leases `node` still holds among `leases` (each with its population now) for
    /// `leaseMillis`; returns those renewed, with the database's time of the renewal. One lost
    /// to another node is absent (invariant 2).
    public func renew(node: String, leases: [(space: String, instance: Int, population: Int)], leaseMillis: Int64) throws -> (atMillis: Int64, renewed: Set<SpaceInstanceKey>) {
        guard !leases.isEmpty else { return (try databaseMillis(), []) }
        return try inTransaction("renewing \(node)'s leases in \(name)") { c in
            let spaces = leases.map(\.space), instances = leases.map { Int64($0.instance) }, populations = leases.map { Int64($0.population) }
            let rows = try run(c, """
                UPDATE space_hosts h SET lease_until_ms = n.ms + \(leaseMillis), population = u.population
                FROM unnest(\(spaces)::text[], \(instances)::bigint[], \(populations)::bigint[]) AS u(space_id, instance, population),
                     (SELECT \(unescaped: Self.databaseNowMillis) AS ms) n
                WHERE h.space_id = u.space_id AND h.instance = u.instance AND h.node = \(node)
                RETURNING h.space_id, h.instance, n.ms
                """).rows.map { try $0.decode((String, Int64, Int64).self) }
            let at = try rows.first?.2 ?? run(c, PostgresQuery(unsafeSQL: "SELECT \(Self.databaseNowMillis)")).rows.first!.decode(Int64.self)
            return (at, Set(rows.map { SpaceInstanceKey(space: $0.0, instance: Int($0.1)) }))
        }
    }

    /// The channel PostgreSQL notifies when a transaction that added to the audit trail commits.
    public static let auditChannel = "seoulworld_audit"
    /// ... and when one that added or withdrew a notice commits.
    public static let noticesChannel = "seoulworld_notices"

    /// Calls `heard` (on the store's own thread) after each commit anywhere that changed what
    /// `channel` names (`auditChannel`, `noticesChannel`): `LISTEN`. Lost with the connection;
    /// listen again on the next one.
    public func listen(_ channel: String, _ heard: @escaping @Sendable () -> Void) throws {
        try connected().addListener(channel: channel) { _, _ in heard() }
    }

    /// Gives up every lease `node` holds (a node stopping): others may claim them at once.
    public func releaseAll(node: String) throws {
        try inTransaction("releasing \(node)'s spaces in \(name)") { c in
            try run(c, "DELETE FROM space_hosts WHERE node = \(node)")
        }
    }

    /// Gives up one instance `node` holds (an empty overflow instance closing); nothing when
    /// another node holds it.
    public func release(space: String, instance: Int, node: String) throws {
        try inTransaction("releasing \(space) #\(instance) in \(name)") { c in
            try run(c, "DELETE FROM space_hosts WHERE space_id = \(space) AND instance = \(Int64(instance)) AND node = \(node)")
        }
    }

    /// The directory now: nodes (live when seen within `liveMillis` and serving) and hosts (live
    /// while their lease runs), from one snapshot.
    public func directory(liveMillis: Int64) throws -> DirectoryView {
        try inTransaction("reading the cluster's directory in \(name)", begin: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") { c in
            let now = try run(c, PostgresQuery(unsafeSQL: "SELECT \(Self.databaseNowMillis)")).rows.first!.decode(Int64.self)
            let nodes = try run(c, "SELECT node, address, prefers, seen_at_ms, population, state, cannot_reach FROM cluster_nodes ORDER BY node").rows.map { row in
                let (node, address, prefers, seen, population, state, cannotReach) = try row.decode((String, String, String, Int64, Int64, String, String).self)
                return ClusterNode(name: node, address: address, prefers: prefers.split(separator: ",").map(String.init),
                                   live: state == "serving" && seen >= now - liveMillis, population: Int(population), seenAtMillis: seen,
                                   cannotReach: cannotReach.split(separator: ",").map(String.init))
            }
            let hosts = try run(c, "SELECT space_id, instance, node, lease_until_ms, population, capacity FROM space_hosts ORDER BY space_id, instance").rows.map { row in
                let (space, instance, node, until, population, capacity) = try row.decode((String, Int64, String, Int64, Int64, Int64).self)
                return SpaceHostEntry(spaceID: space, instance: Int(instance), node: node, live: until >= now, population: Int(population), capacity: Int(capacity))
            }
            return DirectoryView(atMillis: now, nodes: nodes, hosts: hosts)
        }
    }

    /// Marks a hand-over ticket used by `node`: true the first time, false ever after
    /// (invariant 3). Tickets that expired a minute ago are forgotten on the way.
    public func redeemTicket(id: String, node: String, expiresAtMillis: Int64) throws -> Bool {
        try inTransaction("redeeming a ticket in \(name)") { c in
            try run(c, "DELETE FROM tickets_used WHERE expires_at_ms < \(unescaped: Self.databaseNowMillis) - 60000")
            return try !run(c, """
                INSERT INTO tickets_used (ticket_id, node, used_at_ms, expires_at_ms) VALUES (\(id), \(node), \(unescaped: Self.databaseNowMillis), \(expiresAtMillis))
                ON CONFLICT (ticket_id) DO NOTHING RETURNING ticket_id
                """).rows.isEmpty
        }
    }

    /// The database's clock, Unix milliseconds.
    public func databaseMillis() throws -> Int64 {
        try inTransaction("reading the clock of \(name)") { c in
            try run(c, PostgresQuery(unsafeSQL: "SELECT \(Self.databaseNowMillis)")).rows.first!.decode(Int64.self)
        }
    }
}

/// A space instance: the unit a node hosts.
public struct SpaceInstanceKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var space: String
    public var instance: Int
    public init(space: String, instance: Int) {
        self.space = space
        self.instance = instance
    }
    /// An instance's name as clients and the node's worlds use it: the space's id for the
    /// first, `space#n` for the others (overflow instances, docs/CLUSTER.md).
    public init(parsing id: String) {
        if let hash = id.lastIndex(of: "#"), let n = Int(id[id.index(after: hash)...]), n >= 2, hash != id.startIndex {
            self.init(space: String(id[..<hash]), instance: n)
        } else {
            self.init(space: id, instance: 1)
        }
    }
    public static func < (a: Self, b: Self) -> Bool { (a.space, a.instance) < (b.space, b.instance) }
    public var description: String { instance == 1 ? space : "\(space)#\(instance)" }
}
