// What the HTTP side keeps between views: the latest view, the tick window and history, and
// the metrics, all fed from the board's subscription on the loop thread. Handlers read it
// under a lock and never wait on the loop thread.

import Foundation
import WorldServer

public final class OperatorState: @unchecked Sendable {
    public let board: OperatorBoard
    public let metrics = ServerMetrics()
    private let lock = NSLock()
    private var window = TickWindow(capacity: 6_000)
    /// The latest 10 s of ticks: readiness judges the tick on these.
    private var recent = TickWindow(capacity: 200)
    private var history = TickHistory(secondsMax: 600)
    private var skippedAt: [(atMillis: Int64, skipped: Int)] = []

    public init(board: OperatorBoard) {
        self.board = board
        board.subscribe { [self] view in self.take(view) }
    }

    private func take(_ view: OperatorView) {
        metrics.update(view)
        lock.withLock {
            for n in view.newTickNanos {
                window.add(n)
                recent.add(n)
            }
            history.add(view.newTickNanos, atMillis: view.atMillis)
            skippedAt.append((view.atMillis, view.counters.ticksSkipped))
            skippedAt.removeAll { $0.atMillis < view.atMillis - 10_000 }
        }
    }

    public var view: OperatorView? { board.view }

    public struct TickSummary: Sendable, Codable {
        public var p50Millis: Double
        public var p99Millis: Double
        public var maxMillis: Double
        /// Over the last ~10 s (200 ticks at 20 Hz): what readiness judges.
        public var recentP99Millis: Double
        public var skippedLast10Seconds: Int
        public var budgetMillis: Double
        public var samples: Int
    }

    public func ticks(rateHertz: Int) -> TickSummary {
        lock.withLock {
            TickSummary(p50Millis: Double(window.quantile(0.5)) / 1e6, p99Millis: Double(window.quantile(0.99)) / 1e6,
                        maxMillis: Double(window.maximum) / 1e6, recentP99Millis: Double(recent.quantile(0.99)) / 1e6,
                        skippedLast10Seconds: (skippedAt.last?.skipped ?? 0) - (skippedAt.first?.skipped ?? 0),
                        budgetMillis: 1_000 / Double(max(1, rateHertz)), samples: window.count)
        }
    }

    public func tickHistory() -> [TickSecond] { lock.withLock { history.seconds } }
}
