// How the bots' own loop kept time (issue: a load test once reported as the server's failure
// what was the bot process's own stall). The fleet ticks every 50 ms; this notes when each
// tick began and how long it took, and says afterwards how late the loop ran, how long it
// stalled, how busy it was, and which drops followed a stall of the fleet's own: a bot that
// sent nothing because its process was stalled is dropped by the server's idle rule, and
// that drop is the fleet's, not the server's.
//
// Invariants:
// 1. Memory is bounded: at most `stallsKept` stalls are kept (the longest is always counted).
// 2. Pure arithmetic over the times given: the fleet passes the clock.

import Histogram

public struct FleetLoopFigures: Codable, Sendable {
    /// From one tick's start to the next's, milliseconds.
    public var tickIntervalMillis = Percentiles()
    /// Ticks that began more than two periods (100 ms) after the one before.
    public var lateTicks = 0
    public var longestStallMillis: UInt64 = 0
    /// The share of the wall time spent inside the fleet's ticks (1.0: the loop never rested).
    public var busyShare = 0.0
    /// The bots process's CPU time over the wall time (1.0: a whole core), decoding included.
    public var processCPUShare = 0.0
    /// Drops, and failed connections, that came within the idle window after the fleet had
    /// stalled for a third of it or more.
    public var dropsAfterOwnStall = 0
    public var failuresAfterOwnStall = 0
    public init() {}
}

struct FleetLoop {
    static let periodNanos: UInt64 = 50_000_000
    /// A gap between ticks counted as a stall (kept to attribute drops).
    static let stallNanos: UInt64 = 1_000_000_000
    static let stallsKept = 10_000
    /// The server's idle rule: a connection that sent nothing for this long is closed.
    static let idleWindowNanos: UInt64 = 30_000_000_000

    private var interval = Histogram<UInt64>(highestTrackableValue: 600_000, numberOfSignificantValueDigits: .three)
    private var lastStart: UInt64?
    private var firstStart: UInt64?
    private var lastEnd: UInt64 = 0
    private var busy: UInt64 = 0
    private(set) var lateTicks = 0
    private(set) var longestStall: UInt64 = 0
    /// Gaps of `stallNanos` or more: when the loop stopped and when it ticked again.
    private(set) var stalls: [(from: UInt64, to: UInt64)] = []

    mutating func began(at now: UInt64) {
        if firstStart == nil { firstStart = now }
        if let last = lastStart {
            let gap = now - last
            _ = interval.record(min(gap / 1_000_000, 600_000))
            if gap > 2 * Self.periodNanos { lateTicks += 1 }
            longestStall = max(longestStall, gap)
            if gap >= Self.stallNanos && stalls.count < Self.stallsKept { stalls.append((last, now)) }
        }
        lastStart = now
    }

    mutating func ended(at now: UInt64) {
        if let start = lastStart, now >= start { busy += now - start }
        lastEnd = now
    }

    /// How long the loop was stalled (beyond its period) in the idle window before `t`.
    func stalled(before t: UInt64) -> UInt64 {
        let windowStart = t > Self.idleWindowNanos ? t - Self.idleWindowNanos : 0
        var total: UInt64 = 0
        for s in stalls where s.to > windowStart && s.from < t {
            let from = max(s.from, windowStart), to = min(s.to, t)
            if to > from + Self.periodNanos { total += to - from - Self.periodNanos }
        }
        return total
    }

    /// Whether a drop seen at `t` followed a stall of the fleet's own (a third of the idle
    /// window or more in the window before it).
    func isOwnStall(dropSeenAt t: UInt64) -> Bool { stalled(before: t) >= Self.idleWindowNanos / 3 }

    func figures(dropsSeenAt drops: [UInt64], failuresSeenAt failures: [UInt64] = [], keepHistogram: Bool = false) -> FleetLoopFigures {
        var f = FleetLoopFigures()
        f.tickIntervalMillis = Percentiles(interval, keep: keepHistogram)
        f.lateTicks = lateTicks
        f.longestStallMillis = longestStall / 1_000_000
        if let first = firstStart, lastEnd > first { f.busyShare = Double(busy) / Double(lastEnd - first) }
        f.dropsAfterOwnStall = drops.filter { isOwnStall(dropSeenAt: $0) }.count
        f.failuresAfterOwnStall = failures.filter { isOwnStall(dropSeenAt: $0) }.count
        return f
    }
}
