// `seoulworld stats`: the usage report of the city's records, for the yearly evaluation of
// each space and service. Reads the database read-only, so it runs while the server does.

import ArgumentParser
import Transport
import Foundation
import Store

struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Usage per space and period (visits, members, guests, visitor-hours, visit length, peak concurrency) and per service.",
        discussion: """
            Dates are local to --time-zone; --from and --to are both included. A visit counts in the period it began; \
            peak concurrency comes from the visit intervals themselves. Safe to run while the server runs.
            """
    )

    @OptionGroup var records: RecordsOptions

    @Option(help: "First day, yyyy-MM-dd (default: 29 days before --to).")
    var from: String?

    @Option(help: "Last day, yyyy-MM-dd, included (default: today).")
    var to: String?

    @Option(help: "Period: day, week (ISO, from Monday) or month.")
    var by: StatsPeriod = .day

    @Option(help: "Only this space.")
    var space: String?

    @Option(help: "table, csv or json.")
    var format: Format = .table

    @Option(help: "Also draw the report as an SVG chart into this file.")
    var chart: String?

    @Option(help: "The time zone for dates and hours (an IANA name).")
    var timeZone = "Asia/Seoul"

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, csv, json }

    func run() throws {
        guard let zone = TimeZone(identifier: timeZone) else {
            throw ValidationError("--time-zone '\(timeZone)' is not a known time zone (use an IANA name such as Asia/Seoul or UTC)")
        }
        let now = Int64((Date().timeIntervalSince1970 * 1_000).rounded())
        let toDay = try to.map { try parseDay($0, zone: zone, option: "--to") } ?? startOfDay(now, zone: zone)
        let fromDay = try from.map { try parseDay($0, zone: zone, option: "--from") } ?? toDay - 29 * 86_400_000
        let toExclusive = toDay + 86_400_000
        guard fromDay < toExclusive else { throw ValidationError("--from (\(from ?? "")) is after --to (\(to ?? ""))") }
        guard toExclusive - fromDay <= 3_660 * 86_400_000 else { throw ValidationError("the range is longer than ten years; narrow --from/--to") }

        let store = try records.open(.readOnly, command: "stats")
        let started = Monotonic.nanoseconds()
        let request = StatsRequest(fromMillis: fromDay, toMillis: toExclusive, period: by, spaceID: space, timeZone: zone, nowMillis: now)
        let report = try store.stats(request)
        let seconds = Double(Monotonic.nanoseconds() - started) / 1e9
        switch format {
        case .table: print(StatsText.report(report, seconds: seconds))
        case .csv: print(StatsText.csv(report), terminator: "")
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        }
        if let chart {
            do {
                try StatsChart.svg(report).write(toFile: chart, atomically: true, encoding: .utf8)
            } catch {
                printError("seoulworld stats: cannot write the chart to \(chart): \(error.localizedDescription)")
                throw ExitCode(1)
            }
            printError("chart written to \(chart)")
        }
    }

    func parseDay(_ text: String, zone: TimeZone, option: String) throws -> Int64 {
        let parts = text.split(separator: "-").map { Int($0) }
        guard parts.count == 3, let y = parts[0], let m = parts[1], let d = parts[2], (1...12).contains(m), (1...31).contains(d) else {
            throw ValidationError("\(option) '\(text)' is not a date of the form yyyy-MM-dd")
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        guard let date = calendar.date(from: DateComponents(year: y, month: m, day: d)), calendar.component(.day, from: date) == d else {
            throw ValidationError("\(option) '\(text)' is not a day of the calendar")
        }
        return Int64((date.timeIntervalSince1970 * 1_000).rounded())
    }

    func startOfDay(_ ms: Int64, zone: TimeZone) -> Int64 {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let start = calendar.startOfDay(for: Date(timeIntervalSince1970: Double(ms) / 1_000))
        return Int64((start.timeIntervalSince1970 * 1_000).rounded())
    }
}

extension StatsPeriod: ExpressibleByArgument {}

/// The report as text: an aligned table for people, CSV for spreadsheets.
enum StatsText {
    static func duration(_ seconds: Double) -> String {
        if seconds < 60 { return "\(Int(seconds.rounded())) s" }
        if seconds < 3_600 { return "\(format(seconds / 60, decimals: 1)) min" }
        return "\(format(seconds / 3_600, decimals: 1)) h"
    }

    static func report(_ r: StatsReport, seconds: Double) -> String {
        var out = "Usage from \(r.from.prefix(10)) to \(r.lastDay) included (\(r.timeZone)), by \(r.period.rawValue); \(r.rowsRead) rows read in \(format(r.readSeconds * 1_000, decimals: 0)) ms, computed in \(format(r.computeSeconds * 1_000, decimals: 0)) ms\n\n"
        let spaceRows = r.spaces.filter { $0.visits > 0 || $0.peakConcurrent > 0 }
        if spaceRows.isEmpty {
            out += "No visits in this range.\n"
        } else {
            var rows = [["period", "space", "visits", "members", "guests", "visitor-h", "median", "p90", "peak", "peak at", "busiest hour"]]
            for s in spaceRows {
                rows.append([s.period, s.space, "\(s.visits)", "\(s.uniqueMembers)", "\(s.guestVisits)", format(s.visitorHours, decimals: 1),
                             s.visits > 0 ? duration(s.medianVisitSeconds) : "-", s.visits > 0 ? duration(s.p90VisitSeconds) : "-",
                             "\(s.peakConcurrent)", s.peakAt.map { String($0.dropFirst(5)) } ?? "-",
                             s.busiestHour.map { "\(StatsText.two($0)):00-\(StatsText.two(($0 + 1) % 24)):00" } ?? "-"])
            }
            out += table(rows) + "\n"
        }
        out += "\n"
        if r.services.isEmpty {
            out += "No service events in this range.\n"
        } else {
            var rows = [["period", "service", "events", "median duration", "outcomes"]]
            for s in r.services {
                let outcomes = s.outcomes.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
                    .map { "\($0.key) \(format($0.value * 100, decimals: 0))%" }.joined(separator: ", ")
                rows.append([s.period, s.service, "\(s.events)", s.medianDurationSeconds.map(duration) ?? "-", outcomes])
            }
            out += table(rows) + "\n"
        }
        if !r.desks.isEmpty {
            out += "\n"
            var rows = [["period", "desk", "joined", "served", "wait median", "wait p90", "session median", "abandoned", "staff-h on duty"]]
            for d in r.desks {
                rows.append([d.period, d.desk, "\(d.joined)", "\(d.served)", d.medianWaitSeconds.map(duration) ?? "-", d.p90WaitSeconds.map(duration) ?? "-",
                             d.medianSessionSeconds.map(duration) ?? "-", d.abandonmentShare.map { format($0 * 100, decimals: 0) + "%" } ?? "-",
                             format(d.staffHoursOnDuty, decimals: 1)])
            }
            out += table(rows) + "\n"
        }
        return out
    }

    static func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    static func csv(_ r: StatsReport) -> String {
        var out = "kind,period,name,visits,unique_members,guest_visits,visitor_hours,median_visit_seconds,p90_visit_seconds,peak_concurrent,peak_at,busiest_hour,events,median_duration_seconds,outcomes\n"
        for s in r.spaces {
            out += "space,\(s.period),\(field(s.space)),\(s.visits),\(s.uniqueMembers),\(s.guestVisits),\(format(s.visitorHours, decimals: 3)),"
            out += "\(format(s.medianVisitSeconds, decimals: 1)),\(format(s.p90VisitSeconds, decimals: 1)),\(s.peakConcurrent),\(s.peakAt ?? ""),"
            out += "\(s.busiestHour.map(String.init) ?? ""),,,\n"
        }
        for s in r.services {
            let outcomes = s.outcomes.keys.sorted().map { "\($0)=\(format(s.outcomes[$0]! , decimals: 4))" }.joined(separator: ";")
            out += "service,\(s.period),\(field(s.service)),,,,,,,,,,\(s.events),\(s.medianDurationSeconds.map { format($0, decimals: 1) } ?? ""),\(field(outcomes))\n"
        }
        if !r.desks.isEmpty {
            // The desks have columns of their own: a second table after a blank line.
            out += "\nkind,period,desk,joined,served,median_wait_seconds,p90_wait_seconds,median_session_seconds,abandonment_share,staff_hours_on_duty\n"
            for d in r.desks {
                func opt(_ v: Double?, _ decimals: Int) -> String { v.map { format($0, decimals: decimals) } ?? "" }
                out += "desk,\(d.period),\(field(d.desk)),\(d.joined),\(d.served),\(opt(d.medianWaitSeconds, 1)),\(opt(d.p90WaitSeconds, 1)),"
                out += "\(opt(d.medianSessionSeconds, 1)),\(opt(d.abandonmentShare, 4)),\(format(d.staffHoursOnDuty, decimals: 3))\n"
            }
        }
        return out
    }

    /// A CSV field, quoted when it holds a separator or a quote.
    static func field(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}
