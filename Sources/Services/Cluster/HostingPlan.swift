// Which spaces a node of the cluster claims (issue 25; docs/CLUSTER.md), decided from the
// directory as read: pure, so that every node, reading the same directory, comes to the same
// plan, and a test can say what each node does without a database.
//
// The rule, for each public space that no live lease holds:
// 1. a node that prefers it claims it;
// 2. one that a live node prefers is left to that node (it claims within a second);
// 3. one that nobody live prefers goes to the least-loaded live node: fewest people, then
//    fewest spaces hosted (counting those this plan gives out, in space order), then name.
// Two nodes whose reads differ may both claim a space: the directory's claim grants it to one
// (Store's Directory.swift, invariant 1), so the plan needs to be fair, not exact.

public enum HostingPlan {
    public struct Node: Sendable, Hashable {
        public var name: String
        public var prefers: Set<String>
        public var population: Int
        /// Space instances it holds live leases on.
        public var hosted: Int

        public init(name: String, prefers: Set<String>, population: Int, hosted: Int) {
            self.name = name
            self.prefers = prefers
            self.population = population
            self.hosted = hosted
        }
    }

    /// The spaces `me` claims: of `spaces` (in order), those without a live host (`hostedNow`)
    /// that the rule gives to `me`. `live` are the live nodes, `me` among them.
    public static func claims(me: String, spaces: [String], hostedNow: Set<String>, live: [Node]) -> [String] {
        guard live.contains(where: { $0.name == me }) else { return [] }
        var load = Dictionary(uniqueKeysWithValues: live.map { ($0.name, (population: $0.population, hosted: $0.hosted)) })
        var mine: [String] = []
        for space in spaces where !hostedNow.contains(space) {
            let preferring = live.filter { $0.prefers.contains(space) }.map(\.name).sorted()
            let owner: String
            if preferring.contains(me) {
                owner = me
            } else if let first = preferring.first {
                owner = first
            } else {
                owner = load.min { a, b in (a.value.population, a.value.hosted, a.key) < (b.value.population, b.value.hosted, b.key) }!.key
            }
            load[owner]!.hosted += 1
            if owner == me { mine.append(space) }
        }
        return mine
    }
}
