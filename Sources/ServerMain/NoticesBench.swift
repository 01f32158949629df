// `seoulworld notices bench`: an operator's city-wide notice to many members spread over
// several spaces, timed from the command (the call the admin API makes) to the push's arrival
// at the last client. A server on loopback in this process with a store in a folder of its own
// (the notice is kept before it is shown, as in service), members signed in with tokens of this
// run's secret, TCP only, on another loop; each round posts a notice, waits for every client to
// have it, then withdraws it.

import ArgumentParser
import Foundation
import NetProto
import Services
import Transport
import WorldClient
import WorldServer

struct NoticesBench {
    var worlds: String?
    var clients: Int
    var rounds: Int
    var spaces: [String]

    func run() throws {
        precondition((1...2_000).contains(clients) && (1...200).contains(rounds) && !spaces.isEmpty)
        let catalog = try loadCatalog(worlds)
        for s in spaces where catalog.space(s) == nil {
            throw ValidationError("--space \(s): no such public space in the world files")
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("seoulworld-notices-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let secret = (0..<32).map { _ in UInt8.random(in: 0...255) }
        var configuration = ServerConfiguration(tokenSecret: secret)
        configuration.store = StoreSettings(path: folder + "/records.sqlite")
        let running = try InProcessServer(configuration, catalog: catalog, label: "notices-bench-server")
        defer { running.stop() }
        let server = running.server
        let loop = try UVLoop()
        defer { loop.closeAll() }
        let address = try SocketAddress(host: "127.0.0.1", port: server.port)
        let expires = UInt64(Date().timeIntervalSince1970) + 3_600
        let fleet = try (0..<clients).map { i in
            let token = MemberToken(accountID: "bench-\(i)", displayName: "bench \(i)", roles: [.member], expiresAtUnixSeconds: expires).signed(secret: secret)
            return try WorldClient(loop: loop, server: address, credentials: .member(token: token), options: .init(tcpOnly: true))
        }
        func spin(_ limit: Double, until done: () -> Bool) -> Bool {
            let end = Monotonic.nanoseconds() + UInt64(limit * 1e9)
            while !done() && Monotonic.nanoseconds() < end { loop.runOnce() }
            return done()
        }
        guard spin(30, until: { fleet.allSatisfy { $0.welcome != nil } }) else {
            printError("seoulworld notices bench: not every client was welcomed within 30 s")
            throw ExitCode(1)
        }
        for (i, c) in fleet.enumerated() { c.enter(spaces[i % spaces.count]) }
        guard spin(30, until: { fleet.allSatisfy { $0.space != nil } }) else {
            printError("seoulworld notices bench: not every client entered its space within 30 s")
            throw ExitCode(1)
        }

        var lastArrivals: [Double] = [], allArrivals: [Double] = []
        for round in 0..<rounds {
            let now = Int64((Date().timeIntervalSince1970 * 1_000).rounded())
            let draft = NoticeDraft(title: NoticeText(ko: "측정 \(round)", en: "Measurement \(round)"), body: NoticeText(ko: nil, en: "A notice to everyone."),
                                    category: .serviceUpdate, startsAtMillis: now, endsAtMillis: now + 3_600_000, target: .city, pinned: false)
            let before = fleet.map(\.noticesShown.count)
            let answer = ReplyBox()
            let sent = Monotonic.nanoseconds()
            server.performNotice(.post(draft), actor: "operator:bench") { answer.set($0) }
            guard spin(30, until: { zip(fleet, before).allSatisfy { $0.noticesShown.count > $1 } }), let id = answer.value?.id else {
                printError("seoulworld notices bench: round \(round): not every client had the notice within 30 s (answer: \(answer.value?.message ?? "none"))")
                throw ExitCode(1)
            }
            let arrivals = fleet.map { Double($0.noticesShown.last!.atNanos - sent) / 1e6 }
            lastArrivals.append(arrivals.max()!)
            allArrivals += arrivals
            let withdrawn = ReplyBox()
            server.performNotice(.withdraw(id: id), actor: "operator:bench") { withdrawn.set($0) }
            _ = spin(10) { withdrawn.value != nil }
        }
        func quantile(_ values: [Double], _ q: Double) -> Double {
            let sorted = values.sorted()
            return sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))]
        }
        print(String(format: "seoulworld notices bench: %d members (TCP, loopback) in %d spaces, %d city-wide notices, each kept in the store before it is shown",
                     clients, spaces.count, rounds))
        print(String(format: "  from the command to the last client's push: p50 %.1f ms, p99 %.1f ms, max %.1f ms", quantile(lastArrivals, 0.5),
                     quantile(lastArrivals, 0.99), lastArrivals.max()!))
        print(String(format: "  to each client: p50 %.1f ms, p99 %.1f ms (%d pushes)", quantile(allArrivals, 0.5), quantile(allArrivals, 0.99), allArrivals.count))
        print("  (clients and server share this machine's \(ProcessInfo.processInfo.processorCount) cores: the clients' reading is part of the time)")
    }
}

/// An answer handed from the loop thread to the bench's.
final class ReplyBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: OperatorReply?
    var value: OperatorReply? { lock.withLock { stored } }
    func set(_ reply: OperatorReply) { lock.withLock { stored = reply } }
}
