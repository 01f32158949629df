// The notice board through the real server on virtual time (PROTOCOL.md 7.13): an editor's
// notice kept, then answered; a scheduled one pushed at its start to those in its space and to
// nobody else; unread counts after sign-in and read marks that outlive the connection; a
// withdrawal taken back from those shown it, and refused the second time; the board read again
// after a restart without announcing anything twice; the refusals, each with its code.

import Foundation
import Logging
import NetProto
import ServiceFiles
import Services
import Testing
@testable import WorldServer

@Suite(.serialized, .timeLimit(.minutes(10))) struct NoticesServerTests {
    static let minute: UInt64 = 60_000

    static func driver(folder: String, startingMinutesLater minutes: Int64 = 0) throws -> VirtualDriver {
        var configuration = ServerConfiguration(tokenSecret: CitySimulation.secret)
        configuration.statusEverySeconds = 3_600
        configuration.randomSeed = 1
        configuration.store = StoreSettings(path: folder + "/city.sqlite")
        var logger = Logger(label: "notices")
        logger.logLevel = .critical
        return try VirtualDriver(configuration: configuration, catalog: Shipped.catalog, logger: logger,
                                 wallStartMillis: CitySimulation.startWallMillis + minutes * 60_000)
    }

    static func draft(_ title: String, startsIn: UInt64 = 0, now: Int64, hours: UInt64 = 24, spaces: [String] = [], category: UInt8 = 0) -> NoticeDraftBody {
        NoticeDraftBody(category: category, pinned: false, startsAtMillis: startsIn == 0 ? 0 : UInt64(now) + startsIn,
                        endsAtMillis: UInt64(now) + startsIn + hours * 3_600_000, spaces: spaces, titleKo: "", titleEn: title,
                        bodyKo: "본문", bodyEn: "The text of " + title)
    }

    static func messages<T>(_ c: SimulatedClient, _ pick: (ServerMessage) -> T?) -> [T] { c.messages.compactMap(pick) }

    static func stored(_ c: SimulatedClient, _ request: UInt32) -> UInt64? {
        messages(c) { if case .noticeStored(request, let id) = $0 { id } else { nil } }.first
    }

    static func error(_ c: SimulatedClient, _ request: UInt32) -> (ErrorCode, String)? {
        messages(c) { if case .error(let code, request, let text) = $0 { (code, text) } else { nil } }.first
    }

    static func shown(_ c: SimulatedClient) -> [UInt64] { messages(c) { if case .noticeShown(let n) = $0 { n.id } else { nil } } }

    static func counts(_ c: SimulatedClient) -> [(String, UInt16, UInt16)] {
        messages(c) { if case .noticeCount(let space, let shown, let unread) = $0 { (space, shown, unread) } else { nil } }
    }

    @Test func aScheduledNoticeReachesItsSpaceAtItsStartAndNobodyElse() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("notices-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let driver = try Self.driver(folder: folder)
        defer { driver.stop() }
        let editor = VirtualTimeTests.client(driver, 1, .staff, space: "city-hall")
        let onPlaza = VirtualTimeTests.client(driver, 2, space: "seoul-plaza")
        let inHall = VirtualTimeTests.client(driver, 3, space: "city-hall")
        let guest = VirtualTimeTests.client(driver, 4, .guest, space: "seoul-plaza")
        let everyone = [editor, onPlaza, inHall, guest]
        let now = driver.server.nowUnixMillis()

        // Only editors write; a guest is refused by the guest rule before the board hears it.
        let byMember = onPlaza.request()
        onPlaza.send(.postNotice(requestID: byMember, Self.draft("mine", now: now)))
        let byGuest = guest.request()
        guest.send(.postNotice(requestID: byGuest, Self.draft("mine", now: now)))
        let scheduled = editor.request()
        editor.send(.postNotice(requestID: scheduled, Self.draft("Bell ringing", startsIn: 2 * Self.minute, now: now, spaces: ["seoul-plaza"])))
        VirtualTimeTests.settle(driver, everyone)
        #expect(Self.error(onPlaza, byMember)?.0 == .forbidden)
        #expect(Self.error(guest, byGuest)?.0 == .guestNotAllowed)
        let id = try #require(Self.stored(editor, scheduled), "the editor is answered once it is kept")
        #expect(everyone.allSatisfy { Self.shown($0).isEmpty }, "scheduled: nobody is told before its start")

        // Two minutes of virtual time: pushed at the start, to those on the plaza only.
        VirtualTimeTests.settle(driver, everyone, millis: Self.minute + 58_000)
        #expect(everyone.allSatisfy { Self.shown($0).isEmpty }, "not a second early")
        VirtualTimeTests.settle(driver, everyone, millis: 3_000)
        #expect(Self.shown(onPlaza) == [id] && Self.shown(guest) == [id], "pushed to everyone on the plaza, guests too")
        #expect(Self.shown(inHall).isEmpty && Self.shown(editor).isEmpty, "not to City Hall")
        VirtualTimeTests.settle(driver, everyone, millis: 5_000)
        #expect(Self.shown(onPlaza) == [id], "once")

        // It is listed on the plaza, and not in City Hall.
        let plazaList = onPlaza.request()
        onPlaza.send(.listNotices(requestID: plazaList, offset: 0))
        let hallList = inHall.request()
        inHall.send(.listNotices(requestID: hallList, offset: 0))
        VirtualTimeTests.settle(driver, everyone)
        let plazaPage = Self.messages(onPlaza) { if case .noticeList(plazaList, let total, _, let n) = $0 { (total, n) } else { nil } }.first
        #expect(plazaPage?.0 == 1 && plazaPage?.1.first?.titleEn == "Bell ringing" && plazaPage?.1.first?.read == false && plazaPage?.1.first?.cityWide == false)
        let hallTotals: [UInt16] = Self.messages(inHall) { if case .noticeList(hallList, let total, _, _) = $0 { total } else { nil } }
        #expect(hallTotals == [0])
    }

    @Test func readMarksOutliveTheConnectionAndCountAtSignIn() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("notices-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let driver = try Self.driver(folder: folder)
        defer { driver.stop() }
        let editor = VirtualTimeTests.client(driver, 1, .staff)
        let now = driver.server.nowUnixMillis()
        var ids: [UInt64] = []
        for title in ["Water", "Roads", "Winter festival"] {
            let r = editor.request()
            editor.send(.postNotice(requestID: r, Self.draft(title, now: now)))
            VirtualTimeTests.settle(driver, [editor])
            ids.append(try #require(Self.stored(editor, r)))
        }
        let reader = VirtualTimeTests.client(driver, 2)
        #expect(Self.counts(reader).first! == ("", 3, 3), "after welcome: three city-wide notices, none read")
        let read = reader.request()
        reader.send(.readNotice(requestID: read, notice: ids[1]))
        let missing = reader.request()
        reader.send(.readNotice(requestID: missing, notice: 999))
        VirtualTimeTests.settle(driver, [reader])
        let text = Self.messages(reader) { if case .noticeText(read, let summary, let ko, let en) = $0 { (summary, ko, en) } else { nil } }.first
        #expect(text?.0.id == ids[1] && text?.1 == "본문" && text?.2 == "The text of Roads")
        #expect(Self.error(reader, missing)?.0 == .unknownTarget)

        // A new connection of the same account, after the first has gone: the mark was kept.
        reader.send(.goodbye)
        VirtualTimeTests.settle(driver, [reader])
        let again = VirtualTimeTests.client(driver, 2, space: "seoul-plaza")
        #expect(Self.counts(again).first! == ("", 3, 2), "the read one counts as read")
        #expect(Self.counts(again).last! == ("seoul-plaza", 3, 2), "and entering a space says its count")
        let list = again.request()
        again.send(.listNotices(requestID: list, offset: 0))
        VirtualTimeTests.settle(driver, [again])
        let pages: [[NoticeSummary]] = Self.messages(again) { if case .noticeList(list, _, _, let n) = $0 { n } else { nil } }
        let page = pages.first ?? []
        #expect(page.map(\.id) == ids.reversed(), "newest first")
        #expect(page.filter(\.read).map(\.id) == [ids[1]])
    }

    @Test func aWithdrawalIsTakenBackOnceAndTheBoardSurvivesARestart() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("notices-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var driver = try Self.driver(folder: folder)
        let editor = VirtualTimeTests.client(driver, 1, .staff, space: "seoul-plaza")
        let citizen = VirtualTimeTests.client(driver, 2, space: "seoul-plaza")
        let now = driver.server.nowUnixMillis()
        let first = editor.request()
        editor.send(.postNotice(requestID: first, Self.draft("Ice on the plaza", now: now, spaces: ["seoul-plaza"], category: 3)))
        let second = editor.request()
        editor.send(.postNotice(requestID: second, Self.draft("Library open late", now: now)))
        VirtualTimeTests.settle(driver, [editor, citizen])
        let ice = try #require(Self.stored(editor, first))
        let library = try #require(Self.stored(editor, second))
        #expect(Self.shown(citizen) == [ice, library], "showing from now: pushed at once")

        let withdraw = editor.request()
        editor.send(.withdrawNotice(requestID: withdraw, notice: ice))
        VirtualTimeTests.settle(driver, [editor, citizen])
        #expect(editor.messages.contains(.done(requestID: withdraw)))
        #expect(Self.messages(citizen) { if case .noticeWithdrawn(let id) = $0 { id } else { nil } } == [ice], "taken back from those shown it")
        let twice = editor.request()
        editor.send(.withdrawNotice(requestID: twice, notice: ice))
        VirtualTimeTests.settle(driver, [editor, citizen])
        let conflict = try #require(Self.error(editor, twice))
        #expect(conflict.0 == .conflict && conflict.1.contains("withdrawn already"), "\(conflict.1)")

        // The refusals of the checks, each naming what is wrong; nothing is kept.
        var backwards = Self.draft("backwards", now: now)
        backwards.endsAtMillis = UInt64(now) - 1
        let bad = editor.request()
        editor.send(.postNotice(requestID: bad, backwards))
        let nowhere = editor.request()
        editor.send(.postNotice(requestID: nowhere, Self.draft("nowhere", now: now, spaces: ["atlantis"])))
        VirtualTimeTests.settle(driver, [editor, citizen])
        #expect(Self.error(editor, bad)?.0 == .invalidField && Self.error(editor, bad)?.1.contains("ends before") == true)
        #expect(Self.error(editor, nowhere)?.0 == .invalidField && Self.error(editor, nowhere)?.1.contains("atlantis") == true)
        #expect(driver.server.notices.board.notices.count == 2)

        // A restart on the same store: the board is read back, withdrawn included, and nothing
        // already showing is announced again (a minute on: each run's clock starts afresh).
        driver.stop()
        driver = try Self.driver(folder: folder, startingMinutesLater: 1)
        defer { driver.stop() }
        let back = VirtualTimeTests.client(driver, 3, space: "seoul-plaza")
        VirtualTimeTests.settle(driver, [back], millis: 3_000)
        #expect(driver.server.notices.board.notices.count == 2 && driver.server.notices.board.notices[Int64(ice)]?.withdrawnBy == "staff-1")
        #expect(Self.shown(back).isEmpty)
        let list = back.request()
        back.send(.listNotices(requestID: list, offset: 0))
        VirtualTimeTests.settle(driver, [back])
        let listed: [[UInt64]] = Self.messages(back) { if case .noticeList(list, _, _, let n) = $0 { n.map(\.id) } else { nil } }
        #expect(listed == [[library]])
    }
}
