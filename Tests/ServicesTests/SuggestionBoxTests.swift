// The suggestion box's rules, event by event: every check on a filing named, abuse refused
// rather than masked (with the words the filter found), the day's limit as the store answers
// it, the states' order with who may move them, races worded, and tracking numbers that read
// aloud and parse back.

import Testing
@testable import Services

@Suite struct SuggestionBoxTests {
    /// 2026-12-07 10:00 in Seoul.
    static let now: Int64 = 1_796_605_200_000
    static let box = SuggestionBox(spaces: ["seoul-plaza", "city-hall"], filter: try! ProfanityFilter(lists: [("test.txt", "시발\nfuck")], allow: ("allow.txt", "")))
    static let answerer = SuggestionFacts(isAnswerer: true)

    static func draft(_ title: String = "분수대 옆 벤치", body: String = "벤치를 더 놓아 주세요.", space: String? = "seoul-plaza") -> SuggestionDraft {
        SuggestionDraft(title: title, body: body, category: .environment, space: space, publicConsent: true)
    }

    static func suggestion(_ state: SuggestionState, handler: String? = nil) -> Suggestion {
        Suggestion(id: 123, account: "kim", draft: draft(), state: state, filedAtMillis: now, handler: handler,
                   respondedBy: state.isFinal ? "staff:park" : nil)
    }

    @Test func aFilingPassesEveryCheckOrIsRefusedNamingIt() {
        let member = SuggestionFacts(isAnswerer: false)
        #expect(Self.box.handle(.file(Self.draft(), account: "kim"), facts: member, nowMillis: Self.now)
                == [.persist(.file(Self.draft(), account: "kim", atMillis: Self.now, dayStartMillis: 1_796_569_200_000, perDay: 3))],
                "the day counted from Seoul's midnight (15:00 UTC the day before)")
        let cases: [(SuggestionDraft, SuggestionRefusal)] = [
            (Self.draft(" \n"), .noText(field: "title")),
            (Self.draft(body: ""), .noText(field: "text")),
            (Self.draft(String(repeating: "가", count: 101)), .tooLong(field: "title", characters: 101, bytes: 303, charactersMax: 100, bytesMax: 300)),
            (Self.draft(body: String(repeating: "b", count: 1_001)), .tooLong(field: "text", characters: 1_001, bytes: 1_001, charactersMax: 1_000, bytesMax: 3_000)),
            (Self.draft(body: "시1발 벤치가 없어요"), .abusive(field: "text", words: ["시발"])),
            (Self.draft("F.U.C.K benches"), .abusive(field: "title", words: ["fuck"])),
            (Self.draft(space: "atlantis"), .unknownSpace("atlantis")),
        ]
        for (d, refusal) in cases {
            #expect(Self.box.handle(.file(d, account: "kim"), facts: member, nowMillis: Self.now) == [.refused(refusal)], "\(d.title) / \(d.body)")
        }
        #expect(SuggestionRefusal.abusive(field: "text", words: ["시발"]).sentence.contains("write it without them"))
        // The store's answer: an id, or none when the day's limit was reached.
        let filed = Self.box.handle(.filed(id: 123, draft: Self.draft(), account: "kim", atMillis: Self.now), facts: member, nowMillis: Self.now)
        #expect(filed == [.filed(Self.suggestion(.received))])
        #expect(Self.box.handle(.filed(id: nil, draft: Self.draft(), account: "kim", atMillis: Self.now), facts: member, nowMillis: Self.now)
                == [.refused(.dailyLimit(3))])
    }

    @Test func onlyAnswerersMoveASuggestionAndAnsweredOrClosedIsFinal() {
        #expect(Self.box.handle(.take(id: 123, by: "kim"), facts: SuggestionFacts(isAnswerer: false, current: Self.suggestion(.received)), nowMillis: Self.now)
                == [.refused(.notAnswerer)])
        #expect(Self.box.handle(.take(id: 9, by: "staff:park"), facts: Self.answerer, nowMillis: Self.now) == [.refused(.noSuchSuggestion(9))])
        let received = SuggestionFacts(isAnswerer: true, current: Self.suggestion(.received))
        #expect(Self.box.handle(.take(id: 123, by: "staff:park"), facts: received, nowMillis: Self.now) == [.persist(.take(id: 123, by: "staff:park", atMillis: Self.now))])
        // In review by park: choi may not take, answer or close it; park may answer it.
        let parks = SuggestionFacts(isAnswerer: true, current: Self.suggestion(.inReview, handler: "staff:park"))
        for event in [SuggestionEvent.take(id: 123, by: "staff:choi"), .answer(id: 123, text: "yes", by: "staff:choi"), .close(id: 123, reason: "dup", by: "staff:choi")] {
            #expect(Self.box.handle(event, facts: parks, nowMillis: Self.now) == [.refused(.inReviewByAnother(trackingNumber: "S-2026-000123", handler: "staff:park"))])
        }
        let answer = Self.box.handle(.answer(id: 123, text: "여섯 개를 3월에 놓습니다.", by: "staff:park"), facts: parks, nowMillis: Self.now + 1)
        #expect(answer == [.persist(.respond(Self.suggestion(.inReview, handler: "staff:park"), state: .answered, text: "여섯 개를 3월에 놓습니다.", by: "staff:park", atMillis: Self.now + 1))])
        #expect(Self.box.handle(.close(id: 123, reason: "", by: "staff:park"), facts: parks, nowMillis: Self.now) == [.refused(.noText(field: "reason"))])
        // An answer is not filtered (staff write it), but is limited.
        let long = String(repeating: "a", count: 1_001)
        #expect(Self.box.handle(.answer(id: 123, text: long, by: "staff:park"), facts: parks, nowMillis: Self.now)
                == [.refused(.tooLong(field: "answer", characters: 1_001, bytes: 1_001, charactersMax: 1_000, bytesMax: 3_000))])
        for state in [SuggestionState.answered, .closed] {
            let final = SuggestionFacts(isAnswerer: true, current: Self.suggestion(state, handler: "staff:park"))
            let refused = Self.box.handle(.answer(id: 123, text: "again", by: "staff:park"), facts: final, nowMillis: Self.now)
            #expect(refused == [.refused(.final(trackingNumber: "S-2026-000123", state: state, by: "staff:park"))])
            if case .refused(let r) = refused.first { #expect(r.sentence.contains("does not change")) }
        }
    }

    @Test func theStoresAnswerCompletesOrWordsTheRace() {
        let write = SuggestionEffect.Write.respond(Self.suggestion(.received), state: .closed, text: "the same as S-2026-000100", by: "staff:choi", atMillis: Self.now + 5)
        let done = Self.box.handle(.changed(true, write), facts: Self.answerer, nowMillis: Self.now + 5)
        guard case .done(let s) = done.first else {
            Issue.record("expected done, got \(done)")
            return
        }
        #expect(s.state == .closed && s.response == "the same as S-2026-000100" && s.handler == "staff:choi" && s.respondedAtMillis == Self.now + 5)
        #expect(Self.box.handle(.changed(false, write), facts: Self.answerer, nowMillis: Self.now + 5) == [.refused(.changedMeanwhile(trackingNumber: "S-2026-000123"))])
    }

    @Test func trackingNumbersReadAloudAndParseBack() {
        #expect(Suggestion.trackingNumber(id: 123, filedAtMillis: Self.now) == "S-2026-000123")
        // 2026-12-31 23:30 in Seoul is 14:30 UTC: still 2026; 2027-01-01 00:30 Seoul is 2027.
        #expect(Suggestion.trackingNumber(id: 1, filedAtMillis: 1_798_727_400_000) == "S-2026-000001")
        #expect(Suggestion.trackingNumber(id: 1, filedAtMillis: 1_798_731_000_000) == "S-2027-000001")
        #expect(Suggestion.trackingNumber(id: 12_345_678, filedAtMillis: Self.now) == "S-2026-12345678", "past six digits, all of them")
        #expect(Suggestion.id(trackingNumber: "S-2026-000123") == 123 && Suggestion.id(trackingNumber: "123") == 123)
        #expect(Suggestion.id(trackingNumber: "S-26-1") == nil && Suggestion.id(trackingNumber: "S-2026-0") == nil && Suggestion.id(trackingNumber: "x") == nil)
    }
}
