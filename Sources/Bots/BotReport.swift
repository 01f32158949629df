// What a fleet of bots reports (`BotFleet.makeReport`, and `BotReport.merged` for several
// processes): counts by outcome and reason, latency percentiles, and the text printed at the
// end. Plain values, Codable for `--report`; nothing here runs a bot.

import Histogram
import WorldClient

public struct Percentiles: Codable, Sendable {
    public var count: UInt64 = 0
    public var p50: UInt64 = 0
    public var p90: UInt64 = 0
    public var p99: UInt64 = 0
    public var max: UInt64 = 0

    /// The whole histogram, in the reports of `bots --processes N`'s processes (`keep`), so
    /// that the parent can merge them: percentiles of parts do not make the whole's.
    public var histogram: Histogram<UInt64>?

    public init() {}
    init(_ h: Histogram<UInt64>, keep: Bool = false) {
        if keep { histogram = h }
        count = h.totalCount
        guard count > 0 else { return }
        p50 = h.valueAtPercentile(50)
        p90 = h.valueAtPercentile(90)
        p99 = h.valueAtPercentile(99)
        max = h.max
    }
}

public struct BotReport: Codable, Sendable {
    public var scenario = ""
    public var world = ""
    public var target = 0
    /// The number of this fleet's first bot (`--first-index`; each process of `--processes`
    /// has its own range).
    public var firstBot = 0
    public var durationSeconds = 0.0
    public var attempted = 0
    public var succeeded = 0
    public var failed = 0
    public var failedByReason: [String: Int] = [:]
    /// Bots that got in and were then disconnected without the fleet closing them.
    public var dropped = 0
    public var droppedByReason: [String: Int] = [:]
    public var snapshots = 0
    /// Snapshots coded against a baseline the bot no longer held (after loss): skipped, not errors.
    public var snapshotsBaselineMissing = 0
    /// What the simulated network did (`--loss` and the rest), all bots together.
    public var network = NetworkFigures()
    public var protocolErrors = 0
    public var bytesDown = 0
    public var bytesUp = 0
    public var kilobitsPerSecondDownPerBot = 0.0
    public var kilobitsPerSecondUpPerBot = 0.0
    public var rttMillis = Percentiles()
    public var snapshotIntervalMillis = Percentiles()
    /// Pairs seen closer than the no-contact distance in the bots' own views (within 5 m of
    /// each bot, checked once a second): must be 0.
    public var contactViolationsSeen = 0
    public var viewsChecked = 0
    /// The write flood (`--bug-reports-per-second`): sent, acknowledged with an id, refused
    /// with `busy`, and not sent because every bot had four waiting.
    public var bugReportsSent = 0
    public var bugReportsFiled = 0
    public var bugReportsBusy = 0
    public var bugReportsNotSent = 0
    public var bugReportLatencyMicros = Percentiles()
    /// Hand-overs to another node of a cluster (docs/CLUSTER.md): followed, placed there (the
    /// latency's count), and still not placed when the run ended (lost, or under way).
    public var handOvers = 0
    public var handOverMicros = Percentiles()
    public var handOversPending = 0
    /// Hand-overs to a node that did not answer (it had just failed); those bots resumed instead.
    public var handOversUnanswered = 0
    /// Hand-overs whose destination refused the entry (full, no free spot).
    public var handOversRefused = 0
    /// Entries refused for want of room (each asked again 2 to 3 s later).
    public var refusedFull = 0
    /// Where the bots were at the end: space (or overflow instance, `space#n`) to bots.
    public var placedBySpace: [String: Int] = [:]
    /// Connections dropped without a word from the server (a node failed), placed again with a
    /// resume ticket (the latency's count), and still coming back when the run ended.
    public var connectionDrops = 0
    public var resumeMicros = Percentiles()
    public var resumesPending = 0
    /// Of the drops, those the bots noticed by the server's silence (no close: its network gone).
    public var serverFellSilent = 0
    /// Resumptions that ended signed in but in no space (the space full, or jammed where the
    /// citizen comes in, or not hosted in time): those bots enter again.
    public var resumesRefused = 0
    /// Bots a server removed as a staff action, in the order the fleet saw them go: which bot
    /// (a member bot's account is `bot-<bot>`), the code (`kicked`, `banned`), the node it was
    /// on, and the wall-clock time the fleet saw the close (to within one turn of its loop), so
    /// that a script that made the ban can time it (scripts/cluster.sh bans).
    public var removals: [Removal] = []
    public struct Removal: Codable, Sendable {
        public var bot: Int
        public var code: String
        public var server: String
        public var atUnixMillis: Int64
    }
    public static let removalsMax = 10_000
    public var desk = DeskFigures()
    /// From the counsellor's `sessionStarted` to both placed in the session's room.
    public var deskTakeToRoomMicros = Percentiles()
    public var chat = ChatFigures()
    /// Sent to received by a nearby bot.
    public var chatLatencyMicros = Percentiles()
    public var civic = CivicFigures()
    /// A suggestion's request to its answer, filed or refused (after the store's commit or count).
    public var suggestionLatencyMicros = Percentiles()
    /// How the fleet's own loop kept time: a stalled fleet sends nothing, and its bots are
    /// dropped for it.
    public var fleetLoop = FleetLoopFigures()
    /// With `bots --processes N`: each process's bots and loop (`fleetLoop` is then all of
    /// them together: the longest stall of any, the CPU of all).
    public var processes: [ProcessFigures]?
    public struct ProcessFigures: Codable, Sendable {
        /// Its bots are `firstBot` to `firstBot + bots - 1` (their accounts `bot-<n>`).
        public var firstBot: Int
        public var bots: Int
        public var loop: FleetLoopFigures
    }

    /// The kilobits a second per connected bot, from the bytes, the run's length and the bots
    /// that got in.
    mutating func computeRates() {
        let botSeconds = max(0.001, durationSeconds) * Double(max(1, succeeded))
        kilobitsPerSecondDownPerBot = Double(bytesDown) * 8 / 1_000 / botSeconds
        kilobitsPerSecondUpPerBot = Double(bytesUp) * 8 / 1_000 / botSeconds
    }

    public var text: String {
        let reasons = failedByReason.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        let drops = droppedByReason.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        return """
        scenario              \(scenario) in \(world), \(target) bots, \(String(format: "%.1f", durationSeconds)) s
        connections           \(attempted) attempted, \(succeeded) succeeded, \(failed) failed\(reasons.isEmpty ? "" : " (\(reasons))"), \(dropped) dropped\(drops.isEmpty ? "" : " (\(drops))")
        rtt                   p50 \(rttMillis.p50) ms  p90 \(rttMillis.p90) ms  p99 \(rttMillis.p99) ms  max \(rttMillis.max) ms (\(rttMillis.count) samples)
        snapshot interval     p50 \(snapshotIntervalMillis.p50) ms  p90 \(snapshotIntervalMillis.p90) ms  p99 \(snapshotIntervalMillis.p99) ms  max \(snapshotIntervalMillis.max) ms
        per bot               \(String(format: "%.1f", kilobitsPerSecondDownPerBot)) kbit/s down, \(String(format: "%.1f", kilobitsPerSecondUpPerBot)) kbit/s up
        snapshots             \(snapshots) received, \(protocolErrors) protocol errors
        no-contact check      \(contactViolationsSeen) pairs seen closer than 1.2 m in \(viewsChecked) views (within 5 m of each bot; must be 0)
        the fleet's own loop  ticks p50 \(fleetLoop.tickIntervalMillis.p50) ms  p99 \(fleetLoop.tickIntervalMillis.p99) ms apart (50 ms meant), \(fleetLoop.lateTicks) late by over a tick, longest stall \(String(format: "%.1f", Double(fleetLoop.longestStallMillis) / 1_000)) s; \(String(format: "%.0f", fleetLoop.busyShare * 100))% of the time in its ticks, \(String(format: "%.0f", fleetLoop.processCPUShare * 100))% of a core in all
        """ + (fleetLoop.dropsAfterOwnStall + fleetLoop.failuresAfterOwnStall == 0 ? "" : """

        FLEET STALLED         \(fleetLoop.dropsAfterOwnStall) of the \(dropped) drops and \(fleetLoop.failuresAfterOwnStall) of the \(failed) failed connections came after the bots process itself stalled for 10 s or more of the 30 s before: its bots sent nothing and the server's idle rule closed them, or their handshakes timed out. Those are the load tool's, not the server's; run fewer bots per process.
        """) + (processes.map { list in "\n" + list.enumerated().map { i, p in
            "process \(i + 1) of \(list.count)".padding(toLength: 22, withPad: " ", startingAt: 0)
                + "\(p.bots) bots, ticks p99 \(p.loop.tickIntervalMillis.p99) ms apart, \(p.loop.lateTicks) late, longest stall \(String(format: "%.1f", Double(p.loop.longestStallMillis) / 1_000)) s, \(String(format: "%.0f", p.loop.processCPUShare * 100))% of a core"
        }.joined(separator: "\n") } ?? "") + (network.submitted == 0 ? "" : """

        simulated network     \(network.submitted) datagrams: \(network.dropped) lost, \(network.duplicated) duplicated, \(network.overtaken) overtaken by a later one, \(network.delivered) delivered; \(snapshotsBaselineMissing) snapshots skipped (baseline no longer held)
        """) + (bugReportsSent == 0 ? "" : """

        bug reports           \(bugReportsSent) sent (\(String(format: "%.0f", Double(bugReportsSent) / max(durationSeconds, 0.001)))/s), \(bugReportsFiled) acknowledged, \(bugReportsBusy) busy, \(bugReportsNotSent) not sent (bots waiting)
        report latency        p50 \(bugReportLatencyMicros.p50 / 1_000) ms  p90 \(bugReportLatencyMicros.p90 / 1_000) ms  p99 \(bugReportLatencyMicros.p99 / 1_000) ms  max \(bugReportLatencyMicros.max / 1_000) ms (request to acknowledgement after the commit)
        """) + (handOvers == 0 ? "" : """

        hand-overs            \(handOvers) to another node, \(handOverMicros.count) placed there, \(handOversUnanswered) to a node that did not answer (resumed instead), \(handOversRefused) refused there (full, no free spot), \(handOversPending) not placed when the run ended
        hand-over time        p50 \(String(format: "%.1f", Double(handOverMicros.p50) / 1_000)) ms  p99 \(String(format: "%.1f", Double(handOverMicros.p99) / 1_000)) ms  max \(String(format: "%.1f", Double(handOverMicros.max) / 1_000)) ms (from the enterSpace to entered on the other node)
        """) + (refusedFull == 0 ? "" : """

        refused as full       \(refusedFull) entries (each asked again 2 to 3 s later); where the bots were at the end: \(placedBySpace.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        """) + (connectionDrops == 0 ? "" : """

        resumed               \(connectionDrops) connections dropped without a word (\(serverFellSilent) of them noticed by the server's silence), \(resumeMicros.count) placed again with their resume tickets, \(resumesRefused) signed in again but refused a place, \(resumesPending) still coming back when the run ended
        resume time           p50 \(String(format: "%.1f", Double(resumeMicros.p50) / 1_000_000)) s  p99 \(String(format: "%.1f", Double(resumeMicros.p99) / 1_000_000)) s  max \(String(format: "%.1f", Double(resumeMicros.max) / 1_000_000)) s (from the drop to entered again)
        """) + (desk.joins == 0 ? "" : """

        desk                  \(desk.joins) queue joins, \(desk.takesAsked) takes asked, \(desk.sessionsStarted) sessions started, \(desk.sessionsEnded) ended
        taken to in the room  p50 \(String(format: "%.1f", Double(deskTakeToRoomMicros.p50) / 1_000)) ms  p99 \(String(format: "%.1f", Double(deskTakeToRoomMicros.p99) / 1_000)) ms  (\(deskTakeToRoomMicros.count) sessions; from sessionStarted to both placed in the room)
        """) + (chat.sent == 0 ? "" : """

        chat                  \(chat.sent) sent (\(chat.sentProfane) profane), \(chat.acknowledged) acknowledged, \(chat.filtered) filtered, \(chat.rateLimited) rate-limited, \(chat.muted) muted, \(chat.refusedAsGuest) refused (guests), \(chat.delivered) received by bots
        chat latency          p50 \(String(format: "%.1f", Double(chatLatencyMicros.p50) / 1_000)) ms  p99 \(String(format: "%.1f", Double(chatLatencyMicros.p99) / 1_000)) ms  max \(String(format: "%.1f", Double(chatLatencyMicros.max) / 1_000)) ms (sent to received by a nearby bot)
        """) + (civic.noticesPosted == 0 && civic.suggestionsSent == 0 ? "" : """

        notices               \(civic.noticesPosted) posted by staff, \(civic.noticesShown) pushed to bots, \(civic.noticesRead) read
        suggestions           \(civic.suggestionsSent) sent (\(String(format: "%.1f", Double(civic.suggestionsSent) / max(durationSeconds, 0.001)))/s), \(civic.suggestionsFiled) filed, \(civic.suggestionsOverTheDay) over the day's limit, \(civic.suggestionsRateLimited) refused at the door, \(civic.suggestionsRefusedOtherwise) refused otherwise
        suggestion answered   p50 \(String(format: "%.1f", Double(suggestionLatencyMicros.p50) / 1_000)) ms  p99 \(String(format: "%.1f", Double(suggestionLatencyMicros.p99) / 1_000)) ms  max \(String(format: "%.1f", Double(suggestionLatencyMicros.max) / 1_000)) ms (request to the store's answer, filed or refused; \(suggestionLatencyMicros.count) requests)
        answers and inboxes   \(civic.answersGiven) suggestions answered by staff bots, \(civic.inboxReceived) inbox messages pushed to citizens, \(civic.inboxRead) read
        """)
    }
}

/// What the bots' chat did, as they counted it.
public struct ChatFigures: Codable, Sendable {
    public var sent = 0
    public var sentProfane = 0
    /// Answered with `chatSent`; of those, masked by the filter.
    public var acknowledged = 0
    public var filtered = 0
    public var rateLimited = 0
    public var muted = 0
    public var refusedAsGuest = 0
    /// Messages the bots received (each delivery counts once).
    public var delivered = 0
    public init() {}
}

/// What the bots of the desk scenario did.
public struct DeskFigures: Codable, Sendable {
    public var joins = 0
    public var takesAsked = 0
    public var sessionsStarted = 0
    public var sessionsEnded = 0
    public init() {}
}
