// Many bots on one libuv loop, each a real `WorldClient` with its own sockets, driven by a
// 20 Hz timer: connecting at the ramp rate, behaving as the scenario says, and measured.
//
// Bounded: at most `count` bots, at most `durationSeconds` of running (plus a short drain),
// and every per-bot record has a fixed size (histograms, counters).

import Transport
import Foundation
import Histogram
import NetProto
import WorldClient
import WorldCore

public struct FleetOptions: Sendable {
    public var server: SocketAddress
    public var count: Int
    public var rampPerSecond: Double
    public var durationSeconds: Double
    public var tcpOnlyShare: Double
    public var scenario: Scenario
    public var seed: UInt64
    /// Bug reports the whole fleet sends per second, spread over its connected bots (each with
    /// at most four waiting for their answer): a write flood for the server's store.
    public var bugReportsPerSecond: Double = 0
    /// How bot `index` signs in: a guest by default; members (minted tokens) to chat.
    public var credentials: @Sendable (Int) -> WorldClient.Credentials = { .guest(displayName: "bot-\($0)") }
    /// A bad network for every bot's UDP (each bot its own seed).
    public var network = NetworkConditions.perfect
    /// Write every bot's view digests here at the end ("session tick digest" lines), for the
    /// soak's desync check against the server's `--view-digests`.
    public var viewDigestsPath: String?
    public static let viewDigestEveryTicks: UInt32 = 20
    /// This fleet's first bot is bot `firstIndex` (its account `bot-<index>` when members):
    /// each process of `bots --processes N` takes its own range, so that no two bots anywhere
    /// share an account, and only the first process has the scenario's counsellors and staff.
    public var firstIndex = 0
    /// Put each latency's whole histogram in the report (beside its percentiles), so that the
    /// reports of several processes can be merged into one (`BotReport.merged`).
    public var keepHistograms = false

    public init(server: SocketAddress, count: Int, rampPerSecond: Double = 100, durationSeconds: Double = 30,
                tcpOnlyShare: Double = 0.1, scenario: Scenario, seed: UInt64 = 1) {
        self.server = server
        self.count = count
        self.rampPerSecond = rampPerSecond
        self.durationSeconds = durationSeconds
        self.tcpOnlyShare = tcpOnlyShare
        self.scenario = scenario
        self.seed = seed
    }
}

final class Bot {
    let index: Int
    let behaviour: Scenario.Behaviour
    let client: WorldClient
    var welcomedAt: UInt64?
    var enteredAt: UInt64?
    var lastSnapshotCount = 0
    var lastSnapshotAt: UInt64?
    var rttSeen = 0
    var bugLatencySeen = 0
    var nextChangeAt: UInt64 = 0
    var nextChatAt: UInt64 = 0
    // The desk scenario.
    var dutyAsked = false
    var queued = false
    var nextDeskAt: UInt64 = 0
    var sessionStartedSeen = 0
    var sessionEndedSeen = 0
    var queueEndsSeen = 0
    var sessionRoom: UInt32?
    var sessionEndsAt: UInt64 = 0
    var chatAnswersSeen = 0
    var errorsSeen = 0
    var tourIndex = 0
    /// Refusals for want of room seen so far (of the client's first `fullErrorsScanned` errors),
    /// and when to ask again.
    var fullRefusalsSeen = 0
    var fullErrorsScanned = 0
    var fullRetryAt: UInt64?
    var handOversSeen = 0
    var resumesSeen = 0
    var closedByUs = false
    /// When the fleet first saw the connection closed (not by itself).
    var closedSeenAt: UInt64?
    var civic = CivicBotState()

    init(index: Int, behaviour: Scenario.Behaviour, client: WorldClient) {
        self.index = index
        self.behaviour = behaviour
        self.client = client
    }
}

public final class BotFleet {
    public let options: FleetOptions
    let loop: UVLoop
    var bots: [Bot] = []
    /// The fleet's own seeded generator (bots are not part of any world's state).
    var random: WorldRandom
    var rtt = Histogram<UInt64>(highestTrackableValue: 60_000, numberOfSignificantValueDigits: .three)
    var snapshotInterval = Histogram<UInt64>(highestTrackableValue: 60_000, numberOfSignificantValueDigits: .three)
    /// Bug reports: request to acknowledgement, microseconds.
    var bugReportLatency = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    var bugReportsSent = 0
    var bugReportsBlocked = 0
    /// Hand-overs between the nodes of a cluster: from the `enterSpace` (the request) to
    /// `entered` on the other node, microseconds.
    var handOverLatency = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    /// Connections that dropped without a word and came back with a resume ticket: from the
    /// drop to `entered` again, microseconds.
    var resumeLatency = Histogram<UInt64>(highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: .three)
    var nextReporter = 0
    /// Bots the servers removed as a staff action (kicked, banned), as the fleet saw them go.
    var removals: [BotReport.Removal] = []
    /// Chat: sent to received by another bot, microseconds (the sender's clock is in the text:
    /// every bot shares this process's clock).
    var chatLatency = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    var chat = ChatFigures()
    /// The desk scenario: from a session's start (the counsellor's `sessionStarted`) to both
    /// placed in its room, microseconds.
    var takeToRoom = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    var desk = DeskFigures()
    /// The civic scenario: what the bots did, and a suggestion's request to its answer (filed or
    /// refused), microseconds.
    var civic = CivicFigures()
    var suggestionLatency = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    var roomStarts: [UInt32: UInt64] = [:]
    var roomEntries: [UInt32: [UInt64]] = [:]
    var startedAt: UInt64 = 0
    var timer: UVTimer?
    var networkTimer: UVTimer?
    var signal: UVSignal?
    var stopRequested = false
    var lastProgressAt: UInt64 = 0
    var progress: (String) -> Void = { _ in }
    /// How the fleet's own loop kept time (FleetLoop.swift).
    var loopTimes = FleetLoop()
    var startedCPU: UInt64 = 0

    /// The CPU time this process has used, nanoseconds.
    static func processCPUNanos() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
    }

    public init(options: FleetOptions) throws {
        precondition(options.count >= 0 && options.rampPerSecond > 0 && options.durationSeconds > 0)
        self.options = options
        loop = try UVLoop()
        random = WorldRandom(seed: options.seed)
    }

    /// Runs the fleet to the end of its duration (or Ctrl-C) and returns the report.
    public func run(progress: @escaping (String) -> Void) throws -> BotReport {
        self.progress = progress
        startedAt = Monotonic.nanoseconds()
        startedCPU = Self.processCPUNanos()
        timer = try UVTimer(loop: loop) { [unowned self] in self.tick() }
        timer?.start(afterMillis: 0, repeatMillis: 50)
        if !options.network.isPerfect {
            // The simulated network delivers what is due every 5 ms: latency finer than the tick.
            networkTimer = try UVTimer(loop: loop) { [unowned self] in for bot in self.bots { bot.client.pumpNetwork() } }
            networkTimer?.start(afterMillis: 5, repeatMillis: 5)
        }
        signal = try UVSignal(loop: loop, signal: SIGINT) { [unowned self] _ in self.stopRequested = true }
        loop.run()
        let report = makeReport()
        loop.closeAll()
        return report
    }

    var elapsedSeconds: Double { Double(Monotonic.nanoseconds() - startedAt) / 1e9 }

    func tick() {
        let now = Monotonic.nanoseconds()
        loopTimes.began(at: now)
        defer { loopTimes.ended(at: Monotonic.nanoseconds()) }
        if stopRequested || elapsedSeconds >= options.durationSeconds {
            finish()
            return
        }
        // Ramp: as many bots as the elapsed time allows.
        let due = min(options.count, Int(elapsedSeconds * options.rampPerSecond) + 1)
        while bots.count + failedToOpen < due { launch() }
        for bot in bots { drive(bot, now: now) }
        sendBugReports()
        if now - lastProgressAt >= 1_000_000_000 {
            lastProgressAt = now
            checkContact()
            progress(progressLine())
        }
    }

    /// Sends the bug reports due by now at the fleet's rate, round-robin over bots in a space.
    func sendBugReports() {
        guard options.bugReportsPerSecond > 0, !bots.isEmpty else { return }
        let due = Int(elapsedSeconds * options.bugReportsPerSecond) - bugReportsSent - bugReportsBlocked
        var sent = 0, tried = 0
        while sent < due && tried < bots.count {
            let bot = bots[nextReporter % bots.count]
            nextReporter += 1
            tried += 1
            let c = bot.client
            guard c.space != nil, !c.closed, c.bugReportsOutstanding < 4 else { continue }
            c.reportBug("load test report \(bugReportsSent) from bot \(bot.index): 시청 로비에서 공지판이 보이지 않아요")
            bugReportsSent += 1
            sent += 1
        }
        // Reports no bot could take this tick (all waiting for answers) are counted, not queued.
        bugReportsBlocked += due - sent
    }

    func launch() {
        let index = options.firstIndex + bots.count
        let behaviour = pickBehaviour()
        let tcpOnly = Double(random.next() % 10_000) / 10_000 < options.tcpOnlyShare
        do {
            var clientOptions = WorldClient.Options(tcpOnly: tcpOnly, network: options.network, networkSeed: options.seed &* 1_000_003 &+ UInt64(index))
            if options.viewDigestsPath != nil { clientOptions.viewDigestEveryTicks = FleetOptions.viewDigestEveryTicks }
            let client = try WorldClient(loop: loop, server: options.server, credentials: options.credentials(index), options: clientOptions)
            bots.append(Bot(index: index, behaviour: behaviour, client: client))
        } catch {
            // A socket that cannot even be opened (out of file descriptors, say) is an attempt that failed.
            failedToOpen += 1
            failedToOpenReason = "\(error)"
        }
    }

    var failedToOpen = 0
    var failedToOpenReason = ""

    func pickBehaviour() -> Scenario.Behaviour {
        var roll = Double(random.next() % 1_000_000) / 1_000_000
        for b in options.scenario.behaviours {
            if roll < b.share { return b }
            roll -= b.share
        }
        return options.scenario.behaviours.last!
    }

    func drive(_ bot: Bot, now: UInt64) {
        let c = bot.client
        if c.closed && !bot.closedByUs && bot.closedSeenAt == nil {
            bot.closedSeenAt = now
            if let last = c.errors.last, last.code == .kicked || last.code == .banned, removals.count < BotReport.removalsMax {
                removals.append(BotReport.Removal(bot: bot.index, code: "\(last.code)", server: "\(c.serverAddress)",
                                                  atUnixMillis: Int64(Date().timeIntervalSince1970 * 1_000)))
            }
        }
        if c.welcome != nil && bot.welcomedAt == nil {
            bot.welcomedAt = now
            c.enter(options.scenario.world)
        }
        if c.space != nil && bot.enteredAt == nil { bot.enteredAt = now }
        retryWhenFull(bot, now: now)
        // Measurements.
        if c.snapshotsReceived > bot.lastSnapshotCount {
            if let last = bot.lastSnapshotAt { _ = snapshotInterval.record((now - last) / 1_000_000) }
            bot.lastSnapshotAt = now
            bot.lastSnapshotCount = c.snapshotsReceived
        }
        while bot.rttSeen < c.rttMillis.count {
            _ = rtt.record(UInt64(c.rttMillis[bot.rttSeen]))
            bot.rttSeen += 1
        }
        while bot.bugLatencySeen < c.bugReportLatencyMicros.count {
            _ = bugReportLatency.record(UInt64(c.bugReportLatencyMicros[bot.bugLatencySeen]))
            bot.bugLatencySeen += 1
        }
        while bot.handOversSeen < c.handOverMicros.count {
            _ = handOverLatency.record(UInt64(c.handOverMicros[bot.handOversSeen]))
            bot.handOversSeen += 1
        }
        while bot.resumesSeen < c.resumeMicros.count {
            _ = resumeLatency.record(UInt64(c.resumeMicros[bot.resumesSeen]))
            bot.resumesSeen += 1
        }
        countChat(bot, now: now)
        if options.scenario.desk != nil { driveDesk(bot, now: now) }
        if options.scenario.civic != nil { driveCivic(bot, now: now) }
        // A touring bot whose entry was refused (full, no free spot) tries the next space when
        // its turn comes; the others stay where they were refused.
        let touringOutside = bot.behaviour.kind == .tour && c.space == nil && c.welcome != nil && !c.handOverPending && !c.resumePending
        guard c.space != nil || touringOutside, now >= bot.nextChangeAt else {
            c.tick()
            return
        }
        behave(bot, now: now)
        c.tick()
    }

    /// A bot that was refused for want of room (9, spaceFull) and is in no space asks for the
    /// scenario's world again 2 to 3 s later, as a person at a full plaza would; on a city of
    /// nodes an overflow instance may have opened meanwhile (docs/CLUSTER.md).
    func retryWhenFull(_ bot: Bot, now: UInt64) {
        let c = bot.client
        var refused = false
        while bot.fullErrorsScanned < c.errors.count {
            let e = c.errors[bot.fullErrorsScanned]
            if e.code == .spaceFull { refused = true; bot.fullRefusalsSeen += 1 }
            // A resumption refused a place (the space jammed where it comes in): enter again too.
            if e.code == .noFreeSpot || e.code == .notHosted, e.requestID == 0 { refused = true }
            bot.fullErrorsScanned += 1
        }
        if refused && c.space == nil && bot.fullRetryAt == nil { bot.fullRetryAt = now + 2_000_000_000 + random.next() % 1_000_000_000 }
        guard let at = bot.fullRetryAt, now >= at else { return }
        bot.fullRetryAt = nil
        guard c.space == nil, c.welcome != nil, !c.closed, !c.handOverPending, !c.resumePending else { return }
        c.enter(options.scenario.world)
    }

    func behave(_ bot: Bot, now: UInt64) {
        let c = bot.client
        let b = bot.behaviour
        let every = UInt64((b.changeEverySeconds ?? 2) * 1e9)
        // Spread the bots' decisions over the interval so they do not all turn on one tick.
        bot.nextChangeAt = now + every / 2 + random.next() % max(1, every)
        switch b.kind {
        case .idle:
            bot.nextChangeAt = .max
            c.move(.stop)
        case .wander:
            let roll = random.next() % 10
            c.move(roll < 8 ? .go(heading: UInt16(truncatingIfNeeded: random.next()), pace: roll < 7 ? 1 : 2) : .stop)
        case .gather:
            let point = b.gatherPointMetres ?? [0, 0]
            let radius = (b.gatherRadiusMetres ?? 15) * 100
            let angle = Double(random.next() % 62_832) / 10_000
            let distance = radius * (Double(random.next() % 1_000) / 1_000).squareRoot()
            c.move(.walkTo(x: Int32(point[0] * 100 + distance * cos(angle)), y: Int32(point[1] * 100 + distance * sin(angle)), pace: 1))
        case .tour:
            let spaces = b.tourSpaces ?? []
            bot.nextChangeAt = now + UInt64((b.tourEverySeconds ?? 20) * 1e9)
            if !spaces.isEmpty {
                c.enter(spaces[bot.tourIndex % spaces.count])
                bot.tourIndex += 1
            }
        }
    }

    var contactViolations = 0
    var viewsChecked = 0

    /// Checks every connected bot's view against the no-contact rule (once a second).
    func checkContact() {
        for bot in bots where bot.client.space != nil && !bot.client.closed {
            contactViolations += Self.pairsTooClose(bot.client.view, around: bot.client.me)
            viewsChecked += 1
        }
    }

    func finish() {
        checkContact()
        timer?.close()
        networkTimer?.close()
        signal?.close()
        for bot in bots where !bot.client.closed {
            bot.closedByUs = true
            bot.client.close()
        }
    }

    func progressLine() -> String {
        let connected = bots.filter { $0.client.welcome != nil && !$0.client.closed }.count
        let failed = bots.filter { $0.client.welcome == nil && $0.client.closed }.count
        let seconds = max(elapsedSeconds, 0.001)
        let down = Double(bots.reduce(0) { $0 + $1.client.bytesReceived }) * 8 / 1_000 / seconds / Double(max(1, bots.count))
        let up = Double(bots.reduce(0) { $0 + $1.client.bytesSent }) * 8 / 1_000 / seconds / Double(max(1, bots.count))
        return String(format: "%5.0f s  connected %d / failed %d / target %d  rtt p50 %d p99 %d ms  snapshot interval p99 %d ms  %.1f kbit/s down %.1f up per bot",
                      elapsedSeconds, connected, failed, options.count, rtt.valueAtPercentile(50), rtt.valueAtPercentile(99),
                      snapshotInterval.valueAtPercentile(99), down, up)
    }

    static let cleanLines = ["안녕하세요, 여기 사람 정말 많네요", "종 치는 거 몇 시예요?", "happy new year from the plaza", "see you by the fountain",
                             "사진 찍어 주실 분?", "the lights look great tonight"]
    static let profaneLines = ["아 씨발 렉 걸려", "what the fuck is this queue", "ㅅㅂ 안 보여", "this is bullsh1t"]

    /// Chat: each bot in a space says a line to those nearby every `everySeconds` (first at a
    /// random phase); and what came back is counted.
    func countChat(_ bot: Bot, now: UInt64) {
        let c = bot.client
        for m in c.takeChat() {
            chat.delivered += 1
            // "#<micros> ..." at the start: the sender's clock, which is this process's.
            // Measured at the message's arrival (not at this fleet tick, up to 50 ms later).
            let arrived = m.receivedAtNanos / 1_000
            if m.text.hasPrefix("#"), let sent = UInt64(m.text.dropFirst().prefix { $0.isNumber }), arrived >= sent {
                _ = chatLatency.record(arrived - sent)
            }
        }
        while bot.chatAnswersSeen < c.chatAnswers.count {
            chat.acknowledged += 1
            if c.chatAnswers[bot.chatAnswersSeen].filtered { chat.filtered += 1 }
            bot.chatAnswersSeen += 1
        }
        while bot.errorsSeen < c.errors.count {
            switch c.errors[bot.errorsSeen].code {
            case .rateLimited: chat.rateLimited += 1
            case .muted: chat.muted += 1
            case .guestNotAllowed: chat.refusedAsGuest += 1
            default: break
            }
            bot.errorsSeen += 1
        }
        guard let settings = options.scenario.chat, c.space != nil, !c.closed else { return }
        let every = UInt64(settings.everySeconds * 1e9)
        if bot.nextChatAt == 0 {
            bot.nextChatAt = now + random.next() % max(1, every)
            return
        }
        guard now >= bot.nextChatAt else { return }
        bot.nextChatAt += every
        let profane = Double(random.next() % 1_000_000) / 1_000_000 < settings.profaneShare
        let lines = profane ? Self.profaneLines : Self.cleanLines
        c.chat(.nearby, "#\(now / 1_000) " + lines[Int(random.next() % UInt64(lines.count))])
        chat.sent += 1
        if profane { chat.sentProfane += 1 }
    }

    func makeReport() -> BotReport {
        var r = BotReport()
        let keep = options.keepHistograms
        r.desk = desk
        r.deskTakeToRoomMicros = Percentiles(takeToRoom, keep: keep)
        r.civic = civic
        r.suggestionLatencyMicros = Percentiles(suggestionLatency, keep: keep)
        r.chat = chat
        r.chatLatencyMicros = Percentiles(chatLatency, keep: keep)
        r.scenario = options.scenario.name
        r.world = options.scenario.world
        r.target = options.count
        r.firstBot = options.firstIndex
        r.durationSeconds = elapsedSeconds
        r.attempted = bots.count + failedToOpen
        if failedToOpen > 0 {
            r.failed += failedToOpen
            r.failedByReason["cannot open a socket: \(failedToOpenReason)"] = failedToOpen
        }
        for bot in bots {
            let c = bot.client
            if c.welcome != nil && bot.enteredAt != nil {
                r.succeeded += 1
                if !bot.closedByUs || c.shutdownNotice != nil {
                    r.dropped += 1
                    // A staff action's text names the account's own sanction and time: counted by its code.
                    let removed = c.errors.last.flatMap { $0.code == .kicked || $0.code == .banned ? "server: \($0.code)" : nil }
                    r.droppedByReason[removed ?? c.closeReason ?? (c.shutdownNotice.map { "shutdown: \($0)" } ?? "unknown"), default: 0] += 1
                }
            } else {
                r.failed += 1
                let reason = c.errors.first.map { "\($0.code)" } ?? (c.welcome == nil ? "no welcome" : "never entered")
                r.failedByReason[reason, default: 0] += 1
            }
            r.protocolErrors += c.snapshotsUndecodable + c.errors.filter { $0.code == .malformedMessage }.count
            r.bytesDown += c.bytesReceived
            r.bytesUp += c.bytesSent
            r.snapshots += c.snapshotsReceived
            r.bugReportsFiled += c.bugReportsFiled.count
            r.bugReportsBusy += c.errors.filter { $0.code == .busy }.count
        }
        r.bugReportsSent = bugReportsSent
        r.bugReportsNotSent = bugReportsBlocked
        r.bugReportLatencyMicros = Percentiles(bugReportLatency, keep: keep)
        r.handOvers = bots.reduce(0) { $0 + $1.client.handOvers.count }
        r.handOverMicros = Percentiles(handOverLatency, keep: keep)
        r.handOversPending = bots.filter { $0.client.handOverPending }.count
        r.handOversUnanswered = bots.reduce(0) { $0 + $1.client.handOversUnanswered }
        r.handOversRefused = bots.reduce(0) { $0 + $1.client.handOversRefused }
        r.refusedFull = bots.reduce(0) { $0 + $1.fullRefusalsSeen }
        for bot in bots { if let space = bot.client.space { r.placedBySpace[space, default: 0] += 1 } }
        r.connectionDrops = bots.reduce(0) { $0 + $1.client.drops }
        r.serverFellSilent = bots.reduce(0) { $0 + $1.client.serverFellSilent }
        r.resumesRefused = bots.reduce(0) { $0 + $1.client.resumesRefused }
        r.resumeMicros = Percentiles(resumeLatency, keep: keep)
        r.resumesPending = bots.filter { $0.client.resumePending }.count
        r.removals = removals
        r.computeRates()
        r.contactViolationsSeen = contactViolations
        r.viewsChecked = viewsChecked
        r.rttMillis = Percentiles(rtt, keep: keep)
        r.snapshotIntervalMillis = Percentiles(snapshotInterval, keep: keep)
        r.network = bots.reduce(NetworkFigures()) { $0 + $1.client.networkFigures }
        // The same bots as `dropped` and `failed` above, when the fleet saw them closed.
        let entered = bots.filter { $0.client.welcome != nil && $0.enteredAt != nil }
        let drops = entered.filter { !$0.closedByUs || $0.client.shutdownNotice != nil }.compactMap(\.closedSeenAt)
        let failures = bots.filter { !($0.client.welcome != nil && $0.enteredAt != nil) }.compactMap(\.closedSeenAt)
        r.fleetLoop = loopTimes.figures(dropsSeenAt: drops, failuresSeenAt: failures, keepHistogram: keep)
        r.fleetLoop.processCPUShare = Double(Self.processCPUNanos() - startedCPU) / Double(max(1, Monotonic.nanoseconds() - startedAt))
        r.snapshotsBaselineMissing = bots.reduce(0) { $0 + $1.client.snapshotsBaselineMissing }
        if let path = options.viewDigestsPath { writeViewDigests(to: path) }
        return r
    }

    func writeViewDigests(to path: String) {
        var text = ""
        for bot in bots {
            guard let session = bot.client.welcome?.sessionID else { continue }
            for d in bot.client.viewDigests { text += "\(session) \(d.tick) \(d.digest)\n" }
        }
        do { try text.write(toFile: path, atomically: true, encoding: .utf8) } catch {
            FileHandle.standardError.write(Data("bots: cannot write the view digests to \(path): \(error)\n".utf8))
        }
    }

    /// The check's reach around the bot: within the server's near radius (10 m by default),
    /// every avatar a client shows is of the same tick (SnapshotFeed, invariant 4), so the
    /// no-contact rule must hold on screen exactly there; farther out, avatars are shown as
    /// of their last due update, a few ticks apart, and pairs of different ticks prove nothing.
    public static let contactCheckRadiusUnits: Int64 = 250 // 5 m in 2 cm units

    /// Pairs on the same floor within the check's reach of `me`, closer than 1.2 m (allowing
    /// the 2 cm quantisation).
    static func pairsTooClose(_ view: [EntityState], around me: EntityState?) -> Int {
        guard let me else { return 0 }
        let reach = contactCheckRadiusUnits * contactCheckRadiusUnits
        let close = view.filter { e in
            let dx = Int64(e.x) - Int64(me.x), dy = Int64(e.y) - Int64(me.y)
            return e.floor == me.floor && dx * dx + dy * dy <= reach
        }
        var n = 0
        for i in close.indices {
            for j in (i + 1)..<close.count {
                let dx = Int64(close[i].x) - Int64(close[j].x), dy = Int64(close[i].y) - Int64(close[j].y)
                if dx * dx + dy * dy < 59 * 59 { n += 1 }
            }
        }
        return n
    }
}
