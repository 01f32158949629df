// `seoulworld simulate`: a world of wandering avatars, in process, with no network; prints
// what the tick cost and the final state hash. Two runs with the same arguments print the
// same hash: the quickest way to see the core's determinism with your own eyes.

import ArgumentParser
import Transport
import Crowd
import Foundation
import Recording
import WorldCore
import WorldFiles
import WorldServer

struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a world of wandering avatars in process (no network) and print a summary."
    )

    @Option(help: "How many avatars wander in the world (1 to \(WorldDefinition.capacityMax)).")
    var avatars = 1_000

    @Option(help: "Seconds of world time to simulate (ticks = seconds x tick rate; runs as fast as it can).")
    var seconds = 10

    @Option(help: "Seed for the world and the crowd; the same seed gives the same final hash.")
    var seed: UInt64 = 1

    @Option(help: "World size in metres as WIDTHxHEIGHT (default: a square at plaza density, 4 m² per avatar).")
    var worldSize: String?

    @Option(help: "Run in a real space from the world files instead, such as seoul-plaza.")
    var world: String?

    @Option(help: "The directory of world files for --world (default: ./worlds, or the checkout's worlds/).")
    var worlds: String?

    @Option(help: "Ticks per second of world time (default: the space's own, 20 for a synthetic one).")
    var tickRate: Int?

    @Option(help: "Each avatar's view is recomputed every this many ticks, 1 to 64 (default: the space's own, 4 for a synthetic one).")
    var viewRefreshTicks: Int?

    @Option(help: "Record the run into this directory, as serve --record does (one file; replay it with seoulworld replay).")
    var record: String?

    @Option(help: "With --record: seconds between keyframes (1 to 3600).")
    var recordKeyframeSeconds = 30

    func validate() throws {
        guard (1...3_600).contains(recordKeyframeSeconds) else { throw ValidationError("--record-keyframe-seconds must be 1 to 3600, got \(recordKeyframeSeconds)") }
        guard (1...WorldDefinition.capacityMax).contains(avatars) else {
            throw ValidationError("--avatars must be 1 to \(WorldDefinition.capacityMax), got \(avatars)")
        }
        guard (1...86_400).contains(seconds) else { throw ValidationError("--seconds must be 1 to 86400, got \(seconds)") }
        if world != nil && worldSize != nil { throw ValidationError("--world and --world-size exclude each other: a real space has its own size") }
        if let worldSize, Self.parseSize(worldSize) == nil {
            throw ValidationError("--world-size must be WIDTHxHEIGHT in whole metres, each 10 to 100000, for example 200x150; got '\(worldSize)'")
        }
    }

    static func parseSize(_ text: String) -> (width: Int, height: Int)? {
        let parts = text.lowercased().split(separator: "x")
        guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]),
              (10...100_000).contains(w), (10...100_000).contains(h) else { return nil }
        return (w, h)
    }

    func run() throws {
        var definition: WorldDefinition
        if let id = world {
            let catalog = try loadCatalog(worlds)
            guard let space = catalog.space(id) else {
                throw ValidationError("no space '\(id)'; the spaces are: " + catalog.spaces.map(\.id).joined(separator: ", "))
            }
            definition = space.definition
            if avatars > definition.capacity {
                throw ValidationError("--avatars \(avatars) is more than \(id) holds (capacity \(definition.capacity))")
            }
        } else if let worldSize, let size = Self.parseSize(worldSize) {
            definition = SyntheticWorlds.rectangle(widthMetres: size.width, heightMetres: size.height, capacity: avatars)
        } else {
            definition = SyntheticWorlds.forCrowd(avatars: avatars, squareMetresPerAvatar: SyntheticWorlds.plazaSquareMetresPerAvatar)
        }
        if let tickRate { definition.tickRateHertz = tickRate }
        if let viewRefreshTicks { definition.interest.refreshPeriodTicks = viewRefreshTicks }
        let world: World
        do { world = try World(definition: definition, seed: seed) } catch { throw ValidationError(error.description) }
        var state = world
        var crowd = Wanderers(seed: seed, target: avatars, definition: definition)
        let ticks = seconds * definition.tickRateHertz
        var stepNanoseconds: [UInt64] = []
        stepNanoseconds.reserveCapacity(ticks)
        var recordNanoseconds: [UInt64] = []
        let recording = try record.map { directory -> (SpaceRecorder, RecordingWriter) in
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            var settings = RecorderSettings(directory: directory, serverVersion: Server.version)
            settings.keyframeIntervalTicks = recordKeyframeSeconds * definition.tickRateHertz
            let writer = RecordingWriter(queueBytesMax: settings.queueBytesMax) { printError("seoulworld simulate: recording: \($0)") }
            return (SpaceRecorder(settings: settings, writer: writer, world: state, seed: seed, nowUnixMillis: UInt64(Date().timeIntervalSince1970 * 1_000)), writer)
        }
        var viewRefreshes = 0, viewCandidates = 0, viewChanges = 0, viewRescans = 0
        let started = Monotonic.nanoseconds()
        for _ in 0..<ticks {
            let inputs = crowd.nextInputs()
            let before = Monotonic.nanoseconds()
            state.step(inputs)
            stepNanoseconds.append(Monotonic.nanoseconds() - before)
            if let (recorder, _) = recording {
                let t = Monotonic.nanoseconds()
                recorder.record(state, nowUnixMillis: 0)
                recordNanoseconds.append(Monotonic.nanoseconds() - t)
            }
            crowd.observe(state.report)
            viewRefreshes += state.report.viewRefreshes
            viewCandidates += state.report.viewCandidates
            viewChanges += state.report.viewChanges.count
            viewRescans += state.report.viewRescans
        }
        let elapsedSeconds = Double(Monotonic.nanoseconds() - started) / 1e9
        let views = ViewStatistics(refreshes: viewRefreshes, candidates: viewCandidates, changes: viewChanges, rescans: viewRescans)
        print(Self.summary(definition: definition, world: state, crowd: crowd, seed: seed, stepNanoseconds: stepNanoseconds,
                           elapsedSeconds: elapsedSeconds, worldSeconds: seconds, views: views))
        if let (recorder, writer) = recording {
            recorder.finish(world: state)
            writer.stop()
            let sorted = recordNanoseconds.sorted()
            func us(_ q: Double) -> String { format(Double(percentile(sorted, q)) / 1e3, decimals: 1) + " µs" }
            print("recording           \(recorder.paths.joined(separator: ", ")): \(writer.bytesWritten) bytes (\(writer.bytesWritten / max(1, seconds)) bytes per second of world time)")
            print("recording per tick  p50 \(us(0.5))  p99 \(us(0.99))  max \(us(1.0)) on the tick thread (the step above includes the copy-on-write of keyframe ticks)")
        }
    }

    static func summary(definition: WorldDefinition, world: World, crowd: Wanderers, seed: UInt64, stepNanoseconds: [UInt64],
                        elapsedSeconds: Double, worldSeconds: Int, views: ViewStatistics) -> String {
        let sorted = stepNanoseconds.sorted()
        func ms(_ q: Double) -> String { format(Double(percentile(sorted, q)) / 1e6, decimals: 3) + " ms" }
        let b = definition.bounds
        let m = world.totalMovement
        let r = world.totalRejections
        return """
        world               \(definition.id): \(b.width / 100) m x \(b.height / 100) m, \(definition.floors.count) floor\(definition.floors.count == 1 ? "" : "s"), \(definition.obstacles.count) obstacles, seed \(seed)
        ticks               \(world.tick) (\(worldSeconds) s of world time at \(definition.tickRateHertz) Hz), ran in \(format(elapsedSeconds, decimals: 2)) s (\(format(Double(worldSeconds) / max(elapsedSeconds, 1e-9), decimals: 1))x real time)
        tick time           p50 \(ms(0.50))  p90 \(ms(0.90))  p99 \(ms(0.99))  max \(ms(1.0))
        avatars             \(world.population) in world (\(crowd.entered) entered, \(crowd.refused) refused)
        contacts prevented  \(m.contactsPrevented) (slid \(m.slid), stopped \(m.stoppedByAvatar)); moves blocked by geometry \(m.blockedByGeometry)
        views               \(views.refreshes) refreshes (\(views.candidates / max(views.refreshes, 1)) candidates each, \(views.rescans) looked again), \(views.changes) enter/leave changes
        inputs rejected     \(r.total)
        final state hash    \(hex(world.report.stateHash))
        """
    }
}

struct ViewStatistics {
    var refreshes: Int
    var candidates: Int
    var changes: Int
    var rescans: Int
}

/// The value at quantile `q` (0...1) of an ascending array, nearest-rank.
func percentile(_ sorted: [UInt64], _ q: Double) -> UInt64 {
    guard !sorted.isEmpty else { return 0 }
    let rank = Int((q * Double(sorted.count)).rounded(.up))
    return sorted[min(max(rank, 1), sorted.count) - 1]
}

func format(_ value: Double, decimals: Int) -> String {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let scaled = (value * scale).rounded()
    let whole = Int(scaled / scale)
    let fraction = Int(abs(scaled) - abs(Double(whole)) * scale)
    if decimals == 0 { return "\(whole)" }
    let fractionText = String(fraction)
    return "\(value < 0 && whole == 0 ? "-" : "")\(whole).\(String(repeating: "0", count: max(0, decimals - fractionText.count)))\(fractionText)"
}

func hex(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: 16 - digits.count) + digits
}
