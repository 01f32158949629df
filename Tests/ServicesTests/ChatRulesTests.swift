import Testing
@testable import Services

@Suite struct ChatTextTests {
    @Test func removesControlAndDirectionCharactersAndCountsCharacters() {
        #expect(ChatText.normalise("  hi\u{202E}there\u{0007} ") == .success("hithere"))
        #expect(ChatText.normalise("a\nb") == .success("a b"))
        #expect(ChatText.normalise("\u{202E}\u{2066} \u{0001}") == .failure(.empty))
        // 200 family emoji (several scalars each) are 200 characters, not thousands.
        let family = String(repeating: "👨‍👩‍👧", count: 200)
        #expect(ChatText.normalise(family) == .success(family))
        #expect(ChatText.normalise(family + "a") == .failure(.tooLong(characters: 201)))
        // Hangul typed as conjoining jamo is composed (NFC): one character per syllable.
        #expect(ChatText.normalise("\u{1109}\u{1175}") == .success("시"))
    }
}

@Suite struct ChatRateLimitTests {
    @Test func allowsABurstOfFiveThenOneASecond() {
        var limit = ChatRateLimit(nowMillis: 0)
        for _ in 0..<5 { #expect(limit.attempt(nowMillis: 0) == .allowed) }
        #expect(limit.attempt(nowMillis: 0) == .rateLimited)
        #expect(limit.attempt(nowMillis: 999) == .rateLimited)
        #expect(limit.attempt(nowMillis: 2_000) == .allowed)
    }

    @Test func mutesOnTheThirdRefusalWithinAMinute() {
        var limit = ChatRateLimit(nowMillis: 0)
        for _ in 0..<5 { _ = limit.attempt(nowMillis: 0) }
        #expect(limit.attempt(nowMillis: 10) == .rateLimited)
        #expect(limit.attempt(nowMillis: 20) == .rateLimited)
        #expect(limit.attempt(nowMillis: 30) == .muteNow(untilMillis: 60_030))
    }

    @Test func refusalsOlderThanAMinuteDoNotCount() {
        var limit = ChatRateLimit(nowMillis: 0)
        for _ in 0..<5 { _ = limit.attempt(nowMillis: 0) }
        #expect(limit.attempt(nowMillis: 100) == .rateLimited)
        #expect(limit.attempt(nowMillis: 200) == .rateLimited)
        // 61 s later the bucket is full again: spend it, then two more refusals are not a mute.
        for _ in 0..<5 { #expect(limit.attempt(nowMillis: 61_000) == .allowed) }
        #expect(limit.attempt(nowMillis: 61_000) == .rateLimited)
        #expect(limit.attempt(nowMillis: 61_010) == .rateLimited)
        #expect(limit.attempt(nowMillis: 61_020) == .muteNow(untilMillis: 121_020))
    }
}
