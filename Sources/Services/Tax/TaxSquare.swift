// Tax Square's desk of information as a machine: who may ask, where, how often, and what the
// answer is. The server hands it each request with the asker's facts and the time, and carries
// out the effects (the answer sent, the use counted). The calculator and the FAQ bot are pure
// functions of their data; this adds the rules around them.
//
// Invariants:
// 1. Every request gets exactly one answer effect (`working`, `answer` or `refused`), before
//    its `used` effect.
// 2. A session's bucket exists only while the session asks within the last minute or is
//    connected (`gone` removes it), and there are at most `bucketsMax` of them.

public struct TaxSquare: Sendable {
    public struct Rules: Sendable, Hashable {
        /// The space whose visitors are served (any client there: guests too).
        public var space = "tax-square"
        /// Requests a session may make at once, then one per `refillMillis`.
        public var burst = 10
        public var refillMillis: Int64 = 500
        public var bucketsMax = 50_000
        /// The whole square's requests at once, then one per `squareRefillMicros`: a bound on
        /// the loop thread's time here (a question costs about 0.1 ms, a calculation 0.02 to
        /// 0.06 ms: `seoulworld tax bench`), whatever the number of connections.
        public var squareBurst = 50
        public var squareRefillMicros: Int64 = 2_000
        public init() {}
    }

    public enum Event: Sendable {
        case calculate(TaxKind, fields: [(name: String, value: String)])
        case ask(String)
        /// The session is gone: forget its bucket.
        case gone(session: UInt64)
    }

    public struct Facts: Sendable {
        public var session: UInt64
        /// The space the asker is in, if any.
        public var space: String?
        public init(session: UInt64, space: String?) {
            self.session = session
            self.space = space
        }
    }

    public enum Refusal: Sendable, Hashable {
        case notHere(space: String)
        case invalid(TaxInputError)
        case rateLimited
        /// The square as a whole is answering as many as it may.
        case busy
    }

    public enum Effect: Sendable {
        case working(TaxWorking)
        case answer(TaxFAQ.Reply)
        case refused(Refusal)
        /// For the yearly evaluation: which service was used (car, property, acquisition, faq)
        /// and how it went ("answered", "refused", "not-here", "rate-limited", "does-not-know",
        /// "national-tax").
        case used(kind: String, outcome: String)
    }

    public let tables: TaxTables
    public let faq: TaxFAQ
    public let rules: Rules
    /// Per session, its requests' bucket.
    private(set) var buckets: [UInt64: TokenBucket] = [:]
    /// The square's own, made at the first request.
    private(set) var square: TokenBucket?

    public init(tables: TaxTables, faq: TaxFAQ, rules: Rules = Rules()) {
        self.tables = tables
        self.faq = faq
        self.rules = rules
    }

    public mutating func handle(_ event: Event, facts: Facts?, nowMillis: Int64) -> [Effect] {
        let kind: String
        switch event {
        case .gone(let session):
            buckets[session] = nil
            return []
        case .calculate(let tax, _): kind = tax.rawValue
        case .ask: kind = "faq"
        }
        guard let facts else { preconditionFailure("a request comes with its asker's facts") }
        guard facts.space == rules.space else { return [.refused(.notHere(space: rules.space)), .used(kind: kind, outcome: "not-here")] }
        guard take(facts.session, nowMillis: nowMillis) else { return [.refused(.rateLimited), .used(kind: kind, outcome: "rate-limited")] }
        guard takeSquare(nowMillis: nowMillis) else { return [.refused(.busy), .used(kind: kind, outcome: "busy")] }
        switch event {
        case .calculate(let tax, let fields):
            do {
                let working = try TaxCalculator.calculate(try TaxRequest.parse(tax, fields: fields), tables: tables)
                return [.working(working), .used(kind: kind, outcome: "answered")]
            } catch {
                return [.refused(.invalid(error)), .used(kind: kind, outcome: "refused")]
            }
        case .ask(let question):
            let reply = faq.reply(question)
            let outcome: String
            switch reply {
            case .answer: outcome = "answered"
            case .unknown: outcome = "does-not-know"
            case .nationalTax: outcome = "national-tax"
            }
            return [.answer(reply), .used(kind: kind, outcome: outcome)]
        case .gone: return []
        }
    }

    /// The square's bucket: one request every `squareRefillMicros`, up to `squareBurst`.
    mutating func takeSquare(nowMillis: Int64) -> Bool {
        var b = square ?? TokenBucket(burst: rules.squareBurst, refillMicros: rules.squareRefillMicros, nowMillis: nowMillis)
        defer { square = b }
        return b.take(nowMillis: nowMillis)
    }

    /// The session's bucket: one request every `refillMillis`, up to `burst`.
    mutating func take(_ session: UInt64, nowMillis: Int64) -> Bool {
        var b = buckets[session] ?? TokenBucket(burst: rules.burst, refillMicros: rules.refillMillis * 1_000, nowMillis: nowMillis)
        let allowed = b.take(nowMillis: nowMillis)
        if buckets[session] == nil, buckets.count >= rules.bucketsMax {
            // Invariant 2: forget the buckets that are full again (idle for burst × refill)
            // before adding one; if none is, refuse (the server's sessions are fewer than this,
            // and a gone session's bucket is removed, so this is a guard, not a path).
            buckets = buckets.filter { !$0.value.isFull(at: nowMillis) }
            guard buckets.count < rules.bucketsMax else { return false }
        }
        buckets[session] = b
        assert(buckets.count <= rules.bucketsMax)
        return allowed
    }
}
