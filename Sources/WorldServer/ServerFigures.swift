// The figures a running server measures, beside its counters: tick durations and round trips
// (rings, for the status line's and the stats file's percentiles), UDP drops by reason, what
// the operator's view has not yet seen, and when the run started. One owner; the loop thread's.

import Store

struct ServerFigures {
    /// The last 6,000 tick durations in nanoseconds (five minutes at 20 Hz).
    var tickDurations = SampleRing<UInt64>(capacity: 6_000)
    /// The latest round-trip times measured from inputs, in milliseconds.
    var rtt = SampleRing<UInt16>(capacity: 8_192)
    /// `counters.udpDropped`, by `UDPDropReason`.
    var udpDroppedByReason = [Int](repeating: 0, count: UDPDropReason.allCases.count)
    /// The tick durations since the operator's last view, and the views published so far.
    var operatorTickNanos: [UInt64] = []
    var publishedViews: UInt64 = 0
    /// The counters at the last status line (for its rates).
    var lastStatus = ServerCounters()
    /// The monotonic time the loop started, nanoseconds.
    var startedAt: UInt64 = 0
    /// The store writer's figures at its close, for the stats file.
    var store: StoreWriter.Figures?
}
