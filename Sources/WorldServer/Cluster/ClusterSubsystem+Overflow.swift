// Overflow instances (issue 25; docs/CLUSTER.md "Overflow instances"): when every instance of a
// public space is nearly full, the least-loaded node claims one more in its round (Services'
// OverflowPlan, ClusterLink's round), and serves it here as a world of its own named `space#n`,
// made from the space's world file; newcomers go to the first instance with room; one that
// stayed empty while the others had room closes, its lease given up.
//
// Caps hold exactly because each instance has one host (the directory's lease) and its world
// admits at most its capacity; the directory's populations, a second old, only choose where to
// send people. A newcomer refused by a full first instance is sent once to another instance with
// room; one refused by an overflow instance, or with nowhere to go, gets 19 (spaceFull).
//
// Invariants:
// 1. A world `space#n` is served here exactly while this node holds the lease on (space, n).
// 2. An entry is redirected for want of room at most once (from a first instance only).

import Foundation
import NetProto
import Recording
import Services
import Store
import WorldCore

extension ClusterSubsystem {
    struct OverflowState {
        /// Overflow instances served here that are empty, and since when (Unix milliseconds).
        var emptySince: [SpaceInstanceKey: Int64] = [:]
        var opened = 0
        var closed = 0
        /// Newcomers sent on from a full first instance to one with room.
        var redirected = 0
    }

    // MARK: Serving instances

    /// Makes the world of each overflow instance this node holds and does not yet serve
    /// (invariant 1): the space's own definition under the instance's name.
    func openGrantedInstances() {
        for key in holding.keys.sorted() where key.instance >= 2 && server.host.spaces[key.description] == nil {
            guard let base = server.host.spaces[key.space] else { continue }
            var definition = base.world.definition
            definition.id = key.description
            let seed = Server.seed(for: key.description)
            let instance: SpaceInstance
            do {
                instance = SpaceInstance(world: try World(definition: definition, seed: seed), seed: seed)
            } catch {
                server.logger.error("an overflow instance's world could not be made; its lease is given up", metadata: ["space": "\(key)", "error": "\(error)"])
                holding[key] = nil
                releasing.append(key)
                continue
            }
            instance.chatRadiusCentimetres = base.chatRadiusCentimetres
            if let writer = server.host.recordingWriter, let settings = server.configuration.recording {
                instance.recorder = SpaceRecorder(settings: settings, writer: writer, world: instance.world, seed: seed,
                                                  nowUnixMillis: UInt64(server.nowUnixMillis()))
            }
            server.host.add(key.description, instance)
            overflow.opened += 1
            server.logger.notice("overflow instance opened", metadata: ["space": "\(key)", "capacity": "\(definition.capacity)"])
        }
    }

    /// Stops serving an overflow instance's world (after its people were sent elsewhere); those
    /// whose entry to it was on its way are told.
    func closeInstanceWorld(_ key: SpaceInstanceKey) {
        overflow.emptySince[key] = nil
        guard let space = server.host.remove(key.description) else { return }
        space.recorder?.finish(world: space.world)
        for s in server.sessions.values where s.presence.pendingSpace == key.description {
            server.carryOut(s.presence.closed(key.description), for: s)
        }
    }

    /// Once a second: an overflow instance empty for `OverflowPlan.closeAfterMillis` while the
    /// space's other instances have room closes here, and the next round gives its lease up.
    func closeEmptyInstances() {
        let now = server.nowUnixMillis()
        for key in holding.keys.sorted() where key.instance >= 2 {
            guard let space = server.host.spaces[key.description] else { continue }
            let pending = server.sessions.values.contains { $0.presence.pendingSpace == key.description }
            guard space.world.population == 0, space.members.isEmpty, !pending else {
                overflow.emptySince[key] = nil
                continue
            }
            let since = overflow.emptySince[key] ?? now
            overflow.emptySince[key] = since
            let me = OverflowPlan.Instance(number: key.instance, node: settings?.node ?? "", population: 0, capacity: capacity(key.space))
            let others = liveInstances(key.space).filter { $0.number != key.instance }
            guard OverflowPlan.closes(me, emptySinceMillis: since, nowMillis: now, others: others,
                                      afterMillis: settings?.instanceCloseMillis ?? OverflowPlan.closeAfterMillis) else { continue }
            holding[key] = nil
            closeInstanceWorld(key)
            releasing.append(key)
            overflow.closed += 1
            server.logger.notice("overflow instance closed: empty, and the others have room", metadata: ["space": "\(key)"])
        }
    }

    // MARK: Choosing an instance

    /// The live instances of `space`: from the directory, with this node's own counted now.
    func liveInstances(_ space: String) -> [OverflowPlan.Instance] {
        guard let view else { return [] }
        let live = Set(view.nodes.filter(\.live).map(\.name))
        let now = server.clockMillis
        var out: [OverflowPlan.Instance] = []
        for h in view.hosts where h.spaceID == space && h.live && live.contains(h.node) {
            let key = SpaceInstanceKey(space: space, instance: h.instance)
            if h.node == settings?.node {
                guard let until = holding[key], until > now, let world = server.host.spaces[key.description]?.world else { continue }
                out.append(.init(number: h.instance, node: h.node, population: world.population, capacity: world.definition.capacity))
            } else {
                out.append(.init(number: h.instance, node: h.node, population: h.population, capacity: h.capacity))
            }
        }
        return out
    }

    /// The instance a newcomer to public space `space` is sent to: the first with room, or the
    /// first instance when none has any (it refuses them as full) or there is only one.
    func chooseInstance(_ space: String) -> String {
        guard isNode else { return space }
        let instances = liveInstances(space)
        guard instances.count > 1, let chosen = OverflowPlan.placeFor(instances) else { return space }
        return SpaceInstanceKey(space: space, instance: chosen.number).description
    }

    /// A first instance refused `s` for want of room: sent once to another instance with room
    /// (invariant 2); false when there is none, and the refusal stands.
    func overflowed(_ s: Session, space: String, request: UInt32) -> Bool {
        guard isNode else { return false }
        let key = SpaceInstanceKey(parsing: space)
        guard key.instance == 1, let other = OverflowPlan.placeFor(liveInstances(key.space).filter({ $0.number != 1 })) else { return false }
        let id = SpaceInstanceKey(space: key.space, instance: other.number).description
        switch route(id) {
        case .here:
            overflow.redirected += 1
            server.carryOut(s.presence.enter(id, request: request, to: .publicSpace), for: s)
        case .elsewhere(let node, let host, let port):
            overflow.redirected += 1
            handOver(s, request: request, space: id, node: node, host: host, port: port)
        case .nobody:
            return false
        }
        return true
    }
}
