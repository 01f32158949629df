// What people who are not playing send a public server, in bounded doses (the full-size runs
// are `seoulworld hostile`, docs/RELIABILITY.md): a UDP flood for made-up sessions, and TCP
// connections that never finish their hello, while a real client plays.

import Transport
import Foundation
import NetProto
import Testing
@testable import WorldClient
@testable import WorldServer
import WorldCore

@Suite(.serialized, .timeLimit(.minutes(10))) struct HostileClientTests {
    @Test func aFloodForMadeUpSessionsCreatesNothingAndIsAnsweredWithNothing() throws {
        let running = try RunningServer()
        defer { running.stop() }
        let loop = try UVLoop()
        defer { loop.closeAll() }
        let player = try WorldClient(loop: loop, server: running.address, credentials: .guest(displayName: "honest"))
        drive(loop, [player], seconds: 10) { player.udpBound }
        player.enter("seoul-plaza")
        drive(loop, [player], seconds: 10) { player.me != nil }
        var answered = 0
        let attackers = try (0..<8).map { i in
            try UDPSocket(loop: loop, address: SocketAddress(host: "127.0.0.\(i + 2)", port: 0)) { _, _ in answered += 1 }
        }
        let before = running.server.inspect { s in (s.sessions.count, s.counters.udpDropped, s.figures.udpDroppedByReason) }
        var random = SystemRandomNumberGenerator()
        let sent = 3_000
        for i in 0..<sent {
            let session = UInt64.random(in: 1...UInt64.max, using: &random)
            let packet: Packet
            switch i % 3 {
            case 0: packet = .bindRequest(sessionID: session)
            case 1: packet = .challengeResponse(sessionID: session, nonce: random.next(), mac: Array(repeating: UInt8(i & 0xFF), count: WireProtocol.macBytes))
            default: packet = .input(sessionID: session, InputBody(ackTick: 0, clientTimeMillis: 0, echoServerTimeMillis: 0, holdMillis: 0, sequence: 1, commands: [.go(heading: 0, pace: 2)]))
            }
            attackers[i % attackers.count].send(packet.encode(), to: running.address)
            // 25 at a time, each batch counted before the next is sent: the socket's receive
            // buffer never overflows, so every datagram reaches the server to be counted
            // (`seoulworld hostile udp-flood` floods at full rate and counts the kernel's drops).
            if i % 25 == 24 {
                drive(loop, [player], seconds: 5) { running.server.inspect { $0.counters.udpDropped } >= before.1 + i + 1 }
            }
        }
        drive(loop, [player], seconds: 10) {
            running.server.inspect { $0.counters.udpDropped } >= before.1 + sent
        }
        let after = running.server.inspect { s in (s.sessions.count, s.counters.udpDropped, s.figures.udpDroppedByReason) }
        #expect(after.0 == before.0, "no session was created")
        #expect(after.1 - before.1 == sent, "every datagram dropped and counted")
        #expect(after.2[UDPDropReason.unknownSession.rawValue] - before.2[UDPDropReason.unknownSession.rawValue] == 2 * sent / 3)
        #expect(after.2[UDPDropReason.notBound.rawValue] - before.2[UDPDropReason.notBound.rawValue] == sent / 3)
        #expect(answered == 0, "nothing was sent back to a forged address")
        #expect(!player.closed && player.udpBound && player.snapshotsReceived > 0)
        for a in attackers { a.close() }
        player.close()
    }

    @Test func connectionsThatNeverFinishTheirHelloAreClosedByTheDeadline() throws {
        let running = try RunningServer { $0.connectionLimits = .init(handshakeMillis: 1_000, idleMillis: 30_000) }
        defer { running.stop() }
        var target = sockaddr_in()
        target.sin_family = sa_family_t(AF_INET)
        target.sin_port = running.server.port.bigEndian
        inet_pton(AF_INET, "127.0.0.1", &target.sin_addr)
        // 200 that send nothing, and 100 that send the first byte of a hello and no more.
        var fds: [Int32] = []
        defer { for fd in fds { close(fd) } }
        let hello = Framing.frame(ClientMessage.hello(protocolID: WireProtocol.id, version: WireProtocol.version).encode())
        for i in 0..<300 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            try #require(fd >= 0)
            let ok = withUnsafePointer(to: &target) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            try #require(ok == 0)
            if i >= 200 { _ = send(fd, hello, 1, Int32(MSG_NOSIGNAL)) }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            fds.append(fd)
        }
        let loop = try UVLoop()
        defer { loop.closeAll() }
        let player = try WorldClient(loop: loop, server: running.address, credentials: .guest(displayName: "honest"))
        var closedBy: [Int32: Bool] = [:]
        var buffer = [UInt8](repeating: 0, count: 1_024)
        var asked = false
        drive(loop, [player], seconds: 10) {
            for fd in fds where closedBy[fd] == nil {
                let n = recv(fd, &buffer, buffer.count, 0)
                if n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) { closedBy[fd] = true }
            }
            if player.welcome != nil && !asked {
                asked = true
                player.enter("seoul-plaza")
            }
            return closedBy.count == fds.count && player.snapshotsReceived > 20
        }
        #expect(closedBy.count == 300, "every slow connection was closed by the server: \(closedBy.count)")
        #expect(player.space == "seoul-plaza" && !player.closed, "the real client got in and stayed: \(player.closeReason ?? "")")
        let sessions = running.server.inspect { $0.sessions.count }
        #expect(sessions == 1, "only the real client remains")
        player.close()
    }
}

/// A modified client: it sends what the real client never would, from its own bound UDP
/// address (so the server takes the datagrams as its own).
@Suite(.serialized, .timeLimit(.minutes(10))) struct CheatingClientTests {
    static func position(_ running: RunningServer, _ entity: UInt32) -> Vec2? {
        running.server.inspect { s in s.world("seoul-plaza")!.avatars.first { SnapshotFeed.entity($0.id) == entity }?.position }
    }

    @Test func floodsOfRunInputsMoveNoFasterThanARun() throws {
        let running = try RunningServer()
        defer { running.stop() }
        let loop = try UVLoop()
        defer { loop.closeAll() }
        let cheat = try WorldClient(loop: loop, server: running.address, credentials: .guest(displayName: "cheat"))
        drive(loop, [cheat], seconds: 10) { cheat.udpBound }
        cheat.enter("seoul-plaza")
        drive(loop, [cheat], seconds: 10) { cheat.me != nil }
        let entity = try #require(cheat.entity)
        let session = try #require(cheat.welcome?.sessionID)
        let start = try #require(Self.position(running, entity))
        let runSpeed = Double(Shipped.catalog.space("seoul-plaza")!.definition.runSpeedCentimetresPerSecond)
        let began = Monotonic.nanoseconds()
        var sequence: UInt32 = 1
        // Forty inputs a tick (the real client sends one), each a fresh run command, for 2 s.
        var deadline = Monotonic.nanoseconds() + 2_000_000_000
        while Monotonic.nanoseconds() < deadline {
            for _ in 0..<40 {
                sequence += 1
                let input = InputBody(ackTick: 0, clientTimeMillis: 0, echoServerTimeMillis: 0, holdMillis: 0, sequence: sequence,
                                      commands: [.go(heading: UInt16(sequence & 1) * 100, pace: 2)])
                cheat.udp!.send(Packet.input(sessionID: session, input).encode(), to: running.address)
            }
            drive(loop, [], seconds: 0.05)
        }
        let seconds = Double(Monotonic.nanoseconds() - began) / 1e9
        let end = try #require(Self.position(running, entity))
        let moved = Double(start.distanceSquared(to: end)).squareRoot()
        #expect(moved <= runSpeed * (seconds + 0.2), "moved \(moved) cm in \(seconds) s; a run is \(runSpeed) cm/s")
        #expect(moved > 0, "the inputs were applied (the cheat is bound and in the plaza)")

        // A pace the protocol does not have (a byte patched to 9): dropped and counted.
        var forged = Packet.input(sessionID: session, InputBody(ackTick: 0, clientTimeMillis: 0, echoServerTimeMillis: 0, holdMillis: 0,
                                                                sequence: sequence + 1, commands: [.go(heading: 0, pace: 2)])).encode()
        let paceAt = try #require(forged.lastIndex(of: 2))
        forged[paceAt] = 9
        let dropped = running.server.inspect { $0.figures.udpDroppedByReason[UDPDropReason.malformed.rawValue] }
        cheat.udp!.send(forged, to: running.address)
        deadline = Monotonic.nanoseconds() + 2_000_000_000
        while Monotonic.nanoseconds() < deadline && running.server.inspect({ $0.figures.udpDroppedByReason[UDPDropReason.malformed.rawValue] }) == dropped {
            drive(loop, [], seconds: 0.02)
        }
        #expect(running.server.inspect { $0.figures.udpDroppedByReason[UDPDropReason.malformed.rawValue] } == dropped + 1)
        cheat.close()
    }

    @Test func inputsForAnotherSessionsAvatarMoveNothing() throws {
        // A citizen stands still; a cheat who learned the citizen's session id sends run
        // inputs for it from its own address. The session is bound to the citizen's address:
        // every one is dropped and counted, and the citizen's avatar stays where it stood.
        let running = try RunningServer()
        defer { running.stop() }
        let loop = try UVLoop()
        defer { loop.closeAll() }
        let citizen = try WorldClient(loop: loop, server: running.address, credentials: .guest(displayName: "citizen"))
        drive(loop, [citizen], seconds: 10) { citizen.udpBound }
        citizen.enter("seoul-plaza")
        drive(loop, [citizen], seconds: 10) { citizen.me != nil }
        let entity = try #require(citizen.entity)
        let session = try #require(citizen.welcome?.sessionID)
        let start = try #require(Self.position(running, entity))
        let cheat = try UDPSocket(loop: loop, address: SocketAddress(host: "127.0.0.1", port: 0)) { _, _ in }
        let before = running.server.inspect { $0.figures.udpDroppedByReason[UDPDropReason.notBound.rawValue] }
        let sent = 200
        for i in 0..<sent {
            let input = InputBody(ackTick: 0, clientTimeMillis: 0, echoServerTimeMillis: 0, holdMillis: 0, sequence: UInt32(1_000 + i),
                                  commands: [.go(heading: 0, pace: 2)])
            cheat.send(Packet.input(sessionID: session, input).encode(), to: running.address)
            if i % 20 == 19 { drive(loop, [citizen], seconds: 0.05) }
        }
        drive(loop, [citizen], seconds: 5) {
            running.server.inspect { $0.figures.udpDroppedByReason[UDPDropReason.notBound.rawValue] } >= before + sent
        }
        drive(loop, [citizen], seconds: 0.5)
        #expect(running.server.inspect { $0.figures.udpDroppedByReason[UDPDropReason.notBound.rawValue] } - before == sent)
        #expect(Self.position(running, entity) == start, "the citizen's avatar did not move")
        #expect(!citizen.closed && citizen.udpBound)
        cheat.close()
        citizen.close()
    }

    @Test func walkingToAPointInsideABuildingStopsAtItsWall() throws {
        let running = try RunningServer()
        defer { running.stop() }
        let loop = try UVLoop()
        defer { loop.closeAll() }
        let cheat = try WorldClient(loop: loop, server: running.address, credentials: .guest(displayName: "wall-walker"))
        drive(loop, [cheat], seconds: 10) { cheat.udpBound }
        cheat.enter("seoul-plaza")
        drive(loop, [cheat], seconds: 10) { cheat.me != nil }
        let entity = try #require(cheat.entity)
        let library = try #require(Shipped.catalog.space("seoul-plaza")!.obstacles.first { $0.id == "seoul-library" })
        guard case .rect(let walls) = library.obstacle.shape else { Issue.record("the library is a rectangle in the world file"); return }
        let inside = Vec2((walls.minX + walls.maxX) / 2, (walls.minY + walls.maxY) / 2)
        let start = try #require(Self.position(running, entity))
        cheat.move(.walkTo(x: inside.x, y: inside.y, pace: 2))
        for _ in 0..<60 {
            drive(loop, [cheat], seconds: 0.1)
            let p = try #require(Self.position(running, entity))
            #expect(!walls.contains(p), "the avatar stood inside the library at \(p)")
        }
        let end = try #require(Self.position(running, entity))
        #expect(end.distanceSquared(to: inside) < start.distanceSquared(to: inside), "it walked towards the target")
        #expect(!walls.contains(end))
    }
}
