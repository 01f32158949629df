// Recording a live server with bots on it, replaying every file, and serving a recording
// to a spectator. Bounded: about 15 s of bots, and every wait has a deadline.

import Bots
import Foundation
import NetProto
import Transport
import Recording
import Testing
import WorldClient
import WorldCore
@testable import WorldServer

@Suite(.serialized, .timeLimit(.minutes(10))) struct RecordingServerTests {
    static func temporaryDirectory() -> String {
        NSTemporaryDirectory() + "seoulworld-server-recording-\(UUID().uuidString)"
    }

    /// 100 touring bots over several spaces, recorded; returns the files.
    static func recordBots(seconds: Double, directory: String) throws -> (paths: [String], report: BotReport, ticks: Int) {
        let running = try RunningServer(configure: { c in
            var settings = RecorderSettings(directory: directory, serverVersion: Server.version)
            settings.keyframeIntervalTicks = 100
            c.recording = settings
        })
        let scenarioURL = Shipped.worlds.deletingLastPathComponent().appendingPathComponent("scenarios/landmark-tour.json")
        var scenario = try Scenario.load(scenarioURL)
        // Tour faster than the shipped scenario, so that tens of seconds visit many spaces.
        scenario.behaviours[0].tourEverySeconds = 3
        let fleet = try BotFleet(options: FleetOptions(server: running.address, count: 100, rampPerSecond: 100, durationSeconds: seconds,
                                                       tcpOnlyShare: 0.1, scenario: scenario, seed: 11))
        let report = try fleet.run { _ in }
        let paths = running.server.inspect { $0.recordingPaths }
        running.stop()
        return (paths, report, running.server.counters.ticks)
    }

    @Test func aRecordedServerReplaysExactlyInEverySpace() throws {
        let directory = Self.temporaryDirectory()
        let (paths, report, ticks) = try Self.recordBots(seconds: 20, directory: directory)
        #expect(report.succeeded == 100)
        #expect(paths.count == Shipped.catalog.publicSpaces.count, "one file per public space")
        var spacesVisited = 0
        var entered = 0
        for path in paths {
            let file = try RecordingFile(path: path)
            #expect(file.damage == nil, "\(path): \(file.damage ?? "")")
            #expect(file.end?.reason == .shutdown)
            #expect(file.header.serverVersion == Server.version)
            #expect(file.header.definition == Shipped.catalog.space(file.header.spaceID)!.definition)
            var replayer = try Replayer(file: file)
            let summary = replayer.run(to: nil, speed: nil, clock: { 0 }, sleep: { _ in })
            #expect(summary.divergence == nil, "\(path): \(summary.divergence?.description ?? "")")
            #expect(summary.damage == nil)
            #expect(summary.lastTick == file.lastTick && summary.ticks == Int(file.lastTick))
            #expect(summary.ticks == ticks, "every tick the server stepped is recorded")
            #expect(summary.keyframesCompared >= 2)
            if summary.entered > 0 { spacesVisited += 1 }
            entered += summary.entered
        }
        #expect(spacesVisited >= 4, "the tour should reach several spaces, reached \(spacesVisited)")
        #expect(entered > 100, "touring bots enter more than one space each")
        try? FileManager.default.removeItem(atPath: directory)
    }

    @Test func aRecordingDirectoryThatIsAFileIsRefusedAtStart() throws {
        let path = Self.temporaryDirectory()
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let error = #expect(throws: RecordingError.self) {
            _ = try RunningServer(configure: { $0.recording = RecorderSettings(directory: path, serverVersion: Server.version) })
        }
        #expect(error?.description.contains("is a file, not a directory") == true)
    }

    @Test func aSpectatorWatchesARecordingAndItsInputsAreRefused() throws {
        let directory = Self.temporaryDirectory()
        let (paths, _, _) = try Self.recordBots(seconds: 6, directory: directory)
        // The busiest space's recording.
        let busiest = try paths.map { path -> (RecordingFile, Int) in
            let file = try RecordingFile(path: path)
            var replayer = try Replayer(file: file)
            return (file, replayer.run(to: nil, speed: nil, clock: { 0 }, sleep: { _ in }).mostAtOnce)
        }.max { $0.1 < $1.1 }
        let file = try #require(busiest?.0)
        let spaceID = file.header.spaceID
        let source = try ReplaySource(file: file, from: 40, to: nil)
        let running = try RunningServer(replay: source)
        defer { running.stop() }
        let loop = try UVLoop()
        defer { loop.closeAll() }
        let client = try WorldClient(loop: loop, server: running.address, credentials: .guest(displayName: "investigator"))
        drive(loop, [client], seconds: 5) { client.welcome != nil }
        #expect(client.welcome?.role == 2, "a spectator")
        #expect(client.welcome?.spaces.map(\.id) == [spaceID])
        _ = client.enter(spaceID)
        drive(loop, [client], seconds: 5) { client.space != nil && client.snapshotsReceived > 10 && !client.view.isEmpty }
        #expect(client.entity == SnapshotFeed.spectatorEntity)
        #expect(!client.view.isEmpty, "the spectator sees the recorded avatars")
        // What it sees is the recording: every avatar shown is where the replayed world had it
        // at the snapshot's tick (server tick n is world tick 39 + n, starting from tick 40).
        let shown = client.view, shownTick = UInt64(client.viewTick)
        var check = try Replayer(file: file, before: 39 + shownTick)
        check.step()
        var positions: [UInt32: Vec2] = [:]
        for a in check.world.avatars { positions[SnapshotFeed.entity(a.id)] = a.position }
        for e in shown {
            let p = try #require(positions[e.entity], "entity \(e.entity) is not in the replayed world at tick \(39 + shownTick)")
            #expect(e.x == EntityState.quantise(centimetres: p.x) && e.y == EntityState.quantise(centimetres: p.y),
                    "entity \(e.entity) shown at (\(e.x * 2), \(e.y * 2)) cm, recorded at \(p)")
        }
        // A move is refused with its code, and changes nothing: the served world still matches the recording.
        client.move(.go(heading: 0, pace: 1))
        drive(loop, [client], seconds: 3) { client.errors.contains { $0.code == .spectatorOnly } }
        #expect(client.errors.contains { $0.code == .spectatorOnly })
        let (served, refused) = running.server.inspect { ($0.world(spaceID)!, $0.counters.spectatorInputsRefused) }
        #expect(refused >= 1)
        var again = try Replayer(file: file, before: served.tick)
        again.step()
        // (The served world steps without views: spectators watch from a camera.)
        #expect(served.avatars == again.world.avatars, "the served world is the recorded one")
        #expect(served.stateHash(viewsHash: again.world.viewsHash) == again.world.report.stateHash)
        try? FileManager.default.removeItem(atPath: directory)
    }
}
