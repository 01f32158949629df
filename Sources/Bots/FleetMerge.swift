// One report from the reports of several bot processes (`bots --processes N`): counts add up,
// the latencies' histograms merge (percentiles of parts do not make the whole's, so each
// process keeps its histograms in its report for this), and each process's own loop is kept
// beside the merge, because a stall is a process's, not the fleet's.
//
// Invariants:
// 1. Every count of the merged report is the sum of the parts' (or, for the run's length and
//    the longest stall, the largest).
// 2. A latency with samples but no histogram cannot be merged: that is an error, never a
//    guess from the parts' percentiles.

import Foundation
import Histogram
import WorldClient

public struct MergeError: Error, CustomStringConvertible {
    public var description: String
}

extension Percentiles {
    /// The percentiles of all the parts' samples, from their histograms.
    static func merged(_ parts: [Percentiles], _ name: String) throws(MergeError) -> Percentiles {
        var whole: Histogram<UInt64>?
        for part in parts where part.count > 0 {
            guard let h = part.histogram else {
                throw MergeError(description: "\(name): a part has \(part.count) samples but no histogram (run its fleet with keepHistograms)")
            }
            if whole == nil { whole = h } else { whole!.add(h) }
        }
        return whole.map { Percentiles($0) } ?? Percentiles()
    }
}

extension FleetLoopFigures {
    /// The fleet's loops together: the longest stall and the busiest loop of any process, late
    /// ticks and drops after a stall of all, and the CPU of all (1.0 a whole core; more than
    /// one with several processes).
    static func merged(_ parts: [FleetLoopFigures]) throws(MergeError) -> FleetLoopFigures {
        var f = FleetLoopFigures()
        f.tickIntervalMillis = try Percentiles.merged(parts.map(\.tickIntervalMillis), "fleetLoop.tickIntervalMillis")
        for p in parts {
            f.lateTicks += p.lateTicks
            f.longestStallMillis = max(f.longestStallMillis, p.longestStallMillis)
            f.busyShare = max(f.busyShare, p.busyShare)
            f.processCPUShare += p.processCPUShare
            f.dropsAfterOwnStall += p.dropsAfterOwnStall
            f.failuresAfterOwnStall += p.failuresAfterOwnStall
        }
        return f
    }
}

/// Figures made of counts only (`ChatFigures`, `DeskFigures`, `CivicFigures`), added key by
/// key through their Codable form, so that a count added to one of them is merged without a
/// line here; a field that is not a whole number is an error, not a sum.
func addedCounts<T: Codable>(_ parts: [T], _ name: String) throws(MergeError) -> T {
    do {
        var whole: [String: Int] = [:]
        for part in parts {
            guard let counts = try JSONSerialization.jsonObject(with: JSONEncoder().encode(part)) as? [String: Int] else {
                throw MergeError(description: "\(name): not counts only, cannot be added")
            }
            for (key, value) in counts { whole[key, default: 0] += value }
        }
        return try JSONDecoder().decode(T.self, from: JSONSerialization.data(withJSONObject: whole))
    } catch let error as MergeError {
        throw error
    } catch {
        throw MergeError(description: "\(name): \(error)")
    }
}

extension BotReport {
    /// The report of a fleet run as `parts.count` processes, from each one's report.
    public static func merged(_ parts: [BotReport]) throws(MergeError) -> BotReport {
        guard let first = parts.first else { throw MergeError(description: "no reports to merge") }
        var r = BotReport()
        r.scenario = first.scenario
        r.world = first.world
        func sum(_ key: (BotReport) -> Int) -> Int { parts.reduce(0) { $0 + key($1) } }
        func add(_ key: (BotReport) -> [String: Int]) -> [String: Int] {
            parts.reduce(into: [:]) { whole, part in for (k, v) in key(part) { whole[k, default: 0] += v } }
        }
        r.target = sum(\.target)
        r.firstBot = parts.map(\.firstBot).min() ?? 0
        r.durationSeconds = parts.map(\.durationSeconds).max() ?? 0
        r.attempted = sum(\.attempted)
        r.succeeded = sum(\.succeeded)
        r.failed = sum(\.failed)
        r.failedByReason = add(\.failedByReason)
        r.dropped = sum(\.dropped)
        r.droppedByReason = add(\.droppedByReason)
        r.snapshots = sum(\.snapshots)
        r.snapshotsBaselineMissing = sum(\.snapshotsBaselineMissing)
        r.network = parts.reduce(NetworkFigures()) { $0 + $1.network }
        r.protocolErrors = sum(\.protocolErrors)
        r.bytesDown = sum(\.bytesDown)
        r.bytesUp = sum(\.bytesUp)
        r.computeRates()
        r.rttMillis = try Percentiles.merged(parts.map(\.rttMillis), "rttMillis")
        r.snapshotIntervalMillis = try Percentiles.merged(parts.map(\.snapshotIntervalMillis), "snapshotIntervalMillis")
        r.contactViolationsSeen = sum(\.contactViolationsSeen)
        r.viewsChecked = sum(\.viewsChecked)
        r.bugReportsSent = sum(\.bugReportsSent)
        r.bugReportsFiled = sum(\.bugReportsFiled)
        r.bugReportsBusy = sum(\.bugReportsBusy)
        r.bugReportsNotSent = sum(\.bugReportsNotSent)
        r.bugReportLatencyMicros = try Percentiles.merged(parts.map(\.bugReportLatencyMicros), "bugReportLatencyMicros")
        r.handOvers = sum(\.handOvers)
        r.handOverMicros = try Percentiles.merged(parts.map(\.handOverMicros), "handOverMicros")
        r.handOversPending = sum(\.handOversPending)
        r.handOversUnanswered = sum(\.handOversUnanswered)
        r.handOversRefused = sum(\.handOversRefused)
        r.refusedFull = sum(\.refusedFull)
        r.placedBySpace = add(\.placedBySpace)
        r.connectionDrops = sum(\.connectionDrops)
        r.resumeMicros = try Percentiles.merged(parts.map(\.resumeMicros), "resumeMicros")
        r.resumesPending = sum(\.resumesPending)
        r.serverFellSilent = sum(\.serverFellSilent)
        r.resumesRefused = sum(\.resumesRefused)
        r.removals = Array(parts.flatMap(\.removals).sorted { ($0.atUnixMillis, $0.bot) < ($1.atUnixMillis, $1.bot) }.prefix(removalsMax))
        r.desk = try addedCounts(parts.map(\.desk), "desk")
        r.deskTakeToRoomMicros = try Percentiles.merged(parts.map(\.deskTakeToRoomMicros), "deskTakeToRoomMicros")
        r.chat = try addedCounts(parts.map(\.chat), "chat")
        r.chatLatencyMicros = try Percentiles.merged(parts.map(\.chatLatencyMicros), "chatLatencyMicros")
        r.civic = try addedCounts(parts.map(\.civic), "civic")
        r.suggestionLatencyMicros = try Percentiles.merged(parts.map(\.suggestionLatencyMicros), "suggestionLatencyMicros")
        r.fleetLoop = try FleetLoopFigures.merged(parts.map(\.fleetLoop))
        r.processes = parts.map { part in
            var loop = part.fleetLoop
            loop.tickIntervalMillis.histogram = nil
            return ProcessFigures(firstBot: part.firstBot, bots: part.target, loop: loop)
        }
        return r
    }
}
