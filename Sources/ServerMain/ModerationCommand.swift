// `seoulworld moderation`: operators read reports and the audit trail, and ban, unban, mute
// and resolve, against the same database a running server writes (docs/DATA.md). A ban made
// here reaches a connected account within a few seconds: the server reads the audit trail.

import ArgumentParser
import Foundation
import Services
import Store
import WorldServer

struct ModerationCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "moderation",
        abstract: "Reports, bans and the audit trail, from the command line (beside a running server).",
        subcommands: [Reports.self, Show.self, Resolve.self, Ban.self, Unban.self, Mute.self, Unmute.self, Audit.self])

    struct Common: ParsableArguments {
        @OptionGroup var records: RecordsOptions

        @Option(help: "Who acts, for the audit trail (default: $USER).")
        var actor: String?

        var actorName: String { "operator:" + (actor ?? ProcessInfo.processInfo.environment["USER"] ?? "unknown") }

        func open(write: Bool) throws -> any StoreReading {
            try records.open(write ? .operatorTool : .readOnly, command: "moderation")
        }
    }

    static func time(_ millis: Int64?) -> String {
        guard let millis else { return "for good" }
        return OpeningHours.describe(millis, seconds: true)
    }

    /// A sanction from the command line, reported as the account will be told.
    static func sanction(_ kind: Sanction.Kind, account: String, lengthMillis: Int64?, reason: String, common: Common) throws -> String {
        let store = try common.open(write: true)
        let now = ModerationCommand.now
        let until = lengthMillis.map { now + $0 }
        try store.perform(.sanction(Sanction(accountID: account, kind: kind, startsAtMillis: now, endsAtMillis: until, reason: reason, actor: common.actorName)))
        return "\(account) \(kind == .ban ? "banned" : "muted") \(until == nil ? "for good" : "until " + time(until))"
    }

    /// Lifts an account's active sanctions of a kind; an error when there were none.
    static func lift(_ kind: Sanction.Kind, account: String, reason: String, common: Common) throws -> String {
        let store = try common.open(write: true)
        let outcome = try store.perform(.liftSanctions(accountID: account, kind: kind, atMillis: ModerationCommand.now, actor: common.actorName, reason: reason))
        guard case .count(let n) = outcome, n > 0 else {
            printError("seoulworld moderation: \(account) \(kind == .ban ? "has no active ban" : "is not muted")")
            throw ExitCode(1)
        }
        return "\(account) \(kind == .ban ? "unbanned" : "unmuted")"
    }

    static var now: Int64 { Int64((Date().timeIntervalSince1970 * 1_000).rounded()) }

    /// "30m", "2h", "7d", "forever" to milliseconds (nil: for good).
    static func duration(_ text: String) throws -> Int64? {
        if text == "forever" { return nil }
        guard let unit = text.last, let n = Int64(text.dropLast()), n > 0 else {
            throw ValidationError("--for takes a number and a unit (30m, 2h, 7d) or 'forever'; got '\(text)'")
        }
        switch unit {
        case "m": return n * 60_000
        case "h": return n * 3_600_000
        case "d": return n * 86_400_000
        default: throw ValidationError("--for: the unit is m, h or d; got '\(unit)'")
        }
    }

    struct Reports: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List reports, newest first (open ones unless --all).")
        @OptionGroup var common: Common
        @Flag(help: "Resolved reports too.") var all = false
        @Option(help: "At most this many.") var limit = 50

        func run() throws {
            let store = try common.open(write: false)
            let reports = try store.userReports(includeResolved: all, limit: limit)
            if reports.isEmpty {
                print(all ? "no reports" : "no open reports")
                return
            }
            print("id".padding(toLength: 7, withPad: " ", startingAt: 0) + "filed (KST)".padding(toLength: 24, withPad: " ", startingAt: 0)
                  + "reason".padding(toLength: 20, withPad: " ", startingAt: 0) + "reported".padding(toLength: 28, withPad: " ", startingAt: 0) + "space / state")
            for r in reports {
                let who = r.reportedName + (r.reportedAccount.map { " (\($0))" } ?? " (guest)")
                let state = r.resolvedAtMillis == nil ? "open" : "resolved"
                print(String(r.id).padding(toLength: 7, withPad: " ", startingAt: 0) + ModerationCommand.time(r.createdAtMillis).padding(toLength: 24, withPad: " ", startingAt: 0)
                      + r.reason.rawValue.padding(toLength: 20, withPad: " ", startingAt: 0) + who.padding(toLength: 28, withPad: " ", startingAt: 0)
                      + "\(r.spaceID ?? "-") / \(state)")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One report with its evidence.")
        @OptionGroup var common: Common
        @Argument(help: "The report id.") var id: Int64
        @Flag(help: "Print the evidence as its stored JSON.") var json = false

        func run() throws {
            let store = try common.open(write: false)
            guard let r = try store.userReport(id: id) else {
                printError("seoulworld moderation: no report \(id) in \(store.name)")
                throw ExitCode(1)
            }
            if json {
                print(r.evidenceJSON)
                return
            }
            print("report \(r.id), filed \(ModerationCommand.time(r.createdAtMillis)), reason \(r.reason.rawValue)")
            print("  reporter: \(r.reporterAccount ?? "a guest") (session \(String(r.reporterSession, radix: 16)))")
            print("  reported: \(r.reportedName) (\(r.reportedAccount ?? "a guest"))\(r.reportedEntity.map { ", entity \($0)" } ?? "")")
            if let account = r.reportedAccount {
                let filtered = try store.filteredCount(of: account)
                let earlier = try store.auditEntries(account: account, limit: 1_000).filter { $0.targetAccount == account && $0.action != .resolveReport }
                print("  their record: \(filtered) messages masked by the filter, \(earlier.count) staff or system actions (`moderation audit --account \(account)`)")
            }
            print("  where: \(r.spaceID ?? "-") at tick \(r.tick.map(String.init) ?? "-")")
            if !r.description.isEmpty { print("  says: \(r.description)") }
            if let file = r.recordingFile, let tick = r.recordingTick {
                print("  recording: \(file); replay from a minute before with `seoulworld replay \(file) --from \(max(0, tick - 1_200))`")
            }
            if let at = r.resolvedAtMillis { print("  resolved \(ModerationCommand.time(at)) by \(r.resolvedBy ?? "?"): \(r.resolution ?? "")") }
            guard let e = try? ReportEvidence.decode(r.evidenceJSON) else {
                print("  evidence: (not readable: \(r.evidenceJSON.prefix(80)))")
                return
            }
            print("  chat (\(e.chat.count) lines, oldest first):")
            for l in e.chat {
                let note = l.sent == l.delivered ? "" : "  [delivered as: \(l.delivered)]"
                print("    \(ModerationCommand.time(l.atMillis))  \(l.channel)  \(l.from): \(l.sent)\(note)")
            }
            for (label, party) in [("reporter", e.reporter), ("reported", e.reported)] {
                let track = party.positions
                if let first = track.first, let last = track.last {
                    print("  \(label) moved over \(track.count) s: floor \(first.floor) (\(Double(first.x) / 100), \(Double(first.y) / 100)) m -> floor \(last.floor) (\(Double(last.x) / 100), \(Double(last.y) / 100)) m")
                } else {
                    print("  \(label): no positions kept")
                }
            }
        }
    }

    struct Resolve: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Resolve an open report, saying how.")
        @OptionGroup var common: Common
        @Argument(help: "The report id.") var id: Int64
        @Option(help: "What was decided (goes into the audit trail).") var resolution: String

        func run() throws {
            let store = try common.open(write: true)
            let outcome = try store.perform(.resolveReport(reportID: id, actor: common.actorName, resolution: resolution, atMillis: ModerationCommand.now))
            guard outcome == .count(1) else {
                printError("seoulworld moderation: no open report \(id) (unknown, or already resolved)")
                throw ExitCode(1)
            }
            print("report \(id) resolved")
        }
    }

    struct Ban: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Ban an account (a connected one is removed within seconds).")
        @OptionGroup var common: Common
        @Argument(help: "The account id.") var account: String
        @Option(name: .customLong("for"), help: "How long: 30m, 2h, 7d, or 'forever'.") var length: String
        @Option(help: "Why (goes into the audit trail, and the account is told).") var reason: String

        func run() throws {
            print(try ModerationCommand.sanction(.ban, account: account, lengthMillis: try ModerationCommand.duration(length), reason: reason, common: common))
        }
    }

    struct Unban: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Lift an account's bans.")
        @OptionGroup var common: Common
        @Argument(help: "The account id.") var account: String
        @Option(help: "Why.") var reason: String

        func run() throws { print(try ModerationCommand.lift(.ban, account: account, reason: reason, common: common)) }
    }

    struct Mute: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mute an account's chat (a connected one is told within seconds).")
        @OptionGroup var common: Common
        @Argument(help: "The account id.") var account: String
        @Option(name: .customLong("for"), help: "How long: 30m, 2h, 7d.") var length: String
        @Option(help: "Why.") var reason: String

        func run() throws {
            guard let span = try ModerationCommand.duration(length) else { throw ValidationError("a mute has an end: use m, h or d") }
            print(try ModerationCommand.sanction(.mute, account: account, lengthMillis: span, reason: reason, common: common))
        }
    }

    struct Unmute: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Lift an account's mutes.")
        @OptionGroup var common: Common
        @Argument(help: "The account id.") var account: String
        @Option(help: "Why.") var reason: String

        func run() throws { print(try ModerationCommand.lift(.mute, account: account, reason: reason, common: common)) }
    }

    struct Audit: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The audit trail, newest first: who did what, to whom, when, why.")
        @OptionGroup var common: Common
        @Option(help: "Only rows about (or by) this account.") var account: String?
        @Option(help: "At most this many.") var limit = 100

        func run() throws {
            let store = try common.open(write: false)
            let rows = try store.auditEntries(account: account, limit: limit)
            if rows.isEmpty { print("no audit rows") }
            for e in rows {
                var line = "\(ModerationCommand.time(e.atMillis))  \(e.actor)  \(e.action.rawValue)"
                if let t = e.targetAccount { line += "  \(t)" }
                if let r = e.reportID { line += "  report \(r)" }
                if e.action == .ban || e.action == .mute { line += "  until \(ModerationCommand.time(e.untilMillis))" }
                print(line + "  because: \(e.reason)")
            }
        }
    }
}
