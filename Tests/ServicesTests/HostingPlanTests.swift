// The hosting plan (Services' HostingPlan): preferred spaces go to the nodes that prefer them,
// the rest spread over the least-loaded nodes, every node computing the same plan, and nothing
// hosted live is claimed again.

import Testing
@testable import Services

@Suite struct HostingPlanTests {
    let spaces = ["city-hall", "deoksugung", "gwanghwamun-square", "n-seoul-tower", "seoul-plaza", "tax-square"]

    @Test func everyUnhostedSpaceGoesToExactlyOneNodeAndEveryNodeAgrees() {
        let live = [HostingPlan.Node(name: "a", prefers: ["seoul-plaza"], population: 0, hosted: 0),
                    HostingPlan.Node(name: "b", prefers: [], population: 0, hosted: 0),
                    HostingPlan.Node(name: "c", prefers: ["city-hall", "seoul-plaza"], population: 0, hosted: 0)]
        let plans = live.map { HostingPlan.claims(me: $0.name, spaces: spaces, hostedNow: [], live: live) }
        // Preferences first: the plaza is preferred by two nodes, and the first by name claims it.
        #expect(plans[0].contains("seoul-plaza") && !plans[2].contains("seoul-plaza"))
        #expect(plans[2].contains("city-hall"))
        // The others spread: each node ends with two spaces.
        #expect(plans.map(\.count) == [2, 2, 2], "\(plans)")
        #expect(Set(plans.flatMap { $0 }) == Set(spaces) && plans.flatMap { $0 }.count == spaces.count)
    }

    @Test func theLeastLoadedNodeTakesWhatNobodyPrefersAndHostedSpacesStayPut() {
        let live = [HostingPlan.Node(name: "a", prefers: [], population: 800, hosted: 1),
                    HostingPlan.Node(name: "b", prefers: [], population: 20, hosted: 1)]
        #expect(HostingPlan.claims(me: "b", spaces: ["city-hall", "deoksugung"], hostedNow: [], live: live) == ["city-hall", "deoksugung"])
        #expect(HostingPlan.claims(me: "a", spaces: ["city-hall", "deoksugung"], hostedNow: [], live: live).isEmpty)
        #expect(HostingPlan.claims(me: "b", spaces: ["city-hall", "deoksugung"], hostedNow: ["city-hall", "deoksugung"], live: live).isEmpty)
    }

    @Test func aSpacePreferredByALiveNodeIsLeftToItAndANodeNotLiveClaimsNothing() {
        let live = [HostingPlan.Node(name: "a", prefers: ["seoul-plaza"], population: 900, hosted: 3),
                    HostingPlan.Node(name: "b", prefers: [], population: 0, hosted: 0)]
        #expect(!HostingPlan.claims(me: "b", spaces: ["seoul-plaza"], hostedNow: [], live: live).contains("seoul-plaza"))
        #expect(HostingPlan.claims(me: "a", spaces: ["seoul-plaza"], hostedNow: [], live: live) == ["seoul-plaza"])
        #expect(HostingPlan.claims(me: "z", spaces: spaces, hostedNow: [], live: live).isEmpty)
    }
}

@Suite struct OverflowPlanTests {
    typealias I = OverflowPlan.Instance

    @Test func anotherInstanceIsWantedOnlyWhenEveryOneIsNearlyFull() {
        // Capacity 100: nearly full from 90 on (a tenth as headroom).
        #expect(OverflowPlan.wanted([I(number: 1, node: "a", population: 89, capacity: 100)]) == nil)
        #expect(OverflowPlan.wanted([I(number: 1, node: "a", population: 90, capacity: 100)]) == 2)
        #expect(OverflowPlan.wanted([I(number: 1, node: "a", population: 100, capacity: 100), I(number: 2, node: "b", population: 50, capacity: 100)]) == nil)
        #expect(OverflowPlan.wanted([I(number: 1, node: "a", population: 100, capacity: 100), I(number: 3, node: "b", population: 95, capacity: 100)]) == 2)
        // A small space keeps at least one place of headroom.
        #expect(OverflowPlan.wanted([I(number: 1, node: "a", population: 3, capacity: 5)]) == nil)
        #expect(OverflowPlan.wanted([I(number: 1, node: "a", population: 4, capacity: 5)]) == 2)
        // No first instance hosted (its node failed): not an overflow's business.
        #expect(OverflowPlan.wanted([I(number: 2, node: "a", population: 100, capacity: 100)]) == nil)
        // At most instancesMax.
        let all = (1...OverflowPlan.instancesMax).map { I(number: $0, node: "a", population: 100, capacity: 100) }
        #expect(OverflowPlan.wanted(all) == nil && OverflowPlan.wanted(Array(all.dropLast())) == OverflowPlan.instancesMax)
    }

    @Test func theLeastLoadedNodeOpensItAndNewcomersGoToTheFirstWithRoom() {
        let live = [HostingPlan.Node(name: "b", prefers: [], population: 40, hosted: 3), HostingPlan.Node(name: "a", prefers: [], population: 40, hosted: 2),
                    HostingPlan.Node(name: "c", prefers: ["seoul-plaza"], population: 100, hosted: 1)]
        #expect(OverflowPlan.opener(live) == "a" && OverflowPlan.opener([]) == nil)
        let instances = [I(number: 3, node: "c", population: 2, capacity: 10), I(number: 1, node: "a", population: 10, capacity: 10),
                         I(number: 2, node: "b", population: 9, capacity: 10)]
        #expect(OverflowPlan.placeFor(instances)?.number == 2)
        #expect(OverflowPlan.placeFor(instances.map { var i = $0; i.population = 10; return i }) == nil)
    }

    @Test func anEmptyExtraInstanceClosesOnlyAfterItsTimeAndWhenTheOthersHaveRoom() {
        let extra = I(number: 2, node: "b", population: 0, capacity: 100)
        let roomy = [I(number: 1, node: "a", population: 50, capacity: 100)]
        let packed = [I(number: 1, node: "a", population: 95, capacity: 100)]
        #expect(OverflowPlan.closes(extra, emptySinceMillis: 0, nowMillis: OverflowPlan.closeAfterMillis, others: roomy))
        #expect(!OverflowPlan.closes(extra, emptySinceMillis: 1, nowMillis: OverflowPlan.closeAfterMillis, others: roomy))
        #expect(!OverflowPlan.closes(extra, emptySinceMillis: 0, nowMillis: 60_000, others: packed), "it would only open again")
        #expect(!OverflowPlan.closes(I(number: 1, node: "a", population: 0, capacity: 100), emptySinceMillis: 0, nowMillis: 60_000, others: roomy), "the first never closes")
        #expect(!OverflowPlan.closes(I(number: 2, node: "b", population: 1, capacity: 100), emptySinceMillis: 0, nowMillis: 60_000, others: roomy))
    }
}

@Suite struct YieldingTests {
    @Test func aSpaceGoesBackToTheNodeThatPrefersItAndOnlyThere() {
        let a = HostingPlan.Node(name: "a", prefers: ["seoul-plaza"], population: 10, hosted: 2)
        let b = HostingPlan.Node(name: "b", prefers: ["city-hall", "deoksugung"], population: 5, hosted: 1)
        let c = HostingPlan.Node(name: "c", prefers: ["deoksugung"], population: 0, hosted: 0)
        // a took city hall while b was away; b is back: a gives it up, to b. The unpreferred stays.
        #expect(HostingPlan.yields(me: "a", hosted: ["city-hall", "n-seoul-tower", "seoul-plaza"], live: [a, b]).map { "\($0.space)>\($0.to)" } == ["city-hall>b"])
        // b and c both prefer deoksugung: whoever of them holds it keeps it.
        #expect(HostingPlan.yields(me: "c", hosted: ["deoksugung"], live: [a, b, c]).isEmpty)
        #expect(HostingPlan.yields(me: "b", hosted: ["deoksugung"], live: [a, b, c]).isEmpty)
        // a holds deoksugung: it goes to b, the first by name of those preferring it.
        #expect(HostingPlan.yields(me: "a", hosted: ["deoksugung"], live: [a, b, c]).map(\.to) == ["b"])
        // Nothing moves to a node that is not live (for a while), nor by a node that is not.
        #expect(HostingPlan.yields(me: "a", hosted: ["city-hall"], live: [a]).isEmpty)
        #expect(HostingPlan.yields(me: "a", hosted: ["city-hall"], live: [b]).isEmpty)
    }
}
