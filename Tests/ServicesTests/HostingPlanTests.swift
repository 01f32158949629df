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
