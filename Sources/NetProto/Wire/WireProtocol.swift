// The protocol's identity, version and declared limits, and its error codes (PROTOCOL.md,
// sections 8, 10 and 11).

public enum WireProtocol {
    /// "SWLD" as little-endian bytes: 0x53 0x57 0x4C 0x44.
    public static let id: UInt32 = 0x444C_5753
    public static let version: UInt16 = 10
    /// The largest TCP frame body (type byte and payload), in bytes: room for a bug report of
    /// 2,000 characters of Hangul (3 bytes each in UTF-8).
    public static let frameBodyBytesMax = 8_192
    /// The largest UDP packet, in bytes: under the 1,280-byte IPv6 minimum MTU with room for headers.
    public static let packetBytesMax = 1_200
    public static let displayNameBytesMax = 48
    public static let spaceIDBytesMax = 64
    /// A cluster node's name, and the host a hand-over names (a DNS name or an address).
    public static let nodeNameBytesMax = 64
    public static let hostBytesMax = 255
    /// Node addresses in a `resumeTicket`.
    public static let resumeNodesMax = 16
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
    /// The request is served in another space (Tax Square's calculator in Tax Square); the
    /// text names it.
    case notHere = 32
    /// A field out of range or missing; the text names the field and what it may be.
    case invalidField = 33
    /// The service is not running on this server (its data was not loaded); the text says which.
    case unavailable = 34
    /// The request conflicts with the record's state (a notice withdrawn already); the text
    /// says what it is now.
    case conflict = 35
    /// A member who has not accepted the current version of the ethics code asked to chat, to
    /// open or enter a room, to file a suggestion or to report; the text names the version.
    case ethicsNotAccepted = 36
    /// A hand-over ticket (PROTOCOL.md 7.19) that was used already: each is good once.
    case ticketUsed = 37
    /// A hand-over ticket past its expiry: travel again from where you are.
    case ticketExpired = 38
    /// A hand-over ticket that does not verify (forged, altered, or malformed).
    case ticketInvalid = 39
    /// A hand-over ticket for another node: connect to the node it names.
    case wrongNode = 40
    /// No node of the cluster hosts the space just now (its host failed and another has not
    /// claimed it yet): try again in a few seconds.
    case notHosted = 41
}
