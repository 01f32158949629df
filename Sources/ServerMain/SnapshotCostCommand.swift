// `seoulworld snapshot-cost`: what the realtime channel costs per client, measured in process
// with the real snapshot codec and simulated clients (see WorldServer/SnapshotCost.swift).

import ArgumentParser
import Crowd
import WorldCore
import WorldServer

struct SnapshotCostCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot-cost",
        abstract: "Measure snapshot bandwidth per client in a simulated crowd (no network; the real codec, clients that decode and acknowledge)."
    )

    @Option(help: "Avatars in the crowd (plaza density, 4 m² each).")
    var avatars = 1_000

    @Option(help: "Clients observed (spread through the crowd).")
    var clients = 200

    @Option(help: "Seconds of world time.")
    var seconds = 10

    @Option(help: "Snapshots lost, in percent.")
    var lossPercent = 2

    @Option(help: "Ticks before an acknowledgement reaches the server (2 ticks = 100 ms at 20 Hz).")
    var ackDelayTicks = 2

    @Option(help: "Seed for the crowd and the losses.")
    var seed: UInt64 = 1

    @Option(help: "Threads that build the clients' snapshots, each a fixed share of them (1 to 64).")
    var workers = 1

    @Flag(help: "Quantise each visible avatar for each client that sees it, as before the states were made once a tick (to compare).")
    var quantisePerClient = false

    func validate() throws {
        guard (1...WorldDefinition.capacityMax).contains(avatars) else { throw ValidationError("--avatars must be 1 to \(WorldDefinition.capacityMax)") }
        guard (1...avatars).contains(clients) else { throw ValidationError("--clients must be 1 to --avatars") }
        guard (1...3_600).contains(seconds) else { throw ValidationError("--seconds must be 1 to 3600") }
        guard (0...100).contains(lossPercent) else { throw ValidationError("--loss-percent must be 0 to 100") }
        guard (0...30).contains(ackDelayTicks) else { throw ValidationError("--ack-delay-ticks must be 0 to 30") }
        guard SnapshotWork.workersRange.contains(workers) else { throw ValidationError("--workers must be 1 to 64") }
    }

    func run() throws {
        let definition = SyntheticWorlds.forCrowd(avatars: avatars, squareMetresPerAvatar: SyntheticWorlds.plazaSquareMetresPerAvatar)
        let r = try SnapshotCost.measure(definition: definition, avatars: avatars, seconds: seconds, observedClients: clients,
                                         lossPercent: lossPercent, ackDelayTicks: ackDelayTicks, seed: seed, workers: workers,
                                         quantiseOnce: !quantisePerClient)
        let work = r.serverNanosecondsPerTick.sorted()
        func millis(_ q: Double) -> String { format(Double(percentile(work, q)) / 1e6, decimals: 2) }
        print("""
        crowd                 \(r.avatars) avatars at 4 m² each, \(r.observedClients) clients observed for \(r.ticks) ticks at \(r.tickRateHertz) Hz
        visible per client    \(format(r.averageVisible, decimals: 1)) on average (cap \(definition.interest.visibleMax))
        snapshots             \(r.snapshotsSent) sent, \(r.snapshotsLost) lost (\(lossPercent)%), acknowledgements \(ackDelayTicks) ticks late
        moving avatar update  \(format(r.bitsPerMovedUpdate, decimals: 1)) bits on average (\(r.movedUpdates) updates)
        per client downstream \(format(r.kilobitsPerSecondPerClient, decimals: 1)) kbit/s (payload and packet header), + \(format(r.headerKilobitsPerSecond, decimals: 1)) kbit/s of IPv4/UDP headers
        largest packet        \(r.largestPacketBytes) bytes (limit 1200)
        entered / left view   \(r.added) / \(r.removed) sent; \(r.deferred) changes deferred to a later tick
        decode mismatches     \(r.mismatches)
        server work per tick  p50 \(millis(0.5)) ms  p99 \(millis(0.99)) ms on \(r.workers) worker\(r.workers == 1 ? "" : "s") (acknowledgements and every snapshot built; not the step, not the clients)
        """)
        if r.mismatches > 0 { throw ExitCode(1) }
    }
}
