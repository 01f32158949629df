import Foundation
import Testing
import ServiceFiles
@testable import Services

/// Tax Square's machine, event by event: where it answers, how often, and that every request
/// gets exactly one answer before its use is counted.
@Suite struct TaxSquareTests {
    static let directory = Paths.repository.appendingPathComponent("services/tax").path
    static let tables = try! TaxTables.load(directory: directory)
    static let faq = try! TaxFAQ.load(directory: directory)
    static let car: TaxSquare.Event = .calculate(.car, fields: [("cc", "1998"), ("first-registered", "2019-03"), ("date", "2025-06-01")])
    static func here(_ session: UInt64) -> TaxSquare.Facts { TaxSquare.Facts(session: session, space: "tax-square") }

    /// Invariant 1: one answer effect, then one use.
    static func answer(_ effects: [TaxSquare.Effect]) -> (answer: String, outcome: String) {
        #expect(effects.count == 2)
        guard case .used(_, let outcome) = effects.last else { Issue.record("no use counted: \(effects)"); return ("", "") }
        switch effects.first {
        case .working: return ("working", outcome)
        case .answer: return ("answer", outcome)
        case .refused(let r): return ("\(r)", outcome)
        default: Issue.record("\(effects)"); return ("", "")
        }
    }

    @Test func answersOnlyInTheSquare() {
        var m = TaxSquare(tables: Self.tables, faq: Self.faq)
        #expect(Self.answer(m.handle(Self.car, facts: Self.here(1), nowMillis: 0)) == ("working", "answered"))
        #expect(Self.answer(m.handle(Self.car, facts: .init(session: 2, space: "seoul-plaza"), nowMillis: 0)) == ("notHere(space: \"tax-square\")", "not-here"))
        #expect(Self.answer(m.handle(Self.car, facts: .init(session: 3, space: nil), nowMillis: 0)).outcome == "not-here")
        #expect(Self.answer(m.handle(.ask("자동차세 연납"), facts: Self.here(1), nowMillis: 0)) == ("answer", "answered"))
        #expect(Self.answer(m.handle(.ask("베이커리 어디"), facts: Self.here(1), nowMillis: 0)) == ("answer", "does-not-know"))
        let bad = m.handle(.calculate(.car, fields: [("cc", "0")]), facts: Self.here(1), nowMillis: 0)
        guard case .refused(.invalid(let e)) = bad.first else { Issue.record("\(bad)"); return }
        #expect(e.field == "first-registered" || e.field == "cc")
    }

    @Test func aConnectionGetsTenAtOnceThenTwoASecond() {
        var m = TaxSquare(tables: Self.tables, faq: Self.faq)
        let first = (0..<12).map { _ in Self.answer(m.handle(Self.car, facts: Self.here(7), nowMillis: 1_000)).outcome }
        #expect(first == Array(repeating: "answered", count: 10) + ["rate-limited", "rate-limited"])
        #expect(Self.answer(m.handle(Self.car, facts: Self.here(8), nowMillis: 1_000)).outcome == "answered", "another connection has its own")
        #expect(Self.answer(m.handle(Self.car, facts: Self.here(7), nowMillis: 1_499)).outcome == "rate-limited")
        #expect(Self.answer(m.handle(Self.car, facts: Self.here(7), nowMillis: 1_500)).outcome == "answered", "one more every 500 ms")
        #expect(Self.answer(m.handle(Self.car, facts: Self.here(7), nowMillis: 1_500)).outcome == "rate-limited")
        // A clock that steps back refills nothing.
        #expect(Self.answer(m.handle(Self.car, facts: Self.here(7), nowMillis: 0)).outcome == "rate-limited")
        _ = m.handle(.gone(session: 7), facts: nil, nowMillis: 1_500)
        #expect(m.buckets[7] == nil && m.buckets[8] != nil, "a connection gone forgets its bucket")
    }

    @Test func theSquareAsAWholeHasABudget() {
        var m = TaxSquare(tables: Self.tables, faq: Self.faq)
        // 60 connections asking once each at the same moment: the square answers 50.
        let outcomes = (0..<60).map { Self.answer(m.handle(.ask("자동차세 납기"), facts: Self.here(UInt64($0)), nowMillis: 5_000)).outcome }
        #expect(outcomes.filter { $0 == "answered" }.count == 50 && outcomes.filter { $0 == "busy" }.count == 10)
        // 2 ms later, one more.
        #expect(Self.answer(m.handle(.ask("자동차세 납기"), facts: Self.here(100), nowMillis: 5_002)).outcome == "answered")
        #expect(Self.answer(m.handle(.ask("자동차세 납기"), facts: Self.here(101), nowMillis: 5_002)).outcome == "busy")
    }

    @Test func bucketsAreBounded() {
        var rules = TaxSquare.Rules()
        rules.bucketsMax = 100
        rules.squareBurst = 1_000
        var m = TaxSquare(tables: Self.tables, faq: Self.faq, rules: rules)
        for s in 0..<100 { _ = m.handle(.ask("x"), facts: Self.here(UInt64(s)), nowMillis: 0) }
        #expect(m.buckets.count == 100)
        // All 100 still spent: a new connection is refused rather than grow the table.
        #expect(Self.answer(m.handle(.ask("x"), facts: Self.here(1_000), nowMillis: 0)).outcome == "rate-limited")
        // Once they have refilled (10 × 500 ms), the full ones are forgotten to make room.
        #expect(Self.answer(m.handle(.ask("x"), facts: Self.here(1_000), nowMillis: 10_000)).outcome == "does-not-know", "answered (the bot does not know \"x\")")
        #expect(m.buckets.count <= 100)
    }
}
