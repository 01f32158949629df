// The fields the city's services put on the wire: chat targets and channels, who a block,
// report or staff action is about, room access rules and listings, desks and queues
// (PROTOCOL.md, sections 4 and 7.5 to 7.10).
// docs/PROTOCOL.md is the specification; this file must say the same, byte for byte.
// Encoding is canonical: each value has exactly one encoding, so a decoder may re-encode
// what it decoded and compare. Decoders check every length and range before using it, and
// throw `WireError` on anything else.

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
            precondition(accounts.count <= Int(UInt8.max), "an access rule names at most 255 accounts on the wire")
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
            // Any count is well-formed (the frame's size bounds it); how many a room may invite is
            // the server's rule, answered with its own code (invalidText), not a closed connection.
            let n = Int(try r.u8())
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
    /// A docent's duty ended without their asking: they left the post's space, or the post
    /// closed (the text says which).
    case offDuty = 3
}

/// What a person's name carries in the roster (`names`): whether they are staff on duty now.
public enum StaffBadge: UInt8, Hashable, Sendable, CaseIterable {
    case none = 0
    /// On duty at a service desk: a counsellor, an expert or a mentor.
    case deskStaff = 1
    /// On duty at a landmark's docent post.
    case docent = 2
}

/// One space of the world map's staff list (`onDutyList`): who is on duty there now.
/// One space instance of the city in `spaceList`: who hosts it and how full it is.
public struct SpaceListEntry: Hashable, Sendable {
    public var space: String
    /// 1 for a space's first instance (overflow instances count on).
    public var instance: UInt16
    /// The node hosting it; empty when no node hosts it just now (or on a server of one node).
    public var node: String
    /// Whether the node answering hosts it (entering it needs no hand-over).
    public var here: Bool
    public var population: UInt32
    public var capacity: UInt32
    public init(space: String, instance: UInt16, node: String, here: Bool, population: UInt32, capacity: UInt32) {
        self.space = space
        self.instance = instance
        self.node = node
        self.here = here
        self.population = population
        self.capacity = capacity
    }
}

public struct OnDutyEntry: Hashable, Sendable {
    public var space: String
    /// Staff on duty at the space's desks.
    public var deskStaff: UInt16
    /// Docents on duty at the space's post.
    public var docents: UInt16
    public init(space: String, deskStaff: UInt16, docents: UInt16) {
        self.space = space
        self.deskStaff = deskStaff
        self.docents = docents
    }
}
