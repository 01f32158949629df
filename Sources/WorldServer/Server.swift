// The SeoulWorld server: every public space of the world files, reachable over TCP and UDP.
//
// One libuv loop thread owns everything: the sockets, the sessions and the worlds. A
// repeating timer drives the tick; each timer callback runs the ticks that are due by the
// clock, at most `catchUpTicksMax` of them, and counts the rest as skipped, so a stall never
// turns into a burst that stalls again. Per tick and per space, in space-id order: the inputs
// collected since the last tick are stepped, enter results are answered, and each client is
// sent its snapshot (UDP when bound, else TCP if it asked) and the names of avatars new to it.
//
// Where the rest is: the state, by owner: the sessions (SessionTable), the worlds and room
// templates (SpaceHost), the loop and sockets (LoopIO), the timers (LoopTimers, on libuv or
// on a VirtualDriver's clock), where each session is (Presence). The work, by concern:
// connections (Server+Connections), signing in (Server+SignIn), UDP and inputs
// (Server+Realtime), the tick, snapshots and shutdown (Server+Tick), travel (Server+Presence),
// chat, records, recording, the operator's view and status (one Server+ file each); the
// features' subsystems in folders of their own (Rooms/, Desks/, Moderation/, TaxSquare/,
// Notices/, Suggestions/, Inbox/, Places/, Guide/), each owning its
// Services machine and carrying out its effects. Which feature serves each message,
// hears presence's changes and works once a second is listed in one place (Features.swift).
//
// Invariants:
// 1. Only the loop thread touches server state; `requestStop` (any thread) goes through UVAsync.
// 2. A session is in at most one space and has at most one avatar (its Presence).
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

public final class Server: @unchecked Sendable {
    public let configuration: ServerConfiguration
    /// The worlds served, in tick order, and the room templates (SpaceHost.swift).
    let host: SpaceHost
    /// The features' subsystems, each owning its machine and carrying out its effects
    /// (Rooms/RoomsSubsystem.swift, Desks/DesksSubsystem.swift); Features.swift lists what
    /// each hears.
    lazy var roomsSubsystem = RoomsSubsystem(server: self, rules: configuration.roomRules)
    lazy var desksSubsystem = DesksSubsystem(server: self)
    lazy var moderation = ModerationSubsystem(server: self)
    lazy var taxSquare = TaxSquareSubsystem(server: self)
    lazy var notices = NoticesSubsystem(server: self)
    lazy var suggestions = SuggestionsSubsystem(server: self)
    lazy var inbox = InboxSubsystem(server: self)
    lazy var places = PlacesSubsystem(server: self)
    lazy var guide = GuideSubsystem(server: self)
    lazy var onDuty = OnDutySubsystem(server: self)
    /// This node's leases, travel to other nodes and sign-in with tickets (Cluster/); inert on
    /// a server that is not a node of a cluster.
    lazy var cluster = ClusterSubsystem(server: self, settings: configuration.cluster)
    /// The rooms open now and the desks' state, for those who read them (presence, the
    /// operator's view, the simulation's invariants); only their subsystems change them.
    var rooms: RoomBook { roomsSubsystem.book }
    var desks: DeskBoard { desksSubsystem.board }
    /// Set when serving a recording: the worlds step from it, and every client is a spectator.
    let replay: ReplaySource?
    /// The loop, the sockets and the mailbox (LoopIO.swift).
    let io: LoopIO
    var logger: Logger
    /// Every session, by id and by member account, and the randomness of their ids and secrets
    /// (SessionTable.swift).
    let sessions: SessionTable
    /// The loop's timers and signal handlers, on libuv's clock or a virtual one (LoopTimers.swift).
    let timers: LoopTimers
    public internal(set) var counters = ServerCounters()
    /// The figures measured as the server runs, beside the counters (ServerFigures.swift).
    var figures = ServerFigures()
    public var rttSamples: [UInt16] { figures.rtt.values }
    /// The store's loop-thread side, when the server keeps records.
    var records: Records?
    var stopping = false

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
            host.templates[t.id] = RoomTemplate(definition: definition, admitsRoles: t.admitsRoles, chatRadiusCentimetres: t.chatRadiusCentimetres)
        }
        if let desks = configuration.desks {
            try desksSubsystem.open(desks, catalog: catalog)
            onDuty.open(desks.posts, catalog: catalog)
        }
        if let square = configuration.taxSquare { try taxSquare.open(square, spaces: Set(catalog.publicSpaces.map(\.id))) }
        notices.open(spaces: Set(catalog.publicSpaces.map(\.id)), rules: configuration.noticeRules)
        suggestions.open(spaces: Set(catalog.publicSpaces.map(\.id)))
        places.open(catalog)
        guide.open(configuration.guide)
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
        var configuration = configuration
        if let virtual = configuration.virtualTime { configuration.clock = virtual.serverClock }
        self.configuration = configuration
        host = SpaceHost(spaces: spaces, entries: entries, templateIDs: templates, snapshotWorkers: configuration.snapshotWorkers)
        self.replay = replay
        self.logger = logger
        let loop = try UVLoop()
        io = LoopIO(loop: loop)
        timers = LoopTimers(loop: configuration.virtualTime == nil ? loop : nil)
        sessions = SessionTable(random: ServerRandom(seed: configuration.randomSeed))
        if let settings = configuration.recording { try startRecording(settings) }
        if let path = configuration.viewDigestsPath { host.viewDigests = try ViewDigestLog(path: path) }
        io.mailbox = try LoopMailbox(loop: io.loop) { [unowned self] tasks, stop in self.woken(tasks, stop: stop) }
        if let settings = configuration.store { try openRecords(settings) }
        // On virtual time nothing listens: a VirtualDriver connects its clients in memory.
        if configuration.virtualTime == nil { try listen() }
    }

    /// Opens the TCP listener and the UDP socket on one port, and the stop signals' handlers.
    private func listen() throws {
        let address = try SocketAddress(host: configuration.host, port: configuration.port)
        // TCP and UDP share one port. With port 0 the system picks a free TCP port, which
        // another program may hold for UDP (a load test's thousands of bots do): then another
        // port is picked, a bounded number of times.
        var attempt = 0
        while io.listener == nil {
            attempt += 1
            let tcp = try TCPListener(loop: io.loop, address: address, queuedBytesMax: configuration.writeQueueBytesMax) { [unowned self] c in
                self.accept(c)
            }
            let port = tcp.localAddress!.port
            let socket: UDPSocket
            do {
                socket = try UDPSocket(loop: io.loop, address: SocketAddress(host: configuration.host, port: port),
                                       receiveBatch: UDPSocket.receiveBatchMax) { [unowned self] bytes, from in
                    self.receive(datagram: bytes, from: from)
                }
            } catch {
                tcp.close()
                guard configuration.port == 0, error.isAddressInUse, attempt < 20 else { throw error }
                continue
            }
            io.listener = tcp
            io.udp = socket
        }
        for signal in [SIGINT, SIGTERM] {
            timers.signals.append(try UVSignal(loop: io.loop, signal: signal) { [unowned self] n in
                self.beginShutdown(reason: n == SIGINT ? "SIGINT" : "SIGTERM")
            })
        }
    }

    /// The port TCP and UDP listen on.
    public var port: UInt16 { io.listener?.localAddress?.port ?? 0 }

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
        start()
        logger.info("listening", metadata: ["tcp": "\(configuration.host):\(port)", "udp": "\(configuration.host):\(port)",
                                            "spaces": "\(host.spaces.count)", "tickRateHertz": "\(configuration.tickRateHertz)"])
        io.loop.run()
        finish()
    }

    /// Starts the timers: what `run` does before the loop runs (a VirtualDriver calls it itself).
    func start() {
        figures.startedAt = configuration.clock.monotonicNanos()
        let period = UInt64(1_000 / configuration.tickRateHertz)
        startTimer(.tick, afterMillis: period, everyMillis: max(1, period / 2)) { [unowned self] in self.tickDue() }
        let every = UInt64(configuration.statusEverySeconds * 1_000)
        startTimer(.status, afterMillis: every, everyMillis: every) { [unowned self] in self.logStatus() }
        startRecordTimers()
        for task in atStartTasks { task() }
        startTimer(.everySecond, afterMillis: 1_000, everyMillis: 1_000) { [unowned self] in
            for task in self.everySecondTasks { task() }
        }
        startPublishing()
        cluster.start()
    }

    /// Starts (or restarts) one of the loop's timers, on the server's clock.
    func startTimer(_ name: LoopTimers.Name, afterMillis: UInt64, everyMillis: UInt64, _ action: @escaping () -> Void) {
        timers.start(name, afterMillis: afterMillis, everyMillis: everyMillis, nowMillis: clockMillis, action)
    }

    // MARK: The clock: every time the server reads comes from its ServerClock (Transport)

    /// The server clock's monotonic time in milliseconds: deadlines, rates and idle times.
    var clockMillis: UInt64 { configuration.clock.monotonicMillis() }

    /// The same, signed, as the Services machines take it.
    var monotonicMillis: Int64 { Int64(clockMillis) }

    /// The current time as the store keeps it: Unix milliseconds, UTC, from the server's clock.
    func nowUnixMillis() -> Int64 { configuration.clock.wallMillis() }

    /// The wall time as the desks read it (with a rehearsal's offset, if any).
    var deskNowMillis: Int64 { nowUnixMillis() + configuration.deskClockOffsetMillis }

    /// What `run` does once the loop has ended: closes the recording, the digests, the store.
    func finish() {
        io.loop.closeAll()
        stopRecording()
        host.viewDigests?.close()
        cluster.close()
        closeRecords()
        logger.info("stopped", metadata: ["ticks": "\(counters.ticks)"])
        if let path = configuration.statsFile { writeStats(to: path) }
    }

    /// The server's version, written into recordings and bug reports.
    public static let version = "0.14.0"

    /// A world's seed, from its id (FNV-1a): the same every run, unlike Swift's `hashValue`.
    static func seed(for id: String) -> UInt64 { fnv1a64(id.utf8) }

    // MARK: Other threads

    // The only state other threads touch: the loop's mailbox (Transport's LoopMailbox).

    /// Wakes the loop thread. Safe from any thread, also after shutdown.
    func wakeFromAnyThread() { io.mailbox?.wakeUp() }

    /// Asks the server to shut down gracefully. Safe from any thread.
    public func requestStop() { io.mailbox?.requestStop() }

    /// Runs `body` on the loop thread and waits for its result: for tests and tools that
    /// inspect state. Must not be called on the loop thread, nor after the server stopped.
    public func inspect<T>(_ body: @escaping (Server) -> T) -> T {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: T?
        let task: () -> Void = { [unowned self] in
            result = body(self)
            done.signal()
        }
        io.mailbox?.post(task)
        done.wait()
        return result!
    }

    func woken(_ tasks: [() -> Void], stop: Bool) {
        storeCompleted()
        for task in tasks { task() }
        if stop { beginShutdown(reason: "stop requested") }
    }

    public func world(_ spaceID: String) -> World? { host.spaces[spaceID]?.world }
}
