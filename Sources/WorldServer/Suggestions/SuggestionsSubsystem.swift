// The mayor's suggestion box in the world (docs/PROTOCOL.md, section 7.14). The rules are the
// box's machine's (Services' SuggestionBox: the checks, the filter, the states, who may move
// them); the suggestions are the store's. This subsystem reads the suggestion a request is
// about, hands the machine the request with it, carries out what it answers (the store's
// conditional writes, the answer after commit), and has the citizen told through the inbox.
//
// Invariants:
// 1. Nothing is answered as filed, taken, answered or closed before the store committed it.
// 2. A connection has at most `pendingMax` suggestion requests waiting for the store; more are
//    refused at once (a flood costs the store nothing and the tick nothing).
// 3. A citizen reads their own suggestions, answerers any, anyone the answered ones whose
//    citizen consented; for any other, the answer is that there is none.

import NetProto
import Services
import Store

final class SuggestionsSubsystem {
    unowned let server: Server
    private(set) var box = SuggestionBox(spaces: [], filter: nil)
    /// Invariant 2: requests waiting for the store, per session.
    private var pending: [UInt64: Int] = [:]
    static let pendingMax = 4

    init(server: Server) { self.server = server }

    func open(spaces: Set<String>) {
        box = SuggestionBox(rules: server.configuration.suggestionRules, spaces: spaces, filter: server.configuration.profanity)
    }

    // MARK: Requests

    func file(_ s: Session, request: UInt32, filing f: SuggestionFiling) {
        guard let account = s.accountID, ready(s, request), admit(s, request) else { return }
        let draft = SuggestionDraft(title: f.title, body: f.body, category: SuggestionCategory.allCases[Int(f.category)],
                                    space: f.space.isEmpty ? nil : f.space, publicConsent: f.publicConsent)
        let now = server.nowUnixMillis()
        let asker = Asker.session(id: s.id, request: request)
        for effect in box.handle(.file(draft, account: account), facts: SuggestionFacts(isAnswerer: false), nowMillis: now) {
            switch effect {
            case .refused(let refusal): answer(asker, refusal: refusal)
            case .persist(.file(let d, let account, let at, let dayStart, let perDay)):
                let record = SuggestionRecord(accountID: account, title: d.title, body: d.body, category: d.category.rawValue, spaceID: d.space,
                                              publicConsent: d.publicConsent, filedAtMillis: at)
                wait(s)
                submit(.fileSuggestion(record, dayStartMillis: dayStart, perDay: perDay), asker: asker, session: s.id) { [unowned self] outcome in
                    let id: Int64? = if case .id(let id) = outcome { id } else { nil }
                    for e in box.handle(.filed(id: id, draft: d, account: account, atMillis: at), facts: SuggestionFacts(isAnswerer: false), nowMillis: at) {
                        switch e {
                        case .filed(let suggestion):
                            say(asker, .suggestionFiled(requestID: request, id: UInt64(suggestion.id), trackingNumber: suggestion.trackingNumber))
                            used("suggestion-filed", kind: suggestion.draft.category.rawValue, account: account, at: at)
                        case .refused(let refusal): answer(asker, refusal: refusal)
                        default: break
                        }
                    }
                }
            default: break
            }
        }
    }

    func list(_ s: Session, request: UInt32, scope: SuggestionScope, offset: UInt16) {
        guard ready(s, request) else { return }
        let read: StoreRead
        switch scope {
        case .mine:
            guard let account = s.accountID else {
                return s.send(.error(code: .guestNotAllowed, requestID: request, text: "guests have no suggestions of their own: sign in as a member to file one"))
            }
            read = .suggestionsOf(accountID: account, offset: Int(offset), limit: CivicWire.pageMax)
        case .queue:
            guard s.roles.contains(.answerer) else {
                return s.send(.error(code: .forbidden, requestID: request, text: "the queue of suggestions is for staff with the answerer role"))
            }
            read = .suggestionQueue(offset: Int(offset), limit: CivicWire.pageMax)
        case .answered: read = .answeredSuggestions(offset: Int(offset), limit: CivicWire.pageMax)
        }
        guard admit(s, request) else { return }
        wait(s)
        submit(read: read, session: s.id, request: request) { list in
            s.send(.suggestionList(requestID: request, scope: scope, offset: offset, suggestions: list.compactMap(Self.suggestion).map(Self.summary)))
        }
    }

    func read(_ s: Session, request: UInt32, id: UInt64) {
        guard ready(s, request), admit(s, request) else { return }
        wait(s)
        submit(read: .suggestion(id: Int64(truncatingIfNeeded: id)), session: s.id, request: request) { list in
            guard let suggestion = list.first.flatMap(Self.suggestion), Self.visible(suggestion, to: s) else {
                return s.send(.error(code: .unknownTarget, requestID: request, text: "no suggestion number \(id) that you may read"))
            }
            s.send(.suggestionText(requestID: request, Self.text(suggestion)))
        }
    }

    func handle(_ s: Session, request: UInt32, id: UInt64, action: SuggestionAction, text: String) {
        guard let account = s.accountID, ready(s, request), admit(s, request) else { return }
        guard s.roles.contains(.answerer) else { return answer(.session(id: s.id, request: request), refusal: .notAnswerer) }
        let event: SuggestionEvent
        switch action {
        case .take: event = .take(id: Int64(truncatingIfNeeded: id), by: account)
        case .answer: event = .answer(id: Int64(truncatingIfNeeded: id), text: text, by: account)
        case .close: event = .close(id: Int64(truncatingIfNeeded: id), reason: text, by: account)
        }
        wait(s)
        move(event, asker: .session(id: s.id, request: request), session: s.id)
    }

    /// An operator's take, answer or close through the admin API or `seoulworld suggestions`
    /// (operators are answerers).
    func forOperator(_ event: SuggestionEvent, reply: @escaping @Sendable (OperatorReply) -> Void) {
        guard server.records != nil else {
            return reply(OperatorReply(status: 409, message: "this server keeps no records (started without a store): the suggestion box needs them"))
        }
        move(event, asker: .operatorReply(reply), session: nil)
    }

    /// Presence's changes, as the box hears them (Features.swift): a connection gone forgets
    /// its count of waiting requests.
    func heard(_ change: PresenceChange) {
        if case .disconnected(let s, _) = change { pending[s.id] = nil }
    }

    // MARK: Carrying out

    /// Reads the suggestion, then lets the machine decide with it, then writes what it says,
    /// then answers with the suggestion as the store now has it, and tells the citizen.
    private func move(_ event: SuggestionEvent, asker: Asker, session: UInt64?) {
        let id: Int64
        switch event {
        case .take(let i, _), .answer(let i, _, _), .close(let i, _, _): id = i
        default: preconditionFailure("only take, answer and close move a suggestion")
        }
        let read = server.submit(read: .suggestion(id: id)) { [unowned self] result in
            guard case .success(.suggestions(let rows)) = result else {
                done(session)
                return server.tell(asker, code: .internalError, status: 500, text: "the suggestion could not be read from the store; try again shortly")
            }
            let facts = SuggestionFacts(isAnswerer: true, current: rows.first.flatMap(Self.suggestion))
            let now = server.nowUnixMillis()
            for effect in box.handle(event, facts: facts, nowMillis: now) {
                switch effect {
                case .refused(let refusal):
                    done(session)
                    answer(asker, refusal: refusal)
                case .persist(let write): persist(write, facts: facts, asker: asker, session: session)
                default: done(session)
                }
            }
        }
        if !read {
            done(session)
            server.tell(asker, code: .busy, status: 503, text: "the server's store is saturated just now; nothing was changed, try again in a few seconds")
        }
    }

    private func persist(_ write: SuggestionEffect.Write, facts: SuggestionFacts, asker: Asker, session: UInt64?) {
        let storeWrite: StoreWrite
        var message: InboxRecord?
        switch write {
        case .file: preconditionFailure("a filing is written by file(_:)")
        case .take(let id, let by, let at): storeWrite = .takeSuggestion(id: id, by: by, atMillis: at)
        case .respond(let s, let state, let text, let by, let at):
            let m = Self.inboxMessage(s, state: state, text: text, at: at)
            message = m
            storeWrite = .respondSuggestion(id: s.id, state: state.rawValue, text: text, by: by, atMillis: at, inbox: m)
        }
        submit(storeWrite, asker: asker, session: session) { [unowned self] outcome in
            // A take answers with how many rows it changed; a response with the citizen's
            // message's id, or a count of 0 when the row had changed meanwhile.
            let changed: Bool, messageID: Int64?
            switch outcome {
            case .id(let id): (changed, messageID) = (true, id)
            case .count(let n): (changed, messageID) = (n == 1, nil)
            default: (changed, messageID) = (false, nil)
            }
            for effect in box.handle(.changed(changed, write), facts: facts, nowMillis: server.nowUnixMillis()) {
                switch effect {
                case .done(let s):
                    switch asker {
                    case .session(_, let request): say(asker, .suggestionText(requestID: request, Self.text(s)))
                    case .operatorReply(let reply): reply(OperatorReply(status: 200, message: "\(s.trackingNumber) is \(s.state.rawValue)", id: s.id))
                    }
                    if let message, let messageID, s.state.isFinal {
                        // The store wrote the citizen's message with the response.
                        server.inbox.deliver(message, id: messageID)
                        used("suggestion-\(s.state.rawValue)", kind: s.draft.category.rawValue, account: s.account, at: s.respondedAtMillis ?? 0,
                             duration: (s.respondedAtMillis ?? s.filedAtMillis) - s.filedAtMillis)
                    }
                case .refused(let refusal): answer(asker, refusal: refusal)
                default: break
                }
            }
        }
    }

    // MARK: The store

    private func submit(_ write: StoreWrite, asker: Asker, session: UInt64?, then: @escaping (StoreOutcome) -> Void) {
        let queued = server.submit(write) { [unowned self] result in
            done(session)
            switch result {
            case .success(let outcome): then(outcome)
            case .failure(let error): server.tell(asker, code: .internalError, status: 500, text: "the store could not keep it (\(error.description)); nothing changed")
            }
        }
        if !queued {
            done(session)
            server.tell(asker, code: .busy, status: 503, text: "the server's store is saturated just now; nothing was changed, try again in a few seconds")
        }
    }

    private func submit(read: StoreRead, session: UInt64, request: UInt32, then: @escaping ([SuggestionRecord]) -> Void) {
        let queued = server.submit(read: read) { [unowned self] result in
            done(session)
            guard server.sessions[session] != nil else { return }
            guard case .success(.suggestions(let rows)) = result else {
                return server.tell(.session(id: session, request: request), code: .internalError, status: 500, text: "the suggestions could not be read from the store; try again shortly")
            }
            then(rows)
        }
        if !queued {
            done(session)
            server.tell(.session(id: session, request: request), code: .busy, status: 503, text: "the server's store is saturated just now; try again in a few seconds")
        }
    }

    /// Invariant 2.
    private func admit(_ s: Session, _ request: UInt32) -> Bool {
        guard pending[s.id, default: 0] < Self.pendingMax else {
            server.counters.suggestionsRateLimited += 1
            s.send(.error(code: .rateLimited, requestID: request, text: "\(Self.pendingMax) suggestion requests of yours are waiting for the store already; wait for their answers"))
            return false
        }
        return true
    }

    private func wait(_ s: Session) { pending[s.id, default: 0] += 1 }

    private func done(_ session: UInt64?) {
        guard let session, let n = pending[session] else { return }
        pending[session] = n > 1 ? n - 1 : nil
    }

    private func ready(_ s: Session, _ request: UInt32) -> Bool {
        guard server.records != nil else {
            s.send(.error(code: .unavailable, requestID: request, text: "this server keeps no records (started without a store): the suggestion box needs them"))
            return false
        }
        return true
    }

    // MARK: Answers

    private func say(_ asker: Asker, _ message: ServerMessage) {
        if case .session(let id, _) = asker { server.sessions[id]?.send(message) }
    }

    private func answer(_ asker: Asker, refusal: SuggestionRefusal) {
        let code: ErrorCode, status: Int
        switch refusal {
        case .notAnswerer: (code, status) = (.forbidden, 403)
        case .noText, .tooLong, .unknownSpace: (code, status) = (.invalidField, 400)
        case .abusive: (code, status) = (.invalidText, 400)
        case .dailyLimit: (code, status) = (.limitReached, 429)
        case .noSuchSuggestion: (code, status) = (.unknownTarget, 404)
        case .final, .inReviewByAnother, .changedMeanwhile: (code, status) = (.conflict, 409)
        }
        server.tell(asker, code: code, status: status, text: refusal.sentence)
    }

    private func used(_ service: String, kind: String, account: String, at: Int64, duration: Int64? = nil) {
        server.submitUsage(.serviceEvent(ServiceEvent(service: service, kind: kind, accountID: account, atMillis: at, durationMillis: duration)))
    }

    // MARK: Shapes

    static func suggestion(_ r: SuggestionRecord) -> Suggestion? {
        guard let id = r.id, let category = SuggestionCategory(rawValue: r.category), let state = SuggestionState(rawValue: r.state) else { return nil }
        return Suggestion(id: id, account: r.accountID, draft: SuggestionDraft(title: r.title, body: r.body, category: category, space: r.spaceID,
                                                                          publicConsent: r.publicConsent),
                          state: state, filedAtMillis: r.filedAtMillis, handler: r.handler, takenAtMillis: r.takenAtMillis, response: r.response,
                          respondedBy: r.respondedBy, respondedAtMillis: r.respondedAtMillis)
    }

    static func summary(_ s: Suggestion) -> SuggestionSummary {
        SuggestionSummary(id: UInt64(s.id), trackingNumber: s.trackingNumber, category: UInt8(SuggestionCategory.allCases.firstIndex(of: s.draft.category)!),
                          state: UInt8(SuggestionState.allCases.firstIndex(of: s.state)!), filedAtMillis: UInt64(max(0, s.filedAtMillis)), title: s.draft.title)
    }

    static func text(_ s: Suggestion) -> SuggestionText {
        SuggestionText(summary: summary(s), space: s.draft.space ?? "", publicConsent: s.draft.publicConsent, body: s.draft.body, response: s.response ?? "",
                       respondedAtMillis: UInt64(max(0, s.respondedAtMillis ?? 0)))
    }

    /// Invariant 3.
    static func visible(_ s: Suggestion, to session: Session) -> Bool {
        s.account == session.accountID || session.roles.contains(.answerer) || (s.state == .answered && s.draft.publicConsent)
    }

    /// The citizen's message about an answer or a closing, in both languages.
    static func inboxMessage(_ s: Suggestion, state: SuggestionState, text: String, at: Int64) -> InboxRecord {
        let n = s.trackingNumber
        let title = state == .answered ? "건의 \(n)에 답변이 왔습니다 · Your suggestion \(n) was answered"
                                       : "건의 \(n)이(가) 종결되었습니다 · Your suggestion \(n) was closed"
        return InboxRecord(accountID: s.account, kind: state == .answered ? "suggestion-answered" : "suggestion-closed", title: title, body: text,
                           reference: n, createdAtMillis: at)
    }
}

extension Server {
    /// Carries out an operator's take, answer or close on the loop thread; `reply` as for `perform`.
    public func performSuggestion(_ action: SuggestionAction, trackingNumber: String, text: String, actor: String,
                                  reply: @escaping @Sendable (OperatorReply) -> Void) {
        io.mailbox?.post { [unowned self] in
            guard !stopping else { return reply(OperatorReply(status: 503, message: "the server is stopping")) }
            guard let id = Suggestion.id(trackingNumber: trackingNumber) else {
                return reply(OperatorReply(status: 400, message: "'\(trackingNumber)' is not a tracking number (S-2026-000123) or a suggestion's number"))
            }
            let event: SuggestionEvent
            switch action {
            case .take: event = .take(id: id, by: actor)
            case .answer: event = .answer(id: id, text: text, by: actor)
            case .close: event = .close(id: id, reason: text, by: actor)
            }
            suggestions.forOperator(event, reply: reply)
        }
    }

    /// A read of the records, on the loop thread after the writes queued before it; `reply`
    /// (on the loop thread) with its outcome, or nil when it could not be made. For the admin
    /// API's lists of what the store keeps (suggestions, an inbox).
    public func readRecords(_ read: StoreRead, reply: @escaping @Sendable (StoreOutcome?) -> Void) {
        io.mailbox?.post { [unowned self] in
            guard !submit(read: read, then: { result in reply(try? result.get()) }) else { return }
            reply(nil)
        }
    }
}
