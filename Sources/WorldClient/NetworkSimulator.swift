// A bad network between a client and the server, simulated on the client's side (netem is
// not available on these machines; yojimbo does the same): every UDP datagram, both ways, may
// be lost, duplicated, delayed by a latency with jitter, and so reordered. TCP is left alone:
// it is the reliable channel, and the kernel's loopback would hide its retransmissions anyway.
//
// Deterministic for a seed; bounded (a datagram is held at most latency + jitter, and at
// most `pendingMax` are held).

public struct NetworkConditions: Sendable, Equatable {
    /// Share of datagrams dropped, 0 to 100 (each way).
    public var lossPercent: Double
    /// Share of datagrams delivered twice (the copy with its own delay), 0 to 100.
    public var duplicatePercent: Double
    /// One-way delay added to every datagram, milliseconds.
    public var latencyMillis: Int
    /// Each datagram's delay varies by up to this much either way (so datagrams overtake each
    /// other: reordering), milliseconds.
    public var jitterMillis: Int

    public init(lossPercent: Double = 0, duplicatePercent: Double = 0, latencyMillis: Int = 0, jitterMillis: Int = 0) {
        self.lossPercent = lossPercent
        self.duplicatePercent = duplicatePercent
        self.latencyMillis = latencyMillis
        self.jitterMillis = jitterMillis
    }

    public static let perfect = NetworkConditions()
    public var isPerfect: Bool { self == .perfect }

    /// What is wrong with the settings, said for the command line; nil when they are usable.
    public var problem: String? {
        if !(0...100).contains(lossPercent) { return "--loss must be 0 to 100 (percent), got \(lossPercent)" }
        if !(0...100).contains(duplicatePercent) { return "--duplicate must be 0 to 100 (percent), got \(duplicatePercent)" }
        if !(0...10_000).contains(latencyMillis) { return "--latency-ms must be 0 to 10000, got \(latencyMillis)" }
        if !(0...10_000).contains(jitterMillis) { return "--jitter-ms must be 0 to 10000, got \(jitterMillis)" }
        return nil
    }
}

public struct NetworkFigures: Sendable, Equatable, Codable {
    public var submitted = 0
    public var dropped = 0
    public var duplicated = 0
    public var delivered = 0
    /// Delivered after a datagram that was submitted later (reordered).
    public var overtaken = 0
    /// Dropped because too many were held.
    public var overflowed = 0

    public init() {}

    public static func + (a: Self, b: Self) -> Self {
        var s = a
        s.submitted += b.submitted
        s.dropped += b.dropped
        s.duplicated += b.duplicated
        s.delivered += b.delivered
        s.overtaken += b.overtaken
        s.overflowed += b.overflowed
        return s
    }
}

public struct NetworkSimulator {
    public enum Direction: Sendable { case toServer, toClient }

    struct Held {
        var dueNanos: UInt64
        /// Submission order, to tell a reordering.
        var order: UInt64
        var direction: Direction
        var bytes: [UInt8]
    }

    public let conditions: NetworkConditions
    public private(set) var figures = NetworkFigures()
    var held: [Held] = []
    var state: UInt64
    var nextOrder: UInt64 = 0
    var lastDelivered: [Direction: UInt64] = [:]
    public static let pendingMax = 4_096

    public init(conditions: NetworkConditions, seed: UInt64) {
        self.conditions = conditions
        state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed
    }

    /// splitmix64: small, fast and good enough for coin flips.
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform draw in [0, 100).
    mutating func percent() -> Double { Double(next() >> 11) / Double(1 << 53) * 100 }

    /// Takes a datagram into the network at `nowNanos`.
    public mutating func submit(_ bytes: [UInt8], _ direction: Direction, nowNanos: UInt64) {
        figures.submitted += 1
        if percent() < conditions.lossPercent {
            figures.dropped += 1
            return
        }
        let copies = percent() < conditions.duplicatePercent ? 2 : 1
        if copies == 2 { figures.duplicated += 1 }
        for _ in 0..<copies {
            guard held.count < Self.pendingMax else {
                figures.overflowed += 1
                return
            }
            var delay = Int64(conditions.latencyMillis)
            if conditions.jitterMillis > 0 {
                delay += Int64(next() % UInt64(2 * conditions.jitterMillis + 1)) - Int64(conditions.jitterMillis)
            }
            held.append(Held(dueNanos: nowNanos + UInt64(max(0, delay)) * 1_000_000, order: nextOrder, direction: direction, bytes: bytes))
        }
        nextOrder += 1
    }

    /// The datagrams due by `nowNanos`, in the order they arrive.
    public mutating func due(nowNanos: UInt64) -> [(direction: Direction, bytes: [UInt8])] {
        guard held.contains(where: { $0.dueNanos <= nowNanos }) else { return [] }
        var out: [Held] = []
        held.removeAll { h in
            guard h.dueNanos <= nowNanos else { return false }
            out.append(h)
            return true
        }
        out.sort { ($0.dueNanos, $0.order) < ($1.dueNanos, $1.order) }
        for h in out {
            figures.delivered += 1
            if let last = lastDelivered[h.direction], h.order < last { figures.overtaken += 1 }
            lastDelivered[h.direction] = max(lastDelivered[h.direction] ?? 0, h.order)
        }
        return out.map { ($0.direction, $0.bytes) }
    }

    public var heldCount: Int { held.count }
}
