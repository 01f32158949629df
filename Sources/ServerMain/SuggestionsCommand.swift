// `seoulworld suggestions`: the mayor's suggestion box from the command line, through a running
// server's admin API (docs/ADMIN.md): the queue, one suggestion whole, and an answer or a
// closing that reaches the citizen's inbox at once.

import ArgumentParser
import Foundation

struct SuggestionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suggestions",
        abstract: "The suggestion box of a running server: list, show, take, answer and close suggestions.",
        subcommands: [List.self, Show.self, Take.self, Answer.self, Close.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The queue (received and in review, oldest first), the public board of answered ones, or one citizen's.")
        @OptionGroup var common: AdminAPIOptions
        @Option(help: "queue or answered.") var scope = "queue"
        @Option(help: "One citizen's suggestions instead (an account id).") var account: String?
        @Option(help: "Skip this many.") var offset = 0
        @Option(help: "table or json.") var format = "table"

        func validate() throws {
            guard ["table", "json"].contains(format) else { throw ValidationError("--format is table or json; got '\(format)'") }
            guard ["queue", "answered"].contains(scope) else { throw ValidationError("--scope is queue or answered; got '\(scope)'") }
        }

        func run() throws {
            var path = "api/suggestions?offset=\(offset)&scope=\(scope)"
            if let account, let escaped = account.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) { path += "&account=\(escaped)" }
            let answer = try common.call("suggestions", "GET", path, token: try common.token(required: false, command: "suggestions"))
            guard answer.status == 200 else { return try common.report("suggestions", answer) }
            if format == "json" {
                print(String(decoding: answer.body, as: UTF8.self))
                return
            }
            let rows = (try? JSONSerialization.jsonObject(with: answer.body)) as? [[String: Any]] ?? []
            guard !rows.isEmpty else {
                print(account != nil ? "No suggestions from \(account!)." : scope == "queue" ? "The queue is empty." : "No answered suggestions on the public board.")
                return
            }
            var lines = [["number", "state", "category", "filed", "by", "title"]]
            for r in rows {
                let state = (r["state"] as? String ?? "") + ((r["handler"] as? String).map { r["state"] as? String == "in-review" ? " (\($0))" : "" } ?? "")
                lines.append([r["trackingNumber"] as? String ?? "", state, r["category"] as? String ?? "", shortTime(r["filedAt"]),
                              r["account"] as? String ?? "", String((r["title"] as? String ?? "").prefix(50))])
            }
            print(table(lines))
            print("Times in Seoul time (UTC+9). `seoulworld suggestions show NUMBER` for the whole text.")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One suggestion whole, with its answer.")
        @OptionGroup var common: AdminAPIOptions
        @Argument(help: "Its tracking number (S-2026-000123).") var number: String

        func run() throws {
            let answer = try common.call("suggestions", "GET", "api/suggestions/\(number)", token: try common.token(required: false, command: "suggestions"))
            guard answer.status == 200, let s = (try? JSONSerialization.jsonObject(with: answer.body)) as? [String: Any] else {
                return try common.report("suggestions", answer)
            }
            print("\(s["trackingNumber"] ?? "")  \(s["state"] ?? "")  \(s["category"] ?? "")\((s["space"] as? String).map { " · " + $0 } ?? "")")
            print("filed \(shortTime(s["filedAt"])) by \(s["account"] ?? "")\((s["publicConsent"] as? Bool) == true ? "; may be shown publicly once answered" : "")")
            print("\n\(s["title"] ?? "")\n\n\(s["body"] ?? "")")
            if let response = s["response"] as? String {
                print("\n\(s["state"] as? String == "closed" ? "Closed" : "Answered") by \(s["respondedBy"] ?? "") at \(shortTime(s["respondedAt"])):\n\(response)")
            } else if let handler = s["handler"] as? String {
                print("\nIn review by \(handler) since \(shortTime(s["takenAt"])).")
            }
        }
    }

    struct Take: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Take a suggestion into review (it is then yours to answer or close).")
        @OptionGroup var common: AdminAPIOptions
        @Argument(help: "Its tracking number.") var number: String

        func run() throws {
            try common.report("suggestions", try common.call("suggestions", "POST", "api/suggestions/\(number)/take", body: ["author": common.actorName],
                                                             token: try common.token(required: true, command: "suggestions")))
        }
    }

    struct Answer: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Answer a suggestion: the citizen's inbox has it at once.")
        @OptionGroup var common: AdminAPIOptions
        @Argument(help: "Its tracking number.") var number: String
        @Option(help: "The answer (at most 1,000 characters).") var text: String

        func run() throws {
            try common.report("suggestions", try common.call("suggestions", "POST", "api/suggestions/\(number)/answer", body: ["text": text, "author": common.actorName],
                                                             token: try common.token(required: true, command: "suggestions")))
        }
    }

    struct Close: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Close a suggestion with a reason (a duplicate, not the city's to decide, ...): the citizen is told.")
        @OptionGroup var common: AdminAPIOptions
        @Argument(help: "Its tracking number.") var number: String
        @Option(help: "Why it is closed (at most 1,000 characters).") var reason: String

        func run() throws {
            try common.report("suggestions", try common.call("suggestions", "POST", "api/suggestions/\(number)/close", body: ["text": reason, "author": common.actorName],
                                                             token: try common.token(required: true, command: "suggestions")))
        }
    }
}
