// The suggestion box and the inbox through the real server on virtual time (PROTOCOL.md 7.14
// and 7.15): a filing kept, then answered with its tracking number; the day's limit, abuse and
// a guest refused, each with its code; answerers taking, racing and answering, the answer
// reaching the citizen at once when online and at the next sign-in when not; the public board
// showing only what citizens consented to; a flood from one connection refused at the door.

import Foundation
import Logging
import NetProto
import ServiceFiles
import Services
import Store
import Testing
@testable import WorldServer

@Suite(.serialized, .timeLimit(.minutes(10))) struct SuggestionsServerTests {
    static func driver(folder: String) throws -> VirtualDriver {
        var configuration = ServerConfiguration(tokenSecret: CitySimulation.secret)
        configuration.statusEverySeconds = 3_600
        configuration.randomSeed = 1
        configuration.store = StoreSettings(path: folder + "/city.sqlite")
        configuration.profanity = try ProfanityFilter.load(directory: Shipped.worlds.deletingLastPathComponent().appendingPathComponent("policy").path)
        var logger = Logger(label: "suggestions")
        logger.logLevel = .critical
        return try VirtualDriver(configuration: configuration, catalog: Shipped.catalog, logger: logger, wallStartMillis: CitySimulation.startWallMillis)
    }

    static func filing(_ title: String, consent: Bool = true, body: String = "분수대 옆에 벤치를 더 놓아 주세요.") -> SuggestionFiling {
        SuggestionFiling(category: 3, publicConsent: consent, space: "seoul-plaza", title: title, body: body)
    }

    static func error(_ c: SimulatedClient, _ request: UInt32) -> (ErrorCode, String)? {
        c.messages.compactMap { if case .error(let code, request, let text) = $0 { (code, text) } else { nil } }.first
    }

    static func filed(_ c: SimulatedClient, _ request: UInt32) -> (UInt64, String)? {
        c.messages.compactMap { if case .suggestionFiled(request, let id, let n) = $0 { (id, n) } else { nil } }.first
    }

    static func text(_ c: SimulatedClient, _ request: UInt32) -> SuggestionText? {
        c.messages.compactMap { if case .suggestionText(request, let t) = $0 { t } else { nil } }.first
    }

    static func list(_ c: SimulatedClient, _ request: UInt32) -> [SuggestionSummary]? {
        c.messages.compactMap { if case .suggestionList(request, _, _, let l) = $0 { l } else { nil } }.first
    }

    static func pushed(_ c: SimulatedClient) -> [InboxEntry] { c.messages.compactMap { if case .inboxItem(0, let e) = $0 { e } else { nil } } }

    @Test func aSuggestionIsFiledAnsweredAndTheCitizenToldOnlineOrLater() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("suggestions-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let driver = try Self.driver(folder: folder)
        defer { driver.stop() }
        let citizen = VirtualTimeTests.client(driver, 1, space: "city-hall")
        let guest = VirtualTimeTests.client(driver, 2, .guest, space: "city-hall")
        let staff = VirtualTimeTests.client(driver, 3, .staff)
        let colleague = VirtualTimeTests.client(driver, 4, .staff)
        let everyone = [citizen, guest, staff, colleague]
        #expect(citizen.messages.contains(.inboxCount(total: 0, unread: 0)), "the inbox's counts after sign-in")

        // Three a day; a fourth refused by the store's count; abuse and a guest refused.
        var numbers: [(UInt64, String)] = []
        for (i, consent) in [true, false, true].enumerated() {
            let r = citizen.request()
            citizen.send(.fileSuggestion(requestID: r, Self.filing("벤치 \(i)", consent: consent)))
            VirtualTimeTests.settle(driver, everyone)
            numbers.append(try #require(Self.filed(citizen, r), "filed \(i): \(String(describing: Self.error(citizen, r)))"))
        }
        #expect(numbers.map(\.1) == ["S-2026-000001", "S-2026-000002", "S-2026-000003"])
        let fourth = citizen.request()
        citizen.send(.fileSuggestion(requestID: fourth, Self.filing("네 번째")))
        let rude = citizen.request()
        citizen.send(.fileSuggestion(requestID: rude, Self.filing("벤치", body: "씨발 벤치가 없잖아")))
        let byGuest = guest.request()
        guest.send(.fileSuggestion(requestID: byGuest, Self.filing("guest")))
        VirtualTimeTests.settle(driver, everyone)
        #expect(Self.error(citizen, fourth)?.0 == .limitReached && Self.error(citizen, fourth)?.1.contains("3 suggestions a day") == true)
        #expect(Self.error(citizen, rude)?.0 == .invalidText && Self.error(citizen, rude)?.1.contains("write it without them") == true, "\(String(describing: Self.error(citizen, rude)))")
        #expect(Self.error(guest, byGuest)?.0 == .guestNotAllowed)

        // The queue is for answerers; staff-3 takes #1, staff-4 may not answer it, staff-3 does.
        let queueByCitizen = citizen.request()
        citizen.send(.listSuggestions(requestID: queueByCitizen, scope: .queue, offset: 0))
        let queue = staff.request()
        staff.send(.listSuggestions(requestID: queue, scope: .queue, offset: 0))
        VirtualTimeTests.settle(driver, everyone)
        #expect(Self.error(citizen, queueByCitizen)?.0 == .forbidden)
        #expect(Self.list(staff, queue)?.map(\.trackingNumber) == ["S-2026-000001", "S-2026-000002", "S-2026-000003"])
        let take = staff.request()
        staff.send(.handleSuggestion(requestID: take, id: 1, action: .take, text: ""))
        VirtualTimeTests.settle(driver, everyone)
        #expect(Self.text(staff, take)?.summary.state == 1, "in review")
        let race = colleague.request()
        colleague.send(.handleSuggestion(requestID: race, id: 1, action: .answer, text: "mine"))
        VirtualTimeTests.settle(driver, everyone)
        #expect(Self.error(colleague, race)?.0 == .conflict && Self.error(colleague, race)?.1.contains("in review by staff-3") == true)
        let answer = staff.request()
        staff.send(.handleSuggestion(requestID: answer, id: 1, action: .answer, text: "3월에 벤치 여섯 개를 놓습니다."))
        VirtualTimeTests.settle(driver, everyone)
        #expect(Self.text(staff, answer)?.summary.state == 2 && Self.text(staff, answer)?.response == "3월에 벤치 여섯 개를 놓습니다.")
        let told = try #require(Self.pushed(citizen).first, "the citizen, online, is told at once")
        #expect(told.kind == 0 && told.reference == "S-2026-000001" && told.body == "3월에 벤치 여섯 개를 놓습니다." && told.title.contains("was answered"))
        let again = staff.request()
        staff.send(.handleSuggestion(requestID: again, id: 1, action: .close, text: "twice"))
        VirtualTimeTests.settle(driver, everyone)
        #expect(Self.error(staff, again)?.0 == .conflict && Self.error(staff, again)?.1.contains("answered already") == true)

        // The public board: #1 (consented, answered) for anyone; #2 (no consent) for nobody else.
        let board = guest.request()
        guest.send(.listSuggestions(requestID: board, scope: .answered, offset: 0))
        let readOne = guest.request()
        guest.send(.readSuggestion(requestID: readOne, id: 1))
        let readTwo = guest.request()
        guest.send(.readSuggestion(requestID: readTwo, id: 2))
        VirtualTimeTests.settle(driver, everyone)
        #expect(Self.list(guest, board)?.map(\.id) == [1])
        #expect(Self.text(guest, readOne)?.response == "3월에 벤치 여섯 개를 놓습니다.")
        #expect(Self.error(guest, readTwo)?.0 == .unknownTarget)

        // Closed while the citizen is away: told at the next sign-in, read, marked.
        citizen.send(.goodbye)
        VirtualTimeTests.settle(driver, everyone)
        let close = colleague.request()
        colleague.send(.handleSuggestion(requestID: close, id: 2, action: .close, text: "S-2026-000001과 같은 건의입니다."))
        VirtualTimeTests.settle(driver, [guest, staff, colleague])
        #expect(Self.text(colleague, close)?.summary.state == 3)
        let back = VirtualTimeTests.client(driver, 1)
        #expect(back.messages.contains(.inboxCount(total: 2, unread: 2)), "\(back.messages.filter { $0.type == 0x63 })")
        let inbox = back.request()
        back.send(.listInbox(requestID: inbox, offset: 0))
        VirtualTimeTests.settle(driver, [back])
        let lists: [[InboxEntry]] = back.messages.compactMap { if case .inboxList(inbox, _, _, _, let e) = $0 { e } else { nil } }
        let entries = lists.first ?? []
        #expect(entries.map(\.reference) == ["S-2026-000002", "S-2026-000001"] && entries.allSatisfy { $0.body.isEmpty && !$0.read })
        let open = back.request()
        back.send(.readInbox(requestID: open, id: entries[0].id))
        VirtualTimeTests.settle(driver, [back])
        #expect(back.messages.contains { if case .inboxItem(open, let e) = $0 { e.body == "S-2026-000001과 같은 건의입니다." && e.kind == 1 } else { false } })
        back.send(.goodbye)
        VirtualTimeTests.settle(driver, [back])
        let later = VirtualTimeTests.client(driver, 1)
        #expect(later.messages.contains(.inboxCount(total: 2, unread: 1)), "the read mark was kept")

        // The service events `stats` counts: three filed, one answered (with its time), one closed.
        let store = try Store(path: folder + "/city.sqlite", readOnly: true)
        let services = try store.read { db in try String.fetchAll(db, sql: "SELECT service FROM service_events WHERE service LIKE 'suggestion-%' ORDER BY id") }
        #expect(services == ["suggestion-filed", "suggestion-filed", "suggestion-filed", "suggestion-answered", "suggestion-closed"])
        // The inbox's one message read, once (reading it again is not a second use).
        let reads = try store.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM service_events WHERE service = 'inbox' AND kind = 'read' AND duration_ms >= 0") }
        #expect(reads == 1)
    }

    @Test func aFloodFromOneConnectionIsRefusedAtTheDoorAndTheDaysLimitHolds() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("suggestions-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let driver = try Self.driver(folder: folder)
        defer { driver.stop() }
        let flooder = VirtualTimeTests.client(driver, 1)
        let requests = (0..<200).map { i -> UInt32 in
            let r = flooder.request()
            flooder.send(.fileSuggestion(requestID: r, Self.filing("벤치 \(i)")))
            return r
        }
        VirtualTimeTests.settle(driver, [flooder], millis: 2_000)
        let filed = requests.filter { Self.filed(flooder, $0) != nil }
        let limited = requests.filter { Self.error(flooder, $0)?.0 == .rateLimited }
        let overTheDay = requests.filter { Self.error(flooder, $0)?.0 == .limitReached }
        #expect(filed.count == 3, "the day's three")
        #expect(filed.count + limited.count + overTheDay.count == 200, "every request answered once")
        #expect(limited.count >= 190, "at most \(SuggestionsSubsystem.pendingMax) waited for the store at a time: \(limited.count) refused at the door")
        #expect(driver.server.counters.suggestionsRateLimited == limited.count)
    }
}
