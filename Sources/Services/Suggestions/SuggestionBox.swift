// The mayor's suggestion box (issue 26, second part): a member files a suggestion, staff with
// the answerer role take it, answer it or close it with a reason, and the citizen is told in
// the inbox. Pure: the box keeps no suggestions (the store does, and a request about one brings
// it as a fact), time is an argument (Unix milliseconds), and the store's conditional writes
// are the last word when two staff act at once (the machine words the refusal either way).
//
//   file ──▶ checks (texts, filter, space) ──▶ [.persist(.file)] ──store: under the day's limit──▶ filed(id) ──▶ [.filed]
//                                                                 └─ at the limit ──▶ filed(nil) ──▶ [.refused(.dailyLimit)]
//   take / answer / close (facts: the suggestion now) ──▶ checks ──▶ [.persist(...)] ──▶ changed(n) ──▶ [.done] or [.refused(.changedMeanwhile)]
//
//   received ──take──▶ in review ──answer──▶ answered
//       │                  └──────close────▶ closed
//       └──answer / close (without taking)──▶ answered | closed
//
// Invariants:
// 1. A suggestion is stored only once it passed every check, and the day's limit is counted by
//    the store in the same transaction as the insert (a flood on several connections, or
//    several servers, cannot pass it).
// 2. Answered and closed are final; only an answerer moves a suggestion, and one in review by
//    someone else is theirs to finish.
// 3. Every answer and every closing reaches the citizen's inbox in the same transaction.

import CivilCalendar
import Foundation

/// In the protocol's order: `allCases` maps a category to its number (PROTOCOL.md 4.1).
public enum SuggestionCategory: String, CaseIterable, Sendable, Hashable {
    case transport, housing, welfare, environment, safety, culture, economy, administration, other
}

public enum SuggestionState: String, CaseIterable, Sendable, Hashable {
    case received
    case inReview = "in-review"
    case answered, closed

    public var isFinal: Bool { self == .answered || self == .closed }
}

public struct SuggestionDraft: Hashable, Sendable {
    public var title: String
    public var body: String
    public var category: SuggestionCategory
    /// The public space it is about, if any.
    public var space: String?
    /// Whether its answer may be shown on the public board of answered suggestions.
    public var publicConsent: Bool

    public init(title: String, body: String, category: SuggestionCategory, space: String?, publicConsent: Bool) {
        self.title = title
        self.body = body
        self.category = category
        self.space = space
        self.publicConsent = publicConsent
    }
}

public struct Suggestion: Hashable, Sendable {
    public var id: Int64
    public var account: String
    public var draft: SuggestionDraft
    public var state: SuggestionState
    public var filedAtMillis: Int64
    /// Who took it into review, and when.
    public var handler: String?
    public var takenAtMillis: Int64?
    /// The answer, or the reason it was closed; who wrote it and when.
    public var response: String?
    public var respondedBy: String?
    public var respondedAtMillis: Int64?

    public init(id: Int64, account: String, draft: SuggestionDraft, state: SuggestionState, filedAtMillis: Int64, handler: String? = nil,
                takenAtMillis: Int64? = nil, response: String? = nil, respondedBy: String? = nil, respondedAtMillis: Int64? = nil) {
        self.id = id
        self.account = account
        self.draft = draft
        self.state = state
        self.filedAtMillis = filedAtMillis
        self.handler = handler
        self.takenAtMillis = takenAtMillis
        self.response = response
        self.respondedBy = respondedBy
        self.respondedAtMillis = respondedAtMillis
    }

    /// "S-2026-000123": the year it was filed (Seoul time) and its number, to read aloud.
    public var trackingNumber: String { Self.trackingNumber(id: id, filedAtMillis: filedAtMillis) }

    public static func trackingNumber(id: Int64, filedAtMillis: Int64) -> String {
        let year = CivilCalendar.civil(day: CivilCalendar.local(unixMillis: filedAtMillis, offsetMillis: SuggestionRules.seoulOffsetMillis).day).year
        let digits = String(id)
        return "S-\(year)-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    /// The id in a tracking number ("S-2026-000123", or the bare number); nil for anything else.
    public static func id(trackingNumber text: String) -> Int64? {
        let parts = text.split(separator: "-")
        if parts.count == 3, parts[0] == "S", parts[1].count == 4, Int(parts[1]) != nil { return Int64(parts[2]).flatMap { $0 > 0 ? $0 : nil } }
        return Int64(text).flatMap { $0 > 0 ? $0 : nil }
    }
}

public struct SuggestionRules: Sendable, Hashable {
    public var titleCharactersMax = 100
    public var titleBytesMax = 300
    public var bodyCharactersMax = 1_000
    public var bodyBytesMax = 3_000
    /// An answer, or a closing reason.
    public var responseCharactersMax = 1_000
    public var responseBytesMax = 3_000
    /// Suggestions one account may file in a day (Seoul time).
    public var perDay = 3
    public var pageSize = 10
    /// Seoul's offset from UTC: the day the limit counts is Seoul's.
    public static let seoulOffsetMillis: Int64 = 9 * 3_600_000
    public init() {}

    /// The start of the Seoul day that holds `now`, in Unix milliseconds.
    public func dayStart(_ now: Int64) -> Int64 {
        CivilCalendar.local(unixMillis: now, offsetMillis: Self.seoulOffsetMillis).day * 86_400_000 - Self.seoulOffsetMillis
    }
}

public enum SuggestionRefusal: Error, Hashable, Sendable {
    case notAnswerer
    case noText(field: String)
    case tooLong(field: String, characters: Int, bytes: Int, charactersMax: Int, bytesMax: Int)
    case abusive(field: String, words: [String])
    case unknownSpace(String)
    case dailyLimit(Int)
    case noSuchSuggestion(Int64)
    case final(trackingNumber: String, state: SuggestionState, by: String)
    case inReviewByAnother(trackingNumber: String, handler: String)
    case changedMeanwhile(trackingNumber: String)

    public var sentence: String {
        switch self {
        case .notAnswerer: "answering suggestions needs the answerer role"
        case .noText(let field): "the \(field) is empty"
        case .tooLong(let field, let c, let b, let cm, let bm): "the \(field) is \(c) characters (\(b) bytes); at most \(cm) characters and \(bm) bytes"
        case .abusive(let field, let words):
            "the \(field) has words the city's filter does not accept (\(words.prefix(3).joined(separator: ", "))); a suggestion is kept as written, so write it without them"
        case .unknownSpace(let s): "no public space '\(s)'"
        case .dailyLimit(let n): "an account files at most \(n) suggestions a day (Seoul time); file again tomorrow"
        case .noSuchSuggestion(let id): "no suggestion number \(id)"
        case .final(let n, let state, let by): "\(n) is \(state.rawValue) already (by \(by)): an answered or closed suggestion does not change"
        case .inReviewByAnother(let n, let handler): "\(n) is in review by \(handler); it is theirs to answer or close"
        case .changedMeanwhile(let n): "\(n) was changed by someone else just now; read it again"
        }
    }
}

public enum SuggestionEvent: Sendable {
    case file(SuggestionDraft, account: String)
    /// The store's answer to a filing: the new id, or nil when the account had reached the day's limit.
    case filed(id: Int64?, draft: SuggestionDraft, account: String, atMillis: Int64)
    case take(id: Int64, by: String)
    case answer(id: Int64, text: String, by: String)
    case close(id: Int64, reason: String, by: String)
    /// The store's answer to a take, answer or close: whether the row was still as the facts said.
    case changed(Bool, SuggestionEffect.Write)
}

public struct SuggestionFacts: Sendable {
    public var isAnswerer: Bool
    /// The suggestion a take, answer or close is about, as the store has it now (nil: none).
    public var current: Suggestion?
    public init(isAnswerer: Bool, current: Suggestion? = nil) {
        self.isAnswerer = isAnswerer
        self.current = current
    }
}

public enum SuggestionEffect: Sendable, Equatable {
    public enum Write: Sendable, Equatable {
        /// Insert, unless the account filed `perDay` since `dayStartMillis` (counted in the same transaction).
        case file(SuggestionDraft, account: String, atMillis: Int64, dayStartMillis: Int64, perDay: Int)
        /// From received only.
        case take(id: Int64, by: String, atMillis: Int64)
        /// From received, or in review by `by`; and the citizen's inbox told.
        case respond(Suggestion, state: SuggestionState, text: String, by: String, atMillis: Int64)
    }
    case refused(SuggestionRefusal)
    case persist(Write)
    case filed(Suggestion)
    /// Committed: the suggestion as it is now.
    case done(Suggestion)
}

public struct SuggestionBox: Sendable {
    public let rules: SuggestionRules
    public let spaces: Set<String>
    /// The chat filter's word lists (nil: no filter, as in tests of other things).
    public let filter: ProfanityFilter?

    public init(rules: SuggestionRules = SuggestionRules(), spaces: Set<String>, filter: ProfanityFilter?) {
        self.rules = rules
        self.spaces = spaces
        self.filter = filter
    }

    public func handle(_ event: SuggestionEvent, facts: SuggestionFacts, nowMillis now: Int64) -> [SuggestionEffect] {
        switch event {
        case .file(let draft, let account):
            if let refusal = check(draft) { return [.refused(refusal)] }
            return [.persist(.file(draft, account: account, atMillis: now, dayStartMillis: rules.dayStart(now), perDay: rules.perDay))]
        case .filed(let id, let draft, let account, let at):
            guard let id else { return [.refused(.dailyLimit(rules.perDay))] }
            return [.filed(Suggestion(id: id, account: account, draft: draft, state: .received, filedAtMillis: at))]
        case .take(let id, let by):
            switch movable(id, facts: facts, by: by) {
            case .failure(let refusal): return [.refused(refusal)]
            case .success(let s):
                if s.state == .inReview { return [.refused(.inReviewByAnother(trackingNumber: s.trackingNumber, handler: s.handler ?? "?"))] }
                return [.persist(.take(id: id, by: by, atMillis: now))]
            }
        case .answer(let id, let text, let by), .close(let id, let text, let by):
            let answering: Bool
            if case .answer = event { answering = true } else { answering = false }
            switch movable(id, facts: facts, by: by) {
            case .failure(let refusal): return [.refused(refusal)]
            case .success(let s):
                let field = answering ? "answer" : "reason"
                if let refusal = checkText(text, field: field, charactersMax: rules.responseCharactersMax, bytesMax: rules.responseBytesMax, filtered: false) {
                    return [.refused(refusal)]
                }
                return [.persist(.respond(s, state: answering ? .answered : .closed, text: text, by: by, atMillis: now))]
            }
        case .changed(let ok, let write):
            switch write {
            case .file: return []
            case .take(let id, let by, let at):
                guard ok, var s = facts.current, s.id == id else {
                    return [.refused(.changedMeanwhile(trackingNumber: Suggestion.trackingNumber(id: id, filedAtMillis: facts.current?.filedAtMillis ?? at)))]
                }
                (s.state, s.handler, s.takenAtMillis) = (.inReview, by, at)
                return [.done(s)]
            case .respond(var s, let state, let text, let by, let at):
                guard ok else { return [.refused(.changedMeanwhile(trackingNumber: s.trackingNumber))] }
                (s.state, s.response, s.respondedBy, s.respondedAtMillis) = (state, text, by, at)
                if s.handler == nil { (s.handler, s.takenAtMillis) = (by, at) }
                return [.done(s)]
            }
        }
    }

    /// A suggestion an answerer may move now (invariant 2).
    func movable(_ id: Int64, facts: SuggestionFacts, by: String) -> Result<Suggestion, SuggestionRefusal> {
        guard facts.isAnswerer else { return .failure(.notAnswerer) }
        guard let s = facts.current, s.id == id else { return .failure(.noSuchSuggestion(id)) }
        if s.state.isFinal { return .failure(.final(trackingNumber: s.trackingNumber, state: s.state, by: s.respondedBy ?? "?")) }
        if s.state == .inReview, let handler = s.handler, handler != by { return .failure(.inReviewByAnother(trackingNumber: s.trackingNumber, handler: handler)) }
        return .success(s)
    }

    /// Every check a filing passes before it is stored (invariant 1).
    public func check(_ d: SuggestionDraft) -> SuggestionRefusal? {
        if let r = checkText(d.title, field: "title", charactersMax: rules.titleCharactersMax, bytesMax: rules.titleBytesMax, filtered: true) { return r }
        if let r = checkText(d.body, field: "text", charactersMax: rules.bodyCharactersMax, bytesMax: rules.bodyBytesMax, filtered: true) { return r }
        if let space = d.space, !spaces.contains(space) { return .unknownSpace(space) }
        return nil
    }

    func checkText(_ text: String, field: String, charactersMax: Int, bytesMax: Int, filtered: Bool) -> SuggestionRefusal? {
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return .noText(field: field) }
        guard text.count <= charactersMax, text.utf8.count <= bytesMax else {
            return .tooLong(field: field, characters: text.count, bytes: text.utf8.count, charactersMax: charactersMax, bytesMax: bytesMax)
        }
        if filtered, let filter, case let words = filter.check(text).words, !words.isEmpty { return .abusive(field: field, words: words) }
        return nil
    }
}
