// The whole-server simulation, in the manner of TigerBeetle's simulator: from one seed,
// hundreds of simulated clients (guests, members, staff) connect, walk, chat, travel, open and
// enter rooms, queue at the desks, are taken into counselling rooms, report, block, hang up
// and come back, while an operator mutes, kicks, bans and announces, over simulated hours of
// the real server on virtual time (VirtualDriver.swift) with its real SQLite store.
//
// After every step the invariants are checked against the server's own state:
//   1. a session has at most one avatar, alive in the world of the space it is in, and is a
//      member of that space; every avatar alive in a world is a present session's, or its
//      leave is queued for the next tick;
//   2. every citizen in a desk queue is in exactly one queue and in no desk session, and every
//      desk session's room is open;
//   3. a room's occupants are sessions in its world;
//   4. no two avatars on a floor closer than twice the personal-space radius;
//   5. a docent on duty is in no other space than their post's;
// and at the end, after the server stopped: every report id a client was given is in the
// store, and the server's counters of filed reports agree with the store's rows.
//
// A run's outcome carries a digest of everything every client received and of the worlds'
// state hashes: one seed gives one digest. A failing seed is printed with the step and the
// invariant, and `seoulworld simulate-city --seed N` runs exactly that run again.

import Foundation
import Logging
import NetProto
import Services
import Store
import Transport
import WorldCore
import WorldFiles

public struct CitySimulation {
    public struct Settings: Sendable {
        public var seed: UInt64
        public var clients = 200
        /// Simulated time, milliseconds.
        public var durationMillis: UInt64 = 10 * 60_000
        /// Each client acts on a step with this chance, in thousandths (50 ms steps: 25 is
        /// about one action per two seconds).
        public var actPerMille: UInt64 = 25
        /// The folder for the run's database (removed after).
        public var folder: String
        /// The records in this (empty) PostgreSQL database instead of an SQLite file there.
        public var postgres: PostgresLocation?
        public var desks: DeskCatalog?
        public var profanity: ProfanityFilter?
        /// When the simulated day starts, Unix milliseconds (default: a Monday, 10:00 in Seoul;
        /// a start just before 18:00 runs the desks' closing with people waiting and in session).
        public var startWallMillis = CitySimulation.startWallMillis

        public init(seed: UInt64, folder: String) {
            self.seed = seed
            self.folder = folder
        }
    }

    public struct Outcome: Sendable {
        public var seed: UInt64
        public var steps = 0
        public var simulatedMillis: UInt64 = 0
        public var wallSeconds = 0.0
        /// Everything the clients received and the worlds' hashes, folded.
        public var digest: UInt64 = 0
        /// The first invariant broken, with its step; nil when every check held.
        public var failure: String?
        /// How many of each action the clients took, and the errors the server answered.
        public var actions: [String: Int] = [:]
        public var errors: [UInt16: Int] = [:]
        /// The messages the clients received, by kind.
        public var received: [String: Int] = [:]
        public var reportsChecked = 0
        public var simulatedHoursPerSecond: Double { Double(simulatedMillis) / 3_600_000 / max(wallSeconds, 1e-9) }
    }

    /// Monday 23 November 2026, 10:00 in Seoul: the desks are open (and close at 18:00, eight
    /// simulated hours in).
    public static let startWallMillis = OpeningHours.unixMillis(LocalDate("2026-11-23")!, minutes: 10 * 60)
    static let secret = [UInt8](repeating: 0x51, count: 32)

    /// Runs one seed to its end (or to its first broken invariant).
    public static func run(_ settings: Settings, catalog: WorldCatalog) throws -> Outcome {
        var outcome = Outcome(seed: settings.seed)
        let started = Monotonic.nanoseconds()
        var configuration = ServerConfiguration(tokenSecret: secret)
        configuration.randomSeed = settings.seed
        configuration.statusEverySeconds = 3_600
        configuration.desks = settings.desks
        configuration.profanity = settings.profanity
        configuration.store = settings.postgres.map { StoreSettings(postgres: $0) } ?? StoreSettings(path: settings.folder + "/city.sqlite")
        var logger = Logger(label: "simulation")
        logger.logLevel = .critical
        let driver = try VirtualDriver(configuration: configuration, catalog: catalog, logger: logger, wallStartMillis: settings.startWallMillis)
        var random = WorldRandom(seed: settings.seed)
        let clients = (0..<settings.clients).map { i in
            SimulatedClient(index: i, kind: i % 20 == 0 ? .staff : i % 4 == 0 ? .guest : .member)
        }
        let city = CityFacts(spaces: catalog.publicSpaces.map(\.id), templates: catalog.templates.filter { $0.admitsRoles.isEmpty }.map(\.id),
                             desks: settings.desks?.desks.map(\.id) ?? [], posts: settings.desks?.posts.map(\.space) ?? [])
        var problems: [String] = []
        var operatorRandom = WorldRandom(seed: settings.seed ^ 0x0BE7_A702)
        while driver.nowMillis < settings.durationMillis, outcome.failure == nil {
            for c in clients {
                c.readMessages(problems: &problems)
                if random.uniform(below: 1_000) < settings.actPerMille {
                    let action = c.act(&random, driver: driver, city: city, token: token(for: c), everyone: clients)
                    outcome.actions[action, default: 0] += 1
                }
            }
            if operatorRandom.uniform(below: 2_000) == 0 {
                outcome.actions[operatorActs(&operatorRandom, driver: driver, clients: clients), default: 0] += 1
            }
            driver.advance(millis: 50)
            outcome.steps += 1
            problems += invariantProblems(driver.server)
            if let first = problems.first {
                outcome.failure = "seed \(settings.seed), step \(outcome.steps) (\(driver.nowMillis) ms): \(first)"
            }
        }
        for c in clients { c.readMessages(problems: &problems) }
        var digest: UInt64 = 0
        for id in driver.server.host.spaceOrder { digest = (digest ^ (driver.server.host.spaces[id]?.world.stateHash() ?? 0)) &* 0x100_0000_01B3 }
        for c in clients { digest = (digest ^ c.digest) &* 0x100_0000_01B3 }
        outcome.digest = digest
        let counters = driver.server.counters
        driver.stop()
        outcome.simulatedMillis = driver.nowMillis
        if outcome.failure == nil {
            let (checked, problem) = try storeAgrees(settings, clients: clients, counters: counters)
            outcome.reportsChecked = checked
            if let problem { outcome.failure = "seed \(settings.seed), at the end: \(problem)" }
        }
        for c in clients {
            outcome.errors.merge(c.errors, uniquingKeysWith: +)
            outcome.received.merge(c.received, uniquingKeysWith: +)
        }
        outcome.wallSeconds = Double(Monotonic.nanoseconds() - started) / 1e9
        return outcome
    }

    static func token(for c: SimulatedClient) -> [UInt8]? {
        guard let account = c.account else { return nil }
        let roles: MemberToken.Roles = c.kind == .staff ? [.member, .staff, .editor, .answerer] : [.member]
        let expires = UInt64(startWallMillis / 1_000) + 365 * 86_400
        return MemberToken(accountID: account, displayName: account, roles: roles, expiresAtUnixSeconds: expires).signed(secret: secret)
    }

    /// An operator, through the same path as the admin API: a mute, a kick, a short ban or an
    /// announcement, about a random member.
    static func operatorActs(_ random: inout WorldRandom, driver: VirtualDriver, clients: [SimulatedClient]) -> String {
        let members = clients.compactMap(\.account)
        let account = members[Int(random.uniform(below: UInt64(members.count)))]
        let action: OperatorAction
        switch random.uniform(below: 4) {
        case 0: action = .mute(account: account, seconds: 30, reason: "simulated")
        case 1: action = .kick(account: account, reason: "simulated")
        case 2: action = .ban(account: account, seconds: 20, reason: "simulated")
        default: action = .notice(text: "the plaza closes at ten", spaceID: nil)
        }
        driver.server.carryOut(action, actor: "simulated-operator") { _ in }
        return "operator \(action.name)"
    }

    // MARK: Invariants

    /// The invariants of the top of this file that hold after every step, as sentences.
    static func invariantProblems(_ server: Server) -> [String] {
        var out: [String] = []
        for s in server.sessions.values {
            guard case .present(let spaceID, let avatar, _) = s.presence.state else { continue }
            guard let space = server.host.spaces[spaceID] else {
                out.append("session \(s.id) is present in '\(spaceID)', which is not open")
                continue
            }
            if space.members[s.id] !== s { out.append("session \(s.id) is present in '\(spaceID)' but not among its members") }
            if space.world.avatar(avatar) == nil { out.append("session \(s.id)'s avatar \(avatar) is not alive in '\(spaceID)'") }
        }
        for id in server.host.spaceOrder {
            guard let space = server.host.spaces[id] else { continue }
            let leaving = Set(space.inputs.compactMap { if case .leave(let a) = $0 { return a } else { return nil } })
            var owners: [AvatarID: UInt64] = [:]
            for (sid, m) in space.members {
                if m.presence.spaceID != id { out.append("session \(sid) is a member of '\(id)' but is in \(m.presence.spaceID ?? "none")") }
                if let a = m.avatar {
                    if let other = owners[a] { out.append("sessions \(other) and \(sid) share avatar \(a) in '\(id)'") }
                    owners[a] = sid
                }
            }
            for a in space.world.avatars where owners[a.id] == nil && !leaving.contains(a.id) {
                out.append("avatar \(a.id) in '\(id)' belongs to no session there and is not leaving")
            }
            if let contact = closestContact(space.world) { out.append("in '\(id)': \(contact)") }
        }
        var waiting: [String: String] = [:]
        var inSession = Set<String>()
        for desk in server.desks.desks {
            let deskID = desk.desk.id
            for s in desk.queue.sessions.values {
                inSession.insert(s.citizen)
                if let room = s.roomID, server.rooms.room(id: room) == nil { out.append("desk \(deskID)'s session with \(s.citizen) names room \(room), which is closed") }
            }
            for w in desk.queue.waiting {
                if let other = waiting[w.account] { out.append("\(w.account) waits at both \(other) and \(deskID)") }
                waiting[w.account] = deskID
            }
        }
        for (account, desk) in waiting where inSession.contains(account) { out.append("\(account) waits at \(desk) while in a desk session") }
        for (account, duty) in server.onDuty.roster.onDuty {
            for s in server.sessions.of(account: account) where s.presence.spaceID != nil && s.presence.spaceID != duty.space {
                out.append("\(account) is on duty as the docent of \(duty.space) but is in \(s.presence.spaceID!)")
            }
        }
        for room in server.rooms.all {
            guard let space = server.host.spaces[room.spaceID] else {
                out.append("room \(room.id) is open but its space \(room.spaceID) is not hosted")
                continue
            }
            for m in space.members.values where m.presence.spaceID != room.spaceID { out.append("room \(room.id)'s occupant \(m.id) is elsewhere") }
            let present = space.members.values.filter { $0.avatar != nil }.count
            if room.population != present { out.append("room \(room.id) counts \(room.population) people, \(present) are in it") }
        }
        return out
    }

    /// The first pair of avatars on one floor closer than the no-contact rule allows, if any.
    static func closestContact(_ world: World) -> String? {
        let minimum = 2 * Int64(world.definition.personalSpaceRadiusCentimetres)
        let avatars = world.avatars.sorted { ($0.floor, $0.position.x) < ($1.floor, $1.position.x) }
        for i in avatars.indices {
            var j = i + 1
            while j < avatars.count, avatars[j].floor == avatars[i].floor, Int64(avatars[j].position.x) - Int64(avatars[i].position.x) < minimum {
                let dx = Int64(avatars[j].position.x) - Int64(avatars[i].position.x)
                let dy = Int64(avatars[j].position.y) - Int64(avatars[i].position.y)
                if dx * dx + dy * dy < minimum * minimum { return "avatars \(avatars[i].id) and \(avatars[j].id) are closer than \(minimum) cm" }
                j += 1
            }
        }
        return nil
    }

    /// After the stop: every acknowledged report is stored, and the counters agree with the rows.
    static func storeAgrees(_ settings: Settings, clients: [SimulatedClient], counters: ServerCounters) throws -> (Int, String?) {
        let (bugs, users) = try settings.postgres.map { try PostgresStore(location: $0, access: .readOnly).reportIDs() }
            ?? Store(path: settings.folder + "/city.sqlite", readOnly: true).reportIDs()
        var checked = 0
        for c in clients {
            for id in c.bugReportsAcknowledged {
                guard bugs.contains(id) else { return (checked, "bug report \(id), acknowledged to client \(c.index), is not in the store") }
                checked += 1
            }
            for id in c.userReportsAcknowledged {
                guard users.contains(id) else { return (checked, "user report \(id), acknowledged to client \(c.index), is not in the store") }
                checked += 1
            }
        }
        if counters.bugReportsFiled != bugs.count { return (checked, "the server counted \(counters.bugReportsFiled) bug reports filed, the store holds \(bugs.count)") }
        if counters.userReportsFiled != users.count { return (checked, "the server counted \(counters.userReportsFiled) user reports filed, the store holds \(users.count)") }
        return (checked, nil)
    }
}

/// What the simulated clients may choose among.
struct CityFacts {
    let spaces: [String]
    let templates: [String]
    let desks: [String]
    /// The spaces with a docent post.
    var posts: [String] = []
}

extension OperatorAction {
    var name: String {
        switch self {
        case .notice: "notice"
        case .kick: "kick"
        case .mute: "mute"
        case .ban: "ban"
        case .resolveReport: "resolve"
        }
    }
}
