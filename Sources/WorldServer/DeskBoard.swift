// The service desks, in a fixed order (by id): the one owner of every desk's state (its
// queue, the standings last sent, who is on duty since when), and the look-ups across desks
// (who waits where, which session a room holds). Server+Desks carries out the desks' rules
// with it.
//
// Invariants:
// 1. `order` is exactly the ids of `byID`, sorted; every walk over the desks goes in this order
//    (never a Dictionary's), so that one seed gives one order of events.
// 2. An account waits at most at one desk, and not while in a desk session (Server+Desks).

import Services
import WorldCore

final class DeskBoard {
    private var byID: [String: DeskState] = [:]
    private(set) var order: [String] = []
    /// The desks in `order`.
    private(set) var all: [DeskState] = []

    subscript(id: String) -> DeskState? { byID[id] }
    var isEmpty: Bool { byID.isEmpty }

    func add(_ d: DeskState) {
        precondition(byID[d.desk.id] == nil)
        byID[d.desk.id] = d
        order = byID.keys.sorted()
        all = order.map { byID[$0]! }
    }

    /// The desk whose queue holds `account` waiting (one at a time), from the queues themselves.
    func waiting(of account: String) -> DeskState? { all.first { $0.queue.isWaiting(account) } }

    /// The desk session held in a room, with its desk.
    func session(inRoom roomID: UInt32) -> (desk: DeskState, session: DeskQueue.Session)? {
        for d in all { if let session = d.queue.session(inRoom: roomID) { return (d, session) } }
        return nil
    }

    /// The desk session (held in a room) this account is in, as staff or citizen.
    func session(of account: String) -> (desk: DeskState, session: DeskQueue.Session)? {
        for d in all { if let session = d.queue.session(involving: account), session.roomID != nil { return (d, session) } }
        return nil
    }
}

final class DeskState {
    let desk: Desk
    let spot: Spot
    var queue: DeskQueue
    var lastStandings: [String: DeskQueue.Standing] = [:]
    var onDutySince: [String: Int64] = [:]

    init(desk: Desk, spot: Spot, rules: DeskRules) {
        self.desk = desk
        self.spot = spot
        var rules = rules
        rules.queueMax = desk.queueMax
        queue = DeskQueue(fields: desk.fields.map(\.id), rules: rules)
    }
}

