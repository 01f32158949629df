// What a server is started with (ServerConfiguration) and the counters it keeps for operators
// and the load benchmark (ServerCounters).

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
    /// Threads that build the clients' snapshots after each space's step, each a fixed share
    /// of the clients (SnapshotWork); 1 builds them on the loop's thread.
    public var snapshotWorkers = 1
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
    /// Tax Square's calculator and FAQ bot (services/tax/); nil serves neither (requests get 34).
    public var taxSquare: TaxSquare?
    /// The notice board's limits (Services' NoticeRules).
    public var noticeRules = NoticeRules()
    /// The suggestion box's limits, the day's filings per account among them (Services' SuggestionRules).
    public var suggestionRules = SuggestionRules()
    /// The Angel Guide and the ethics code (guide/); nil serves none and asks no member to accept a code.
    public var guide: Guide?
    /// The server's one clock (monotonic and wall; Transport's `ServerClock`): everything in the
    /// server reads time through it, so that a test can hand it a clock of its own.
    public var clock = ServerClock.system
    /// Added to the wall clock where the desks read it (opening hours, queue times): a rehearsal
    /// of a working day at another hour (`serve --desk-clock-start`). 0 in service.
    public var deskClockOffsetMillis: Int64 = 0
    /// Set by a VirtualDriver: the server opens no sockets and no signal handlers, its timers run
    /// when the driver moves this clock, and `clock` reads it. nil in service.
    public var virtualTime: VirtualClock?
    /// Session ids and UDP secrets from this seed (the simulation replays a seed exactly); nil
    /// in service: the system's randomness.
    public var randomSeed: UInt64?
    /// Where the operator's side reads the server (OperatorView.swift); nil publishes nothing.
    public var operatorBoard: OperatorBoard?
    /// How often the view is published, milliseconds (at least 50).
    public var publishEveryMillis = 200
    /// Write what each client is believed to hold, every 20th tick, here (the soak's desync
    /// check, ViewDigestLog.swift); nil writes nothing.
    public var viewDigestsPath: String?
    /// Makes this server a node of a cluster (Cluster/, docs/CLUSTER.md); nil: a server alone,
    /// hosting every space.
    public var cluster: ClusterSettings?

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
    /// Suggestion requests refused because the connection had `pendingMax` waiting already.
    public var suggestionsRateLimited = 0
    /// Requests refused because the member had not accepted the current ethics code.
    public var ethicsRefusals = 0
}
