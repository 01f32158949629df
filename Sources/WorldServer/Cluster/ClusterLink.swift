// The cluster's thread (issue 25): a node's one connection to the directory (Store's
// Directory.swift) and the only code of the node that waits for it. The loop hands it jobs (a
// round once a second, a ticket to redeem, the release at a stop) and gets each answer back
// through the loop's mailbox, so the tick never waits for the database.
//
// A round: the node announced (up, its address, what it prefers, its population), its presence
// replaced when its people changed, the leases it holds renewed with their populations, the
// directory read, the spaces the hosting plan (Services' HostingPlan) gives this node claimed,
// and the directory read again if it claimed. Messages to other nodes (Services' RelayMessage)
// go out as NOTIFY on the same connection, and those of others come in on it.
//
// Invariants:
// 1. Jobs run one at a time, in the order given; each is answered exactly once (a failure
//    of the database is an answer: `.failure`).
// 2. After `stop`, no job is taken and no answer is delivered but the stop's own.

import Foundation
import Logging
import Services
import Store

/// What a node of the cluster is started with (`serve --node`).
public struct ClusterSettings: Sendable {
    /// The node's name in the directory: unique in the cluster, stable across restarts.
    public var node: String
    /// The directory: the cluster's PostgreSQL database (the records' own).
    public var location: PostgresLocation
    /// Signs hand-over tickets; the same on every node, at least 32 bytes (`--cluster-secret-file`).
    public var secret: [UInt8]
    /// Where clients reach this node, as `host:port` (the listening address when nil).
    public var advertisedHost: String?
    /// Spaces this node claims first, in order (`--prefer`).
    public var prefers: [String] = []
    /// How long a lease lasts unrenewed; the node renews every second.
    public var leaseMillis: Int64 = 5_000
    /// A node unheard of this long is taken for down (its spaces are still its own until their
    /// leases run out).
    public var liveMillis: Int64 = 5_000
    /// How long a dropped citizen's avatar stands waiting for them (ClusterSubsystem+Away).
    public var awayMillis: Int64 = 60_000
    /// An overflow instance empty this long, while the space's others have room, closes.
    public var instanceCloseMillis: Int64 = OverflowPlan.closeAfterMillis

    public init(node: String, location: PostgresLocation, secret: [UInt8]) {
        self.node = node
        self.location = location
        self.secret = secret
    }
}

final class ClusterLink: @unchecked Sendable {
    struct RoundRequest {
        var address: String
        var population: Int
        /// The leases the node believes it holds, with their populations.
        var held: [(key: SpaceInstanceKey, population: Int, capacity: Int)]
        /// Every public space of the node's catalog with its capacity, in order.
        var spaces: [(id: String, capacity: Int)]
        /// Whether to claim spaces nobody prefers (HostingPlan's `spreading`): not in a node's
        /// first liveness window.
        var spreading: Bool
        /// The node's people, when they changed since the last round that published them.
        var presence: [PresenceEntry]?
        /// Overflow instances this node closed: their leases given up first.
        var release: [SpaceInstanceKey] = []
        /// The other nodes this node has failed to reach at their public addresses for
        /// `Reachability.reportAfterMillis` (ClusterSubsystem+Reach.swift).
        var cannotReach: [String] = []
        /// Now and then, this node's clock: runs of servers that stopped beating are closed, their
        /// open visits ended as `crash` (a failed node's, without waiting for a server to start).
        var closeCrashedAtMillis: Int64?
    }

    struct RoundResult {
        /// Crashed runs closed in this round, and their visits.
        var crashed: (runs: Int, visits: Int) = (0, 0)
        /// Leases renewed or granted in this round.
        var holding: Set<SpaceInstanceKey>
        var granted: [SpaceInstanceKey]
        var view: DirectoryView
    }

    enum Job {
        case round(RoundRequest, (Result<RoundResult, any Error>) -> Void)
        case redeem(id: String, expiresAtMillis: Int64, (Result<Bool, any Error>) -> Void)
        /// A drain's start: this node's leases deleted and the node marked stopped, so that the
        /// others claim its spaces in their next round; answers the directory as it is then.
        case release((Result<DirectoryView, any Error>) -> Void)
        /// The directory read, nothing written (a drain waiting for the new hosts).
        case look((Result<DirectoryView, any Error>) -> Void)
        /// A message to other nodes (Services' RelayMessage, encoded).
        case relay(String, (Result<Void, any Error>) -> Void)
        /// A direct message to an account on another node: its sessions found in the presence,
        /// and the message (made by `payload` for the node found) sent there. Answers the
        /// session it went to, or nil when the account is online on no other live node.
        case relayDirect(account: String, payload: (PresenceEntry) -> String?, (Result<PresenceEntry?, any Error>) -> Void)
        /// Everyone online on the cluster's live nodes.
        case people((Result<[PresenceEntry], any Error>) -> Void)
        case stop(release: Bool, () -> Void)
    }

    let settings: ClusterSettings
    let logger: Logger
    /// Runs an answer on the loop thread (the server's mailbox).
    let deliver: (@escaping () -> Void) -> Void
    /// Runs on the loop thread whenever a commit anywhere changed what a channel names
    /// (`PostgresStore.auditChannel`, `noticesChannel`): the directory's connection listens.
    let heard: (String) -> Void
    /// Runs on the loop thread with each message another node (or this one) relayed.
    let relayed: (String) -> Void
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var jobs: [Job] = []
    private var stopped = false
    private var store: PostgresStore?

    init(settings: ClusterSettings, logger: Logger, deliver: @escaping (@escaping () -> Void) -> Void, heard: @escaping (String) -> Void,
         relayed: @escaping (String) -> Void) {
        self.settings = settings
        self.logger = logger
        self.deliver = deliver
        self.heard = heard
        self.relayed = relayed
        let thread = Thread { [self] in self.main() }
        thread.name = "seoulworld-cluster"
        thread.start()
    }

    func submit(_ job: Job) {
        condition.withLock {
            guard !stopped else { return }
            jobs.append(job)
            condition.signal()
        }
    }

    private func main() {
        while true {
            let job: Job = condition.withLock {
                while jobs.isEmpty { condition.wait() }
                return jobs.removeFirst()
            }
            switch job {
            case .round(let request, let answer):
                let result = Result { try round(request) }
                deliver { answer(result) }
            case .redeem(let id, let expires, let answer):
                let result = Result { try using { try $0.redeemTicket(id: id, node: settings.node, expiresAtMillis: expires) } }
                deliver { answer(result) }
            case .release(let answer):
                let result = Result {
                    try using { store in
                        try store.releaseAll(node: settings.node)
                        try store.publishPresence(node: settings.node, people: [])
                        try store.announce(node: settings.node, address: "", prefers: settings.prefers, population: 0, stopped: true)
                        return try store.directory(liveMillis: settings.liveMillis)
                    }
                }
                deliver { answer(result) }
            case .look(let answer):
                let result = Result { try using { try $0.directory(liveMillis: settings.liveMillis) } }
                deliver { answer(result) }
            case .relay(let payload, let answer):
                let result = Result { try using { try $0.relay(payload) } }
                deliver { answer(result) }
            case .relayDirect(let account, let payload, let answer):
                let result = Result { () throws -> PresenceEntry? in
                    try using { store in
                        // A member's first session elsewhere gets it, as on one node.
                        let found = try store.whereIs(account: account, except: settings.node, liveMillis: settings.liveMillis)
                        guard let to = found.first else { return nil }
                        if let text = payload(to) { try store.relay(text) }
                        return to
                    }
                }
                deliver { answer(result) }
            case .people(let answer):
                let result = Result { try using { try $0.presence(liveMillis: settings.liveMillis) } }
                deliver { answer(result) }
            case .stop(let release, let done):
                condition.withLock {
                    stopped = true
                    jobs.removeAll()
                }
                if release, let store = try? connected() {
                    do {
                        try store.releaseAll(node: settings.node)
                        try store.publishPresence(node: settings.node, people: [])
                        try store.announce(node: settings.node, address: "", prefers: settings.prefers, population: 0, stopped: true)
                    } catch {
                        logger.warning("could not release this node's spaces as it stopped; they will be claimed when their leases run out", metadata: ["error": "\(error)"])
                    }
                }
                store?.disconnect()
                done()
                return
            }
        }
    }

    /// The directory's connection, opened (and the schema checked) on first use and after a loss.
    private func connected() throws -> PostgresStore {
        if let store { return store }
        let opened = try PostgresStore(location: settings.location, access: .server, logger: logger)
        for channel in [PostgresStore.auditChannel, PostgresStore.noticesChannel] {
            try opened.listen(channel) { [self] in self.deliver { self.heard(channel) } }
        }
        try opened.listen(PostgresStore.relayChannel) { [self] payload in self.deliver { self.relayed(payload) } }
        store = opened
        return opened
    }

    /// Runs `body` on the directory's connection; a lost connection is dropped, to be opened
    /// again by the next job.
    private func using<T>(_ body: (PostgresStore) throws -> T) throws -> T {
        let store = try connected()
        do {
            return try body(store)
        } catch let error as StoreUnavailable {
            store.disconnect()
            self.store = nil
            throw error
        }
    }

    private func round(_ request: RoundRequest) throws -> RoundResult {
        try using { store in
            try store.announce(node: settings.node, address: request.address, prefers: settings.prefers, population: request.population,
                               cannotReach: request.cannotReach)
            if let people = request.presence { try store.publishPresence(node: settings.node, people: people) }
            for key in request.release { try store.release(space: key.space, instance: key.instance, node: settings.node) }
            let crashed = try request.closeCrashedAtMillis.map { try store.closeCrashedRuns(nowMillis: $0) } ?? (0, 0)
            let renewed = try store.renew(node: settings.node, leases: request.held.map { ($0.key.space, $0.key.instance, $0.population) },
                                          leaseMillis: settings.leaseMillis).renewed
            var view = try store.directory(liveMillis: settings.liveMillis)
            // Nodes cut off from the others host nothing: they are not among the live for the
            // plan, so that nobody (themselves included) gives them a space.
            let cut = view.cutOff
            let live = view.nodes.filter { $0.live && !cut.contains($0.name) }.map { node in
                HostingPlan.Node(name: node.name, prefers: Set(node.prefers), population: node.population,
                                 hosted: view.hosts.filter { $0.live && $0.node == node.name }.count)
            }
            let hostedNow = Set(view.hosts.filter { $0.live && $0.instance == 1 }.map(\.spaceID))
            let capacity = Dictionary(request.spaces.map { ($0.id, $0.capacity) }, uniquingKeysWith: { a, _ in a })
            let plan = HostingPlan.claims(me: settings.node, spaces: request.spaces.map(\.id), hostedNow: hostedNow, live: live, spreading: request.spreading)
            // Overflow: a space whose every instance is nearly full gets one more, opened by the
            // least-loaded live node (Services' OverflowPlan).
            let liveNames = Set(live.map(\.name))
            var claims = plan.map { SpaceInstanceKey(space: $0, instance: 1) }
            if request.spreading, OverflowPlan.opener(live) == settings.node {
                for (space, capacity) in request.spaces {
                    let instances = view.hosts.filter { $0.spaceID == space && $0.live && liveNames.contains($0.node) }
                        .map { OverflowPlan.Instance(number: $0.instance, node: $0.node, population: $0.population, capacity: capacity) }
                    if let n = OverflowPlan.wanted(instances) { claims.append(SpaceInstanceKey(space: space, instance: n)) }
                }
            }
            var granted: [SpaceInstanceKey] = []
            for key in claims {
                if case .granted = try store.claim(space: key.space, instance: key.instance, node: settings.node, capacity: capacity[key.space] ?? 0,
                                                   leaseMillis: settings.leaseMillis) {
                    granted.append(key)
                }
            }
            if !claims.isEmpty { view = try store.directory(liveMillis: settings.liveMillis) }
            return RoundResult(crashed: crashed, holding: renewed.union(granted), granted: granted, view: view)
        }
    }
}

extension DirectoryView {
    /// The live nodes cut off from the others by their reports (Services' Reachability).
    var cutOff: Set<String> {
        let live = nodes.filter(\.live)
        return Reachability.cutOff(live: Set(live.map(\.name)), reports: Dictionary(live.map { ($0.name, Set($0.cannotReach)) }, uniquingKeysWith: { a, _ in a }))
    }
}
