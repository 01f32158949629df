// Which spaces a node of the cluster claims (issue 25; docs/CLUSTER.md), decided from the
// directory as read: pure, so that every node, reading the same directory, comes to the same
// plan, and a test can say what each node does without a database.
//
// The rule, for each public space that no live lease holds:
// 1. one that live nodes prefer goes to the first of them by name (the others leave it to that
//    node, which claims it within a second);
// 2. one that nobody live prefers goes to the least-loaded live node: fewest people, then
//    fewest spaces hosted (counting those this plan gives out, in space order), then name.
// A node that has just started claims only what rule 1 gives it (`spreading` false) for its
// first liveness window, so that nodes started together each get their own before one of them
// takes the rest. Spaces are not moved once hosted: a node that prefers a space another node
// hosts waits until that node lets it go.
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
    public static func claims(me: String, spaces: [String], hostedNow: Set<String>, live: [Node], spreading: Bool = true) -> [String] {
        guard live.contains(where: { $0.name == me }) else { return [] }
        var load = Dictionary(uniqueKeysWithValues: live.map { ($0.name, (population: $0.population, hosted: $0.hosted)) })
        var owners: [String: String] = [:]
        let free = spaces.filter { !hostedNow.contains($0) }
        // Preferences first, so that the spreading below counts them.
        for space in free {
            guard let first = live.filter({ $0.prefers.contains(space) }).map(\.name).min() else { continue }
            owners[space] = first
            load[first]!.hosted += 1
        }
        for space in free where spreading && owners[space] == nil {
            let owner = load.min { a, b in (a.value.population, a.value.hosted, a.key) < (b.value.population, b.value.hosted, b.key) }!.key
            owners[space] = owner
            load[owner]!.hosted += 1
        }
        let mine = free.filter { owners[$0] == me }
        return mine
    }
}
