// Each member's inbox (docs/PROTOCOL.md, section 7.15): messages that outlive the connection
// (answers to suggestions, and whatever else the city writes to one citizen), kept in the
// store and bounded there. This subsystem tells a member the counts after sign-in, lists and
// reads the inbox from the store, marks what is read, and pushes a message, once committed, to
// every connection its account has open (a citizen offline finds it at the next sign-in).
//
// Invariants:
// 1. Nothing of an inbox is kept here: every list and count is read from the store, after the
//    writes submitted before it.
// 2. A message is pushed only after the store committed it, and only to its own account.

import Foundation
import NetProto
import Store

final class InboxSubsystem {
    unowned let server: Server

    init(server: Server) { self.server = server }

    static let kinds = ["suggestion-answered", "suggestion-closed", "report-outcome", "sanction", "operator"]

    /// Presence's changes, as the inbox hears them (Features.swift): the counts after sign-in.
    func heard(_ change: PresenceChange) {
        guard case .signedIn(let s, _) = change, let account = s.accountID, server.records != nil, server.replay == nil else { return }
        let sessionID = s.id
        _ = server.submit(read: .inbox(accountID: account, offset: 0, limit: 0)) { [unowned self] result in
            guard let s = server.sessions[sessionID], case .success(.inbox(let page)) = result else { return }
            s.send(.inboxCount(total: UInt16(clamping: page.total), unread: UInt16(clamping: page.unread)))
        }
    }

    func list(_ s: Session, request: UInt32, offset: UInt16) {
        guard let account = s.accountID, ready(s, request) else { return }
        read(.inbox(accountID: account, offset: Int(offset), limit: CivicWire.pageMax), for: s, request: request) { page in
            s.send(.inboxList(requestID: request, total: UInt16(clamping: page.total), unread: UInt16(clamping: page.unread), offset: offset,
                              entries: page.items.map { Self.entry($0, withBody: false) }))
        }
    }

    func read(_ s: Session, request: UInt32, id: UInt64) {
        guard let account = s.accountID, ready(s, request) else { return }
        // The whole inbox is at most `inboxPerAccountMax` rows: read it, and pick.
        read(.inbox(accountID: account, offset: 0, limit: inboxPerAccountMax), for: s, request: request) { [unowned self] page in
            guard let m = page.items.first(where: { $0.id == Int64(truncatingIfNeeded: id) }) else {
                s.send(.error(code: .unknownTarget, requestID: request, text: "no message \(id) in your inbox (it may have been dropped past the inbox's \(inboxPerAccountMax))"))
                return
            }
            s.send(.inboxItem(requestID: request, Self.entry(m, withBody: true)))
            if m.readAtMillis == nil {
                _ = server.submit(.inboxRead(accountID: account, ids: [m.id!], atMillis: server.nowUnixMillis())) { _ in }
                // A message's first reading is a use of the inbox (bounded by the messages sent).
                server.submitUsage(.serviceEvent(ServiceEvent(service: "inbox", kind: "read", accountID: account, atMillis: server.nowUnixMillis(),
                                                              durationMillis: server.nowUnixMillis() - m.createdAtMillis, outcome: m.kind)))
            }
        }
    }

    /// Pushes a committed message (its id given by the store) to every connection of its account.
    func deliver(_ m: InboxRecord, id: Int64) {
        var pushed = m
        pushed.id = id
        let frame = Framing.frame(ServerMessage.inboxItem(requestID: 0, Self.entry(pushed, withBody: true)).encode())
        for s in server.sessions.of(account: m.accountID) { s.send(frame: frame) }
    }

    enum Written {
        case kept(id: Int64)
        case failed(String)
    }

    /// Writes a message to an account's inbox, then pushes it; `done` hears how it went.
    func write(_ m: InboxRecord, done: @escaping (Written) -> Void) {
        let queued = server.submit(.inbox(m)) { [unowned self] result in
            guard case .success(.id(let id)) = result else { return done(.failed("the store could not keep it: \(result)")) }
            deliver(m, id: id)
            done(.kept(id: id))
        }
        if !queued { done(.failed("the server's store is saturated just now; nothing was written")) }
    }

    private func ready(_ s: Session, _ request: UInt32) -> Bool {
        guard server.records != nil else {
            s.send(.error(code: .unavailable, requestID: request, text: "this server keeps no records (started without a store): the inbox needs them"))
            return false
        }
        return true
    }

    private func read(_ read: StoreRead, for s: Session, request: UInt32, _ answer: @escaping (InboxPage) -> Void) {
        let sessionID = s.id
        let queued = server.submit(read: read) { [unowned self] result in
            guard let s = server.sessions[sessionID] else { return }
            guard case .success(.inbox(let page)) = result else {
                return s.send(.error(code: .internalError, requestID: request, text: "your inbox could not be read from the store; try again shortly"))
            }
            answer(page)
        }
        if !queued { s.send(.error(code: .busy, requestID: request, text: "the server's store is saturated just now; try again in a few seconds")) }
    }

    static func entry(_ m: InboxRecord, withBody: Bool) -> InboxEntry {
        InboxEntry(id: UInt64(m.id ?? 0), kind: UInt8(kinds.firstIndex(of: m.kind) ?? 4), read: m.readAtMillis != nil,
                   createdAtMillis: UInt64(max(0, m.createdAtMillis)), reference: m.reference ?? "", title: m.title, body: withBody ? m.body : "")
    }
}

extension Server {
    /// An operator's message to one account's inbox (the admin API): written, then pushed to the
    /// account's connections; `reply` as for `perform`.
    public func performInboxMessage(account: String, title: String, body: String, actor: String, reply: @escaping @Sendable (OperatorReply) -> Void) {
        io.mailbox?.post { [unowned self] in
            guard !stopping else { return reply(OperatorReply(status: 503, message: "the server is stopping")) }
            guard records != nil else { return reply(OperatorReply(status: 409, message: "this server keeps no records (started without a store): the inbox needs them")) }
            for (field, text, characters, bytes) in [("title", title, 100, CivicWire.titleBytesMax), ("body", body, 1_000, CivicWire.textBytesMax)] {
                let blank = text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
                guard !blank, text.count <= characters, text.utf8.count <= bytes else {
                    return reply(OperatorReply(status: 400, message: "\(field): 1 to \(characters) characters and at most \(bytes) bytes"))
                }
            }
            let online = sessions.of(account: account).count
            logger.notice("operator message to an inbox", metadata: ["actor": "\(actor)", "account": "\(account)"])
            inbox.write(InboxRecord(accountID: account, kind: "operator", title: title, body: body, reference: nil, createdAtMillis: nowUnixMillis())) { written in
                switch written {
                case .kept(let id): reply(OperatorReply(status: 200, message: "in \(account)'s inbox\(online > 0 ? ", shown at once (online)" : ", read at the next sign-in")", sessions: online, id: id))
                case .failed(let why): reply(OperatorReply(status: 500, message: why))
                }
            }
        }
    }
}
