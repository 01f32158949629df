// The profanity filter on one core: each iteration checks 1,000 chat lines (the labelled
// set's lines, over and over: about half to mask, in Korean and English, with evasions), so
// that throughput reads as thousands of iterations a second = millions of messages a second.
// Also the normalisation every message goes through first (ChatText).

import Benchmark
import Foundation
import ServiceFiles
import Services

let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

func labelledLines() -> [String] {
    let path = repository.appendingPathComponent("Tests/ServicesTests/Fixtures/profanity-labelled.tsv").path
    let contents = try! String(contentsOfFile: path, encoding: .utf8)
    let lines = try! FilterEvaluation.parse(contents, name: path).map(\.text)
    return (0..<1_000).map { lines[$0 % lines.count] }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput, .mallocCountTotal], maxDuration: .seconds(5), maxIterations: 10_000)
    let filter = try! ProfanityFilter.load(directory: repository.appendingPathComponent("policy").path)
    let lines = labelledLines()

    Benchmark("ProfanityFilter.check, 1,000 messages") { benchmark in
        var flagged = 0
        for _ in benchmark.scaledIterations {
            for line in lines where filter.check(line).flagged { flagged += 1 }
        }
        blackHole(flagged)
    }

    Benchmark("ChatText.normalise, 1,000 messages") { benchmark in
        var count = 0
        for _ in benchmark.scaledIterations {
            for line in lines { if case .success(let t) = ChatText.normalise(line) { count += t.utf8.count } }
        }
        blackHole(count)
    }
}
