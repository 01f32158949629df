import Foundation
import Testing
import ServiceFiles
@testable import Services

/// The tax FAQ bot measured on questions it was not tuned on (Fixtures/tax/faq-heldout.json):
/// the share of answerable questions whose right entry comes first, and the share of questions
/// outside the FAQ it says it does not know (TAX_FAQ_DIAGNOSE=1 and TAX_FAQ_GRID=1 print the
/// development set's scores and a grid over the tuning, for whoever tunes it next: on the
/// development set only).
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

extension TaxFAQTests {
    /// Prints each development question's best entry and score, for choosing the threshold.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["TAX_FAQ_DIAGNOSE"] != nil)) func diagnose() throws {
        var top = 0, n = 0
        for q in try Self.questions("faq-dev") {
            let r = Self.faq.rank(q.q)
            let best = r.first.map { (Self.faq.entries[$0.index].id, $0.score) } ?? ("-", 0)
            let second = r.dropFirst().first.map { $0.score } ?? 0
            if q.expect != nil { n += 1; if best.0 == q.expect { top += 1 } }
            print(String(format: "%@ %.3f %.3f %@ | %@", best.0 == q.expect ? "OK " : (q.expect == nil ? "OUT" : "BAD"), best.1, second, best.0, q.q))
        }
        print("top-1 regardless of threshold: \(top)/\(n)")
    }
}

extension TaxFAQTests {
    /// A grid over the tuning on the development set: top-1 and the best threshold's two rates.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["TAX_FAQ_GRID"] != nil)) func grid() throws {
        let questions = try Self.questions("faq-dev")
        for syllable in [0.0, 0.2, 0.4] {
            for trigram in [0.0, 0.3, 0.6] {
                for unseen in [0.0, 0.5, 1.0] {
                    var t = TaxFAQ.Tuning()
                    t.syllable = syllable; t.trigram = trigram; t.unseen = unseen
                    let faq = TaxFAQ(entries: Self.faq.entries, desk: "d", topics: Self.faq.topics, outside: Self.faq.outside, tuning: t)
                    let scored = questions.map { q -> (Bool, Double, Bool) in
                        if case .nationalTax = faq.reply(q.q) { return (q.expect != nil, 0, false) }
                        let r = faq.rank(q.q).first
                        return (q.expect != nil, r?.score ?? 0, r.map { faq.entries[$0.index].id } == q.expect)
                    }
                    var best = (0, 0.0, 0, 0)
                    for step in 10...50 {
                        let th = Double(step) / 100
                        let right = scored.filter { $0.0 && $0.2 && $0.1 >= th }.count
                        let unknown = scored.filter { !$0.0 && $0.1 < th }.count
                        if right + unknown > best.0 { best = (right + unknown, th, right, unknown) }
                    }
                    let top = scored.filter { $0.0 && $0.2 }.count
                    print("syl \(syllable) tri \(trigram) unseen \(unseen): top-1 \(top), best threshold \(best.1): right \(best.2), unknown \(best.3), sum \(best.0)")
                }
            }
        }
    }
}
