// A node stopping (issue 25; docs/CLUSTER.md "When a node stops or fails"): the drain at a
// graceful stop, which gives this node's spaces up and hands the people in them to the nodes
// that claim them, and the release of the leases at the server's end. Part of ClusterSubsystem.

import Foundation
import NetProto
import Services
import Store

extension ClusterSubsystem {
    // MARK: Stopping

    /// How long a drain waits for the other nodes to claim this node's spaces.
    static let drainMillis: UInt64 = 5_000
    /// How often a drain reads the directory meanwhile.
    static let drainLookMillis: UInt64 = 250

    /// At a graceful stop (SIGTERM): this node gives its spaces up, waits (at most `drainMillis`)
    /// until other nodes hold those that have people in them, and sends each person there with
    /// a ticket (their visit closes as `travel`), so that nobody in a public space is dropped.
    /// Calls `done` on the loop thread when it is over; false, without calling it, when there
    /// is nothing to drain (not a node, nobody in a space this node hosts, or no other live node).
    func drain(then done: @escaping () -> Void) -> Bool {
        // Avatars kept for dropped connections go first: nobody will come back to a stopping node.
        finishAllAway()
        guard let link, let settings, !draining else { return false }
        let peopled = Set(holding.keys.filter { key in
            server.host.spaces[key.description]?.members.values.contains { $0.presence.spaceID == key.description } ?? false
        })
        let others = (view?.nodes ?? []).contains { $0.live && $0.name != settings.node }
        guard !peopled.isEmpty, others else { return false }
        draining = true
        // From here this node admits nobody to the spaces it held (invariant 1).
        holding.removeAll()
        server.logger.info("draining: giving this node's spaces to the others", metadata: ["spaces": "\(peopled.sorted().map(\.description))"])
        let deadline = server.clockMillis + Self.drainMillis
        var asking = true
        link.submit(.release { [weak self] result in
            asking = false
            if case .success(let view) = result { self?.view = view }
        })
        // Checked on a timer, not on the directory's answers, so that a directory that does not
        // answer delays the stop by `drainMillis` at most.
        server.startTimer(.drain, afterMillis: Self.drainLookMillis, everyMillis: Self.drainLookMillis) { [weak self] in
            guard let self else { return }
            // An overflow instance's people go to any instance with room: only first instances are waited for.
            let waiting = peopled.filter { key in
                if key.instance >= 2 { return false }
                if case .elsewhere = self.route(key.space) { return false }
                return true
            }
            if waiting.isEmpty || self.server.clockMillis >= deadline || self.link == nil {
                self.server.timers.stop(.drain)
                return self.sendOnward(peopled, unclaimed: waiting, done: done)
            }
            guard !asking else { return }
            asking = true
            self.link?.submit(.look { [weak self] result in
                asking = false
                if case .success(let view) = result { self?.view = view }
            })
        }
        return true
    }

    /// The end of a drain: everyone in a space given up is handed over to its new host.
    func sendOnward(_ spaces: Set<SpaceInstanceKey>, unclaimed: Set<SpaceInstanceKey>, done: () -> Void) {
        var moved = 0
        for key in spaces.sorted() {
            moved += handOverEveryone(in: key, to: key.instance == 1 ? key.space : chooseInstance(key.space))
        }
        if unclaimed.isEmpty {
            server.logger.info("drained", metadata: ["handedOver": "\(moved)"])
        } else {
            server.logger.warning("drained, but no other node claimed some spaces in time: the people in them are disconnected",
                                  metadata: ["handedOver": "\(moved)", "unclaimed": "\(unclaimed.sorted().map(\.description))"])
        }
        done()
    }

    /// At the server's end (after its loop): leases given up so that others claim the spaces at
    /// once, and the node marked stopped; waits at most `seconds`.
    func close(seconds: Double = 5) {
        guard let link else { return }
        let done = DispatchSemaphore(value: 0)
        link.submit(.stop(release: true) { done.signal() })
        if done.wait(timeout: .now() + seconds) == .timedOut {
            server.logger.warning("the cluster's directory did not answer the release in time; this node's spaces will be claimed when their leases run out")
        }
        self.link = nil
        holding.removeAll()
    }
}
