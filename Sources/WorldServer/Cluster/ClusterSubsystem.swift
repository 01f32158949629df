// This node's part in a city of nodes (issue 25; docs/CLUSTER.md): the leases it holds, the
// directory as last read, travel to a space another node hosts (a hand-over ticket), sign-in
// with a ticket, the drain at a graceful stop, and the world map's list of every space of the
// city. Arriving with a ticket is in ClusterSubsystem+Arrival.swift, the drain at a stop in
// ClusterSubsystem+Drain.swift, coming back with a resume ticket in ClusterSubsystem+Resume.swift,
// avatars kept for dropped connections in +Away, who is cut off in +Reach. Owns its state on
// the loop thread; its database work runs on the cluster's thread (ClusterLink.swift).
//
// A node hosts a space while its lease runs by the node's own reckoning: from the moment the
// round that renewed (or granted) it was sent, plus the lease's length. The database counts the
// same lease from a later moment (when the statement ran), so the node always stops believing it
// hosts a space before any other node can be granted it: two nodes never both admit people to
// one space instance.
//
// Invariants:
// 1. An entry is admitted here only to a space whose lease is running by the node's reckoning.
// 2. A session leaves its space (its visit closed as `travel`) before it is told to go elsewhere.
// 3. A ticket admits at most one session, on the node it names, before its expiry.

import Foundation
import NetProto
import Services
import Store
import WorldCore

final class ClusterSubsystem {
    unowned let server: Server
    let settings: ClusterSettings?
    var link: ClusterLink?
    /// The leases this node holds: until when (the server clock's monotonic milliseconds).
    var holding: [SpaceInstanceKey: UInt64] = [:]
    /// The directory as last read, and when (the server clock's monotonic milliseconds).
    var view: DirectoryView? {
        didSet {
            viewReadAtMillis = server.clockMillis
            reach.cutOff = view?.cutOff ?? []
        }
    }
    private(set) var viewReadAtMillis: UInt64 = 0
    private var roundSentAtMillis: UInt64?
    private var startedAtMillis: UInt64 = 0
    /// What the operator reads (Admin's metrics).
    var figures = Figures()
    /// Whether the last round with the directory succeeded (false until one has).
    private(set) var directoryReachable = false
    /// Set when a drain begins: no more rounds, so the node claims nothing again.
    var draining = false
    /// Resume tickets given, drops remembered, arrivals waiting (ClusterSubsystem+Resume.swift).
    var resumes = ResumeBook()
    /// Presence published and messages between nodes (ClusterSubsystem+Relay.swift).
    var relay = RelayState()
    /// Overflow instances opened here, their empty times, those closing (ClusterSubsystem+Overflow.swift).
    var overflow = OverflowState()
    /// Spaces given back to the nodes that prefer them (ClusterSubsystem+Rebalance.swift).
    var rebalance = RebalanceState()
    /// Avatars standing for citizens whose connections dropped (ClusterSubsystem+Away.swift).
    var away = AwayState()
    /// Tries of the other nodes' addresses, and who is cut off (ClusterSubsystem+Reach.swift).
    var reach = ReachState()
    /// Leases this node gave up by itself (a closed overflow instance, a space given back): the
    /// next round deletes them.
    var releasing: [SpaceInstanceKey] = []

    struct Figures {
        var roundsFailed = 0
        var leasesLost = 0
        var handOversOut = 0
        var ticketsAdmitted = 0
        var ticketsRefused = 0
        var resumeTicketsIssued = 0
        var resumed = 0
        /// Travel refused because the destination's node had gone quiet (`quietMillis`).
        var travelRefusedQuiet = 0
        /// Runs of failed servers this node closed, and their visits ended as `crash`.
        var crashedRunsClosed = 0
        var crashedVisitsClosed = 0
    }

    /// How often a node closes the runs of servers that stopped beating (the store's
    /// `closeCrashedRuns`; a run counts as crashed after 60 s of silence).
    static let crashCheckMillis: UInt64 = 30_000
    private var crashCheckedAtMillis: UInt64 = 0

    /// Where an entry to a space goes.
    enum Route: Equatable {
        /// This server: no cluster, or this node hosts it.
        case here
        case elsewhere(node: String, host: String, port: UInt16)
        /// No live lease on it just now.
        case nobody
    }

    init(server: Server, settings: ClusterSettings?) {
        self.server = server
        self.settings = settings
    }

    var isNode: Bool { settings != nil }

    /// Starts the cluster's thread (the first round runs at once).
    func start() {
        guard let settings, link == nil else { return }
        link = ClusterLink(settings: settings, logger: server.logger, deliver: { [weak server] task in server?.io.mailbox?.post(task) },
                           heard: { [weak server] channel in
                               switch channel {
                               case PostgresStore.auditChannel: server?.moderation.auditHeard()
                               case PostgresStore.noticesChannel: server?.notices.heardElsewhere()
                               default: break
                               }
                           },
                           relayed: { [weak server] payload in server?.cluster.relayed(payload) })
        startedAtMillis = server.clockMillis
        second()
    }

    // MARK: Leases

    /// Once a second: leases that ran out by this node's reckoning are let go, and a round is
    /// asked for unless one is still out.
    func second() {
        guard let link, let settings, !draining else { return }
        let now = server.clockMillis
        let spreading = now >= startedAtMillis + UInt64(settings.liveMillis)
        for (key, until) in holding where until <= now { lost(key, why: "its lease ran out before this node could renew it") }
        refreshResumeTickets(now: now)
        placeWaiting(now: now)
        expireAway(now: now)
        tryOtherNodes(now: now)
        closeEmptyInstances()
        sendMovedPeople()
        guard roundSentAtMillis == nil else { return }
        roundSentAtMillis = now
        let held = holding.keys.sorted().map { key in
            (key: key, population: server.host.spaces[key.description]?.world.population ?? 0, capacity: capacity(key.space))
        }
        var request = ClusterLink.RoundRequest(address: advertisedAddress, population: server.sessions.count, held: held,
                                               spaces: publicSpaces.map { ($0, capacity($0)) }, spreading: spreading,
                                               presence: presenceToPublish(), release: releasing, cannotReach: cannotReach(now: now))
        if now >= crashCheckedAtMillis + Self.crashCheckMillis {
            crashCheckedAtMillis = now
            request.closeCrashedAtMillis = server.nowUnixMillis()
        }
        link.submit(.round(request) { [weak self] result in self?.roundDone(result, published: request.presence, released: request.release) })
    }

    private func roundDone(_ result: Result<ClusterLink.RoundResult, any Error>, published: [PresenceEntry]?, released: [SpaceInstanceKey]) {
        guard let sentAt = roundSentAtMillis, let settings else { return }
        roundSentAtMillis = nil
        switch result {
        case .failure(let error):
            directoryReachable = false
            figures.roundsFailed += 1
            if figures.roundsFailed == 1 || figures.roundsFailed % 30 == 0 {
                server.logger.warning("the cluster's directory could not be reached; this node keeps its spaces until their leases run out",
                                      metadata: ["error": "\(error)", "failedRounds": "\(figures.roundsFailed)"])
            }
        case .success(let round):
            if !directoryReachable && figures.roundsFailed > 0 { server.logger.info("the cluster's directory answers again") }
            directoryReachable = true
            view = round.view
            if let published { relay.published = published }
            if round.crashed.runs > 0 {
                figures.crashedRunsClosed += round.crashed.runs
                figures.crashedVisitsClosed += round.crashed.visits
                server.logger.warning("closed the runs of servers that stopped beating a minute ago: their open visits ended as crash",
                                      metadata: ["runs": "\(round.crashed.runs)", "visits": "\(round.crashed.visits)"])
            }
            releasing.removeAll { released.contains($0) }
            let until = sentAt + UInt64(settings.leaseMillis)
            for key in holding.keys where !round.holding.contains(key) {
                lost(key, why: "node '\(round.view.hosts.first { $0.spaceID == key.space && $0.instance == key.instance }?.node ?? "?")' holds it now")
            }
            for key in round.holding where until > server.clockMillis { holding[key] = until }
            for key in round.granted {
                server.logger.info("hosting", metadata: ["space": "\(key)", "node": "\(settings.node)"])
            }
            checkCutOff()
            openGrantedInstances()
            giveBackPreferredSpaces()
            sendMovedPeople()
            // Citizens waiting to come back to a space this round granted (or that another node
            // now hosts) are placed now, not at the next second.
            if !resumes.waiting.isEmpty { placeWaiting(now: server.clockMillis) }
        }
    }

    /// This node no longer hosts `key`: whoever is in it is sent to its new host, or out.
    func lost(_ key: SpaceInstanceKey, why: String) {
        guard holding.removeValue(forKey: key) != nil else { return }
        figures.leasesLost += 1
        server.logger.warning("no longer hosting", metadata: ["space": "\(key)", "why": "\(why)"])
        // The people of an overflow instance go to whichever instance has room.
        let target = key.instance == 1 ? key.space : chooseInstance(key.space)
        if case .elsewhere = route(target) {
            handOverEveryone(in: key, to: target)
        } else {
            takeOut(key, text: "'\(key)' moved off this node and no node hosts it yet; enter it again in a few seconds")
        }
        if key.instance >= 2 { closeInstanceWorld(key) }
    }

    /// Everyone in `key`'s world here, handed over to `target`'s host (another node); how many.
    @discardableResult
    func handOverEveryone(in key: SpaceInstanceKey, to target: String) -> Int {
        guard let space = server.host.spaces[key.description], case .elsewhere(let node, let host, let port) = route(target) else { return 0 }
        var moved = 0
        for s in space.members.values.sorted(by: { $0.id < $1.id }) where s.presence.spaceID == key.description {
            handOver(s, request: 0, space: target, node: node, host: host, port: port, spot: spot(of: s))
            moved += 1
        }
        return moved
    }

    /// Everyone in `key`'s world here, taken out of it and told why (41).
    func takeOut(_ key: SpaceInstanceKey, text: String) {
        guard let space = server.host.spaces[key.description] else { return }
        for s in space.members.values.sorted(by: { $0.id < $1.id }) where s.presence.spaceID == key.description {
            server.carryOut(s.presence.leave(.travel), for: s)
            s.send(.error(code: .notHosted, requestID: 0, text: text))
        }
    }

    // MARK: Travel

    /// Where an entry to `space` (an instance's name: `space#n` for an overflow instance) goes.
    func route(_ space: String) -> Route {
        guard let settings else { return .here }
        let key = SpaceInstanceKey(parsing: space)
        if let until = holding[key], until > server.clockMillis { return .here }
        guard let view, let entry = view.hosts.first(where: { $0.spaceID == key.space && $0.instance == key.instance && $0.live }),
              entry.node != settings.node, !reach.cutOff.contains(entry.node), let node = view.nodes.first(where: { $0.name == entry.node && $0.live }),
              let (host, port) = Self.split(node.address) else { return .nobody }
        return .elsewhere(node: node.name, host: host, port: port)
    }
    /// Sends an entry to a space hosted elsewhere there, or refuses one hosted nowhere; false
    /// when the entry is this node's to carry out.
    func redirects(_ s: Session, request: UInt32, space: String) -> Bool {
        switch route(space) {
        case .here: return false
        case .elsewhere(let node, _, _) where quietMillis(node) > ResumeBook.suspectAfterMillis:
            // Its lease still runs, but the node has stopped announcing itself: most likely it
            // failed. The citizen stays where they are rather than being sent to it.
            figures.travelRefusedQuiet += 1
            s.send(.error(code: .notHosted, requestID: request,
                          text: "the node hosting '\(space)' (\(node)) has not been heard from for \(quietMillis(node) / 1_000) s and may have failed; another node takes its spaces within seconds: try again then"))
        case .elsewhere(let node, let host, let port):
            handOver(s, request: request, space: space, node: node, host: host, port: port)
        case .nobody where SpaceInstanceKey(parsing: space).instance >= 2:
            s.send(.error(code: .notHosted, requestID: request, text: "'\(space)' is not open: the world map (listSpaces) lists the instances open now"))
        case .nobody:
            s.send(.error(code: .notHosted, requestID: request, text: "no node of the city hosts '\(space)' just now (its node may have stopped); try again in a few seconds"))
        }
        return true
    }

    /// Out of this node's space (invariant 2), then told where to go with a ticket for there.
    func handOver(_ s: Session, request: UInt32, space: String, node: String, host: String, port: UInt16, spot: HandOverTicket.Spot? = nil) {
        guard let settings else { return }
        server.carryOut(s.presence.leave(.travel), for: s)
        let ticket = self.ticket(for: s, node: node, space: space, request: request, lifetimeMillis: HandOverTicket.lifetimeMillis, spot: spot)
        figures.handOversOut += 1
        resumes.issued[s.id] = nil
        // A way back first: should the other node not answer (it may have just failed, its lease
        // not yet run out), the client comes back here with this and is placed once the space
        // has a live host.
        sendResumeTicket(s, space: space, spot: spot)
        s.send(.handOver(requestID: request, spaceID: space, node: node, host: host, port: port, ticket: ticket.signed(secret: settings.secret)))
    }

    /// A ticket in `s`'s name: for `node`, or for any node when `node` is empty (a resume ticket).
    func ticket(for s: Session, node: String, space: String, request: UInt32, lifetimeMillis: UInt64, spot: HandOverTicket.Spot?) -> HandOverTicket {
        var id = [UInt8](repeating: 0, count: HandOverTicket.idBytes)
        for i in id.indices { id[i] = UInt8.random(in: 0...255) }
        let key = SpaceInstanceKey(parsing: space)
        return HandOverTicket(id: id, node: node, issuer: settings?.node ?? "", space: key.space, instance: UInt16(clamping: key.instance),
                              requestID: request, role: s.role == 1 ? 1 : 0,
                              accountID: s.accountID ?? "", displayName: s.displayName, roles: s.roles,
                              expiresAtUnixMillis: UInt64(server.nowUnixMillis()) + lifetimeMillis, spot: spot)
    }

    /// Where `s`'s avatar stands, in a public space (or the spot it left for a room).
    func spot(of s: Session) -> HandOverTicket.Spot? {
        if s.presence.inRoom, let origin = s.presence.origin {
            return HandOverTicket.Spot(floor: UInt8(clamping: origin.spot.floor), x: origin.spot.position.x, y: origin.spot.position.y)
        }
        guard let space = s.spaceID.flatMap({ server.host.spaces[$0] }), let a = s.avatar.flatMap({ space.world.avatar($0) }) else { return nil }
        return HandOverTicket.Spot(floor: UInt8(clamping: a.floor), x: a.position.x, y: a.position.y)
    }

    // MARK: The world map

    /// Every public space of the city, with its host and population (cluster-wide on a node).
    func list(_ s: Session, request: UInt32) {
        var entries: [SpaceListEntry] = []
        for space in publicSpaces {
            let local = UInt32(server.host.spaces[space]?.world.population ?? 0)
            let capacity = UInt32(capacity(space))
            guard let settings else {
                entries.append(SpaceListEntry(space: space, instance: 1, node: "", here: true, population: local, capacity: capacity))
                continue
            }
            let hosts = (view?.hosts ?? []).filter { $0.spaceID == space && $0.live }
            if hosts.isEmpty {
                let here = route(space) == .here
                entries.append(SpaceListEntry(space: space, instance: 1, node: here ? settings.node : "", here: here, population: here ? local : 0, capacity: capacity))
            }
            for h in hosts {
                let id = SpaceInstanceKey(space: space, instance: h.instance).description
                let here = h.node == settings.node && route(id) == .here
                let count = here ? UInt32(server.host.spaces[id]?.world.population ?? 0) : UInt32(clamping: h.population)
                entries.append(SpaceListEntry(space: space, instance: UInt16(clamping: h.instance), node: h.node, here: here,
                                              population: count, capacity: UInt32(clamping: h.capacity)))
            }
        }
        s.send(.spaceList(requestID: request, spaces: Array(entries.prefix(WireProtocol.spacesMax))))
    }

    /// What the operator's side shows of the cluster (OperatorView); nil for a server alone.
    func operatorFigures() -> ClusterFigures? {
        guard let settings else { return nil }
        let now = server.clockMillis
        var figures = ClusterFigures(node: settings.node, hosting: holding.filter { $0.value > now }.keys.sorted().map(\.description),
                              nodes: view?.nodes ?? [], hosts: view?.hosts ?? [], directoryReachable: directoryReachable,
                              roundsFailed: figures.roundsFailed, leasesLost: figures.leasesLost, handOversOut: figures.handOversOut,
                              ticketsAdmitted: figures.ticketsAdmitted, ticketsRefused: figures.ticketsRefused,
                              resumeTicketsIssued: figures.resumeTicketsIssued, resumed: figures.resumed,
                              relaySent: relay.sent, relayReceived: relay.received, relayBlocked: relay.blocked,
                              relayUndelivered: relay.undelivered, relayFailed: relay.failed, relayUnreadable: relay.unreadable,
                              travelRefusedQuiet: figures.travelRefusedQuiet, instancesOpened: overflow.opened,
                              instancesClosed: overflow.closed, overflowRedirected: overflow.redirected,
                              spacesGivenBack: rebalance.givenBack, crashedVisitsClosed: figures.crashedVisitsClosed,
                              awayHeld: away.heldCount, awayAdopted: away.adopted, awayExpired: away.expired)
        figures.cutOff = reach.cutOff.sorted()
        figures.reachTries = reach.tries
        figures.reachFailures = reach.failures
        figures.timesCutOff = reach.timesCutOff
        return figures
    }

    // MARK: Helpers

    private var publicSpaces: [String] { server.host.entries.filter { $0.kind == 0 }.map(\.id) }

    func capacity(_ space: String) -> Int { server.host.spaces[space]?.world.definition.capacity ?? 0 }

    /// `host:port` as clients reach this node.
    var advertisedAddress: String {
        "\(settings?.advertisedHost ?? server.configuration.host):\(server.port)"
    }

    /// `host:port` (an IPv6 host in brackets) into its parts.
    static func split(_ address: String) -> (String, UInt16)? {
        guard let colon = address.lastIndex(of: ":"), let port = UInt16(address[address.index(after: colon)...]) else { return nil }
        var host = String(address[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }
}
