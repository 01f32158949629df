// `seoulworld hostile`: what a public server's address receives from people who are not
// playing, aimed at a server of your own on loopback (docs/RELIABILITY.md has the runs).
//
//   udp-flood   datagrams for sessions that do not exist, from many loopback addresses:
//               bind requests, forged challenge answers, inputs. The server must create
//               nothing, answer nothing (no amplification) and drop and count every one.
//   slow-tcp    thousands of TCP connections that send nothing, or the hello one byte a
//               second: each must be closed by the handshake deadline, while real clients
//               connect and play without a failure.
//
// With `--admin`, the server's /metrics is read before and after (clients, drops by reason,
// resident memory). Loopback only, bounded in count and time.

import ArgumentParser
import Transport
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import NetProto
import WorldClient

struct HostileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hostile",
        abstract: "Send a server of your own what attackers send (loopback only): a spoofed UDP flood, or slow and idle TCP connections.",
        subcommands: [UDPFlood.self, SlowTCP.self])
}

/// The server's address, refused unless on loopback.
func loopbackServer(_ text: String) throws -> (String, UInt16) {
    guard let (host, port) = BotsCommand.parse(text), host.hasPrefix("127.") else {
        throw ValidationError("--server must be a loopback HOST:PORT such as 127.0.0.1:7777 (hostile runs are for your own server); got '\(text)'")
    }
    return (host, port)
}

/// The kernel's count of UDP datagrams dropped because a socket's receive buffer was full
/// (machine-wide, /proc/net/snmp's RcvbufErrors): what never reached the server to be counted.
func kernelUDPReceiveBufferErrors() -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/net/snmp", encoding: .utf8) else { return nil }
    let lines = text.split(separator: "\n").filter { $0.hasPrefix("Udp: ") }
    guard lines.count == 2 else { return nil }
    let names = lines[0].split(separator: " "), values = lines[1].split(separator: " ")
    guard let i = names.firstIndex(of: "RcvbufErrors"), i < values.count else { return nil }
    return Int(values[i])
}

/// A few figures from the server's /metrics (nil without --admin or when unreachable).
struct ServerReading {
    var clients = 0.0
    var residentMegabytes = 0.0
    var udpDropped: [String: Double] = [:]
    var connectionsAccepted = 0.0
    var connectionsClosed = 0.0

    static func read(_ admin: String?) -> ServerReading? {
        guard let admin, let url = URL(string: admin + "/metrics") else { return nil }
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var text: String?
        URLSession.shared.dataTask(with: url) { data, _, _ in
            text = data.map { String(decoding: $0, as: UTF8.self) }
            done.signal()
        }.resume()
        guard done.wait(timeout: .now() + 10) == .success, let text else { return nil }
        var r = ServerReading()
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            let name = line[..<space]
            if name.hasPrefix("seoulworld_clients{") { r.clients += value }
            if name == "process_resident_memory_bytes" { r.residentMegabytes = value / 1_048_576 }
            if name.hasPrefix("seoulworld_udp_dropped_datagrams_total{reason=\""),
               let reason = name.split(separator: "\"").dropFirst().first { r.udpDropped[String(reason)] = value }
            if name == "seoulworld_connections_accepted_total" { r.connectionsAccepted = value }
            if name == "seoulworld_connections_closed_total" { r.connectionsClosed = value }
        }
        return r
    }
}

extension HostileCommand {
    struct UDPFlood: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "udp-flood", abstract: "Datagrams for made-up sessions from many loopback addresses.")

        @Option(help: "The server's HOST:PORT (loopback).") var server = "127.0.0.1:7777"
        @Option(help: "The server's admin side, to read /metrics before and after (such as http://127.0.0.1:7780).") var admin: String?
        @Option(help: "How many datagrams (1 to 10000000).") var packets = 100_000
        @Option(help: "How many source addresses (127.0.x.y), 1 to 1000.") var addresses = 64
        @Option(help: "Datagrams a second, at most.") var rate = 20_000.0

        func validate() throws {
            _ = try loopbackServer(server)
            guard (1...10_000_000).contains(packets) else { throw ValidationError("--packets must be 1 to 10000000") }
            guard (1...1_000).contains(addresses) else { throw ValidationError("--addresses must be 1 to 1000") }
            guard rate > 0 && rate <= 1_000_000 else { throw ValidationError("--rate must be above 0 and at most 1000000") }
        }

        func run() throws {
            let (host, port) = try loopbackServer(server)
            var target = sockaddr_in()
            target.sin_family = sa_family_t(AF_INET)
            target.sin_port = port.bigEndian
            inet_pton(AF_INET, host, &target.sin_addr)
            var sockets: [Int32] = []
            defer { for s in sockets { close(s) } }
            for i in 0..<addresses {
                let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
                guard fd >= 0 else { throw ValidationError("cannot open a UDP socket: errno \(errno)") }
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                var local = sockaddr_in()
                local.sin_family = sa_family_t(AF_INET)
                inet_pton(AF_INET, "127.0.\(1 + i / 250).\(1 + i % 250)", &local.sin_addr)
                let bound = withUnsafePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
                guard bound == 0 else { throw ValidationError("cannot bind 127.0.\(1 + i / 250).\(1 + i % 250): errno \(errno)") }
                sockets.append(fd)
            }
            let before = ServerReading.read(admin)
            let kernelBefore = kernelUDPReceiveBufferErrors()
            var generator = SystemRandomNumberGenerator()
            var sentBytes = 0, sentPackets = 0, failed = 0, repliesBytes = 0, replies = 0
            var buffer = [UInt8](repeating: 0, count: 2_048)
            func drain() {
                for fd in sockets {
                    while true {
                        let n = recv(fd, &buffer, buffer.count, 0)
                        if n <= 0 { break }
                        replies += 1
                        repliesBytes += n
                    }
                }
            }
            let started = Monotonic.nanoseconds()
            for i in 0..<packets {
                let session = UInt64.random(in: 1...UInt64.max, using: &generator)
                let bytes: [UInt8]
                switch i % 3 {
                case 0: bytes = Packet.bindRequest(sessionID: session).encode()
                case 1: bytes = Packet.challengeResponse(sessionID: session, nonce: generator.next(), mac: (0..<WireProtocol.macBytes).map { _ in UInt8.random(in: 0...255, using: &generator) }).encode()
                default:
                    bytes = Packet.input(sessionID: session, InputBody(ackTick: 0, clientTimeMillis: 0, echoServerTimeMillis: 0, holdMillis: 0, sequence: UInt32(i),
                                                                       commands: [.go(heading: UInt16(truncatingIfNeeded: i), pace: 2)])).encode()
                }
                let fd = sockets[i % sockets.count]
                let n = withUnsafePointer(to: &target) { p in
                    p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
                if n == bytes.count { sentBytes += n; sentPackets += 1 } else { failed += 1 }
                // Pace to the rate, draining answers as we go.
                if i % 1_000 == 999 {
                    drain()
                    let due = UInt64(Double(i + 1) / rate * 1e9)
                    let elapsed = Monotonic.nanoseconds() - started
                    if due > elapsed { usleep(UInt32(min(1_000_000, (due - elapsed) / 1_000))) }
                }
            }
            let seconds = Double(Monotonic.nanoseconds() - started) / 1e9
            usleep(1_000_000)
            drain()
            let after = ServerReading.read(admin)
            var kernelDrops: Int?
            if let b = kernelBefore, let a = kernelUDPReceiveBufferErrors() { kernelDrops = a - b }
            print("udp-flood: \(sentPackets) datagrams (\(sentBytes) bytes) from \(addresses) addresses in \(String(format: "%.1f", seconds)) s (\(Int(Double(sentPackets) / seconds))/s); \(failed) not sent by this kernel")
            print("answers:   \(replies) datagrams, \(repliesBytes) bytes (amplification \(String(format: "%.4f", Double(repliesBytes) / Double(max(1, sentBytes)))))")
            if let before, let after {
                let drops = after.udpDropped.keys.sorted().map { "\($0) +\(Int(after.udpDropped[$0]! - (before.udpDropped[$0] ?? 0)))" }.joined(separator: ", ")
                let counted = Int(after.udpDropped.values.reduce(0, +) - before.udpDropped.values.reduce(0, +))
                print("server:    clients \(Int(before.clients)) -> \(Int(after.clients)); dropped and counted \(counted) (\(drops)); "
                      + "dropped by the kernel before the server read them (receive buffer full, machine-wide): \(kernelDrops.map(String.init) ?? "unknown")")
                print("           resident \(String(format: "%.1f", before.residentMegabytes)) -> \(String(format: "%.1f", after.residentMegabytes)) MB")
                if after.clients != before.clients { throw ExitCode(1) }
            }
            if repliesBytes > 0 { throw ExitCode(1) }
        }
    }

    struct SlowTCP: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "slow-tcp", abstract: "Connections that send nothing, or the hello a byte a second, or never read, while real clients play.")

        enum Mode: String, ExpressibleByArgument, CaseIterable { case idle, trickle, noRead = "no-read" }

        @Option(help: "The server's HOST:PORT (loopback).") var server = "127.0.0.1:7777"
        @Option(help: "The server's admin side, to read /metrics before, during and after.") var admin: String?
        @Option(help: "How many slow connections (1 to 10000).") var connections = 2_000
        @Option(help: "idle: send nothing; trickle: the hello, one byte a second; no-read: sign in as a guest, enter the plaza with snapshots over TCP, and never read them (a 4 KiB receive buffer).") var mode = Mode.idle
        @Option(help: "How long to keep trying, seconds (1 to 600).") var seconds = 30.0
        @Option(help: "Real clients that connect and play meanwhile (0 to 500).") var players = 20

        func validate() throws {
            _ = try loopbackServer(server)
            guard (1...10_000).contains(connections) else { throw ValidationError("--connections must be 1 to 10000") }
            if mode == .noRead && admin == nil {
                throw ValidationError("--mode no-read needs --admin: a connection that never reads cannot see the server close it, so the server's own count is read")
            }
            guard (1...600).contains(seconds) else { throw ValidationError("--seconds must be 1 to 600") }
            guard (0...500).contains(players) else { throw ValidationError("--players must be 0 to 500") }
        }

        func run() throws {
            let (host, port) = try loopbackServer(server)
            var target = sockaddr_in()
            target.sin_family = sa_family_t(AF_INET)
            target.sin_port = port.bigEndian
            inet_pton(AF_INET, host, &target.sin_addr)
            let before = ServerReading.read(admin)
            let hello = Framing.frame(ClientMessage.hello(protocolID: WireProtocol.id, version: WireProtocol.version).encode())
            struct Slow { var fd: Int32; var openedAt: UInt64; var closedAt: UInt64?; var sent = 0 }
            var slow: [Slow] = []
            defer { for s in slow where s.closedAt == nil { close(s.fd) } }
            var refused = 0
            var firstRefusal: String?
            for _ in 0..<connections {
                let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                guard fd >= 0 else { refused += 1; continue }
                if mode == .noRead {
                    var small: Int32 = 4_096
                    _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
                }
                let ok = withUnsafePointer(to: &target) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
                guard ok == 0 else {
                    if firstRefusal == nil { firstRefusal = String(cString: strerror(errno)) }
                    close(fd)
                    refused += 1
                    continue
                }
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                if mode == .noRead {
                    // Everything at once; the server reads the messages in order. Then silence.
                    let messages: [ClientMessage] = [.hello(protocolID: WireProtocol.id, version: WireProtocol.version),
                                                     .authenticateGuest(displayName: "no-reader"), .snapshotsOverTCP(true),
                                                     .enterSpace(requestID: 1, spaceID: "seoul-plaza")]
                    let bytes = messages.flatMap { Framing.frame($0.encode()) }
                    _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                }
                slow.append(Slow(fd: fd, openedAt: Monotonic.nanoseconds()))
            }
            // The real players, on a libuv loop stepped between rounds.
            let loop = try UVLoop()
            let address = try SocketAddress(host: host, port: port)
            let clients = try (0..<players).map { try WorldClient(loop: loop, server: address, credentials: .guest(displayName: "player-\($0)")) }
            var entered = Set<Int>()
            let started = Monotonic.nanoseconds()
            var lastByte = started, lastTick = started, lastReading = started
            var noReadClosed = 0, noReadLastClosedAt = started
            // With every slow connection open: the server's memory at the worst.
            let during = ServerReading.read(admin)
            var buffer = [UInt8](repeating: 0, count: 4_096)
            while Double(Monotonic.nanoseconds() - started) / 1e9 < seconds {
                loop.runOnce(wait: false)
                let now = Monotonic.nanoseconds()
                if now - lastTick >= 50_000_000 {
                    lastTick = now
                    for (i, c) in clients.enumerated() {
                        c.tick()
                        if c.welcome != nil && c.space == nil && !entered.contains(i) { c.enter("seoul-plaza"); entered.insert(i) }
                    }
                }
                if mode == .trickle && now - lastByte >= 1_000_000_000 {
                    lastByte = now
                    for i in slow.indices where slow[i].closedAt == nil && slow[i].sent < hello.count {
                        if send(slow[i].fd, [hello[slow[i].sent]], 1, Int32(MSG_NOSIGNAL)) == 1 { slow[i].sent += 1 }
                    }
                }
                // Which did the server close? A read of 0 (or a reset) says so. A connection that
                // never reads cannot tell: the server's FIN waits behind the snapshots it never
                // took. For those the server's own count of closed connections says it, read
                // from /metrics once a second.
                if mode == .noRead && now - lastReading >= 1_000_000_000 {
                    lastReading = now
                    if let reading = ServerReading.read(admin), let before {
                        let closedNow = Int(reading.connectionsClosed - before.connectionsClosed)
                        if closedNow > noReadClosed {
                            noReadClosed = closedNow
                            noReadLastClosedAt = now
                        }
                    }
                    if noReadClosed >= slow.count && Double(now - started) / 1e9 > 10 { break }
                }
                for i in slow.indices where mode != .noRead && slow[i].closedAt == nil {
                    let n = recv(slow[i].fd, &buffer, buffer.count, 0)
                    if n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
                        slow[i].closedAt = now
                        close(slow[i].fd)
                    }
                }
                if slow.allSatisfy({ $0.closedAt != nil }) && Double(now - started) / 1e9 > 10 { break }
                usleep(5_000)
            }
            let closed = slow.compactMap { s in s.closedAt.map { Double($0 - s.openedAt) / 1e9 } }.sorted()
            let playing = clients.filter { $0.space == "seoul-plaza" && !$0.closed && $0.snapshotsReceived > 0 }.count
            let failures = clients.filter { $0.closed || $0.space == nil }.map { $0.closeReason ?? $0.errors.first.map { "\($0.code)" } ?? "never entered" }
            for c in clients { c.close() }
            loop.runOnce(wait: false)
            loop.closeAll()
            usleep(500_000)
            let after = ServerReading.read(admin)
            func p(_ q: Double) -> String { closed.isEmpty ? "-" : String(format: "%.1f s", closed[min(closed.count - 1, Int(q * Double(closed.count)))]) }
            if mode == .noRead {
                print("slow-tcp (no-read): \(slow.count) connections entered the plaza with snapshots over TCP and never read (\(refused) refused by this machine\(firstRefusal.map { ": \($0)" } ?? "")); "
                      + "closed by the server (its count) \(noReadClosed), the last after \(String(format: "%.1f", Double(noReadLastClosedAt - started) / 1e9)) s")
                print("players:   \(players) real clients, \(playing) in the plaza and receiving snapshots at the end\(failures.isEmpty ? "" : "; failures: \(failures)")")
                if let before, let during, let after {
                    print("server:    resident \(String(format: "%.1f", before.residentMegabytes)) MB before, \(String(format: "%.1f", during.residentMegabytes)) MB with them all open, \(String(format: "%.1f", after.residentMegabytes)) MB after")
                }
                if noReadClosed < slow.count || playing < players { throw ExitCode(1) }
                return
            }
            print("slow-tcp (\(mode.rawValue)): \(slow.count) connections opened (\(refused) refused by this machine\(firstRefusal.map { ": \($0)" } ?? "")); closed by the server \(closed.count), "
                  + "after p50 \(p(0.5)), max \(p(1)); still open after \(String(format: "%.0f", Double(Monotonic.nanoseconds() - started) / 1e9)) s: \(slow.count - closed.count)")
            print("players:   \(players) real clients, \(playing) in the plaza and receiving snapshots at the end\(failures.isEmpty ? "" : "; failures: \(failures)")")
            if let before, let during, let after {
                print("server:    resident \(String(format: "%.1f", before.residentMegabytes)) MB before, \(String(format: "%.1f", during.residentMegabytes)) MB with them all open, \(String(format: "%.1f", after.residentMegabytes)) MB after; "
                      + "connections accepted +\(Int(after.connectionsAccepted - before.connectionsAccepted)), closed +\(Int(after.connectionsClosed - before.connectionsClosed))")
            }
            if closed.count < slow.count || playing < players { throw ExitCode(1) }
        }
    }
}
