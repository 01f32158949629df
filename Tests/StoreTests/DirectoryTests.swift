// The cluster's directory on a real PostgreSQL (Store's Directory.swift): four nodes racing to
// claim the same spaces, pausing past their leases so that spaces change hands, never hold one
// space at overlapping times (by the database's clock, as granted); a lease is not taken while
// it runs, is taken once it ran out, and its old holder's renewal then fails; a released space
// is claimed at once; a ticket is redeemed once however many try at once.

import Foundation
import PostgresScratch
import Testing
@testable import Store

@Suite(.serialized, .timeLimit(.minutes(5))) struct DirectoryTests {
    struct Grant { var node: String; var atMillis: Int64; var untilMillis: Int64 }

    @Test func racingNodesNeverHoldOneSpaceAtOverlappingTimes() throws {
        let location = try scratch().database()
        let nodes = try (1...4).map { _ in try PostgresStore(location: location, access: .server) }
        let spaces = ["seoul-plaza", "city-hall", "deoksugung"]
        let lease: Int64 = 250
        let lock = NSLock()
        nonisolated(unsafe) var grants: [String: [Grant]] = [:]
        nonisolated(unsafe) var refusals = 0
        nonisolated(unsafe) var failures: [String] = []
        let threads = nodes.enumerated().map { i, store in
            Thread {
                var random = SystemRandomNumberGenerator()
                let deadline = Date().addingTimeInterval(4)
                while Date() < deadline {
                    for space in spaces.shuffled(using: &random) {
                        do {
                            switch try store.claim(space: space, instance: 1, node: "node-\(i)", capacity: 100, leaseMillis: lease) {
                            case .granted(let at, let until): lock.withLock { grants[space, default: []].append(Grant(node: "node-\(i)", atMillis: at, untilMillis: until)) }
                            case .heldBy: lock.withLock { refusals += 1 }
                            }
                        } catch {
                            lock.withLock { failures.append("\(error)") }
                        }
                    }
                    // Now and then a node pauses past its lease, as a stalled or cut-off node does.
                    usleep(UInt32.random(in: 0...8, using: &random) == 0 ? 320_000 : UInt32.random(in: 0...20_000, using: &random))
                }
            }
        }
        threads.forEach { $0.start() }
        while !threads.allSatisfy(\.isFinished) { Thread.sleep(forTimeInterval: 0.05) }
        #expect(failures.isEmpty, "\(failures.prefix(3))")
        var handsChanged = 0
        for space in spaces {
            let list = try #require(grants[space]).sorted { $0.atMillis < $1.atMillis }
            for (k, g) in list.enumerated() {
                #expect(g.untilMillis == g.atMillis + lease)
                // Every grant to another node before this one had run out when this one was made.
                for earlier in list[..<k] where earlier.node != g.node {
                    #expect(earlier.untilMillis < g.atMillis, "\(space): \(earlier.node) held it until \(earlier.untilMillis), \(g.node) was granted it at \(g.atMillis)")
                }
                if k > 0, list[k - 1].node != g.node { handsChanged += 1 }
            }
        }
        // The race was real: spaces changed hands, and claims lost to a running lease.
        #expect(handsChanged >= 3, "spaces changed hands \(handsChanged) times")
        #expect(refusals >= 50, "\(refusals) claims were refused")
    }

    @Test func aRunningLeaseIsNotTakenARunOutOneIsAndItsHolderThenCannotRenewIt() throws {
        let location = try scratch().database()
        let a = try PostgresStore(location: location, access: .server), b = try PostgresStore(location: location, access: .server)
        guard case .granted = try a.claim(space: "city-hall", instance: 1, node: "a", capacity: 500, leaseMillis: 400) else { Issue.record("a free space is granted"); return }
        guard case .heldBy("a", _) = try b.claim(space: "city-hall", instance: 1, node: "b", capacity: 500, leaseMillis: 400) else { Issue.record("a running lease is not taken"); return }
        // a renews within its lease and keeps it; the population it reports is kept.
        #expect(try a.renew(node: "a", leases: [("city-hall", 1, 7)], leaseMillis: 400).renewed == [SpaceInstanceKey(space: "city-hall", instance: 1)])
        #expect(try b.directory(liveMillis: 1_000).hosts == [SpaceHostEntry(spaceID: "city-hall", instance: 1, node: "a", live: true, population: 7, capacity: 500)])
        Thread.sleep(forTimeInterval: 0.5)
        #expect(try b.directory(liveMillis: 1_000).hosts.first?.live == false, "a lease past its end reads as not live")
        guard case .granted = try b.claim(space: "city-hall", instance: 1, node: "b", capacity: 500, leaseMillis: 400) else { Issue.record("a run-out lease is taken"); return }
        #expect(try a.renew(node: "a", leases: [("city-hall", 1, 7)], leaseMillis: 400).renewed.isEmpty, "a cannot renew what b holds now")
        // b stops: its spaces are free at once, not after the lease.
        try b.releaseAll(node: "b")
        guard case .granted = try a.claim(space: "city-hall", instance: 1, node: "a", capacity: 500, leaseMillis: 400) else { Issue.record("a released space is granted at once"); return }
    }

    @Test func nodesAreLiveWhileTheyAnnounceThemselvesAndServe() throws {
        let store = try PostgresStore(location: try scratch().database(), access: .server)
        try store.announce(node: "a", address: "127.0.0.2:7777", prefers: ["seoul-plaza", "city-hall"], population: 12)
        try store.announce(node: "b", address: "127.0.0.3:7777", prefers: [], population: 0)
        try store.announce(node: "b", address: "", prefers: [], population: 0, stopped: true)
        let view = try store.directory(liveMillis: 5_000)
        // When each was last heard, on the database's clock: at or before the read, in order.
        let seen = view.nodes.map(\.seenAtMillis)
        #expect(seen.count == 2 && seen[0] <= seen[1] && seen[1] <= view.atMillis && seen[0] > view.atMillis - 5_000, "\(seen) read at \(view.atMillis)")
        #expect(view.nodes.map { ClusterNode(name: $0.name, address: $0.address, prefers: $0.prefers, live: $0.live, population: $0.population) }
                == [ClusterNode(name: "a", address: "127.0.0.2:7777", prefers: ["seoul-plaza", "city-hall"], live: true, population: 12),
                    ClusterNode(name: "b", address: "", prefers: [], live: false, population: 0)])
        Thread.sleep(forTimeInterval: 0.3)
        #expect(try store.directory(liveMillis: 200).nodes.first?.live == false, "a node unheard past the window is not live")
    }

    @Test func aTicketIsRedeemedOnceHoweverManyTryAtOnce() throws {
        let location = try scratch().database()
        let stores = try (0..<4).map { _ in try PostgresStore(location: location, access: .server) }
        let lock = NSLock()
        nonisolated(unsafe) var admitted: [Int] = []
        let threads = stores.enumerated().map { i, store in
            Thread {
                for ticket in 0..<20 where (try? store.redeemTicket(id: "ticket-\(ticket)", node: "n\(i)", expiresAtMillis: Int64.max / 2)) == true {
                    lock.withLock { admitted.append(ticket) }
                }
            }
        }
        threads.forEach { $0.start() }
        while !threads.allSatisfy(\.isFinished) { Thread.sleep(forTimeInterval: 0.02) }
        #expect(admitted.sorted() == Array(0..<20), "each of 20 tickets admitted exactly once among 4 racing nodes")
        #expect(try stores[0].redeemTicket(id: "ticket-3", node: "n0", expiresAtMillis: Int64.max / 2) == false)
    }

    /// Presence (Presence.swift): a node's rows are replaced whole; a node that stopped, or went
    /// unheard past the liveness window, is not answered; a relayed payload reaches every
    /// listener as sent, and one too large for NOTIFY is refused before it is sent.
    @Test func presenceIsEachLiveNodesOwnAndRelayedPayloadsArriveWhole() throws {
        let location = try scratch().database()
        let one = try PostgresStore(location: location, access: .server), two = try PostgresStore(location: location, access: .server)
        for (store, node) in [(one, "one"), (two, "two")] { try store.announce(node: node, address: "127.0.0.1:1", prefers: [], population: 1) }
        func person(_ session: Int64, _ account: String?, _ space: String?) -> PresenceEntry {
            PresenceEntry(node: "ignored", sessionID: session, accountID: account, displayName: account ?? "손님", role: account == nil ? .guest : .member,
                          spaceID: space, sinceMillis: 1_000 + session)
        }
        try one.publishPresence(node: "one", people: [person(1, "ann", "seoul-plaza"), person(-7, nil, "city-hall")])
        try two.publishPresence(node: "two", people: [person(1, "ann", nil), person(2, "ben", "city-hall")])
        let all = try one.presence(liveMillis: 60_000)
        #expect(all.map { "\($0.node)/\($0.sessionID)/\($0.accountID ?? "-")/\($0.spaceID ?? "-")" } == ["one/-7/-/city-hall", "one/1/ann/seoul-plaza", "two/1/ann/-", "two/2/ben/city-hall"],
                "\(all)")
        #expect(try one.whereIs(account: "ann", except: "one", liveMillis: 60_000).map(\.node) == ["two"])
        #expect(try one.whereIs(account: "nobody", except: "one", liveMillis: 60_000).isEmpty)
        // Replaced whole: ann left node one.
        try one.publishPresence(node: "one", people: [person(-7, nil, "city-hall")])
        #expect(try two.whereIs(account: "ann", except: "two", liveMillis: 60_000).isEmpty)
        // A node stopped, or unheard past the window, is not answered.
        try two.announce(node: "two", address: "", prefers: [], population: 0, stopped: true)
        #expect(try one.presence(liveMillis: 60_000).map(\.node) == ["one"])
        Thread.sleep(forTimeInterval: 0.3)
        #expect(try one.presence(liveMillis: 200).isEmpty)

        let heard = NSLock()
        nonisolated(unsafe) var payloads: [String] = []
        try two.listen(PostgresStore.relayChannel) { payload in heard.withLock { payloads.append(payload) } }
        _ = try two.databaseMillis()
        let text = #"{"kind":"direct","text":"안녕 \"따옴표\" 'quote'"}"#
        try one.relay(text)
        let deadline = Date().addingTimeInterval(5)
        while heard.withLock({ payloads.isEmpty }) && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        #expect(heard.withLock { payloads } == [text])
        #expect(throws: RelayTooLarge.self) { try one.relay(String(repeating: "가", count: 3_000)) }
    }
}
