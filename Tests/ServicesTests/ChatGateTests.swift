import Testing
@testable import Services

/// The chat gate alone: the documented order of checks (PROTOCOL.md 7.5, steps 2 to 6).
@Suite struct ChatGateTests {
    static let wall: Int64 = 1_800_000_000_000
    static let member = ChatGate.Sender(isStaff: false, inSpace: true, mutedUntilMillis: nil)

    static func check(_ channel: ChatGate.Channel = .nearby, _ text: String = "안녕하세요", sender: ChatGate.Sender = member,
                      limit: inout ChatRateLimit?, monotonic: Int64 = 0) -> ChatGate.Outcome {
        ChatGate.check(channel, text: text, sender: sender, limit: &limit, rules: ChatRateLimit.Rules(), nowMillis: wall + monotonic, monotonicMillis: monotonic)
    }

    @Test func theChecksComeInTheirOrder() {
        var limit: ChatRateLimit?
        let nowhereMuted = ChatGate.Sender(isStaff: false, inSpace: false, mutedUntilMillis: Self.wall + 1)
        // Every check would fail: the first in the documented order answers.
        #expect(Self.check(.announceSpace, " ", sender: nowhereMuted, limit: &limit) == .refuse(.announcementsAreForStaff))
        #expect(Self.check(.nearby, " ", sender: nowhereMuted, limit: &limit) == .refuse(.notInSpace))
        #expect(Self.check(.directAccount, " ", sender: nowhereMuted, limit: &limit) == .refuse(.muted(untilMillis: Self.wall + 1)),
                "a direct message by account needs no space")
        #expect(Self.check(.directAccount, " ", sender: Self.member, limit: &limit) == .refuse(.invalidText(.empty)))
        #expect(limit == nil, "no refusal so far touched the rate")
        let staff = ChatGate.Sender(isStaff: true, inSpace: false, mutedUntilMillis: nil)
        #expect(Self.check(.announceAll, "공지", sender: staff, limit: &limit) == .pass(text: "공지", muteEnded: false))
    }

    @Test func aMuteThatRanOutPassesAndSaysSo() {
        var limit: ChatRateLimit?
        let lapsed = ChatGate.Sender(isStaff: false, inSpace: true, mutedUntilMillis: Self.wall)
        #expect(Self.check(sender: lapsed, limit: &limit) == .pass(text: "안녕하세요", muteEnded: true))
    }

    @Test func theRateLimitRefusesThenMutesOnTheWallClock() {
        var limit: ChatRateLimit?
        let rules = ChatRateLimit.Rules()
        for _ in 0..<rules.burst { #expect(Self.check(limit: &limit) == .pass(text: "안녕하세요", muteEnded: false)) }
        for _ in 1..<rules.strikesToMute { #expect(Self.check(limit: &limit) == .refuse(.rateLimited)) }
        // The third refusal within the window mutes, until a wall time (the limiter counts on
        // the monotonic clock, which starts anywhere).
        #expect(Self.check(limit: &limit, monotonic: 10) == .refuse(.flooding(muteUntilMillis: Self.wall + 10 + rules.muteMillis)))
        // Staff are not limited.
        var staffLimit: ChatRateLimit?
        let staff = ChatGate.Sender(isStaff: true, inSpace: true, mutedUntilMillis: nil)
        for _ in 0..<(rules.burst * 3) { #expect(Self.check(sender: staff, limit: &staffLimit) == .pass(text: "안녕하세요", muteEnded: false)) }
        #expect(staffLimit == nil)
    }
}
