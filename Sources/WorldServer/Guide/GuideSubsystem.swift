// The Angel Guide and the ethics code in the world (docs/PROTOCOL.md, section 7.17). The
// documents are data (guide/, Services' Guide); this subsystem serves them in the reader's
// language, keeps which version of the code each signed-in account accepted (read with its
// standing at sign-in), asks a member who has not accepted the current one, refuses what needs
// it until then, and keeps acceptances and tutorial steps in the store.
//
// Invariants:
// 1. `accepted` holds the versions each signed-in account accepted, from its standing and from
//    this run's acceptances (an acceptance counts at once and is answered once kept; a failed
//    write takes it back).
// 2. Without a guide (a server started without guide/), nothing is refused for the code.

import NetProto
import Services
import Store

final class GuideSubsystem {
    unowned let server: Server
    private(set) var guide: Guide?
    /// Invariant 1.
    private var accepted: [String: Set<String>] = [:]
    /// Which parts each connection read, for the usage records.
    private var reads = UsageOnce()

    init(server: Server) { self.server = server }

    func open(_ guide: Guide?) { self.guide = guide }

    /// The refusal of a request that needs the code accepted, or nil to let it through
    /// (Features.swift asks before routing).
    func refusal(for s: Session, request: UInt32) -> ServerMessage? {
        guard let guide, let account = s.accountID, !guide.allows(accepted: accepted[account] ?? []) else { return nil }
        return .error(code: .ethicsNotAccepted, requestID: request,
                      text: "read and accept the city's ethics code (version \(guide.ethics.version)) first: readGuide, then acceptEthics")
    }

    func read(_ s: Session, request: UInt32, part: GuidePart) {
        guard let guide else { return unavailable(s, request) }
        let language = server.places.language(of: s)
        let document = part == .ethics ? guide.ethics : guide.tutorial
        let isAccepted = part == .ethics && s.accountID.map { accepted[$0]?.contains(guide.ethics.version) ?? false } ?? false
        if reads.first(s.id, "\(part)") {
            server.submitUsage(.serviceEvent(ServiceEvent(service: "guide", kind: part == .ethics ? "ethics" : "tutorial", accountID: s.accountID,
                                                          atMillis: server.nowUnixMillis(), outcome: language.rawValue)))
        }
        func send(done: Set<String>) {
            s.send(.guideText(requestID: request, GuideText(
                part: part, version: document.version, language: language.rawValue, accepted: isAccepted, title: language.pick(ko: document.title.ko, en: document.title.en).text,
                sections: document.sections.map { GuideText.Section(id: $0.id, title: language.pick(ko: $0.title.ko, en: $0.title.en).text,
                                                                    text: language.pick(ko: $0.text.ko, en: $0.text.en).text, done: done.contains($0.id)) })))
        }
        // The tutorial resumes where the member left it: its steps done, from the store.
        guard part == .tutorial, let account = s.accountID, server.records != nil else { return send(done: []) }
        let sessionID = s.id
        let queued = server.submit(read: .tutorialProgress(accountID: account)) { [unowned self] result in
            guard let s = server.sessions[sessionID] else { return }
            if case .success(.strings(let steps)) = result { send(done: Set(steps)) } else { s.send(.error(code: .internalError, requestID: request, text: "your place in the tutorial could not be read; try again shortly")) }
        }
        if !queued { s.send(.error(code: .busy, requestID: request, text: "the server's store is saturated just now; try again in a few seconds")) }
    }

    func accept(_ s: Session, request: UInt32, version: String) {
        guard let guide, let account = s.accountID else { return unavailable(s, request) }
        guard version == guide.ethics.version else {
            return s.send(.error(code: .invalidField, requestID: request, text: "version: '\(version)' is not the current ethics code; the current one is \(guide.ethics.version)"))
        }
        let already = accepted[account]?.contains(version) ?? false
        accepted[account, default: []].insert(version)
        guard !already, server.records != nil else { return s.send(.done(requestID: request)) }
        let sessionID = s.id
        let queued = server.submit(.ethicsAccepted(accountID: account, version: version, atMillis: server.nowUnixMillis())) { [unowned self] result in
            switch result {
            case .success:
                server.sessions[sessionID]?.send(.done(requestID: request))
                server.submitUsage(.serviceEvent(ServiceEvent(service: "ethics-code", kind: "accepted", accountID: account, atMillis: server.nowUnixMillis(), outcome: version)))
            case .failure(let error):
                accepted[account]?.remove(version)
                server.sessions[sessionID]?.send(.error(code: .internalError, requestID: request, text: "your acceptance could not be kept (\(error.description)); accept again shortly"))
            }
        }
        if !queued {
            accepted[account]?.remove(version)
            s.send(.error(code: .busy, requestID: request, text: "the server's store is saturated just now; accept again in a few seconds"))
        }
    }

    func step(_ s: Session, request: UInt32, step: String) {
        guard let guide, let account = s.accountID else { return unavailable(s, request) }
        guard guide.tutorial.sections.contains(where: { $0.id == step }) else {
            return s.send(.error(code: .unknownTarget, requestID: request, text: "no step '\(step)' in the tutorial (version \(guide.tutorial.version))"))
        }
        guard server.records != nil else { return s.send(.done(requestID: request)) }
        let sessionID = s.id
        let queued = server.submit(.tutorialStep(accountID: account, step: step, atMillis: server.nowUnixMillis())) { [unowned self] result in
            if case .success = result { server.sessions[sessionID]?.send(.done(requestID: request)) }
            else { server.sessions[sessionID]?.send(.error(code: .internalError, requestID: request, text: "the step could not be kept; try again shortly")) }
        }
        if !queued { s.send(.error(code: .busy, requestID: request, text: "the server's store is saturated just now; try again in a few seconds")) }
    }

    /// Presence's changes, as the guide hears them (Features.swift): a member's accepted
    /// versions come with its standing, and one who has not accepted the current code is asked.
    func heard(_ change: PresenceChange) {
        switch change {
        case .signedIn(let s, let standing):
            guard let guide, let account = s.accountID else { return }
            accepted[account, default: []].formUnion(standing.ethicsVersions)
            if !guide.allows(accepted: accepted[account]!) {
                s.send(.ethicsRequired(version: guide.ethics.version, title: "\(guide.ethics.title.ko) · \(guide.ethics.title.en)"))
            }
        case .disconnected(let s, let last):
            reads.forget(s.id)
            if last, let account = s.accountID { accepted[account] = nil }
        case .entered, .left, .resumed: break
        }
    }

    private func unavailable(_ s: Session, _ request: UInt32) {
        s.send(.error(code: .unavailable, requestID: request, text: "this server serves no guide (started without guide/)"))
    }
}
