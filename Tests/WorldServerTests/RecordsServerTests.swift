// The server's records through a live server: visits of clients travelling between spaces,
// checked row by row against what the clients themselves saw, and `stats` against a count
// from those logs; bug reports acknowledged only once stored, with where and when; a full
// store queue answered with `busy`.

import Foundation
import GRDB
import NetProto
import Transport
import Store
import Testing
import WorldClient
@testable import WorldServer

@Suite(.serialized, .timeLimit(.minutes(10))) struct RecordsServerTests {
    static func databasePath() -> String {
        let directory = NSTemporaryDirectory() + "seoulworld-records-\(UUID().uuidString)"
        return directory + "/records.sqlite"
    }

    static func token(_ account: String) -> [UInt8] {
        MemberToken(accountID: account, displayName: "시민 \(account)", roles: [.member],
                    expiresAtUnixSeconds: UInt64(Date().timeIntervalSince1970) + 3_600).signed(secret: Shipped.secret)
    }

    @Test func travellersVisitsAreRecordedExactlyAndStatsAgreeWithTheirLogs() throws {
        let path = Self.databasePath()
        let running = try RunningServer { $0.store = StoreSettings(path: path) }
        let loop = try UVLoop()
        defer { loop.closeAll() }
        // Eight members and four guests, each with its own tour; how each ends differs.
        let tours = [["seoul-plaza", "city-hall", "deoksugung"], ["city-hall", "seoul-plaza"], ["gwanghwamun-square", "gyeongbokgung", "seoul-plaza", "city-hall"]]
        let clients = try (0..<12).map { i in
            try WorldClient(loop: loop, server: running.address, credentials: i < 8 ? .member(token: Self.token("citizen-\(i % 6)")) : .guest(displayName: "guest-\(i)"))
        }
        drive(loop, clients, seconds: 10) { clients.allSatisfy { $0.welcome != nil } }
        try #require(clients.allSatisfy { $0.welcome != nil })
        for step in 0..<4 {
            for (i, c) in clients.enumerated() where step < tours[i % 3].count { c.enter(tours[i % 3][step]) }
            drive(loop, clients, seconds: 10) { clients.enumerated().allSatisfy { i, c in c.enteredSpaces.count == min(step + 1, tours[i % 3].count) } }
            drive(loop, clients, seconds: 0.3)
        }
        // Endings: a third leave the space, a third hang up, a third stay until the server stops.
        // Each ending must have reached the server before it stops, or it would be recorded as the stop.
        for (i, c) in clients.enumerated() where i % 3 == 0 { c.leave() }
        drive(loop, clients, seconds: 10) { clients.enumerated().allSatisfy { i, c in i % 3 != 0 || c.space == nil } }
        for (i, c) in clients.enumerated() where i % 3 == 1 { c.close() }
        let staying = clients.indices.filter { $0 % 3 != 1 }.count
        drive(loop, clients, seconds: 10) { running.server.inspect { $0.sessions.count } == staying }
        try #require(running.server.inspect { $0.sessions.count } == staying)
        let sessionOf = Dictionary(uniqueKeysWithValues: clients.map { ($0.welcome!.sessionID, $0) })
        running.stop()

        let store = try Store(path: path, readOnly: true)
        let rows = try store.read { db in
            try Row.fetchAll(db, sql: "SELECT session_id, account_id, role, space_id, entered_at_ms, left_at_ms, end_reason FROM visits ORDER BY session_id, entered_at_ms")
        }
        var bySession: [UInt64: [Row]] = [:]
        for row in rows { bySession[UInt64(bitPattern: row["session_id"]), default: []].append(row) }
        #expect(bySession.count == 12)
        for (session, visits) in bySession {
            let client = try #require(sessionOf[session])
            let i = clients.firstIndex { $0 === client }!
            #expect(visits.map { $0["space_id"] as String } == client.enteredSpaces, "the store has the spaces the client entered, in order")
            #expect(visits.allSatisfy { ($0["role"] as Int) == (i < 8 ? 1 : 0) })
            #expect(visits.allSatisfy { ($0["account_id"] as String?) == (i < 8 ? "citizen-\(i % 6)" : nil) })
            for (k, v) in visits.enumerated() {
                let entered: Int64 = v["entered_at_ms"], left: Int64? = v["left_at_ms"]
                let end = try #require(left, "every visit is closed once the server stopped")
                #expect(end >= entered)
                if k + 1 < visits.count {
                    #expect(v["end_reason"] == "travel")
                    #expect(end <= visits[k + 1]["entered_at_ms"] as Int64, "a session's visits never overlap")
                }
            }
            let last: String = visits.last!["end_reason"]
            #expect(last == ["leave", "disconnect", "shutdown"][i % 3], "client \(i) ended with \(last)")
        }

        // `stats` agrees with a count made from the clients' own logs.
        let now = ServerClock.system.wallMillis()
        let report = try store.stats(StatsRequest(fromMillis: now - 86_400_000, toMillis: now + 60_000, period: .month, spaceID: nil,
                                                  timeZone: TimeZone(identifier: "Asia/Seoul")!, nowMillis: now))
        var expected: [String: Int] = [:]
        for c in clients { for s in c.enteredSpaces { expected[s, default: 0] += 1 } }
        var counted: [String: Int] = [:]
        for row in report.spaces where row.space != UsageStats.allSpaces { counted[row.space, default: 0] += row.visits }
        #expect(counted == expected)
        let all = report.spaces.filter { $0.space == UsageStats.allSpaces }
        #expect(all.reduce(0) { $0 + $1.uniqueMembers } == 6)
        #expect(all.reduce(0) { $0 + $1.guestVisits } == clients[8...].reduce(0) { $0 + $1.enteredSpaces.count })
        let accounts = try store.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM accounts") }
        #expect(accounts == 6)
        let runs = try store.read { db in try Row.fetchAll(db, sql: "SELECT stop_reason FROM server_runs") }
        #expect(runs.map { $0["stop_reason"] as String? } == ["stopped"])
    }

    @Test func bugReportsAreAnsweredWithTheirIdOnlyOnceStored() throws {
        let path = Self.databasePath()
        let running = try RunningServer { $0.store = StoreSettings(path: path) }
        let loop = try UVLoop()
        defer { loop.closeAll() }
        let guest = try WorldClient(loop: loop, server: running.address, credentials: .guest(displayName: "visitor"))
        let member = try WorldClient(loop: loop, server: running.address, credentials: .member(token: Self.token("reporter")))
        drive(loop, [guest, member], seconds: 10) { guest.welcome != nil && member.welcome != nil }
        guest.enter("seoul-plaza")
        drive(loop, [guest, member], seconds: 10) { guest.space != nil }
        guest.move(.go(heading: 0, pace: 1))
        drive(loop, [guest, member], seconds: 1)
        let text = "분수 옆에서 아바타가 멈춰요 (the avatar freezes by the fountain) 👨‍👩‍👧"
        let a = guest.reportBug(text)
        let b = member.reportBug("the world map button does nothing")
        drive(loop, [guest, member], seconds: 10) { guest.bugReportsFiled.count == 1 && member.bugReportsFiled.count == 1 }
        let guestID = try #require(guest.bugReportsFiled.first { $0.requestID == a }?.reportID)
        let memberID = try #require(member.bugReportsFiled.first { $0.requestID == b }?.reportID)
        #expect(guestID != memberID)
        // Read while the server runs: the acknowledged rows are already there.
        let position = running.server.inspect { server -> (Int32, Int32) in
            let p = server.world("seoul-plaza")!.avatars.first!.position
            return (p.x, p.y)
        }
        let store = try Store(path: path, readOnly: true)
        let rows = try store.read { db in try Row.fetchAll(db, sql: "SELECT * FROM bug_reports ORDER BY id") }
        let g = try #require(rows.first { ($0["id"] as Int64) == Int64(guestID) })
        #expect(g["description"] == text)
        #expect(g["space_id"] == "seoul-plaza")
        #expect(g["account_id"] == nil as String?)
        #expect(g["role"] == 0)
        #expect(g["server_version"] == Server.version)
        #expect((g["tick"] as Int64?) ?? 0 > 0)
        // The avatar walked on after the report; it was there, east of where it is now at most.
        #expect(abs((g["x_cm"] as Int) - Int(position.0)) < 2_000 && (g["y_cm"] as Int) == Int(position.1))
        let m = try #require(rows.first { ($0["id"] as Int64) == Int64(memberID) })
        #expect(m["account_id"] == "reporter")
        #expect(m["space_id"] == nil as String?, "a member outside any space reports without a position")
        running.stop()
        let events = try store.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM service_events WHERE service = 'bug-report' AND kind = 'filed'") }
        #expect(events == 2)
    }

    @Test func aFullStoreQueueAnswersBusyAndStoresWhatItAcknowledged() throws {
        let path = Self.databasePath()
        let running = try RunningServer { $0.store = { var s = StoreSettings(path: path); s.queueMax = 1; return s }() }
        defer { running.stop() }
        // Another connection takes the write lock: the writer waits, and its queue fills.
        var holding = Configuration()
        holding.allowsUnsafeTransactions = true
        let blocker = try DatabaseQueue(path: path, configuration: holding)
        try blocker.writeWithoutTransaction { db in try db.execute(sql: "BEGIN IMMEDIATE") }
        let loop = try UVLoop()
        defer { loop.closeAll() }
        let guest = try WorldClient(loop: loop, server: running.address, credentials: .guest(displayName: "visitor"))
        drive(loop, [guest], seconds: 10) { guest.welcome != nil }
        let requests = (0..<4).map { guest.reportBug("report \($0)") }
        drive(loop, [guest], seconds: 2) { guest.errors.filter { $0.code == .busy }.count >= 2 }
        let busy = guest.errors.filter { $0.code == .busy }
        #expect(busy.count >= 2, "with one place in the queue and the writer held, at least two of four are refused")
        #expect(busy.allSatisfy { requests.contains($0.requestID) && $0.text.contains("send it again") })
        try blocker.writeWithoutTransaction { db in try db.execute(sql: "COMMIT") }
        drive(loop, [guest], seconds: 10) { guest.bugReportsOutstanding == 0 }
        // Counted again: a third refusal may arrive after the wait above stopped at two.
        let refused = guest.errors.filter { $0.code == .busy }
        #expect(guest.bugReportsFiled.count + refused.count == 4)
        let stored = try blocker.read { db in try String.fetchAll(db, sql: "SELECT description FROM bug_reports ORDER BY id") }
        let acknowledged = guest.bugReportsFiled.map { r in "report \(requests.firstIndex(of: r.requestID)!)" }
        #expect(stored == acknowledged, "every acknowledged report is stored, and nothing refused is")
    }
}
