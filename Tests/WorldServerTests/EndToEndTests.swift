// The server and its clients over real loopback sockets: the server runs on its own thread
// and loop, the clients on a loop the test steps. Every wait is bounded in time and count.

import Transport
import Foundation
import Logging
import NetProto
import Testing
import WorldClient
import WorldCore
import WorldFiles
@testable import WorldServer

enum Shipped {
    static let worlds = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("worlds")
    static let catalog: WorldCatalog = {
        let result = WorldLoader.load(directory: worlds)
        precondition(result.errors.isEmpty, "\(result.errors)")
        return result.catalog
    }()
    static let secret = [UInt8](repeating: 0x5A, count: 32)
}

/// A server on its own thread, stopped and joined at the end of the test.
final class RunningServer: @unchecked Sendable {
    let server: Server
    let thread: Thread
    let address: SocketAddress

    init(configure: (inout ServerConfiguration) -> Void = { _ in }, replay: ReplaySource? = nil, catalog: WorldCatalog = Shipped.catalog) throws {
        var configuration = ServerConfiguration(tokenSecret: Shipped.secret)
        configuration.port = 0
        configuration.statusEverySeconds = 3_600
        configure(&configuration)
        var logger = Logger(label: "test-server")
        logger.logLevel = .warning
        if let replay {
            server = try Server(configuration: configuration, replay: replay, logger: logger)
        } else {
            server = try Server(configuration: configuration, catalog: catalog, logger: logger)
        }
        address = try SocketAddress(host: "127.0.0.1", port: server.port)
        let s = server
        thread = Thread { s.run() }
        thread.start()
    }

    /// Stops the server and waits (at most 10 s) for its thread to end.
    func stop() {
        server.requestStop()
        let deadline = Date().addingTimeInterval(10)
        while !thread.isFinished && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
    }
}

/// Steps the clients' loop, ticking every client at 20 Hz, until `done()` or `seconds` pass.
func drive(_ loop: UVLoop, _ clients: [WorldClient], seconds: Double, until done: () -> Bool = { false }) {
    let deadline = Monotonic.nanoseconds() + UInt64(seconds * 1e9)
    var nextTick = Monotonic.nanoseconds()
    var rounds = 0
    while !done() && Monotonic.nanoseconds() < deadline && rounds < 10_000_000 {
        loop.runOnce()
        if Monotonic.nanoseconds() >= nextTick {
            for c in clients { c.tick() }
            nextTick += 50_000_000
        }
        rounds += 1
        if rounds % 64 == 0 { usleep(200) }
    }
}

@Suite(.serialized, .timeLimit(.minutes(10))) struct EndToEndTests {
    @Test func fiftyClientsSeeEachOtherWhereTheServerHasThem() throws {
        let running = try RunningServer()
        defer { running.stop() }
        let loop = try UVLoop()
        defer { loop.closeAll() }
        // Five of the fifty cannot use UDP and take their snapshots over TCP.
        let clients = try (0..<50).map { i in
            try WorldClient(loop: loop, server: running.address, credentials: .guest(displayName: "guest-\(i)"),
                            options: WorldClient.Options(tcpOnly: i % 10 == 0))
        }
        drive(loop, clients, seconds: 10) { clients.allSatisfy { $0.welcome != nil && ($0.udpBound || $0.options.tcpOnly) } }
        #expect(clients.allSatisfy { $0.welcome != nil })
        let udpClients = clients.filter { !$0.options.tcpOnly }
        #expect(udpClients.allSatisfy { $0.udpBound })
        for c in clients { c.enter("seoul-plaza") }
        drive(loop, clients, seconds: 10) { clients.allSatisfy { $0.space == "seoul-plaza" } }
        #expect(clients.allSatisfy { $0.space == "seoul-plaza" })
        // Walk for two seconds, each its own way, then stop and let the last snapshots arrive.
        for (i, c) in clients.enumerated() { c.move(.go(heading: UInt16(truncatingIfNeeded: i * 1_311), pace: 1)) }
        drive(loop, clients, seconds: 2)
        for c in clients { c.move(.stop) }
        drive(loop, clients, seconds: 1.5)
        // On a busy machine (the suite runs other servers in parallel) the last snapshots can
        // take longer: wait, a second at a time and at most ten, until every view has caught up
        // with the server's positions; the checks below then say what still differs.
        for _ in 0..<10 {
            let positions: [UInt32: Vec2] = running.server.inspect { server in
                Dictionary(uniqueKeysWithValues: server.world("seoul-plaza")!.avatars.map { (SnapshotFeed.entity($0.id), $0.position) })
            }
            let caughtUp = clients.allSatisfy { c in
                c.view.allSatisfy { e in positions[e.entity].map { abs(EntityState.centimetres(e.x) - $0.x) <= 1 && abs(EntityState.centimetres(e.y) - $0.y) <= 1 } ?? false }
            }
            if caughtUp { break }
            drive(loop, clients, seconds: 1)
        }

        let (truth, serverTick): ([UInt32: World.AvatarState], UInt64) = running.server.inspect { server in
            (Dictionary(uniqueKeysWithValues: server.world("seoul-plaza")!.avatars.map { (SnapshotFeed.entity($0.id), $0) }), server.world("seoul-plaza")!.tick)
        }
        #expect(truth.count == 50)
        let ticksOfViews = Dictionary(uniqueKeysWithValues: clients.compactMap { c in c.me.map { ($0.entity, c.viewTick) } })
        let believed: [UInt32: [EntityState]] = running.server.inspect { server in
            var out: [UInt32: [EntityState]] = [:]
            for session in server.sessions.values {
                if let e = session.avatar, let t = ticksOfViews[SnapshotFeed.entity(e)] { out[SnapshotFeed.entity(e)] = session.realtime.feed?.known(atTick: t) }
            }
            return out
        }
        for c in clients {
            guard let me = c.me else { continue }
            let serverBelief = try #require(believed[me.entity], "the server no longer keeps tick \(c.viewTick)")
            #expect(serverBelief == c.view, "client \(me.entity) at tick \(c.viewTick): \(zip(serverBelief, c.view).filter { $0 != $1 }.count) entries differ from what the server recorded")
        }
        var othersSeen = 0
        for c in clients {
            #expect(c.snapshotsReceived > 20, "client saw only \(c.snapshotsReceived) snapshots")
            let me = try #require(c.me, "a client must see itself")
            #expect(truth[me.entity] != nil)
            for e in c.view {
                let server = try #require(truth[e.entity], "a client sees an avatar the server does not have")
                #expect(abs(EntityState.centimetres(e.x) - server.position.x) <= 1 && abs(EntityState.centimetres(e.y) - server.position.y) <= 1,
                        "seen at (\(EntityState.centimetres(e.x)), \(EntityState.centimetres(e.y))), server has \(server.position) \(server.movement); own: \(e.entity == me.entity), tcpOnly: \(c.options.tcpOnly), view tick \(c.viewTick) of \(serverTick), snapshots \(c.snapshotsReceived)")
                if e.entity != me.entity {
                    othersSeen += 1
                    #expect(c.names[e.entity]?.hasPrefix("guest-") == true, "names arrive for avatars in view")
                }
            }
            // No two avatars a client sees stand closer than the no-contact distance (less the 2 cm step).
            for (i, a) in c.view.enumerated() {
                for b in c.view[(i + 1)...] where a.floor == b.floor {
                    let dx = Int64(a.x) - Int64(b.x), dy = Int64(a.y) - Int64(b.y)
                    #expect(dx * dx + dy * dy >= 59 * 59, "two avatars seen closer than 1.2 m")
                }
            }
        }
        #expect(othersSeen > 50 * 5, "clients should see others: \(othersSeen) sightings")
        #expect(clients.allSatisfy { $0.snapshotsUndecodable == 0 })
        // Round trips are measured at both ends. (No bound on their size here: this machine is
        // shared, and timing belongs in the load benchmark, not in a unit test.)
        #expect(clients.filter { !$0.rttMillis.isEmpty }.count == 50)
        let serverRTTs = running.server.inspect { $0.rttSamples }
        #expect(serverRTTs.count > 1_000)
        for c in clients { c.close() }
        drive(loop, [], seconds: 0.5)
    }

    @Test func guestsAndMembersConnectAndBadTokensAreRefused() throws {
        let running = try RunningServer()
        defer { running.stop() }
        let loop = try UVLoop()
        defer { loop.closeAll() }
        let now = UInt64(Date().timeIntervalSince1970)
        let good = MemberToken(accountID: "citizen-1", displayName: "김서울", roles: [.member], expiresAtUnixSeconds: now + 3_600).signed(secret: Shipped.secret)
        let expired = MemberToken(accountID: "citizen-2", displayName: "old", roles: [.member], expiresAtUnixSeconds: now - 1).signed(secret: Shipped.secret)
        var forged = good
        forged[3] ^= 1
        let guest = try WorldClient(loop: loop, server: running.address, credentials: .guest(displayName: "visitor"))
        let member = try WorldClient(loop: loop, server: running.address, credentials: .member(token: good))
        let late = try WorldClient(loop: loop, server: running.address, credentials: .member(token: expired))
        let forger = try WorldClient(loop: loop, server: running.address, credentials: .member(token: forged))
        let all = [guest, member, late, forger]
        drive(loop, all, seconds: 10) { guest.welcome != nil && member.welcome != nil && late.closed && forger.closed }
        #expect(guest.welcome?.role == 0)
        #expect(member.welcome?.role == 1)
        #expect(member.welcome?.displayName == "김서울")
        #expect(member.welcome?.spaces.contains { $0.id == "seoul-plaza" && $0.kind == 0 } == true)
        #expect(late.errors.first?.code == .tokenExpired)
        #expect(forger.errors.first?.code == .authenticationFailed)
        #expect(late.closed && forger.closed)
        guest.close()
        member.close()
    }

    @Test func aWrongVersionGetsItsErrorCode() throws {
        let running = try RunningServer()
        defer { running.stop() }
        let loop = try UVLoop()
        defer { loop.closeAll() }
        let client = try WorldClient(loop: loop, server: running.address, credentials: .guest(displayName: "old-app"), options: .init(version: WireProtocol.version + 90))
        drive(loop, [client], seconds: 10) { client.closed }
        #expect(client.errors.first?.code == .versionMismatch)
        #expect(client.errors.first?.text.contains("version \(WireProtocol.version)") == true)
        #expect(client.welcome == nil)
    }

    @Test func aClientTravelsThroughTheWorldMap() throws {
        let running = try RunningServer()
        defer { running.stop() }
        let loop = try UVLoop()
        defer { loop.closeAll() }
        let client = try WorldClient(loop: loop, server: running.address, credentials: .guest(displayName: "tourist"))
        drive(loop, [client], seconds: 10) { client.udpBound }
        client.enter("seoul-plaza")
        drive(loop, [client], seconds: 10) { client.space == "seoul-plaza" && client.me != nil }
        client.enter("gwanghwamun-square")
        drive(loop, [client], seconds: 10) { client.space == "gwanghwamun-square" && client.me != nil }
        #expect(client.enteredSpaces == ["seoul-plaza", "gwanghwamun-square"])
        let populations = running.server.inspect { s in (s.world("seoul-plaza")!.population, s.world("gwanghwamun-square")!.population) }
        #expect(populations.0 == 0 && populations.1 == 1)
        client.enter("no-such-place")
        client.enter("counselling-room")
        drive(loop, [client], seconds: 5) { client.errors.count >= 2 }
        #expect(client.errors.map(\.code) == [.unknownSpace, .unknownSpace])
        #expect(client.space == "gwanghwamun-square", "a refused trip leaves the client where it was")
        client.close()
    }

    @Test func spoofedAndUnboundPacketsGetNothingAndChangeNothing() throws {
        let running = try RunningServer()
        defer { running.stop() }
        let loop = try UVLoop()
        defer { loop.closeAll() }
        let client = try WorldClient(loop: loop, server: running.address, credentials: .guest(displayName: "honest"))
        drive(loop, [client], seconds: 10) { client.udpBound }
        client.enter("seoul-plaza")
        drive(loop, [client], seconds: 10) { client.me != nil }
        let session = try #require(client.welcome?.sessionID)
        var replies: [[UInt8]] = []
        let attacker = try UDPSocket(loop: loop, address: SocketAddress(host: "127.0.0.1", port: 0)) { bytes, _ in replies.append(Array(bytes)) }
        let before = running.server.inspect { s in (s.world("seoul-plaza")!.avatars.map(\.position), s.counters.udpDropped) }
        // A bind request for a session that does not exist, an input for the real session from
        // an address it is not bound to, a forged challenge response, and noise.
        attacker.send(Packet.bindRequest(sessionID: session ^ 0xFFFF).encode(), to: running.address)
        let input = InputBody(ackTick: 0, clientTimeMillis: 0, echoServerTimeMillis: 0, holdMillis: 0, sequence: 1_000,
                              commands: [.go(heading: 0, pace: 2)])
        for _ in 0..<20 { attacker.send(Packet.input(sessionID: session, input).encode(), to: running.address) }
        attacker.send(Packet.challengeResponse(sessionID: session, nonce: 1, mac: Array(repeating: 0, count: 16)).encode(), to: running.address)
        attacker.send(Array("GET / HTTP/1.1\r\n\r\n".utf8), to: running.address)
        // Every bad datagram counted (a positive wait), then a moment more for a reply that should never come.
        drive(loop, [client], seconds: 10) { running.server.inspect { $0.counters.udpDropped } >= before.1 + 23 }
        drive(loop, [client], seconds: 0.3)
        let after = running.server.inspect { s in (s.world("seoul-plaza")!.avatars.map(\.position), s.counters.udpDropped) }
        #expect(replies.isEmpty, "the server answered an unauthenticated packet: \(replies.map(\.count))")
        #expect(before.0 == after.0, "a spoofed input moved an avatar")
        #expect(after.1 >= before.1 + 23)
        #expect(client.udpBound && client.snapshotsReceived > 0, "the real client is unaffected")
        attacker.close()
        client.close()
    }

    @Test func shutdownReachesEveryClient() throws {
        let running = try RunningServer()
        let loop = try UVLoop()
        defer { loop.closeAll() }
        let clients = try (0..<10).map { try WorldClient(loop: loop, server: running.address, credentials: .guest(displayName: "c\($0)")) }
        drive(loop, clients, seconds: 10) { clients.allSatisfy { $0.welcome != nil } }
        for c in clients { c.enter("seoul-plaza") }
        drive(loop, clients, seconds: 10) { clients.allSatisfy { $0.space != nil } }
        running.stop()
        drive(loop, clients, seconds: 5) { clients.allSatisfy { $0.closed } }
        #expect(running.thread.isFinished, "the server's loop ended")
        for c in clients {
            #expect(c.shutdownNotice?.contains("stopping") == true)
            #expect(c.closed)
        }
    }
}
