// The registry of the server's features: the one place that says which feature serves each
// client message, which features hear presence's changes and in what order, and which run
// once a second. A new feature (its machine in Services, its subsystem in a folder of its own
// in WorldServer, as Rooms/, Desks/ and Moderation/ are) adds its lines here and touches nothing that other features own:
// its store writes carry their completion back to it (`Server.submit(_:then:)`), and whether a
// guest may send its messages, and their request ids, are said with the messages in NetProto
// (ClientMessage+Facts.swift). README, "Adding a feature", walks through one.
//
// Invariants:
// 1. Presence's subscribers hear each change in the order listed, every run the same: the
//    whole-server simulation and recordings replay it exactly.
// 2. A change is published after presence's own state and the space's tables are updated, and
//    before the client is told (`entered`): what a subscriber sends on an `entered` change
//    reaches the client just before its `entered` (and names the space, where it is about one).
// 3. Every client message has exactly one route (the switch has no default: a new message
//    does not compile until it has one).

import NetProto
import Store

/// What presence publishes (Presence.swift decides; Server+Presence carries it out). A
/// travel between spaces is a `left` with the reason `travel`, then an `entered`; coming back
/// after a dropped connection to the avatar left standing is `resumed`.
enum PresenceChange {
    /// The session's avatar was placed in `space` (a public space or a room).
    case entered(Session, space: String)
    /// The session took over the avatar that `from`, a connection of the same citizen that
    /// dropped, left standing in `space` (a public space or a room): `from`'s visit ends as a
    /// disconnect and one opens for the session, but the avatar never left the space (a room's
    /// population and a desk session in it go on). Cluster/ClusterSubsystem+Away.swift.
    case resumed(Session, from: Session, space: String)
    /// The session's avatar was taken out of `space`, for `reason`.
    case left(Session, space: String, reason: Schema.EndReason)
    /// A member was admitted (its standing allowed it): a first sign-in or a return. The
    /// standing as the store read it (the ethics code's versions accepted among it).
    case signedIn(Session, standing: AccountStanding)
    /// The connection ended; `lastOfAccount` when no other session of the member's account
    /// remains. Published before the session's avatar is taken out.
    case disconnected(Session, lastOfAccount: Bool)
}

extension Server {
    /// Presence's subscribers, in the order they hear each change (invariant 1).
    var presenceSubscribers: [(PresenceChange) -> Void] {
        [
            recordsHeard,           // visits open and close (Server+Records)
            roomsSubsystem.heard,   // a room's population, and its empty minute (Rooms/)
            desksSubsystem.heard,   // a desk session's room left, a held place kept or ended (Desks/)
            taxSquare.heard,        // a connection gone forgets its request bucket (TaxSquare/)
            notices.heard,          // read marks loaded at sign-in, the unread count told (Notices/)
            suggestions.heard,      // a connection gone forgets its waiting requests (Suggestions/)
            inbox.heard,            // the inbox's counts told after sign-in (Inbox/)
            places.heard,           // a space's points of interest to whoever enters it (Places/)
            guide.heard,            // a member who has not accepted the ethics code is asked (Guide/)
            onDuty.heard,           // a docent who leaves the post's space or disconnects goes off duty (OnDuty/)
            cluster.heard,          // a resume ticket to whoever enters a public space, on a node (Cluster/)
        ]
    }

    /// What runs as the server starts (before its first tick), in this order.
    var atStartTasks: [() -> Void] {
        [
            notices.start,          // the board read from the store (Notices/)
        ]
    }

    /// What runs once a second, in this order.
    var everySecondTasks: [() -> Void] {
        [
            roomsSubsystem.second,  // empty rooms close (Rooms/)
            { self.desksSubsystem.event(.second) }, // holds that ran out, opening and closing time (Desks/)
            notices.second,         // notices that start are pushed, ended ones leave (Notices/)
            onDuty.second,          // docents at posts that closed go off duty (OnDuty/)
            cluster.second,         // leases renewed, the directory read, spaces claimed (Cluster/)
        ]
    }

    func publish(_ change: PresenceChange) {
        for subscriber in presenceSubscribers { subscriber(change) }
    }

    /// Routes a member's or guest's message (after the guest rule) to the feature that serves it,
    /// once the ethics code's rule lets it through (PROTOCOL.md 7.17).
    func route(_ message: ClientMessage, from s: Session) {
        if message.needsEthicsCode, let refusal = guide.refusal(for: s, request: message.requestID) {
            counters.ethicsRefusals += 1
            return s.send(refusal)
        }
        switch message {
        // Presence: travel through the world map (Server+Presence)
        case .enterSpace(let request, let spaceID): enterSpace(s, request: request, spaceID: spaceID)
        case .leaveSpace(let request): leaveSpace(s, request: request)
        // The realtime channel (Server+Realtime)
        case .snapshotsOverTCP(let on): s.realtime.snapshotsOverTCP = on
        case .ping(let t): s.send(.pong(clientTimeMicros: t, serverTick: UInt64(counters.ticks)))
        case .input(let body): apply(body, from: s)
        // Records (Server+Records)
        case .reportBug(let request, let description): fileBugReport(s, request: request, description: description)
        // Chat (Server+Chat)
        case .chat(let request, let to, let text): chat(s, request: request, to: to, text: text)
        // Moderation (Moderation/ModerationSubsystem)
        case .reportUser(let request, let entity, let reason, let description):
            moderation.reportUser(s, request: request, entity: entity, reason: reason, description: description)
        case .block(let request, let subject, let on): moderation.block(s, request: request, subject: subject, on: on)
        case .listBlocks(let request): s.send(.blockList(requestID: request, accounts: s.chat.blocked.sorted()))
        case .staff(let request, let action, let subject, let seconds, let reason):
            moderation.staffAction(s, request: request, action: action, subject: subject, seconds: seconds, reason: reason)
        // Rooms (Rooms/RoomsSubsystem)
        case .openRoom(let request, let template, let title, let access):
            roomsSubsystem.open(s, request: request, template: template, title: title, access: access)
        case .enterRoom(let request, let roomID, let code): roomsSubsystem.request(.enter(roomID: roomID, code: code), from: s, request: request)
        case .listRooms(let request, let offset): roomsSubsystem.list(s, request: request, offset: offset)
        // Desks (Desks/DesksSubsystem)
        case .deskDuty(let request, let desk, let on, let field):
            desksSubsystem.request(.duty(desk: desk, on: on, field: field.isEmpty ? nil : field), from: s, request: request)
        case .joinQueue(let request, let desk, let field):
            desksSubsystem.request(.join(desk: desk, field: field.isEmpty ? nil : field), from: s, request: request)
        case .leaveQueue(let request, let desk): desksSubsystem.request(.leave(desk: desk), from: s, request: request)
        case .takeNext(let request, let desk): desksSubsystem.request(.takeNext(desk: desk), from: s, request: request)
        case .listDesks(let request): desksSubsystem.list(s, request: request)
        case .endSession(let request): desksSubsystem.request(.end, from: s, request: request)
        // Tax Square (TaxSquare/TaxSquareSubsystem)
        case .taxCalculate(let request, let tax, let fields): taxSquare.calculate(s, request: request, tax: tax, fields: fields)
        case .taxAsk(let request, let question): taxSquare.ask(s, request: request, question: question)
        // The notice board (Notices/NoticesSubsystem)
        case .listNotices(let request, let offset): notices.list(s, request: request, offset: offset)
        case .readNotice(let request, let id): notices.read(s, request: request, notice: id)
        case .postNotice(let request, let draft): notices.post(s, request: request, draft: draft)
        case .withdrawNotice(let request, let id): notices.withdraw(s, request: request, notice: id)
        // The suggestion box (Suggestions/SuggestionsSubsystem) and the inbox (Inbox/InboxSubsystem)
        case .fileSuggestion(let request, let filing): suggestions.file(s, request: request, filing: filing)
        case .listSuggestions(let request, let scope, let offset): suggestions.list(s, request: request, scope: scope, offset: offset)
        case .readSuggestion(let request, let id): suggestions.read(s, request: request, id: id)
        case .handleSuggestion(let request, let id, let action, let text): suggestions.handle(s, request: request, id: id, action: action, text: text)
        case .listInbox(let request, let offset): inbox.list(s, request: request, offset: offset)
        case .readInbox(let request, let id): inbox.read(s, request: request, id: id)
        // The points of interest in the visitor's language (Places/PlacesSubsystem)
        case .setLanguage(let request, let tag): places.setLanguage(s, request: request, tag: tag)
        case .askPlace(let request, let place): places.ask(s, request: request, place: place)
        // The Angel Guide and the ethics code (Guide/GuideSubsystem)
        case .readGuide(let request, let part): guide.read(s, request: request, part: part)
        case .acceptEthics(let request, let version): guide.accept(s, request: request, version: version)
        case .tutorialStep(let request, let step): guide.step(s, request: request, step: step)
        // Staff on duty: docents' posts and the world map's list (OnDuty/OnDutySubsystem)
        case .docentDuty(let request, let space, let on): onDuty.duty(s, request: request, space: space, on: on)
        case .listOnDuty(let request): onDuty.list(s, request: request)
        // The city of nodes: the world map's spaces cluster-wide (Cluster/ClusterSubsystem)
        case .listSpaces(let request): cluster.list(s, request: request)
        // The connection's own state machine (Server+Connections, Server+SignIn)
        case .hello, .authenticateGuest, .authenticateMember, .authenticateTicket, .goodbye: break
        }
    }
}
