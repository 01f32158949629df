// `seoulworld tax bench --through-server`: Tax Square's calculations through the protocol. A
// server on loopback in this process (its own thread, as `serve` runs it), and clients on
// another loop, each in Tax Square with `window` requests outstanding, cycling through the three
// taxes; it reports answers a second and the request-to-answer latency. The rate limits (per
// connection, and the square's as a whole) are lifted for the measurement, and said so.

import ArgumentParser
import Dispatch
import Foundation
import NetProto
import ServiceFiles
import Services
import Transport
import WorldClient
import WorldServer

struct TaxProtocolBench {
    var tax: String
    var worlds: String?
    var clients: Int
    var window: Int
    var seconds: Double

    func run() throws {
        precondition(clients > 0 && clients <= 2_000 && window > 0 && window <= 64, "1 to 2,000 clients, a window of 1 to 64")
        let catalog = try loadCatalog(worlds)
        var rules = TaxSquare.Rules()
        rules.burst = 1_000_000
        rules.refillMillis = 1
        rules.squareBurst = 1_000_000
        rules.squareRefillMicros = 1
        var configuration = ServerConfiguration(tokenSecret: Array(repeating: 7, count: 32))
        configuration.taxSquare = TaxSquare(tables: try TaxTables.load(directory: tax), faq: try TaxFAQ.load(directory: tax), rules: rules)
        let running = try InProcessServer(configuration, catalog: catalog, label: "tax-bench-server")
        defer { running.stop() }
        let server = running.server
        let loop = try UVLoop()
        defer { loop.closeAll() }
        let address = try SocketAddress(host: "127.0.0.1", port: server.port)
        let fleet = try (0..<clients).map { try WorldClient(loop: loop, server: address, credentials: .guest(displayName: "bench-\($0)"), options: .init(tcpOnly: true)) }
        func spin(_ limit: Double, until done: () -> Bool) {
            let end = Monotonic.nanoseconds() + UInt64(limit * 1e9)
            while !done() && Monotonic.nanoseconds() < end { loop.runOnce() }
        }
        spin(15) { fleet.allSatisfy { $0.welcome != nil } }
        for c in fleet { c.enter("tax-square") }
        spin(15) { fleet.allSatisfy { $0.space == "tax-square" } }
        guard fleet.allSatisfy({ $0.space == "tax-square" }) else {
            printError("seoulworld tax bench: not every client reached Tax Square within 15 s")
            throw ExitCode(1)
        }
        let requests: [(UInt8, [(String, String)])] = [
            (0, [("cc", "1998"), ("first-registered", "2019-03"), ("date", "2025-06-01")]),
            (1, [("official-price", "654321000"), ("single-home", "yes"), ("date", "2025-06-01")]),
            (2, [("price", "765432100"), ("area-m2", "101.5"), ("homes-after", "1"), ("adjustment-area", "no"), ("date", "2025-06-01")]),
        ]
        var sentAt: [[UInt32: UInt64]] = Array(repeating: [:], count: clients)
        var latencies: [UInt64] = []
        latencies.reserveCapacity(1_000_000)
        var answered = 0, next = 0
        var measuring = false
        for (i, c) in fleet.enumerated() {
            c.onTaxAnswer = { request in
                guard let t = sentAt[i].removeValue(forKey: request) else { return }
                if measuring {
                    answered += 1
                    if latencies.count < 1_000_000 { latencies.append(Monotonic.nanoseconds() - t) }
                }
            }
        }
        func topUp() {
            for (i, c) in fleet.enumerated() {
                while sentAt[i].count < window {
                    let (taxKind, fields) = requests[next % requests.count]
                    next += 1
                    sentAt[i][c.taxCalculate(taxKind, fields)] = Monotonic.nanoseconds()
                }
            }
        }
        // A second to warm up, then the measurement.
        let warm = Monotonic.nanoseconds() + 1_000_000_000
        while Monotonic.nanoseconds() < warm { topUp(); loop.runOnce() }
        measuring = true
        let start = Monotonic.nanoseconds(), end = start + UInt64(seconds * 1e9)
        while Monotonic.nanoseconds() < end { topUp(); loop.runOnce() }
        let elapsed = Double(Monotonic.nanoseconds() - start) / 1e9
        measuring = false
        let refused = fleet.reduce(0) { $0 + $1.errors.count }
        latencies.sort()
        func quantile(_ q: Double) -> Double { latencies.isEmpty ? 0 : Double(latencies[min(latencies.count - 1, Int(Double(latencies.count) * q))]) / 1e6 }
        print(String(format: "through the protocol: %d clients (guests on loopback, TCP only), %d outstanding each, %.1f s: %.0f calculations answered a second; latency p50 %.2f ms, p99 %.2f ms, max %.2f ms; %d errors (rate limits lifted for the measurement)",
                     clients, window, elapsed, Double(answered) / elapsed, quantile(0.5), quantile(0.99), quantile(1), refused))
    }
}
