import Testing
@testable import Services

/// The notice board's machine, event by event, on time given as numbers (the scheduled start
/// is a number of milliseconds away, not a wait).
@Suite struct NoticeBoardTests {
    static let spaces: Set<String> = ["city-hall", "seoul-plaza", "tax-square"]
    static let hour: Int64 = 3_600_000
    static let t0: Int64 = 1_795_000_000_000

    static func draft(_ title: String = "제야의 종 타종", start: Int64 = t0, hours: Int64 = 24, target: NoticeTarget = .city, pinned: Bool = false,
                      category: NoticeCategory = .event) -> NoticeDraft {
        NoticeDraft(title: NoticeText(ko: title, en: nil), body: NoticeText(ko: nil, en: "The bell rings at midnight on Seoul Plaza."), category: category,
                    startsAtMillis: start, endsAtMillis: start + hours * hour, target: target, pinned: pinned)
    }

    /// Adds and stores `d` as the caller would, returning the stored notice and what the store's
    /// completion produced.
    static func addAndStore(_ board: inout NoticeBoard, _ d: NoticeDraft, id: Int64, now: Int64) -> (Notice, [NoticeEffect]) {
        let effects = board.handle(.add(d, author: "editor-1"), facts: NoticeFacts(isEditor: true), nowMillis: now)
        guard case .persist(.add(let draft, let author, let at)) = effects.first, effects.count == 1 else {
            Issue.record("expected a persist, got \(effects)")
            return (Notice(id: 0, draft: d, author: "", createdAtMillis: 0), [])
        }
        let notice = Notice(id: id, draft: draft, author: author, createdAtMillis: at)
        return (notice, board.handle(.stored(notice), facts: nil, nowMillis: now))
    }

    @Test func onlyEditorsWriteAndEveryCheckIsNamed() {
        var board = NoticeBoard(spaces: Self.spaces)
        let now = Self.t0
        func refusal(_ d: NoticeDraft, editor: Bool = true) -> NoticeRefusal? {
            if case .refused(let r) = board.handle(.add(d, author: "x"), facts: NoticeFacts(isEditor: editor), nowMillis: now).first { return r }
            return nil
        }
        #expect(refusal(Self.draft(), editor: false) == .notEditor)
        var d = Self.draft()
        d.title = NoticeText(ko: "  ", en: "")
        #expect(refusal(d) == .noText(field: "title"))
        d = Self.draft(String(repeating: "가", count: 101))
        #expect(refusal(d) == .tooLong(field: "title", characters: 101, bytes: 303, charactersMax: 100, bytesMax: 300))
        d = Self.draft()
        d.endsAtMillis = d.startsAtMillis
        #expect(refusal(d) == .endNotAfterStart)
        #expect(refusal(Self.draft(start: now - 48 * Self.hour, hours: 24)) == .alreadyEnded)
        #expect(refusal(Self.draft(hours: 367 * 24)) == .tooLongShown(days: 366))
        #expect(refusal(Self.draft(start: now + 400 * 24 * Self.hour)) == .tooFarAhead(days: 366))
        #expect(refusal(Self.draft(target: .spaces(["seoul-plaza", "moon"]))) == .unknownSpace("moon"))
        #expect(refusal(Self.draft(target: .spaces([]))) == .tooManySpaces(32))
        #expect(refusal(Self.draft()) == nil, "a good draft is sent to the store")
        #expect(board.notices.isEmpty, "nothing is on the board before the store has it")
    }

    @Test func aNoticeShowsOnceStoredAndIsAnnouncedAtItsStartOnlyOnce() {
        var board = NoticeBoard(spaces: Self.spaces)
        board.load([], nowMillis: Self.t0)
        let (now, effects) = Self.addAndStore(&board, Self.draft(), id: 1, now: Self.t0)
        #expect(effects == [.added(now), .announce(now)], "started already: shown at once")
        let (later, scheduled) = Self.addAndStore(&board, Self.draft("점검", start: Self.t0 + 2 * Self.hour, target: .spaces(["tax-square"]), category: .maintenance), id: 2, now: Self.t0)
        #expect(scheduled == [.added(later)], "scheduled: not yet")
        var announced: [Int64] = []
        // A second at a time for three hours (10,800 seconds).
        for s in 1...10_800 {
            for e in board.handle(.second, facts: nil, nowMillis: Self.t0 + Int64(s) * 1_000) {
                if case .announce(let n) = e { announced.append(n.id) }
            }
        }
        #expect(announced == [2], "the scheduled notice, at its start, once")
        #expect(board.shown(in: "tax-square", at: Self.t0 + 3 * Self.hour).map(\.id) == [2, 1], "the newest start first")
        #expect(board.shown(in: "seoul-plaza", at: Self.t0 + 3 * Self.hour).map(\.id) == [1], "the maintenance notice is Tax Square's only")
        #expect(board.shown(in: nil, at: Self.t0 + 3 * Self.hour).map(\.id) == [1], "the city's notices reach those in no space")
        // Both end; the board forgets them.
        _ = board.handle(.second, facts: nil, nowMillis: Self.t0 + 27 * Self.hour)
        #expect(board.notices.isEmpty)
    }

    @Test func aWithdrawnNoticeIsNeverAnnouncedAndCannotBeWithdrawnTwice() {
        var board = NoticeBoard(spaces: Self.spaces)
        let (n, _) = Self.addAndStore(&board, Self.draft(start: Self.t0 + Self.hour), id: 7, now: Self.t0)
        #expect(board.handle(.withdraw(id: 7, by: "x"), facts: NoticeFacts(isEditor: false), nowMillis: Self.t0) == [.refused(.notEditor)])
        #expect(board.handle(.withdraw(id: 8, by: "x"), facts: NoticeFacts(isEditor: true), nowMillis: Self.t0) == [.refused(.noSuchNotice(8))])
        #expect(board.handle(.withdraw(id: 7, by: "editor-2"), facts: NoticeFacts(isEditor: true), nowMillis: Self.t0)
                == [.persist(.withdraw(id: 7, by: "editor-2", atMillis: Self.t0))])
        #expect(board.handle(.withdrawn(id: 7, by: "editor-2", atMillis: Self.t0), facts: nil, nowMillis: Self.t0) == [.withdrew(id: 7)])
        #expect(board.handle(.withdraw(id: 7, by: "editor-3"), facts: NoticeFacts(isEditor: true), nowMillis: Self.t0) == [.refused(.alreadyWithdrawn(id: 7, by: "editor-2"))])
        #expect(board.handle(.second, facts: nil, nowMillis: n.draft.startsAtMillis + 1_000).isEmpty, "never announced")
        #expect(board.shown(in: "city-hall", at: n.draft.startsAtMillis + 1_000).isEmpty)
    }

    @Test func aNoticeWithdrawnWhileShowingIsRetractedFromThoseShownIt() {
        var board = NoticeBoard(spaces: Self.spaces)
        let (n, effects) = Self.addAndStore(&board, Self.draft(), id: 3, now: Self.t0)
        #expect(effects.contains(.announce(n)), "showing from the start")
        let out = board.handle(.withdrawn(id: 3, by: "editor-2", atMillis: Self.t0 + 5), facts: nil, nowMillis: Self.t0 + 5)
        guard out.count == 2, case .retract(let gone) = out[1] else {
            Issue.record("expected withdrew then retract, got \(out)")
            return
        }
        #expect(out[0] == .withdrew(id: 3) && gone.id == 3 && gone.withdrawnBy == "editor-2")
    }

    /// Another node sharing the store changed the board: what is new here is shown once, what was
    /// withdrawn there is taken back once, and this node's own completions arriving after the sync
    /// (or before it) do not show or take back anything twice.
    @Test func aSyncFromAnotherNodeShowsAndTakesBackEachNoticeOnce() {
        var board = NoticeBoard(spaces: Self.spaces)
        let now = Self.t0 + 10
        // Posted on another node: one showing now, one starting in an hour.
        let showing = Notice(id: 1, draft: Self.draft("지금"), author: "editor-a", createdAtMillis: Self.t0)
        let later = Notice(id: 2, draft: Self.draft("나중", start: Self.t0 + Self.hour), author: "editor-a", createdAtMillis: Self.t0)
        #expect(board.handle(.synced([later, showing]), facts: nil, nowMillis: now) == [.announce(showing)])
        #expect(board.handle(.synced([showing, later]), facts: nil, nowMillis: now + 1).isEmpty, "the same board again changes nothing")
        #expect(board.handle(.second, facts: nil, nowMillis: Self.t0 + Self.hour) == [.announce(later)], "the later one at its start")
        // Withdrawn on the other node: taken back here once.
        var gone = showing
        gone.withdrawnBy = "editor-a"
        gone.withdrawnAtMillis = now + 2
        #expect(board.handle(.synced([gone, later]), facts: nil, nowMillis: now + 3) == [.retract(gone)])
        #expect(board.handle(.synced([gone, later]), facts: nil, nowMillis: now + 4).isEmpty)
        // This node's own notice, heard of by a sync before its store's completion: shown once.
        let (mine, effects) = Self.addAndStore(&board, Self.draft("여기"), id: 5, now: now + 5)
        #expect(effects == [.added(mine), .announce(mine)])
        var mineEarly = NoticeBoard(spaces: Self.spaces)
        #expect(mineEarly.handle(.synced([mine]), facts: nil, nowMillis: now + 5) == [.announce(mine)])
        #expect(mineEarly.handle(.stored(mine), facts: nil, nowMillis: now + 6) == [.added(mine)], "not announced twice")
        // And its withdrawal, heard of by a sync first: taken back once.
        var mineGone = mine
        mineGone.withdrawnBy = "editor-b"
        mineGone.withdrawnAtMillis = now + 7
        #expect(mineEarly.handle(.synced([mineGone]), facts: nil, nowMillis: now + 7) == [.retract(mineGone)])
        #expect(mineEarly.handle(.withdrawn(id: 5, by: "editor-b", atMillis: now + 7), facts: nil, nowMillis: now + 8) == [.withdrew(id: 5)])
    }

    @Test func pinnedFirstThenNewestAndUnreadCounts() {
        var board = NoticeBoard(spaces: Self.spaces)
        let now = Self.t0 + 10 * Self.hour
        _ = Self.addAndStore(&board, Self.draft("a", start: Self.t0), id: 1, now: Self.t0)
        _ = Self.addAndStore(&board, Self.draft("b", start: Self.t0 + Self.hour, pinned: true), id: 2, now: Self.t0)
        _ = Self.addAndStore(&board, Self.draft("c", start: Self.t0 + 2 * Self.hour), id: 3, now: Self.t0)
        _ = Self.addAndStore(&board, Self.draft("d", start: Self.t0 + 3 * Self.hour, target: .spaces(["seoul-plaza"])), id: 4, now: Self.t0)
        #expect(board.shown(in: "city-hall", at: now).map(\.id) == [2, 3, 1])
        #expect(board.shown(in: "seoul-plaza", at: now).map(\.id) == [2, 4, 3, 1])
        #expect(board.unread(in: "seoul-plaza", at: now, read: [1, 4]) == 2)
        var rules = NoticeRules()
        rules.pageSize = 2
        var paged = NoticeBoard(rules: rules, spaces: Self.spaces)
        paged.load(Array(board.notices.values), nowMillis: now)
        #expect(paged.page(in: "seoul-plaza", at: now, offset: 0).notices.map(\.id) == [2, 4])
        #expect(paged.page(in: "seoul-plaza", at: now, offset: 2).notices.map(\.id) == [3, 1])
        let past = paged.page(in: "seoul-plaza", at: now, offset: 4)
        #expect(past.total == 4 && past.notices.isEmpty)
        #expect(NoticeText(ko: nil, en: "Bell").read("ko") == "Bell" && NoticeText(ko: "종", en: "Bell").read("en") == "Bell")
    }

    @Test func theBoardHoldsAtMostItsLimitAndARestartDoesNotAnnounceAgain() {
        var rules = NoticeRules()
        rules.liveMax = 3
        var board = NoticeBoard(rules: rules, spaces: Self.spaces)
        for id in 1...3 { _ = Self.addAndStore(&board, Self.draft(), id: Int64(id), now: Self.t0) }
        #expect(board.handle(.add(Self.draft(), author: "e"), facts: NoticeFacts(isEditor: true), nowMillis: Self.t0) == [.refused(.tooManyLive(3))])
        // After a restart, the store's notices are loaded: those showing are not announced again.
        var restarted = NoticeBoard(rules: rules, spaces: Self.spaces)
        restarted.load(Array(board.notices.values), nowMillis: Self.t0 + 1_000)
        #expect(restarted.handle(.second, facts: nil, nowMillis: Self.t0 + 2_000).isEmpty)
    }
}
