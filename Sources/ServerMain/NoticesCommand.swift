// `seoulworld notices`: the city's notice board from the command line, through a running
// server's admin API (docs/ADMIN.md), so that a notice written here goes through the board's
// rules, is kept in the store, and reaches the citizens in its spaces as it starts.

import ArgumentParser
import Foundation

struct NoticesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notices",
        abstract: "The notice board of a running server: list, add and withdraw notices.",
        subcommands: [List.self, Add.self, Withdraw.self, Bench.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The notices on the board: scheduled, showing, and withdrawn ones until their end.")
        @OptionGroup var common: AdminAPIOptions
        @Option(help: "table or json.") var format = "table"

        func validate() throws {
            guard ["table", "json"].contains(format) else { throw ValidationError("--format is table or json; got '\(format)'") }
        }

        func run() throws {
            let answer = try common.call("notices", "GET", "api/notices", token: try common.token(required: false, command: "notices"))
            guard answer.status == 200 else { return try common.report("notices", answer) }
            if format == "json" {
                print(String(decoding: answer.body, as: UTF8.self))
                return
            }
            let notices = (try? JSONSerialization.jsonObject(with: answer.body)) as? [[String: Any]] ?? []
            guard !notices.isEmpty else {
                print("The notice board is empty.")
                return
            }
            var rows = [["id", "state", "category", "from", "until", "where", "title", "by"]]
            for n in notices {
                let title = (n["titleKo"] as? String).map { ko in (n["titleEn"] as? String).map { "\(ko) · \($0)" } ?? ko } ?? n["titleEn"] as? String ?? ""
                let spaces = n["spaces"] as? [String] ?? []
                rows.append(["\(n["id"] ?? "")", (n["state"] as? String ?? "") + ((n["pinned"] as? Bool) == true ? ", pinned" : ""),
                             n["category"] as? String ?? "", shortTime(n["startsAt"]), shortTime(n["endsAt"]),
                             spaces.isEmpty ? "the whole city" : spaces.joined(separator: ", "), String(title.prefix(60)),
                             (n["withdrawnBy"] as? String).map { "\(n["author"] ?? ""); withdrawn by \($0)" } ?? "\(n["author"] ?? "")"])
            }
            print(table(rows, rightAligned: [0]))
            print("Times in Seoul time (UTC+9).")
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a notice: a title and a text in Korean and/or English, shown from --starts (default now) until --ends or for --for.")
        @OptionGroup var common: AdminAPIOptions
        @Option(help: "event, service-update, maintenance or safety.") var category = "event"
        @Option(help: "The title in Korean (at most 100 characters).") var titleKo: String?
        @Option(help: "The title in English (at most 100 characters).") var titleEn: String?
        @Option(help: "The text in Korean (at most 1,000 characters).") var bodyKo: String?
        @Option(help: "The text in English (at most 1,000 characters).") var bodyEn: String?
        @Option(help: "When it starts showing, ISO 8601 with its offset (2026-12-31T23:00:00+09:00); default now.") var starts: String?
        @Option(help: "When it stops showing, ISO 8601 with its offset.") var ends: String?
        @Option(name: .customLong("for"), help: "How long it shows from its start: 30m, 2h, 7d (instead of --ends).") var length: String?
        @Option(help: "A public space it shows in (repeat for several); none for the whole city.") var space: [String] = []
        @Flag(help: "Show it before the others.") var pinned = false

        func validate() throws {
            guard (ends == nil) != (length == nil) else { throw ValidationError("say when the notice ends: --ends TIME or --for LENGTH (one of them)") }
            guard titleKo != nil || titleEn != nil else { throw ValidationError("a notice needs a title: --title-ko and/or --title-en") }
            guard bodyKo != nil || bodyEn != nil else { throw ValidationError("a notice needs a text: --body-ko and/or --body-en") }
        }

        func run() throws {
            let token = try common.token(required: true, command: "notices")
            var endsAt = ends
            if let length {
                let start: Date
                if let starts {
                    guard let t = ISO8601DateFormatter().date(from: starts) else {
                        throw ValidationError("--starts '\(starts)' is not an ISO 8601 time with its offset, such as 2026-12-31T23:00:00+09:00")
                    }
                    start = t
                } else {
                    start = Date()
                }
                guard let millis = try ModerationCommand.duration(length) else { throw ValidationError("--for 'forever' is not a length: a notice shows for at most 366 days") }
                let f = ISO8601DateFormatter()
                f.timeZone = TimeZone(identifier: "Asia/Seoul")!
                endsAt = f.string(from: start.addingTimeInterval(Double(millis) / 1_000))
            }
            var body: [String: Any] = ["category": category, "endsAt": endsAt!, "spaces": space, "pinned": pinned, "author": common.actorName]
            for (key, value) in [("titleKo", titleKo), ("titleEn", titleEn), ("bodyKo", bodyKo), ("bodyEn", bodyEn), ("startsAt", starts)] {
                if let value { body[key] = value }
            }
            try common.report("notices", try common.call("notices", "POST", "api/notices", body: body, token: token))
        }
    }

    struct Withdraw: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Take a notice off the board for good (the record keeps it, as withdrawn).")
        @OptionGroup var common: AdminAPIOptions
        @Argument(help: "The notice's number (notices list shows it).") var id: Int64

        func run() throws {
            try common.report("notices", try common.call("notices", "POST", "api/notices/\(id)/withdraw", body: ["author": common.actorName], token: try common.token(required: true, command: "notices")))
        }
    }

    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time a city-wide notice from the command to the last member's push: a server and members on loopback in this process.")
        @Option(help: "Members connected.") var clients = 1_000
        @Option(help: "Notices posted, one after another.") var rounds = 20
        @Option(help: "The spaces the members are spread over (repeat).") var space: [String] = ["city-hall", "seoul-plaza", "gwanghwamun-square", "deoksugung"]
        @Option(help: "The worlds folder (default: worlds/).") var worlds: String?

        func run() throws {
            try NoticesBench(worlds: worlds, clients: clients, rounds: rounds, spaces: space).run()
        }
    }
}
