// The SeoulWorld server: every public space of the world files, reachable over TCP and UDP.
//
// One libuv loop thread owns everything: the sockets, the sessions and the worlds. A
// repeating timer drives the tick; each timer callback runs the ticks that are due by the
// clock, at most `catchUpTicksMax` of them, and counts the rest as skipped, so a stall never
// turns into a burst that stalls again. Per tick and per space, in space-id order: the inputs
// collected since the last tick are stepped, enter results are answered, and each client is
// sent its snapshot (UDP when bound, else TCP if it asked) and the names of avatars new to it.
//
// Invariants:
// 1. Only the loop thread touches server state; `requestStop` (any thread) goes through UVAsync.
// 2. A session is in at most one space and has at most one avatar.
// 3. Every client-caused failure is answered with an error code or dropped and counted;
//    none throws out of a callback or stops the tick.

import Transport
import Crypto
import Foundation
import Logging
import NetProto
import Recording
import Services
import Store
import WorldCore
import WorldFiles

public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    /// TCP and UDP share this port; 0 picks a free one (tests).
    public var port: UInt16 = 7777
    /// Overrides every space's own tick rate when set.
    public var tickRateHertz = 20
    /// HMAC key for member tokens, at least 32 bytes.
    public var tokenSecret: [UInt8]
    public var connectionLimits = ConnectionStateMachine.Limits()
    /// A client whose unsent TCP bytes pass this is disconnected (`tooSlow`).
    public var writeQueueBytesMax = 256 * 1_024
    public var sessionsMax = 20_000
    public var statusEverySeconds = 5
    /// Where to write the run's figures as JSON when the server stops (for the load benchmark).
    public var statsFile: String?
    public var catchUpTicksMax = 3
    /// Record every space's session into files (docs/RECORDING.md); nil records nothing.
    public var recording: RecorderSettings?
    /// Keep the city's records in this database (docs/DATA.md); nil keeps none.
    public var store: StoreSettings?
    /// The chat filter (policy/); nil delivers chat unfiltered (tests of other things).
    public var profanity: ProfanityFilter?
    public var chatRateRules = ChatRateLimit.Rules()
    public var roomRules = RoomRules()
    /// The service desks (services/); nil serves none.
    public var desks: DeskCatalog?
    public var deskRules = DeskRules()
    /// The server's one clock (monotonic and wall; Transport's `ServerClock`): everything in the
    /// server reads time through it, so that a test can hand it a clock of its own.
    public var clock = ServerClock.system
    /// Added to the wall clock where the desks read it (opening hours, queue times): a rehearsal
    /// of a working day at another hour (`serve --desk-clock-start`). 0 in service.
    public var deskClockOffsetMillis: Int64 = 0
    /// Where the operator's side reads the server (OperatorView.swift); nil publishes nothing.
    public var operatorBoard: OperatorBoard?
    /// How often the view is published, milliseconds (at least 50).
    public var publishEveryMillis = 200
    /// Write what each client is believed to hold, every 20th tick, here (the soak's desync
    /// check, ViewDigestLog.swift); nil writes nothing.
    public var viewDigestsPath: String?

    public init(tokenSecret: [UInt8]) { self.tokenSecret = tokenSecret }
}

/// Counters an operator (and the load benchmark) reads.
public struct ServerCounters: Sendable {
    public var ticks = 0
    public var ticksSkipped = 0
    public var connectionsAccepted = 0
    public var connectionsClosed = 0
    public var udpDropped = 0
    /// Datagrams received and sent, and TCP frames received and sent.
    public var datagramsIn = 0
    public var datagramsOut = 0
    public var framesIn = 0
    public var framesOut = 0
    public var udpBound = 0
    public var inputsApplied = 0
    /// Sum over ticks of the clients in a space: the work the ticks did, in client-ticks.
    public var clientTicks = 0
    public var snapshotsSent = 0
    public var bytesIn = 0
    public var bytesOut = 0
    /// Inputs from spectators of a recording, refused.
    public var spectatorInputsRefused = 0
    /// Bug reports committed and acknowledged, and refused because the store's queue was full.
    public var bugReportsFiled = 0
    public var bugReportsBusy = 0
    /// Chat: messages accepted, deliveries made, messages the filter masked, refused for the
    /// rate limit, refused because the sender was muted, and system mutes for flooding.
    public var chatMessages = 0
    public var chatDeliveries = 0
    public var chatFiltered = 0
    public var chatRateLimited = 0
    public var chatRefusedMuted = 0
    public var systemMutes = 0
    /// Requests a guest may not make, refused (the guest rule).
    public var guestRefusals = 0
    public var userReportsFiled = 0
    public var staffActions = 0
    public var kicks = 0
    /// Authentications refused because the account is banned.
    public var bannedRefused = 0
}

public final class Server: @unchecked Sendable {
    public let configuration: ServerConfiguration
    /// The spaces listed in `welcome`, and which of them are room templates (not served yet).
    let spaceEntries: [SpaceEntry]
    let templateIDs: Set<String>
    /// The room templates, by id: what a room opened from each is made of.
    var templates: [String: RoomTemplate] = [:]
    /// The rooms open now (Server+Rooms.swift).
    var rooms: RoomBook
    var roomTimer: UVTimer?
    /// The service desks and their queues (Server+Desks.swift).
    var desks: [String: DeskState] = [:]
    var deskOrder: [String] = []
    /// Set when serving a recording: the worlds step from it, and every client is a spectator.
    let replay: ReplaySource?
    let loop: UVLoop
    var logger: Logger
    var spaces: [String: SpaceInstance] = [:]
    var spaceOrder: [String] = []
    var sessions: [UInt64: Session] = [:]
    /// The sessions of each authenticated member's account (one account may connect twice).
    var sessionsByAccount: [String: [UInt64]] = [:]
    var listener: TCPListener?
    var udp: UDPSocket?
    var tickTimer: UVTimer?
    var statusTimer: UVTimer?
    var signals: [UVSignal] = []
    var random = SystemRandomNumberGenerator()
    public internal(set) var counters = ServerCounters()
    /// The last 6,000 tick durations in nanoseconds (five minutes at 20 Hz).
    var tickDurations = SampleRing<UInt64>(capacity: 6_000)
    /// The latest round-trip times measured from inputs, in milliseconds.
    var rttRing = SampleRing<UInt16>(capacity: 8_192)
    public var rttSamples: [UInt16] { rttRing.values }
    /// `counters.udpDropped`, by `UDPDropReason`.
    var udpDroppedByReason = [Int](repeating: 0, count: UDPDropReason.allCases.count)
    /// The operator's view: its timer, the tick durations since the last view, the views so far.
    var publishTimer: UVTimer?
    var operatorTickNanos: [UInt64] = []
    var publishedViews: UInt64 = 0
    var recordingWriter: RecordingWriter?
    var viewDigests: ViewDigestLog?
    /// The snapshot path's working memory, shared by every client (the loop thread's own).
    let snapshotScratch = SnapshotScratch()
    /// The store's loop-thread side, when the server keeps records.
    var records: Records?
    /// The store writer's figures at its close, for the stats file.
    var storeFigures: StoreWriter.Figures?
    var startedAt: UInt64 = 0
    var stopping = false
    var lastStatus = ServerCounters()

    /// A live server: every public space of `catalog`, entered and moved by its clients.
    public convenience init(configuration: ServerConfiguration, catalog: WorldCatalog, logger: Logger) throws {
        var instances: [String: SpaceInstance] = [:]
        for space in catalog.publicSpaces {
            var definition = space.definition
            definition.tickRateHertz = configuration.tickRateHertz
            let seed = Self.seed(for: space.id)
            let instance = SpaceInstance(world: try World(definition: definition, seed: seed), seed: seed)
            instance.chatRadiusCentimetres = space.chatRadiusCentimetres
            instances[space.id] = instance
        }
        try self.init(configuration: configuration, spaces: instances,
                      entries: catalog.spaces.map { SpaceEntry(id: $0.id, kind: $0.kind == .public ? 0 : 1) },
                      templates: Set(catalog.templates.map(\.id)), replay: nil, logger: logger)
        for t in catalog.templates {
            var definition = t.definition
            definition.tickRateHertz = configuration.tickRateHertz
            templates[t.id] = RoomTemplate(definition: definition, admitsRoles: t.admitsRoles, chatRadiusCentimetres: t.chatRadiusCentimetres)
        }
        if let desks = configuration.desks { try openDesks(desks, catalog: catalog) }
    }

    /// A server of a recording: its one space, stepped with the recorded inputs at the recorded
    /// tick rate; clients are spectators, and their inputs are refused.
    public convenience init(configuration: ServerConfiguration, replay: ReplaySource, logger: Logger) throws {
        var configuration = configuration
        configuration.tickRateHertz = replay.replayer.definition.tickRateHertz
        configuration.recording = nil
        configuration.store = nil
        let world = replay.replayer.world
        try self.init(configuration: configuration, spaces: [world.definition.id: SpaceInstance(world: world, seed: replay.replayer.file.header.seed)],
                      entries: [SpaceEntry(id: world.definition.id, kind: 0)], templates: [], replay: replay, logger: logger)
    }

    init(configuration: ServerConfiguration, spaces: [String: SpaceInstance], entries: [SpaceEntry], templates: Set<String>,
         replay: ReplaySource?, logger: Logger) throws {
        precondition(configuration.tokenSecret.count >= MemberToken.secretBytesMin)
        self.configuration = configuration
        self.spaceEntries = entries
        self.templateIDs = templates
        self.replay = replay
        self.logger = logger
        rooms = RoomBook(rules: configuration.roomRules)
        loop = try UVLoop()
        self.spaces = spaces
        spaceOrder = spaces.keys.sorted()
        if let settings = configuration.recording { try startRecording(settings) }
        if let path = configuration.viewDigestsPath { viewDigests = try ViewDigestLog(path: path) }
        let address = try SocketAddress(host: configuration.host, port: configuration.port)
        // TCP and UDP share one port. With port 0 the system picks a free TCP port, which
        // another program may hold for UDP (a load test's thousands of bots do): then another
        // port is picked, a bounded number of times.
        var attempt = 0
        while listener == nil {
            attempt += 1
            let tcp = try TCPListener(loop: loop, address: address, queuedBytesMax: configuration.writeQueueBytesMax) { [unowned self] c in
                self.accept(c)
            }
            let port = tcp.localAddress!.port
            let socket: UDPSocket
            do {
                socket = try UDPSocket(loop: loop, address: SocketAddress(host: configuration.host, port: port),
                                       receiveBatch: UDPSocket.receiveBatchMax) { [unowned self] bytes, from in
                    self.receive(datagram: bytes, from: from)
                }
            } catch {
                tcp.close()
                guard configuration.port == 0, error.isAddressInUse, attempt < 20 else { throw error }
                continue
            }
            listener = tcp
            udp = socket
        }
        wake = try UVAsync(loop: loop) { [unowned self] in self.woken() }
        wakeOpen = true
        if let settings = configuration.store { try openRecords(settings) }
        for signal in [SIGINT, SIGTERM] {
            signals.append(try UVSignal(loop: loop, signal: signal) { [unowned self] n in
                self.beginShutdown(reason: n == SIGINT ? "SIGINT" : "SIGTERM")
            })
        }
    }

    /// The port TCP and UDP listen on.
    public var port: UInt16 { listener?.localAddress?.port ?? 0 }

    /// Runs the loop until the server has shut down. Call on the thread that owns the server.
    public func run() {
        // A parent may have started this process with SIGINT and SIGTERM blocked (Foundation's
        // Process does, from a test runner); a blocked signal would never reach libuv's handler,
        // and the server would ignore an orchestrator's request to stop. Unblock them here.
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGINT)
        sigaddset(&stopSignals, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &stopSignals, nil)
        startedAt = configuration.clock.monotonicNanos()
        let period = UInt64(1_000 / configuration.tickRateHertz)
        tickTimer = try? UVTimer(loop: loop) { [unowned self] in self.tickDue() }
        tickTimer?.start(afterMillis: period, repeatMillis: max(1, period / 2))
        statusTimer = try? UVTimer(loop: loop) { [unowned self] in self.logStatus() }
        let every = UInt64(configuration.statusEverySeconds * 1_000)
        statusTimer?.start(afterMillis: every, repeatMillis: every)
        startRecordTimers()
        roomTimer = try? UVTimer(loop: loop) { [unowned self] in
            self.closeEmptyRooms()
            self.deskSecond()
        }
        roomTimer?.start(afterMillis: 1_000, repeatMillis: 1_000)
        startPublishing()
        logger.info("listening", metadata: ["tcp": "\(configuration.host):\(port)", "udp": "\(configuration.host):\(port)",
                                            "spaces": "\(spaces.count)", "tickRateHertz": "\(configuration.tickRateHertz)"])
        loop.run()
        loop.closeAll()
        stopRecording()
        viewDigests?.close()
        closeRecords()
        logger.info("stopped", metadata: ["ticks": "\(counters.ticks)"])
        if let path = configuration.statsFile { writeStats(to: path) }
    }

    /// The server's version, written into recordings and bug reports.
    public static let version = "0.9.0"

    /// A world's seed, from its id (FNV-1a): the same every run, unlike Swift's `hashValue`.
    static func seed(for id: String) -> UInt64 { fnv1a64(id.utf8) }

    // MARK: Other threads

    // The only state other threads touch: a mailbox of tasks and a stop flag, behind a lock,
    // delivered by waking the loop through `wake` (libuv's one thread-safe call).
    let mailboxLock = NSLock()
    nonisolated(unsafe) var mailbox: [() -> Void] = []
    nonisolated(unsafe) var stopRequested = false
    /// Whether `wake` may be sent to (guarded by `mailboxLock`): after it is closed, its memory
    /// is gone, and a late wake from another thread must not touch it.
    nonisolated(unsafe) var wakeOpen = false
    var wake: UVAsync?

    /// Wakes the loop thread. Safe from any thread, also after shutdown.
    func wakeFromAnyThread() {
        mailboxLock.withLock { if wakeOpen { wake?.send() } }
    }

    /// Asks the server to shut down gracefully. Safe from any thread.
    public func requestStop() {
        mailboxLock.withLock { stopRequested = true }
        wakeFromAnyThread()
    }

    /// Runs `body` on the loop thread and waits for its result: for tests and tools that
    /// inspect state. Must not be called on the loop thread, nor after the server stopped.
    public func inspect<T>(_ body: @escaping (Server) -> T) -> T {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: T?
        let task: () -> Void = { [unowned self] in
            result = body(self)
            done.signal()
        }
        mailboxLock.withLock { mailbox.append(task) }
        wakeFromAnyThread()
        done.wait()
        return result!
    }

    func woken() {
        let (tasks, stop) = mailboxLock.withLock { () -> ([() -> Void], Bool) in
            defer { mailbox.removeAll() }
            return (mailbox, stopRequested)
        }
        storeCompleted()
        for task in tasks { task() }
        if stop { beginShutdown(reason: "stop requested") }
    }

    public func world(_ spaceID: String) -> World? { spaces[spaceID]?.world }

    // MARK: Connections

    func accept(_ c: TCPConnection) {
        guard !stopping, sessions.count < configuration.sessionsMax else {
            c.write(Framing.frame(ServerMessage.error(code: stopping ? .shuttingDown : .rateLimited, requestID: 0,
                                                      text: stopping ? "the server is stopping" : "the server is full").encode()))
            c.close()
            return
        }
        var id: UInt64
        repeat { id = random.next() } while id == 0 || sessions[id] != nil
        var secret = [UInt8](repeating: 0, count: WireProtocol.udpSecretBytes)
        for i in secret.indices { secret[i] = UInt8.random(in: 0...255, using: &random) }
        let session = Session(id: id, connection: c, server: self, secret: secret, nowMillis: loop.nowMillis, limits: configuration.connectionLimits)
        c.delegate = session
        c.lastWordsOnOverflow = Framing.frame(ServerMessage.error(code: .tooSlow, requestID: 0,
                                                                  text: "disconnected: this client did not read its messages fast enough").encode())
        sessions[id] = session
        counters.connectionsAccepted += 1
    }

    func sessionClosed(_ s: Session, error: UVError?) {
        deskSessionGone(s)
        carryOut(s.presence.disconnected(s.endReason), for: s)
        sessions[s.id] = nil
        forgetAccount(s)
        counters.connectionsClosed += 1
        if let error { logger.debug("connection closed", metadata: ["session": "\(s.id)", "error": "\(error)"]) }
    }

    /// Carries out what a session's state machine decided.
    func perform(_ action: ConnectionStateMachine.Action, for s: Session) {
        switch action {
        case .none: break
        case .send(let message): s.send(message)
        case .close(let code, let text):
            if code == .idleTimeout { s.endReason = .idleTimeout }
            s.send(.error(code: code, requestID: 0, text: text))
            s.connection.close()
        case .closeQuietly: s.connection.close()
        case .authenticateGuest(let name):
            s.role = replay == nil ? 0 : Self.spectatorRole
            s.displayName = name
            perform(s.machine.authenticated(welcome(for: s)), for: s)
        case .authenticateMember(let token):
            let now = UInt64(nowUnixMillis() / 1_000)
            switch MemberToken.verify(token, secret: configuration.tokenSecret, nowUnixSeconds: now) {
            case .success(let t):
                s.role = replay == nil ? 1 : Self.spectatorRole
                s.displayName = t.displayName
                s.accountID = t.accountID
                s.roles = t.roles
                recordAccount(t)
                admitMember(s)
            case .failure(.expired(let at)):
                perform(s.machine.refused(.tokenExpired, "the token expired at unix time \(at)"), for: s)
            case .failure(let failure):
                perform(s.machine.refused(.authenticationFailed, "the token does not verify: \(failure)"), for: s)
            }
        case .deliver(let message): handle(message, from: s)
        }
    }

    func welcome(for s: Session) -> Welcome {
        Welcome(sessionID: s.id, udpSecret: s.secret, tickRateHertz: UInt16(configuration.tickRateHertz), role: s.role,
                displayName: s.displayName, spaces: spaceEntries)
    }

    func handle(_ message: ClientMessage, from s: Session) {
        if s.role != 1 && !Self.guestMay(message) {
            refuseGuest(message, from: s)
            return
        }
        switch message {
        case .enterSpace(let request, let spaceID):
            guard spaces[spaceID] != nil, rooms.room(spaceID: spaceID) == nil else {
                let text: String
                if templateIDs.contains(spaceID) {
                    text = "'\(spaceID)' is a room template: open a room from it (openRoom), or enter an open one (enterRoom)"
                } else if rooms.room(spaceID: spaceID) != nil {
                    text = "'\(spaceID)' is a room: enter it with enterRoom, so that its access rule applies"
                } else {
                    text = "no space '\(spaceID)'"
                }
                s.send(.error(code: .unknownSpace, requestID: request, text: text))
                return
            }
            if replay != nil { return carryOut(s.presence.watch(spaceID, request: request), for: s) }
            // Travel through the world map (the space one is in is refused with 11, another
            // pending entry with 18: Presence decides).
            carryOut(s.presence.enter(spaceID, request: request, to: .publicSpace), for: s)
        case .leaveSpace(let request):
            if replay != nil, s.spaceID != nil {
                carryOut(s.presence.leave(.leave), for: s)
                s.send(.left(requestID: request))
                return
            }
            guard let current = s.spaceID, s.avatar != nil else {
                s.send(.error(code: .notInSpace, requestID: request, text: "not in a space"))
                return
            }
            // Leaving a desk session's room ends the session, for both.
            if let room = rooms.room(spaceID: current), deskSession(inRoom: room.id) != nil {
                endDeskSession(room.id, endedBy: s, request: request)
                return
            }
            let wasRoom = s.presence.inRoom
            carryOut(s.presence.leave(.leave), for: s)
            s.send(.left(requestID: request))
            // Leaving a room: back to where the member entered it from.
            if wasRoom { carryOut(s.presence.returnToOrigin(request: request), for: s) }
        case .snapshotsOverTCP(let on): s.snapshotsOverTCP = on
        case .ping(let t): s.send(.pong(clientTimeMicros: t, serverTick: UInt64(counters.ticks)))
        case .input(let body): apply(body, from: s)
        case .reportBug(let request, let description): fileBugReport(s, request: request, description: description)
        case .chat(let request, let to, let text): chat(s, request: request, to: to, text: text)
        case .reportUser(let request, let entity, let reason, let description):
            reportUser(s, request: request, entity: entity, reason: reason, description: description)
        case .block(let request, let subject, let on): block(s, request: request, subject: subject, on: on)
        case .listBlocks(let request): s.send(.blockList(requestID: request, accounts: s.blocked.sorted()))
        case .staff(let request, let action, let subject, let seconds, let reason):
            staffAction(s, request: request, action: action, subject: subject, seconds: seconds, reason: reason)
        case .openRoom(let request, let template, let title, let access): openRoom(s, request: request, template: template, title: title, access: access)
        case .enterRoom(let request, let roomID, let code): enterRoom(s, request: request, roomID: roomID, code: code)
        case .listRooms(let request, let offset): listRooms(s, request: request, offset: offset)
        case .deskDuty(let request, let desk, let on, let field): deskDuty(s, request: request, deskID: desk, on: on, field: field)
        case .joinQueue(let request, let desk, let field): joinQueue(s, request: request, deskID: desk, field: field)
        case .leaveQueue(let request, let desk): leaveQueue(s, request: request, deskID: desk)
        case .takeNext(let request, let desk): takeNext(s, request: request, deskID: desk)
        case .listDesks(let request): listDesks(s, request: request)
        case .endSession(let request):
            guard let account = s.accountID, let roomID = deskSession(of: account)?.session.roomID else {
                s.send(.error(code: .unknownTarget, requestID: request, text: "you are in no desk session"))
                return
            }
            endDeskSession(roomID, endedBy: s, request: request)
            s.send(.done(requestID: request))
        case .hello, .authenticateGuest, .authenticateMember, .goodbye: break // handled by the state machine
        }
    }

    /// The `welcome` role of every client of a recording.
    static let spectatorRole: UInt8 = 2

    // MARK: UDP

    func receive(datagram bytes: UnsafeRawBufferPointer, from address: SocketAddress) {
        counters.bytesIn += bytes.count
        counters.datagramsIn += 1
        // Size, protocol id and type are checked in place; only a datagram that passes is copied.
        guard Packet.passesFirstChecks(bytes), let packet = try? Packet.decode(Array(bytes)) else {
            drop(.malformed)
            return
        }
        switch packet {
        case .bindRequest(let sessionID):
            guard let s = sessions[sessionID], s.machine.state == .active else {
                drop(.unknownSession)
                return
            }
            send(s.binding.bindRequested(from: address, nonce: random.next()))
        case .challengeResponse(let sessionID, let nonce, let mac):
            guard let s = sessions[sessionID] else {
                drop(.unknownSession)
                return
            }
            let expected = bindingMAC(secret: s.secret, sessionID: sessionID, nonce: nonce)
            let action = s.binding.challengeAnswered(from: address, nonce: nonce, mac: mac, expectedMAC: expected)
            if case .none = action { drop(.challengeFailed) } else { counters.udpBound += 1 }
            send(action)
        case .input(let sessionID, let body):
            guard let s = sessions[sessionID], s.binding.accepts(from: address) else {
                drop(.notBound)
                return
            }
            s.machine.heard(nowMillis: loop.nowMillis)
            apply(body, from: s)
        case .challenge, .bound, .snapshot:
            drop(.wrongDirection) // server-to-client packets are never accepted
        }
    }

    func drop(_ reason: UDPDropReason) {
        counters.udpDropped += 1
        udpDroppedByReason[reason.rawValue] += 1
    }

    func send(_ action: BindingStateMachine<SocketAddress>.Action) {
        switch action {
        case .none: break
        case .reply(let packet, let to), .bind(let to, let packet):
            let bytes = packet.encode()
            if udp?.send(bytes, to: to) == true {
                counters.bytesOut += bytes.count
                counters.datagramsOut += 1
            }
        }
    }

    func apply(_ body: InputBody, from s: Session) {
        s.lastInput = (body.clientTimeMillis, loop.nowMillis)
        // The server's round trip: now, less the snapshot time the client echoes, less how long
        // the client held that snapshot (docs/PROTOCOL.md, section 6.1), all mod 65,536 ms.
        if body.echoServerTimeMillis != 0,
           let rtt = roundTripMillis(now: UInt16(truncatingIfNeeded: loop.nowMillis), echoed: body.echoServerTimeMillis, held: body.holdMillis) {
            s.rttMillis = rtt
            rttRing.add(rtt)
        }
        if body.ackTick != 0 { s.feed?.acknowledge(body.ackTick, scratch: snapshotScratch) }
        if replay != nil {
            // A command is new when its sequence is past the last one seen (a client repeats
            // its recent commands, and sends sequence 0 before any); every new one is refused.
            guard body.sequence > s.lastSequence else { return }
            s.lastSequence = body.sequence
            counters.spectatorInputsRefused += 1
            // Said once a second at most: a client sends inputs every tick.
            if loop.nowMillis >= s.refusedNoticeAtMillis + 1_000 {
                s.refusedNoticeAtMillis = loop.nowMillis
                s.send(.error(code: .spectatorOnly, requestID: 0, text: "this server plays a recording: spectators only, inputs are refused"))
            }
            return
        }
        guard let spaceID = s.spaceID, let avatar = s.avatar, let space = spaces[spaceID] else { return }
        // Commands are newest first; apply, oldest first, those not applied before.
        for (i, command) in body.commands.enumerated().reversed() {
            let sequence = body.sequence &- UInt32(i)
            guard sequence > s.lastSequence else { continue }
            s.lastSequence = sequence
            counters.inputsApplied += 1
            switch command {
            case .stop: space.inputs.append(.move(avatar, .stop))
            case .go(let heading, let pace): space.inputs.append(.move(avatar, .go(Heading(raw: heading), pace == 2 ? .run : .walk)))
            case .walkTo(let x, let y, let pace): space.inputs.append(.move(avatar, .walkTo(Vec2(x, y), pace == 2 ? .run : .walk)))
            }
        }
    }

    // MARK: The tick

    func tickDue() {
        let period = 1_000_000_000 / UInt64(configuration.tickRateHertz)
        let due = Int((configuration.clock.monotonicNanos() - startedAt) / period) - counters.ticks - counters.ticksSkipped
        guard due > 0 else { return }
        let run = min(due, configuration.catchUpTicksMax)
        counters.ticksSkipped += due - run
        for _ in 0..<run { tick() }
        let now = loop.nowMillis
        for s in sessions.values { perform(s.machine.timePassed(nowMillis: now), for: s) }
    }

    func tick() {
        let started = configuration.clock.monotonicNanos()
        let nowUnixMillis = configuration.recording == nil ? 0 : UInt64(self.nowUnixMillis())
        counters.ticks += 1
        let tickNumber = UInt32(truncatingIfNeeded: counters.ticks)
        for id in spaceOrder {
            guard let space = spaces[id] else { continue }
            counters.clientTicks += space.members.count
            if let replay {
                guard let world = replay.next() else {
                    beginShutdown(reason: "the recording ended at tick \(space.world.tick)")
                    return
                }
                space.world = world
                sendSnapshots(space, tick: tickNumber)
                continue
            }
            space.world.step(space.inputs)
            space.inputs.removeAll(keepingCapacity: true)
            if space.world.tick % UInt64(configuration.tickRateHertz) == 0 { sampleTrail(space) }
            if let recorder = space.recorder {
                recorder.record(space.world, nowUnixMillis: nowUnixMillis)
                if let why = recorder.stopped {
                    logger.error("recording stopped", metadata: ["space": "\(id)", "reason": "\(why)"])
                    space.recorder = nil
                }
            }
            for result in space.world.report.enterResults {
                // A client that closed before its avatar was placed: take the avatar out again.
                // One sent elsewhere meanwhile is Presence's stray, taken out the same way.
                guard let s = sessions[result.tag] else {
                    if case .success(let avatar) = result.outcome { space.inputs.append(.leave(avatar)) }
                    continue
                }
                switch result.outcome {
                case .success(let avatar): carryOut(s.presence.placed(in: id, avatar: avatar), for: s)
                case .failure(let refusal): carryOut(s.presence.refused(in: id, refusal), for: s)
                }
            }
            sendSnapshots(space, tick: tickNumber)
        }
        let elapsed = configuration.clock.monotonicNanos() - started
        tickDurations.add(elapsed)
        noteTickForOperator(elapsed)
    }

    func sendSnapshots(_ space: SpaceInstance, tick: UInt32) {
        let world = space.world
        // Names of avatars entering each member's view, from this tick's view changes.
        var newlySeen: [UInt64: [AvatarID]] = [:]
        for change in world.report.viewChanges where change.entered {
            if let observer = space.sessionBySlot[change.observer.slot], observer.avatar == change.observer {
                newlySeen[observer.id, default: []].append(change.subject)
            }
        }
        let serverTime = UInt16(truncatingIfNeeded: loop.nowMillis)
        for s in space.members.values {
            // The feed is advanced in place in its session: a local copy would share its arrays
            // with the session's, and every mutation of them would copy them, per client per tick.
            guard s.feed != nil else { continue }
            let (clientTime, heardAt) = s.lastInput
            let header = SnapshotHeader(tick: tick, baselineTick: 0, inputAck: s.lastSequence, echoClientTimeMillis: clientTime,
                                        holdMillis: UInt16(truncatingIfNeeded: loop.nowMillis &- heardAt), serverTimeMillis: serverTime)
            if let (body, _) = s.feed!.next(world: world, header: header, scratch: snapshotScratch) {
                if let log = viewDigests, tick % ViewDigestLog.everyTicks == 0 { log.add(session: s.id, tick: tick, known: s.feed!.lastKnown) }
                if let address = s.binding.boundAddress, let udp {
                    // Batched: one sendmmsg per 64 clients (counted when sent, below).
                    udp.queue(to: address) { Packet.writeSnapshot(body, into: $0) }
                } else if s.snapshotsOverTCP {
                    s.send(.snapshot(body))
                    counters.snapshotsSent += 1
                }
            }
            if let seen = newlySeen[s.id] {
                var names: [(entity: UInt32, name: String)] = []
                for subject in seen where !s.namesSent.contains(SnapshotFeed.entity(subject)) {
                    guard let other = space.sessionBySlot[subject.slot], other.avatar == subject else { continue }
                    s.namesSent.insert(SnapshotFeed.entity(subject))
                    names.append((SnapshotFeed.entity(subject), other.displayName))
                    if names.count == WireProtocol.namesPerMessageMax {
                        s.send(.names(names))
                        names.removeAll()
                    }
                }
                if !names.isEmpty { s.send(.names(names)) }
            }
        }
        if let sent = udp?.flush() {
            counters.bytesOut += sent.bytes
            counters.datagramsOut += sent.datagrams
            counters.snapshotsSent += sent.datagrams
        }
    }

    // MARK: Shutdown

    func beginShutdown(reason: String) {
        guard !stopping else { return }
        stopping = true
        logger.info("shutting down", metadata: ["reason": "\(reason)", "clients": "\(sessions.count)"])
        closeAllVisits()
        records?.heartbeatTimer?.close()
        records?.pruneTimer?.close()
        records?.auditTimer?.close()
        for s in sessions.values { s.send(.shuttingDown(seconds: 0, text: "the server is stopping (\(reason))")) }
        listener?.close()
        tickTimer?.close()
        statusTimer?.close()
        roomTimer?.close()
        // The last view says so: /readyz answers "shutting down" until the process ends.
        if publishTimer != nil { publishView() }
        publishTimer?.close()
        // Give the notices a moment to leave, then close everything; the loop then ends.
        // Every close by the server is preceded by an error saying why (PROTOCOL.md, 7.1): the
        // notice above warns, this error ends.
        closerTimer = try? UVTimer(loop: loop) { [unowned self] in
            for s in self.sessions.values {
                s.send(.error(code: .shuttingDown, requestID: 0, text: "the server stopped (\(reason))"))
                s.connection.close()
            }
            self.udp?.close()
            self.mailboxLock.withLock { self.wakeOpen = false }
            self.wake?.close()
            for signal in self.signals { signal.close() }
            self.closerTimer?.close()
        }
        closerTimer?.start(afterMillis: 200, repeatMillis: 0)
    }

    var closerTimer: UVTimer?
}

