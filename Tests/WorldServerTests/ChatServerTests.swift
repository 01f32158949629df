// Chat, the guest rule, blocks, reports with evidence, staff actions and bans through a live
// server, each rule checked by what the clients receive (and what the store holds).

import ChildProcess
import Transport
import Foundation
import GRDB
import NetProto
import Recording
import ServiceFiles
import Services
import Store
import Testing
import WorldClient
@testable import WorldServer

enum Policy {
    static let directory = Shipped.worlds.deletingLastPathComponent().appendingPathComponent("policy").path
    static let filter = try! ProfanityFilter.load(directory: directory)
}

@Suite(.serialized, .timeLimit(.minutes(10))) struct ChatServerTests {
    static func token(_ account: String, staff: Bool = false) -> [UInt8] {
        MemberToken(accountID: account, displayName: "시민 \(account)", roles: staff ? [.member, .staff] : [.member],
                    expiresAtUnixSeconds: UInt64(Date().timeIntervalSince1970) + 3_600).signed(secret: Shipped.secret)
    }

    /// Runs the `seoulworld` binary built beside the tests; its exit status and output. A run
    /// still going after `deadlineSeconds` is killed and fails the test that asked (a command
    /// expected to refuse and end, such as `serve` with a bad option, must not hang the suite).
    static func seoulworld(_ arguments: [String], deadlineSeconds: Double = 60) throws -> (Int32, String) {
        let outcome = try ChildProcess.run(ChildServer.binary, arguments, deadlineSeconds: deadlineSeconds)
        #expect(!outcome.timedOut, "seoulworld \(arguments.joined(separator: " ")): \(outcome)")
        return (outcome.status, outcome.output)
    }

    /// A server with the shipped filter (and a store unless `store` is false), and `accounts`
    /// connected as members (names starting "guest" connect as guests), all in `space`.
    static func start(_ accounts: [String], space: String = "seoul-plaza", store: Bool = true, staff: Set<String> = [],
                      configure: (inout ServerConfiguration) -> Void = { _ in }) throws -> (RunningServer, UVLoop, [WorldClient], String) {
        let path = RecordsServerTests.databasePath()
        let running = try RunningServer {
            if store { $0.store = StoreSettings(path: path) }
            $0.profanity = Policy.filter
            configure(&$0)
        }
        let loop = try UVLoop()
        let clients = try accounts.map { a in
            try WorldClient(loop: loop, server: running.address,
                            credentials: a.hasPrefix("guest") ? .guest(displayName: a) : .member(token: token(a, staff: staff.contains(a))))
        }
        drive(loop, clients, seconds: 10) { clients.allSatisfy { $0.welcome != nil } }
        for c in clients { c.enter(space) }
        drive(loop, clients, seconds: 10) { clients.allSatisfy { $0.space != nil } }
        return (running, loop, clients, path)
    }

    @Test func nearbyReachesTheFloorWithinTheRadiusAndRoomReachesEveryone() throws {
        let (running, loop, clients, _) = try Self.start((0..<8).map { "citizen-\($0)" })
        defer { running.stop(); loop.closeAll() }
        try #require(clients.allSatisfy { $0.entity != nil })
        let speaker = clients[0]
        // Set the radius to split the listeners: the median distance from the speaker.
        let distances = running.server.inspect { server -> [UInt32: Double] in
            let world = server.world("seoul-plaza")!
            let me = world.avatars.first { SnapshotFeed.entity($0.id) == speaker.entity! }!
            var out: [UInt32: Double] = [:]
            for a in world.avatars {
                let dx = Double(a.position.x - me.position.x), dy = Double(a.position.y - me.position.y)
                out[SnapshotFeed.entity(a.id)] = (dx * dx + dy * dy).squareRoot()
            }
            return out
        }
        let others = clients.dropFirst().map { distances[$0.entity!]! }.sorted()
        let radius = Int32((others[3] + others[4]) / 2)
        running.server.inspect { $0.host.spaces["seoul-plaza"]!.chatRadiusCentimetres = radius }
        let request = speaker.chat(.nearby, "안녕하세요, 광장 분들")
        let expected = Set(clients.dropFirst().filter { distances[$0.entity!]! <= Double(radius) }.map(\.entity!))
        drive(loop, clients, seconds: 10) {
            speaker.chatAnswers.contains { $0.requestID == request } && clients.allSatisfy { !expected.contains($0.entity!) || !$0.chatReceived.isEmpty }
        }
        drive(loop, clients, seconds: 0.3) // and no one else: a delivery to someone out of reach would have come by now
        let heard = Set(clients.dropFirst().filter { !$0.chatReceived.isEmpty }.map(\.entity!))
        #expect(expected.count == 4 && heard == expected, "nearby reaches exactly those within \(radius) cm")
        #expect(speaker.chatAnswers.last?.recipients == 4)
        for c in clients.dropFirst() where heard.contains(c.entity!) {
            let m = c.takeChat()[0]
            #expect(m.channel == .nearby && m.senderEntity == speaker.entity && m.senderName == "시민 citizen-0" && m.text == "안녕하세요, 광장 분들")
            #expect(abs(Int64(m.serverTimeMillis) - ServerClock.system.wallMillis()) < 10_000)
        }
        speaker.chat(.room, "everyone")
        drive(loop, clients, seconds: 5) { clients.dropFirst().allSatisfy { !$0.chatReceived.isEmpty } }
        #expect(clients.dropFirst().allSatisfy { $0.chatReceived.first?.channel == .room })
        #expect(speaker.chatReceived.isEmpty, "a sender does not receive its own message")
    }

    @Test func directByEntityAndAccountAndBlocksBothWays() throws {
        let (running, loop, clients, _) = try Self.start(["ana", "bo", "cy"])
        defer { running.stop(); loop.closeAll() }
        let (a, b, c) = (clients[0], clients[1], clients[2])
        c.enter("city-hall")
        drive(loop, clients, seconds: 5) { c.space == "city-hall" }
        a.chat(.directEntity(b.entity!), "to bo")
        a.chat(.directAccount("cy"), "to cy in city hall")
        drive(loop, clients, seconds: 5) { !b.chatReceived.isEmpty && !c.chatReceived.isEmpty }
        #expect(b.chatReceived.map(\.text) == ["to bo"] && b.chatReceived[0].senderEntity == a.entity && b.chatReceived[0].channel == .direct)
        #expect(c.chatReceived.map(\.text) == ["to cy in city hall"] && c.chatReceived[0].senderEntity == 0, "no entity across spaces")
        _ = b.takeChat()
        // bo blocks ana (by entity): nothing passes either way, and ana is not told why.
        let blocking = b.block(.entity(a.entity!))
        drive(loop, clients, seconds: 5) { b.done.contains(blocking) }
        let first = a.chat(.directEntity(b.entity!), "hello?")
        let second = a.chat(.room, "anyone")
        let third = b.chat(.room, "bo speaking")
        drive(loop, clients, seconds: 5) { [first, second].allSatisfy { r in a.chatAnswers.contains { $0.requestID == r } } && b.chatAnswers.contains { $0.requestID == third } }
        drive(loop, clients, seconds: 0.3)
        #expect(a.chatAnswers.first { $0.requestID == first }?.recipients == 0)
        #expect(b.chatReceived.isEmpty, "bo receives nothing from ana")
        #expect(!a.chatReceived.contains { $0.text == "bo speaking" }, "ana receives nothing from bo")
        let listing = b.listBlocks()
        drive(loop, clients, seconds: 5) { b.blockLists[listing] != nil }
        #expect(b.blockLists[listing] == ["ana"])
        // The block is stored: a new session of bo's still blocks ana.
        let again = try WorldClient(loop: loop, server: running.address, credentials: .member(token: Self.token("bo")))
        drive(loop, clients + [again], seconds: 5) { again.welcome != nil }
        let relisting = again.listBlocks()
        drive(loop, clients + [again], seconds: 5) { again.blockLists[relisting] != nil }
        #expect(again.blockLists[relisting] == ["ana"])
        let unblocking = b.block(.account("ana"), on: false)
        drive(loop, clients + [again], seconds: 5) { b.done.contains(unblocking) }
        a.chat(.directEntity(b.entity!), "now?")
        drive(loop, clients + [again], seconds: 5) { !b.chatReceived.isEmpty }
        #expect(b.chatReceived.map(\.text) == ["now?"])
    }

    @Test func aGuestMayLookAndReportButNothingElse() throws {
        let (running, loop, clients, _) = try Self.start(["guest-1", "member-1"])
        defer { running.stop(); loop.closeAll() }
        let (guest, member) = (clients[0], clients[1])
        let requests = [
            guest.chat(.nearby, "hi"), guest.chat(.room, "hi"), guest.chat(.directEntity(member.entity!), "hi"),
            guest.chat(.directAccount("member-1"), "hi"), guest.chat(.announceSpace, "hi"), guest.chat(.announceAll, "hi"),
            guest.block(.entity(member.entity!)), guest.block(.account("member-1"), on: false), guest.listBlocks(),
            guest.staff(.kick, .entity(member.entity!), reason: "x"), guest.staff(.resolveReport, .report(1), reason: "x"),
            // Rooms and queues (issue 12).
            guest.openRoom(template: "conference-room", title: "x"), guest.enterRoom(1), guest.deskDuty("counselling-120"),
            guest.joinQueue("counselling-120"), guest.leaveQueue("counselling-120"), guest.takeNext("counselling-120"), guest.endSession(),
        ]
        drive(loop, clients, seconds: 5) { guest.errors.count >= requests.count }
        #expect(guest.errors.map(\.requestID) == requests)
        #expect(guest.errors.allSatisfy { $0.code == .guestNotAllowed })
        #expect(running.server.inspect { $0.counters.guestRefusals } == requests.count)
        #expect(member.chatReceived.isEmpty && member.notices.isEmpty && member.closeReason == nil, "nothing reached the member")
        // What a guest may do: report misconduct (and bugs), walk, look.
        let report = guest.reportUser(entity: member.entity!, reason: .other, description: "")
        drive(loop, clients, seconds: 5) { !guest.userReportsFiled.isEmpty }
        #expect(guest.userReportsFiled.first?.requestID == report)
    }

    @Test func staffAnnounceToTheSpaceOrEverySpaceAndOthersMayNot() throws {
        let (running, loop, clients, _) = try Self.start(["officer", "here", "there"], staff: ["officer"])
        defer { running.stop(); loop.closeAll() }
        let (officer, here, there) = (clients[0], clients[1], clients[2])
        there.enter("city-hall")
        drive(loop, clients, seconds: 5) { there.space == "city-hall" }
        let refused = here.chat(.announceAll, "I am not staff")
        officer.chat(.announceSpace, "the plaza closes at 22:00")
        drive(loop, clients, seconds: 5) { !here.chatReceived.isEmpty && here.errors.contains { $0.requestID == refused } }
        #expect(here.errors.last?.code == .forbidden)
        officer.chat(.announceAll, "새해 복 많이 받으세요")
        drive(loop, clients, seconds: 5) { here.chatReceived.count == 2 && !there.chatReceived.isEmpty }
        drive(loop, clients, seconds: 0.3)
        #expect(here.chatReceived.map(\.text) == ["the plaza closes at 22:00", "새해 복 많이 받으세요"])
        #expect(there.chatReceived.map(\.text) == ["새해 복 많이 받으세요"], "the space announcement stays in its space")
        #expect(there.chatReceived.allSatisfy { $0.channel == .announcement && $0.senderEntity == 0 })
        #expect(officer.chatReceived.isEmpty)
    }

    @Test func theRateLimitRefusesAndThreeRefusalsMuteForAMinute() throws {
        let (running, loop, clients, path) = try Self.start(["fast", "listener"])
        defer { running.stop(); loop.closeAll() }
        let (fast, listener) = (clients[0], clients[1])
        let sent = (0..<8).map { fast.chat(.room, "message \($0)") }
        drive(loop, clients, seconds: 5) { fast.chatAnswers.count + fast.errors.count >= 8 && !fast.notices.isEmpty }
        #expect(fast.chatAnswers.map(\.requestID) == Array(sent[0..<5]), "a burst of five")
        #expect(fast.errors.map(\.requestID) == Array(sent[5..<8]) && fast.errors.allSatisfy { $0.code == .rateLimited })
        #expect(fast.notices.first?.kind == .muted)
        let until = try #require(fast.notices.first?.untilUnixMillis)
        #expect((50_000...70_000).contains(Int64(until) - ServerClock.system.wallMillis()))
        // Muted: even after the bucket refills.
        drive(loop, clients, seconds: 1.2)
        let muted = fast.chat(.room, "let me talk")
        drive(loop, clients, seconds: 5) { fast.errors.contains { $0.requestID == muted } }
        #expect(fast.errors.last?.code == .muted)
        #expect(listener.chatReceived.count == 5)
        // Recorded like a staff mute: a sanction by the system, and its audit row.
        let store = try Store(path: path, readOnly: true)
        drive(loop, clients, seconds: 10) { (try? store.auditEntries(account: "fast").first?.action) == .mute }
        let standing = try store.standing(of: "fast", nowMillis: ServerClock.system.wallMillis())
        #expect(standing.mute?.actor == "system")
        #expect(try store.auditEntries(account: "fast").first?.action == .mute)
    }

    @Test func profanityIsMaskedTheSenderToldAndCounted() throws {
        let (running, loop, clients, path) = try Self.start(["rude", "listener"])
        defer { running.stop(); loop.closeAll() }
        let (rude, listener) = (clients[0], clients[1])
        let r = rude.chat(.room, "what the ｆｕｃｋ, 시발")
        drive(loop, clients, seconds: 5) { !listener.chatReceived.isEmpty && rude.chatAnswers.contains { $0.requestID == r } }
        #expect(listener.chatReceived.first?.text == "what the ****, **")
        let answer = try #require(rude.chatAnswers.first)
        #expect(answer.filtered && answer.text == "what the ****, **")
        let clean = rude.chat(.room, "clean words only")
        drive(loop, clients, seconds: 5) { listener.chatReceived.count == 2 && rude.chatAnswers.contains { $0.requestID == clean } }
        #expect(listener.chatReceived.last?.text == "clean words only" && rude.chatAnswers.last?.filtered == false)
        let records = try Store(path: path, readOnly: true)
        drive(loop, clients, seconds: 10) { (try? records.filteredCount(of: "rude")) == 1 }
        #expect(try records.filteredCount(of: "rude") == 1)
        #expect(running.server.inspect { $0.counters.chatFiltered } == 1)
    }

    @Test func aReportCarriesTheChatAndBothTracks() throws {
        let directory = NSTemporaryDirectory() + "seoulworld-report-rec-\(UUID().uuidString)"
        let (running, loop, clients, path) = try Self.start(["victim", "harasser", "bystander"]) {
            $0.recording = RecorderSettings(directory: directory, serverVersion: Server.version)
        }
        defer { running.stop(); loop.closeAll() }
        let (victim, harasser, bystander) = (clients[0], clients[1], clients[2])
        harasser.move(.go(heading: 0, pace: 1))
        drive(loop, clients, seconds: 2.5)
        harasser.chat(.directEntity(victim.entity!), "you idiot, 병신")
        victim.chat(.room, "please stop")
        bystander.chat(.directEntity(harasser.entity!), "unrelated to the victim")
        drive(loop, clients, seconds: 5) { victim.chatReceived.count >= 1 && harasser.chatReceived.count >= 2 }
        let request = victim.reportUser(entity: harasser.entity!, reason: .harassment, description: "insults in direct messages")
        drive(loop, clients, seconds: 5) { !victim.userReportsFiled.isEmpty }
        let id = try #require(victim.userReportsFiled.first { $0.requestID == request }?.reportID)
        let report = try #require(try Store(path: path, readOnly: true).userReport(id: Int64(id)))
        #expect(report.reason == .harassment && report.reportedAccount == "harasser" && report.reporterAccount == "victim")
        #expect(report.spaceID == "seoul-plaza" && report.recordingFile?.hasPrefix(directory) == true && report.recordingTick != nil)
        let evidence = try ReportEvidence.decode(report.evidenceJSON)
        let lines = evidence.chat.map { "\($0.from)|\($0.sent)|\($0.delivered)|\($0.receivedBy)" }
        #expect(lines.contains("시민 harasser|you idiot, 병신|you idiot, **|[\"reporter\"]"), "the insult, as sent and as delivered")
        #expect(lines.contains { $0.hasPrefix("시민 victim|please stop") })
        #expect(lines.contains { $0.hasPrefix("시민 bystander|unrelated") }, "lines the reported person received are kept too")
        #expect(evidence.reported.positions.count >= 2 && evidence.reporter.positions.count >= 2)
        let track = evidence.reported.positions
        #expect(track.first!.x != track.last!.x || track.first!.y != track.last!.y, "the harasser's walk is in the track")
    }

    @Test func staffActAndAnOperatorsBanReachesAConnectedAccount() throws {
        let (running, loop, clients, path) = try Self.start(["officer", "troll", "other"], staff: ["officer"])
        defer { running.stop(); loop.closeAll() }
        let (officer, troll, other) = (clients[0], clients[1], clients[2])
        // Not staff: refused.
        let refused = other.staff(.kick, .entity(troll.entity!), reason: "I do not like them")
        drive(loop, clients, seconds: 5) { other.errors.contains { $0.requestID == refused } }
        #expect(other.errors.last?.code == .forbidden && troll.closeReason == nil)
        // Staff: warn, then mute for 10 minutes.
        let warned = officer.staff(.warn, .entity(troll.entity!), reason: "mind your language")
        let muted = officer.staff(.mute, .account("troll"), seconds: 600, reason: "insults")
        drive(loop, clients, seconds: 5) { officer.done.contains(warned) && officer.done.contains(muted) }
        #expect(troll.notices.map(\.kind) == [.warning, .muted])
        let speak = troll.chat(.room, "hello")
        drive(loop, clients, seconds: 5) { troll.errors.contains { $0.requestID == speak } }
        #expect(troll.errors.last?.code == .muted)
        // An operator bans with the command line, against the running server's database.
        // The server reads the audit trail every 2 s; how fast a ban lands is a figure for the
        // benchmarks, not this test (a busy machine starts a debug binary slowly): here only
        // that it lands, within a bound generous enough never to be the machine's fault.
        let (status, output) = try Self.seoulworld(["moderation", "ban", "troll", "--for", "1d", "--reason", "repeated insults", "--actor", "test", "--data", path])
        #expect(status == 0 && output.contains("troll banned until"), "\(output)")
        let tool = try Store(path: path, access: .operatorTool)
        drive(loop, clients, seconds: 30) { troll.closed }
        #expect(troll.closed, "the ban reached the connected account through the audit trail")
        #expect(troll.errors.last?.code == .banned)
        // And refused at authentication, with the time it ends.
        let back = try WorldClient(loop: loop, server: running.address, credentials: .member(token: Self.token("troll")))
        drive(loop, [back], seconds: 5) { back.closed }
        #expect(back.welcome == nil && back.errors.last?.code == .banned && back.errors.last?.text.contains("KST") == true)
        // Every action is in the audit trail: who, what, to whom, why.
        let audit = try tool.auditEntries(account: "troll")
        #expect(Set(audit.map(\.action)) == [.warn, .mute, .ban])
        #expect(audit.first { $0.action == .warn }?.actor == "staff:officer" && audit.first { $0.action == .ban }?.reason == "repeated insults")
        // Unbanned, the account comes back.
        let (unbanned, said) = try Self.seoulworld(["moderation", "unban", "troll", "--reason", "appeal accepted", "--data", path])
        #expect(unbanned == 0 && said.contains("troll unbanned"))
        let returned = try WorldClient(loop: loop, server: running.address, credentials: .member(token: Self.token("troll")))
        drive(loop, [returned], seconds: 5) { returned.welcome != nil || returned.closed }
        #expect(returned.welcome != nil)
    }
}
