// What the server tells its operator: the status line, tick percentiles, and the run's figures
// for the load benchmark.

import Transport
import Foundation

extension Server {
    // MARK: Status and shutdown

    /// Tick time percentiles over the last minute of ticks, in milliseconds.
    public func tickMillis(percentile q: Double) -> Double {
        guard !figures.tickDurations.isEmpty else { return 0 }
        let sorted = figures.tickDurations.sorted()
        return Double(sorted[min(sorted.count - 1, Int(q * Double(sorted.count)))]) / 1e6
    }

    /// The run's figures, for the load benchmark: tick percentiles over the last 6,000 ticks,
    /// the process's CPU time, and the client-ticks served.
    func writeStats(to path: String) {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        var stats: [String: Any] = [
            "ticks": counters.ticks, "ticksSkipped": counters.ticksSkipped, "tickP50Millis": tickMillis(percentile: 0.5),
            "tickP99Millis": tickMillis(percentile: 0.99), "cpuSeconds": cpu, "clientTicks": counters.clientTicks,
            // The peak resident set of the process (Linux reports kilobytes).
            "maxResidentKilobytes": usage.ru_maxrss,
            "connectionsAccepted": counters.connectionsAccepted, "udpDropped": counters.udpDropped,
            "chatMessages": counters.chatMessages, "chatDeliveries": counters.chatDeliveries, "chatFiltered": counters.chatFiltered,
            "chatRateLimited": counters.chatRateLimited, "systemMutes": counters.systemMutes, "guestRefusals": counters.guestRefusals,
            "userReportsFiled": counters.userReportsFiled, "staffActions": counters.staffActions, "kicks": counters.kicks,
            "bannedRefused": counters.bannedRefused, "roomsOpen": rooms.rooms.count,
        ]
        if let f = figures.store {
            stats["storeCommitted"] = f.committed
            stats["storeTransactions"] = f.transactions
            stats["storeFailed"] = f.failed
            stats["storeRefusedFull"] = f.refusedFull
            stats["storeQueueDepthMax"] = f.queueDepthMax
        }
        do {
            let data = try JSONSerialization.data(withJSONObject: stats, options: [.prettyPrinted, .sortedKeys])
            try data.write(to: URL(fileURLWithPath: path))
        } catch {
            logger.error("cannot write the stats file", metadata: ["path": "\(path)", "error": "\(error)"])
        }
    }

    func rttText() -> String {
        guard !figures.rtt.isEmpty else { return "none yet" }
        let sorted = figures.rtt.sorted()
        return "p50 \(sorted[sorted.count / 2]) ms p99 \(sorted[min(sorted.count - 1, sorted.count * 99 / 100)]) ms"
    }

    /// The views kept for the clients' snapshots (most of the server's memory per client): the
    /// snapshots kept per client waiting for an acknowledgement (all and the most), and the
    /// spare arrays the workers keep for reuse.
    func snapshotArraysText() -> String {
        var kept = 0, most = 0
        for s in sessions.values {
            let n = s.realtime.feed?.history.count ?? 0
            kept += n
            most = max(most, n)
        }
        let spares = host.snapshotWork.scratches.reduce(0) { $0 + $1.spareKnown.count }
        return "\(kept) kept (at most \(most) a client), \(spares) spare"
    }

    func logStatus() {
        let seconds = Double(configuration.statusEverySeconds)
        let populated = host.spaceOrder.compactMap { id -> String? in
            let n = host.spaces[id]!.world.population
            return n > 0 ? "\(id) \(n)" : nil
        }
        let bound = sessions.values.filter { $0.realtime.binding.boundAddress != nil }.count
        logger.info("status", metadata: [
            "clients": "\(sessions.count) (io.udp \(bound))",
            "spaces": "\(populated.isEmpty ? "empty" : populated.joined(separator: ", "))",
            "tick": "p50 \(String(format: "%.2f", tickMillis(percentile: 0.5))) ms p99 \(String(format: "%.2f", tickMillis(percentile: 0.99))) ms",
            "skipped": "\(counters.ticksSkipped)",
            "rtt": "\(rttText())",
            "in": "\(Int(Double(counters.bytesIn - figures.lastStatus.bytesIn) / seconds / 1_000)) kB/s",
            "out": "\(Int(Double(counters.bytesOut - figures.lastStatus.bytesOut) / seconds / 1_000)) kB/s",
            "udpDropped": "\(counters.udpDropped)",
            "snapshotArrays": "\(snapshotArraysText())",
        ])
        figures.lastStatus = counters
    }
}
