// A city of two nodes on one PostgreSQL (issue 25; docs/CLUSTER.md): each node claims the space
// it prefers and the rest are spread; a member and a guest travel between the nodes through
// hand-over tickets and are placed with the request they made; the world map lists every space
// with its host from either node; tickets used twice, expired, forged or for the other node are
// refused with their codes; the visits continue across nodes (closed as travel on one, opened
// on the other); and a node that stops gives its spaces up for the other to claim at once.

import Foundation
import NetProto
import PostgresScratch
import Services
import Store
import Testing
import Transport
import WorldClient
import WorldFiles
@testable import WorldServer

@Suite(.serialized, .timeLimit(.minutes(5))) struct ClusterTests {
    static let secret = [UInt8](repeating: 0x5C, count: 32)

    static func node(_ name: String, prefers: [String], location: PostgresLocation, liveMillis: Int64 = 2_000,
                     catalog: WorldCatalog = Shipped.catalog, instanceCloseMillis: Int64 = 30_000, awayMillis: Int64 = 60_000,
                     configure more: @escaping (inout ServerConfiguration) -> Void = { _ in }) throws -> RunningServer {
        try RunningServer(configure: {
            $0.store = StoreSettings(postgres: location)
            var cluster = ClusterSettings(node: name, location: location, secret: secret)
            cluster.prefers = prefers
            cluster.leaseMillis = 2_000
            cluster.liveMillis = liveMillis
            cluster.instanceCloseMillis = instanceCloseMillis
            cluster.awayMillis = awayMillis
            $0.cluster = cluster
            more(&$0)
        }, catalog: catalog)
    }

    static func token(_ account: String) -> [UInt8] {
        MemberToken(accountID: account, displayName: "시민 \(account)", roles: [.member],
                    expiresAtUnixSeconds: UInt64(Date().timeIntervalSince1970) + 3_600).signed(secret: Shipped.secret)
    }

    static func ticket(node: String, space: String, expires: UInt64 = UInt64(Date().timeIntervalSince1970 * 1_000) + 30_000, id: UInt8 = 1) -> [UInt8] {
        HandOverTicket(id: [UInt8](repeating: id, count: 16), node: node, issuer: "a", space: space, instance: 1, requestID: 77, role: 0, accountID: "",
                       displayName: "손님", roles: [], expiresAtUnixMillis: expires).signed(secret: secret)
    }

    /// A temporary folder for a node run as a child process, holding the cluster's secret
    /// (`cluster-secret`) and the member tokens' (`token-secret`); the caller removes it.
    static func secretsDirectory() throws -> String {
        let directory = NSTemporaryDirectory() + "seoulworld-cluster-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try AdminServerTests.encodeHexForTests(secret).write(toFile: directory + "/cluster-secret", atomically: true, encoding: .utf8)
        try AdminServerTests.encodeHexForTests(Shipped.secret).write(toFile: directory + "/token-secret", atomically: true, encoding: .utf8)
        return directory
    }

    /// Who hosts `space` by `running`'s directory, once every public space is hosted.
    static func hosts(_ running: RunningServer) -> [String: String] {
        running.server.inspect { server in
            Dictionary((server.cluster.view?.hosts ?? []).filter(\.live).map { ($0.spaceID, $0.node) }, uniquingKeysWith: { a, _ in a })
        }
    }

    /// Nodes a (preferring the plaza) and b (preferring city hall) on a fresh database, once each
    /// hosts the space it prefers; with a loop for the test's clients.
    static func twoNodes() throws -> (RunningServer, RunningServer, UVLoop, PostgresLocation) {
        let location = try PostgresScratch.shared.get().database()
        let a = try node("a", prefers: ["seoul-plaza"], location: location)
        let b = try node("b", prefers: ["city-hall"], location: location)
        let loop = try UVLoop()
        drive(loop, [], seconds: 15) { hosts(a)["city-hall"] == "b" && hosts(b)["seoul-plaza"] == "a" }
        try #require(hosts(a)["city-hall"] == "b" && hosts(b)["seoul-plaza"] == "a", "each node hosts what it prefers: \(hosts(a))")
        return (a, b, loop, location)
    }

    @Test func citizensTravelBetweenNodesWithTicketsAndTheMapIsTheCitys() throws {
        let location = try PostgresScratch.shared.get().database()
        let a = try Self.node("a", prefers: ["seoul-plaza"], location: location)
        let b = try Self.node("b", prefers: ["city-hall"], location: location)
        let publicSpaces = Set(Shipped.catalog.publicSpaces.map(\.id))
        let loop = try UVLoop()
        defer { loop.closeAll() }
        // Every space hosted, the preferred ones by their nodes, the rest spread over both.
        drive(loop, [], seconds: 15) { Set(Self.hosts(a).keys) == publicSpaces && Set(Self.hosts(b).keys) == publicSpaces }
        let hosts = Self.hosts(b)
        try #require(Set(hosts.keys) == publicSpaces, "hosted: \(hosts.keys.sorted())")
        #expect(hosts["seoul-plaza"] == "a" && hosts["city-hall"] == "b")
        #expect(Set(hosts.values) == ["a", "b"] && hosts.values.filter { $0 == "b" }.count >= publicSpaces.count / 2 - 1, "spread: \(hosts)")

        // A member on node a travels from the plaza to city hall, on node b.
        let member = try WorldClient(loop: loop, server: a.address, credentials: .member(token: Self.token("traveller")))
        let guest = try WorldClient(loop: loop, server: b.address, credentials: .guest(displayName: "여행자"))
        let clients = [member, guest]
        drive(loop, clients, seconds: 10) { clients.allSatisfy { $0.welcome != nil } }
        member.enter("seoul-plaza")
        drive(loop, clients, seconds: 10) { member.space == "seoul-plaza" }
        try #require(member.space == "seoul-plaza")
        member.enter("city-hall")
        guest.enter("seoul-plaza")
        drive(loop, clients, seconds: 10) { member.space == "city-hall" && guest.space == "seoul-plaza" }
        #expect(member.space == "city-hall" && member.serverAddress.port == b.address.port, "the member is in city hall on node b")
        #expect(member.handOvers.map(\.node) == ["b"] && member.handOverMicros.count == 1)
        #expect(member.welcome?.role == 1 && member.welcome?.displayName == "시민 traveller")
        #expect(guest.space == "seoul-plaza" && guest.serverAddress.port == a.address.port && guest.welcome?.role == 0 && guest.welcome?.displayName == "여행자")
        #expect(member.errors.isEmpty && guest.errors.isEmpty, "\(member.errors) \(guest.errors)")
        // Each node now holds one of them, and neither holds the other.
        #expect(a.server.inspect { $0.sessions.count } == 1 && b.server.inspect { $0.sessions.count } == 1)

        // The world map, asked of either node, is the city's: every space, its host, its people.
        drive(loop, clients, seconds: 2.5)
        let listA = member.listSpaces(), listB = guest.listSpaces()
        drive(loop, clients, seconds: 5) { member.spaceLists[listA] != nil && guest.spaceLists[listB] != nil }
        for (list, hereNode) in [(member.spaceLists[listA] ?? [], "b"), (guest.spaceLists[listB] ?? [], "a")] {
            #expect(Set(list.map(\.space)) == publicSpaces)
            #expect(list.allSatisfy { $0.here == ($0.node == hereNode) && $0.capacity > 0 })
            #expect(list.first { $0.space == "city-hall" }?.population == 1 && list.first { $0.space == "seoul-plaza" }?.population == 1,
                    "\(list.filter { $0.population > 0 })")
        }

        // Tickets: good once, on their node, before their expiry, and only as signed.
        let good = Self.ticket(node: "b", space: "city-hall")
        var forged = Self.ticket(node: "b", space: "city-hall", id: 2)
        forged[20] ^= 1
        let refused: [([UInt8], ErrorCode)] = [
            (good, .ticketUsed), (Self.ticket(node: "b", space: "city-hall", expires: 1_000, id: 3), .ticketExpired),
            (forged, .ticketInvalid), (Self.ticket(node: "a", space: "city-hall", id: 4), .wrongNode),
        ]
        let first = try WorldClient(loop: loop, server: b.address, credentials: .ticket(good))
        drive(loop, [first], seconds: 10) { first.space == "city-hall" }
        #expect(first.space == "city-hall" && first.welcome?.displayName == "손님")
        for (bytes, code) in refused {
            let c = try WorldClient(loop: loop, server: b.address, credentials: .ticket(bytes))
            drive(loop, [c], seconds: 10) { c.closed }
            #expect(c.welcome == nil && c.errors.map(\.code) == [code], "\(code): \(c.errors)")
        }

        // The operator's view of each node names it, what it hosts, and the other node.
        let figures = try #require(a.server.inspect { $0.cluster.operatorFigures() })
        #expect(figures.node == "a" && figures.hosting.contains("seoul-plaza") && !figures.hosting.contains("city-hall") && figures.directoryReachable)
        #expect(figures.nodes.map(\.name) == ["a", "b"] && figures.nodes.allSatisfy(\.live) && figures.handOversOut == 1)
        #expect(b.server.inspect { $0.cluster.operatorFigures() }.map { ($0.ticketsAdmitted, $0.ticketsRefused) } ?? (0, 0) == (2, 4))

        // Node a stops: it gives its spaces up, and node b hosts the plaza at once (not after the lease).
        member.close()
        guest.close()
        drive(loop, clients + [first], seconds: 1)
        a.stop()
        drive(loop, [], seconds: 6) { b.server.inspect { $0.cluster.route("seoul-plaza") } == .here }
        #expect(b.server.inspect { $0.cluster.route("seoul-plaza") } == .here, "node b took the plaza over")
        b.stop()

        // The member's visits continue across the nodes: the plaza (travel), then city hall.
        let visits = try Self.visits(location).filter { $0.account == "traveller" }
        #expect(visits.map(\.space) == ["seoul-plaza", "city-hall"], "\(visits)")
        #expect(visits.map(\.reason) == ["travel", "disconnect"])
        #expect(visits.count == 2 && visits[0].leftAt <= visits[1].enteredAt && visits[0].session != visits[1].session)
    }

    /// Moderation reaches across the nodes: staff on node a ban a citizen connected to node b,
    /// and node b, told by PostgreSQL that the audit trail grew, reads it, disconnects them and
    /// refuses them after.
    @Test func aBanTakenOnOneNodeReachesTheCitizenOnAnother() throws {
        let (a, b, loop, _) = try Self.twoNodes()
        defer { a.stop(); b.stop(); loop.closeAll() }
        let staffToken = MemberToken(accountID: "officer", displayName: "담당관", roles: [.member, .staff],
                                     expiresAtUnixSeconds: UInt64(Date().timeIntervalSince1970) + 3_600).signed(secret: Shipped.secret)
        let officer = try WorldClient(loop: loop, server: a.address, credentials: .member(token: staffToken))
        let troll = try WorldClient(loop: loop, server: b.address, credentials: .member(token: Self.token("troll")))
        let clients = [officer, troll]
        drive(loop, clients, seconds: 10) { clients.allSatisfy { $0.welcome != nil } }
        officer.enter("seoul-plaza")
        troll.enter("city-hall")
        drive(loop, clients, seconds: 10) { officer.space == "seoul-plaza" && troll.space == "city-hall" }
        try #require(troll.space == "city-hall" && troll.serverAddress.port == b.address.port)
        #expect(a.server.inspect { $0.sessions.of(account: "troll").isEmpty }, "the citizen is not on node a")
        let heardBefore = b.server.inspect { $0.moderation.auditNotifications }
        let ban = officer.staff(.ban, .account("troll"), seconds: 86_400, reason: "threats in city hall")
        let bannedAt = Date()
        drive(loop, clients, seconds: 10) { officer.done.contains(ban) && troll.closed }
        print("cross-node ban: \(Int(Date().timeIntervalSince(bannedAt) * 1_000)) ms from the request to the citizen's disconnection (a debug build)")
        // Node b heard of it from PostgreSQL (NOTIFY), not only from its poll.
        #expect(b.server.inspect { $0.moderation.auditNotifications } > heardBefore)
        #expect(officer.done.contains(ban), "node a took the ban: \(officer.errors)")
        #expect(troll.closed && troll.errors.last?.code == .banned, "node b carried it out: \(troll.errors)")
        // And node b refuses the account at sign-in, with the time the ban ends.
        let back = try WorldClient(loop: loop, server: b.address, credentials: .member(token: Self.token("troll")))
        drive(loop, [back], seconds: 5) { back.closed }
        #expect(back.welcome == nil && back.errors.last?.code == .banned)
    }

    /// The notice board is the city's: a notice an operator posts on node a shows at once to the
    /// people in its space on node b, and its withdrawal takes it back there, each once.
    @Test func aNoticePostedOnOneNodeShowsOnAnother() throws {
        let (a, b, loop, _) = try Self.twoNodes()
        defer { a.stop(); b.stop(); loop.closeAll() }
        let visitor = try WorldClient(loop: loop, server: b.address, credentials: .member(token: Self.token("visitor")))
        drive(loop, [visitor], seconds: 10) { visitor.welcome != nil }
        visitor.enter("city-hall")
        drive(loop, [visitor], seconds: 10) { visitor.space == "city-hall" }
        try #require(visitor.space == "city-hall" && visitor.serverAddress.port == b.address.port)

        let now = Int64(Date().timeIntervalSince1970 * 1_000)
        let draft = NoticeDraft(title: NoticeText(ko: "시청 엘리베이터 점검", en: "Lift maintenance at City Hall"), body: NoticeText(ko: nil, en: "Use the stairs by the east door."),
                                category: .maintenance, startsAtMillis: now - 1_000, endsAtMillis: now + 3_600_000, target: .spaces(["city-hall"]), pinned: false)
        let posted = Mailbox<OperatorReply>()
        a.server.performNotice(.post(draft), actor: "operator:lee") { posted.put($0) }
        let reply = try #require(posted.take(seconds: 10), "node a answered the post")
        let id = try #require(reply.id, "\(reply)")
        drive(loop, [visitor], seconds: 10) { !visitor.noticesShown.isEmpty }
        #expect(visitor.noticesShown.map(\.notice.id) == [UInt64(id)], "shown on node b: \(visitor.noticesShown.map(\.notice.id))")
        #expect(b.server.inspect { $0.notices.board.notices[id] != nil }, "node b's board holds it")

        let withdrawn = Mailbox<OperatorReply>()
        a.server.performNotice(.withdraw(id: id), actor: "operator:lee") { withdrawn.put($0) }
        #expect(withdrawn.take(seconds: 10)?.status == 200)
        drive(loop, [visitor], seconds: 10) { !visitor.noticesWithdrawn.isEmpty }
        drive(loop, [visitor], seconds: 1)
        #expect(visitor.noticesWithdrawn == [UInt64(id)] && visitor.noticesShown.count == 1, "taken back once, shown once")
    }

    /// Between nodes (ClusterSubsystem+Relay): a direct line to a member on the other node is
    /// delivered and answered as sent; one to a member who blocks the sender is not delivered
    /// (and not revealed); one to nobody online is refused; staff's announcement to everyone and
    /// an operator's notice reach the other node's people; and either node lists who is online
    /// in the whole city, and where.
    @Test func chatAnnouncementsAndPresenceCrossNodes() throws {
        let (a, b, loop, _) = try Self.twoNodes()
        defer { a.stop(); b.stop(); loop.closeAll() }
        let staffToken = MemberToken(accountID: "officer", displayName: "담당관", roles: [.member, .staff],
                                     expiresAtUnixSeconds: UInt64(Date().timeIntervalSince1970) + 3_600).signed(secret: Shipped.secret)
        let alice = try WorldClient(loop: loop, server: a.address, credentials: .member(token: Self.token("alice")))
        let officer = try WorldClient(loop: loop, server: a.address, credentials: .member(token: staffToken))
        let bob = try WorldClient(loop: loop, server: b.address, credentials: .member(token: Self.token("bob")))
        let carol = try WorldClient(loop: loop, server: b.address, credentials: .member(token: Self.token("carol")))
        let guest = try WorldClient(loop: loop, server: b.address, credentials: .guest(displayName: "방문객"))
        let clients = [alice, officer, bob, carol, guest]
        drive(loop, clients, seconds: 10) { clients.allSatisfy { $0.welcome != nil } }
        for c in [alice, officer] { c.enter("seoul-plaza") }
        for c in [bob, carol, guest] { c.enter("city-hall") }
        let blocking = carol.block(.account("alice"))
        drive(loop, clients, seconds: 10) { [alice, officer].allSatisfy { $0.space == "seoul-plaza" } && [bob, carol, guest].allSatisfy { $0.space == "city-hall" } && carol.done.contains(blocking) }
        try #require(bob.serverAddress.port == b.address.port && alice.serverAddress.port == a.address.port)

        // Presence: once each node's round published its people, either node lists all five.
        func people(_ node: RunningServer) -> ([PresenceEntry], String?)? {
            let answer = Mailbox<([PresenceEntry], String?)>()
            node.server.people { answer.put(($0, $1)) }
            return answer.take(seconds: 10)
        }
        drive(loop, clients, seconds: 10) { (people(b)?.0.count ?? 0) == 5 && (people(a)?.0.count ?? 0) == 5 }
        let city = try #require(people(b))
        #expect(city.1 == nil)
        let whereIs = Dictionary(city.0.map { ($0.accountID ?? "guest '\($0.displayName)'", "\($0.node) \($0.spaceID ?? "-") \($0.role.rawValue)") }, uniquingKeysWith: { a, _ in a })
        // A guest's name is not kept (guests leave no identifier).
        #expect(whereIs == ["alice": "a seoul-plaza member", "officer": "a seoul-plaza staff", "bob": "b city-hall member",
                            "carol": "b city-hall member", "guest ''": "b city-hall guest"], "\(whereIs)")

        // Direct lines from node a to node b.
        let toBob = alice.chat(.directAccount("bob"), "시청에서 만나요")
        let toCarol = alice.chat(.directAccount("carol"), "안녕하세요")
        let toNobody = alice.chat(.directAccount("nobody"), "거기 있어요?")
        drive(loop, clients, seconds: 10) {
            bob.chatReceived.contains { $0.text == "시청에서 만나요" } && alice.chatAnswers.count == 2 && alice.errors.contains { $0.requestID == toNobody }
        }
        let line = try #require(bob.chatReceived.first { $0.text == "시청에서 만나요" }, "bob heard alice on node b")
        #expect(line.channel == .direct && line.senderName == "시민 alice" && line.senderEntity == 0)
        #expect(alice.chatAnswers.first { $0.requestID == toBob }?.recipients == 1)
        // Carol blocks alice: alice is told it was sent (a block is not revealed); carol never sees it.
        #expect(alice.chatAnswers.first { $0.requestID == toCarol }?.recipients == 1)
        #expect(alice.errors.first { $0.requestID == toNobody }?.code == .unknownTarget)
        drive(loop, clients, seconds: 1)
        #expect(!carol.chatReceived.contains { $0.text == "안녕하세요" })
        #expect(b.server.inspect { ($0.cluster.relay.received, $0.cluster.relay.blocked) } == (2, 1))

        // Staff's announcement to everyone and an operator's notice reach node b's people.
        _ = officer.chat(.announceAll, "광장 행사가 10분 뒤에 시작됩니다")
        let noticed = Mailbox<OperatorReply>()
        a.server.perform(.notice(text: "시스템 점검이 22시에 있습니다", spaceID: nil), actor: "operator:kim") { noticed.put($0) }
        let reply = try #require(noticed.take(seconds: 10))
        #expect(reply.status == 200 && reply.message.contains("other nodes"), "\(reply.message)")
        drive(loop, clients, seconds: 10) {
            [bob, carol, guest].allSatisfy { c in c.chatReceived.filter { $0.channel == .announcement }.count == 2 }
        }
        for c in [bob, carol, guest] {
            let heard = c.chatReceived.filter { $0.channel == .announcement }.map(\.text)
            #expect(heard.sorted() == ["광장 행사가 10분 뒤에 시작됩니다", "시스템 점검이 22시에 있습니다"], "\(heard)")
        }
        #expect(alice.chatReceived.filter { $0.channel == .announcement }.count == 2, "node a's own people hear both once")
    }

    /// A node stopped gracefully (SIGTERM) drains: it gives its spaces up, waits for the other
    /// node to claim them, and hands the people in them over with tickets instead of dropping them.
    @Test func aNodeStoppedGracefullyHandsItsPeopleToTheNodeThatTakesItsSpaces() throws {
        let (a, b, loop, location) = try Self.twoNodes()
        defer { a.stop(); b.stop(); loop.closeAll() }
        let member = try WorldClient(loop: loop, server: a.address, credentials: .member(token: Self.token("stayer")))
        let guest = try WorldClient(loop: loop, server: a.address, credentials: .guest(displayName: "구경꾼"))
        let clients = [member, guest]
        drive(loop, clients, seconds: 10) { clients.allSatisfy { $0.welcome != nil } }
        for c in clients { c.enter("seoul-plaza") }
        drive(loop, clients, seconds: 10) { clients.allSatisfy { $0.space == "seoul-plaza" } }
        try #require(clients.allSatisfy { $0.space == "seoul-plaza" && $0.serverAddress.port == a.address.port })

        a.server.requestStop()
        drive(loop, clients, seconds: 15) { clients.allSatisfy { $0.serverAddress.port == b.address.port && $0.space == "seoul-plaza" && !$0.handOverPending } }
        for c in clients {
            #expect(c.serverAddress.port == b.address.port && c.space == "seoul-plaza", "\(c.welcome?.displayName ?? "?") is on the plaza, on node b")
            #expect(c.handOvers.map(\.node) == ["b"] && c.errors.isEmpty, "\(c.errors)")
        }
        #expect(b.server.inspect { $0.sessions.count } == 2 && b.server.inspect { $0.cluster.route("seoul-plaza") } == .here)
        member.close()
        guest.close()
        drive(loop, clients, seconds: 1)
        a.stop()
        b.stop()
        // The visit goes on: the plaza on node a closed as travel, the plaza on node b after it.
        let visits = try Self.visits(location).filter { $0.account == "stayer" }
        #expect(visits.map(\.space) == ["seoul-plaza", "seoul-plaza"] && visits.map(\.reason) == ["travel", "disconnect"], "\(visits)")
    }

    /// Where `account`'s avatar stands on `running`, if it is in a space there.
    static func standing(_ running: RunningServer, _ account: String) -> (space: String, x: Int32, y: Int32)? {
        running.server.inspect { server in
            guard let s = server.sessions.of(account: account).first, let space = s.spaceID,
                  let a = s.avatar.flatMap({ server.host.spaces[space]?.world.avatar($0) }) else { return nil }
            return (space, a.position.x, a.position.y)
        }
    }

    /// A connection that drops without a word comes back with its resume ticket: to the same
    /// node, in the same space, at the spot it stood; the visit closed as a disconnect and a new
    /// one opened. A connection the server closes saying why is not resumed.
    @Test func aDroppedConnectionComesBackWithItsResumeTicket() throws {
        let location = try PostgresScratch.shared.get().database()
        let a = try Self.node("a", prefers: ["seoul-plaza"], location: location, awayMillis: 4_000)
        defer { a.stop() }
        let loop = try UVLoop()
        defer { loop.closeAll() }
        drive(loop, [], seconds: 15) { Self.hosts(a)["seoul-plaza"] == "a" }
        let member = try WorldClient(loop: loop, server: a.address, credentials: .member(token: Self.token("walker")))
        drive(loop, [member], seconds: 10) { member.welcome != nil }
        member.enter("seoul-plaza")
        drive(loop, [member], seconds: 10) { member.space == "seoul-plaza" && member.holdsResumeTicket }
        try #require(member.space == "seoul-plaza" && member.holdsResumeTicket, "a resume ticket came with the entry")
        // Walk a little way from the spawn point, so that "where it stood" means something.
        member.move(.go(heading: 0, pace: 1))
        drive(loop, [member], seconds: 2)
        member.move(.stop)
        drive(loop, [member], seconds: 0.5)
        let before = try #require(Self.standing(a, "walker"))
        let entity = member.entity
        // The node drops the connection without a word (as a broken network would).
        a.server.inspect { server in server.sessions.of(account: "walker").first?.connection.close() }
        drive(loop, [member], seconds: 15) { member.drops == 1 && !member.resumePending && member.space == "seoul-plaza" }
        #expect(member.drops == 1 && member.resumeMicros.count == 1 && !member.closed, "resumed: \(member.closeReason ?? "")")
        #expect(member.space == "seoul-plaza" && member.serverAddress.port == a.address.port)
        // Its avatar waited for it: the same one, where it stood.
        let after = try #require(Self.standing(a, "walker"))
        #expect(member.entity == entity && after.space == "seoul-plaza" && after.x == before.x && after.y == before.y, "\(before) then \(after)")
        #expect(a.server.inspect { ($0.cluster.operatorFigures()?.resumed, $0.cluster.away.adopted) } == (1, 1))

        // Another citizen's connection drops and it does not come back: its avatar stands, stopped,
        // for the window (4 s here), then goes, and its visit closes as a disconnect.
        let leaver = try WorldClient(loop: loop, server: a.address, credentials: .member(token: Self.token("leaver")))
        drive(loop, [member, leaver], seconds: 10) { leaver.welcome != nil }
        leaver.enter("seoul-plaza")
        drive(loop, [member, leaver], seconds: 10) { leaver.space == "seoul-plaza" && leaver.holdsResumeTicket }
        let population = { a.server.inspect { $0.host.spaces["seoul-plaza"]!.world.population } }
        #expect(population() == 2)
        a.server.inspect { server in server.sessions.of(account: "leaver").first?.connection.close() }
        leaver.close()
        drive(loop, [member], seconds: 1.5)
        #expect(population() == 2 && a.server.inspect { $0.cluster.away.held.count } == 1, "the avatar waits")
        drive(loop, [member], seconds: 6) { population() == 1 }
        #expect(population() == 1 && a.server.inspect { ($0.cluster.away.held.count, $0.cluster.away.expired) } == (0, 1), "then goes")
        // A third drops, and signs in anew with its token instead of resuming: its old avatar
        // goes at once, so that it does not meet itself.
        let restarter = try WorldClient(loop: loop, server: a.address, credentials: .member(token: Self.token("restarter")))
        drive(loop, [member, restarter], seconds: 10) { restarter.welcome != nil }
        restarter.enter("seoul-plaza")
        drive(loop, [member, restarter], seconds: 10) { restarter.space == "seoul-plaza" && restarter.holdsResumeTicket }
        a.server.inspect { server in server.sessions.of(account: "restarter").first?.connection.close() }
        restarter.close()
        drive(loop, [member], seconds: 1)
        #expect(population() == 2)
        let again = try WorldClient(loop: loop, server: a.address, credentials: .member(token: Self.token("restarter")))
        drive(loop, [member, again], seconds: 10) { again.welcome != nil }
        drive(loop, [member, again], seconds: 0.5)
        #expect(population() == 1 && a.server.inspect { $0.cluster.away.held.isEmpty })
        again.close()

        // Kicked, the client is told why and does not come back.
        let kicked = Mailbox<OperatorReply>()
        a.server.perform(.kick(account: "walker", reason: "testing a kick"), actor: "operator:test") { kicked.put($0) }
        #expect(kicked.take(seconds: 10)?.status == 200)
        drive(loop, [member], seconds: 10) { member.closed }
        #expect(member.closed && member.drops == 1 && member.errors.last?.code == .kicked)
        a.stop()
        let visits = try Self.visits(location).filter { $0.account == "walker" }
        #expect(visits.map(\.reason) == ["disconnect", "kicked"], "\(visits)")
        #expect(try Self.visits(location).filter { $0.account == "leaver" }.map(\.reason) == ["disconnect"])
    }

    /// A node whose connection goes silent without closing (its network gone, the TCP
    /// connection still open): the client notices the silence, gives the connection up and
    /// comes back with its resume ticket, here to the same node once it answers again, which
    /// gives it its own avatar back.
    @Test func aClientWhoseServerFallsSilentComesBackWithItsResumeTicket() throws {
        let location = try PostgresScratch.shared.get().database()
        // A lease longer than the stall below: a node that stops longer than its lease loses its
        // spaces (and takes its people out), which is another test's matter.
        let a = try Self.node("a", prefers: ["seoul-plaza"], location: location) { $0.cluster?.leaseMillis = 10_000 }
        defer { a.stop() }
        let loop = try UVLoop()
        defer { loop.closeAll() }
        drive(loop, [], seconds: 15) { Self.hosts(a)["seoul-plaza"] == "a" }
        var options = WorldClient.Options()
        options.serverSilentMillis = 1_500
        let member = try WorldClient(loop: loop, server: a.address, credentials: .member(token: Self.token("patient")), options: options)
        drive(loop, [member], seconds: 10) { member.welcome != nil }
        member.enter("seoul-plaza")
        drive(loop, [member], seconds: 10) { member.space == "seoul-plaza" && member.holdsResumeTicket }
        try #require(member.holdsResumeTicket)
        let entity = member.entity
        // The node's loop stops for 3 s: nothing reaches the client, and nothing closes.
        let stalled = Thread { a.server.inspect { _ in Thread.sleep(forTimeInterval: 3) } }
        stalled.start()
        drive(loop, [member], seconds: 20) { member.serverFellSilent == 1 && !member.resumePending && member.space == "seoul-plaza" }
        #expect(member.serverFellSilent == 1 && member.drops == 1 && member.resumeMicros.count == 1 && !member.closed,
                "silent \(member.serverFellSilent), drops \(member.drops), closed \(member.closed): \(member.closeReason ?? "")")
        #expect(member.space == "seoul-plaza" && member.entity == entity,
                "its own avatar back: \(a.server.inspect { ($0.cluster.away.heldCount, $0.cluster.away.adopted, $0.cluster.away.expired, $0.host.spaces["seoul-plaza"]!.world.population) })")
    }

    /// A citizen in a 1:1 desk session whose connection drops comes back into the room: the same
    /// avatar, the session still held for both, the counsellor never alone; ending the session
    /// then sends the citizen back to the centre it came from. A kick of an account whose
    /// avatar stands away takes it out at once, and its visit closes as `kicked`.
    @Test func aDroppedConnectionComesBackIntoItsDeskSessionRoom() throws {
        let location = try PostgresScratch.shared.get().database()
        let a = try Self.node("a", prefers: ["seoul-plaza"], location: location, awayMillis: 30_000) {
            $0.desks = try! DeskCatalog.load(directory: DesksServerTests.services)
            $0.deskClockOffsetMillis = DesksServerTests.mondayMorning - Int64(Date().timeIntervalSince1970 * 1_000)
        }
        defer { a.stop() }
        let loop = try UVLoop()
        defer { loop.closeAll() }
        drive(loop, [], seconds: 15) { Self.hosts(a)["civil-complaint-centre-120"] == "a" }
        let centre = "civil-complaint-centre-120"
        func client(_ account: String, roles: MemberToken.Roles = [.member], space: String) throws -> WorldClient {
            let token = MemberToken(accountID: account, displayName: account, roles: roles,
                                    expiresAtUnixSeconds: UInt64(Date().timeIntervalSince1970) + 3_600).signed(secret: Shipped.secret)
            let c = try WorldClient(loop: loop, server: a.address, credentials: .member(token: token))
            drive(loop, [c], seconds: 10) { c.welcome != nil }
            c.enter(space)
            drive(loop, [c], seconds: 10) { c.space == space && c.holdsResumeTicket }
            return c
        }
        let staff = try client("counsellor", roles: [.member, .staff], space: "city-hall")
        let citizen = try client("c1", space: centre)
        let duty = staff.deskDuty("counselling-120")
        drive(loop, [staff, citizen], seconds: 5) { staff.done.contains(duty) && staff.space == centre }
        citizen.joinQueue("counselling-120")
        drive(loop, [staff, citizen], seconds: 5) { citizen.queueStandings.last?.position == 1 }
        staff.takeNext("counselling-120")
        drive(loop, [staff, citizen], seconds: 5) { staff.space?.hasPrefix("room-") == true && citizen.space == staff.space && citizen.holdsResumeTicket }
        let room = try #require(staff.space)
        try #require(citizen.space == room, "the session's room: \(citizen.space ?? "nowhere")")
        let entity = citizen.entity
        let roomID = try #require(UInt32(room.dropFirst(5)))
        let held = { a.server.inspect { $0.desksSubsystem.board.session(inRoom: roomID) != nil } }

        a.server.inspect { server in server.sessions.of(account: "c1").first?.connection.close() }
        drive(loop, [staff, citizen], seconds: 15) { citizen.drops == 1 && !citizen.resumePending && citizen.space == room }
        #expect(citizen.drops == 1 && citizen.resumeMicros.count == 1 && !citizen.closed, "resumed: \(citizen.closeReason ?? "") \(citizen.errors)")
        #expect(citizen.space == room && citizen.entity == entity, "back in the room, the same avatar")
        #expect(held() && staff.space == room && staff.sessionsEnded.isEmpty, "the session went on for both")
        #expect(a.server.inspect { $0.host.spaces[room]?.world.population } == 2)
        let end = staff.endSession()
        drive(loop, [staff, citizen], seconds: 5) { staff.done.contains(end) && citizen.space == centre && staff.space == centre }
        #expect(citizen.space == centre && !held(), "the way back went with the avatar")

        // Away, then kicked: out at once, not at the window's end.
        let leaver = try client("leaver", space: "seoul-plaza")
        let population = { a.server.inspect { $0.host.spaces["seoul-plaza"]!.world.population } }
        a.server.inspect { server in server.sessions.of(account: "leaver").first?.connection.close() }
        leaver.close()
        drive(loop, [staff, citizen], seconds: 1)
        #expect(population() == 1 && a.server.inspect { $0.cluster.away.held.count } == 1)
        let kicked = Mailbox<OperatorReply>()
        a.server.perform(.kick(account: "leaver", reason: "testing a kick of an avatar left standing"), actor: "operator:test") { kicked.put($0) }
        #expect(kicked.take(seconds: 10)?.status == 200)
        drive(loop, [staff, citizen], seconds: 2) { population() == 0 }
        #expect(population() == 0 && a.server.inspect { $0.cluster.away.held.isEmpty })
        a.stop()
        #expect(try Self.visits(location).filter { $0.account == "leaver" }.map(\.reason) == ["kicked"])
        let c1 = try Self.visits(location).filter { $0.account == "c1" }.map(\.reason)
        #expect(c1 == ["travel", "disconnect", "leave", nil] || c1 == ["travel", "disconnect", "leave", "shutdown"], "\(c1)")
    }

    /// A node killed with SIGKILL: its citizen comes back with the resume ticket on the other
    /// node, which waits for the space's lease to run out, claims it, and places the citizen
    /// where it stood.
    @Test func aCitizenOfAKilledNodeResumesOnTheOtherNode() throws {
        try #require(FileManager.default.isExecutableFile(atPath: ChildServer.binary), "build the seoulworld binary first (`swift build`): \(ChildServer.binary)")
        let location = try PostgresScratch.shared.get().database()
        let directory = try Self.secretsDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let b = try Self.node("b", prefers: ["city-hall"], location: location)
        defer { b.stop() }
        let a = try ChildServer(arguments: ["--node", "a", "--prefer", "seoul-plaza", "--lease-seconds", "2", "--store", location.description,
                                            "--cluster-secret-file", directory + "/cluster-secret", "--token-secret-file", directory + "/token-secret",
                                            "--worlds", Shipped.worlds.path, "--no-admin"], logPath: directory + "/a.log")
        try #require(a.port != 0, "node a did not start: \(a.log)")
        let loop = try UVLoop()
        defer { loop.closeAll() }
        drive(loop, [], seconds: 15) { Self.hosts(b)["seoul-plaza"] == "a" }
        try #require(Self.hosts(b)["seoul-plaza"] == "a", "node a hosts the plaza: \(Self.hosts(b))")
        let member = try WorldClient(loop: loop, server: SocketAddress(host: "127.0.0.1", port: a.port), credentials: .member(token: Self.token("survivor")))
        drive(loop, [member], seconds: 10) { member.welcome != nil }
        member.enter("seoul-plaza")
        drive(loop, [member], seconds: 10) { member.space == "seoul-plaza" && member.holdsResumeTicket }
        try #require(member.space == "seoul-plaza" && member.holdsResumeTicket)

        a.kill(SIGKILL)
        drive(loop, [member], seconds: 30) { member.drops == 1 && !member.resumePending && member.space == "seoul-plaza" }
        #expect(member.drops == 1 && member.resumeMicros.count == 1 && !member.closed,
                "drops \(member.drops), resumed \(member.resumeMicros.count), closed \(member.closed): \(member.closeReason ?? "") \(member.errors) at \(member.serverAddress)")
        #expect(member.space == "seoul-plaza" && member.serverAddress.port == b.address.port, "on node b now")
        #expect(b.server.inspect { $0.cluster.route("seoul-plaza") } == .here && Self.standing(b, "survivor")?.space == "seoul-plaza")
        print("resumed after SIGKILL of its node in \(Double(member.resumeMicros.first ?? 0) / 1_000_000) s (a lease of 2 s)")
    }

    /// A node that the directory reaches but clients cannot (here: it tells the directory an
    /// address where nothing listens, as a node whose network was cut would be reached nowhere)
    /// is reported by the two others, finds itself cut off, and gives its spaces up: the others
    /// host them within seconds, and nobody is sent to it. Its /readyz says why.
    @Test func aNodeTheOthersCannotReachGivesItsSpacesUp() throws {
        let location = try PostgresScratch.shared.get().database()
        let a = try Self.node("a", prefers: ["seoul-plaza"], location: location)
        defer { a.stop() }
        let b = try Self.node("b", prefers: ["city-hall"], location: location)
        defer { b.stop() }
        let c = try Self.node("c", prefers: ["deoksugung"], location: location) { $0.cluster?.advertisedHost = "127.0.0.2" }
        defer { c.stop() }
        let loop = try UVLoop()
        defer { loop.closeAll() }
        let cutOff = { (node: RunningServer) in node.server.inspect { $0.cluster.reach.cutOff } }
        drive(loop, [], seconds: 20) { cutOff(a) == ["c"] && cutOff(b) == ["c"] && c.server.inspect { $0.cluster.reach.isCutOff } }
        #expect(cutOff(a) == ["c"] && cutOff(b) == ["c"] && cutOff(c) == ["c"], "every node comes to the same answer")
        #expect(c.server.inspect { ($0.cluster.reach.isCutOff, $0.cluster.reach.timesCutOff) } == (true, 1))
        // The others host everything, c nothing, and nobody is sent to c.
        drive(loop, [], seconds: 10) { Self.hosts(a)["deoksugung"] != nil && Self.hosts(a)["deoksugung"] != "c" && c.server.inspect { $0.cluster.holding.isEmpty } }
        let hosts = Self.hosts(a)
        #expect(!hosts.values.contains("c") && hosts["deoksugung"] != nil, "\(hosts)")
        #expect(c.server.inspect { $0.cluster.holding.isEmpty })
        #expect(a.server.inspect { $0.cluster.route("deoksugung") } != .nobody)
        let figures = try #require(a.server.inspect { $0.cluster.operatorFigures() })
        #expect(figures.reachTries > 0 && figures.cutOff == ["c"])
        // a and b reach each other: neither reports the other.
        #expect(a.server.inspect { $0.cluster.cannotReach(now: $0.clockMillis) } == ["c"])
        #expect(c.server.inspect { $0.cluster.cannotReach(now: $0.clockMillis) } == [], "c reaches the others; only they cannot reach c")
    }

    /// A node killed with SIGKILL keeps its leases for their length (8 s here), but stops
    /// announcing itself at once: a citizen on the other node who travels to its space 2.5 s on
    /// is refused with 41 and stays where they are, instead of being sent to a node that will
    /// not answer.
    @Test func travelToANodeThatWentQuietIsRefusedAndTheCitizenStays() throws {
        try #require(FileManager.default.isExecutableFile(atPath: ChildServer.binary), "build the seoulworld binary first (`swift build`): \(ChildServer.binary)")
        let location = try PostgresScratch.shared.get().database()
        let directory = try Self.secretsDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Node b takes a node unheard of for 8 s for down (a lease's length, as by default).
        let b = try Self.node("b", prefers: ["city-hall"], location: location, liveMillis: 8_000)
        defer { b.stop() }
        let a = try ChildServer(arguments: ["--node", "a", "--prefer", "seoul-plaza", "--lease-seconds", "8", "--store", location.description,
                                            "--cluster-secret-file", directory + "/cluster-secret",
                                            "--worlds", Shipped.worlds.path, "--no-admin"], logPath: directory + "/a.log")
        try #require(a.port != 0, "node a did not start: \(a.log)")
        let loop = try UVLoop()
        defer { loop.closeAll() }
        drive(loop, [], seconds: 15) { Self.hosts(b)["seoul-plaza"] == "a" && Self.hosts(b)["city-hall"] == "b" }
        try #require(Self.hosts(b)["seoul-plaza"] == "a", "node a hosts the plaza: \(Self.hosts(b))")
        let member = try WorldClient(loop: loop, server: b.address, credentials: .member(token: Self.token("stayer")))
        drive(loop, [member], seconds: 10) { member.welcome != nil }
        member.enter("city-hall")
        drive(loop, [member], seconds: 10) { member.space == "city-hall" }
        try #require(member.space == "city-hall")

        a.kill(SIGKILL)
        drive(loop, [member], seconds: 4)
        #expect(b.server.inspect { $0.cluster.route("seoul-plaza") } != .nobody, "the killed node's lease still runs, and it is not yet taken for down")
        let asked = member.enter("seoul-plaza")
        drive(loop, [member], seconds: 5) { member.errors.contains { $0.requestID == asked } }
        #expect(member.errors.first { $0.requestID == asked }?.code == .notHosted, "\(member.errors)")
        #expect(member.handOvers.isEmpty && member.space == "city-hall" && member.serverAddress.port == b.address.port && !member.closed)
        #expect(b.server.inspect { $0.cluster.figures.travelRefusedQuiet } == 1)
    }

    /// A space goes back to the node that prefers it (ClusterSubsystem+Rebalance): node b alone
    /// hosts every space, the plaza among them, and a member is in it; node a, which prefers the
    /// plaza, starts: once it has been live a while, b gives the plaza up, a claims it, and the
    /// member is handed over to a, the visit continuing.
    @Test func aSpaceGoesBackToItsPreferringNodeWithThePeopleInIt() throws {
        let location = try PostgresScratch.shared.get().database()
        let b = try Self.node("b", prefers: ["city-hall"], location: location)
        defer { b.stop() }
        let loop = try UVLoop()
        defer { loop.closeAll() }
        drive(loop, [], seconds: 15) { Self.hosts(b)["seoul-plaza"] == "b" }
        try #require(Self.hosts(b)["seoul-plaza"] == "b", "b took the plaza: \(Self.hosts(b))")
        let member = try WorldClient(loop: loop, server: b.address, credentials: .member(token: Self.token("resident")))
        drive(loop, [member], seconds: 10) { member.welcome != nil }
        member.enter("seoul-plaza")
        drive(loop, [member], seconds: 10) { member.space == "seoul-plaza" }
        try #require(member.space == "seoul-plaza" && member.serverAddress.port == b.address.port)

        let a = try Self.node("a", prefers: ["seoul-plaza"], location: location)
        defer { a.stop() }
        drive(loop, [member], seconds: 20) { member.serverAddress.port == a.address.port && member.space == "seoul-plaza" }
        #expect(member.space == "seoul-plaza" && member.serverAddress.port == a.address.port, "handed over to a: \(member.errors)")
        #expect(Self.hosts(a)["seoul-plaza"] == "a" && Self.hosts(b)["city-hall"] == "b")
        #expect(b.server.inspect { $0.cluster.rebalance.givenBack } == 1 && member.errors.isEmpty && !member.closed)
        member.close()
        drive(loop, [member], seconds: 1)
        a.stop()
        let visits = try Self.visits(location).filter { $0.account == "resident" }
        #expect(visits.map(\.space) == ["seoul-plaza", "seoul-plaza"] && visits.first?.reason == "travel", "\(visits)")
    }

    /// Overflow instances (ClusterSubsystem+Overflow), on a city of three nodes: Seoul Plaza made
    /// to hold 4, and ten members on the three nodes entering it at once. No instance ever holds more than 4; more
    /// instances open as those open fill up, and everyone is placed; the map lists the instances
    /// with their people; a member may ask for a chosen instance, and is refused while it is full;
    /// an instance left empty closes, and the map stops listing it.
    @Test func aFullSpaceOpensMoreInstancesAndNoInstanceHoldsMoreThanItsCapacity() throws {
        let capacity = 4
        let small = WorldCatalog(spaces: Shipped.catalog.spaces.map { space in
            var space = space
            if space.id == "seoul-plaza" { space.definition.capacity = capacity }
            return space
        })
        let location = try PostgresScratch.shared.get().database()
        let a = try Self.node("a", prefers: ["seoul-plaza"], location: location, catalog: small, instanceCloseMillis: 2_000)
        let b = try Self.node("b", prefers: ["city-hall"], location: location, catalog: small, instanceCloseMillis: 2_000)
        let c = try Self.node("c", prefers: ["deoksugung"], location: location, catalog: small, instanceCloseMillis: 2_000)
        let nodes = [a, b, c]
        defer { nodes.forEach { $0.stop() } }
        let loop = try UVLoop()
        defer { loop.closeAll() }
        // Node c started last: its space may have been taken by a or b, and is given back to it.
        let settled = { nodes.allSatisfy { n in Self.hosts(n)["seoul-plaza"] == "a" && Self.hosts(n)["city-hall"] == "b" && Self.hosts(n)["deoksugung"] == "c" } }
        drive(loop, [], seconds: 20) { settled() }
        try #require(settled(), "\(Self.hosts(b))")

        let clients = try (0..<10).map { i in
            try WorldClient(loop: loop, server: nodes[i % 3].address, credentials: .member(token: Self.token("crowd-\(i)")))
        }
        drive(loop, clients, seconds: 10) { clients.allSatisfy { $0.welcome != nil } }
        // The most people any instance of the plaza held, sampled as the crowd arrives.
        var most = 0
        func sample() {
            for node in nodes {
                let counts = node.server.inspect { server in server.host.spaceOrder.filter { SpaceHost.base($0) == "seoul-plaza" }.map { server.host.spaces[$0]!.world.population } }
                most = max(most, counts.max() ?? 0)
            }
        }
        var asked: [Int: UInt32] = [:]
        for (i, c) in clients.enumerated() { asked[i] = c.enter("seoul-plaza") }
        // Those refused as full try again a second later, as a person would.
        var retryAt = Date().addingTimeInterval(1)
        drive(loop, clients, seconds: 30) {
            sample()
            if Date() >= retryAt {
                retryAt = Date().addingTimeInterval(1)
                for (i, c) in clients.enumerated() where c.space == nil && c.errors.contains(where: { $0.requestID == asked[i] && $0.code == .spaceFull }) {
                    asked[i] = c.enter("seoul-plaza")
                }
            }
            return clients.allSatisfy { $0.space != nil }
        }
        sample()
        let placed = Dictionary(grouping: clients.compactMap(\.space), by: { $0 }).mapValues(\.count)
        #expect(clients.allSatisfy { $0.space != nil }, "everyone placed: \(placed), errors \(clients.flatMap(\.errors).map(\.code))")
        #expect(most <= capacity, "an instance held \(most) people")
        #expect(placed.values.allSatisfy { $0 <= capacity } && placed.keys.allSatisfy { $0.hasPrefix("seoul-plaza") } && placed.count >= 3, "\(placed)")

        // The map lists every instance with its people, from either node.
        drive(loop, clients, seconds: 2.5)
        let listing = clients[1].listSpaces()
        drive(loop, clients, seconds: 5) { clients[1].spaceLists[listing] != nil }
        let plaza = (clients[1].spaceLists[listing] ?? []).filter { $0.space == "seoul-plaza" }
        #expect(plaza.count == placed.count && plaza.map { Int($0.population) }.reduce(0, +) == 10 && plaza.allSatisfy { $0.capacity == UInt32(capacity) },
                "\(plaza.map { "#\($0.instance) \($0.node) \($0.population)/\($0.capacity)" })")

        // A member asks for a chosen instance: refused while it is full, placed once it has room.
        let full = try #require(placed.first { $0.value == capacity && $0.key != "seoul-plaza" }?.key, "a full overflow instance: \(placed)")
        let mover = try #require(clients.first { $0.space != nil && $0.space != full })
        let first = mover.enter(full)
        drive(loop, clients, seconds: 5) { mover.errors.contains { $0.requestID == first } }
        #expect(mover.errors.first { $0.requestID == first }?.code == .spaceFull, "\(mover.errors)")
        let leaver = try #require(clients.first { $0.space == full })
        leaver.leave()
        drive(loop, clients, seconds: 5) { leaver.space == nil }
        drive(loop, clients, seconds: 2.5)
        _ = mover.enter(full)
        drive(loop, clients, seconds: 10) { mover.space == full }
        #expect(mover.space == full)

        // Everyone in the last instance leaves, and two of the first's: it closes (the first has
        // room again), and the map stops listing it.
        let last = placed.keys.max { SpaceInstanceKey(parsing: $0).instance < SpaceInstanceKey(parsing: $1).instance }!
        try #require(last != "seoul-plaza")
        for c in clients where c.space == last { c.leave() }
        for c in clients.filter({ $0.space == "seoul-plaza" }).prefix(2) { c.leave() }
        drive(loop, clients, seconds: 15) { nodes.allSatisfy { !Self.instances($0, "seoul-plaza").contains(last) } }
        #expect(!Self.instances(b, "seoul-plaza").contains(last), "\(last) closed: \(Self.instances(b, "seoul-plaza"))")
        let closed = nodes.map { $0.server.inspect { $0.cluster.overflow.closed } }.reduce(0, +)
        #expect(closed >= 1)
        // The instances opened on the least-loaded nodes, not all on one.
        let opened = nodes.map { $0.server.inspect { $0.cluster.overflow.opened } }
        #expect(opened.reduce(0, +) >= 2, "opened per node: \(opened)")
    }

    /// The instances of `space` live in `running`'s directory, by name.
    static func instances(_ running: RunningServer, _ space: String) -> Set<String> {
        running.server.inspect { server in
            Set((server.cluster.view?.hosts ?? []).filter { $0.live && $0.spaceID == space }.map { SpaceInstanceKey(space: space, instance: $0.instance).description })
        }
    }

    struct Visit { var session: Int64; var account: String?; var space: String; var enteredAt: Int64; var leftAt: Int64; var reason: String? }

    static func visits(_ location: PostgresLocation) throws -> [Visit] {
        let store = try PostgresStore(location: location, access: .readOnly)
        var out: [Visit] = []
        try store.copyOut(chunkRows: 1_000) { shape, rows in
            guard shape.name == "visits" else { return }
            let index = Dictionary(uniqueKeysWithValues: shape.columns.enumerated().map { ($1.name, $0) })
            func int(_ row: [StoreValue], _ c: String) -> Int64 { if case .integer(let v) = row[index[c]!] { return v }; return -1 }
            func text(_ row: [StoreValue], _ c: String) -> String? { if case .text(let v) = row[index[c]!] { return v }; return nil }
            for row in rows {
                out.append(Visit(session: int(row, "session_id"), account: text(row, "account_id"), space: text(row, "space_id") ?? "",
                                 enteredAt: int(row, "entered_at_ms"), leftAt: int(row, "left_at_ms"), reason: text(row, "end_reason")))
            }
        }
        return out.sorted { $0.enteredAt < $1.enteredAt }
    }
}

/// One answer from another thread (an operator's reply from the loop), waited for with a bound.
final class Mailbox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private let arrived = DispatchSemaphore(value: 0)
    private var value: T?

    func put(_ v: T) {
        lock.withLock { value = v }
        arrived.signal()
    }

    func take(seconds: Double) -> T? {
        guard arrived.wait(timeout: .now() + seconds) == .success else { return nil }
        return lock.withLock { value }
    }
}
