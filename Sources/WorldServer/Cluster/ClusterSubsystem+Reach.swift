// Whether the other nodes can be reached where clients reach them (issue 25; docs/CLUSTER.md
// "A node the others cannot reach"). Once a second a node opens a TCP connection to every
// other live node's public address and closes it as soon as it is accepted; one not accepted
// within `Reachability.tryMillis` (or refused) is a failed try. A node it has failed to reach
// for `Reachability.reportAfterMillis` it names in its next round's announcement. From those
// reports, every node decides the same way which nodes are cut off (Services' Reachability):
// they host nothing, are sent nobody and are named in no resume ticket; and a node that finds
// itself cut off gives every space up at once, for the others to claim, rather than holding them
// where nobody can enter.
//
// Invariants:
// 1. At most one try per other node is under way; a try's answer counts only while it is the
//    one under way (one given up on, when its late answer comes, counts for nothing).
// 2. A node cut off holds no lease after the round that told it so.

import Foundation
import Services
import Store
import Transport

extension ClusterSubsystem {
    struct ReachState {
        /// For each other node failing now: the clock millis of the first failed try of the run.
        var failingSince: [String: UInt64] = [:]
        /// The try under way to each other node, and when it started (clock millis).
        var trying: [String: (connection: TCPConnection, startedAtMillis: UInt64)] = [:]
        /// The nodes cut off, by the directory as last read.
        var cutOff: Set<String> = []
        /// Whether this node found itself cut off (and gave its spaces up), and how many times.
        var isCutOff = false
        var timesCutOff = 0
        var tries = 0
        var failures = 0
    }

    /// The other nodes to name in the next round: failed to reach for `reportAfterMillis`.
    func cannotReach(now: UInt64) -> [String] {
        reach.failingSince.filter { now >= $0.value + UInt64(Reachability.reportAfterMillis) }.keys.sorted()
    }

    /// Once a second: a try to each other live node not already under way; those under way for
    /// `tryMillis` fail (invariant 1).
    func tryOtherNodes(now: UInt64) {
        guard let settings, let view else { return }
        let others = view.nodes.filter { $0.live && $0.name != settings.node && !$0.address.isEmpty }
        let names = Set(others.map(\.name))
        for (name, t) in reach.trying where !names.contains(name) {
            reach.trying[name] = nil
            t.connection.close()
        }
        reach.failingSince = reach.failingSince.filter { names.contains($0.key) }
        for node in others.sorted(by: { $0.name < $1.name }) {
            if let t = reach.trying[node.name] {
                guard now >= t.startedAtMillis + Reachability.tryMillis else { continue }
                reach.trying[node.name] = nil
                t.connection.close()
                tried(node.name, ok: false, startedAt: t.startedAtMillis)
                continue
            }
            reach.tries += 1
            guard let (host, port) = Self.split(node.address), let address = try? SocketAddress(host: host, port: port) else {
                tried(node.name, ok: false, startedAt: now)
                continue
            }
            let name = node.name
            do {
                let c = try TCPConnection.connect(loop: server.io.loop, to: address) { [weak self] c, error in
                    guard let self, let t = self.reach.trying[name], t.connection === c else { return }
                    self.reach.trying[name] = nil
                    c.close()
                    self.tried(name, ok: error == nil, startedAt: t.startedAtMillis)
                }
                reach.trying[name] = (c, now)
            } catch {
                tried(name, ok: false, startedAt: now)
            }
        }
    }

    private func tried(_ node: String, ok: Bool, startedAt: UInt64) {
        if ok {
            if let since = reach.failingSince.removeValue(forKey: node), server.clockMillis >= since + UInt64(Reachability.reportAfterMillis) {
                server.logger.info("node reachable again at its address", metadata: ["node": "\(node)"])
            }
            return
        }
        reach.failures += 1
        if reach.failingSince[node] == nil {
            reach.failingSince[node] = startedAt
        }
    }

    /// After a round: whether this node is cut off now, by the directory just read. When it
    /// becomes so it gives every space up (invariant 2): their people are sent to the new
    /// hosts if any are known, else out with 41, and the leases are released in the next round.
    func checkCutOff() {
        guard let settings else { return }
        let cut = reach.cutOff.contains(settings.node)
        if cut && !reach.isCutOff {
            reach.timesCutOff += 1
            let reporting = (view?.nodes ?? []).filter { $0.live && $0.cannotReach.contains(settings.node) }.map(\.name).sorted()
            server.logger.error("the other nodes cannot reach this node at its address: it gives its spaces up for them to host, and hosts nothing until they reach it again",
                                metadata: ["address": "\(advertisedAddress)", "reportedBy": "\(reporting.joined(separator: ","))",
                                           "spaces": "\(holding.count)"])
        } else if !cut && reach.isCutOff {
            server.logger.info("the other nodes reach this node again: it may host spaces again")
        }
        reach.isCutOff = cut
        guard cut else { return }
        for key in holding.keys.sorted() {
            lost(key, why: "the other nodes cannot reach this node at \(advertisedAddress)")
            if !releasing.contains(key) { releasing.append(key) }
        }
    }
}
