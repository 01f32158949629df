// What snapshots cost on the wire, measured by playing both ends in process: a world with a
// wandering crowd, a `SnapshotFeed` per observed client, and for each a simulated client that
// decodes every snapshot against the baseline it holds and acknowledges late, with packets
// lost at random. Every decoded snapshot is compared with what the server believes the
// client holds, so the figures come from snapshots known to decode correctly.

import Crowd
import Dispatch
import NetProto
import WorldCore

public struct SnapshotCostReport: Sendable {
    public var avatars = 0
    public var observedClients = 0
    public var ticks = 0
    public var tickRateHertz = 20
    public var snapshotsSent = 0
    public var snapshotsLost = 0
    /// Snapshot payload bytes plus the 5-byte packet header, over all sent snapshots.
    public var packetBytes = 0
    public var largestPacketBytes = 0
    public var movedUpdates = 0
    public var movedUpdateBits = 0
    public var added = 0
    public var removed = 0
    public var deferred = 0
    /// Visible avatars per observed client, summed over ticks (for the average).
    public var visibleSum = 0
    /// Decoded snapshots that differed from what the server believed the client held: must be 0.
    public var mismatches = 0
    /// Threads the server's part ran on (see `SnapshotWork`).
    public var workers = 1
    /// The server's part of each tick (acknowledgements taken, every snapshot built and
    /// encoded), nanoseconds, in tick order: not the world's step, not the clients' decoding.
    public var serverNanosecondsPerTick: [UInt64] = []

    public var bitsPerMovedUpdate: Double { movedUpdates == 0 ? 0 : Double(movedUpdateBits) / Double(movedUpdates) }
    public var averageVisible: Double { snapshotsSent == 0 ? 0 : Double(visibleSum) / Double(snapshotsSent) }
    /// Downstream per client, payload and packet header, without IP and UDP headers.
    public var kilobitsPerSecondPerClient: Double {
        snapshotsSent == 0 ? 0 : Double(packetBytes) * 8 / Double(snapshotsSent) * Double(tickRateHertz) / 1_000
    }
    /// IPv4 (20 bytes) and UDP (8 bytes) headers per snapshot, at the tick rate.
    public var headerKilobitsPerSecond: Double { 28 * 8 * Double(tickRateHertz) / 1_000 }
}

public enum SnapshotCost {
    /// Runs `seconds` of world time with `avatars` wanderers, observing up to
    /// `observedClients` of them (taken evenly through the crowd).
    public static func measure(definition: WorldDefinition, avatars: Int, seconds: Int, observedClients: Int,
                               lossPercent: Int, ackDelayTicks: Int, seed: UInt64, workers: Int = 1,
                               quantiseOnce: Bool = true) throws -> SnapshotCostReport {
        precondition((0...100).contains(lossPercent) && ackDelayTicks >= 0 && seconds > 0)
        precondition(SnapshotWork.workersRange.contains(workers))
        var world = try World(definition: definition, seed: seed)
        var crowd = Wanderers(seed: seed, target: avatars, definition: definition, enterPerTickMax: avatars)
        var random = WorldRandom(seed: seed ^ 0x5EED)
        // Let the crowd enter and walk for a second before measuring.
        for _ in 0..<definition.tickRateHertz {
            world.step(crowd.nextInputs())
            crowd.observe(world.report)
        }
        let population = crowd.ids
        let step = max(1, population.count / max(1, observedClients))
        let observed = stride(from: 0, to: population.count, by: step).prefix(observedClients).map { population[$0] }

        struct Client {
            var feed: SnapshotFeed
            var held: [UInt32: [EntityState]] = [:]
            var pendingAcks: [(arrives: Int, tick: UInt32)] = []
        }
        var clients = observed.map { Client(feed: SnapshotFeed(observer: $0)) }
        let work = SnapshotWork(workers: workers)
        let tickStates = TickStates()
        var report = SnapshotCostReport()
        report.avatars = world.population
        report.observedClients = clients.count
        report.tickRateHertz = definition.tickRateHertz
        report.workers = workers
        let ticks = seconds * definition.tickRateHertz
        report.serverNanosecondsPerTick.reserveCapacity(ticks)
        var bodies = [SnapshotWork.Built?](repeating: nil, count: clients.count)
        for t in 0..<ticks {
            world.step(crowd.nextInputs())
            crowd.observe(world.report)
            let tick = UInt32(truncatingIfNeeded: world.tick)
            let header = SnapshotHeader(tick: tick, baselineTick: 0, inputAck: 0, echoClientTimeMillis: 0, holdMillis: 0, serverTimeMillis: 0)
            // The server's part, timed: acknowledgements that reach the server now, then every
            // client's snapshot, the clients shared out among the workers.
            let started = DispatchTime.now().uptimeNanoseconds
            let frozen = world
            let states = quantiseOnce ? tickStates : nil
            states?.update(from: frozen)
            clients.withUnsafeMutableBufferPointer { clients in
                bodies.withUnsafeMutableBufferPointer { bodies in
                    work.run(clients: clients.count) { i, scratch, output in
                        while let first = clients[i].pendingAcks.first, first.arrives <= t {
                            clients[i].feed.acknowledge(first.tick, scratch: scratch)
                            clients[i].pendingAcks.removeFirst()
                        }
                        bodies[i] = clients[i].feed.next(world: frozen, header: header, scratch: scratch, states: states).map { output.keep($0.body, $0.statistics) }
                    }
                }
            }
            report.serverNanosecondsPerTick.append(DispatchTime.now().uptimeNanoseconds - started)
            // The clients' part, not timed: each receives (or loses) its snapshot and decodes it.
            for i in clients.indices {
                guard let built = bodies[i] else { continue }
                let body = work.body(of: built)
                let stats = built.statistics
                report.snapshotsSent += 1
                report.packetBytes += body.count + 5
                report.largestPacketBytes = max(report.largestPacketBytes, body.count + 5)
                report.movedUpdates += stats.moved
                report.movedUpdateBits += stats.movedBits
                report.added += stats.added
                report.removed += stats.removed
                report.deferred += stats.deferred
                report.visibleSum += world.view(of: observed[i]).count
                if random.uniform(below: 100) < UInt64(lossPercent) {
                    report.snapshotsLost += 1
                    continue
                }
                // The client decodes against the baseline the header names, which it must hold.
                let baselineTick = (try? SnapshotCodec.decodeHeader(body))?.baselineTick ?? 0
                guard let baseline = baselineTick == 0 ? [] : clients[i].held[baselineTick],
                      let (_, state) = try? SnapshotCodec.decode(body, baseline: baseline) else {
                    report.mismatches += 1
                    continue
                }
                if state != clients[i].feed.lastKnown { report.mismatches += 1 }
                clients[i].held[tick] = state
                clients[i].held = clients[i].held.filter { tick &- $0.key < UInt32(SnapshotFeed.historyTicks) }
                clients[i].pendingAcks.append((t + ackDelayTicks, tick))
            }
        }
        report.ticks = ticks
        return report
    }
}
