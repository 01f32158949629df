// Every message of the TCP control channel and every UDP packet, with its exact encoding.
// docs/PROTOCOL.md is the specification; this file must say the same, byte for byte.
//
// Encoding is canonical: each value has exactly one encoding, so a decoder may re-encode
// what it decoded and compare. Decoders check every length and range before using it, and
// throw `WireError` on anything else.

public enum WireProtocol {
    /// "SWLD" as little-endian bytes: 0x53 0x57 0x4C 0x44.
    public static let id: UInt32 = 0x444C_5753
    public static let version: UInt16 = 5
    /// The largest TCP frame body (type byte and payload), in bytes: room for a bug report of
    /// 2,000 characters of Hangul (3 bytes each in UTF-8).
    public static let frameBodyBytesMax = 8_192
    /// The largest UDP packet, in bytes: under the 1,280-byte IPv6 minimum MTU with room for headers.
    public static let packetBytesMax = 1_200
    public static let displayNameBytesMax = 48
    public static let spaceIDBytesMax = 64
    public static let tokenBytesMax = 512
    public static let errorTextBytesMax = 512
    public static let spacesMax = 256
    public static let namesPerMessageMax = 64
    public static let commandsPerInputMax = 4
    public static let udpSecretBytes = 16
    /// A bug report's description: 1 to 2,000 characters (extended grapheme clusters), at most
    /// 8,000 bytes of UTF-8.
    public static let bugReportCharactersMax = 2_000
    public static let bugReportBytesMax = 8_000
    /// A chat message's text on the wire; the server then checks 1 to 200 characters.
    public static let chatTextBytesMax = 2_048
    /// An account id (member tokens hold at most 64 bytes).
    public static let accountIDBytesMax = 64
    /// A user report's description: 0 to 500 characters, at most 2,000 bytes.
    public static let userReportCharactersMax = 500
    public static let userReportBytesMax = 2_000
    /// A staff action's reason: at most 1,000 bytes.
    public static let staffReasonBytesMax = 1_000
    /// Accounts in one block list message.
    public static let blockListMax = 100
    /// Desks in one `deskList` (every desk of a server).
    public static let desksMax = 64
    /// `queueStanding.estimateSeconds` when no estimate can be made (nobody on duty).
    public static let unknownEstimate = UInt32.max
    /// A room's title: at most 180 bytes (the server counts at most 60 characters).
    public static let roomTitleBytesMax = 180
    public static let roomCodeBytesMax = 64
    public static let roomInvitedMax = 32
    /// Rooms in one `roomList` message (ask again with an offset for more).
    public static let roomsPerListMax = 25
    public static let macBytes = 16
    /// A bind request is padded to this size so that the challenge answering it is smaller.
    public static let bindRequestBytes = 32
}

/// Error codes carried by `ServerMessage.error`. Numbers are part of the protocol.
public enum ErrorCode: UInt16, Hashable, Sendable, CaseIterable {
    case protocolMismatch = 1
    case versionMismatch = 2
    case malformedMessage = 3
    case frameTooLarge = 4
    case notAuthenticated = 5
    case authenticationFailed = 6
    case tokenExpired = 7
    case unknownSpace = 8
    case spaceFull = 9
    case noFreeSpot = 10
    case alreadyInSpace = 11
    case notInSpace = 12
    case handshakeTimeout = 13
    case idleTimeout = 14
    case tooSlow = 15
    case shuttingDown = 16
    case guestNotAllowed = 17
    case rateLimited = 18
    case unexpectedMessage = 19
    case internalError = 20
    case spectatorOnly = 21
    case busy = 22
    /// The account is banned; the text says until when.
    case banned = 23
    /// A staff member (or an operator) removed this client; the text says why.
    case kicked = 24
    /// The sender is muted; the text says until when.
    case muted = 25
    /// The request needs a role this client does not have (staff actions).
    case forbidden = 26
    /// No such entity, account or report.
    case unknownTarget = 27
    /// A chat text empty or over 200 characters once normalised.
    case invalidText = 28
    /// A declared limit reached (blocks per account, rooms per member, rooms on the server).
    case limitReached = 29
    /// A room's access rule refuses this client; the text says why (not invited, wrong code,
    /// a role the room does not admit).
    case roomAccessDenied = 30
    /// The desk is closed now; the text says when it opens.
    case deskClosed = 31
}

/// One desk as the world map shows it (`deskList`).
public struct DeskEntry: Hashable, Sendable {
    public var desk: String
    public var open: Bool
    /// Staff on duty now.
    public var serving: UInt16
    public var waiting: UInt16
    /// When it opens next (Unix milliseconds); 0 when open now, or when no opening is known.
    public var nextOpeningUnixMillis: UInt64
    public init(desk: String, open: Bool, serving: UInt16, waiting: UInt16, nextOpeningUnixMillis: UInt64) {
        self.desk = desk
        self.open = open
        self.serving = serving
        self.waiting = waiting
        self.nextOpeningUnixMillis = nextOpeningUnixMillis
    }
}

/// Why a citizen's place in a queue ended (`queueEnded`).
public enum QueueEndReason: UInt8, Hashable, Sendable, CaseIterable {
    /// Taken by staff: a `sessionStarted` follows.
    case served = 0
    case left = 1
    /// Away for longer than the hold (60 s).
    case skipped = 2
    /// The desk closed for the day.
    case closed = 3
}

/// Who may enter a room, on the wire (docs/PROTOCOL.md, section 7.9).
public enum RoomAccessRule: Hashable, Sendable {
    case open
    case invited([String])
    case code(String)

    func encode(_ w: inout ByteWriter) {
        switch self {
        case .open: w.u8(0)
        case .invited(let accounts):
            w.u8(1)
            w.u8(UInt8(accounts.count))
            for a in accounts { w.string8(a) }
        case .code(let code):
            w.u8(2)
            w.string8(code)
        }
    }

    static func decode(_ r: inout ByteReader) throws(WireError) -> RoomAccessRule {
        switch try r.u8() {
        case 0: return .open
        case 1:
            let n = Int(try r.u8())
            guard (1...WireProtocol.roomInvitedMax).contains(n) else { throw .invalid(field: "invited", reason: "\(n) accounts; 1 to \(WireProtocol.roomInvitedMax)") }
            var accounts: [String] = []
            for _ in 0..<n {
                let a = try r.string8("account", maximum: WireProtocol.accountIDBytesMax)
                guard !a.isEmpty else { throw .invalid(field: "account", reason: "is empty") }
                accounts.append(a)
            }
            return .invited(accounts)
        case 2: return .code(try r.string8("code", maximum: WireProtocol.roomCodeBytesMax))
        case let k: throw .invalid(field: "access", reason: "\(k) is not 0 (open), 1 (invited) or 2 (code)")
        }
    }
}

/// One listed room.
public struct RoomEntry: Hashable, Sendable {
    public var roomID: UInt32
    public var template: String
    public var title: String
    public var population: UInt16
    public var capacity: UInt16
    public init(roomID: UInt32, template: String, title: String, population: UInt16, capacity: UInt16) {
        self.roomID = roomID
        self.template = template
        self.title = title
        self.population = population
        self.capacity = capacity
    }
}

/// Where a chat message goes (docs/PROTOCOL.md, section 7.5).
public enum ChatTarget: Hashable, Sendable {
    /// Members on the same floor within the space's chat radius.
    case nearby
    /// Everyone in the sender's room (for now: the sender's space).
    case room
    /// One member, by entity in the sender's space.
    case directEntity(UInt32)
    /// One member, by account, wherever they are.
    case directAccount(String)
    /// Staff only: everyone in the sender's space, or in every space.
    case announceSpace
    case announceAll

    func encode(_ w: inout ByteWriter) {
        switch self {
        case .nearby: w.u8(0)
        case .room: w.u8(1)
        case .directEntity(let e):
            w.u8(2)
            w.u32(e)
        case .directAccount(let a):
            w.u8(3)
            w.string8(a)
        case .announceSpace: w.u8(4)
        case .announceAll: w.u8(5)
        }
    }

    static func decode(_ r: inout ByteReader) throws(WireError) -> ChatTarget {
        switch try r.u8() {
        case 0: return .nearby
        case 1: return .room
        case 2: return .directEntity(try r.u32())
        case 3:
            let a = try r.string8("account", maximum: WireProtocol.accountIDBytesMax)
            guard !a.isEmpty else { throw .invalid(field: "account", reason: "is empty") }
            return .directAccount(a)
        case 4: return .announceSpace
        case 5: return .announceAll
        case let k: throw .invalid(field: "chat.target", reason: "\(k) is not 0 to 5")
        }
    }
}

/// The channel a delivered chat message came by.
public enum ChatChannel: UInt8, Hashable, Sendable, CaseIterable {
    case nearby = 0, room = 1, direct = 2, announcement = 3
}

/// Who a block, a report or a staff action is about.
public enum Subject: Hashable, Sendable {
    case entity(UInt32)
    case account(String)
    case report(UInt64)

    func encode(_ w: inout ByteWriter) {
        switch self {
        case .entity(let e):
            w.u8(0)
            w.u32(e)
        case .account(let a):
            w.u8(1)
            w.string8(a)
        case .report(let id):
            w.u8(2)
            w.u64(id)
        }
    }

    static func decode(_ r: inout ByteReader, allowReport: Bool) throws(WireError) -> Subject {
        switch try r.u8() {
        case 0: return .entity(try r.u32())
        case 1:
            let a = try r.string8("account", maximum: WireProtocol.accountIDBytesMax)
            guard !a.isEmpty else { throw .invalid(field: "account", reason: "is empty") }
            return .account(a)
        case 2 where allowReport:
            let id = try r.u64()
            guard id != 0 else { throw .invalid(field: "report", reason: "0 is never a report id") }
            return .report(id)
        case let k: throw .invalid(field: "subject", reason: "\(k) is not 0 (entity), 1 (account)\(allowReport ? " or 2 (report)" : "")")
        }
    }
}

/// What a staff member does (docs/PROTOCOL.md, section 7.7).
public enum StaffAction: UInt8, Hashable, Sendable, CaseIterable {
    case warn = 0, kick = 1, mute = 2, ban = 3, unban = 4, unmute = 5, resolveReport = 6
}

/// Why a user is reported. The numbers are the protocol's.
public enum ReportReasonCode: UInt8, Hashable, Sendable, CaseIterable {
    case harassment = 0, profanity = 1, spam = 2, inappropriateName = 3, other = 4
}

/// What a `notice` tells its client.
public enum NoticeKind: UInt8, Hashable, Sendable, CaseIterable {
    /// A staff member's warning.
    case warning = 0
    /// Muted until the notice's time (0: for good).
    case muted = 1
    case unmuted = 2
}

/// One movement command inside an input.
public enum WireCommand: Hashable, Sendable {
    case stop
    /// Heading as a binary angle (65,536 per turn, 0 east, counter-clockwise); pace 1 walk, 2 run.
    case go(heading: UInt16, pace: UInt8)
    /// A target in centimetres on the current floor; pace 1 walk, 2 run.
    case walkTo(x: Int32, y: Int32, pace: UInt8)

    func encode(_ w: inout ByteWriter) {
        switch self {
        case .stop: w.u8(0)
        case .go(let heading, let pace):
            w.u8(1)
            w.u16(heading)
            w.u8(pace)
        case .walkTo(let x, let y, let pace):
            w.u8(2)
            w.i32(x)
            w.i32(y)
            w.u8(pace)
        }
    }

    static func decode(_ r: inout ByteReader) throws(WireError) -> WireCommand {
        switch try r.u8() {
        case 0: return .stop
        case 1:
            let heading = try r.u16()
            return .go(heading: heading, pace: try pace(&r))
        case 2:
            let x = try r.i32(), y = try r.i32()
            return .walkTo(x: x, y: y, pace: try pace(&r))
        case let k: throw .invalid(field: "command.kind", reason: "\(k) is not 0 (stop), 1 (go) or 2 (walk to)")
        }
    }

    static func pace(_ r: inout ByteReader) throws(WireError) -> UInt8 {
        let p = try r.u8()
        guard p == 1 || p == 2 else { throw .invalid(field: "command.pace", reason: "\(p) is not 1 (walk) or 2 (run)") }
        return p
    }
}

/// The body of an input, sent over UDP (or over TCP by a client without UDP).
public struct InputBody: Hashable, Sendable {
    /// The newest snapshot tick the client holds (0 before the first).
    public var ackTick: UInt32
    /// The client's clock in milliseconds (mod 65,536), echoed in snapshots for its RTT.
    public var clientTimeMillis: UInt16
    /// The `serverTimeMillis` of the newest snapshot, and how long the client held it, for
    /// the server's RTT.
    public var echoServerTimeMillis: UInt16
    public var holdMillis: UInt16
    /// The sequence number of the first command; commands are newest first, so command i
    /// has sequence `sequence - i`. Resending the last few lets one packet cover losses.
    public var sequence: UInt32
    public var commands: [WireCommand]

    public init(ackTick: UInt32, clientTimeMillis: UInt16, echoServerTimeMillis: UInt16, holdMillis: UInt16, sequence: UInt32, commands: [WireCommand]) {
        self.ackTick = ackTick
        self.clientTimeMillis = clientTimeMillis
        self.echoServerTimeMillis = echoServerTimeMillis
        self.holdMillis = holdMillis
        self.sequence = sequence
        self.commands = commands
    }

    func encode(_ w: inout ByteWriter) {
        precondition((1...WireProtocol.commandsPerInputMax).contains(commands.count))
        w.u32(ackTick)
        w.u16(clientTimeMillis)
        w.u16(echoServerTimeMillis)
        w.u16(holdMillis)
        w.u32(sequence)
        w.u8(UInt8(commands.count))
        for c in commands { c.encode(&w) }
    }

    static func decode(_ r: inout ByteReader) throws(WireError) -> InputBody {
        let ack = try r.u32(), time = try r.u16(), echo = try r.u16(), hold = try r.u16(), sequence = try r.u32()
        let count = Int(try r.u8())
        guard (1...WireProtocol.commandsPerInputMax).contains(count) else {
            throw .invalid(field: "input.count", reason: "\(count) commands; 1 to \(WireProtocol.commandsPerInputMax) allowed")
        }
        guard UInt32(count - 1) <= sequence else { throw .invalid(field: "input.sequence", reason: "\(sequence) is lower than the number of older commands") }
        var commands: [WireCommand] = []
        for _ in 0..<count { commands.append(try WireCommand.decode(&r)) }
        return InputBody(ackTick: ack, clientTimeMillis: time, echoServerTimeMillis: echo, holdMillis: hold, sequence: sequence, commands: commands)
    }
}

/// A round-trip time from 16-bit millisecond clocks: `now - echoed - held`, mod 65,536.
/// Loops cache their clocks, so the result can come out a few milliseconds below zero; that
/// is a round trip under the clocks' resolution and counts as 0. Nil when the result is
/// beyond 30 s (a stale or corrupt echo).
public func roundTripMillis(now: UInt16, echoed: UInt16, held: UInt16) -> UInt16? {
    let raw = Int16(bitPattern: now &- echoed &- held)
    if raw < 0 { return raw > -1_000 ? 0 : nil }
    return raw <= 30_000 ? UInt16(raw) : nil
}

// MARK: TCP control channel

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
        case .authenticateMember(let token):
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
        case .endSession(let request), .listDesks(let request): w.u32(request)
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
            let v = try r.u8()
            guard v <= 1 else { throw .invalid(field: "snapshotsOverTCP", reason: "\(v) is not 0 or 1") }
            message = .snapshotsOverTCP(v == 1)
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
            let on = try r.u8()
            guard on <= 1 else { throw .invalid(field: "block.on", reason: "\(on) is not 0 or 1") }
            message = .block(requestID: request, subject: subject, on: on == 1)
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
            let on = try r.u8()
            guard on <= 1 else { throw .invalid(field: "duty.on", reason: "\(on) is not 0 or 1") }
            message = .deskDuty(requestID: request, desk: desk, on: on == 1, field: try r.string8("field", maximum: WireProtocol.spaceIDBytesMax))
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
        default: throw .unknownType(type)
        }
        try r.finish()
        return message
    }
}

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
    case names([(entity: UInt32, name: String)])
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
            var entries: [(UInt32, String)] = []
            for _ in 0..<count {
                let entity = try r.u32()
                entries.append((entity, try r.string8("name", maximum: WireProtocol.displayNameBytesMax)))
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
            let filtered = try r.u8()
            guard filtered <= 1 else { throw .invalid(field: "filtered", reason: "\(filtered) is not 0 or 1") }
            let recipients = try r.u32()
            message = .chatSent(requestID: request, filtered: filtered == 1, recipients: recipients,
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
            guard let kind = NoticeKind(rawValue: raw) else { throw .invalid(field: "notice.kind", reason: "\(raw) is not 0 to 2") }
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
                let open = try r.u8()
                guard open <= 1 else { throw .invalid(field: "desk.open", reason: "\(open) is not 0 or 1") }
                let serving = try r.u16(), waiting = try r.u16()
                desks.append(DeskEntry(desk: id, open: open == 1, serving: serving, waiting: waiting, nextOpeningUnixMillis: try r.u64()))
            }
            message = .deskList(requestID: request, desks: desks)
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

// MARK: UDP packets

public enum Packet: Hashable, Sendable {
    /// Client to server: "bind this address to my session". Padded with zeros to
    /// `bindRequestBytes`, so that the challenge it earns is smaller than itself.
    case bindRequest(sessionID: UInt64)
    case challenge(sessionID: UInt64, nonce: UInt64)
    case challengeResponse(sessionID: UInt64, nonce: UInt64, mac: [UInt8])
    case bound(sessionID: UInt64)
    case input(sessionID: UInt64, InputBody)
    case snapshot([UInt8])

    public var type: UInt8 {
        switch self {
        case .bindRequest: return 0x81
        case .challenge: return 0x82
        case .challengeResponse: return 0x83
        case .bound: return 0x84
        case .input: return 0x85
        case .snapshot: return 0x86
        }
    }

    public func encode() -> [UInt8] {
        var w = ByteWriter()
        w.u32(WireProtocol.id)
        w.u8(type)
        switch self {
        case .bindRequest(let session):
            w.u64(session)
            w.raw([UInt8](repeating: 0, count: WireProtocol.bindRequestBytes - 13))
        case .challenge(let session, let nonce):
            w.u64(session)
            w.u64(nonce)
        case .challengeResponse(let session, let nonce, let mac):
            precondition(mac.count == WireProtocol.macBytes)
            w.u64(session)
            w.u64(nonce)
            w.raw(mac)
        case .bound(let session): w.u64(session)
        case .input(let session, let body):
            w.u64(session)
            body.encode(&w)
        case .snapshot(let body): w.raw(body)
        }
        precondition(w.bytes.count <= WireProtocol.packetBytesMax, "packet over the maximum size")
        return w.bytes
    }

    public static func decode(_ bytes: [UInt8]) throws(WireError) -> Packet {
        guard bytes.count <= WireProtocol.packetBytesMax else { throw .tooLarge(length: bytes.count, maximum: WireProtocol.packetBytesMax) }
        var r = ByteReader(bytes)
        let id = try r.u32()
        guard id == WireProtocol.id else { throw .invalid(field: "protocolID", reason: "0x\(String(id, radix: 16)) is not SeoulWorld's") }
        let type = try r.u8()
        let packet: Packet
        switch type {
        case 0x81:
            let session = try r.u64()
            let padding = try r.raw(WireProtocol.bindRequestBytes - 13)
            guard padding.allSatisfy({ $0 == 0 }) else { throw .invalid(field: "padding", reason: "not zero") }
            packet = .bindRequest(sessionID: session)
        case 0x82:
            let session = try r.u64()
            packet = .challenge(sessionID: session, nonce: try r.u64())
        case 0x83:
            let session = try r.u64(), nonce = try r.u64()
            packet = .challengeResponse(sessionID: session, nonce: nonce, mac: try r.raw(WireProtocol.macBytes))
        case 0x84: packet = .bound(sessionID: try r.u64())
        case 0x85:
            let session = try r.u64()
            packet = .input(sessionID: session, try InputBody.decode(&r))
        case 0x86:
            let rest = try r.raw(r.remaining)
            try SnapshotCodec.validateStructure(rest)
            packet = .snapshot(rest)
        default: throw .unknownType(type)
        }
        try r.finish()
        return packet
    }
}
