// How well the filter does on a labelled set (Tests/ServicesTests/Fixtures/profanity-labelled.tsv):
// recall (the share of lines labelled 1 that it flags) and the false-positive rate (the share
// of lines labelled 0 that it flags), with the lines it got wrong.

public struct FilterEvaluation: Sendable {
    public var positives = 0
    public var negatives = 0
    public var truePositives = 0
    public var falsePositives = 0
    public var missed: [String] = []
    public var wronglyFlagged: [(line: String, words: [String])] = []

    public var recall: Double { positives == 0 ? 1 : Double(truePositives) / Double(positives) }
    public var falsePositiveRate: Double { negatives == 0 ? 0 : Double(falsePositives) / Double(negatives) }

    public struct FormatError: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Parses "label<TAB>text" lines ('#' comments and blank lines skipped).
    public static func parse(_ contents: String, name: String) throws(FormatError) -> [(label: Bool, text: String)] {
        var out: [(Bool, String)] = []
        for (i, line) in contents.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.isEmpty || line.hasPrefix("#") { continue }
            let parts = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0] == "0" || parts[0] == "1", !parts[1].isEmpty else {
                throw FormatError(description: "\(name):\(i + 1): expected '0' or '1', a tab, then the text")
            }
            out.append((parts[0] == "1", String(parts[1])))
        }
        return out
    }

    public static func evaluate(_ filter: ProfanityFilter, on lines: [(label: Bool, text: String)]) -> FilterEvaluation {
        var e = FilterEvaluation()
        for (label, text) in lines {
            let result = filter.check(text)
            if label {
                e.positives += 1
                if result.flagged { e.truePositives += 1 } else { e.missed.append(text) }
            } else {
                e.negatives += 1
                if result.flagged {
                    e.falsePositives += 1
                    e.wronglyFlagged.append((text, result.words))
                }
            }
        }
        return e
    }
}
