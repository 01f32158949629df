// The server's timers: one owner, so that starting, stopping and closing them is in one place,
// and so that they run either on libuv's loop (in service) or on a virtual clock that a test
// or the whole-server simulation moves (VirtualDriver.swift). The server's code is the same
// either way: it names a timer, its delay and its period, and what it does.
//
// On virtual time the due timers run in the order of `Name` (the tick first), each as many
// times as it fell due, so that one seed gives one order of events.

import Transport

final class LoopTimers {
    enum Name: Int, CaseIterable {
        /// Runs the ticks that are due.
        case tick
        /// Once a second: empty rooms close, desk holds and closing time.
        case everySecond
        /// The operator's view.
        case publish
        /// The status line in the log.
        case status
        /// The store: the run's heartbeat, the pruning of old records, the audit trail's poll.
        case heartbeat, prune, audit
        /// Closes every connection a moment after the shutdown notices.
        case closer
        /// A node's drain at a graceful stop: waits for the other nodes to claim its spaces.
        case drain
    }

    /// libuv's loop in service; nil on virtual time.
    let loop: UVLoop?
    private var live: [Name: UVTimer] = [:]
    private var virtual: [Name: (dueMillis: UInt64, everyMillis: UInt64, action: () -> Void)] = [:]
    /// SIGINT and SIGTERM (in service only).
    var signals: [UVSignal] = []

    init(loop: UVLoop?) { self.loop = loop }

    /// Starts (or restarts) `name`: first after `afterMillis`, then every `everyMillis` (0: once).
    func start(_ name: Name, afterMillis: UInt64, everyMillis: UInt64, nowMillis: UInt64, _ action: @escaping () -> Void) {
        stop(name)
        if let loop {
            guard let timer = try? UVTimer(loop: loop, action) else { return }
            timer.start(afterMillis: afterMillis, repeatMillis: everyMillis)
            live[name] = timer
        } else {
            virtual[name] = (nowMillis + afterMillis, everyMillis, action)
        }
    }

    func stop(_ name: Name) {
        live.removeValue(forKey: name)?.close()
        virtual[name] = nil
    }

    func stopAll(except kept: Set<Name> = []) {
        for name in Name.allCases where !kept.contains(name) { stop(name) }
    }

    // MARK: Virtual time

    /// When the next timer falls due, if any runs.
    var nextDueMillis: UInt64? { virtual.values.map(\.dueMillis).min() }

    /// Runs every timer due by `nowMillis`, in `Name` order, as often as each fell due; a timer
    /// started or stopped by another's action is seen at once.
    func runDue(nowMillis: UInt64) {
        precondition(loop == nil, "runDue is for virtual time")
        var ran = true
        while ran {
            ran = false
            for name in Name.allCases {
                guard let t = virtual[name], t.dueMillis <= nowMillis else { continue }
                if t.everyMillis == 0 { virtual[name] = nil } else { virtual[name]!.dueMillis += t.everyMillis }
                t.action()
                ran = true
            }
        }
    }
}
