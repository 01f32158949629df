import Foundation
import Testing
import ServiceFiles
@testable import Services

/// The tax FAQ bot measured on questions it was not tuned on (Fixtures/tax/faq-heldout.json):
/// the share of answerable questions whose right entry comes first, and the share of questions
/// outside the FAQ it says it does not know. Tune on the development set only (its misses
/// print), then write a fresh held-out set and measure it once.
@Suite struct TaxFAQTests {
    static let faq = try! TaxFAQ.load(directory: Paths.repository.appendingPathComponent("services/tax").path)

    struct Question: Decodable { var q: String; var expect: String? }
    struct QuestionFile: Decodable { var questions: [Question] }

    static func questions(_ name: String) throws -> [Question] {
        let url = Bundle.module.url(forResource: "Fixtures/tax/\(name)", withExtension: "json")!
        return try JSONDecoder().decode(QuestionFile.self, from: Data(contentsOf: url)).questions
    }

    struct Rates { var firstRight: Int; var answerable: Int; var unknownRight: Int; var outside: Int; var misses: [String] }

    static func measure(_ questions: [Question], faq: TaxFAQ) -> Rates {
        var r = Rates(firstRight: 0, answerable: 0, unknownRight: 0, outside: 0, misses: [])
        for q in questions {
            let reply = faq.reply(q.q)
            if let expect = q.expect {
                r.answerable += 1
                if case .answer(let e, _) = reply, e.id == expect { r.firstRight += 1 } else { r.misses.append("\(q.q) → \(reply)") }
            } else {
                r.outside += 1
                switch reply {
                case .unknown, .nationalTax: r.unknownRight += 1
                case .answer: r.misses.append("\(q.q) → \(reply)")
                }
            }
        }
        return r
    }

    @Test func heldOutQuestions() throws {
        let r = Self.measure(try Self.questions("faq-heldout"), faq: Self.faq)
        print("tax FAQ, held out: right entry first \(r.firstRight)/\(r.answerable), does not know \(r.unknownRight)/\(r.outside)")
        for m in r.misses { print("  miss: \(m)") }
        #expect(r.answerable >= 45 && r.outside >= 10 && r.answerable + r.outside >= 60)
        #expect(Self.faq.entries.count >= 40)
        // Measured once, when this (the third) set was written: 46 of 56 right first, 9 of 10
        // unknown. The earlier sets are in faq-dev.json with their figures.
        #expect(r.firstRight >= 44, "right entry first \(r.firstRight) of \(r.answerable)")
        #expect(r.unknownRight >= 8, "does not know \(r.unknownRight) of \(r.outside)")
    }

    @Test func developmentQuestions() throws {
        let r = Self.measure(try Self.questions("faq-dev"), faq: Self.faq)
        print("tax FAQ, development: right entry first \(r.firstRight)/\(r.answerable), does not know \(r.unknownRight)/\(r.outside)")
        for m in r.misses { print("  miss: \(m)") }
        // What the tuning reached on the set it was chosen on: 106 of 122, 27 of 29.
        #expect(r.firstRight >= 104 && r.unknownRight >= 26, "\(r.firstRight) of \(r.answerable), \(r.unknownRight) of \(r.outside)")
    }

    @Test func everyPhrasingFindsItsOwnEntry() {
        for e in Self.faq.entries {
            for q in e.questions {
                guard case .answer(let found, _) = Self.faq.reply(q) else { Issue.record("\(q): no answer"); continue }
                #expect(found.id == e.id, "\(q) → \(found.id)")
            }
        }
    }

    @Test func spacingAndParticlesDoNotMatter() {
        let a = Self.faq.rank("자동차세 연납 할인").first!
        let b = Self.faq.rank("자동차세연납할인은").first!
        #expect(a.index == b.index && Self.faq.entries[a.index].id == "car-january")
    }

    @Test func emptyAndForeignQuestionsAreUnknown() {
        #expect(Self.faq.reply("") == .unknown(best: 0))
        #expect(Self.faq.reply("?!…") == .unknown(best: 0))
        if case .answer(let e, _) = Self.faq.reply("ลดภาษีรถยนต์") { Issue.record("Thai text answered with \(e.id)") }
    }

    @Test func badFilesAreNamed() {
        #expect(throws: TaxFAQ.LoadError.self) { try TaxFAQ.parse(Data("{}".utf8), path: "faq.json") }
        let twice = #"{"formatVersion":1,"checked":"2026-01-01","desk":"d","topics":[],"outside":[],"entries":[{"id":"a","topic":"general","questions":["q"],"answer":{"ko":"k","en":"e"},"sources":["s"]},{"id":"a","topic":"general","questions":["q"],"answer":{"ko":"k","en":"e"},"sources":["s"]}]}"#
        do { _ = try TaxFAQ.parse(Data(twice.utf8), path: "faq.json"); Issue.record("accepted an id twice") } catch {
            #expect(error.description.contains("entries[1].id 'a'"))
        }
    }
}
