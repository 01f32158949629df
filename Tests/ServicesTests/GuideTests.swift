// The guide's documents as data: the shipped ones load, every problem in a file is named with
// its field, and the code's rule is the current version's.

import Foundation
import ServiceFiles
import Testing
@testable import Services

@Suite struct GuideTests {
    static let directory = Paths.repository.appendingPathComponent("guide").path

    @Test func theShippedGuideLoadsInBothLanguages() throws {
        let guide = try Guide.load(directory: Self.directory)
        #expect(guide.ethics.sections.map(\.id) == ["respect", "fairness", "reality", "safeguards"])
        #expect(guide.tutorial.sections.count >= 5 && guide.tutorial.sections.first?.id == "move")
        for document in [guide.ethics, guide.tutorial] {
            #expect(document.sections.allSatisfy { !$0.text.ko.isEmpty && !$0.text.en.isEmpty })
            #expect(document.bytes("ko") <= GuideDocument.languageBytesMax && document.bytes("en") <= GuideDocument.languageBytesMax)
        }
        #expect(guide.allows(accepted: [guide.ethics.version]) && !guide.allows(accepted: ["2025-1"]) && !guide.allows(accepted: []))
    }

    @Test func everyProblemIsNamedWithItsField() {
        func problem(_ json: String) -> String {
            do {
                _ = try GuideDocument.parse(Array(json.utf8), file: "ethics.json", list: "articles")
                return "none"
            } catch { return error.description }
        }
        let title = #""title": {"ko": "규범", "en": "Code"}"#
        func article(_ id: String, en: String = "Be kind.") -> String { #"{"id": "\#(id)", "title": {"ko": "존중", "en": "Respect"}, "text": {"ko": "친절하게.", "en": "\#(en)"}}"# }
        #expect(problem(#"{"version": "1", \#(title), "articles": [\#(article("respect"))]}"#) == "none")
        #expect(problem(#"{\#(title), "articles": [\#(article("respect"))]}"#).hasPrefix("ethics.json: version:"))
        #expect(problem(#"{"version": "1", \#(title), "articles": []}"#) == "ethics.json: articles: needs 1 to 32 entries")
        #expect(problem(#"{"version": "1", \#(title), "articles": [\#(article("respect", en: " "))]}"#) == "ethics.json: articles[0].text.en: is empty")
        #expect(problem(#"{"version": "1", \#(title), "articles": [\#(article("Respect"))]}"#) == "ethics.json: articles[0].id: needs a lowercase kebab-case id")
        #expect(problem(#"{"version": "1", \#(title), "articles": [\#(article("a")), \#(article("a"))]}"#) == "ethics.json: articles[1].id: 'a' is used twice")
        let long = String(repeating: "x", count: 1_001)
        #expect(problem(#"{"version": "1", \#(title), "articles": [\#(article("a", en: long))]}"#) == "ethics.json: articles[0].text.en: is 1001 bytes; at most 1000")
        let many = (0..<7).map { article("a\($0)", en: String(repeating: "y", count: 990)) }.joined(separator: ", ")
        #expect(problem(#"{"version": "1", \#(title), "articles": [\#(many)]}"#).contains("the en text is"), "a document too large for one message")
        #expect(problem("[1]") == "ethics.json: : is not a JSON object")
    }
}
