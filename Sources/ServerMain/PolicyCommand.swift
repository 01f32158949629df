// `seoulworld policy check`: load the chat filter's word lists as the server would, and measure
// it on the labelled set: recall, false positives, the lines it gets wrong, and its speed.

import ArgumentParser
import Dispatch
import Foundation
import ServiceFiles
import Services

struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "policy", abstract: "The chat filter's word lists (policy/).", subcommands: [Check.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check the word lists and measure the filter on a labelled set.")

        @Option(help: "The policy folder (default: policy/ beside the worlds directory).")
        var policy: String?

        @Option(help: "A labelled set: '0' or '1', a tab, a line (default: the repository's Tests/ServicesTests/Fixtures/profanity-labelled.tsv).")
        var labelled: String?

        @Option(help: "Messages to time the filter with (the labelled lines, over and over).")
        var messages = 200_000

        func run() throws {
            let directory = policy ?? defaultPolicyDirectory(worlds: nil)
            let filter: ProfanityFilter
            do { filter = try ProfanityFilter.load(directory: directory) } catch {
                printError("seoulworld policy: \(error.description)")
                throw ExitCode(1)
            }
            print("\(directory): \(filter.entries) entries, \(filter.allowEntries) allowed words")
            let path = labelled ?? URL(fileURLWithPath: directory).deletingLastPathComponent()
                .appendingPathComponent("Tests/ServicesTests/Fixtures/profanity-labelled.tsv").path
            guard let contents = try? String(contentsOfFile: path, encoding: .utf8) else {
                printError("seoulworld policy: cannot read the labelled set \(path)")
                throw ExitCode(1)
            }
            let lines = try FilterEvaluation.parse(contents, name: path)
            let e = FilterEvaluation.evaluate(filter, on: lines)
            print("\(path): \(lines.count) lines, \(e.positives) to flag, \(e.negatives) clean")
            print(String(format: "recall %.3f (%d of %d flagged), false positives %.2f%% (%d of %d)", e.recall, e.truePositives, e.positives,
                         e.falsePositiveRate * 100, e.falsePositives, e.negatives))
            for line in e.missed { print("  missed: \(line)") }
            for (line, words) in e.wronglyFlagged { print("  wrongly flagged: \(line)  (\(words.joined(separator: ", ")))") }
            let texts = lines.map(\.text)
            var flagged = 0
            let start = DispatchTime.now().uptimeNanoseconds
            for i in 0..<messages where filter.check(texts[i % texts.count]).flagged { flagged += 1 }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            print(String(format: "speed: %d messages in %.2f s on one thread: %.0f messages a second (%d flagged)", messages, seconds,
                         Double(messages) / seconds, flagged))
        }
    }
}
