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
// takes the rest. A space hosted by a node that does not prefer it, while a node that does is
// live, is given back by its host (`yields`), which then lets it go for the plan to place.
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

    /// The spaces `me` hosts (`hosted`, first instances) that belong to another live node by
    /// rule 1: the first by name of those that prefer it, when `me` is not among them. `me` gives
    /// them up so that their node claims them. Pass as `live` only nodes live for a while (a node
    /// that has just come back may go again), `me` among them.
    public static func yields(me: String, hosted: [String], live: [Node]) -> [(space: String, to: String)] {
        guard live.contains(where: { $0.name == me }) else { return [] }
        return hosted.compactMap { space in
            let preferring = live.filter { $0.prefers.contains(space) }.map(\.name)
            guard let owner = preferring.min(), owner != me, !preferring.contains(me) else { return nil }
            return (space, owner)
        }
    }
}

/// Overflow instances of a full public space (issue 25; docs/CLUSTER.md "Overflow instances"):
/// when every instance of a space is nearly full, one more opens on the least-loaded live node,
/// and an extra instance that stayed empty while the others had room closes. Pure, decided from
/// the directory as read, like the hosting plan: every node reading the same directory agrees
/// on who opens what, and the directory's claim settles a disagreement (one grant per instance).
///
/// Caps are not this plan's to hold: each instance is hosted by one node, whose world admits at
/// most its capacity, exactly. The plan only decides when there should be more room.
public enum OverflowPlan {
    /// Instances a space may have at once (the first included).
    public static let instancesMax = 8
    /// An extra instance empty this long, while the others have room, closes (by default).
    public static let closeAfterMillis: Int64 = 30_000

    /// One live instance of a space, as the directory has it (a node's own with its count now).
    public struct Instance: Sendable, Hashable {
        public var number: Int
        public var node: String
        public var population: Int
        public var capacity: Int

        public init(number: Int, node: String, population: Int, capacity: Int) {
            self.number = number
            self.node = node
            self.population = population
            self.capacity = capacity
        }

        /// Room left before the instance counts as full for opening another: a tenth of its
        /// capacity, at least one place (the directory's figures are up to a second old).
        public var headroom: Int { max(1, capacity / 10) }
        public var isNearlyFull: Bool { population >= capacity - headroom }
        public var hasRoom: Bool { population < capacity }
    }

    /// The instance number that should open for a space whose live instances are `instances`,
    /// or nil: only when instance 1 is hosted, every instance is nearly full, and fewer than
    /// `instancesMax` are open. The lowest number not in use.
    public static func wanted(_ instances: [Instance]) -> Int? {
        guard instances.contains(where: { $0.number == 1 }), instances.count < instancesMax, instances.allSatisfy(\.isNearlyFull) else { return nil }
        let used = Set(instances.map(\.number))
        return (2...instancesMax).first { !used.contains($0) }
    }

    /// Of `live` nodes, the one that opens a wanted instance: fewest people, then fewest spaces
    /// hosted, then name (as HostingPlan's spreading).
    public static func opener(_ live: [HostingPlan.Node]) -> String? {
        live.min { a, b in (a.population, a.hosted, a.name) < (b.population, b.hosted, b.name) }?.name
    }

    /// Whether an extra instance (number 2 or more) that has been empty since `emptySinceMillis`
    /// closes at `nowMillis`: empty long enough, and the space's other instances have room left
    /// beyond their headroom (else it would only open again).
    public static func closes(_ instance: Instance, emptySinceMillis: Int64, nowMillis: Int64, others: [Instance],
                              afterMillis: Int64 = closeAfterMillis) -> Bool {
        guard instance.number >= 2, instance.population == 0, nowMillis - emptySinceMillis >= afterMillis else { return false }
        return others.contains { !$0.isNearlyFull }
    }

    /// Where a newcomer to a space goes: the lowest-numbered instance with room, else none
    /// (every instance full).
    public static func placeFor(_ instances: [Instance]) -> Instance? {
        instances.sorted { $0.number < $1.number }.first(where: \.hasRoom)
    }
}
