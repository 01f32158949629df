// The city's notice board (issue 26, first part): notices written by staff with the editor
// role, shown from their start to their end in the spaces they name (or the whole city), pinned
// ones first, each in Korean and English where written (either may be missing: the other is
// shown). Pure: time is an argument (Unix milliseconds), the records are the caller's to keep,
// and a notice exists here only once the store has it (`stored`), so that nothing is
// acknowledged before it is committed.
//
//   add ──▶ checks ──refused──▶ [.refused]
//             └─ allowed ──▶ [.persist(.add)] ──caller commits──▶ stored(notice) ──▶ [.added, .announce if started]
//   withdraw ──▶ checks ──▶ [.persist(.withdraw)] ──▶ withdrawn(id, by, at) ──▶ [.withdrew]
//   second(now) ──▶ per notice whose start has come since the last second: [.announce]
//   withdrawn ──▶ [.withdrew, .retract if it was announced]
//
// Invariants:
// 1. `notices` holds the notices not yet ended, withdrawn or not (a withdrawn one stays until
//    its end, to say it was withdrawn, and counts for the limit meanwhile): at most
//    `rules.liveMax`, plus the adds the store has not answered yet.
// 2. A notice is announced at most once, at or after its start and before its end, and never
//    once withdrawn.
// 3. Every stored notice passed the checks of `add` (start before end, texts within limits,
//    known spaces).

import Foundation

/// In the protocol's order: `allCases` maps a notice's category to its number (PROTOCOL.md 4.1).
public enum NoticeCategory: String, CaseIterable, Sendable, Hashable, Codable {
    case event
    case serviceUpdate = "service-update"
    case maintenance
    case safety
}

/// Where a notice shows: the whole city, or named public spaces.
public enum NoticeTarget: Hashable, Sendable {
    case city
    case spaces([String])

    public func includes(_ space: String?) -> Bool {
        switch self {
        case .city: true
        case .spaces(let list): space.map(list.contains) ?? false
        }
    }
}

/// A text in Korean and English, either of which may be missing (never both).
public struct NoticeText: Hashable, Sendable {
    public var ko: String?
    public var en: String?
    public init(ko: String?, en: String?) {
        self.ko = ko?.isEmpty == true ? nil : ko
        self.en = en?.isEmpty == true ? nil : en
    }

    /// In `language` ("ko" or "en") where written, else in the other.
    public func read(_ language: String) -> String { (language == "en" ? en ?? ko : ko ?? en) ?? "" }
}

public struct NoticeDraft: Hashable, Sendable {
    public var title: NoticeText
    public var body: NoticeText
    public var category: NoticeCategory
    public var startsAtMillis: Int64
    public var endsAtMillis: Int64
    public var target: NoticeTarget
    public var pinned: Bool

    public init(title: NoticeText, body: NoticeText, category: NoticeCategory, startsAtMillis: Int64, endsAtMillis: Int64, target: NoticeTarget, pinned: Bool) {
        self.title = title
        self.body = body
        self.category = category
        self.startsAtMillis = startsAtMillis
        self.endsAtMillis = endsAtMillis
        self.target = target
        self.pinned = pinned
    }
}

public struct Notice: Hashable, Sendable {
    public var id: Int64
    public var draft: NoticeDraft
    public var author: String
    public var createdAtMillis: Int64
    public var withdrawnBy: String?
    public var withdrawnAtMillis: Int64?

    public init(id: Int64, draft: NoticeDraft, author: String, createdAtMillis: Int64, withdrawnBy: String? = nil, withdrawnAtMillis: Int64? = nil) {
        self.id = id
        self.draft = draft
        self.author = author
        self.createdAtMillis = createdAtMillis
        self.withdrawnBy = withdrawnBy
        self.withdrawnAtMillis = withdrawnAtMillis
    }

    /// Shown at `now`: started, not ended, not withdrawn.
    public func isShown(at now: Int64) -> Bool { withdrawnAtMillis == nil && draft.startsAtMillis <= now && now < draft.endsAtMillis }
}

public struct NoticeRules: Sendable, Hashable {
    public var titleCharactersMax = 100
    public var titleBytesMax = 300
    /// A body in each language: a notice travels whole in one frame (PROTOCOL.md 7.13).
    public var bodyCharactersMax = 1_000
    public var bodyBytesMax = 3_000
    /// The longest a notice may show: a year and a day.
    public var spanMillisMax: Int64 = 366 * 86_400_000
    /// How far ahead a notice may be scheduled.
    public var aheadMillisMax: Int64 = 366 * 86_400_000
    public var targetSpacesMax = 32
    /// Notices not yet ended, scheduled, showing or withdrawn (invariant 1).
    public var liveMax = 500
    public var pageSize = 10
    public init() {}
}

public enum NoticeRefusal: Error, Hashable, Sendable {
    case notEditor
    case noText(field: String)
    case tooLong(field: String, characters: Int, bytes: Int, charactersMax: Int, bytesMax: Int)
    case endNotAfterStart
    case tooLongShown(days: Int64)
    case tooFarAhead(days: Int64)
    case alreadyEnded
    case unknownSpace(String)
    case tooManySpaces(Int)
    case tooManyLive(Int)
    case noSuchNotice(Int64)
    case alreadyWithdrawn(id: Int64, by: String)

    public var sentence: String {
        switch self {
        case .notEditor: "writing and withdrawing notices needs the editor role"
        case .noText(let field): "the \(field) needs Korean or English text (or both)"
        case .tooLong(let field, let c, let b, let cm, let bm): "the \(field) is \(c) characters (\(b) bytes); at most \(cm) characters and \(bm) bytes"
        case .endNotAfterStart: "the notice ends before (or when) it starts"
        case .tooLongShown(let days): "a notice shows for at most \(days) days"
        case .tooFarAhead(let days): "a notice starts at most \(days) days ahead"
        case .alreadyEnded: "the notice's end has passed already"
        case .unknownSpace(let s): "no public space '\(s)'"
        case .tooManySpaces(let n): "a notice names at most \(n) spaces (or the whole city)"
        case .tooManyLive(let n): "the board holds \(n) notices not yet ended (withdrawn ones count until their end), its limit"
        case .noSuchNotice(let id): "no notice \(id) on the board (it may have ended)"
        case .alreadyWithdrawn(let id, let by): "notice \(id) was withdrawn already (by \(by))"
        }
    }
}

public enum NoticeEvent: Sendable {
    case add(NoticeDraft, author: String)
    /// The store committed a notice the board asked to add.
    case stored(Notice)
    case withdraw(id: Int64, by: String)
    /// The store committed a withdrawal.
    case withdrawn(id: Int64, by: String, atMillis: Int64)
    case second
    /// The notices the store holds now (not yet ended), read again because another server
    /// sharing the store changed them (a node of a cluster): the ones new here are shown, the
    /// ones withdrawn there are taken back.
    case synced([Notice])
}

public struct NoticeFacts: Sendable {
    public var isEditor: Bool
    public init(isEditor: Bool) { self.isEditor = isEditor }
}

public enum NoticeEffect: Sendable, Equatable {
    public enum Write: Sendable, Equatable {
        case add(NoticeDraft, author: String, atMillis: Int64)
        case withdraw(id: Int64, by: String, atMillis: Int64)
    }
    case refused(NoticeRefusal)
    /// Keep this in the store; its completion comes back as `stored` or `withdrawn`.
    case persist(Write)
    /// Committed: answer whoever asked.
    case added(Notice)
    case withdrew(id: Int64)
    /// Tell those who were shown this notice that it is gone (it was announced, then withdrawn).
    case retract(Notice)
    /// Show this notice now to everyone in its target (its start has come).
    case announce(Notice)
}

public struct NoticeBoard: Sendable {
    public let rules: NoticeRules
    /// The public spaces a notice may name.
    public let spaces: Set<String>
    /// Invariant 1: the notices not yet ended, by id.
    public private(set) var notices: [Int64: Notice] = [:]
    /// Notices announced (invariant 2).
    private(set) var announced: Set<Int64> = []

    public init(rules: NoticeRules = NoticeRules(), spaces: Set<String>) {
        self.rules = rules
        self.spaces = spaces
    }

    /// The notices the store holds at start (those not yet ended); the ones already showing
    /// count as announced (they were, before the restart, or are read from the list).
    public mutating func load(_ stored: [Notice], nowMillis: Int64) {
        for n in stored where n.draft.endsAtMillis > nowMillis {
            notices[n.id] = n
            if n.draft.startsAtMillis <= nowMillis { announced.insert(n.id) }
        }
    }

    public mutating func handle(_ event: NoticeEvent, facts: NoticeFacts?, nowMillis now: Int64) -> [NoticeEffect] {
        switch event {
        case .add(let draft, let author):
            guard facts?.isEditor == true else { return [.refused(.notEditor)] }
            if let refusal = check(draft, now: now) { return [.refused(refusal)] }
            guard live(now) < rules.liveMax else { return [.refused(.tooManyLive(rules.liveMax))] }
            return [.persist(.add(draft, author: author, atMillis: now))]
        case .stored(let notice):
            notices[notice.id] = notice
            var out: [NoticeEffect] = [.added(notice)]
            // Announced once, even when a sync brought it first.
            if notice.isShown(at: now), announced.insert(notice.id).inserted {
                out.append(.announce(notice))
            }
            return out
        case .withdraw(let id, let by):
            guard facts?.isEditor == true else { return [.refused(.notEditor)] }
            guard let n = notices[id] else { return [.refused(.noSuchNotice(id))] }
            if let earlier = n.withdrawnBy { return [.refused(.alreadyWithdrawn(id: id, by: earlier))] }
            return [.persist(.withdraw(id: id, by: by, atMillis: now))]
        case .withdrawn(let id, let by, let at):
            // Taken back once, even when a sync withdrew it first.
            let already = notices[id]?.withdrawnBy != nil
            notices[id]?.withdrawnBy = by
            notices[id]?.withdrawnAtMillis = at
            guard let n = notices[id], announced.contains(id), !already else { return [.withdrew(id: id)] }
            return [.withdrew(id: id), .retract(n)]
        case .synced(let stored):
            var out: [NoticeEffect] = []
            for n in stored.sorted(by: { $0.id < $1.id }) where n.draft.endsAtMillis > now {
                let wasWithdrawn = notices[n.id].map { $0.withdrawnBy != nil }
                if wasWithdrawn == true { continue }
                notices[n.id] = n
                if n.withdrawnBy != nil {
                    if wasWithdrawn == false, announced.contains(n.id) { out.append(.retract(n)) }
                } else if wasWithdrawn == nil, n.isShown(at: now), announced.insert(n.id).inserted {
                    out.append(.announce(n))
                }
            }
            return out
        case .second:
            // Only the notices whose start has come are sorted (most seconds, none).
            let due = notices.values.filter { !announced.contains($0.id) && $0.isShown(at: now) }
                .sorted { ($0.draft.startsAtMillis, $0.id) < ($1.draft.startsAtMillis, $1.id) }
            for n in due { announced.insert(n.id) }
            // Ended notices leave the board (the store keeps them).
            for (id, n) in notices where n.draft.endsAtMillis <= now {
                notices[id] = nil
                announced.remove(id)
            }
            return due.map { .announce($0) }
        }
    }

    func live(_ now: Int64) -> Int { notices.values.filter { $0.draft.endsAtMillis > now }.count }

    /// Invariant 3: the checks every stored notice passed.
    public func check(_ d: NoticeDraft, now: Int64) -> NoticeRefusal? {
        for (field, text, cMax, bMax) in [("title", d.title, rules.titleCharactersMax, rules.titleBytesMax), ("body", d.body, rules.bodyCharactersMax, rules.bodyBytesMax)] {
            let parts = [text.ko, text.en].compactMap { $0 }
            guard parts.contains(where: { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }) else { return .noText(field: field) }
            for p in parts where p.count > cMax || p.utf8.count > bMax {
                return .tooLong(field: field, characters: p.count, bytes: p.utf8.count, charactersMax: cMax, bytesMax: bMax)
            }
        }
        guard d.endsAtMillis > d.startsAtMillis else { return .endNotAfterStart }
        guard d.endsAtMillis > now else { return .alreadyEnded }
        guard d.endsAtMillis - d.startsAtMillis <= rules.spanMillisMax else { return .tooLongShown(days: rules.spanMillisMax / 86_400_000) }
        guard d.startsAtMillis - now <= rules.aheadMillisMax else { return .tooFarAhead(days: rules.aheadMillisMax / 86_400_000) }
        if case .spaces(let list) = d.target {
            guard !list.isEmpty, list.count <= rules.targetSpacesMax else { return .tooManySpaces(rules.targetSpacesMax) }
            if let unknown = list.first(where: { !spaces.contains($0) }) { return .unknownSpace(unknown) }
        }
        return nil
    }

    /// What a visitor in `space` (or in none) sees at `now`: pinned first, then the newest
    /// start first; ties by id.
    public func shown(in space: String?, at now: Int64) -> [Notice] {
        notices.values.filter { $0.isShown(at: now) && $0.draft.target.includes(space) }.sorted {
            ($0.draft.pinned ? 0 : 1, -$0.draft.startsAtMillis, $0.id) < ($1.draft.pinned ? 0 : 1, -$1.draft.startsAtMillis, $1.id)
        }
    }

    /// A page of `shown(in:at:)` from `offset`, and how many there are.
    public func page(in space: String?, at now: Int64, offset: Int) -> (total: Int, notices: [Notice]) {
        let all = shown(in: space, at: now)
        guard offset >= 0, offset < all.count else { return (all.count, []) }
        return (all.count, Array(all[offset..<min(all.count, offset + rules.pageSize)]))
    }

    /// How many of the notices shown in `space` the account has not read.
    public func unread(in space: String?, at now: Int64, read: Set<Int64>) -> Int {
        shown(in: space, at: now).filter { !read.contains($0.id) }.count
    }
}
