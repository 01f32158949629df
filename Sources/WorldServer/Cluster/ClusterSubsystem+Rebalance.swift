// Giving a space back to the node that prefers it (issue 25; docs/CLUSTER.md "When a node
// comes back"): a node that took a space over while the node preferring it was away (stopped,
// failed, not yet started) gives it up once that node has been live for two liveness windows
// (Services' HostingPlan.yields). It stops admitting people to it and gives its lease up in the
// next round; the preferring node claims it in its own round, within about a second; then the
// people in it are handed over there with tickets, as in a drain, their visits continuing.
//
// Invariants:
// 1. A space being given back admits nobody here (its lease is no longer in `holding`).
// 2. Its people are handed over once, to the node that then hosts it; if nobody claimed it
//    within `moveMillis`, they are taken out of it with 41, as when a lease is lost.

import Foundation
import NetProto
import Services
import Store

extension ClusterSubsystem {
    struct RebalanceState {
        /// When each node was first seen live without a break (the server clock's milliseconds).
        var liveSince: [String: UInt64] = [:]
        /// Spaces given up here whose people wait for the new host, with the node meant and the deadline.
        var moving: [SpaceInstanceKey: (to: String, untilMillis: UInt64)] = [:]
        var givenBack = 0
    }

    /// How long the people of a space given back wait for its new host before being taken out.
    static let moveMillis: UInt64 = 10_000

    /// After each round: the spaces this node hosts that a node live for two liveness windows
    /// prefers are given up (invariant 1).
    func giveBackPreferredSpaces() {
        guard let settings, let view else { return }
        let now = server.clockMillis
        let liveNow = Set(view.nodes.filter { $0.live && !reach.cutOff.contains($0.name) }.map(\.name))
        rebalance.liveSince = rebalance.liveSince.filter { liveNow.contains($0.key) }
        for name in liveNow where rebalance.liveSince[name] == nil { rebalance.liveSince[name] = now }
        let settled = view.nodes.filter { node in
            liveNow.contains(node.name) && (node.name == settings.node || now >= (rebalance.liveSince[node.name] ?? now) + 2 * UInt64(settings.liveMillis))
        }.map { node in
            HostingPlan.Node(name: node.name, prefers: Set(node.prefers), population: node.population,
                             hosted: view.hosts.filter { $0.live && $0.node == node.name }.count)
        }
        let hosted = holding.filter { $0.key.instance == 1 && $0.value > now }.keys.map(\.space).sorted()
        for (space, to) in HostingPlan.yields(me: settings.node, hosted: hosted, live: settled) {
            let key = SpaceInstanceKey(space: space, instance: 1)
            holding[key] = nil
            releasing.append(key)
            rebalance.moving[key] = (to, now + Self.moveMillis)
            rebalance.givenBack += 1
            server.logger.notice("giving a space back to the node that prefers it", metadata: ["space": "\(space)", "to": "\(to)"])
        }
    }

    /// The people of spaces given back, handed over to the space's new host once it has one
    /// (invariant 2).
    func sendMovedPeople() {
        let now = server.clockMillis
        for (key, move) in rebalance.moving.sorted(by: { $0.key < $1.key }) {
            let route = self.route(key.space)
            guard case .elsewhere = route else {
                guard now >= move.untilMillis else { continue }
                rebalance.moving[key] = nil
                takeOut(key, text: "'\(key.space)' was given back to node \(move.to), which did not take it in time; enter it again in a few seconds")
                continue
            }
            rebalance.moving[key] = nil
            let moved = handOverEveryone(in: key, to: key.space)
            server.logger.notice("space given back", metadata: ["space": "\(key)", "handedOver": "\(moved)"])
        }
    }
}
