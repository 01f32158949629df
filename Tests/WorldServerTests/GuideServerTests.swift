// The Angel Guide and the ethics code through the real server on virtual time (PROTOCOL.md
// 7.17): a member is asked to accept the current code after welcome, and what needs it is
// refused until then with the version named; an acceptance and the tutorial's steps outlive
// the connection; anyone reads the guide in their language; a wrong version or step is named.

import Foundation
import Logging
import NetProto
import ServiceFiles
import Services
import Store
import Testing
@testable import WorldServer

@Suite(.serialized, .timeLimit(.minutes(10))) struct GuideServerTests {
    static let guide = try! Guide.load(directory: Shipped.worlds.deletingLastPathComponent().appendingPathComponent("guide").path)

    static func driver(folder: String) throws -> VirtualDriver {
        var configuration = ServerConfiguration(tokenSecret: CitySimulation.secret)
        configuration.statusEverySeconds = 3_600
        configuration.randomSeed = 1
        configuration.store = StoreSettings(path: folder + "/city.sqlite")
        configuration.guide = guide
        var logger = Logger(label: "guide")
        logger.logLevel = .critical
        return try VirtualDriver(configuration: configuration, catalog: Shipped.catalog, logger: logger, wallStartMillis: CitySimulation.startWallMillis)
    }

    static func error(_ c: SimulatedClient, _ request: UInt32) -> (ErrorCode, String)? {
        c.messages.compactMap { if case .error(let code, request, let text) = $0 { (code, text) } else { nil } }.first
    }

    static func guideText(_ c: SimulatedClient, _ request: UInt32) -> GuideText? {
        c.messages.compactMap { if case .guideText(request, let t) = $0 { t } else { nil } }.first
    }

    @Test func aMemberAcceptsTheCodeBeforeSpeakingAndOnlyOnce() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("guide-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let driver = try Self.driver(folder: folder)
        defer { driver.stop() }
        let version = Self.guide.ethics.version
        let member = VirtualTimeTests.client(driver, 1, space: "seoul-plaza")
        #expect(member.messages.contains { if case .ethicsRequired(version, _) = $0 { true } else { false } }, "asked after welcome")

        // Until accepted: chat, a room, a suggestion and a report are refused with the version.
        let chat = member.request()
        member.send(.chat(requestID: chat, to: .nearby, text: "안녕하세요"))
        let room = member.request()
        member.send(.openRoom(requestID: room, template: "conference-room", title: "모임", access: .open))
        VirtualTimeTests.settle(driver, [member])
        for r in [chat, room] {
            #expect(Self.error(member, r)?.0 == .ethicsNotAccepted && Self.error(member, r)?.1.contains("version \(version)") == true)
        }
        #expect(driver.server.counters.ethicsRefusals == 2)

        // Read in English, a wrong version refused, the right one accepted; then speaking works.
        member.send(.setLanguage(requestID: member.request(), language: "en"))
        let read = member.request()
        member.send(.readGuide(requestID: read, part: .ethics))
        let wrong = member.request()
        member.send(.acceptEthics(requestID: wrong, version: "1999-1"))
        let accept = member.request()
        member.send(.acceptEthics(requestID: accept, version: version))
        let chatAgain = member.request()
        member.send(.chat(requestID: chatAgain, to: .nearby, text: "안녕하세요"))
        VirtualTimeTests.settle(driver, [member])
        let text = try #require(Self.guideText(member, read))
        #expect(text.language == "en" && text.version == version && !text.accepted && text.title == Self.guide.ethics.title.en)
        #expect(text.sections.map(\.text) == Self.guide.ethics.sections.map(\.text.en))
        #expect(Self.error(member, wrong)?.0 == .invalidField && Self.error(member, wrong)?.1.contains("the current one is \(version)") == true)
        #expect(member.messages.contains(.done(requestID: accept)))
        #expect(member.messages.contains { if case .chatSent(chatAgain, _, _, _) = $0 { true } else { false } }, "the chat right after the acceptance goes through")

        // A new connection of the same account: not asked again (the acceptance was kept).
        member.send(.goodbye)
        VirtualTimeTests.settle(driver, [member])
        let back = VirtualTimeTests.client(driver, 1, space: "seoul-plaza")
        #expect(!back.messages.contains { if case .ethicsRequired = $0 { true } else { false } })
        let readAgain = back.request()
        back.send(.readGuide(requestID: readAgain, part: .ethics))
        VirtualTimeTests.settle(driver, [back])
        #expect(Self.guideText(back, readAgain)?.accepted == true && Self.guideText(back, readAgain)?.language == "ko")
    }

    @Test func theTutorialResumesWhereTheMemberLeftItAndGuestsReadIt() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("guide-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let driver = try Self.driver(folder: folder)
        defer { driver.stop() }
        let guest = VirtualTimeTests.client(driver, 1, .guest)
        let member = VirtualTimeTests.client(driver, 2)
        let byGuest = guest.request()
        guest.send(.readGuide(requestID: byGuest, part: .tutorial))
        let guestStep = guest.request()
        guest.send(.tutorialStep(requestID: guestStep, step: "move"))
        let steps = ["move", "world-map"].map { step -> UInt32 in
            let r = member.request()
            member.send(.tutorialStep(requestID: r, step: step))
            return r
        }
        let unknown = member.request()
        member.send(.tutorialStep(requestID: unknown, step: "fly"))
        VirtualTimeTests.settle(driver, [guest, member])
        #expect(Self.guideText(guest, byGuest)?.sections.count == Self.guide.tutorial.sections.count, "guests read the guide")
        #expect(Self.error(guest, guestStep)?.0 == .guestNotAllowed)
        #expect(steps.allSatisfy { member.messages.contains(.done(requestID: $0)) })
        #expect(Self.error(member, unknown)?.0 == .unknownTarget)
        member.send(.goodbye)
        VirtualTimeTests.settle(driver, [member])
        let back = VirtualTimeTests.client(driver, 2)
        let read = back.request()
        back.send(.readGuide(requestID: read, part: .tutorial))
        VirtualTimeTests.settle(driver, [back])
        let done = Self.guideText(back, read)?.sections.filter(\.done).map(\.id)
        #expect(done == ["move", "world-map"], "the guide resumes where it was left")

        // `stats` counts one reading per connection and part: the guest's, and the returning
        // member's once although it read the tutorial twice.
        back.send(.readGuide(requestID: back.request(), part: .tutorial))
        VirtualTimeTests.settle(driver, [back])
        let store = try Store(path: folder + "/city.sqlite", readOnly: true)
        let reads = try store.read { db in try String.fetchAll(db, sql: "SELECT coalesce(account_id, 'guest') FROM service_events WHERE service = 'guide' AND kind = 'tutorial' ORDER BY id") }
        #expect(reads == ["guest", back.account!])
    }
}
