// The tick's health as the operator's side sees it: a window of the latest tick durations (for
// percentiles and readiness) and a history of one entry per second (for the page's chart),
// both fed from the published views' `newTickNanos`. Pure and bounded; `OperatorState` locks.

public struct TickWindow: Sendable {
    /// The latest durations, a ring of at most `capacity`.
    private var ring: [UInt64] = []
    private var next = 0
    public let capacity: Int

    public init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        ring.reserveCapacity(capacity)
    }

    public var count: Int { ring.count }

    public mutating func add(_ nanos: UInt64) {
        if ring.count < capacity {
            ring.append(nanos)
        } else {
            ring[next] = nanos
            next = (next + 1) % capacity
        }
    }

    /// The `q` quantile (0...1) of the window, nanoseconds; 0 when empty.
    public func quantile(_ q: Double) -> UInt64 {
        guard !ring.isEmpty else { return 0 }
        let sorted = ring.sorted()
        return sorted[min(sorted.count - 1, Int(q * Double(sorted.count)))]
    }

    public var maximum: UInt64 { ring.max() ?? 0 }
}

/// One second of ticks.
public struct TickSecond: Sendable, Codable, Hashable {
    /// Unix seconds.
    public var second: Int64
    public var ticks: Int
    public var maxMillis: Double
    public var meanMillis: Double
}

public struct TickHistory: Sendable {
    public private(set) var seconds: [TickSecond] = []
    public let secondsMax: Int
    private var sumNanos: UInt64 = 0

    public init(secondsMax: Int) {
        precondition(secondsMax > 0)
        self.secondsMax = secondsMax
    }

    /// Counts `nanos` (ticks seen at `atMillis`) into their second.
    public mutating func add(_ nanos: [UInt64], atMillis: Int64) {
        guard !nanos.isEmpty else { return }
        let second = atMillis / 1_000
        if seconds.last?.second != second {
            seconds.append(TickSecond(second: second, ticks: 0, maxMillis: 0, meanMillis: 0))
            sumNanos = 0
            if seconds.count > secondsMax { seconds.removeFirst(seconds.count - secondsMax) }
        }
        var entry = seconds[seconds.count - 1]
        for n in nanos {
            entry.ticks += 1
            sumNanos += n
            entry.maxMillis = max(entry.maxMillis, Double(n) / 1e6)
        }
        entry.meanMillis = Double(sumNanos) / Double(entry.ticks) / 1e6
        seconds[seconds.count - 1] = entry
    }
}
