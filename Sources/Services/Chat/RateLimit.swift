// The chat rate limit of one session: a token bucket (one message a second on average, a
// burst of five), and the system's mute for a sender who keeps hitting it (three refusals
// within a minute: muted for a minute, recorded like a staff mute). Time is an argument, in
// milliseconds of any monotonic clock; nothing here reads a clock.
//
// Invariants:
// 1. 0 <= tokens <= burst (in thousandths of a message, so that refilling is exact).
// 2. `refusals` holds only refusal times within the last `strikeWindowMillis`, at most
//    `strikesToMute` of them.

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
    /// Thousandths of a message.
    var tokens: Int64
    var lastMillis: Int64
    var refusals: [Int64] = []

    public init(rules: Rules = Rules(), nowMillis: Int64) {
        precondition(rules.burst > 0 && rules.refillMillisPerMessage > 0 && rules.strikesToMute > 0)
        self.rules = rules
        tokens = Int64(rules.burst) * 1_000
        lastMillis = nowMillis
    }

    /// One message wants to go now.
    public mutating func attempt(nowMillis: Int64) -> Decision {
        let elapsed = max(0, nowMillis - lastMillis) // a clock that steps back refills nothing
        lastMillis = max(lastMillis, nowMillis)
        tokens = min(Int64(rules.burst) * 1_000, tokens + elapsed * 1_000 / rules.refillMillisPerMessage)
        if tokens >= 1_000 {
            tokens -= 1_000
            return .allowed
        }
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
