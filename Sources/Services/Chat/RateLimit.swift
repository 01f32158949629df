// Rate limits as token buckets (`TokenBucket`), and the chat's limit of one session built on
// one: one message a second on average, a burst of five, and the system's mute for a sender
// who keeps hitting it (three refusals within a minute: muted for a minute, recorded like a
// staff mute). Tax Square's limits are buckets too (Tax/TaxSquare.swift). Time is an argument,
// in milliseconds of any monotonic clock; nothing here reads a clock.
//
// Invariants:
// 1. 0 <= a bucket's tokens <= its burst (in millionths of a token, so that refilling is exact
//    to the microsecond).
// 2. `refusals` holds only refusal times within the last `strikeWindowMillis`, at most
//    `strikesToMute` of them.

/// `burst` requests at once, then one every `refillMicros`. A clock that steps back refills
/// nothing.
public struct TokenBucket: Sendable, Equatable {
    public let burst: Int
    public let refillMicros: Int64
    /// Millionths of a token (invariant 1).
    private(set) var millionths: Int64
    private(set) var lastMillis: Int64

    public init(burst: Int, refillMicros: Int64, nowMillis: Int64) {
        precondition(burst > 0 && refillMicros > 0)
        self.burst = burst
        self.refillMicros = refillMicros
        millionths = Int64(burst) * 1_000_000
        lastMillis = nowMillis
    }

    var full: Int64 { Int64(burst) * 1_000_000 }

    /// The tokens there would be at `nowMillis`, in millionths (no overflow however long idle).
    func refilled(at nowMillis: Int64) -> Int64 {
        let elapsed = max(0, nowMillis - lastMillis)
        // Past the time to refill from empty, it is full: no product to overflow.
        guard elapsed <= Int64(burst) * refillMicros / 1_000 + 1 else { return full }
        return min(full, millionths + elapsed * 1_000_000_000 / refillMicros)
    }

    /// Whether, left alone until `nowMillis`, the bucket is full again.
    public func isFull(at nowMillis: Int64) -> Bool { refilled(at: nowMillis) >= full }

    /// Refills to `nowMillis` and takes one token if there is one.
    public mutating func take(nowMillis: Int64) -> Bool {
        millionths = refilled(at: nowMillis)
        lastMillis = max(lastMillis, nowMillis)
        assert(0 <= millionths && millionths <= full)
        guard millionths >= 1_000_000 else { return false }
        millionths -= 1_000_000
        return true
    }
}

public struct ChatRateLimit: Sendable, Equatable {
    public struct Rules: Sendable, Equatable {
        public var burst = 5
        public var refillMillisPerMessage: Int64 = 1_000
        public var strikesToMute = 3
        public var strikeWindowMillis: Int64 = 60_000
        public var muteMillis: Int64 = 60_000
        public init() {}
    }

    public enum Decision: Equatable, Sendable {
        case allowed
        /// Over the limit: refused, and not muted (yet).
        case rateLimited
        /// Over the limit for the `strikesToMute`-th time within the window: refused, and the
        /// sender is muted by the system until `untilMillis`.
        case muteNow(untilMillis: Int64)
    }

    public let rules: Rules
    var bucket: TokenBucket
    var refusals: [Int64] = []

    public init(rules: Rules = Rules(), nowMillis: Int64) {
        precondition(rules.burst > 0 && rules.refillMillisPerMessage > 0 && rules.strikesToMute > 0)
        self.rules = rules
        bucket = TokenBucket(burst: rules.burst, refillMicros: rules.refillMillisPerMessage * 1_000, nowMillis: nowMillis)
    }

    /// One message wants to go now.
    public mutating func attempt(nowMillis: Int64) -> Decision {
        if bucket.take(nowMillis: nowMillis) { return .allowed }
        refusals.removeAll { $0 <= nowMillis - rules.strikeWindowMillis }
        refusals.append(nowMillis)
        if refusals.count >= rules.strikesToMute {
            refusals.removeAll()
            return .muteNow(untilMillis: nowMillis + rules.muteMillis)
        }
        assert(refusals.count < rules.strikesToMute)
        return .rateLimited
    }
}
