// Usage statistics for the yearly evaluation: per space and period, how many visits, by whom,
// for how long, and how crowded it got; per service and period, how often it was used and how
// it went. `seoulworld stats` prints them; the operator's API will serve the same report.
//
// Definitions (docs/DATA.md repeats them for the people who read the figures):
// - A visit belongs to the period in which it began; its whole length counts there
//   (visitor-hours, median and p90 length). A visit still open ends "now".
// - Peak concurrency is computed from the visit intervals themselves (not sampled): the most
//   visitors present at one instant within the period, and the first instant it was reached.
//   A leave and an enter at the same millisecond do not overlap (a traveller is in one place).
// - The busiest hour of the day is the local hour (0 to 23) with the most visitor-time within
//   the period, from actual presence.
// - Periods are calendar days, ISO weeks (from Monday) or months in the report's time zone;
//   the first and last are cut to the report's range. A period that contains a daylight-saving
//   change is bucketed by hour with the offset at its start (Asia/Seoul has none).
//
// The computation is pure (`UsageStats.compute`) over rows the query reads in one pass, so it
// is tested on hand-made intervals and runs unchanged against PostgreSQL later.

import CivilCalendar
import Foundation
import GRDB

public enum StatsPeriod: String, CaseIterable, Sendable, Codable {
    case day, week, month
}

public struct StatsRequest: Sendable {
    public var fromMillis: Int64
    public var toMillis: Int64
    public var period: StatsPeriod
    public var spaceID: String?
    public var timeZone: TimeZone
    /// Where open visits end.
    public var nowMillis: Int64

    public init(fromMillis: Int64, toMillis: Int64, period: StatsPeriod, spaceID: String?, timeZone: TimeZone, nowMillis: Int64) {
        precondition(fromMillis < toMillis)
        self.fromMillis = fromMillis
        self.toMillis = toMillis
        self.period = period
        self.spaceID = spaceID
        self.timeZone = timeZone
        self.nowMillis = nowMillis
    }
}

/// One visit as the statistics see it.
public struct VisitInterval: Sendable, Hashable {
    public var space: String
    /// Nil for a guest.
    public var account: String?
    public var enteredMillis: Int64
    /// Nil while the visit is open.
    public var leftMillis: Int64?

    public init(space: String, account: String?, enteredMillis: Int64, leftMillis: Int64?) {
        self.space = space
        self.account = account
        self.enteredMillis = enteredMillis
        self.leftMillis = leftMillis
    }
}

public struct SpaceStatsRow: Sendable, Codable, Hashable {
    /// The period's first day, local (yyyy-MM-dd).
    public var period: String
    /// A space id, or "(all)" for every space together.
    public var space: String
    public var visits: Int
    public var uniqueMembers: Int
    public var guestVisits: Int
    public var visitorHours: Double
    public var medianVisitSeconds: Double
    public var p90VisitSeconds: Double
    public var peakConcurrent: Int
    /// Local time the peak was first reached (yyyy-MM-dd HH:mm:ss), nil when nobody was present.
    public var peakAt: String?
    /// Local hour 0 to 23 with the most visitor-time, nil when nobody was present.
    public var busiestHour: Int?
}

public struct ServiceStatsRow: Sendable, Codable, Hashable {
    public var period: String
    public var service: String
    public var events: Int
    /// Over the events that have a duration; nil when none has.
    public var medianDurationSeconds: Double?
    /// Share of each outcome among the events (events without an outcome count as "none").
    public var outcomes: [String: Double]
}

/// A service desk's period (from its service events: docs/DATA.md).
public struct DeskStatsRow: Sendable, Codable, Hashable {
    public var period: String
    public var desk: String
    public var joined: Int
    public var served: Int
    /// The wait of those served (join to taken), seconds; nil when none was served.
    public var medianWaitSeconds: Double?
    public var p90WaitSeconds: Double?
    public var medianSessionSeconds: Double?
    /// Of the waits that ended in the period, the share that ended without service (left,
    /// skipped after a disconnection, or let go at closing time).
    public var abandonmentShare: Double?
    public var staffHoursOnDuty: Double
}

public struct StatsReport: Sendable, Codable {
    /// The range, local: its first instant and the first instant after it.
    public var from: String
    public var to: String
    /// The last day included (yyyy-MM-dd, local).
    public var lastDay: String
    public var timeZone: String
    public var period: StatsPeriod
    public var spaces: [SpaceStatsRow]
    public var services: [ServiceStatsRow]
    public var desks: [DeskStatsRow] = []
    /// Average visitors present at each local hour of the day (24 values) over the range, per
    /// space: the "concurrency over the day" of the chart.
    public var presenceByHour: [String: [Double]]
    /// Rows read, and the time spent reading them and computing from them (seconds).
    public var rowsRead = 0
    public var readSeconds = 0.0
    public var computeSeconds = 0.0
}

public enum UsageStats {
    public static let allSpaces = "(all)"

    /// Period boundaries from `from` to `to`: `from`, each calendar start in between, `to`.
    public static func boundaries(from: Int64, to: Int64, period: StatsPeriod, timeZone: TimeZone) -> [Int64] {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = timeZone
        let component: Calendar.Component = switch period {
        case .day: .day
        case .week: .weekOfYear
        case .month: .month
        }
        var out = [from]
        let fromDate = Date(timeIntervalSince1970: Double(from) / 1_000)
        guard var start = calendar.dateInterval(of: component, for: fromDate)?.start else { return [from, to] }
        // At most one boundary per day over the range: a loop with a known bound.
        let limit = Int((to - from) / 86_400_000) + 3
        for _ in 0..<limit {
            guard let next = calendar.date(byAdding: component, value: 1, to: start) else { break }
            let ms = Int64((next.timeIntervalSince1970 * 1_000).rounded())
            if ms >= to { break }
            if ms > out.last! { out.append(ms) }
            start = next
        }
        out.append(to)
        return out
    }

    /// Index of the period holding `t` (boundaries[i] <= t < boundaries[i + 1]).
    static func periodIndex(_ t: Int64, _ b: [Int64]) -> Int {
        var lo = 0, hi = b.count - 2
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if b[mid] <= t { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    struct Cell {
        var visits = 0
        var guests = 0
        var members = Set<String>()
        var visitMillis: [Int64] = []
        var peak = 0
        var peakAt: Int64 = 0
        var hourMillis = [Int64](repeating: 0, count: 24)
    }

    /// The space rows and the presence by hour, from the visits overlapping the request's range.
    public static func compute(visits: [VisitInterval], request r: StatsRequest) -> (rows: [SpaceStatsRow], presenceByHour: [String: [Double]]) {
        let b = boundaries(from: r.fromMillis, to: r.toMillis, period: r.period, timeZone: r.timeZone)
        let periods = b.count - 1
        let offsets = b.dropLast().map { Int64(r.timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double($0) / 1_000))) * 1_000 }
        // Spaces by index (0 is every space together, when no space is chosen): the loop below
        // runs once per visit, and string-keyed dictionaries there cost more than the rest.
        var names = [allSpaces]
        var index: [String: Int] = [:]
        var cells: [[Cell]] = [Array(repeating: Cell(), count: periods)]
        var events: [[(t: Int64, delta: Int)]] = [[]]
        for v in visits {
            let end = max(v.enteredMillis, v.leftMillis ?? r.nowMillis)
            let start = max(v.enteredMillis, r.fromMillis), stop = min(end, r.toMillis)
            let own: Int
            if let i = index[v.space] {
                own = i
            } else {
                own = names.count
                index[v.space] = own
                names.append(v.space)
                cells.append(Array(repeating: Cell(), count: periods))
                events.append([])
            }
            // The visit's own space, then (with no space chosen) every space together.
            for pass in 0..<(r.spaceID == nil ? 2 : 1) {
                let key = pass == 0 ? own : 0
                if v.enteredMillis >= r.fromMillis && v.enteredMillis < r.toMillis {
                    let p = periodIndex(v.enteredMillis, b)
                    cells[key][p].visits += 1
                    cells[key][p].visitMillis.append(end - v.enteredMillis)
                    if let a = v.account { cells[key][p].members.insert(a) } else { cells[key][p].guests += 1 }
                }
                if start < stop {
                    events[key].append((start, 1))
                    events[key].append((stop, -1))
                    addPresence(from: start, to: stop, boundaries: b, offsets: offsets, into: &cells[key])
                }
            }
        }
        for key in events.indices where !events[key].isEmpty {
            sweepPeaks(events[key], boundaries: b, into: &cells[key])
        }
        var rows: [SpaceStatsRow] = []
        var presence: [String: [Double]] = [:]
        let days = Double(r.toMillis - r.fromMillis) / 86_400_000
        // Every space together only when no space was chosen and someone came.
        for key in names.indices.sorted(by: { spaceOrder(names[$0], names[$1]) }) where key != 0 || (r.spaceID == nil && !visits.isEmpty) {
            let list = cells[key]
            var hours = [Int64](repeating: 0, count: 24)
            for (p, c) in list.enumerated() {
                for h in 0..<24 { hours[h] += c.hourMillis[h] }
                rows.append(row(c, space: names[key], periodStart: b[p], offset: offsets[p]))
            }
            presence[names[key]] = hours.map { Double($0) / 3_600_000 / max(days, 1.0 / 24) }
        }
        rows.sort { ($0.period, $0.space == allSpaces ? "" : $0.space) < ($1.period, $1.space == allSpaces ? "" : $1.space) }
        return (rows, presence)
    }

    static func spaceOrder(_ a: String, _ b: String) -> Bool {
        if a == allSpaces { return b != allSpaces }
        if b == allSpaces { return false }
        return a < b
    }

    /// Adds the interval's presence to each local hour it covers, period by period.
    static func addPresence(from: Int64, to: Int64, boundaries b: [Int64], offsets: [Int64], into cells: inout [Cell]) {
        var t = from
        var p = periodIndex(t, b)
        // A visit spans at most (length in hours + periods) chunks; both are bounded by the range.
        while t < to {
            while p + 1 < b.count - 1 && b[p + 1] <= t { p += 1 }
            let local = t + offsets[p]
            let hourStart = local - ((local % 3_600_000) + 3_600_000) % 3_600_000
            let hour = Int(((hourStart / 3_600_000) % 24 + 24) % 24)
            let chunkEnd = min(to, hourStart - offsets[p] + 3_600_000, b[p + 1])
            cells[p].hourMillis[hour] += chunkEnd - t
            t = chunkEnd
        }
    }

    /// The peak concurrency of each period, from the enter (+1) and leave (-1) events.
    static func sweepPeaks(_ list: [(t: Int64, delta: Int)], boundaries b: [Int64], into cells: inout [Cell]) {
        // Leaves sort before enters at the same instant.
        let sorted = list.sorted { $0.t != $1.t ? $0.t < $1.t : $0.delta < $1.delta }
        var count = 0
        var p = 0
        for e in sorted {
            while p + 1 < b.count - 1 && b[p + 1] <= e.t {
                p += 1
                // The people present across a boundary are present at its first instant.
                if count > cells[p].peak { cells[p].peak = count; cells[p].peakAt = b[p] }
            }
            count += e.delta
            precondition(count >= 0, "more leaves than enters")
            if count > cells[p].peak { cells[p].peak = count; cells[p].peakAt = e.t }
        }
    }

    static func row(_ c: Cell, space: String, periodStart: Int64, offset: Int64) -> SpaceStatsRow {
        let sorted = c.visitMillis.sorted()
        let busiest = c.hourMillis.max().flatMap { m in m > 0 ? c.hourMillis.firstIndex(of: m) : nil }
        return SpaceStatsRow(
            period: localDate(periodStart, offset: offset), space: space, visits: c.visits, uniqueMembers: c.members.count,
            guestVisits: c.guests, visitorHours: Double(sorted.reduce(0, +)) / 3_600_000,
            medianVisitSeconds: quantile(sorted, 0.5) / 1_000, p90VisitSeconds: quantile(sorted, 0.9) / 1_000,
            peakConcurrent: c.peak, peakAt: c.peak > 0 ? localDateTime(c.peakAt, offset: offset) : nil, busiestHour: busiest)
    }

    /// The q-quantile of sorted values, by linear interpolation between closest ranks; 0 when empty.
    public static func quantile(_ sorted: [Int64], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let position = q * Double(sorted.count - 1)
        let i = Int(position)
        let f = position - Double(i)
        return i + 1 < sorted.count ? Double(sorted[i]) * (1 - f) + Double(sorted[i + 1]) * f : Double(sorted[i])
    }

    // MARK: Services

    public struct EventRow: Sendable, Hashable {
        public var service: String
        public var kind: String = ""
        public var atMillis: Int64
        public var durationMillis: Int64?
        public var outcome: String?
        public init(service: String, kind: String = "", atMillis: Int64, durationMillis: Int64?, outcome: String?) {
            self.service = service
            self.kind = kind
            self.atMillis = atMillis
            self.durationMillis = durationMillis
            self.outcome = outcome
        }
    }

    public static func computeServices(events: [EventRow], request r: StatsRequest) -> [ServiceStatsRow] {
        let b = boundaries(from: r.fromMillis, to: r.toMillis, period: r.period, timeZone: r.timeZone)
        var groups: [String: [[EventRow]]] = [:]
        for e in events where e.atMillis >= r.fromMillis && e.atMillis < r.toMillis {
            if groups[e.service] == nil { groups[e.service] = Array(repeating: [], count: b.count - 1) }
            groups[e.service]![periodIndex(e.atMillis, b)].append(e)
        }
        var rows: [ServiceStatsRow] = []
        for service in groups.keys.sorted() {
            for (p, list) in groups[service]!.enumerated() where !list.isEmpty {
                let durations = list.compactMap(\.durationMillis).sorted()
                var outcomes: [String: Double] = [:]
                for e in list { outcomes[e.outcome ?? "none", default: 0] += 1 }
                for k in outcomes.keys { outcomes[k]! /= Double(list.count) }
                let offset = Int64(r.timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(b[p]) / 1_000))) * 1_000
                rows.append(ServiceStatsRow(period: localDate(b[p], offset: offset), service: service, events: list.count,
                                            medianDurationSeconds: durations.isEmpty ? nil : quantile(durations, 0.5) / 1_000, outcomes: outcomes))
            }
        }
        rows.sort { ($0.period, $0.service) < ($1.period, $1.service) }
        return rows
    }

    /// The kinds a desk writes: a service with any of them is reported as a desk.
    static let deskKinds: Set<String> = ["joined", "served", "ended", "abandoned", "skipped", "closed", "on-duty", "off-duty"]

    public static func computeDesks(events: [EventRow], request r: StatsRequest) -> [DeskStatsRow] {
        let b = boundaries(from: r.fromMillis, to: r.toMillis, period: r.period, timeZone: r.timeZone)
        var groups: [String: [[EventRow]]] = [:]
        for e in events where e.atMillis >= r.fromMillis && e.atMillis < r.toMillis && deskKinds.contains(e.kind) {
            if groups[e.service] == nil { groups[e.service] = Array(repeating: [], count: b.count - 1) }
            groups[e.service]![periodIndex(e.atMillis, b)].append(e)
        }
        var rows: [DeskStatsRow] = []
        for desk in groups.keys.sorted() {
            for (p, list) in groups[desk]!.enumerated() where !list.isEmpty {
                func of(_ kind: String) -> [EventRow] { list.filter { $0.kind == kind } }
                let waits = of("served").compactMap(\.durationMillis).sorted()
                let sessions = of("ended").compactMap(\.durationMillis).sorted()
                let unserved = of("abandoned").count + of("skipped").count + of("closed").count
                let ended = of("served").count + unserved
                let offset = Int64(r.timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(b[p]) / 1_000))) * 1_000
                rows.append(DeskStatsRow(period: localDate(b[p], offset: offset), desk: desk, joined: of("joined").count, served: of("served").count,
                                         medianWaitSeconds: waits.isEmpty ? nil : quantile(waits, 0.5) / 1_000,
                                         p90WaitSeconds: waits.isEmpty ? nil : quantile(waits, 0.9) / 1_000,
                                         medianSessionSeconds: sessions.isEmpty ? nil : quantile(sessions, 0.5) / 1_000,
                                         abandonmentShare: ended == 0 ? nil : Double(unserved) / Double(ended),
                                         staffHoursOnDuty: Double(of("off-duty").compactMap(\.durationMillis).reduce(0, +)) / 3_600_000))
            }
        }
        return rows.sorted { ($0.period, $0.desk) < ($1.period, $1.desk) }
    }

    // MARK: Local times, without a formatter per row

    static func civil(_ ms: Int64, offset: Int64) -> (y: Int, m: Int, d: Int, secondOfDay: Int) {
        let local = CivilCalendar.local(unixMillis: ms, offsetMillis: offset)
        let date = CivilCalendar.civil(day: local.day)
        return (Int(date.year), Int(date.month), Int(date.day), Int(local.secondOfDay))
    }

    static func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    public static func localDate(_ ms: Int64, offset: Int64) -> String {
        let c = civil(ms, offset: offset)
        return "\(c.y)-\(two(c.m))-\(two(c.d))"
    }

    public static func localDateTime(_ ms: Int64, offset: Int64) -> String {
        let c = civil(ms, offset: offset)
        return "\(c.y)-\(two(c.m))-\(two(c.d)) \(two(c.secondOfDay / 3_600)):\(two(c.secondOfDay / 60 % 60)):\(two(c.secondOfDay % 60))"
    }
}

extension UsageStats {
    /// The visits a report reads, as three index ranges rather than one scan: visits that began
    /// in the range, then the few that began before it and were still present at its start
    /// (ended after it, or open). Each condition with its bounds (the space, when chosen, is
    /// the last argument of each).
    static func visitRanges(_ r: StatsRequest) -> [(condition: String, bounds: [Int64])] {
        [("entered_at_ms >= ? AND entered_at_ms < ?", [r.fromMillis, r.toMillis]),
         ("left_at_ms > ? AND entered_at_ms < ?", [r.fromMillis, r.fromMillis]),
         ("left_at_ms IS NULL AND entered_at_ms < ?", [r.fromMillis])]
    }
}

extension Store {
    /// The usage report for `request`, read from one snapshot of the database.
    public func stats(_ request: StatsRequest) throws -> StatsReport {
        let started = DispatchTime.now().uptimeNanoseconds
        let (visits, events) = try pool.read { db -> ([VisitInterval], [UsageStats.EventRow]) in
            var visits: [VisitInterval] = []
            // A space's overflow instances (`space#n`, docs/CLUSTER.md) count as the space.
            let space = request.spaceID.map { _ in " AND (space_id = ? OR substr(space_id, 1, length(?) + 1) = ? || '#')" } ?? ""
            let columns = "SELECT space_id, account_id, entered_at_ms, left_at_ms FROM visits WHERE "
            for (condition, bounds) in UsageStats.visitRanges(request) {
                var arguments = StatementArguments(bounds)
                if let id = request.spaceID { arguments += [id, id, id] }
                let cursor = try Row.fetchCursor(db, sql: columns + condition + space, arguments: arguments)
                while let row = try cursor.next() {
                    visits.append(VisitInterval(space: SpaceInstanceKey(parsing: row[0]).space, account: row[1], enteredMillis: row[2], leftMillis: row[3]))
                }
            }
            var events: [UsageStats.EventRow] = []
            let eventCursor = try Row.fetchCursor(db, sql: "SELECT service, kind, at_ms, duration_ms, outcome FROM service_events WHERE at_ms >= ? AND at_ms < ?",
                                                  arguments: [request.fromMillis, request.toMillis])
            while let row = try eventCursor.next() {
                events.append(UsageStats.EventRow(service: row[0], kind: row[1], atMillis: row[2], durationMillis: row[3], outcome: row[4]))
            }
            return (visits, events)
        }
        return StatsReport.assemble(visits: visits, events: events, request: request, readNanoseconds: DispatchTime.now().uptimeNanoseconds - started)
    }
}
