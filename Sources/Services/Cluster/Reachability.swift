// Which nodes of the cluster are cut off from the others (issue 25; docs/CLUSTER.md "A node the
// others cannot reach"): decided from the directory as read, pure, so that every node reading
// the same directory comes to the same answer. A node that the directory can reach but clients
// cannot (its network cut, its public address wrong) would otherwise keep renewing its leases
// and hold its spaces where nobody can enter them.
//
// Each node tries every other live node's public address once a second and says in the
// directory which it has failed to reach for `reportAfterMillis` (a report). The rule:
// 1. The nodes are taken in order of the reports against them, most first (then by name).
// 2. A node is cut off when at least `votersMin` other live nodes not already found cut off
//    can vote, and more than half of them report it.
// A node found cut off no longer votes, so that two nodes cut off at once do not make a healthy
// node look cut off with their reports. With two live nodes nobody is ever cut off: one report
// against another cannot say which side of the cut is the city.
//
// Invariants:
// 1. The answer depends only on the set of live nodes and the reports, not on who asks.
// 2. Nobody is cut off by fewer than `votersMin` voters, nor by a minority of its voters.

public enum Reachability {
    /// How long a node fails to reach another before it reports it (three tries).
    public static let reportAfterMillis: Int64 = 3_000
    /// How long a try waits for the other node to accept the connection.
    public static let tryMillis: UInt64 = 1_000
    public static let votersMin = 2

    /// The live nodes (`live`) cut off, given each live node's reports (`reports[observer]`, the
    /// nodes it cannot reach). Reports by or about nodes not live are ignored.
    public static func cutOff(live: Set<String>, reports: [String: Set<String>]) -> Set<String> {
        let against = Dictionary(uniqueKeysWithValues: live.map { node in (node, live.filter { $0 != node && reports[$0]?.contains(node) == true }.count) })
        let order = live.sorted { (against[$0]!, $1) > (against[$1]!, $0) }
        var cut = Set<String>()
        for node in order {
            let voters = live.filter { $0 != node && !cut.contains($0) }
            guard voters.count >= votersMin else { continue }
            let reporting = voters.filter { reports[$0]?.contains(node) == true }.count
            if reporting * 2 > voters.count { cut.insert(node) }
        }
        return cut
    }
}
