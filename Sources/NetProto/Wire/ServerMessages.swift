// The TCP control channel, server to client (PROTOCOL.md, section 4.2).
// docs/PROTOCOL.md is the specification; this file must say the same, byte for byte.
// Encoding is canonical: each value has exactly one encoding, so a decoder may re-encode
// what it decoded and compare. Decoders check every length and range before using it, and
// throw `WireError` on anything else.

public struct SpaceEntry: Hashable, Sendable {
    public var id: String
    /// 0 public (reachable from the world map), 1 room template.
    public var kind: UInt8

    public init(id: String, kind: UInt8) {
        self.id = id
        self.kind = kind
    }
}

public struct Welcome: Hashable, Sendable {
    public var sessionID: UInt64
    public var udpSecret: [UInt8]
    public var tickRateHertz: UInt16
    /// 0 guest, 1 member.
    public var role: UInt8
    public var displayName: String
    public var spaces: [SpaceEntry]

    public init(sessionID: UInt64, udpSecret: [UInt8], tickRateHertz: UInt16, role: UInt8, displayName: String, spaces: [SpaceEntry]) {
        self.sessionID = sessionID
        self.udpSecret = udpSecret
        self.tickRateHertz = tickRateHertz
        self.role = role
        self.displayName = displayName
        self.spaces = spaces
    }
}

public enum ServerMessage: Hashable, Sendable {
    case helloOK(version: UInt16)
    case welcome(Welcome)
    case entered(requestID: UInt32, spaceID: String, entity: UInt32, x: Int32, y: Int32, floor: UInt8)
    case left(requestID: UInt32)
    case error(code: ErrorCode, requestID: UInt32, text: String)
    case names([(entity: UInt32, name: String, badge: StaffBadge)])
    case shuttingDown(seconds: UInt16, text: String)
    case pong(clientTimeMicros: UInt64, serverTick: UInt64)
    case snapshot([UInt8])
    /// The bug report is stored (committed) under this id.
    case bugReportFiled(requestID: UInt32, reportID: UInt64)
    /// A chat message delivered to this client. `senderEntity` is 0 when the sender is not in
    /// this client's space; `serverTimeMillis` is Unix time in milliseconds.
    case chat(channel: ChatChannel, senderEntity: UInt32, senderName: String, serverTimeMillis: UInt64, text: String)
    /// The sender's chat message went out to `recipients` clients as `text` (masked when `filtered`).
    case chatSent(requestID: UInt32, filtered: Bool, recipients: UInt32, text: String)
    /// The user report is stored (committed) under this id.
    case userReportFiled(requestID: UInt32, reportID: UInt64)
    case blockList(requestID: UInt32, accounts: [String])
    /// A block, an unblock or a staff action is done (and committed, where the server keeps records).
    case done(requestID: UInt32)
    case notice(kind: NoticeKind, untilUnixMillis: UInt64, text: String)
    /// The room is open under this id; an `entered` for its space ("room-<id>") follows.
    case roomOpened(requestID: UInt32, roomID: UInt32, spaceID: String)
    /// Listed rooms from `offset`, of `total`.
    case roomList(requestID: UInt32, total: UInt16, offset: UInt16, rooms: [RoomEntry])
    /// Where this client stands in a desk's queue: pushed on joining and at every change.
    /// `estimateSeconds` is `unknownEstimate` when nobody serves the queue now.
    case queueStanding(desk: String, position: UInt16, estimateSeconds: UInt32)
    case queueEnded(desk: String, reason: QueueEndReason, text: String)
    /// A 1:1 session begins in room `roomID` with the named counterpart; an `entered` follows.
    case sessionStarted(desk: String, roomID: UInt32, counterpart: String, field: String)
    /// The session ended; `left` and an `entered` back where this client was follow.
    case sessionEnded(desk: String, text: String)
    case deskList(requestID: UInt32, desks: [DeskEntry])
    /// A calculation's working, to the won (the answer to `taxCalculate`).
    case taxWorking(requestID: UInt32, TaxWorkingBody)
    /// The FAQ bot's answer, or that it does not know and where to ask (the answer to `taxAsk`).
    case taxAnswer(requestID: UInt32, TaxAnswerBody)
    /// How many notices are shown to this client in `space` (empty: the whole city's, before
    /// entering any), and how many of them its account has not read: after `welcome`, and
    /// after entering a space that shows notices.
    case noticeCount(space: String, shown: UInt16, unread: UInt16)
    /// A page of the notices shown, from `offset`, of `total` (the answer to `listNotices`).
    case noticeList(requestID: UInt32, total: UInt16, offset: UInt16, notices: [NoticeSummary])
    /// A notice whole (the answer to `readNotice`).
    case noticeText(requestID: UInt32, NoticeSummary, bodyKo: String, bodyEn: String)
    /// The editor's notice is committed under this id (the answer to `postNotice`).
    case noticeStored(requestID: UInt32, notice: UInt64)
    /// A notice for this client's space (or the whole city) starts showing now.
    case noticeShown(NoticeSummary)
    /// A notice this client may have been shown was withdrawn.
    case noticeWithdrawn(notice: UInt64)
    /// The suggestion is kept under this id and tracking number (the answer to `fileSuggestion`).
    case suggestionFiled(requestID: UInt32, id: UInt64, trackingNumber: String)
    case suggestionList(requestID: UInt32, scope: SuggestionScope, offset: UInt16, suggestions: [SuggestionSummary])
    /// A suggestion whole (the answer to `readSuggestion`, and to `handleSuggestion` once committed).
    case suggestionText(requestID: UInt32, SuggestionText)
    /// The member's inbox: messages kept and unread (after `welcome`).
    case inboxCount(total: UInt16, unread: UInt16)
    case inboxList(requestID: UInt32, total: UInt16, unread: UInt16, offset: UInt16, entries: [InboxEntry])
    /// A message whole: the answer to `readInbox`, or (request 0) pushed as it arrives.
    case inboxItem(requestID: UInt32, InboxEntry)
    /// The points of interest of the space just entered (`part` of `parts`, each at most 32),
    /// named in `language`.
    case pointsOfInterest(space: String, language: String, part: UInt8, parts: UInt8, places: [PlaceEntry])
    /// A point of interest's name and text in `language` (the answer to `askPlace`).
    case placeText(requestID: UInt32, place: String, language: String, name: String, text: String)
    /// The ethics code or the tutorial (the answer to `readGuide`).
    case guideText(requestID: UInt32, GuideText)
    /// This member has not accepted the current version of the ethics code (after `welcome`).
    case ethicsRequired(version: String, title: String)
    /// The spaces with staff on duty now, for the world map (answers `listOnDuty`).
    case onDutyList(requestID: UInt32, entries: [OnDutyEntry])
    /// The answer to `enterSpace` for a space another node hosts (PROTOCOL.md 7.19): connect to
    /// `host`:`port` and authenticate with `ticket` there. The session has left its space here.
    case handOver(requestID: UInt32, spaceID: String, node: String, host: String, port: UInt16, ticket: [UInt8])
    /// The answer to `listSpaces`: every space instance of the city, cluster-wide.
    case spaceList(requestID: UInt32, spaces: [SpaceListEntry])
    /// A ticket to come back with if the connection drops (PROTOCOL.md 7.20): good on any node
    /// listed in `nodes` (`host:port`), for `validSeconds` from now, once.
    case resumeTicket(validSeconds: UInt16, ticket: [UInt8], nodes: [String])

    public var type: UInt8 {
        switch self {
        case .helloOK: return 0x41
        case .welcome: return 0x42
        case .entered: return 0x43
        case .left: return 0x44
        case .error: return 0x45
        case .names: return 0x46
        case .shuttingDown: return 0x47
        case .pong: return 0x48
        case .snapshot: return 0x49
        case .bugReportFiled: return 0x4A
        case .chat: return 0x4B
        case .chatSent: return 0x4C
        case .userReportFiled: return 0x4D
        case .blockList: return 0x4E
        case .done: return 0x4F
        case .notice: return 0x50
        case .roomOpened: return 0x51
        case .roomList: return 0x52
        case .queueStanding: return 0x53
        case .queueEnded: return 0x54
        case .sessionStarted: return 0x55
        case .sessionEnded: return 0x56
        case .deskList: return 0x57
        case .taxWorking: return 0x58
        case .taxAnswer: return 0x59
        case .noticeCount: return 0x5A
        case .noticeList: return 0x5B
        case .noticeText: return 0x5C
        case .noticeStored: return 0x5D
        case .noticeShown: return 0x5E
        case .noticeWithdrawn: return 0x5F
        case .suggestionFiled: return 0x60
        case .suggestionList: return 0x61
        case .suggestionText: return 0x62
        case .inboxCount: return 0x63
        case .inboxList: return 0x64
        case .inboxItem: return 0x65
        case .pointsOfInterest: return 0x66
        case .placeText: return 0x67
        case .guideText: return 0x68
        case .ethicsRequired: return 0x69
        case .onDutyList: return 0x6A
        case .handOver: return 0x6B
        case .spaceList: return 0x6C
        case .resumeTicket: return 0x6D
        }
    }

    public func encode() -> [UInt8] {
        var w = ByteWriter()
        w.u8(type)
        switch self {
        case .helloOK(let version): w.u16(version)
        case .welcome(let m):
            precondition(m.udpSecret.count == WireProtocol.udpSecretBytes)
            w.u64(m.sessionID)
            w.raw(m.udpSecret)
            w.u16(m.tickRateHertz)
            w.u8(m.role)
            w.string8(m.displayName)
            w.u16(UInt16(m.spaces.count))
            for s in m.spaces {
                w.string8(s.id)
                w.u8(s.kind)
            }
        case .entered(let request, let space, let entity, let x, let y, let floor):
            w.u32(request)
            w.string8(space)
            w.u32(entity)
            w.i32(x)
            w.i32(y)
            w.u8(floor)
        case .left(let request): w.u32(request)
        case .error(let code, let request, let text):
            w.u16(code.rawValue)
            w.u32(request)
            w.string16(clipped(text, bytes: WireProtocol.errorTextBytesMax))
        case .names(let entries):
            w.u8(UInt8(entries.count))
            for e in entries {
                w.u32(e.entity)
                w.string8(e.name)
                w.u8(e.badge.rawValue)
            }
        case .shuttingDown(let seconds, let text):
            w.u16(seconds)
            w.string16(text)
        case .pong(let t, let tick):
            w.u64(t)
            w.u64(tick)
        case .snapshot(let body): w.raw(body)
        case .bugReportFiled(let request, let id), .userReportFiled(let request, let id):
            w.u32(request)
            w.u64(id)
        case .chat(let channel, let entity, let name, let time, let text):
            w.u8(channel.rawValue)
            w.u32(entity)
            w.string8(name)
            w.u64(time)
            w.string16(text)
        case .chatSent(let request, let filtered, let recipients, let text):
            w.u32(request)
            w.u8(filtered ? 1 : 0)
            w.u32(recipients)
            w.string16(text)
        case .blockList(let request, let accounts):
            precondition(accounts.count <= WireProtocol.blockListMax)
            w.u32(request)
            w.u16(UInt16(accounts.count))
            for a in accounts { w.string8(a) }
        case .done(let request): w.u32(request)
        case .notice(let kind, let until, let text):
            w.u8(kind.rawValue)
            w.u64(until)
            w.string16(clipped(text, bytes: WireProtocol.errorTextBytesMax))
        case .roomOpened(let request, let room, let space):
            w.u32(request)
            w.u32(room)
            w.string8(space)
        case .roomList(let request, let total, let offset, let rooms):
            precondition(rooms.count <= WireProtocol.roomsPerListMax)
            w.u32(request)
            w.u16(total)
            w.u16(offset)
            w.u8(UInt8(rooms.count))
            for room in rooms {
                w.u32(room.roomID)
                w.string8(room.template)
                w.string8(room.title)
                w.u16(room.population)
                w.u16(room.capacity)
            }
        case .queueStanding(let desk, let position, let estimate):
            w.string8(desk)
            w.u16(position)
            w.u32(estimate)
        case .queueEnded(let desk, let reason, let text):
            w.string8(desk)
            w.u8(reason.rawValue)
            w.string16(clipped(text, bytes: WireProtocol.errorTextBytesMax))
        case .sessionStarted(let desk, let room, let counterpart, let field):
            w.string8(desk)
            w.u32(room)
            w.string8(counterpart)
            w.string8(field)
        case .sessionEnded(let desk, let text):
            w.string8(desk)
            w.string16(clipped(text, bytes: WireProtocol.errorTextBytesMax))
        case .deskList(let request, let desks):
            precondition(desks.count <= WireProtocol.desksMax)
            w.u32(request)
            w.u8(UInt8(desks.count))
            for d in desks {
                w.string8(d.desk)
                w.u8(d.open ? 1 : 0)
                w.u16(d.serving)
                w.u16(d.waiting)
                w.u64(d.nextOpeningUnixMillis)
            }
        case .taxWorking(let request, let body):
            w.u32(request)
            body.encode(&w)
        case .taxAnswer(let request, let body):
            w.u32(request)
            body.encode(&w)
        case .noticeCount(let space, let shown, let unread):
            w.string8(space)
            w.u16(shown)
            w.u16(unread)
        case .noticeList(let request, let total, let offset, let notices):
            precondition(notices.count <= NoticeWire.pageMax)
            w.u32(request)
            w.u16(total)
            w.u16(offset)
            w.u8(UInt8(notices.count))
            for n in notices { n.encode(&w) }
        case .noticeText(let request, let summary, let ko, let en):
            w.u32(request)
            summary.encode(&w)
            w.string16(ko)
            w.string16(en)
        case .noticeStored(let request, let notice):
            w.u32(request)
            w.u64(notice)
        case .noticeShown(let summary): summary.encode(&w)
        case .noticeWithdrawn(let notice): w.u64(notice)
        case .suggestionFiled(let request, let id, let tracking):
            w.u32(request)
            w.u64(id)
            w.string8(tracking)
        case .suggestionList(let request, let scope, let offset, let list):
            precondition(list.count <= CivicWire.pageMax)
            w.u32(request)
            w.u8(scope.rawValue)
            w.u16(offset)
            w.u8(UInt8(list.count))
            for s in list { s.encode(&w) }
        case .suggestionText(let request, let text):
            w.u32(request)
            text.encode(&w)
        case .inboxCount(let total, let unread):
            w.u16(total)
            w.u16(unread)
        case .inboxList(let request, let total, let unread, let offset, let entries):
            precondition(entries.count <= CivicWire.pageMax)
            w.u32(request)
            w.u16(total)
            w.u16(unread)
            w.u16(offset)
            w.u8(UInt8(entries.count))
            for e in entries { e.encode(&w) }
        case .inboxItem(let request, let entry):
            w.u32(request)
            entry.encode(&w)
        case .pointsOfInterest(let space, let language, let part, let parts, let places):
            precondition(places.count <= PlaceWire.perMessageMax && part < parts)
            w.string8(space)
            w.string8(language)
            w.u8(part)
            w.u8(parts)
            w.u8(UInt8(places.count))
            for p in places { p.encode(&w) }
        case .placeText(let request, let place, let language, let name, let text):
            w.u32(request)
            w.string8(place)
            w.string8(language)
            w.string16(name)
            w.string16(text)
        case .guideText(let request, let text):
            w.u32(request)
            text.encode(&w)
        case .ethicsRequired(let version, let title):
            w.string8(version)
            w.string16(title)
        case .handOver(let request, let space, let node, let host, let port, let ticket):
            precondition(ticket.count <= WireProtocol.tokenBytesMax)
            w.u32(request)
            w.string8(space)
            w.string8(node)
            w.string8(host)
            w.u16(port)
            w.u16(UInt16(ticket.count))
            w.raw(ticket)
        case .resumeTicket(let seconds, let ticket, let nodes):
            precondition(ticket.count <= WireProtocol.tokenBytesMax && nodes.count <= WireProtocol.resumeNodesMax)
            w.u16(seconds)
            w.u16(UInt16(ticket.count))
            w.raw(ticket)
            w.u8(UInt8(nodes.count))
            for n in nodes { w.string8(n) }
        case .spaceList(let request, let spaces):
            precondition(spaces.count <= WireProtocol.spacesMax)
            w.u32(request)
            w.u16(UInt16(spaces.count))
            for e in spaces {
                w.string8(e.space)
                w.u16(e.instance)
                w.string8(e.node)
                w.u8(e.here ? 1 : 0)
                w.u32(e.population)
                w.u32(e.capacity)
            }
        case .onDutyList(let request, let entries):
            precondition(entries.count <= WireProtocol.desksMax)
            w.u32(request)
            w.u8(UInt8(entries.count))
            for e in entries {
                w.string8(e.space)
                w.u16(e.deskStaff)
                w.u16(e.docents)
            }
        }
        return w.bytes
    }

    public static func decode(_ body: [UInt8]) throws(WireError) -> ServerMessage {
        var r = ByteReader(body)
        let type = try r.u8()
        let message: ServerMessage
        switch type {
        case 0x41: message = .helloOK(version: try r.u16())
        case 0x42:
            let session = try r.u64()
            let secret = try r.raw(WireProtocol.udpSecretBytes)
            let rate = try r.u16()
            let role = try r.u8()
            guard role <= 2 else { throw .invalid(field: "role", reason: "\(role) is not 0 (guest), 1 (member) or 2 (spectator)") }
            let name = try r.string8("displayName", maximum: WireProtocol.displayNameBytesMax)
            let count = Int(try r.u16())
            guard count <= WireProtocol.spacesMax else { throw .invalid(field: "spaces", reason: "\(count); at most \(WireProtocol.spacesMax)") }
            var spaces: [SpaceEntry] = []
            for _ in 0..<count {
                let id = try r.string8("space.id", maximum: WireProtocol.spaceIDBytesMax)
                let kind = try r.u8()
                guard kind <= 1 else { throw .invalid(field: "space.kind", reason: "\(kind) is not 0 or 1") }
                spaces.append(SpaceEntry(id: id, kind: kind))
            }
            message = .welcome(Welcome(sessionID: session, udpSecret: secret, tickRateHertz: rate, role: role, displayName: name, spaces: spaces))
        case 0x43:
            let request = try r.u32()
            let space = try r.string8("spaceID", maximum: WireProtocol.spaceIDBytesMax)
            let entity = try r.u32(), x = try r.i32(), y = try r.i32(), floor = try r.u8()
            message = .entered(requestID: request, spaceID: space, entity: entity, x: x, y: y, floor: floor)
        case 0x44: message = .left(requestID: try r.u32())
        case 0x45:
            let raw = try r.u16()
            guard let code = ErrorCode(rawValue: raw) else { throw .invalid(field: "error.code", reason: "\(raw) is not a known code") }
            let request = try r.u32()
            message = .error(code: code, requestID: request, text: try r.string16("error.text", maximum: WireProtocol.errorTextBytesMax))
        case 0x46:
            let count = Int(try r.u8())
            guard count <= WireProtocol.namesPerMessageMax else { throw .invalid(field: "names", reason: "\(count); at most \(WireProtocol.namesPerMessageMax)") }
            var entries: [(UInt32, String, StaffBadge)] = []
            for _ in 0..<count {
                let entity = try r.u32()
                let name = try r.string8("name", maximum: WireProtocol.displayNameBytesMax)
                let raw = try r.u8()
                guard let badge = StaffBadge(rawValue: raw) else { throw .invalid(field: "names.badge", reason: "\(raw) is not 0 to 2") }
                entries.append((entity, name, badge))
            }
            message = .names(entries)
        case 0x47:
            let seconds = try r.u16()
            message = .shuttingDown(seconds: seconds, text: try r.string16("text", maximum: WireProtocol.errorTextBytesMax))
        case 0x48:
            let t = try r.u64()
            message = .pong(clientTimeMicros: t, serverTick: try r.u64())
        case 0x49:
            let rest = try r.raw(r.remaining)
            try SnapshotCodec.validateStructure(rest)
            message = .snapshot(rest)
        case 0x4A:
            let request = try r.u32()
            let id = try r.u64()
            guard id != 0 else { throw .invalid(field: "reportID", reason: "0 is never a report id") }
            message = .bugReportFiled(requestID: request, reportID: id)
        case 0x4B:
            let raw = try r.u8()
            guard let channel = ChatChannel(rawValue: raw) else { throw .invalid(field: "chat.channel", reason: "\(raw) is not 0 to 3") }
            let entity = try r.u32()
            let name = try r.string8("senderName", maximum: WireProtocol.displayNameBytesMax)
            let time = try r.u64()
            message = .chat(channel: channel, senderEntity: entity, senderName: name, serverTimeMillis: time,
                            text: try r.string16("text", maximum: WireProtocol.chatTextBytesMax))
        case 0x4C:
            let request = try r.u32()
            let filtered = try r.flag("filtered")
            let recipients = try r.u32()
            message = .chatSent(requestID: request, filtered: filtered, recipients: recipients,
                                text: try r.string16("text", maximum: WireProtocol.chatTextBytesMax))
        case 0x4D:
            let request = try r.u32()
            let id = try r.u64()
            guard id != 0 else { throw .invalid(field: "reportID", reason: "0 is never a report id") }
            message = .userReportFiled(requestID: request, reportID: id)
        case 0x4E:
            let request = try r.u32()
            let count = Int(try r.u16())
            guard count <= WireProtocol.blockListMax else { throw .invalid(field: "accounts", reason: "\(count); at most \(WireProtocol.blockListMax)") }
            var accounts: [String] = []
            for _ in 0..<count { accounts.append(try r.string8("account", maximum: WireProtocol.accountIDBytesMax)) }
            message = .blockList(requestID: request, accounts: accounts)
        case 0x4F: message = .done(requestID: try r.u32())
        case 0x50:
            let raw = try r.u8()
            guard let kind = NoticeKind(rawValue: raw) else { throw .invalid(field: "notice.kind", reason: "\(raw) is not 0 to 3") }
            let until = try r.u64()
            message = .notice(kind: kind, untilUnixMillis: until, text: try r.string16("text", maximum: WireProtocol.errorTextBytesMax))
        case 0x51:
            let request = try r.u32(), room = try r.u32()
            message = .roomOpened(requestID: request, roomID: room, spaceID: try r.string8("spaceID", maximum: WireProtocol.spaceIDBytesMax))
        case 0x52:
            let request = try r.u32(), total = try r.u16(), offset = try r.u16()
            let count = Int(try r.u8())
            guard count <= WireProtocol.roomsPerListMax else { throw .invalid(field: "rooms", reason: "\(count); at most \(WireProtocol.roomsPerListMax)") }
            var rooms: [RoomEntry] = []
            for _ in 0..<count {
                let id = try r.u32()
                let template = try r.string8("template", maximum: WireProtocol.spaceIDBytesMax)
                let title = try r.string8("title", maximum: WireProtocol.roomTitleBytesMax)
                let population = try r.u16(), capacity = try r.u16()
                rooms.append(RoomEntry(roomID: id, template: template, title: title, population: population, capacity: capacity))
            }
            message = .roomList(requestID: request, total: total, offset: offset, rooms: rooms)
        case 0x53:
            let desk = try r.string8("desk", maximum: WireProtocol.spaceIDBytesMax)
            let position = try r.u16()
            message = .queueStanding(desk: desk, position: position, estimateSeconds: try r.u32())
        case 0x54:
            let desk = try r.string8("desk", maximum: WireProtocol.spaceIDBytesMax)
            let raw = try r.u8()
            guard let reason = QueueEndReason(rawValue: raw) else { throw .invalid(field: "queueEnded.reason", reason: "\(raw) is not 0 to 3") }
            message = .queueEnded(desk: desk, reason: reason, text: try r.string16("text", maximum: WireProtocol.errorTextBytesMax))
        case 0x55:
            let desk = try r.string8("desk", maximum: WireProtocol.spaceIDBytesMax)
            let room = try r.u32()
            let counterpart = try r.string8("counterpart", maximum: WireProtocol.displayNameBytesMax)
            message = .sessionStarted(desk: desk, roomID: room, counterpart: counterpart, field: try r.string8("field", maximum: WireProtocol.spaceIDBytesMax))
        case 0x56:
            let desk = try r.string8("desk", maximum: WireProtocol.spaceIDBytesMax)
            message = .sessionEnded(desk: desk, text: try r.string16("text", maximum: WireProtocol.errorTextBytesMax))
        case 0x57:
            let request = try r.u32()
            let count = Int(try r.u8())
            guard count <= WireProtocol.desksMax else { throw .invalid(field: "desks", reason: "\(count); at most \(WireProtocol.desksMax)") }
            var desks: [DeskEntry] = []
            for _ in 0..<count {
                let id = try r.string8("desk", maximum: WireProtocol.spaceIDBytesMax)
                let open = try r.flag("desk.open")
                let serving = try r.u16(), waiting = try r.u16()
                desks.append(DeskEntry(desk: id, open: open, serving: serving, waiting: waiting, nextOpeningUnixMillis: try r.u64()))
            }
            message = .deskList(requestID: request, desks: desks)
        case 0x58:
            let request = try r.u32()
            message = .taxWorking(requestID: request, try TaxWorkingBody.decode(&r))
        case 0x59:
            let request = try r.u32()
            message = .taxAnswer(requestID: request, try TaxAnswerBody.decode(&r))
        case 0x5A:
            let space = try r.string8("space", maximum: WireProtocol.spaceIDBytesMax)
            let shown = try r.u16(), unread = try r.u16()
            guard unread <= shown else { throw .invalid(field: "noticeCount.unread", reason: "\(unread) is more than the \(shown) shown") }
            message = .noticeCount(space: space, shown: shown, unread: unread)
        case 0x5B:
            let request = try r.u32(), total = try r.u16(), offset = try r.u16()
            let count = Int(try r.u8())
            guard count <= NoticeWire.pageMax else { throw .invalid(field: "notices", reason: "\(count); at most \(NoticeWire.pageMax)") }
            var notices: [NoticeSummary] = []
            for _ in 0..<count { notices.append(try NoticeSummary.decode(&r)) }
            message = .noticeList(requestID: request, total: total, offset: offset, notices: notices)
        case 0x5C:
            let request = try r.u32()
            let summary = try NoticeSummary.decode(&r)
            let ko = try r.string16("notice.bodyKo", maximum: NoticeWire.bodyBytesMax)
            message = .noticeText(requestID: request, summary, bodyKo: ko, bodyEn: try r.string16("notice.bodyEn", maximum: NoticeWire.bodyBytesMax))
        case 0x5D:
            let request = try r.u32()
            let id = try r.u64()
            guard id != 0 else { throw .invalid(field: "notice", reason: "0 is never a notice id") }
            message = .noticeStored(requestID: request, notice: id)
        case 0x5E: message = .noticeShown(try NoticeSummary.decode(&r))
        case 0x5F: message = .noticeWithdrawn(notice: try r.u64())
        case 0x60:
            let request = try r.u32(), id = try r.u64()
            guard id != 0 else { throw .invalid(field: "suggestion.id", reason: "0 is never a suggestion id") }
            message = .suggestionFiled(requestID: request, id: id, trackingNumber: try r.string8("trackingNumber", maximum: CivicWire.trackingBytesMax))
        case 0x61:
            let request = try r.u32()
            let raw = try r.u8()
            guard let scope = SuggestionScope(rawValue: raw) else { throw .invalid(field: "suggestions.scope", reason: "\(raw) is not 0 to 2") }
            let offset = try r.u16()
            let count = Int(try r.u8())
            guard count <= CivicWire.pageMax else { throw .invalid(field: "suggestions", reason: "\(count); at most \(CivicWire.pageMax)") }
            var list: [SuggestionSummary] = []
            for _ in 0..<count { list.append(try SuggestionSummary.decode(&r)) }
            message = .suggestionList(requestID: request, scope: scope, offset: offset, suggestions: list)
        case 0x62:
            let request = try r.u32()
            message = .suggestionText(requestID: request, try SuggestionText.decode(&r))
        case 0x63:
            let total = try r.u16(), unread = try r.u16()
            guard unread <= total else { throw .invalid(field: "inboxCount.unread", reason: "\(unread) is more than the \(total) kept") }
            message = .inboxCount(total: total, unread: unread)
        case 0x64:
            let request = try r.u32(), total = try r.u16(), unread = try r.u16(), offset = try r.u16()
            guard unread <= total else { throw .invalid(field: "inboxList.unread", reason: "\(unread) is more than the \(total) kept") }
            let count = Int(try r.u8())
            guard count <= CivicWire.pageMax else { throw .invalid(field: "entries", reason: "\(count); at most \(CivicWire.pageMax)") }
            var entries: [InboxEntry] = []
            for _ in 0..<count { entries.append(try InboxEntry.decode(&r)) }
            message = .inboxList(requestID: request, total: total, unread: unread, offset: offset, entries: entries)
        case 0x65:
            let request = try r.u32()
            message = .inboxItem(requestID: request, try InboxEntry.decode(&r))
        case 0x66:
            let space = try r.string8("space", maximum: WireProtocol.spaceIDBytesMax)
            let language = try r.string8("language", maximum: PlaceWire.languageBytesMax)
            let part = try r.u8(), parts = try r.u8()
            guard part < parts else { throw .invalid(field: "pointsOfInterest.part", reason: "part \(part) of \(parts)") }
            let count = Int(try r.u8())
            guard count <= PlaceWire.perMessageMax else { throw .invalid(field: "places", reason: "\(count); at most \(PlaceWire.perMessageMax)") }
            var places: [PlaceEntry] = []
            for _ in 0..<count { places.append(try PlaceEntry.decode(&r)) }
            message = .pointsOfInterest(space: space, language: language, part: part, parts: parts, places: places)
        case 0x67:
            let request = try r.u32()
            let place = try r.string8("place", maximum: WireProtocol.spaceIDBytesMax)
            let language = try r.string8("language", maximum: PlaceWire.languageBytesMax)
            let name = try r.string16("place.name", maximum: PlaceWire.nameBytesMax)
            message = .placeText(requestID: request, place: place, language: language, name: name, text: try r.string16("place.text", maximum: PlaceWire.textBytesMax))
        case 0x68:
            let request = try r.u32()
            message = .guideText(requestID: request, try GuideText.decode(&r))
        case 0x69:
            let version = try r.string8("version", maximum: GuideWire.versionBytesMax)
            message = .ethicsRequired(version: version, title: try r.string16("title", maximum: GuideWire.titleBytesMax * 2 + 3))
        case 0x6A:
            let request = try r.u32()
            let count = Int(try r.u8())
            guard count <= WireProtocol.desksMax else { throw .invalid(field: "onDuty", reason: "\(count); at most \(WireProtocol.desksMax)") }
            var entries: [OnDutyEntry] = []
            for _ in 0..<count {
                let space = try r.string8("space", maximum: WireProtocol.spaceIDBytesMax)
                let desk = try r.u16()
                entries.append(OnDutyEntry(space: space, deskStaff: desk, docents: try r.u16()))
            }
            message = .onDutyList(requestID: request, entries: entries)
        case 0x6B:
            let request = try r.u32()
            let space = try r.string8("spaceID", maximum: WireProtocol.spaceIDBytesMax)
            let node = try r.string8("node", maximum: WireProtocol.nodeNameBytesMax)
            let host = try r.string8("host", maximum: WireProtocol.hostBytesMax)
            let port = try r.u16()
            let n = Int(try r.u16())
            guard (1...WireProtocol.tokenBytesMax).contains(n) else { throw .invalid(field: "ticket", reason: "\(n) bytes; 1 to \(WireProtocol.tokenBytesMax) allowed") }
            message = .handOver(requestID: request, spaceID: space, node: node, host: host, port: port, ticket: try r.raw(n))
        case 0x6C:
            let request = try r.u32()
            let count = Int(try r.u16())
            guard count <= WireProtocol.spacesMax else { throw .invalid(field: "spaces", reason: "\(count); at most \(WireProtocol.spacesMax)") }
            var spaces: [SpaceListEntry] = []
            for _ in 0..<count {
                let space = try r.string8("space", maximum: WireProtocol.spaceIDBytesMax)
                let instance = try r.u16()
                let node = try r.string8("node", maximum: WireProtocol.nodeNameBytesMax)
                let here = try r.flag("here")
                let population = try r.u32()
                spaces.append(SpaceListEntry(space: space, instance: instance, node: node, here: here, population: population, capacity: try r.u32()))
            }
            message = .spaceList(requestID: request, spaces: spaces)
        case 0x6D:
            let seconds = try r.u16()
            let n = Int(try r.u16())
            guard (1...WireProtocol.tokenBytesMax).contains(n) else { throw .invalid(field: "ticket", reason: "\(n) bytes; 1 to \(WireProtocol.tokenBytesMax) allowed") }
            let ticket = try r.raw(n)
            let count = Int(try r.u8())
            guard (1...WireProtocol.resumeNodesMax).contains(count) else { throw .invalid(field: "nodes", reason: "\(count); 1 to \(WireProtocol.resumeNodesMax) allowed") }
            var nodes: [String] = []
            for _ in 0..<count { nodes.append(try r.string8("node address", maximum: WireProtocol.hostBytesMax)) }
            message = .resumeTicket(validSeconds: seconds, ticket: ticket, nodes: nodes)
        default: throw .unknownType(type)
        }
        try r.finish()
        return message
    }

    public static func == (a: ServerMessage, b: ServerMessage) -> Bool { a.encode() == b.encode() }
    public func hash(into hasher: inout Hasher) { hasher.combine(encode()) }
}

/// `text` cut to at most `bytes` of UTF-8 at a character boundary, with "…" when cut: an error
/// or notice may quote a staff member's reason, and stays within its limit on the wire.
func clipped(_ text: String, bytes: Int) -> String {
    guard text.utf8.count > bytes else { return text }
    var out = ""
    for c in text {
        if out.utf8.count + c.utf8.count > bytes - 3 { break }
        out.append(c)
    }
    return out + "…"
}
