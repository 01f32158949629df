// The city's notice board in the world (docs/PROTOCOL.md, section 7.13). The rules are the
// board's machine's (Services' NoticeBoard: who may write, the checks, when a notice shows and
// is announced); this subsystem owns it, reads the board from the store at start, hands the
// machine each request with the clock, and carries out what it answers: notices kept in the
// store and then answered, pushed to those in their spaces as they start, taken back when
// withdrawn; the counts of unread notices after sign-in and on entering a space; read marks
// kept per account.
//
// Invariants:
// 1. The board is the machine's alone; nothing here keeps a copy of a notice.
// 2. Nothing is answered as written before the store committed it (the machine's own rule:
//    a notice is on the board only once `stored`).
// 3. `reads` holds the read marks of accounts with a session connected (loaded at sign-in, kept
//    only once committed), each at most `rules.liveMax` ids beyond the board's own.

import Foundation
import NetProto
import Services
import Store

final class NoticesSubsystem {
    unowned let server: Server
    private(set) var board = NoticeBoard(spaces: [])
    /// The board was read from the store (or there is no store): requests are served.
    private(set) var loaded = false
    private var loadPending = false
    /// A read after another server's change is under way; another change was heard meanwhile.
    private var syncPending = false
    private var syncAgain = false
    /// Invariant 3: what each signed-in account read, once its marks arrived from the store.
    private var reads: [String: Set<Int64>] = [:]
    /// What each connection listed and read, for the usage records (once each).
    private var uses = UsageOnce()

    init(server: Server) { self.server = server }

    /// The board for these public spaces; read from the store by `start`.
    func open(spaces: Set<String>, rules: NoticeRules) {
        board = NoticeBoard(rules: rules, spaces: spaces)
    }

    /// Reads the notices not yet ended from the store (at the server's start, and again each
    /// second until it answers: a store away at start is waited for, not taken for empty).
    func start() {
        guard !loaded, !loadPending else { return }
        guard server.records != nil, server.replay == nil else {
            loaded = true
            return
        }
        loadPending = server.submit(read: .liveNotices(nowMillis: server.nowUnixMillis())) { [unowned self] result in
            loadPending = false
            guard case .success(.notices(let rows)) = result else {
                server.logger.error("the notice board could not be read from the store; trying again each second", metadata: ["result": "\(result)"])
                return
            }
            board.load(rows.compactMap(Self.notice), nowMillis: server.nowUnixMillis())
            loaded = true
            server.logger.info("notice board read", metadata: ["notices": "\(board.notices.count)"])
        }
    }

    /// Another server sharing the store changed the board (a node of a cluster, told by the
    /// database): read it again and show or take back what changed. One read at a time; a change
    /// heard during a read is read after it.
    func heardElsewhere() {
        guard loaded, server.records != nil else { return }
        guard !syncPending else { syncAgain = true; return }
        syncPending = server.submit(read: .liveNotices(nowMillis: server.nowUnixMillis())) { [unowned self] result in
            syncPending = false
            if case .success(.notices(let rows)) = result {
                carryOut(board.handle(.synced(rows.compactMap(Self.notice)), facts: nil, nowMillis: server.nowUnixMillis()), asker: nil)
            }
            if syncAgain {
                syncAgain = false
                heardElsewhere()
            }
        }
    }

    // MARK: Requests

    func list(_ s: Session, request: UInt32, offset: UInt16) {
        guard ready(s, request) else { return }
        let now = server.nowUnixMillis()
        let read = s.accountID.flatMap { reads[$0] } ?? []
        let page = board.page(in: s.spaceID.map(SpaceHost.base), at: now, offset: Int(offset))
        s.send(.noticeList(requestID: request, total: UInt16(clamping: page.total), offset: offset,
                           notices: page.notices.prefix(NoticeWire.pageMax).map { Self.summary($0, read: read.contains($0.id)) }))
        if uses.first(s.id, "listed") { used("listed", by: s) }
    }

    func read(_ s: Session, request: UInt32, notice id: UInt64) {
        guard ready(s, request) else { return }
        let now = server.nowUnixMillis()
        guard let n = board.notices[Int64(truncatingIfNeeded: id)], n.isShown(at: now) else {
            s.send(.error(code: .unknownTarget, requestID: request, text: "no notice \(id) is showing now (it may have ended or been withdrawn)"))
            return
        }
        let wasRead = s.accountID.flatMap { reads[$0]?.contains(n.id) } ?? false
        s.send(.noticeText(requestID: request, Self.summary(n, read: wasRead), bodyKo: n.draft.body.ko ?? "", bodyEn: n.draft.body.en ?? ""))
        if uses.first(s.id, "read \(n.id)") { used("read", by: s) }
        guard let account = s.accountID, !wasRead, reads[account] != nil else { return }
        // The mark counts once committed (invariant 3); the text needed no mark to be read.
        _ = server.submit(.noticesRead(accountID: account, ids: [n.id], atMillis: now)) { [unowned self] result in
            guard case .success = result, reads[account] != nil else { return }
            reads[account]!.insert(n.id)
            if reads[account]!.count > board.rules.liveMax { reads[account]!.formIntersection(board.notices.keys) }
        }
    }

    func post(_ s: Session, request: UInt32, draft body: NoticeDraftBody) {
        guard ready(s, request), let account = s.accountID else { return }
        let draft = Self.draft(body, now: server.nowUnixMillis())
        carryOut(board.handle(.add(draft, author: account), facts: NoticeFacts(isEditor: s.roles.contains(.editor)), nowMillis: server.nowUnixMillis()),
                 asker: .session(id: s.id, request: request))
    }

    func withdraw(_ s: Session, request: UInt32, notice id: UInt64) {
        guard ready(s, request), let account = s.accountID else { return }
        carryOut(board.handle(.withdraw(id: Int64(truncatingIfNeeded: id), by: account), facts: NoticeFacts(isEditor: s.roles.contains(.editor)),
                              nowMillis: server.nowUnixMillis()),
                 asker: .session(id: s.id, request: request))
    }

    /// An operator's change through the admin API or `seoulworld notices` (they are editors).
    func forOperator(_ action: NoticeAction, actor: String, reply: @escaping @Sendable (OperatorReply) -> Void) {
        guard loaded else { return reply(OperatorReply(status: 503, message: "the notice board is still being read from the store; try again in a moment")) }
        guard server.records != nil else {
            return reply(OperatorReply(status: 409, message: "this server keeps no records (started without a store): the notice board needs them"))
        }
        let event: NoticeEvent
        switch action {
        case .post(let draft): event = .add(draft, author: actor)
        case .withdraw(let id): event = .withdraw(id: id, by: actor)
        }
        carryOut(board.handle(event, facts: NoticeFacts(isEditor: true), nowMillis: server.nowUnixMillis()), asker: .operatorReply(reply))
    }

    /// Each second: notices whose start has come are announced; ended ones leave the board.
    func second() {
        start()
        guard loaded else { return }
        carryOut(board.handle(.second, facts: nil, nowMillis: server.nowUnixMillis()), asker: nil)
    }

    /// Presence's changes, as the board hears them (Features.swift): a member's read marks are
    /// read at sign-in and forgotten with its last session; the count is told after sign-in and
    /// on entering a space that shows notices.
    func heard(_ change: PresenceChange) {
        switch change {
        case .signedIn(let s, _):
            guard let account = s.accountID else { return }
            guard reads[account] == nil else { return tellCount(s, space: s.spaceID.map(SpaceHost.base)) }
            guard server.records != nil, server.replay == nil else {
                reads[account] = []
                return tellCount(s, space: nil)
            }
            let sessionID = s.id
            _ = server.submit(read: .noticesRead(accountID: account, nowMillis: server.nowUnixMillis())) { [unowned self] result in
                guard let s = server.sessions[sessionID] else { return }
                if case .success(.ids(let ids)) = result { reads[account, default: []].formUnion(ids) }
                else { server.logger.warning("a member's read notices could not be read; all count as unread", metadata: ["account": "\(account)"]) }
                if reads[account] == nil { reads[account] = [] }
                tellCount(s, space: s.spaceID.map(SpaceHost.base))
            }
        case .entered(let s, let space), .resumed(let s, _, let space):
            // A member whose marks are still on their way is told when they arrive.
            guard s.accountID == nil || reads[s.accountID!] != nil else { return }
            tellCount(s, space: SpaceHost.base(space), onlyIfAny: true)
        case .disconnected(let s, let last):
            uses.forget(s.id)
            if last, let account = s.accountID { reads[account] = nil }
        case .left: break
        }
    }

    // MARK: Carrying out

    private func carryOut(_ effects: [NoticeEffect], asker: Asker?) {
        for effect in effects {
            switch effect {
            case .refused(let refusal): answer(asker, refusal: refusal)
            case .persist(let write): persist(write, asker: asker)
            case .added(let n):
                answer(asker, ok: "notice \(n.id) is on the board\(n.draft.startsAtMillis > server.nowUnixMillis() ? ", showing from \(OpeningHours.describe(n.draft.startsAtMillis, seconds: false))" : "")",
                       message: { .noticeStored(requestID: $0, notice: UInt64(n.id)) }, id: n.id)
            case .withdrew(let id): answer(asker, ok: "notice \(id) is withdrawn", message: { .done(requestID: $0) }, id: id)
            case .announce(let n):
                let reached = push(.noticeShown(Self.summary(n, read: false)), to: n.draft.target)
                server.logger.info("notice shown", metadata: ["notice": "\(n.id)", "reached": "\(reached)"])
            case .retract(let n): _ = push(.noticeWithdrawn(notice: UInt64(n.id)), to: n.draft.target)
            }
        }
    }

    /// Keeps a change in the store; the machine hears the commit, and its effects answer.
    private func persist(_ write: NoticeEffect.Write, asker: Asker?) {
        let storeWrite: StoreWrite
        switch write {
        case .add(let d, let author, let at):
            storeWrite = .notice(NoticeRecord(titleKo: d.title.ko, titleEn: d.title.en, bodyKo: d.body.ko, bodyEn: d.body.en, category: d.category.rawValue,
                                              startsAtMillis: d.startsAtMillis, endsAtMillis: d.endsAtMillis, targetSpaces: Self.spaces(d.target),
                                              pinned: d.pinned, author: author, createdAtMillis: at))
        case .withdraw(let id, let by, let at): storeWrite = .withdrawNotice(id: id, by: by, atMillis: at)
        }
        let queued = server.submit(storeWrite) { [unowned self] result in
            switch (result, write) {
            case (.success(.id(let id)), .add(let d, let author, let at)):
                carryOut(board.handle(.stored(Notice(id: id, draft: d, author: author, createdAtMillis: at)), facts: nil, nowMillis: server.nowUnixMillis()), asker: asker)
            case (.success, .withdraw(let id, let by, let at)):
                carryOut(board.handle(.withdrawn(id: id, by: by, atMillis: at), facts: nil, nowMillis: server.nowUnixMillis()), asker: asker)
            case (.success(let other), _):
                server.logger.error("the store answered a notice write unexpectedly", metadata: ["outcome": "\(other)"])
                answer(asker, failed: "the store answered unexpectedly; nothing is shown")
            case (.failure(let error), _):
                answer(asker, failed: "the store could not keep it (\(error.description)); nothing changed")
            }
        }
        if !queued { answer(asker, busy: "the server's store is saturated just now; nothing was changed, try again in a few seconds") }
    }

    /// Sends `message` to everyone a notice's target reaches: every signed-in session for the
    /// whole city, else those in its spaces. Encoded once. Returns how many it reached.
    private func push(_ message: ServerMessage, to target: NoticeTarget) -> Int {
        let frame = Framing.frame(message.encode())
        var reached = 0
        switch target {
        case .city:
            for s in server.sessions.values where s.machine.state == .active {
                s.send(frame: frame)
                reached += 1
            }
        case .spaces(let ids):
            for id in ids {
                // The space's overflow instances show its notices too.
                for space in server.host.instances(of: id) {
                    for s in space.members.values {
                        s.send(frame: frame)
                        reached += 1
                    }
                }
            }
        }
        return reached
    }

    /// The count of notices shown to `s` in `space`, and how many it has not read; with
    /// `onlyIfAny`, nothing when none are shown.
    private func tellCount(_ s: Session, space: String?, onlyIfAny: Bool = false) {
        let now = server.nowUnixMillis()
        let shown = board.shown(in: space, at: now)
        if onlyIfAny && shown.isEmpty { return }
        let read = s.accountID.flatMap { reads[$0] } ?? []
        let unread = shown.filter { !read.contains($0.id) }.count
        s.send(.noticeCount(space: space ?? "", shown: UInt16(clamping: shown.count), unread: UInt16(clamping: unread)))
    }

    // MARK: Answers

    private func ready(_ s: Session, _ request: UInt32) -> Bool {
        guard loaded else {
            s.send(.error(code: .busy, requestID: request, text: "the notice board is still being read from the store; ask again in a moment"))
            return false
        }
        return true
    }

    private func answer(_ asker: Asker?, ok text: String, message: (UInt32) -> ServerMessage, id: Int64) {
        switch asker {
        case .session(let sessionID, let request): server.sessions[sessionID]?.send(message(request))
        case .operatorReply(let reply): reply(OperatorReply(status: 200, message: text, id: id))
        case nil: break
        }
    }

    private func answer(_ asker: Asker?, refusal: NoticeRefusal) {
        let code: ErrorCode, status: Int
        switch refusal {
        case .notEditor: (code, status) = (.forbidden, 403)
        case .noSuchNotice: (code, status) = (.unknownTarget, 404)
        case .alreadyWithdrawn: (code, status) = (.conflict, 409)
        case .tooManyLive: (code, status) = (.limitReached, 409)
        case .noText, .tooLong, .endNotAfterStart, .tooLongShown, .tooFarAhead, .alreadyEnded, .unknownSpace, .tooManySpaces: (code, status) = (.invalidField, 400)
        }
        say(asker, code: code, status: status, text: refusal.sentence)
    }

    private func answer(_ asker: Asker?, failed text: String) { say(asker, code: .internalError, status: 500, text: text) }
    private func answer(_ asker: Asker?, busy text: String) { say(asker, code: .busy, status: 503, text: text) }

    /// To whoever asked; a change nobody asked for (the second's) is logged.
    private func say(_ asker: Asker?, code: ErrorCode, status: Int, text: String) {
        guard let asker else { return server.logger.error("a notice board change failed", metadata: ["why": "\(text)"]) }
        server.tell(asker, code: code, status: status, text: text)
    }

    private func used(_ kind: String, by s: Session) {
        server.submitUsage(.serviceEvent(ServiceEvent(service: "notices", kind: kind, accountID: s.accountID, atMillis: server.nowUnixMillis())))
    }

    // MARK: Shapes

    static func summary(_ n: Notice, read: Bool) -> NoticeSummary {
        NoticeSummary(id: UInt64(n.id), category: UInt8(NoticeCategory.allCases.firstIndex(of: n.draft.category)!), pinned: n.draft.pinned, read: read,
                      cityWide: n.draft.target == .city, startsAtMillis: UInt64(max(0, n.draft.startsAtMillis)), endsAtMillis: UInt64(max(0, n.draft.endsAtMillis)),
                      titleKo: n.draft.title.ko ?? "", titleEn: n.draft.title.en ?? "")
    }

    static func draft(_ b: NoticeDraftBody, now: Int64) -> NoticeDraft {
        NoticeDraft(title: NoticeText(ko: b.titleKo, en: b.titleEn), body: NoticeText(ko: b.bodyKo, en: b.bodyEn),
                    category: NoticeCategory.allCases[Int(b.category)], startsAtMillis: b.startsAtMillis == 0 ? now : Int64(clamping: b.startsAtMillis),
                    endsAtMillis: Int64(clamping: b.endsAtMillis), target: b.spaces.isEmpty ? .city : .spaces(b.spaces), pinned: b.pinned)
    }

    static func spaces(_ target: NoticeTarget) -> [String] {
        if case .spaces(let list) = target { return list }
        return []
    }

    /// A stored row as the board's notice; nil for a row no check of ours would have written
    /// (an unknown category), which is logged by nobody and skipped.
    static func notice(_ r: NoticeRecord) -> Notice? {
        guard let id = r.id, let category = NoticeCategory(rawValue: r.category) else { return nil }
        return Notice(id: id, draft: NoticeDraft(title: NoticeText(ko: r.titleKo, en: r.titleEn), body: NoticeText(ko: r.bodyKo, en: r.bodyEn), category: category,
                                                 startsAtMillis: r.startsAtMillis, endsAtMillis: r.endsAtMillis,
                                                 target: r.targetSpaces.isEmpty ? .city : .spaces(r.targetSpaces), pinned: r.pinned),
                      author: r.author, createdAtMillis: r.createdAtMillis, withdrawnBy: r.withdrawnBy, withdrawnAtMillis: r.withdrawnAtMillis)
    }
}

/// An operator's change to the notice board (the admin API, `seoulworld notices`).
public enum NoticeAction: Sendable {
    case post(NoticeDraft)
    case withdraw(id: Int64)
}

extension Server {
    /// Carries out an operator's notice change on the loop thread; `reply` as for `perform`.
    public func performNotice(_ action: NoticeAction, actor: String, reply: @escaping @Sendable (OperatorReply) -> Void) {
        io.mailbox?.post { [unowned self] in
            guard !stopping else { return reply(OperatorReply(status: 503, message: "the server is stopping")) }
            notices.forOperator(action, actor: actor, reply: reply)
        }
    }

    /// The notices on the board now (not yet ended, withdrawn ones too), newest first, for the
    /// admin API; `reply` on the loop thread.
    public func noticeBoard(reply: @escaping @Sendable ([Notice]) -> Void) {
        io.mailbox?.post { [unowned self] in
            reply(notices.board.notices.values.sorted { ($0.draft.startsAtMillis, $0.id) > ($1.draft.startsAtMillis, $1.id) })
        }
    }
}
