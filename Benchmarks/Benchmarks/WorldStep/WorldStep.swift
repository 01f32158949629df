// One world step (movement, no-contact, interest, state hash) with wandering crowds, at
// plaza density (4 m² per avatar) and sparse density (100 m² per avatar), against the
// brute-force baseline (every query scans every avatar) in the same run; and the step followed
// by a session recorder's work on the tick thread, for the recording overhead.
//
// Each benchmark's fixture is built in its setup hook: the crowd enters, then walks for
// three seconds of world time so that views and movement are in their steady state. Each
// measured iteration is one `World.step`; the crowd's inputs for it are drawn before the
// measurement starts.

import Benchmark
import Crowd
import Foundation
import Recording
import WorldCore

final class StepFixture: @unchecked Sendable {
    var world: World?
    var crowd: Wanderers?
    var recorder: SpaceRecorder?
    var writer: RecordingWriter?
    var directory: String?

    func build(avatars: Int, squareMetresPerAvatar: Int, spatialIndex: SpatialIndexKind, refreshPeriodTicks: Int) throws {
        var interest = InterestSettings()
        interest.refreshPeriodTicks = refreshPeriodTicks
        let definition = SyntheticWorlds.forCrowd(avatars: avatars, squareMetresPerAvatar: squareMetresPerAvatar, interest: interest)
        var world = try World(definition: definition, seed: 2026, spatialIndex: spatialIndex)
        var crowd = Wanderers(seed: 2026, target: avatars, definition: definition, enterPerTickMax: avatars)
        for _ in 0..<60 {
            world.step(crowd.nextInputs())
            crowd.observe(world.report)
        }
        precondition(world.population == avatars, "the fixture's crowd did not all enter: \(world.population) of \(avatars)")
        self.world = world
        self.crowd = crowd
    }

    /// A recorder made once, in setup, like a server's; into a fresh temporary directory.
    func startRecording(keyframeTicks: Int) throws {
        let dir = NSTemporaryDirectory() + "seoulworld-bench-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var settings = RecorderSettings(directory: dir, serverVersion: "bench")
        settings.keyframeIntervalTicks = keyframeTicks
        let w = RecordingWriter(queueBytesMax: settings.queueBytesMax) { print("recording: \($0)") }
        writer = w
        directory = dir
        recorder = SpaceRecorder(settings: settings, writer: w, world: world!, seed: 2026, nowUnixMillis: 0)
    }

    func release() {
        if let world, let recorder { recorder.finish(world: world) }
        writer?.stop()
        if let directory { try? FileManager.default.removeItem(atPath: directory) }
        recorder = nil
        writer = nil
        directory = nil
        world = nil
        crowd = nil
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal, .peakMemoryResident],
        timeUnits: .microseconds,
        warmupIterations: 3,
        maxDuration: .seconds(6),
        maxIterations: 300
    )

    struct Case {
        let name: String
        let avatars: Int
        let squareMetresPerAvatar: Int
        var spatialIndex: SpatialIndexKind = .grid
        var refreshPeriodTicks = InterestSettings().refreshPeriodTicks
        /// Set: each step is followed by the recorder's work on the tick thread (the tick's
        /// record; on keyframe ticks a copy of the world value, whose arrays the next step then
        /// duplicates), keyframes this many ticks apart. The disk writer has its own thread.
        var keyframeTicks: Int?
    }
    let plaza = SyntheticWorlds.plazaSquareMetresPerAvatar
    let sparse = SyntheticWorlds.sparseSquareMetresPerAvatar
    var cases: [Case] = []
    for n in [1_000, 5_000, 10_000] {
        cases.append(Case(name: "step plaza \(n)", avatars: n, squareMetresPerAvatar: plaza))
        cases.append(Case(name: "step sparse \(n)", avatars: n, squareMetresPerAvatar: sparse))
    }
    cases.append(Case(name: "step plaza 10000 views every tick", avatars: 10_000, squareMetresPerAvatar: plaza, refreshPeriodTicks: 1))
    cases.append(Case(name: "step plaza 10000 views every 8 ticks", avatars: 10_000, squareMetresPerAvatar: plaza, refreshPeriodTicks: 8))
    for n in [1_000, 5_000] {
        cases.append(Case(name: "step plaza \(n) brute force", avatars: n, squareMetresPerAvatar: plaza, spatialIndex: .bruteForce))
    }
    // Recording overhead: against "step plaza N" of the same run.
    for n in [1_000, 10_000] {
        for k in [600, 20] {
            cases.append(Case(name: "step plaza \(n) recorded, keyframe every \(k) ticks", avatars: n, squareMetresPerAvatar: plaza, keyframeTicks: k))
        }
    }

    for c in cases {
        let fixture = StepFixture()
        var configuration = Benchmark.defaultConfiguration
        if c.spatialIndex == .bruteForce { configuration.maxIterations = 30 }
        Benchmark(c.name, configuration: configuration, closure: { benchmark in
            guard var world = fixture.world, var crowd = fixture.crowd else { fatalError("fixture missing") }
            fixture.world = nil // keep the world's storage uniquely referenced while it steps
            let recorder = fixture.recorder
            for _ in benchmark.scaledIterations {
                let inputs = crowd.nextInputs()
                benchmark.startMeasurement()
                world.step(inputs)
                recorder?.record(world, nowUnixMillis: 0)
                benchmark.stopMeasurement()
                crowd.observe(world.report)
                blackHole(world.report.stateHash)
            }
            fixture.world = world
            fixture.crowd = crowd
        }, setup: {
            try fixture.build(avatars: c.avatars, squareMetresPerAvatar: c.squareMetresPerAvatar,
                              spatialIndex: c.spatialIndex, refreshPeriodTicks: c.refreshPeriodTicks)
            if let k = c.keyframeTicks { try fixture.startRecording(keyframeTicks: k) }
        }, teardown: {
            fixture.release()
        })
    }
}
