// A SeoulWorld client: the tests and the load-test bots use it, many per loop.
//
// It speaks docs/PROTOCOL.md from the client's side: hello and authentication over TCP, then
// binding its own UDP socket to the session (or asking for snapshots over TCP), entering
// spaces, sending inputs with its last few commands for loss tolerance, and rebuilding its
// view from snapshots against the baselines it holds. Its owner calls `tick()` at the
// server's tick rate; nothing here blocks or reads a clock other than the loop's.

import Transport
import Crypto
import NetProto

public final class WorldClient: TCPConnectionDelegate {
    public enum Credentials: Sendable {
        case guest(displayName: String)
        case member(token: [UInt8])
        /// A hand-over ticket another node gave (PROTOCOL.md 7.19); the client uses it itself
        /// when it follows a `handOver`.
        case ticket([UInt8])
    }

    public struct Options: Sendable {
        /// Ask for snapshots over TCP and send inputs there, as a client that cannot use UDP.
        public var tcpOnly = false
        /// The protocol version announced in hello (tests use others on purpose).
        public var version = WireProtocol.version
        /// A bad network for this client's UDP, both ways (NetworkSimulator.swift).
        public var network = NetworkConditions.perfect
        public var networkSeed: UInt64 = 1
        /// Keep the digest of the decoded view of every snapshot whose tick is a multiple of
        /// this (0: none), for the soak's desync check against the server's `--view-digests`.
        public var viewDigestEveryTicks: UInt32 = 0
        /// Accept the city's ethics code as soon as the server asks (`ethicsRequired`), as a
        /// citizen who read it does: the bots and tests chat and open rooms after it. False to
        /// see the refusals.
        public var acceptsEthicsCode = true
        /// After a connection that drops without a word from the server (its node failed, the
        /// network broke), come back with the last resume ticket (PROTOCOL.md 7.20) while it is
        /// good, to the nodes it lists in turn. False to see the drop.
        public var resumesAfterDrop = true
        /// A server heard nothing from for this long (a snapshot comes every tick in a space, a
        /// pong every few seconds outside one) counts as a dropped connection, when resuming.
        public var serverSilentMillis: UInt64 = 15_000
        public init(tcpOnly: Bool = false, version: UInt16 = WireProtocol.version, network: NetworkConditions = .perfect, networkSeed: UInt64 = 1) {
            self.tcpOnly = tcpOnly
            self.version = version
            self.network = network
            self.networkSeed = networkSeed
        }
    }

    public let options: Options
    let loop: UVLoop
    /// The node this client is connected to: the one it started with, or the last hand-over's.
    public internal(set) var serverAddress: SocketAddress
    public internal(set) var credentials: Credentials
    var connection: TCPConnection?
    var udp: UDPSocket?
    var decoder = FrameDecoder()
    /// Set when `options.network` is not perfect: every datagram goes through it.
    var network: NetworkSimulator?

    public internal(set) var welcome: Welcome?
    public internal(set) var errors: [(code: ErrorCode, requestID: UInt32, text: String)] = []
    public private(set) var shutdownNotice: String?
    public internal(set) var closed = false
    /// Why the connection ended, when it did: "closed by this client", the server's error, or
    /// the transport's error.
    public internal(set) var closeReason: String?
    public internal(set) var udpBound = false
    public internal(set) var space: String?
    public internal(set) var entity: UInt32?
    public private(set) var enteredSpaces: [String] = []
    /// When (the loop's clock, nanoseconds) the client was last placed in a space.
    public private(set) var enteredAtNanos: UInt64 = 0
    /// What the client sees: its own avatar and those in its view, as of `viewTick`.
    public internal(set) var view: [EntityState] = []
    public private(set) var viewTick: UInt32 = 0
    public internal(set) var names: [UInt32: String] = [:]
    /// The badge each entity's name last carried (absent: none).
    public internal(set) var badges: [UInt32: StaffBadge] = [:]
    public private(set) var snapshotsReceived = 0
    public private(set) var snapshotsUndecodable = 0
    /// Snapshots coded against a baseline this client no longer holds (skipped; the next one
    /// is coded against what it acknowledged since).
    public private(set) var snapshotsBaselineMissing = 0
    /// (tick, digest of the decoded view), when `options.viewDigestEveryTicks` is set; bounded.
    public private(set) var viewDigests: [(tick: UInt32, digest: UInt64)] = []
    public static let viewDigestsMax = 100_000
    public private(set) var bytesReceived = 0
    public private(set) var bytesSent = 0
    public private(set) var rttMillis: [UInt16] = []
    /// Bug reports the server acknowledged: request id to report id, in the order answered.
    public private(set) var bugReportsFiled: [(requestID: UInt32, reportID: UInt64)] = []
    /// Request to answer, in microseconds, of each acknowledged bug report (bounded).
    public private(set) var bugReportLatencyMicros: [UInt32] = []
    var bugReportsPending: [UInt32: UInt64] = [:]

    /// A chat message this client received, with when (the loop's clock, nanoseconds).
    public struct ReceivedChat: Sendable {
        public var channel: ChatChannel
        public var senderEntity: UInt32
        public var senderName: String
        public var serverTimeMillis: UInt64
        public var text: String
        public var receivedAtNanos: UInt64
    }
    /// Chat received and not yet taken (`takeChat`), at most `chatKeptMax` (older ones dropped).
    public internal(set) var chatReceived: [ReceivedChat] = []
    public static let chatKeptMax = 10_000
    /// The answers to this client's chat messages: masked or not, how many it reached, the text delivered.
    public private(set) var chatAnswers: [(requestID: UInt32, filtered: Bool, recipients: UInt32, text: String)] = []
    public private(set) var userReportsFiled: [(requestID: UInt32, reportID: UInt64)] = []
    public private(set) var blockLists: [UInt32: [String]] = [:]
    /// Requests answered with `done` (blocks, staff actions).
    public private(set) var done: [UInt32] = []
    public private(set) var notices: [(kind: NoticeKind, untilUnixMillis: UInt64, text: String)] = []
    /// Rooms this client opened: request id to room id and space id.
    public private(set) var roomsOpened: [UInt32: (roomID: UInt32, spaceID: String)] = [:]
    public private(set) var roomLists: [UInt32: (total: UInt16, offset: UInt16, rooms: [RoomEntry])] = [:]
    /// Every `queueStanding` received, in order (the latest per desk is the last for it).
    public private(set) var queueStandings: [(desk: String, position: UInt16, estimateSeconds: UInt32)] = []
    public private(set) var queueEnds: [(desk: String, reason: QueueEndReason, text: String)] = []
    public private(set) var sessionsStarted: [(desk: String, roomID: UInt32, counterpart: String, field: String, atNanos: UInt64)] = []
    public private(set) var sessionsEnded: [(desk: String, text: String)] = []
    public private(set) var deskLists: [UInt32: [DeskEntry]] = [:]
    public private(set) var onDutyLists: [UInt32: [OnDutyEntry]] = [:]
    /// Tax Square's answers by request id (the last `chatKeptMax` of each).
    public private(set) var taxWorkings: [UInt32: TaxWorkingBody] = [:]
    public private(set) var taxAnswers: [UInt32: TaxAnswerBody] = [:]
    /// Called with the request id of each Tax Square answer (a working or an FAQ answer) and of
    /// every error that carries a request id, as it arrives: for measurements that count
    /// answers as they come (they know which ids they sent).
    public var onTaxAnswer: ((UInt32) -> Void)?
    /// The notice board (the last `chatKeptMax` of each): counts told, pages and texts by
    /// request id, notices stored by request id, and the pushes with when they arrived.
    public private(set) var noticeCounts: [(space: String, shown: UInt16, unread: UInt16)] = []
    public private(set) var noticeLists: [UInt32: (total: UInt16, offset: UInt16, notices: [NoticeSummary])] = [:]
    public private(set) var noticeTexts: [UInt32: (summary: NoticeSummary, bodyKo: String, bodyEn: String)] = [:]
    public private(set) var noticesStored: [UInt32: UInt64] = [:]
    public private(set) var noticesShown: [(notice: NoticeSummary, atNanos: UInt64)] = []
    public private(set) var noticesWithdrawn: [UInt64] = []
    /// The suggestion box and the inbox: answers by request id (the last `chatKeptMax` of each),
    /// the inbox counts told, and the messages pushed as they arrived.
    public private(set) var suggestionsFiled: [UInt32: (id: UInt64, trackingNumber: String)] = [:]
    public private(set) var suggestionLists: [UInt32: [SuggestionSummary]] = [:]
    public private(set) var suggestionTexts: [UInt32: SuggestionText] = [:]
    public private(set) var inboxCounts: [(total: UInt16, unread: UInt16)] = []
    public private(set) var inboxLists: [UInt32: (total: UInt16, unread: UInt16, entries: [InboxEntry])] = [:]
    public private(set) var inboxItems: [UInt32: InboxEntry] = [:]
    public private(set) var inboxPushed: [(entry: InboxEntry, atNanos: UInt64)] = []
    /// Called with the request id of each answer about suggestions (filed, a list, a text) and
    /// of every error with a request id: for measurements that count answers as they come.
    public var onSuggestionAnswer: ((UInt32) -> Void)?
    /// The points of interest of the spaces entered (the last part received per space), and the
    /// answers to `askPlace` by request id.
    public private(set) var placesBySpace: [String: (language: String, places: [PlaceEntry])] = [:]
    public private(set) var placeTexts: [UInt32: (place: String, language: String, name: String, text: String)] = [:]
    /// The guide's texts by request id, and the ethics code's versions the server asked this
    /// client to accept.
    public private(set) var guideTexts: [UInt32: GuideText] = [:]
    public private(set) var ethicsRequired: [String] = []
    /// The world map's lists by request id.
    public private(set) var spaceLists: [UInt32: [SpaceListEntry]] = [:]
    /// Hand-overs followed (PROTOCOL.md 7.19): the space, the node, and when the `handOver`
    /// arrived (the loop's clock, nanoseconds); the last is where the client is going or went.
    public internal(set) var handOvers: [(spaceID: String, node: String, atNanos: UInt64)] = []
    /// From each hand-over's request (the `enterSpace` that led to it; for one the server began,
    /// such as a node's drain, the `handOver`'s arrival) to `entered` on the other node,
    /// microseconds (bounded).
    public private(set) var handOverMicros: [UInt32] = []
    var handOverPendingSince: UInt64?
    /// The last `enterSpace` sent: its request id and when.
    var lastEnter: (requestID: UInt32, atNanos: UInt64)?
    /// Whether the last hand-over has not placed the client yet.
    public var handOverPending: Bool { handOverPendingSince != nil }
    /// Hand-overs to a node that did not answer (it had just failed): the client resumed instead.
    public internal(set) var handOversUnanswered = 0
    /// When the server was last heard (TCP or UDP), and how many times it fell silent for
    /// `options.serverSilentMillis` and the client came back with its resume ticket.
    var lastHeardNanos: UInt64 = 0
    public private(set) var serverFellSilent = 0
    /// Resumptions that ended signed in but refused a place (notHosted, spaceFull, noFreeSpot).
    public private(set) var resumesRefused = 0
    /// Hand-overs whose destination refused the entry (full, no free spot): signed in there, in
    /// no space.
    public private(set) var handOversRefused = 0

    /// The last resume ticket a node gave: the ticket, the nodes to try, and until when it is
    /// good (the loop's clock, nanoseconds).
    var resumeTicket: (ticket: [UInt8], nodes: [String], untilNanos: UInt64)?
    /// A resumption under way: since the drop, the attempts made, when the next may start,
    /// whether one is connecting, and whether a node took the ticket (then the client waits
    /// there for `entered`: the node may be waiting for the space to be hosted again).
    struct Resumption {
        var sinceNanos: UInt64
        var attempts = 0
        var nextAtNanos: UInt64 = 0
        var connecting = false
        /// The attempt's node accepted the connection: its answer to the ticket is waited for
        /// (it may have used the ticket already), up to `resumeAnswerNanos`.
        var accepted = false
        var admitted = false
    }
    var resuming: Resumption?
    /// Whether the last message on this connection was an error not answering a request: the
    /// server says why before it closes (PROTOCOL.md 7.1), so a close after anything else is a drop.
    var lastMessageWasError = false
    /// Connections lost without a word from the server.
    public internal(set) var drops = 0
    /// Each drop that ended placed in a space again: from the drop to `entered`, microseconds.
    public private(set) var resumeMicros: [UInt32] = []
    /// Whether a drop is being resumed now.
    public var resumePending: Bool { resuming != nil }
    /// Whether this client holds a resume ticket still good.
    public var holdsResumeTicket: Bool { resumeTicket.map { Monotonic.nanoseconds() < $0.untilNanos } ?? false }
    /// How long one attempt to reach a node may take before the next node is tried.
    static let resumeAttemptNanos: UInt64 = 2_000_000_000
    /// Past the server's own 10 s for checking credentials (PROTOCOL.md 7.1), which answers `busy`.
    static let resumeAnswerNanos: UInt64 = 12_000_000_000

    var held: [(tick: UInt32, state: [EntityState])] = []
    var sequence: UInt32 = 0
    var recentCommands: [WireCommand] = []
    var nextRequestID: UInt32 = 1
    var ticksSinceBindRequest = 0
    var ticksSincePing = 0
    var bindRetryTicks = 5
    var lastServerTime: (time: UInt16, at: UInt64) = (0, 0)

    public init(loop: UVLoop, server: SocketAddress, credentials: Credentials, options: Options = Options()) throws {
        self.loop = loop
        self.serverAddress = server
        self.credentials = credentials
        self.options = options
        if !options.network.isPerfect { network = NetworkSimulator(conditions: options.network, seed: options.networkSeed) }
        try connect()
    }

    func connect() throws {
        lastMessageWasError = false
        connection = try TCPConnection.connect(loop: loop, to: serverAddress) { [weak self] c, error in
            guard let self, c === self.connection else { return }
            if let error {
                // A node that does not answer (while resuming, or the target of a hand-over that
                // has just failed): come back with the resume ticket, if this client holds one.
                if self.closeReason == nil, self.options.resumesAfterDrop, self.holdsResumeTicket {
                    return self.dropped()
                }
                self.errors.append((.internalError, 0, "connect: \(error)"))
                self.closed = true
                return
            }
            c.delegate = self
            self.lastHeardNanos = Monotonic.nanoseconds()
            if self.resuming != nil { self.resuming?.accepted = true }
            self.send(.hello(protocolID: WireProtocol.id, version: self.options.version))
        }
    }

    public var bugReportsOutstanding: Int { bugReportsPending.count }

    public func leave() {
        send(.leaveSpace(requestID: nextRequestID))
        nextRequestID += 1
    }

    /// A new movement command; sent at once and repeated in the next inputs.
    public func move(_ command: WireCommand) {
        sequence &+= 1
        recentCommands.insert(command, at: 0)
        if recentCommands.count > 3 { recentCommands.removeLast() }
        sendInput()
    }

    /// Call once per server tick: sends an input carrying the acknowledgement, and retries
    /// the UDP binding until it holds.
    public func tick() {
        if let r = resuming, !r.admitted, !closed {
            let now = Monotonic.nanoseconds()
            let waited = r.accepted ? Self.resumeAnswerNanos : Self.resumeAttemptNanos
            if !r.connecting || now >= r.nextAtNanos + waited, now >= r.nextAtNanos { tryResume() }
        }
        guard welcome != nil, !closed else { return }
        let now = Monotonic.nanoseconds()
        if resuming == nil, options.resumesAfterDrop, holdsResumeTicket, now >= lastHeardNanos + options.serverSilentMillis * 1_000_000 {
            // Nothing from the server for so long (a snapshot comes every tick in a space, a pong
            // every few seconds outside one): its network is gone though the connection is not
            // closed. Come back with the resume ticket where the city now says.
            serverFellSilent += 1
            let previous = connection
            connection = nil
            previous?.close()
            return dropped()
        }
        if !options.tcpOnly && !udpBound {
            // Retry the binding, backing off (5, 10, 20, then every 40 ticks): a busy server
            // answers late, and each retry only repeats the same challenge.
            ticksSinceBindRequest += 1
            if ticksSinceBindRequest >= bindRetryTicks {
                requestBinding()
                bindRetryTicks = min(bindRetryTicks * 2, 40)
            }
        }
        pumpNetwork()
        if space != nil { sendInput() }
        // Outside a space nothing else is sent; ping so the server does not take the
        // connection for idle (its limit is 30 s). In a space whose snapshots stopped (its UDP
        // path broken), ping too: a live server answers on TCP, so that only a server gone
        // silent on both counts as one (`serverSilentMillis`).
        ticksSincePing += 1
        let unheard = now >= lastHeardNanos + 5_000_000_000
        if (space == nil || unheard) && ticksSincePing >= 100 {
            ticksSincePing = 0
            send(.ping(clientTimeMicros: Monotonic.nanoseconds() / 1_000))
        }
    }

    public func close() {
        guard !closed else { return }
        send(.goodbye)
        closed = true
        closeReason = "closed by this client"
        connection?.close()
        udp?.close()
    }

    // MARK: Sending

    func send(_ message: ClientMessage) {
        guard let connection, !connection.isClosed else { return }
        let frame = Framing.frame(message.encode())
        if connection.write(frame) { bytesSent += frame.count }
    }

    func sendInput() {
        guard let welcome, space != nil else { return }
        let now = loop.nowMillis
        let body = InputBody(ackTick: held.last?.tick ?? 0, clientTimeMillis: UInt16(truncatingIfNeeded: now),
                             echoServerTimeMillis: lastServerTime.time, holdMillis: UInt16(truncatingIfNeeded: now &- lastServerTime.at),
                             // Before any command: a stop with sequence 0, which the server never applies.
                             sequence: sequence, commands: recentCommands.isEmpty ? [.stop] : recentCommands)
        if udpBound, udp != nil {
            sendDatagram(Packet.input(sessionID: welcome.sessionID, body).encode())
        } else {
            // Without UDP (by choice, or not bound yet), inputs go over TCP: the client is never
            // silent, and its commands are not lost while the binding completes.
            send(.input(body))
        }
    }

    func requestBinding() {
        guard let welcome else { return }
        ticksSinceBindRequest = 0
        if udp == nil {
            let local = try? SocketAddress(host: serverAddress.host.contains(":") ? "::1" : "127.0.0.1", port: 0)
            udp = local.flatMap { try? UDPSocket(loop: loop, address: $0) { [weak self] bytes, from in self?.arrived(datagram: bytes, from: from) } }
        }
        sendDatagram(Packet.bindRequest(sessionID: welcome.sessionID).encode())
    }

    /// Sends a datagram to the server, through the simulated network when there is one.
    func sendDatagram(_ bytes: [UInt8]) {
        guard let udp else { return }
        if network != nil {
            network!.submit(bytes, .toServer, nowNanos: Monotonic.nanoseconds())
            bytesSent += bytes.count
        } else if udp.send(bytes, to: serverAddress) {
            bytesSent += bytes.count
        }
    }

    func arrived(datagram bytes: UnsafeRawBufferPointer, from: SocketAddress) {
        guard network != nil else { return receive(datagram: bytes, from: from) }
        guard from == serverAddress else { return }
        network!.submit(Array(bytes), .toClient, nowNanos: Monotonic.nanoseconds())
    }

    /// Delivers what the simulated network holds that is due (both ways). The owner calls it
    /// often (every few milliseconds) for a latency finer than the tick; `tick()` calls it too.
    public func pumpNetwork() {
        guard network != nil, !closed else { return }
        for (direction, bytes) in network!.due(nowNanos: Monotonic.nanoseconds()) {
            switch direction {
            case .toServer: _ = udp?.send(bytes, to: serverAddress)
            case .toClient: bytes.withUnsafeBytes { receive(datagram: $0, from: serverAddress) }
            }
        }
    }

    /// What the simulated network did to this client's datagrams (zero without one).
    public var networkFigures: NetworkFigures { network?.figures ?? NetworkFigures() }

    // MARK: Receiving

    public func connection(_ c: TCPConnection, received bytes: UnsafeRawBufferPointer) {
        guard c === connection else { return }
        bytesReceived += bytes.count
        lastHeardNanos = Monotonic.nanoseconds()
        decoder.append(bytes)
        while true {
            let body: [UInt8]?
            do { body = try decoder.next() } catch {
                closeReason = "the server sent a bad frame: \(error)"
                close()
                return
            }
            guard let body else { return }
            guard let message = try? ServerMessage.decode(body) else {
                errors.append((.malformedMessage, 0, "the server sent a frame this client cannot decode"))
                continue
            }
            handle(message)
        }
    }

    public func connectionClosed(_ c: TCPConnection, error: UVError?) {
        // The connection left behind by a hand-over closes after the client moved on.
        guard c === connection else { return }
        if closeReason == nil, !lastMessageWasError, options.resumesAfterDrop, holdsResumeTicket {
            // Dropped without a word: come back with the resume ticket.
            return dropped()
        }
        if closeReason == nil, welcome == nil, errors.last?.code == .busy, options.resumesAfterDrop, holdsResumeTicket {
            // A node too busy to check a ticket in time (PROTOCOL.md 7.1): come back with the
            // resume ticket rather than give up.
            return dropped()
        }
        if closeReason == nil {
            closeReason = errors.last.map { "server: \($0.code) \($0.text)" } ?? error.map { "\($0)" } ?? "the server closed the connection"
        }
        closed = true
        udp?.close()
    }

    func handle(_ message: ServerMessage) {
        // The server's word before a close is an error with request id 0 (PROTOCOL.md 7.1); a
        // refusal of one of this client's requests is not, and a drop after it is still a drop.
        if case .error(_, let request, _) = message, request == 0 { lastMessageWasError = true } else { lastMessageWasError = false }
        switch message {
        case .helloOK:
            switch credentials {
            case .guest(let name): send(.authenticateGuest(displayName: name))
            case .member(let token): send(.authenticateMember(token: token))
            case .ticket(let ticket): send(.authenticateTicket(ticket: ticket))
            }
        case .welcome(let w):
            welcome = w
            if resuming != nil {
                resuming?.connecting = false
                resuming?.admitted = true
            }
            if options.tcpOnly { send(.snapshotsOverTCP(true)) } else { requestBinding() }
        case .entered(_, let spaceID, let entity, _, _, _):
            space = spaceID
            if let r = resuming {
                resuming = nil
                Self.keep(&resumeMicros, UInt32(clamping: (Monotonic.nanoseconds() - r.sinceNanos) / 1_000))
            }
            if let since = handOverPendingSince {
                handOverPendingSince = nil
                Self.keep(&handOverMicros, UInt32(clamping: (Monotonic.nanoseconds() - since) / 1_000))
            }
            self.entity = entity
            enteredSpaces.append(spaceID)
            enteredAtNanos = Monotonic.nanoseconds()
            held.removeAll()
            view = []
        case .left:
            space = nil
            entity = nil
        case .error(let code, let request, let text):
            errors.append((code, request, text))
            // The node that took the resume ticket could not place the client (no node took
            // its space over in time, or the space is full or jammed where it comes in): the
            // resumption is over, and the client stays signed in there, in no space.
            if [.notHosted, .spaceFull, .noFreeSpot].contains(code), request == 0, resuming?.admitted == true {
                resuming = nil
                resumesRefused += 1
            }
            // The other node took the hand-over but its space refused the entry (full, no free
            // spot): the hand-over is over, and the client is signed in there, in no space.
            if handOverPendingSince != nil, welcome != nil, request != 0, request == lastEnter?.requestID {
                handOverPendingSince = nil
                handOversRefused += 1
            }
            if request != 0 {
                onTaxAnswer?(request)
                onSuggestionAnswer?(request)
            }
            bugReportsPending[request] = nil
        case .bugReportFiled(let request, let report):
            bugReportsFiled.append((request, report))
            if let sent = bugReportsPending.removeValue(forKey: request), bugReportLatencyMicros.count < 1_000_000 {
                bugReportLatencyMicros.append(UInt32(clamping: (Monotonic.nanoseconds() - sent) / 1_000))
            }
        case .names(let entries):
            for e in entries {
                names[e.entity] = e.name
                badges[e.entity] = e.badge == .none ? nil : e.badge
            }
        case .chat(let channel, let entity, let name, let time, let text):
            if chatReceived.count >= Self.chatKeptMax { chatReceived.removeFirst(chatReceived.count / 2) }
            chatReceived.append(ReceivedChat(channel: channel, senderEntity: entity, senderName: name, serverTimeMillis: time, text: text,
                                             receivedAtNanos: Monotonic.nanoseconds()))
        case .chatSent(let request, let filtered, let recipients, let text):
            if chatAnswers.count >= Self.chatKeptMax { chatAnswers.removeFirst(chatAnswers.count / 2) }
            chatAnswers.append((request, filtered, recipients, text))
        case .userReportFiled(let request, let id): userReportsFiled.append((request, id))
        case .blockList(let request, let accounts): blockLists[request] = accounts
        case .done(let request): done.append(request)
        case .notice(let kind, let until, let text): notices.append((kind, until, text))
        case .roomOpened(let request, let room, let spaceID): roomsOpened[request] = (room, spaceID)
        case .roomList(let request, let total, let offset, let rooms): roomLists[request] = (total, offset, rooms)
        case .queueStanding(let desk, let position, let estimate):
            if queueStandings.count >= Self.chatKeptMax { queueStandings.removeFirst(queueStandings.count / 2) }
            queueStandings.append((desk, position, estimate))
        case .queueEnded(let desk, let reason, let text): queueEnds.append((desk, reason, text))
        case .sessionStarted(let desk, let room, let counterpart, let field): sessionsStarted.append((desk, room, counterpart, field, Monotonic.nanoseconds()))
        case .sessionEnded(let desk, let text): sessionsEnded.append((desk, text))
        case .deskList(let request, let desks): deskLists[request] = desks
        case .onDutyList(let request, let entries): Self.keep(&onDutyLists, request, entries)
        case .taxWorking(let request, let body):
            Self.keep(&taxWorkings, request, body)
            onTaxAnswer?(request)
        case .taxAnswer(let request, let body):
            Self.keep(&taxAnswers, request, body)
            onTaxAnswer?(request)
        case .noticeCount(let space, let shown, let unread): Self.keep(&noticeCounts, (space, shown, unread))
        case .noticeList(let request, let total, let offset, let notices):
            Self.keep(&noticeLists, request, (total, offset, notices))
        case .noticeText(let request, let summary, let ko, let en):
            Self.keep(&noticeTexts, request, (summary, ko, en))
        case .noticeStored(let request, let id):
            Self.keep(&noticesStored, request, id)
        case .noticeShown(let summary): Self.keep(&noticesShown, (summary, Monotonic.nanoseconds()))
        case .noticeWithdrawn(let id): Self.keep(&noticesWithdrawn, id)
        case .suggestionFiled(let request, let id, let tracking):
            Self.keep(&suggestionsFiled, request, (id, tracking))
            onSuggestionAnswer?(request)
        case .suggestionList(let request, _, _, let list):
            Self.keep(&suggestionLists, request, list)
            onSuggestionAnswer?(request)
        case .suggestionText(let request, let text):
            Self.keep(&suggestionTexts, request, text)
            onSuggestionAnswer?(request)
        case .inboxCount(let total, let unread): Self.keep(&inboxCounts, (total, unread))
        case .inboxList(let request, let total, let unread, _, let entries):
            Self.keep(&inboxLists, request, (total, unread, entries))
        case .pointsOfInterest(let space, let language, let part, _, let places):
            Self.keep(&placesBySpace, space, (language, (part == 0 ? [] : placesBySpace[space]?.places ?? []) + places))
        case .placeText(let request, let place, let language, let name, let text):
            Self.keep(&placeTexts, request, (place, language, name, text))
        case .guideText(let request, let text):
            Self.keep(&guideTexts, request, text)
        case .ethicsRequired(let version, _):
            Self.keep(&ethicsRequired, version)
            if options.acceptsEthicsCode { acceptEthics(version) }
        case .inboxItem(0, let entry): Self.keep(&inboxPushed, (entry, Monotonic.nanoseconds()))
        case .inboxItem(let request, let entry):
            Self.keep(&inboxItems, request, entry)
        case .shuttingDown(_, let text): shutdownNotice = text
        case .pong: break
        case .snapshot(let body): apply(snapshot: body)
        case .spaceList(let request, let spaces): Self.keep(&spaceLists, request, spaces)
        case .resumeTicket(let seconds, let ticket, let nodes):
            resumeTicket = (ticket, nodes, Monotonic.nanoseconds() + UInt64(seconds) * 1_000_000_000)
            // A new ticket during a resumption (the way back of a hand-over): its nodes from the first.
            resuming?.attempts = 0
        case .handOver(let request, let spaceID, let node, let host, let port, let ticket):
            let since = request != 0 && lastEnter?.requestID == request ? lastEnter?.atNanos : nil
            follow(spaceID: spaceID, node: node, host: host, port: port, ticket: ticket, requestedAtNanos: since)
        case .helloOK, .welcome: break
        }
    }

    /// Keeps an answer by its key, the map emptied when it holds `chatKeptMax` (a client that
    /// never reads its answers does not grow without bound).
    static func keep<Key, Value>(_ map: inout [Key: Value], _ key: Key, _ value: Value) {
        if map.count >= chatKeptMax { map.removeAll() }
        map[key] = value
    }

    /// Appends to a list kept to its last `chatKeptMax` (the older half dropped when full).
    static func keep<T>(_ list: inout [T], _ item: T) {
        if list.count >= chatKeptMax { list.removeFirst(list.count / 2) }
        list.append(item)
    }

    func receive(datagram bytes: UnsafeRawBufferPointer, from: SocketAddress) {
        lastHeardNanos = Monotonic.nanoseconds()
        bytesReceived += bytes.count
        guard from == serverAddress, let welcome else { return }
        // Snapshots, nearly every datagram: decoded once, against their baseline (`apply`).
        if let body = Packet.snapshotBody(bytes) { return apply(snapshot: body) }
        guard let packet = try? Packet.decode(Array(bytes)) else { return }
        switch packet {
        case .challenge(let session, let nonce) where session == welcome.sessionID:
            let input = bindingMACInput(sessionID: session, nonce: nonce)
            let mac = Array(HMAC<SHA256>.authenticationCode(for: input, using: SymmetricKey(data: welcome.udpSecret)).prefix(WireProtocol.macBytes))
            sendDatagram(Packet.challengeResponse(sessionID: session, nonce: nonce, mac: mac).encode())
        case .bound(let session) where session == welcome.sessionID:
            udpBound = true
        case .snapshot(let body):
            apply(snapshot: body)
        default:
            break
        }
    }

    func apply(snapshot body: [UInt8]) {
        guard space != nil, let header = try? SnapshotCodec.decodeHeader(body) else { return }
        guard header.tick > viewTick else { return } // late or duplicated: the newer view stands
        let baseline: [EntityState]
        if header.baselineTick == 0 {
            baseline = []
        } else if let held = held.last(where: { $0.tick == header.baselineTick }) {
            baseline = held.state
        } else {
            snapshotsBaselineMissing += 1 // a baseline this client no longer holds: wait for the next
            return
        }
        guard let (_, state) = try? SnapshotCodec.decode(body, baseline: baseline) else {
            snapshotsUndecodable += 1
            return
        }
        snapshotsReceived += 1
        view = state
        viewTick = header.tick
        if options.viewDigestEveryTicks > 0 && header.tick % options.viewDigestEveryTicks == 0 && viewDigests.count < Self.viewDigestsMax {
            viewDigests.append((header.tick, EntityState.digest(state)))
        }
        held.append((header.tick, state))
        if held.count > 32 { held.removeFirst(held.count - 32) }
        let now = loop.nowMillis
        lastServerTime = (header.serverTimeMillis, now)
        if header.echoClientTimeMillis != 0,
           let rtt = roundTripMillis(now: UInt16(truncatingIfNeeded: now), echoed: header.echoClientTimeMillis, held: header.holdMillis) {
            rttMillis.append(rtt)
            if rttMillis.count > 4_096 { rttMillis.removeFirst(rttMillis.count - 4_096) }
        }
    }

    /// This client's own avatar in its view.
    public var me: EntityState? { entity.flatMap { e in view.first { $0.entity == e } } }
}
