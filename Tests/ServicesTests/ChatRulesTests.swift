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
    /// The bucket under every limit: exact to the microsecond, full again after any idle time
    /// without overflowing, and a clock that steps back gives nothing.
    @Test func aTokenBucketRefillsExactlyAndNeverOverflows() {
        var b = TokenBucket(burst: 2, refillMicros: 1_500, nowMillis: 0)
        #expect([b.take(nowMillis: 0), b.take(nowMillis: 0), b.take(nowMillis: 0)] == [true, true, false])
        let early = b.take(nowMillis: 1)
        #expect(!early, "1 ms of a 1.5 ms refill is not a token")
        let then = b.take(nowMillis: 2)
        #expect(then, "1 ms more makes it one (2/3 + 2/3 of a token)")
        let back = b.take(nowMillis: -1_000)
        #expect(!back && !b.isFull(at: 2), "a clock that steps back gives nothing")
        #expect(b.isFull(at: .max / 2), "idle for ages: full, no product to overflow")
        #expect([b.take(nowMillis: .max / 2), b.take(nowMillis: .max / 2), b.take(nowMillis: .max / 2)] == [true, true, false])
    }

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

@Suite struct ChatReachTests {
    @Test func sameFloorWithinTheRadiusOnly() {
        // 20 m radius: 12 m east and 16 m north is exactly 20 m away.
        #expect(ChatReach.hears(speakerFloor: 1, speakerX: 0, speakerY: 0, listenerFloor: 1, listenerX: 1_200, listenerY: 1_600, radiusCentimetres: 2_000))
        #expect(!ChatReach.hears(speakerFloor: 1, speakerX: 0, speakerY: 0, listenerFloor: 1, listenerX: 1_200, listenerY: 1_601, radiusCentimetres: 2_000))
        // Right above, on the next floor: not in reach.
        #expect(!ChatReach.hears(speakerFloor: 1, speakerX: 0, speakerY: 0, listenerFloor: 2, listenerX: 0, listenerY: 0, radiusCentimetres: 2_000))
        // Far corners of a big space do not overflow.
        #expect(!ChatReach.hears(speakerFloor: 0, speakerX: .min, speakerY: .min, listenerFloor: 0, listenerX: .max, listenerY: .max, radiusCentimetres: .max))
    }
}

@Suite struct ChatLogTests {
    func line(_ at: Int64, from: UInt64, to: [UInt64], text: String = "hello") -> ChatLine {
        ChatLine(atMillis: at, tick: UInt64(at / 50), channel: 0, senderSession: from, senderAccount: nil, senderName: "n", recipients: to, sent: text, delivered: text)
    }

    @Test func keepsFiveMinutesAndIsBoundedByCountAndBytes() {
        var limits = ChatLog.Limits()
        limits.linesMax = 100
        limits.bytesMax = 20_000
        var log = ChatLog(limits: limits)
        for i in 0..<50 { log.append(line(Int64(i) * 1_000, from: 1, to: [2])) }
        #expect(log.count == 50)
        log.append(line(50_000 + 5 * 60_000, from: 1, to: [2]))
        #expect(log.count == 1, "lines older than five minutes are forgotten")
        for i in 0..<500 { log.append(line(400_000 + Int64(i), from: 1, to: [2])) }
        #expect(log.count <= 100)
        for _ in 0..<20 { log.append(line(401_000, from: 1, to: [2], text: String(repeating: "가", count: 200))) }
        #expect(log.bytes <= 20_000)
    }

    @Test func findsTheLinesEitherPartySentOrReceived() {
        var log = ChatLog()
        log.append(line(1, from: 1, to: [2, 3]))
        log.append(line(2, from: 3, to: [4]))
        log.append(line(3, from: 4, to: [1]))
        log.append(line(4, from: 5, to: [6]))
        #expect(log.lines(involving: [1, 2]).map(\.atMillis) == [1, 3])
        #expect(log.lines(involving: [3]).map(\.atMillis) == [1, 2])
    }
}

@Suite struct PositionTrailTests {
    @Test func keepsTheLastSamplesInOrder() {
        var trail = PositionTrail(samplesMax: 3)
        for t in 1...5 {
            var s = PositionSample(tick: UInt64(t), atMillis: Int64(t) * 1_000)
            s.add(entity: 7, floor: 1, x: Int32(t), y: 0)
            if t % 2 == 0 { s.add(entity: 9, floor: 2, x: 0, y: Int32(t)) }
            trail.record(s)
        }
        #expect(trail.track(7).map(\.tick) == [3, 4, 5])
        #expect(trail.track(9).map(\.y) == [4])
        #expect(trail.track(8).isEmpty)
    }
}
