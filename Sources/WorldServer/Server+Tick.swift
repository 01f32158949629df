// The tick: the due ticks run by the clock with a bounded catch-up; per space, in id order, the
// inputs stepped, the placements answered (through each session's Presence), the snapshots and
// names sent; and the shutdown that ends the loop.

import Transport
import Crypto
import Foundation
import Logging
import NetProto
import Recording
import Services
import Store
import WorldCore
import WorldFiles

extension Server {
    // MARK: The tick

    func tickDue() {
        let period = 1_000_000_000 / UInt64(configuration.tickRateHertz)
        let due = Int((configuration.clock.monotonicNanos() - figures.startedAt) / period) - counters.ticks - counters.ticksSkipped
        guard due > 0 else { return }
        let run = min(due, configuration.catchUpTicksMax)
        counters.ticksSkipped += due - run
        for _ in 0..<run { tick() }
        let now = clockMillis
        for s in sessions.values { perform(s.machine.timePassed(nowMillis: now), for: s) }
    }

    func tick() {
        let started = configuration.clock.monotonicNanos()
        let nowUnixMillis = configuration.recording == nil ? 0 : UInt64(self.nowUnixMillis())
        counters.ticks += 1
        let tickNumber = UInt32(truncatingIfNeeded: counters.ticks)
        for id in host.spaceOrder {
            guard let space = host.spaces[id] else { continue }
            counters.clientTicks += space.members.count
            if let replay {
                guard let world = replay.next() else {
                    beginShutdown(reason: "the recording ended at tick \(space.world.tick)")
                    return
                }
                space.world = world
                sendSnapshots(space, tick: tickNumber)
                continue
            }
            space.world.step(space.inputs)
            space.inputs.removeAll(keepingCapacity: true)
            if space.world.tick % UInt64(configuration.tickRateHertz) == 0 { space.sampleEvidence(nowMillis: self.nowUnixMillis()) }
            if let recorder = space.recorder {
                recorder.record(space.world, nowUnixMillis: nowUnixMillis)
                if let why = recorder.stopped {
                    logger.error("recording stopped", metadata: ["space": "\(id)", "reason": "\(why)"])
                    space.recorder = nil
                }
            }
            for result in space.world.report.enterResults {
                // A client that closed before its avatar was placed: take the avatar out again.
                // One sent elsewhere meanwhile is Presence's stray, taken out the same way.
                guard let s = sessions[result.tag] else {
                    if case .success(let avatar) = result.outcome { space.inputs.append(.leave(avatar)) }
                    continue
                }
                switch result.outcome {
                case .success(let avatar): carryOut(s.presence.placed(in: id, avatar: avatar), for: s)
                case .failure(let refusal): carryOut(s.presence.refused(in: id, refusal), for: s)
                }
            }
            sendSnapshots(space, tick: tickNumber)
        }
        let elapsed = configuration.clock.monotonicNanos() - started
        figures.tickDurations.add(elapsed)
        noteTickForOperator(elapsed)
    }

    func sendSnapshots(_ space: SpaceInstance, tick: UInt32) {
        let world = space.world
        // Names of avatars entering each member's view, from this tick's view changes.
        var newlySeen: [UInt64: [AvatarID]] = [:]
        for change in world.report.viewChanges where change.entered {
            if let observer = space.sessionBySlot[change.observer.slot], observer.avatar == change.observer {
                newlySeen[observer.id, default: []].append(change.subject)
            }
        }
        // The clock is read once per space's snapshots, not once per client.
        let now = clockMillis
        let serverTime = UInt16(truncatingIfNeeded: now)
        // Built first, by the snapshot workers (each touching only its own sessions' feeds and
        // reading the world), then sent from here in the same order.
        host.snapshotSessions.removeAll(keepingCapacity: true)
        for s in space.members.values where s.realtime.feed != nil { host.snapshotSessions.append(s) }
        host.snapshotBuilt.removeAll(keepingCapacity: true)
        host.snapshotBuilt.append(contentsOf: repeatElement(nil, count: host.snapshotSessions.count))
        let sessions = host.snapshotSessions
        let states = host.tickStates
        if !sessions.isEmpty { states.update(from: world) }
        host.snapshotBuilt.withUnsafeMutableBufferPointer { built in
            host.snapshotWork.run(clients: sessions.count) { i, scratch, output in
                let s = sessions[i]
                let (clientTime, heardAt) = s.realtime.lastInput
                let header = SnapshotHeader(tick: tick, baselineTick: 0, inputAck: s.realtime.lastSequence, echoClientTimeMillis: clientTime,
                                            holdMillis: UInt16(truncatingIfNeeded: now &- heardAt), serverTimeMillis: serverTime)
                // The feed is advanced in place in its session: a local copy would share its arrays
                // with the session's, and every mutation of them would copy them, per client per tick.
                built[i] = s.realtime.feed!.next(world: world, header: header, scratch: scratch, states: states).map { output.keep($0.body, $0.statistics) }
            }
        }
        for (i, s) in sessions.enumerated() {
            if let built = host.snapshotBuilt[i] {
                if let log = host.viewDigests, tick % ViewDigestLog.everyTicks == 0 { log.add(session: s.id, tick: tick, known: s.realtime.feed!.lastKnown) }
                if let address = s.realtime.binding.boundAddress, let udp = io.udp {
                    // Batched: one sendmmsg per 64 clients (counted when sent, below).
                    host.snapshotWork.withBody(of: built) { body in udp.queue(to: address) { Packet.writeSnapshot(body, into: $0) } }
                } else if s.realtime.snapshotsOverTCP {
                    s.send(.snapshot(host.snapshotWork.body(of: built)))
                    counters.snapshotsSent += 1
                }
            }
        }
        for s in space.members.values {
            if let seen = newlySeen[s.id] {
                var names: [(entity: UInt32, name: String, badge: StaffBadge)] = []
                for subject in seen where !s.realtime.namesSent.contains(SnapshotFeed.entity(subject)) {
                    guard let other = space.sessionBySlot[subject.slot], other.avatar == subject else { continue }
                    s.realtime.namesSent.insert(SnapshotFeed.entity(subject))
                    names.append((SnapshotFeed.entity(subject), other.displayName, onDuty.badge(of: other)))
                    if names.count == WireProtocol.namesPerMessageMax {
                        s.send(.names(names))
                        names.removeAll()
                    }
                }
                if !names.isEmpty { s.send(.names(names)) }
                Self.forgetNamesOutOfView(of: s)
            }
        }
        if let sent = io.udp?.flush() {
            counters.bytesOut += sent.bytes
            counters.datagramsOut += sent.datagrams
            counters.snapshotsSent += sent.datagrams
        }
    }


    /// Names sent beyond the view, allowed before the set is cut back to the view: the names
    /// sent to a client are kept per entity so that each is sent once, and without a bound the
    /// set held everyone the client had ever seen until it changed space (an afternoon on a
    /// busy plaza). An avatar forgotten here is named again if it comes back into view
    /// (it is newly seen then), with its badge as it is then.
    static let namesKeptBeyondView = 64

    /// Cuts `s`'s names sent back to the avatars in its view once they outnumber it by
    /// `namesKeptBeyondView`: amortised, a few entries a tick at most.
    static func forgetNamesOutOfView(of s: Session) {
        guard let feed = s.realtime.feed, s.realtime.namesSent.count > feed.presented.count + namesKeptBeyondView else { return }
        let inView = feed.presented // in entity order
        s.realtime.namesSent = s.realtime.namesSent.filter { entity in
            var low = 0, high = inView.count
            while low < high {
                let mid = (low + high) / 2
                if inView[mid].entity < entity { low = mid + 1 } else { high = mid }
            }
            return low < inView.count && inView[low].entity == entity
        }
    }

    // MARK: Shutdown

    func beginShutdown(reason: String) {
        guard !stopping else { return }
        stopping = true
        logger.info("shutting down", metadata: ["reason": "\(reason)", "clients": "\(sessions.count)"])
        // A node of a cluster first hands the people in its spaces to the nodes that take the
        // spaces over (docs/CLUSTER.md); the loop and its timers run on meanwhile.
        if cluster.drain(then: { [unowned self] in self.closeDown(reason: reason) }) { return }
        closeDown(reason: reason)
    }

    /// The end of a shutdown: visits closed, everyone told and then disconnected, the loop ended.
    private func closeDown(reason: String) {
        closeAllVisits()
        for s in sessions.values { s.send(.shuttingDown(seconds: 0, text: "the server is stopping (\(reason))")) }
        io.listener?.close()
        timers.stopAll()
        // The last view says so: /readyz answers "shutting down" until the process ends.
        if configuration.operatorBoard != nil { publishView() }
        // Give the notices a moment to leave, then close everything; the loop then ends.
        // Every close by the server is preceded by an error saying why (PROTOCOL.md, 7.1): the
        // notice above warns, this error ends.
        startTimer(.closer, afterMillis: 200, everyMillis: 0) { [unowned self] in
            for s in self.sessions.values {
                s.send(.error(code: .shuttingDown, requestID: 0, text: "the server stopped (\(reason))"))
                s.connection.close()
            }
            self.io.udp?.close()
            self.io.mailbox?.close()
            for signal in self.timers.signals { signal.close() }
            self.timers.stop(.closer)
        }
    }
}
