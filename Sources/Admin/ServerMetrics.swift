// /metrics: the server's figures as Prometheus instruments (swift-prometheus's, which are
// swift-metrics handlers), named after Prometheus' conventions: a `seoulworld_` prefix, base
// units (seconds, bytes), `_total` on counters, labels for the dimensions that stay few (role,
// transport, reason, space, desk). Rooms come and go, so they are counted, not labelled.
//
// The instruments are updated from every published view on the loop thread
// (`OperatorBoard.subscribe`): counters by the difference from the previous view, gauges set,
// every tick's duration into the histogram. Scrapes only read the registry.

import CoreMetrics
import Foundation
import Prometheus
import Store
import WorldServer

public final class ServerMetrics: @unchecked Sendable {
    public let registry = PrometheusCollectorRegistry()

    // Only the loop thread (the board's subscription) touches what follows, one view at a time.
    private var lastCounters: [String: Int] = [:]
    private var counters: [String: CoreMetrics.CounterHandler] = [:]
    private let tickDuration: CoreMetrics.TimerHandler
    private let storeCommit: CoreMetrics.TimerHandler
    private var lastStoreTransactions = 0
    private var lastStore: [String: Int] = [:]
    private var storeCounters: [String: CoreMetrics.CounterHandler] = [:]
    private struct ClusterInstruments {
        var hosting: CoreMetrics.RecorderHandler
        var reachable: CoreMetrics.RecorderHandler
        var counters: [String: CoreMetrics.CounterHandler]
    }
    private var cluster: ClusterInstruments?
    private var lastCluster: [String: Int] = [:]
    private var clients: [String: CoreMetrics.RecorderHandler] = [:]
    private var spaceAvatars: [String: CoreMetrics.RecorderHandler] = [:]
    private var spaceCapacity: [String: CoreMetrics.RecorderHandler] = [:]
    private var desk: [String: [String: CoreMetrics.RecorderHandler]] = [:]
    private var udpDropped: [CoreMetrics.CounterHandler] = []
    private var lastUDPDropped: [Int]
    private let roomsOpen, roomAvatars, storeQueueDepth, storeUnavailable, uptime: CoreMetrics.RecorderHandler
    private let residentBytes, openFDs: CoreMetrics.RecorderHandler

    /// The counters of `ServerCounters` exported, with their Prometheus names and help.
    nonisolated(unsafe) static let counterNames: [(KeyPath<ServerCounters, Int>, String, String)] = [
        (\.ticks, "seoulworld_ticks_total", "Ticks run."),
        (\.ticksSkipped, "seoulworld_ticks_skipped_total", "Ticks skipped because the loop fell behind by more than the catch-up limit."),
        (\.connectionsAccepted, "seoulworld_connections_accepted_total", "TCP connections accepted."),
        (\.connectionsClosed, "seoulworld_connections_closed_total", "TCP connections closed."),
        (\.inputsApplied, "seoulworld_inputs_applied_total", "Client inputs applied to a world."),
        (\.clientTicks, "seoulworld_client_ticks_total", "Sum over ticks of the clients in each space: the work done, in client-ticks."),
        (\.snapshotsSent, "seoulworld_snapshots_sent_total", "Snapshots sent to clients (UDP or TCP)."),
        (\.bytesIn, "seoulworld_network_received_bytes_total", "Bytes received from clients, TCP and UDP."),
        (\.bytesOut, "seoulworld_network_sent_bytes_total", "Bytes sent to clients, TCP and UDP."),
        (\.datagramsIn, "seoulworld_udp_received_datagrams_total", "UDP datagrams received."),
        (\.datagramsOut, "seoulworld_udp_sent_datagrams_total", "UDP datagrams sent."),
        (\.framesIn, "seoulworld_tcp_received_frames_total", "TCP messages (frames) received."),
        (\.framesOut, "seoulworld_tcp_sent_frames_total", "TCP messages (frames) sent."),
        (\.chatMessages, "seoulworld_chat_messages_total", "Chat messages and announcements delivered."),
        (\.chatDeliveries, "seoulworld_chat_deliveries_total", "Chat messages delivered, counted per recipient."),
        (\.chatFiltered, "seoulworld_chat_filter_hits_total", "Chat messages the profanity filter masked."),
        (\.chatRateLimited, "seoulworld_chat_rate_limited_total", "Chat messages refused for the rate limit."),
        (\.chatRefusedMuted, "seoulworld_chat_refused_muted_total", "Chat messages refused because the sender is muted."),
        (\.systemMutes, "seoulworld_chat_system_mutes_total", "Automatic mutes for flooding."),
        (\.guestRefusals, "seoulworld_guest_refusals_total", "Requests refused because guests may not make them."),
        (\.userReportsFiled, "seoulworld_user_reports_total", "Reports of other users committed."),
        (\.bugReportsFiled, "seoulworld_bug_reports_total", "Bug reports committed."),
        (\.staffActions, "seoulworld_staff_actions_total", "Moderation actions by staff and operators."),
        (\.kicks, "seoulworld_kicks_total", "Sessions removed by staff, operators or bans."),
        (\.bannedRefused, "seoulworld_banned_sign_ins_refused_total", "Sign-ins refused because the account is banned."),
        (\.spectatorInputsRefused, "seoulworld_spectator_inputs_refused_total", "Inputs from spectators of a recording, refused."),
    ]

    static let deskGauges: [(String, String)] = [
        ("seoulworld_desk_queue_length", "Citizens waiting in a service desk's queue."),
        ("seoulworld_desk_longest_wait_seconds", "How long the first citizen in a desk's queue has waited."),
        ("seoulworld_desk_serving", "Staff on duty at a desk."),
        ("seoulworld_desk_sessions", "Desk sessions in progress."),
        ("seoulworld_desk_open", "1 while the desk is within its opening hours, else 0."),
    ]

    nonisolated(unsafe) static let storeCounterNames: [(KeyPath<StoreWriter.Figures, Int>, String, String)] = [
        (\.committed, "seoulworld_store_writes_committed_total", "Store writes committed."),
        (\.failed, "seoulworld_store_writes_failed_total", "Store writes whose transaction failed."),
        (\.refusedFull, "seoulworld_store_writes_refused_total", "Store writes refused because the writer's queue was full."),
        (\.unavailablePeriods, "seoulworld_store_unavailable_periods_total", "Times the store's database could not be reached (PostgreSQL)."),
    ]

    public init() {
        for (_, name, help) in Self.storeCounterNames {
            storeCounters[name] = registry.makeCounter(name: name, labels: [], help: help)
        }
        for (_, name, help) in Self.counterNames {
            counters[name] = registry.makeCounter(name: name, labels: [], help: help)
        }
        // Buckets around the 50 ms budget of a 20 Hz tick.
        let tickBuckets: [Duration] = [0.5, 1, 2, 5, 10, 15, 20, 25, 30, 40, 50, 75, 100, 250].map { .microseconds(Int64($0 * 1_000)) }
        tickDuration = registry.makeDurationHistogram(name: "seoulworld_tick_duration_seconds", labels: [], buckets: tickBuckets,
                                                      help: "Time to run one tick: step every space, answer entries, send snapshots.")
        let commitBuckets: [Duration] = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 1_000].map { .microseconds(Int64($0 * 1_000)) }
        storeCommit = registry.makeDurationHistogram(name: "seoulworld_store_commit_duration_seconds", labels: [], buckets: commitBuckets,
                                                     help: "Time from a store write's submission to its transaction's commit.")
        for role in AvatarDots.roleNames {
            for transport in ["tcp", "udp"] {
                clients["\(role)/\(transport)"] = registry.makeGauge(name: "seoulworld_clients", labels: [("role", role), ("transport", transport)],
                                                                     help: "Signed-in clients, by role and by the transport their snapshots take.")
            }
        }
        for reason in UDPDropReason.allCases {
            udpDropped.append(registry.makeCounter(name: "seoulworld_udp_dropped_datagrams_total", labels: [("reason", reason.name)],
                                                   help: "UDP datagrams dropped without an answer, by reason."))
        }
        lastUDPDropped = [Int](repeating: 0, count: UDPDropReason.allCases.count)
        roomsOpen = registry.makeGauge(name: "seoulworld_rooms_open", help: "Rooms open now.")
        roomAvatars = registry.makeGauge(name: "seoulworld_room_avatars", help: "Avatars in rooms, all rooms together.")
        storeQueueDepth = registry.makeGauge(name: "seoulworld_store_queue_depth", help: "Writes waiting for the store's writer thread.")
        storeUnavailable = registry.makeGauge(name: "seoulworld_store_unavailable",
                                              help: "1 while the store's database cannot be reached (writes wait in the queue, nothing is acknowledged), else 0.")
        uptime = registry.makeGauge(name: "seoulworld_uptime_seconds", help: "Seconds since the server started.")
        // The process's own, under the names Prometheus' client libraries use.
        residentBytes = registry.makeGauge(name: "process_resident_memory_bytes", help: "Resident memory size in bytes.")
        openFDs = registry.makeGauge(name: "process_open_fds", help: "Number of open file descriptors.")
        registry.makeGauge(name: "seoulworld_build_info", labels: [("version", Server.version)],
                           help: "The server's version, as a label; always 1.").set(to: 1.0)
    }

    /// Updates the instruments from a view (on the loop thread, through the board).
    public func update(_ view: OperatorView) {
        for (path, name, _) in Self.counterNames {
            let value = view.counters[keyPath: path]
            let delta = value - (lastCounters[name] ?? 0)
            if delta > 0 { counters[name]!.increment(by: Int64(delta)) }
            lastCounters[name] = value
        }
        for n in view.newTickNanos { tickDuration.recordNanoseconds(Int64(clamping: n)) }
        for (i, value) in view.udpDroppedByReason.enumerated() where i < udpDropped.count {
            if value > lastUDPDropped[i] { udpDropped[i].increment(by: Int64(value - lastUDPDropped[i])) }
            lastUDPDropped[i] = value
        }
        var byGroup: [String: Int] = [:]
        for c in view.clients { byGroup["\(c.role)/\(c.transport)", default: 0] += c.count }
        for (key, gauge) in clients { gauge.record(Int64(byGroup[key] ?? 0)) }
        var inRooms = 0
        for s in view.spaces {
            if s.kind == "room" {
                inRooms += s.population
                continue
            }
            gauge(&spaceAvatars, s.id, "seoulworld_space_avatars", "Avatars in a public space.").record(Int64(s.population))
            gauge(&spaceCapacity, s.id, "seoulworld_space_capacity", "A public space's capacity, from its world file.").record(Int64(s.capacity))
        }
        roomsOpen.record(Int64(view.rooms.count))
        roomAvatars.record(Int64(inRooms))
        for d in view.desks {
            let values: [Double] = [Double(d.waiting), Double(d.longestWaitMillis) / 1_000, Double(d.serving), Double(d.inSession), d.open ? 1 : 0]
            var gauges = desk[d.id] ?? [:]
            for ((name, help), value) in zip(Self.deskGauges, values) {
                if gauges[name] == nil { gauges[name] = registry.makeGauge(name: name, labels: [("desk", d.id)], help: help) }
                gauges[name]!.record(value)
            }
            desk[d.id] = gauges
        }
        if let f = view.store {
            storeQueueDepth.record(Int64(f.queueDepth))
            storeUnavailable.record(Int64(f.unavailable ? 1 : 0))
            // The writer keeps its latest commit times, newest last; count each transaction once.
            let fresh = min(max(0, f.transactions - lastStoreTransactions), f.commitMicros.count)
            for micros in f.commitMicros.suffix(fresh) { storeCommit.recordNanoseconds(Int64(micros) * 1_000) }
            lastStoreTransactions = f.transactions
            for (path, name, _) in Self.storeCounterNames {
                let value = f[keyPath: path]
                if value > lastStore[name] ?? 0 { storeCounters[name]!.increment(by: Int64(value - (lastStore[name] ?? 0))) }
                lastStore[name] = value
            }
        }
        if let c = view.cluster { updateCluster(c) }
        uptime.record(view.uptimeSeconds)
    }

    /// A node's figures: its name as a label of an info gauge, the spaces it hosts, and the
    /// cluster's counters (made on the first view that has them: a server alone has none).
    private func updateCluster(_ c: ClusterFigures) {
        if cluster == nil {
            registry.makeGauge(name: "seoulworld_cluster_node_info", labels: [("node", c.node)],
                               help: "This server's node name in its cluster, as a label; always 1.").set(to: 1.0)
            cluster = ClusterInstruments(
                hosting: registry.makeGauge(name: "seoulworld_cluster_spaces_hosted", help: "Space instances this node holds leases on."),
                reachable: registry.makeGauge(name: "seoulworld_cluster_directory_reachable", help: "1 while the cluster's directory answers this node, else 0."),
                counters: Dictionary(uniqueKeysWithValues: Self.clusterCounterNames.map { path, name, help in
                    (name, registry.makeCounter(name: name, labels: [], help: help))
                }))
        }
        cluster!.hosting.record(Int64(c.hosting.count))
        cluster!.reachable.record(Int64(c.directoryReachable ? 1 : 0))
        for (path, name, _) in Self.clusterCounterNames {
            let value = c[keyPath: path]
            if value > lastCluster[name] ?? 0 { cluster!.counters[name]!.increment(by: Int64(value - (lastCluster[name] ?? 0))) }
            lastCluster[name] = value
        }
    }

    nonisolated(unsafe) static let clusterCounterNames: [(KeyPath<ClusterFigures, Int>, String, String)] = [
        (\.handOversOut, "seoulworld_cluster_handovers_total", "Citizens sent to another node with a hand-over ticket."),
        (\.ticketsAdmitted, "seoulworld_cluster_tickets_admitted_total", "Hand-over tickets that admitted someone to this node."),
        (\.ticketsRefused, "seoulworld_cluster_tickets_refused_total", "Tickets refused (used, expired, forged, for another node)."),
        (\.leasesLost, "seoulworld_cluster_leases_lost_total", "Spaces this node stopped hosting because its lease ran out or another node took it."),
        (\.roundsFailed, "seoulworld_cluster_directory_failures_total", "Rounds with the cluster's directory that failed."),
        (\.resumeTicketsIssued, "seoulworld_cluster_resume_tickets_issued_total", "Resume tickets given to citizens in public spaces."),
        (\.resumed, "seoulworld_cluster_resumed_total", "Citizens placed here again with a resume ticket after a dropped connection."),
        (\.travelRefusedQuiet, "seoulworld_cluster_travel_refused_quiet_total", "Travel refused because the destination's node had stopped announcing itself."),
        (\.instancesOpened, "seoulworld_cluster_instances_opened_total", "Overflow instances of full spaces opened on this node."),
        (\.instancesClosed, "seoulworld_cluster_instances_closed_total", "Overflow instances closed on this node (empty while the others had room)."),
        (\.overflowRedirected, "seoulworld_cluster_overflow_redirected_total", "Newcomers refused by a full first instance and sent on to an overflow instance."),
        (\.spacesGivenBack, "seoulworld_cluster_spaces_given_back_total", "Spaces this node gave back to the node that prefers them, once it was live again."),
        (\.crashedVisitsClosed, "seoulworld_cluster_crashed_visits_closed_total", "Open visits of failed servers' runs this node ended as crash."),
        (\.awayHeld, "seoulworld_cluster_away_held_total", "Avatars left standing for citizens whose connections dropped without a word."),
        (\.awayAdopted, "seoulworld_cluster_away_adopted_total", "Avatars taken back by their citizens coming back with a resume ticket."),
        (\.awayExpired, "seoulworld_cluster_away_expired_total", "Avatars of dropped connections taken out after the resume window."),
        (\.reachTries, "seoulworld_cluster_reach_tries_total", "Connections opened to the other nodes' public addresses to see that clients can reach them."),
        (\.reachFailures, "seoulworld_cluster_reach_failures_total", "Of those, the ones not accepted within a second (or refused)."),
        (\.timesCutOff, "seoulworld_cluster_cut_off_total", "Times the other nodes could not reach this node and it gave its spaces up."),
        (\.relaySent, "seoulworld_cluster_relay_sent_total", "Messages passed to other nodes: direct chat, announcements, notices."),
        (\.relayReceived, "seoulworld_cluster_relay_received_total", "Messages from other nodes addressed to this one."),
        (\.relayBlocked, "seoulworld_cluster_relay_blocked_total", "Direct chat from another node not delivered: the recipient blocks the sender."),
        (\.relayUndelivered, "seoulworld_cluster_relay_undelivered_total", "Direct chat from another node not delivered: the recipient had left this node."),
        (\.relayFailed, "seoulworld_cluster_relay_failures_total", "Messages that could not be passed to other nodes (the directory did not answer)."),
        (\.relayUnreadable, "seoulworld_cluster_relay_unreadable_total", "Payloads on the relay channel this node could not read (another version)."),
    ]

    private func gauge(_ table: inout [String: CoreMetrics.RecorderHandler], _ space: String, _ name: String, _ help: String) -> CoreMetrics.RecorderHandler {
        if let g = table[space] { return g }
        let g = registry.makeGauge(name: name, labels: [("space", space)], help: help)
        table[space] = g
        return g
    }

    /// The exposition text, with the process's memory and descriptors read now (Linux /proc).
    public func render() -> [UInt8] {
        if let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
           let pages = statm.split(separator: " ").dropFirst().first.flatMap({ Int64($0) }) {
            residentBytes.record(pages * Int64(sysconf(Int32(_SC_PAGESIZE))))
        }
        if let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") { openFDs.record(Int64(fds.count)) }
        return registry.emitToBuffer()
    }
}
