// What the client's owner asks of the server (docs/PROTOCOL.md section 7): each request sent
// with a fresh request id, which the method returns; the answers land in the client's state
// (Client.swift) by that id.

import NetProto
import Transport

extension WorldClient {
    // MARK: What the owner does

    /// Asks to enter a space (or travel to it from another); returns the request id.
    @discardableResult
    public func enter(_ spaceID: String) -> UInt32 {
        let id = nextRequestID
        nextRequestID += 1
        lastEnter = (id, Monotonic.nanoseconds())
        send(.enterSpace(requestID: id, spaceID: spaceID))
        return id
    }

    /// Sends a bug report (the server attaches where and when); returns the request id. The
    /// answer is `bugReportsFiled`, or an error with this request id.
    @discardableResult
    public func reportBug(_ description: String) -> UInt32 {
        let id = nextRequestID
        nextRequestID += 1
        bugReportsPending[id] = Monotonic.nanoseconds()
        send(.reportBug(requestID: id, description: description))
        return id
    }

    /// Sends a chat message; the answer is in `chatAnswers`, or an error with this request id.
    @discardableResult
    public func chat(_ to: ChatTarget, _ text: String) -> UInt32 {
        request { .chat(requestID: $0, to: to, text: text) }
    }

    /// Reports the user with this entity in the same space; the answer is `userReportsFiled`.
    @discardableResult
    public func reportUser(entity: UInt32, reason: ReportReasonCode, description: String) -> UInt32 {
        request { .reportUser(requestID: $0, entity: entity, reason: reason, description: description) }
    }

    @discardableResult
    public func block(_ subject: Subject, on: Bool = true) -> UInt32 {
        request { .block(requestID: $0, subject: subject, on: on) }
    }

    @discardableResult
    public func listBlocks() -> UInt32 { request { .listBlocks(requestID: $0) } }

    /// A staff action (the token must carry the staff role).
    @discardableResult
    public func staff(_ action: StaffAction, _ subject: Subject, seconds: UInt32 = 0, reason: String) -> UInt32 {
        request { .staff(requestID: $0, action: action, subject: subject, seconds: seconds, reason: reason) }
    }

    /// Opens a room from a template; the answer is `roomsOpened[request]`, then `entered`.
    @discardableResult
    public func openRoom(template: String, title: String, access: RoomAccessRule = .open) -> UInt32 {
        request { .openRoom(requestID: $0, template: template, title: title, access: access) }
    }

    @discardableResult
    public func enterRoom(_ roomID: UInt32, code: String = "") -> UInt32 {
        request { .enterRoom(requestID: $0, roomID: roomID, code: code) }
    }

    @discardableResult
    public func listRooms(offset: UInt16 = 0) -> UInt32 { request { .listRooms(requestID: $0, offset: offset) } }

    @discardableResult
    public func deskDuty(_ desk: String, on: Bool = true, field: String = "") -> UInt32 {
        request { .deskDuty(requestID: $0, desk: desk, on: on, field: field) }
    }

    @discardableResult
    public func joinQueue(_ desk: String, field: String = "") -> UInt32 { request { .joinQueue(requestID: $0, desk: desk, field: field) } }

    @discardableResult
    public func leaveQueue(_ desk: String) -> UInt32 { request { .leaveQueue(requestID: $0, desk: desk) } }

    @discardableResult
    public func takeNext(_ desk: String) -> UInt32 { request { .takeNext(requestID: $0, desk: desk) } }

    @discardableResult
    public func endSession() -> UInt32 { request { .endSession(requestID: $0) } }

    @discardableResult
    public func listDesks() -> UInt32 { request { .listDesks(requestID: $0) } }

    /// Goes on duty at `space`'s docent post (staff), or off duty.
    @discardableResult
    public func docentDuty(_ space: String, on: Bool = true) -> UInt32 { request { .docentDuty(requestID: $0, space: space, on: on) } }

    @discardableResult
    public func listOnDuty() -> UInt32 { request { .listOnDuty(requestID: $0) } }

    /// Every space of the city with its host and population (`spaceLists`).
    @discardableResult
    public func listSpaces() -> UInt32 { request { .listSpaces(requestID: $0) } }

    /// Tax Square's calculator: `tax` 0 car, 1 property, 2 acquisition; fields by name.
    @discardableResult
    public func taxCalculate(_ tax: UInt8, _ fields: [(String, String)]) -> UInt32 {
        request { .taxCalculate(requestID: $0, tax: tax, fields: fields.map { TaxField(name: $0.0, value: $0.1) }) }
    }

    @discardableResult
    public func taxAsk(_ question: String) -> UInt32 { request { .taxAsk(requestID: $0, question: question) } }

    @discardableResult
    public func listNotices(offset: UInt16 = 0) -> UInt32 { request { .listNotices(requestID: $0, offset: offset) } }

    @discardableResult
    public func readNotice(_ id: UInt64) -> UInt32 { request { .readNotice(requestID: $0, notice: id) } }

    /// Editors only.
    @discardableResult
    public func postNotice(_ draft: NoticeDraftBody) -> UInt32 { request { .postNotice(requestID: $0, draft) } }

    @discardableResult
    public func withdrawNotice(_ id: UInt64) -> UInt32 { request { .withdrawNotice(requestID: $0, notice: id) } }

    @discardableResult
    public func fileSuggestion(_ filing: SuggestionFiling) -> UInt32 { request { .fileSuggestion(requestID: $0, filing) } }

    @discardableResult
    public func listSuggestions(_ scope: SuggestionScope, offset: UInt16 = 0) -> UInt32 {
        request { .listSuggestions(requestID: $0, scope: scope, offset: offset) }
    }

    @discardableResult
    public func readSuggestion(_ id: UInt64) -> UInt32 { request { .readSuggestion(requestID: $0, id: id) } }

    /// Answerers only.
    @discardableResult
    public func handleSuggestion(_ id: UInt64, _ action: SuggestionAction, text: String = "") -> UInt32 {
        request { .handleSuggestion(requestID: $0, id: id, action: action, text: text) }
    }

    @discardableResult
    public func listInbox(offset: UInt16 = 0) -> UInt32 { request { .listInbox(requestID: $0, offset: offset) } }

    @discardableResult
    public func readInbox(_ id: UInt64) -> UInt32 { request { .readInbox(requestID: $0, id: id) } }

    @discardableResult
    public func setLanguage(_ tag: String) -> UInt32 { request { .setLanguage(requestID: $0, language: tag) } }

    @discardableResult
    public func askPlace(_ id: String) -> UInt32 { request { .askPlace(requestID: $0, place: id) } }

    @discardableResult
    public func readGuide(_ part: GuidePart) -> UInt32 { request { .readGuide(requestID: $0, part: part) } }

    @discardableResult
    public func acceptEthics(_ version: String) -> UInt32 { request { .acceptEthics(requestID: $0, version: version) } }

    @discardableResult
    public func tutorialStep(_ step: String) -> UInt32 { request { .tutorialStep(requestID: $0, step: step) } }

    /// Hands over the chat received since the last call.
    public func takeChat() -> [ReceivedChat] {
        defer { chatReceived.removeAll(keepingCapacity: true) }
        return chatReceived
    }

    func request(_ make: (UInt32) -> ClientMessage) -> UInt32 {
        let id = nextRequestID
        nextRequestID += 1
        send(make(id))
        return id
    }

    /// Bug reports sent and not yet answered (by an id or an error).
}
