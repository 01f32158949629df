// The whole-server simulation in `make test`: a few seeds, each some simulated minutes of
// hundreds of clients on virtual time; and the check that one seed is one run. Many seeds and
// longer runs are `seoulworld simulate-city` (README, "The whole-server simulation").

import Foundation
import NetProto
import PostgresScratch
import ServiceFiles
import Services
import Testing
@testable import WorldServer

@Suite(.serialized, .timeLimit(.minutes(10))) struct CitySimulationTests {
    static let services = Shipped.worlds.deletingLastPathComponent().appendingPathComponent("services").path

    static func settings(seed: UInt64, minutes: UInt64, clients: Int, actPerMille: UInt64 = 25) throws -> CitySimulation.Settings {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sim-\(seed)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var s = CitySimulation.Settings(seed: seed, folder: folder)
        s.clients = clients
        s.durationMillis = minutes * 60_000
        s.actPerMille = actPerMille
        s.desks = try DeskCatalog.load(directory: services)
        s.profanity = try ProfanityFilter.load(directory: Shipped.worlds.deletingLastPathComponent().appendingPathComponent("policy").path)
        return s
    }

    /// Seeds 1 and 2 on a Monday morning; seed 3 from 17:59, through the desks' closing at 18:00
    /// with citizens waiting and in session.
    @Test(arguments: [(1, 10 * 60), (2, 10 * 60), (3, 17 * 60 + 59)] as [(UInt64, Int)])
    func theInvariantsHoldForASeed(seed: UInt64, startMinute: Int) throws {
        var settings = try Self.settings(seed: seed, minutes: 2, clients: 60)
        settings.startWallMillis = OpeningHours.unixMillis(LocalDate("2026-11-23")!, minutes: startMinute)
        defer { try? FileManager.default.removeItem(atPath: settings.folder) }
        let outcome = try CitySimulation.run(settings, catalog: Shipped.catalog)
        #expect(outcome.failure == nil, "\(outcome.failure ?? "")")
        // The run did what it says: people entered, chatted, queued, were taken and reported.
        for action in ["connect", "enter", "move", "chat", "travel", "open room", "join queue", "take next", "docent on", "report user", "report bug", "hang up"] {
            #expect(outcome.actions[action, default: 0] > 0, "no '\(action)' in seed \(seed)")
        }
        #expect(outcome.reportsChecked > 0)
        for message in ["welcome", "entered", "chat", "roomOpened", "queueStanding", "sessionStarted", "bugReportFiled", "userReportFiled"] {
            #expect(outcome.received[message, default: 0] > 0, "no '\(message)' received in seed \(seed)")
        }
        #expect(outcome.simulatedMillis >= 2 * 60_000)
        if startMinute > 17 * 60 {
            // The desks closed with people waiting: told so, and refused after.
            #expect(outcome.received["queueEnded closed", default: 0] > 0)
            #expect(outcome.errors[ErrorCode.deskClosed.rawValue, default: 0] > 0)
        }
    }

    @Test func oneSeedIsOneRun() throws {
        let a = try Self.settings(seed: 7, minutes: 1, clients: 40, actPerMille: 60)
        let b = try Self.settings(seed: 7, minutes: 1, clients: 40, actPerMille: 60)
        defer {
            try? FileManager.default.removeItem(atPath: a.folder)
            try? FileManager.default.removeItem(atPath: b.folder)
        }
        let first = try CitySimulation.run(a, catalog: Shipped.catalog)
        let second = try CitySimulation.run(b, catalog: Shipped.catalog)
        #expect(first.failure == nil && second.failure == nil)
        #expect(first.actions == second.actions)
        #expect(first.digest == second.digest)
        let other = try CitySimulation.run(try Self.settings(seed: 8, minutes: 1, clients: 40, actPerMille: 60), catalog: Shipped.catalog)
        #expect(other.digest != first.digest)
    }

    /// The same seed with the records in PostgreSQL (a throwaway cluster): the invariants hold,
    /// every acknowledged report is there, and the clients hear exactly what they heard with
    /// SQLite (the same ids, in the same order, at the same moments).
    @Test func theSameSeedOnPostgreSQLTellsTheSameStory() throws {
        var onPostgres = try Self.settings(seed: 7, minutes: 1, clients: 40, actPerMille: 60)
        onPostgres.postgres = try PostgresScratch.shared.get().database()
        let onSQLite = try Self.settings(seed: 7, minutes: 1, clients: 40, actPerMille: 60)
        defer {
            try? FileManager.default.removeItem(atPath: onPostgres.folder)
            try? FileManager.default.removeItem(atPath: onSQLite.folder)
        }
        let pg = try CitySimulation.run(onPostgres, catalog: Shipped.catalog)
        let lite = try CitySimulation.run(onSQLite, catalog: Shipped.catalog)
        #expect(pg.failure == nil, "\(pg.failure ?? "")")
        #expect(pg.reportsChecked > 0 && pg.reportsChecked == lite.reportsChecked)
        #expect(pg.digest == lite.digest)
    }
}
