// The TCP control channel, client to server (PROTOCOL.md, section 4.1).
// docs/PROTOCOL.md is the specification; this file must say the same, byte for byte.
// Encoding is canonical: each value has exactly one encoding, so a decoder may re-encode
// what it decoded and compare. Decoders check every length and range before using it, and
// throw `WireError` on anything else.

public enum ClientMessage: Hashable, Sendable {
    case hello(protocolID: UInt32, version: UInt16)
    case authenticateGuest(displayName: String)
    case authenticateMember(token: [UInt8])
    case enterSpace(requestID: UInt32, spaceID: String)
    case leaveSpace(requestID: UInt32)
    case snapshotsOverTCP(Bool)
    case ping(clientTimeMicros: UInt64)
    case goodbye
    case input(InputBody)
    /// A fault the user noticed; the server attaches where and when.
    case reportBug(requestID: UInt32, description: String)
    case chat(requestID: UInt32, to: ChatTarget, text: String)
    /// Reports a user (by entity in the sender's space); the server attaches the evidence.
    case reportUser(requestID: UInt32, entity: UInt32, reason: ReportReasonCode, description: String)
    /// Blocks (or, with `on` false, unblocks) an account, named by entity or account.
    case block(requestID: UInt32, subject: Subject, on: Bool)
    case listBlocks(requestID: UInt32)
    /// Staff only. `seconds`: a mute's or a ban's length (0 bans for good); 0 otherwise.
    case staff(requestID: UInt32, action: StaffAction, subject: Subject, seconds: UInt32, reason: String)
    /// Opens a room from a template and moves the sender in (`roomOpened`, then `entered`).
    case openRoom(requestID: UInt32, template: String, title: String, access: RoomAccessRule)
    /// Enters an open room (`entered`); `code` for a room with a code, else empty.
    case enterRoom(requestID: UInt32, roomID: UInt32, code: String)
    /// The listed rooms from `offset` (`roomList`).
    case listRooms(requestID: UInt32, offset: UInt16)
    /// Staff go on duty (`on`) at a desk, for a field where the desk has fields, or off duty.
    case deskDuty(requestID: UInt32, desk: String, on: Bool, field: String)
    /// A member joins a desk's queue (in a field where the desk has fields).
    case joinQueue(requestID: UInt32, desk: String, field: String)
    case leaveQueue(requestID: UInt32, desk: String)
    /// Staff on duty take the next citizen: both go into a fresh 1:1 room.
    case takeNext(requestID: UInt32, desk: String)
    /// Either side ends the session: both go back to where they were.
    case endSession(requestID: UInt32)
    /// The desks, with how many serve and wait (`deskList`).
    case listDesks(requestID: UInt32)
    /// Tax Square's calculator: a tax (0 car, 1 property, 2 acquisition) and its fields (`taxWorking`).
    case taxCalculate(requestID: UInt32, tax: UInt8, fields: [TaxField])
    /// Tax Square's FAQ bot (`taxAnswer`).
    case taxAsk(requestID: UInt32, question: String)
    /// The notices shown in the sender's space (or, in none, the whole city's) from `offset` (`noticeList`).
    case listNotices(requestID: UInt32, offset: UInt16)
    /// A notice's whole text (`noticeText`); a member's account marks it read.
    case readNotice(requestID: UInt32, notice: UInt64)
    /// Editors only: a new notice (`noticeStored` once committed).
    case postNotice(requestID: UInt32, NoticeDraftBody)
    /// Editors only: takes a notice off the board (`done` once committed).
    case withdrawNotice(requestID: UInt32, notice: UInt64)
    /// A member files a suggestion with the mayor's office (`suggestionFiled` once committed).
    case fileSuggestion(requestID: UInt32, SuggestionFiling)
    /// Suggestions from `offset`: the sender's own, the answerers' queue, or the public board (`suggestionList`).
    case listSuggestions(requestID: UInt32, scope: SuggestionScope, offset: UInt16)
    /// A suggestion whole, with its answer (`suggestionText`).
    case readSuggestion(requestID: UInt32, id: UInt64)
    /// Answerers only: take a suggestion into review, answer it, or close it with a reason (`suggestionText` once committed).
    case handleSuggestion(requestID: UInt32, id: UInt64, action: SuggestionAction, text: String)
    /// The sender's inbox from `offset`, newest first (`inboxList`).
    case listInbox(requestID: UInt32, offset: UInt16)
    /// An inbox message whole (`inboxItem`); marks it read.
    case readInbox(requestID: UInt32, id: UInt64)
    /// The language the server's own words are wanted in (a BCP 47 tag: "ko", "en", "en-GB"; `done`).
    case setLanguage(requestID: UInt32, language: String)
    /// A point of interest of the sender's space, its text in the sender's language (`placeText`).
    case askPlace(requestID: UInt32, place: String)
    /// The ethics code or the tutorial, in the sender's language (`guideText`).
    case readGuide(requestID: UInt32, part: GuidePart)
    /// A member accepts this version of the ethics code (`done` once kept).
    case acceptEthics(requestID: UInt32, version: String)
    /// A member did a step of the tutorial (`done` once kept).
    case tutorialStep(requestID: UInt32, step: String)
    /// Staff go on duty at the docent post of `space` (and stand at it), or off duty (`space`
    /// may then be empty) (`done`).
    case docentDuty(requestID: UInt32, space: String, on: Bool)
    /// The spaces with staff on duty now (`onDutyList`).
    case listOnDuty(requestID: UInt32)
    /// Authenticates with a hand-over ticket another node of the cluster gave (PROTOCOL.md 7.19):
    /// instead of a token, at the node the ticket names; the session is placed in the ticket's space.
    case authenticateTicket(ticket: [UInt8])
    /// Every space of the city with its instances, hosts and populations, cluster-wide (7.19).
    case listSpaces(requestID: UInt32)

    public var type: UInt8 {
        switch self {
        case .hello: return 0x01
        case .authenticateGuest: return 0x02
        case .authenticateMember: return 0x03
        case .enterSpace: return 0x04
        case .leaveSpace: return 0x05
        case .snapshotsOverTCP: return 0x06
        case .ping: return 0x07
        case .goodbye: return 0x08
        case .input: return 0x09
        case .reportBug: return 0x0A
        case .chat: return 0x0B
        case .reportUser: return 0x0C
        case .block: return 0x0D
        case .listBlocks: return 0x0E
        case .staff: return 0x0F
        case .openRoom: return 0x10
        case .enterRoom: return 0x11
        case .listRooms: return 0x12
        case .deskDuty: return 0x13
        case .joinQueue: return 0x14
        case .leaveQueue: return 0x15
        case .takeNext: return 0x16
        case .endSession: return 0x17
        case .listDesks: return 0x18
        case .taxCalculate: return 0x19
        case .taxAsk: return 0x1A
        case .listNotices: return 0x1B
        case .readNotice: return 0x1C
        case .postNotice: return 0x1D
        case .withdrawNotice: return 0x1E
        case .fileSuggestion: return 0x1F
        case .listSuggestions: return 0x20
        case .readSuggestion: return 0x21
        case .handleSuggestion: return 0x22
        case .listInbox: return 0x23
        case .readInbox: return 0x24
        case .setLanguage: return 0x25
        case .askPlace: return 0x26
        case .readGuide: return 0x27
        case .acceptEthics: return 0x28
        case .tutorialStep: return 0x29
        case .docentDuty: return 0x2A
        case .listOnDuty: return 0x2B
        case .authenticateTicket: return 0x2C
        case .listSpaces: return 0x2D
        }
    }

    /// The frame body: type byte, then payload.
    public func encode() -> [UInt8] {
        var w = ByteWriter()
        w.u8(type)
        switch self {
        case .hello(let id, let version):
            w.u32(id)
            w.u16(version)
        case .authenticateGuest(let name): w.string8(name)
        case .authenticateMember(let token), .authenticateTicket(let token):
            w.u16(UInt16(token.count))
            w.raw(token)
        case .enterSpace(let request, let space):
            w.u32(request)
            w.string8(space)
        case .leaveSpace(let request): w.u32(request)
        case .snapshotsOverTCP(let on): w.u8(on ? 1 : 0)
        case .ping(let t): w.u64(t)
        case .goodbye: break
        case .input(let body): body.encode(&w)
        case .reportBug(let request, let text):
            w.u32(request)
            w.string16(text)
        case .chat(let request, let to, let text):
            w.u32(request)
            to.encode(&w)
            w.string16(text)
        case .reportUser(let request, let entity, let reason, let text):
            w.u32(request)
            w.u32(entity)
            w.u8(reason.rawValue)
            w.string16(text)
        case .block(let request, let subject, let on):
            w.u32(request)
            subject.encode(&w)
            w.u8(on ? 1 : 0)
        case .listBlocks(let request): w.u32(request)
        case .staff(let request, let action, let subject, let seconds, let reason):
            w.u32(request)
            w.u8(action.rawValue)
            subject.encode(&w)
            w.u32(seconds)
            w.string16(reason)
        case .openRoom(let request, let template, let title, let access):
            w.u32(request)
            w.string8(template)
            w.string8(title)
            access.encode(&w)
        case .enterRoom(let request, let room, let code):
            w.u32(request)
            w.u32(room)
            w.string8(code)
        case .listRooms(let request, let offset):
            w.u32(request)
            w.u16(offset)
        case .deskDuty(let request, let desk, let on, let field):
            w.u32(request)
            w.string8(desk)
            w.u8(on ? 1 : 0)
            w.string8(field)
        case .joinQueue(let request, let desk, let field):
            w.u32(request)
            w.string8(desk)
            w.string8(field)
        case .leaveQueue(let request, let desk), .takeNext(let request, let desk):
            w.u32(request)
            w.string8(desk)
        case .endSession(let request), .listDesks(let request), .listOnDuty(let request), .listSpaces(let request): w.u32(request)
        case .docentDuty(let request, let space, let on):
            w.u32(request)
            w.string8(space)
            w.u8(on ? 1 : 0)
        case .taxCalculate(let request, let tax, let fields):
            precondition(fields.count <= TaxWire.fieldsMax)
            w.u32(request)
            w.u8(tax)
            w.u8(UInt8(fields.count))
            for f in fields {
                w.string8(f.name)
                w.string8(f.value)
            }
        case .taxAsk(let request, let question):
            w.u32(request)
            w.string16(question)
        case .listNotices(let request, let offset):
            w.u32(request)
            w.u16(offset)
        case .readNotice(let request, let notice), .withdrawNotice(let request, let notice):
            w.u32(request)
            w.u64(notice)
        case .postNotice(let request, let draft):
            w.u32(request)
            draft.encode(&w)
        case .fileSuggestion(let request, let filing):
            w.u32(request)
            filing.encode(&w)
        case .listSuggestions(let request, let scope, let offset):
            w.u32(request)
            w.u8(scope.rawValue)
            w.u16(offset)
        case .readSuggestion(let request, let id), .readInbox(let request, let id):
            w.u32(request)
            w.u64(id)
        case .handleSuggestion(let request, let id, let action, let text):
            w.u32(request)
            w.u64(id)
            w.u8(action.rawValue)
            w.string16(text)
        case .listInbox(let request, let offset):
            w.u32(request)
            w.u16(offset)
        case .setLanguage(let request, let text), .askPlace(let request, let text), .acceptEthics(let request, let text), .tutorialStep(let request, let text):
            w.u32(request)
            w.string8(text)
        case .readGuide(let request, let part):
            w.u32(request)
            w.u8(part.rawValue)
        }
        return w.bytes
    }

    public static func decode(_ body: [UInt8]) throws(WireError) -> ClientMessage {
        var r = ByteReader(body)
        let type = try r.u8()
        let message: ClientMessage
        switch type {
        case 0x01:
            let id = try r.u32()
            message = .hello(protocolID: id, version: try r.u16())
        case 0x02:
            let name = try r.string8("displayName", maximum: WireProtocol.displayNameBytesMax)
            guard !name.isEmpty else { throw .invalid(field: "displayName", reason: "is empty") }
            message = .authenticateGuest(displayName: name)
        case 0x03:
            let n = Int(try r.u16())
            guard (1...WireProtocol.tokenBytesMax).contains(n) else { throw .invalid(field: "token", reason: "\(n) bytes; 1 to \(WireProtocol.tokenBytesMax) allowed") }
            message = .authenticateMember(token: try r.raw(n))
        case 0x04:
            let request = try r.u32()
            message = .enterSpace(requestID: request, spaceID: try r.string8("spaceID", maximum: WireProtocol.spaceIDBytesMax))
        case 0x05: message = .leaveSpace(requestID: try r.u32())
        case 0x06:
            let v = try r.flag("snapshotsOverTCP")
            message = .snapshotsOverTCP(v)
        case 0x07: message = .ping(clientTimeMicros: try r.u64())
        case 0x08: message = .goodbye
        case 0x09: message = .input(try InputBody.decode(&r))
        case 0x0A:
            let request = try r.u32()
            let text = try r.string16("description", maximum: WireProtocol.bugReportBytesMax)
            let characters = text.count
            guard (1...WireProtocol.bugReportCharactersMax).contains(characters) else {
                throw .invalid(field: "description", reason: "\(characters) characters; 1 to \(WireProtocol.bugReportCharactersMax) allowed")
            }
            message = .reportBug(requestID: request, description: text)
        case 0x0B:
            let request = try r.u32()
            let to = try ChatTarget.decode(&r)
            message = .chat(requestID: request, to: to, text: try r.string16("text", maximum: WireProtocol.chatTextBytesMax))
        case 0x0C:
            let request = try r.u32(), entity = try r.u32()
            let raw = try r.u8()
            guard let reason = ReportReasonCode(rawValue: raw) else { throw .invalid(field: "reason", reason: "\(raw) is not 0 to 4") }
            let text = try r.string16("description", maximum: WireProtocol.userReportBytesMax)
            let characters = text.count
            guard characters <= WireProtocol.userReportCharactersMax else {
                throw .invalid(field: "description", reason: "\(characters) characters; at most \(WireProtocol.userReportCharactersMax) allowed")
            }
            message = .reportUser(requestID: request, entity: entity, reason: reason, description: text)
        case 0x0D:
            let request = try r.u32()
            let subject = try Subject.decode(&r, allowReport: false)
            let on = try r.flag("block.on")
            message = .block(requestID: request, subject: subject, on: on)
        case 0x0E: message = .listBlocks(requestID: try r.u32())
        case 0x0F:
            let request = try r.u32()
            let raw = try r.u8()
            guard let action = StaffAction(rawValue: raw) else { throw .invalid(field: "staff.action", reason: "\(raw) is not 0 to 6") }
            let subject = try Subject.decode(&r, allowReport: true)
            let seconds = try r.u32()
            message = .staff(requestID: request, action: action, subject: subject, seconds: seconds,
                             reason: try r.string16("reason", maximum: WireProtocol.staffReasonBytesMax))
        case 0x10:
            let request = try r.u32()
            let template = try r.string8("template", maximum: WireProtocol.spaceIDBytesMax)
            let title = try r.string8("title", maximum: WireProtocol.roomTitleBytesMax)
            message = .openRoom(requestID: request, template: template, title: title, access: try RoomAccessRule.decode(&r))
        case 0x11:
            let request = try r.u32(), room = try r.u32()
            message = .enterRoom(requestID: request, roomID: room, code: try r.string8("code", maximum: WireProtocol.roomCodeBytesMax))
        case 0x12:
            let request = try r.u32()
            message = .listRooms(requestID: request, offset: try r.u16())
        case 0x13:
            let request = try r.u32()
            let desk = try r.string8("desk", maximum: WireProtocol.spaceIDBytesMax)
            let on = try r.flag("duty.on")
            message = .deskDuty(requestID: request, desk: desk, on: on, field: try r.string8("field", maximum: WireProtocol.spaceIDBytesMax))
        case 0x14:
            let request = try r.u32()
            let desk = try r.string8("desk", maximum: WireProtocol.spaceIDBytesMax)
            message = .joinQueue(requestID: request, desk: desk, field: try r.string8("field", maximum: WireProtocol.spaceIDBytesMax))
        case 0x15:
            let request = try r.u32()
            message = .leaveQueue(requestID: request, desk: try r.string8("desk", maximum: WireProtocol.spaceIDBytesMax))
        case 0x16:
            let request = try r.u32()
            message = .takeNext(requestID: request, desk: try r.string8("desk", maximum: WireProtocol.spaceIDBytesMax))
        case 0x17: message = .endSession(requestID: try r.u32())
        case 0x18: message = .listDesks(requestID: try r.u32())
        case 0x19:
            let request = try r.u32()
            let tax = try r.u8()
            guard tax <= 2 else { throw .invalid(field: "tax", reason: "\(tax) is not 0 (car), 1 (property) or 2 (acquisition)") }
            let count = Int(try r.u8())
            guard count <= TaxWire.fieldsMax else { throw .invalid(field: "fields", reason: "\(count); at most \(TaxWire.fieldsMax)") }
            var fields: [TaxField] = []
            for _ in 0..<count {
                let name = try r.string8("field.name", maximum: TaxWire.fieldNameBytesMax)
                fields.append(TaxField(name: name, value: try r.string8("field.value", maximum: TaxWire.fieldValueBytesMax)))
            }
            message = .taxCalculate(requestID: request, tax: tax, fields: fields)
        case 0x1A:
            let request = try r.u32()
            message = .taxAsk(requestID: request, question: try r.string16("question", maximum: TaxWire.questionBytesMax))
        case 0x1B:
            let request = try r.u32()
            message = .listNotices(requestID: request, offset: try r.u16())
        case 0x1C:
            let request = try r.u32()
            message = .readNotice(requestID: request, notice: try r.u64())
        case 0x1D:
            let request = try r.u32()
            message = .postNotice(requestID: request, try NoticeDraftBody.decode(&r))
        case 0x1E:
            let request = try r.u32()
            message = .withdrawNotice(requestID: request, notice: try r.u64())
        case 0x1F:
            let request = try r.u32()
            message = .fileSuggestion(requestID: request, try SuggestionFiling.decode(&r))
        case 0x20:
            let request = try r.u32()
            let raw = try r.u8()
            guard let scope = SuggestionScope(rawValue: raw) else { throw .invalid(field: "suggestions.scope", reason: "\(raw) is not 0 (mine), 1 (queue) or 2 (answered)") }
            message = .listSuggestions(requestID: request, scope: scope, offset: try r.u16())
        case 0x21:
            let request = try r.u32()
            message = .readSuggestion(requestID: request, id: try r.u64())
        case 0x22:
            let request = try r.u32(), id = try r.u64()
            let raw = try r.u8()
            guard let action = SuggestionAction(rawValue: raw) else { throw .invalid(field: "suggestion.action", reason: "\(raw) is not 0 (take), 1 (answer) or 2 (close)") }
            message = .handleSuggestion(requestID: request, id: id, action: action, text: try r.string16("suggestion.text", maximum: CivicWire.textBytesMax))
        case 0x23:
            let request = try r.u32()
            message = .listInbox(requestID: request, offset: try r.u16())
        case 0x24:
            let request = try r.u32()
            message = .readInbox(requestID: request, id: try r.u64())
        case 0x25:
            let request = try r.u32()
            message = .setLanguage(requestID: request, language: try r.string8("language", maximum: PlaceWire.languageBytesMax))
        case 0x26:
            let request = try r.u32()
            message = .askPlace(requestID: request, place: try r.string8("place", maximum: WireProtocol.spaceIDBytesMax))
        case 0x27:
            let request = try r.u32()
            let raw = try r.u8()
            guard let part = GuidePart(rawValue: raw) else { throw .invalid(field: "guide.part", reason: "\(raw) is not 0 (ethics code) or 1 (tutorial)") }
            message = .readGuide(requestID: request, part: part)
        case 0x28:
            let request = try r.u32()
            message = .acceptEthics(requestID: request, version: try r.string8("version", maximum: GuideWire.versionBytesMax))
        case 0x29:
            let request = try r.u32()
            message = .tutorialStep(requestID: request, step: try r.string8("step", maximum: WireProtocol.spaceIDBytesMax))
        case 0x2A:
            let request = try r.u32()
            let space = try r.string8("space", maximum: WireProtocol.spaceIDBytesMax)
            let on = try r.flag("duty.on")
            message = .docentDuty(requestID: request, space: space, on: on)
        case 0x2B: message = .listOnDuty(requestID: try r.u32())
        case 0x2C:
            let n = Int(try r.u16())
            guard (1...WireProtocol.tokenBytesMax).contains(n) else { throw .invalid(field: "ticket", reason: "\(n) bytes; 1 to \(WireProtocol.tokenBytesMax) allowed") }
            message = .authenticateTicket(ticket: try r.raw(n))
        case 0x2D: message = .listSpaces(requestID: try r.u32())
        default: throw .unknownType(type)
        }
        try r.finish()
        return message
    }
}
