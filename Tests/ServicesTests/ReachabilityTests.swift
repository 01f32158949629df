// Which nodes are cut off from the others (Services' Reachability): the majority of those who
// can vote decides, two nodes never decide, and nodes cut off at once do not outvote the rest.

@testable import Services
import Testing

@Suite struct ReachabilityTests {
    @Test func aNodeNobodyReachesIsCutOffAndItsOwnReportsCountForNothing() {
        // b's network is down: a and c cannot reach it, and it reaches neither.
        let reports: [String: Set<String>] = ["a": ["b"], "c": ["b"], "b": ["a", "c"]]
        #expect(Reachability.cutOff(live: ["a", "b", "c"], reports: reports) == ["b"])
        // The same, asked with the reports in any order (invariant 1): the answer is the set.
        #expect(Reachability.cutOff(live: ["c", "b", "a"], reports: ["b": ["c", "a"], "c": ["b"], "a": ["b"]]) == ["b"])
    }

    @Test func oneReportIsNotAMajority() {
        // Only a cannot reach b (a's own route to b is broken): b stays.
        #expect(Reachability.cutOff(live: ["a", "b", "c"], reports: ["a": ["b"]]).isEmpty)
        // Of four, two against one is not more than half of three.
        #expect(Reachability.cutOff(live: ["a", "b", "c", "d"], reports: ["a": ["b"]]).isEmpty)
        #expect(Reachability.cutOff(live: ["a", "b", "c", "d"], reports: ["a": ["b"], "c": ["b"]]) == ["b"])
    }

    @Test func twoNodesNeverDecide() {
        // Each reports the other: which side is the city cannot be told from two.
        #expect(Reachability.cutOff(live: ["a", "b"], reports: ["a": ["b"], "b": ["a"]]).isEmpty)
        #expect(Reachability.cutOff(live: ["a"], reports: [:]).isEmpty)
    }

    @Test func twoNodesCutOffAtOnceDoNotOutvoteTheHealthyOnes() {
        // b and c both cut off in a city of four: each reports everyone; a and d report b and c.
        let reports: [String: Set<String>] = ["a": ["b", "c"], "d": ["b", "c"], "b": ["a", "c", "d"], "c": ["a", "b", "d"]]
        #expect(Reachability.cutOff(live: ["a", "b", "c", "d"], reports: reports) == ["b", "c"])
    }

    @Test func reportsByOrAboutNodesNotLiveAreIgnored() {
        // e has stopped: its old report and the reports about it change nothing.
        let reports: [String: Set<String>] = ["e": ["a"], "b": ["e"], "c": ["e"]]
        #expect(Reachability.cutOff(live: ["a", "b", "c"], reports: reports).isEmpty)
    }

    @Test func aCitySplitInTwoHalvesGivesOneHalfUp() {
        // a and b see each other, c and d each other, and neither pair the other: every node has
        // two reports against it; the first by name falls (2 of 3), and then its partner (2 of
        // its 2 voters left). One whole side gives its spaces up to the other, never both.
        let split: [String: Set<String>] = ["a": ["c", "d"], "b": ["c", "d"], "c": ["a", "b"], "d": ["a", "b"]]
        #expect(Reachability.cutOff(live: ["a", "b", "c", "d"], reports: split) == ["a", "b"])
    }
}
