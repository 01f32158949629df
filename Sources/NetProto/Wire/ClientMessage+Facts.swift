// What a server must know about a client message before any feature sees it, said beside the
// messages (PROTOCOL.md, sections 4.1 and 7.8), so that a new message states it where it is
// declared and the compiler asks for it: whether someone who is not a member (a guest, or a
// spectator of a recording) may send it, and the request id its answer carries.

extension ClientMessage {
    /// Whether a guest may send this. Guests may look around, travel, read the world map's lists
    /// and report faults and people; everything that speaks to others or uses a service is for
    /// members (BRIEF.md, "Membership and safety"). A refused message changes nothing and is
    /// answered with its request id.
    public var guestMaySend: Bool {
        switch self {
        case .hello, .authenticateGuest, .authenticateMember, .authenticateTicket, .goodbye, .ping: true
        case .enterSpace, .leaveSpace, .snapshotsOverTCP, .input: true
        case .reportBug, .reportUser: true
        case .listRooms, .listDesks, .listOnDuty, .listSpaces: true
        // Tax Square's calculator and FAQ are information, for everyone in the square.
        case .taxCalculate, .taxAsk: true
        // The notice board is the city's word to everyone; writing on it is for editors.
        case .listNotices, .readNotice: true
        case .postNotice, .withdrawNotice: false
        // The public board of answered suggestions is for everyone (the server refuses a
        // guest's own list and the queue); filing, answering and the inbox are members'.
        case .listSuggestions, .readSuggestion: true
        case .fileSuggestion, .handleSuggestion, .listInbox, .readInbox: false
        // A visitor's language and the places' words are for everyone.
        case .setLanguage, .askPlace: true
        // The guide is for everyone to read; accepting the code and keeping one's place in the
        // tutorial belong to an account.
        case .readGuide: true
        case .acceptEthics, .tutorialStep: false
        case .chat, .block, .listBlocks, .staff: false
        case .openRoom, .enterRoom: false
        case .deskDuty, .joinQueue, .leaveQueue, .takeNext, .endSession, .docentDuty: false
        }
    }

    /// The request id the answer to this message carries, or 0 for a message that has none
    /// (the handshake, the session's own controls, realtime input).
    public var requestID: UInt32 {
        switch self {
        case .enterSpace(let r, _), .leaveSpace(let r), .reportBug(let r, _), .chat(let r, _, _), .reportUser(let r, _, _, _),
             .block(let r, _, _), .listBlocks(let r), .staff(let r, _, _, _, _), .openRoom(let r, _, _, _), .enterRoom(let r, _, _),
             .listRooms(let r, _), .deskDuty(let r, _, _, _), .joinQueue(let r, _, _), .leaveQueue(let r, _), .takeNext(let r, _),
             .endSession(let r), .listDesks(let r), .taxCalculate(let r, _, _), .taxAsk(let r, _),
             .listNotices(let r, _), .readNotice(let r, _), .postNotice(let r, _), .withdrawNotice(let r, _),
             .fileSuggestion(let r, _), .listSuggestions(let r, _, _), .readSuggestion(let r, _), .handleSuggestion(let r, _, _, _),
             .listInbox(let r, _), .readInbox(let r, _), .setLanguage(let r, _), .askPlace(let r, _),
             .readGuide(let r, _), .acceptEthics(let r, _), .tutorialStep(let r, _), .docentDuty(let r, _, _), .listOnDuty(let r),
             .listSpaces(let r):
            r
        case .hello, .authenticateGuest, .authenticateMember, .authenticateTicket, .snapshotsOverTCP, .ping, .goodbye, .input: 0
        }
    }

    /// Whether a member must have accepted the current ethics code first (PROTOCOL.md 7.17):
    /// speaking to others, rooms, suggestions and reports.
    public var needsEthicsCode: Bool {
        switch self {
        case .chat, .openRoom, .enterRoom, .fileSuggestion, .reportUser: true
        default: false
        }
    }
}
