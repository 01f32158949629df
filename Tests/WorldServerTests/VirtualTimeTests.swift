// The real server on virtual time (VirtualDriver): the city's timed rules at their real
// lengths (a minute's hold, a minute's empty room, thirty seconds' silence), each checked in
// the milliseconds the work takes rather than shrunk and waited for.

import Foundation
import Logging
import NetProto
import ServiceFiles
import Services
import Testing
@testable import WorldServer

@Suite(.serialized, .timeLimit(.minutes(10))) struct VirtualTimeTests {
    static func driver(desks: Bool = false, startMillis: Int64 = CitySimulation.startWallMillis) throws -> (VirtualDriver, String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("virtual-\(UUID().uuidString)").path
        var configuration = ServerConfiguration(tokenSecret: CitySimulation.secret)
        configuration.statusEverySeconds = 3_600
        configuration.randomSeed = 1
        configuration.store = StoreSettings(path: folder + "/city.sqlite")
        if desks { configuration.desks = try DeskCatalog.load(directory: CitySimulationTests.services) }
        var logger = Logger(label: "virtual")
        logger.logLevel = .critical
        let driver = try VirtualDriver(configuration: configuration, catalog: Shipped.catalog, logger: logger,
                                       wallStartMillis: startMillis)
        return (driver, folder)
    }

    /// A client connected and welcomed, in `space` if given.
    static func client(_ driver: VirtualDriver, _ index: Int, _ kind: SimulatedClient.Kind = .member, space: String? = nil) -> SimulatedClient {
        let c = SimulatedClient(index: index, kind: kind)
        c.keepsMessages = true
        c.connect(driver, token: CitySimulation.token(for: c))
        settle(driver, [c])
        if let space {
            c.send(.enterSpace(requestID: c.request(), spaceID: space))
            settle(driver, [c])
        }
        return c
    }

    /// Runs `millis` of virtual time, a second at a time, the clients reading and (as a real
    /// client's heartbeat does) pinging each second so that the idle rule leaves them alone.
    static func settle(_ driver: VirtualDriver, _ clients: [SimulatedClient], millis: UInt64 = 200) {
        var left = millis
        var problems: [String] = []
        while left > 0 {
            let step = min(left, 1_000)
            driver.advance(millis: step)
            left -= step
            for c in clients {
                c.readMessages(problems: &problems)
                if left > 0 { c.send(.ping(clientTimeMicros: driver.nowMillis * 1_000)) }
            }
        }
        #expect(problems.isEmpty, "\(problems)")
    }

    /// A counsellor on duty at the 120 desk who has taken a citizen into a session's room.
    static func deskSession(_ driver: VirtualDriver) -> (counsellor: SimulatedClient, citizen: SimulatedClient) {
        let counsellor = client(driver, 1, .staff)
        counsellor.send(.deskDuty(requestID: counsellor.request(), desk: "counselling-120", on: true, field: ""))
        let citizen = client(driver, 2, space: "civil-complaint-centre-120")
        citizen.send(.joinQueue(requestID: citizen.request(), desk: "counselling-120", field: ""))
        settle(driver, [counsellor, citizen])
        counsellor.send(.takeNext(requestID: counsellor.request(), desk: "counselling-120"))
        settle(driver, [counsellor, citizen])
        return (counsellor, citizen)
    }

    @Test func anEmptyRoomClosesAfterItsMinuteNotBefore() throws {
        let (driver, folder) = try Self.driver()
        defer {
            driver.stop()
            try? FileManager.default.removeItem(atPath: folder)
        }
        let started = Date()
        let host = Self.client(driver, 1, space: "seoul-plaza")
        host.send(.openRoom(requestID: host.request(), template: "conference-room", title: "brief", access: .open))
        Self.settle(driver, [host])
        let room = try #require(host.space)
        #expect(room.hasPrefix("room-"))
        host.send(.leaveSpace(requestID: host.request()))
        Self.settle(driver, [host])
        #expect(host.space == "seoul-plaza")
        // The rule's own minute (RoomRules.emptyCloseMillis, 60 s), not a shrunk one.
        Self.settle(driver, [host], millis: 58_000)
        #expect(driver.server.host.spaces[room] != nil)
        Self.settle(driver, [host], millis: 3_000)
        #expect(driver.server.host.spaces[room] == nil && driver.server.rooms.all.isEmpty)
        #expect(Date().timeIntervalSince(started) < 30, "a minute of virtual time took \(Date().timeIntervalSince(started)) s")
    }

    @Test func aSilentClientIsClosedAfterThirtySecondsWithItsReason() throws {
        let (driver, folder) = try Self.driver()
        defer {
            driver.stop()
            try? FileManager.default.removeItem(atPath: folder)
        }
        let quiet = Self.client(driver, 1, space: "city-hall")
        let talker = Self.client(driver, 2, space: "city-hall")
        // The talker pings each second (settle does); the quiet one only reads.
        Self.settle(driver, [talker], millis: 29_000)
        Self.settle(driver, [quiet], millis: 0)
        #expect(quiet.isConnected && driver.server.sessions.count == 2)
        Self.settle(driver, [talker], millis: 2_000)
        var problems: [String] = []
        quiet.readMessages(problems: &problems)
        #expect(!quiet.isConnected && talker.isConnected && driver.server.sessions.count == 1)
        #expect(quiet.messages.contains { if case .error(.idleTimeout, _, _) = $0 { return true } else { return false } })
    }

    @Test func aCitizenInADeskSessionCannotQueueAtAnotherDesk() throws {
        let (driver, folder) = try Self.driver(desks: true)
        defer {
            driver.stop()
            try? FileManager.default.removeItem(atPath: folder)
        }
        let (counsellor, citizen) = Self.deskSession(driver)
        #expect(citizen.deskRoom != nil && citizen.space?.hasPrefix("room-") == true)
        // The simulation's seed 2 found this: the citizen queued at a second desk while in a
        // session, and the invariant "in one queue or one session" broke.
        let request = citizen.request()
        citizen.send(.joinQueue(requestID: request, desk: "tax-counselling", field: ""))
        Self.settle(driver, [counsellor, citizen])
        #expect(citizen.messages.contains { if case .error(.limitReached, request, _) = $0 { return true } else { return false } })
        #expect(!driver.server.desks["tax-counselling"]!.queue.isWaiting(citizen.account!))
    }

    @Test func travellingOutOfADeskSessionsRoomEndsTheSessionForBoth() throws {
        let (driver, folder) = try Self.driver(desks: true)
        defer {
            driver.stop()
            try? FileManager.default.removeItem(atPath: folder)
        }
        let (counsellor, citizen) = Self.deskSession(driver)
        let room = try #require(citizen.space)
        #expect(room.hasPrefix("room-") && counsellor.space == room)
        // The simulation's seeds 11 and 12 found this: travel out of the room left the session
        // held by the desk while its room emptied and, a minute later, closed under it.
        citizen.send(.enterSpace(requestID: citizen.request(), spaceID: "seoul-plaza"))
        Self.settle(driver, [counsellor, citizen], millis: 500)
        #expect(citizen.space == "seoul-plaza" && counsellor.space == "civil-complaint-centre-120")
        for c in [citizen, counsellor] {
            #expect(c.messages.contains { if case .sessionEnded = $0 { return true } else { return false } })
        }
        #expect(driver.server.desks["counselling-120"]!.queue.sessions.isEmpty && driver.server.rooms.all.isEmpty)
        #expect(driver.server.host.spaces[room] == nil)
        // The counsellor is free to take the next.
        #expect(driver.server.desks["counselling-120"]!.queue.onDuty["staff-1"] != nil)
    }

    @Test func aDisconnectedCitizenKeepsThePlaceForTheWholeMinuteThenIsSkipped() throws {
        let (driver, folder) = try Self.driver(desks: true)
        defer {
            driver.stop()
            try? FileManager.default.removeItem(atPath: folder)
        }
        let first = Self.client(driver, 1, space: "civil-complaint-centre-120")
        let second = Self.client(driver, 2, space: "civil-complaint-centre-120")
        for c in [first, second] {
            c.send(.joinQueue(requestID: c.request(), desk: "counselling-120", field: ""))
            Self.settle(driver, [first, second])
        }
        first.connection?.hangUp()
        Self.settle(driver, [second], millis: 59_000)
        #expect(driver.server.desks["counselling-120"]!.queue.waiting.map(\.account) == ["member-1", "member-2"])
        Self.settle(driver, [second], millis: 2_000)
        #expect(driver.server.desks["counselling-120"]!.queue.waiting.map(\.account) == ["member-2"])
        #expect(second.messages.contains { if case .queueStanding(_, 1, _) = $0 { return true } else { return false } }, "\(second.messages.filter { "\($0)".hasPrefix("queue") })")
    }

    /// The badge `entity`'s name last carried in what `c` received (nil: never named).
    static func badge(_ c: SimulatedClient, of entity: UInt32?) -> StaffBadge? {
        var last: StaffBadge?
        for case .names(let entries) in c.messages { for e in entries where e.entity == entity { last = e.badge } }
        return last
    }

    @Test func staffOnDutyCarryTheirBadgeAndAreOnTheMapUntilClosing() throws {
        // Monday 2026-11-23, 17:58 in Seoul: the posts and desks close at 18:00.
        let (driver, folder) = try Self.driver(desks: true, startMillis: OpeningHours.unixMillis(LocalDate("2026-11-23")!, minutes: 17 * 60 + 58))
        defer {
            driver.stop()
            try? FileManager.default.removeItem(atPath: folder)
        }
        // A counsellor at the 120 desk, seen by a citizen in the centre.
        let counsellor = Self.client(driver, 1, .staff)
        counsellor.send(.deskDuty(requestID: counsellor.request(), desk: "counselling-120", on: true, field: ""))
        let citizen = Self.client(driver, 2, space: "civil-complaint-centre-120")
        // Two docents at Gyeongbokgung's post, and a visitor who asks for the map.
        let kim = Self.client(driver, 3, .staff), lee = Self.client(driver, 4, .staff)
        let visitor = Self.client(driver, 5, .guest, space: "seoul-plaza")
        kim.send(.docentDuty(requestID: kim.request(), space: "gyeongbokgung", on: true))
        lee.send(.docentDuty(requestID: lee.request(), space: "gyeongbokgung", on: true))
        // A member may not; the answer says who may.
        let refused = citizen.request()
        citizen.send(.docentDuty(requestID: refused, space: "gyeongbokgung", on: true))
        let everyone = [counsellor, citizen, kim, lee, visitor]
        Self.settle(driver, everyone, millis: 2_000)
        #expect(kim.space == "gyeongbokgung" && lee.space == "gyeongbokgung" && counsellor.space == "civil-complaint-centre-120")
        #expect(citizen.messages.contains { if case .error(.forbidden, refused, let text) = $0 { return text.contains("staff") } else { return false } })
        #expect(Self.badge(citizen, of: counsellor.entity) == .deskStaff)
        #expect(Self.badge(kim, of: lee.entity) == .docent && Self.badge(lee, of: kim.entity) == .docent)
        #expect(Self.badge(counsellor, of: citizen.entity) == StaffBadge.none)

        let map = visitor.request()
        visitor.send(.listOnDuty(requestID: map))
        Self.settle(driver, everyone)
        #expect(visitor.messages.contains(.onDutyList(requestID: map, entries: [OnDutyEntry(space: "civil-complaint-centre-120", deskStaff: 1, docents: 0),
                                                                                OnDutyEntry(space: "gyeongbokgung", deskStaff: 0, docents: 2)])))

        // Off duty by asking: whoever knows the name hears it again, without the badge.
        counsellor.send(.deskDuty(requestID: counsellor.request(), desk: "counselling-120", on: false, field: ""))
        lee.send(.docentDuty(requestID: lee.request(), space: "", on: false))
        Self.settle(driver, everyone)
        #expect(Self.badge(citizen, of: counsellor.entity) == StaffBadge.none && Self.badge(kim, of: lee.entity) == StaffBadge.none)

        // Closing time sends the last docent off duty, told why, and the records say for how long.
        Self.settle(driver, everyone, millis: 120_000)
        #expect(kim.messages.contains { if case .notice(.offDuty, _, let text) = $0 { return text.contains("has closed") } else { return false } })
        #expect(Self.badge(lee, of: kim.entity) == StaffBadge.none && driver.server.onDuty.roster.onDuty.isEmpty)
        let late = lee.request()
        lee.send(.docentDuty(requestID: late, space: "gyeongbokgung", on: true))
        Self.settle(driver, everyone)
        #expect(lee.messages.contains { if case .error(.deskClosed, late, let text) = $0 { return text.contains("2026-11-24 09:00 KST") } else { return false } })
    }

    @Test func aDocentWhoLeavesThePostsSpaceGoesOffDuty() throws {
        let (driver, folder) = try Self.driver(desks: true)
        defer {
            driver.stop()
            try? FileManager.default.removeItem(atPath: folder)
        }
        let docent = Self.client(driver, 1, .staff, space: "deoksugung")
        docent.send(.docentDuty(requestID: docent.request(), space: "deoksugung", on: true))
        Self.settle(driver, [docent], millis: 1_000)
        // Standing at the post moved the docent within the space: still on duty.
        #expect(docent.space == "deoksugung" && driver.server.onDuty.roster.post(of: docent.account!) == "deoksugung")
        docent.send(.enterSpace(requestID: docent.request(), spaceID: "seoul-plaza"))
        Self.settle(driver, [docent], millis: 1_000)
        #expect(docent.space == "seoul-plaza" && driver.server.onDuty.roster.onDuty.isEmpty)
        #expect(docent.messages.contains { if case .notice(.offDuty, _, let text) = $0 { return text.contains("you left Deoksugung") } else { return false } })
    }

    /// The names a client was sent are kept for its view, not for everyone it ever saw: a
    /// citizen who stays on the plaza while 240 visitors come and go (ten at a time; about half
    /// come into its view) holds, at
    /// the end, no more than its view and the allowance beyond it, though it was named every one.
    @Test func namesSentAreBoundedByTheViewNotByEveryoneEverSeen() throws {
        let (driver, folder) = try Self.driver()
        defer {
            driver.stop()
            try? FileManager.default.removeItem(atPath: folder)
        }
        let observer = Self.client(driver, 1, .member, space: "seoul-plaza")
        observer.keepsMessages = true
        for batch in 0..<24 {
            let visitors = (0..<10).map { Self.client(driver, 100 + batch * 10 + $0, .guest, space: "seoul-plaza") }
            // (Over a second: `settle` pings after each whole second, and the observer sends
            // nothing else.)
            Self.settle(driver, [observer] + visitors, millis: 1_500)
            for v in visitors { v.connection?.hangUp() }
            Self.settle(driver, [observer], millis: 1_500)
        }
        var named = Set<UInt32>()
        for case .names(let entries) in observer.messages { for e in entries { named.insert(e.entity) } }
        #expect(named.count > WorldServer.Server.namesKeptBeyondView, "the observer was named more visitors than the allowance: \(named.count)")
        let session = try #require(driver.server.host.instances(of: "seoul-plaza").first?.members.values.first { $0.avatar.map(SnapshotFeed.entity) == observer.entity })
        let view = session.realtime.feed?.presented.count ?? 0
        #expect(session.realtime.namesSent.count <= view + WorldServer.Server.namesKeptBeyondView,
                "\(session.realtime.namesSent.count) names kept for a view of \(view)")
        #expect(session.realtime.namesSent.count < named.count)
    }
}
