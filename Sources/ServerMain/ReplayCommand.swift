// `seoulworld replay`: re-simulate a recorded session from its inputs, check it against the
// recorded state hashes, draw it, or serve it to spectators.

import ArgumentParser
import Transport
import Foundation
import Logging
import Recording
import WorldCore
import WorldFiles
import WorldServer

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay a recorded session (serve --record): verify it, export a map of it, or serve it to spectators.",
        discussion: """
        Exit status: 0 when everything replayed (and, with --verify, matched); 1 when the replay \
        diverged from the recording; 2 when the file is damaged (its intact part still replayed \
        and was checked); 64 for bad arguments or a file that cannot be read at all.
        """
    )

    @Argument(help: "A recording file (.swrec), one part of a session.")
    var file: String

    @Flag(help: "Compare the replayed state hash with the recorded one at every tick, and the whole state at every keyframe; name the first divergent tick.")
    var verify = false

    @Flag(help: "Refresh every avatar's view too, and check the views' part of each tick's hash against its own (several times slower). Without it the views are not re-run: no output of a replay depends on them, and each tick is checked with the recorded views' part of the hash; positions, entries, leaves and the generator are exact either way.")
    var verifyViews = false

    /// The default since views stopped being re-run; kept so that scripts that pass it still run.
    @Flag(help: .hidden)
    var skipViews = false

    @Option(help: "The first tick to replay (seeks through the keyframe before it).")
    var from: UInt64?

    @Option(help: "The last tick to replay.")
    var to: UInt64?

    @Option(help: "Play at this multiple of real time (1 = as recorded); default: as fast as possible.")
    var speed: Double?

    @Option(help: "Write an SVG map of the window: the space, each avatar's trail, and a heat map of where people stood.")
    var export: String?

    @Option(help: "The floor (index) to draw with --export (default: the floor of the first spawn area).")
    var floor: Int?

    @Option(help: "Serve the recording over the normal protocol on this port, read-only: clients watch as spectators.")
    var serve: UInt16?

    @Option(help: "Address to serve on, with --serve.")
    var host = "127.0.0.1"

    func validate() throws {
        if let from, let to, to < from { throw ValidationError("--to (\(to)) is before --from (\(from))") }
        if let speed, !(speed > 0 && speed <= 10_000) { throw ValidationError("--speed must be more than 0 and at most 10000, got \(speed)") }
        if serve != nil && (speed != nil || export != nil || verify || verifyViews) {
            throw ValidationError("--serve plays at the recorded rate and only serves: leave out --speed, --export, --verify and --verify-views")
        }
        if verifyViews && skipViews { throw ValidationError("--verify-views and --skip-views contradict each other; views are skipped unless --verify-views is given") }
    }

    func run() throws {
        let recording: RecordingFile
        do {
            recording = try RecordingFile(path: file)
        } catch {
            printError("seoulworld replay: \(error)")
            throw ExitCode(64)
        }
        let h = recording.header
        print("recording \(file)")
        print("  space \(h.spaceID), server \(h.serverVersion), format \(h.formatVersion), part \(h.part), seed 0x\(String(h.seed, radix: 16)), \(h.tickRateHertz) Hz, started \(utc(h.startUnixMillis))")
        print("  world definition 0x\(String(h.definitionHash, radix: 16)); a keyframe every \(h.keyframeIntervalTicks) ticks")
        let ended = recording.end.map { "ended: \($0.text) (\($0.reason))" }
            ?? (recording.damage != nil ? "no end block read: the reading stopped at the damage below"
                                        : "no end block: the server did not close this file (a crash or kill?)")
        print("  intact ticks \(recording.firstTick) to \(recording.lastTick) (\(format(Double(recording.lastTick + 1 - recording.firstTick) / Double(h.tickRateHertz), decimals: 1)) s), \(recording.keyframes.count) keyframe\(recording.keyframes.count == 1 ? "" : "s"); \(ended)")
        if let damage = recording.damage { print("  damage: \(damage)") }

        if let from, from > recording.lastTick {
            printError("seoulworld replay: --from \(from) is past the last intact tick \(recording.lastTick)")
            throw ExitCode(64)
        }
        if let port = serve { return try serveSpectators(recording, port: port) }

        var replayer: Replayer
        do {
            replayer = try Replayer(file: recording, before: from, views: verifyViews)
        } catch {
            printError("seoulworld replay: \(error)")
            throw ExitCode(64)
        }
        let drawFloor = floor ?? h.definition.spawnAreas[0].floor
        guard h.definition.floors.indices.contains(drawFloor) else {
            printError("seoulworld replay: --floor \(drawFloor): the space has floors 0 to \(h.definition.floors.count - 1)")
            throw ExitCode(64)
        }
        var map = export.map { _ in TrailMap(definition: h.definition, floor: drawFloor) }
        let summary = replayer.run(to: to, speed: speed, clock: { Double(Monotonic.nanoseconds()) / 1e9 }, sleep: { usleep(UInt32(min($0, 1) * 1e6)) }) { world in
            map?.add(world)
        }
        let world = format(Double(summary.ticks) / Double(h.tickRateHertz), decimals: 1)
        print("replayed ticks \(summary.firstTick) to \(summary.lastTick): \(summary.ticks) ticks, \(world) s of world time in \(format(summary.wallSeconds, decimals: 2)) s (\(format(summary.speed(tickRateHertz: h.tickRateHertz), decimals: 0))x real time)" +
              (summary.ticksToSeek > 0 ? ", after \(summary.ticksToSeek) ticks from the keyframe to reach tick \(summary.firstTick)" : ""))
        print("  avatars: at most \(summary.mostAtOnce) at once, \(summary.entered) entered, \(summary.left) left; \(summary.inputs) inputs applied")
        if let export, let map {
            let title = "\(h.spaceID), \(utc(h.startUnixMillis + (map.firstTick - 1) * 1_000 / UInt64(h.tickRateHertz)))"
            do {
                try map.render(title: title).write(toFile: export, atomically: true, encoding: .utf8)
                print("  map: \(export) (floor \(drawFloor), \(map.mostAtOnce) at most at once\(map.truncated ? ", trails cut short" : ""))")
            } catch {
                printError("seoulworld replay: cannot write \(export): \(error.localizedDescription)")
                throw ExitCode(1)
            }
        }
        if let divergence = summary.divergence {
            print("verify: DIVERGED")
            print(divergence.description.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
            if divergence.details.isEmpty { print("  (no keyframe after it in the window replayed to say what differs)") }
            throw ExitCode(1)
        }
        if verify || verifyViews {
            let keyframes = "\(summary.keyframesCompared) keyframe\(summary.keyframesCompared == 1 ? "" : "s") compared in full"
            if verifyViews {
                print("verify: every tick's state hash matches, views re-run (\(summary.ticks) ticks; \(keyframes))")
            } else {
                print("verify: every tick's state hash matches with the recorded views (\(summary.ticks) ticks; \(keyframes), views not re-run: --verify-views re-runs them)")
            }
        }
        if let damage = summary.damage {
            print("the file is damaged after tick \(recording.lastTick): \(damage)")
            throw ExitCode(2)
        }
    }

    func serveSpectators(_ recording: RecordingFile, port: UInt16) throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let logger = Logger(label: "seoulworld-replay")
        var configuration = ServerConfiguration(tokenSecret: try TokenSecret.load(file: nil).0)
        configuration.host = host
        configuration.port = port
        let server: Server
        do {
            let source = try ReplaySource(file: recording, from: from, to: to)
            server = try Server(configuration: configuration, replay: source, logger: logger)
        } catch {
            printError("seoulworld replay: cannot serve on \(host):\(port): \(error)")
            throw ExitCode(1)
        }
        print("serving the recording to spectators on \(host):\(server.port) (TCP and UDP); inputs are refused; it stops when the recording ends")
        server.run()
    }
}

/// Milliseconds since 1970 as an ISO 8601 UTC time.
func utc(_ millis: UInt64) -> String {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return f.string(from: Date(timeIntervalSince1970: Double(millis) / 1_000))
}
