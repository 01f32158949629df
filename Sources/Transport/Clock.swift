// The server's clock (DESIGN.md, "Time"): the server and its rules read time only through it.
// Everything above the transport receives a `ServerClock` as a value and reads it through its
// two functions, so that a test can hand it a clock whose time moves only when the test moves
// it. Below the rules, the store reads the machine's clocks for its own bookkeeping (the
// writer's latencies, the time a migration ran, how long a report took to read): no rule's
// outcome depends on those, and the tests do not need to move them.
//
// - monotonic: nanoseconds from an arbitrary start that never go back (libuv's uv_hrtime);
//   for durations, deadlines and the tick schedule.
// - wall: Unix milliseconds, UTC; for what is stored and shown (records, notices, opening hours).

import CLibUV
import Foundation

public struct ServerClock: Sendable {
    public var monotonicNanos: @Sendable () -> UInt64
    public var wallMillis: @Sendable () -> Int64

    public init(monotonicNanos: @escaping @Sendable () -> UInt64, wallMillis: @escaping @Sendable () -> Int64) {
        self.monotonicNanos = monotonicNanos
        self.wallMillis = wallMillis
    }

    /// The monotonic time in milliseconds.
    public func monotonicMillis() -> UInt64 { monotonicNanos() / 1_000_000 }

    /// The machine's clocks.
    public static let system = ServerClock(monotonicNanos: { uv_hrtime() },
                                           wallMillis: { Int64((Date().timeIntervalSince1970 * 1_000).rounded()) })
}

/// The machine's monotonic clock, for tools and tests that time what they do.
public enum Monotonic {
    public static func nanoseconds() -> UInt64 { uv_hrtime() }
}

extension UVError {
    /// The address is held by another socket (EADDRINUSE).
    public var isAddressInUse: Bool { code == Int32(UV_EADDRINUSE.rawValue) }
}

/// A clock whose time moves only when its owner moves it: the virtual time of tests and of the
/// whole-server simulation. Read from any thread; set by one.
public final class VirtualClock: @unchecked Sendable {
    let lock = NSLock()
    var nanos: UInt64
    let wallStartMillis: Int64

    /// Starts at monotonic 0 and at `wallStartMillis` on the wall.
    public init(wallStartMillis: Int64) {
        nanos = 0
        self.wallStartMillis = wallStartMillis
    }

    public var monotonicNanos: UInt64 { lock.withLock { nanos } }

    /// Moves the time forward by `millis` (never back).
    public func advance(millis: UInt64) { lock.withLock { nanos += millis * 1_000_000 } }

    /// The `ServerClock` that reads this clock.
    public var serverClock: ServerClock {
        ServerClock(monotonicNanos: { self.monotonicNanos },
                    wallMillis: { self.wallStartMillis + Int64(self.monotonicNanos / 1_000_000) })
    }
}
