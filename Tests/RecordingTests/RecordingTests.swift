import Crowd
import Foundation
import NetProto
import Recording
import Testing
import WorldCore

/// A crowd recorded in-process (no sockets): the format, the writer, the reader, the replayer.
@Suite struct RecordingTests {
    static let definition = SyntheticWorlds.rectangle(widthMetres: 40, heightMetres: 40, capacity: 300,
                                                      interest: InterestSettings(enterRadiusCentimetres: 1_000, leaveRadiusCentimetres: 1_300, visibleMax: 12))

    /// Records `ticks` ticks of a churning crowd into a fresh directory; returns the files and
    /// the state hash of every tick (index 0 is tick 1).
    static func record(ticks: Int, seed: UInt64 = 3, tweak: (inout RecorderSettings) -> Void = { _ in }) throws -> (directory: String, paths: [String], hashes: [UInt64]) {
        let directory = NSTemporaryDirectory() + "seoulworld-recording-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var settings = RecorderSettings(directory: directory, serverVersion: "test")
        settings.keyframeIntervalTicks = 100
        tweak(&settings)
        let problems = LockedStrings()
        let writer = RecordingWriter(queueBytesMax: settings.queueBytesMax) { problems.append($0) }
        var world = try World(definition: definition, seed: seed)
        var crowd = Wanderers(seed: seed, target: 250, definition: definition, enterPerTickMax: 20, changeEveryTicksMean: 10, churnPerMille: 20)
        let recorder = SpaceRecorder(settings: settings, writer: writer, world: world, seed: seed, nowUnixMillis: 1_790_000_000_000)
        var hashes: [UInt64] = []
        for t in 1...ticks {
            var inputs = crowd.nextInputs()
            // Every tenth tick one entry asks to come back to a spot (as from a room), so that
            // return spots are recorded and replayed too.
            if t % 10 == 0, let i = inputs.firstIndex(where: { if case .enter = $0 { true } else { false } }), case .enter(var e) = inputs[i] {
                e.near = Spot(floor: 0, position: Vec2(2_000, 2_000))
                inputs[i] = .enter(e)
            }
            world.step(inputs)
            crowd.observe(world.report)
            hashes.append(world.report.stateHash)
            recorder.record(world, nowUnixMillis: 1_790_000_000_000 + UInt64(t) * 50)
        }
        recorder.finish(world: world)
        writer.stop()
        #expect(problems.all.isEmpty, "the writer reported: \(problems.all)")
        return (directory, recorder.paths, hashes)
    }

    @Test func aRecordingReplaysAndVerifiesEveryTick() throws {
        let (_, paths, hashes) = try Self.record(ticks: 750)
        #expect(paths.count == 1)
        let file = try RecordingFile(path: paths[0])
        #expect(file.damage == nil)
        #expect(file.end?.reason == .shutdown)
        #expect(file.header.definition == Self.definition)
        #expect(file.header.seed == 3)
        #expect(file.firstTick == 1 && file.lastTick == 750)
        #expect(file.keyframes.map(\.firstTick) == [0, 100, 200, 300, 400, 500, 600, 700])
        var replayer = try Replayer(file: file)
        var replayed: [UInt64] = []
        while let r = replayer.step() { replayed.append(r.stateHash) }
        #expect(replayed == hashes, "the recorded hashes are the live ones")
        #expect(replayer.divergence == nil)
        #expect(replayer.damage == nil)
        #expect(replayer.ticksStepped == 750)
    }

    @Test func aReplayWithoutViewsChecksEverythingElse() throws {
        let (_, paths, hashes) = try Self.record(ticks: 450)
        let file = try RecordingFile(path: paths[0])
        var full = try Replayer(file: file)
        var fast = try Replayer(file: file, views: false)
        while let r = fast.step() {
            full.step()
            #expect(fast.world.stateHash(viewsHash: r.viewsHash) == hashes[Int(r.tick) - 1])
            #expect(fast.world.avatars == full.world.avatars, "tick \(r.tick): positions must not depend on views")
        }
        #expect(fast.divergence == nil && fast.keyframesCompared == 4)
        // A change in movement is still caught at once.
        var changed = Self.definition
        changed.walkSpeedCentimetresPerSecond += 40
        var a = try Replayer(file: file, definition: changed)
        var b = try Replayer(file: file, definition: changed, views: false)
        while a.step() != nil, a.divergence == nil {}
        while b.step() != nil, b.divergence == nil {}
        #expect(a.divergence != nil && a.divergence?.tick == b.divergence?.tick)
    }

    @Test func seekingStartsAtTheKeyframeBeforeTheTick() throws {
        let (_, paths, hashes) = try Self.record(ticks: 450)
        let file = try RecordingFile(path: paths[0])
        for from: UInt64 in [1, 99, 100, 101, 250, 450] {
            var replayer = try Replayer(file: file, before: from)
            #expect(replayer.world.tick == from - 1)
            // Restored from the keyframe at or before from - 1: few ticks stepped to get there.
            #expect(replayer.ticksStepped < 100)
            let r = replayer.step()
            #expect(r?.tick == from)
            #expect(replayer.world.report.stateHash == hashes[Int(from) - 1])
            #expect(replayer.divergence == nil)
        }
        #expect(throws: RecordingError.self) { try Replayer(file: file, before: 451) }
    }

    @Test func aFlippedByteIsLocatedAndThePrefixReplays() throws {
        let (_, paths, hashes) = try Self.record(ticks: 300)
        let clean = [UInt8](FileManager.default.contents(atPath: paths[0])!)
        let intact = try RecordingFile(bytes: clean)
        // Flip one byte inside the payload of a ticks block in the middle of the file.
        let target = intact.blocks.filter { $0.kind == .ticks }[7]
        var bytes = clean
        bytes[target.payload.lowerBound + 20] ^= 0x10
        let file = try RecordingFile(bytes: bytes)
        let damage = try #require(file.damage)
        #expect(damage.contains("block \(target.index) at byte \(target.offset)"), "\(damage)")
        #expect(damage.contains("checksum mismatch"), "\(damage)")
        #expect(file.lastTick == target.firstTick - 1)
        var replayer = try Replayer(file: file)
        var count = 0
        while let r = replayer.step() {
            #expect(r.stateHash == hashes[Int(r.tick) - 1])
            count += 1
        }
        #expect(count == Int(target.firstTick) - 1)
        #expect(replayer.divergence == nil)
        // A flipped byte in a block header is caught too.
        var header = clean
        header[target.offset + 9] ^= 0x01
        #expect(try RecordingFile(bytes: header).damage?.contains("block \(target.index)") == true)
    }

    @Test func aTruncatedFileReplaysItsIntactPrefix() throws {
        let (_, paths, hashes) = try Self.record(ticks: 300)
        let clean = [UInt8](FileManager.default.contents(atPath: paths[0])!)
        let full = try RecordingFile(bytes: clean)
        var random = WorldRandom(seed: 17)
        let firstTicks = full.blocks.first { $0.kind == .ticks }!
        for _ in 0..<25 {
            let cut = Int(random.uniform(below: UInt64(clean.count - firstTicks.offset))) + firstTicks.offset
            let file = try RecordingFile(bytes: Array(clean[0..<cut]))
            #expect(file.end == nil)
            // Cut in the middle of a block: reported; cut between blocks: just ends.
            if !full.blocks.contains(where: { $0.offset == cut }) {
                #expect(file.damage?.contains("cut short") == true, "cut at \(cut): \(file.damage ?? "no damage")")
            }
            var replayer = try Replayer(file: file)
            var last: UInt64 = 0
            while let r = replayer.step() {
                #expect(r.stateHash == hashes[Int(r.tick) - 1])
                last = r.tick
            }
            #expect(last == file.lastTick)
            #expect(replayer.divergence == nil)
        }
        // Not even a header: a clear error.
        #expect(throws: RecordingError.self) { try RecordingFile(bytes: Array(clean[0..<10])) }
    }

    @Test func aChangedSimulationIsReportedAtTheFirstDivergentTick() throws {
        let (_, paths, _) = try Self.record(ticks: 300)
        let file = try RecordingFile(path: paths[0])
        // The first tick that moved anyone: a faster walk changes exactly that tick first.
        var plain = try Replayer(file: file)
        var firstMove: UInt64?
        while let r = plain.step(), firstMove == nil {
            if plain.world.report.movement.contactsPrevented > 0 || plain.world.avatars.contains(where: { $0.movement != .idle }) {
                firstMove = r.tick
            }
        }
        var changed = Self.definition
        changed.walkSpeedCentimetresPerSecond += 40
        var replayer = try Replayer(file: file, definition: changed)
        while replayer.step() != nil, replayer.divergence == nil {}
        let divergence = try #require(replayer.divergence)
        #expect(divergence.tick == firstMove)
        // Then described at the next keyframe: positions differ.
        while replayer.step() != nil, replayer.divergence?.details.isEmpty == true {}
        #expect(divergence.description.contains("first divergent tick: \(firstMove!)"))
        #expect(replayer.divergence!.details.contains { $0.contains("position") }, "\(replayer.divergence!.details)")
    }

    @Test func filesRotateBySizeAndEachPartReplaysAlone() throws {
        let (_, paths, hashes) = try Self.record(ticks: 600) { $0.fileBytesMax = 40_000 }
        #expect(paths.count >= 3, "\(paths)")
        var next: UInt64 = 1
        for (i, path) in paths.enumerated() {
            let file = try RecordingFile(path: path)
            #expect(file.header.part == UInt32(i))
            #expect(file.firstTick == next)
            #expect(file.end?.reason == (i == paths.count - 1 ? .shutdown : .rotated))
            var replayer = try Replayer(file: file)
            while let r = replayer.step() { #expect(r.stateHash == hashes[Int(r.tick) - 1]) }
            #expect(replayer.divergence == nil)
            next = file.lastTick + 1
        }
        #expect(next == 601)
    }

    @Test func aFileThatCannotBeCreatedStopsThatRecordingWithAReason() throws {
        let (directory, paths, _) = try Self.record(ticks: 20)
        // A second session started in the same millisecond would reuse the name: refused, said, and stopped.
        let problems = LockedStrings()
        let writer = RecordingWriter(queueBytesMax: 1 << 20) { problems.append($0) }
        let world = try World(definition: Self.definition, seed: 3)
        var settings = RecorderSettings(directory: directory, serverVersion: "test")
        settings.blockTicksMax = 1
        let recorder = SpaceRecorder(settings: settings, writer: writer, world: world, seed: 3, nowUnixMillis: 1_790_000_000_000)
        #expect(recorder.paths == paths)
        var w = world
        for _ in 0..<200 where recorder.stopped == nil {
            w.step([])
            recorder.record(w, nowUnixMillis: 1_790_000_000_000)
            usleep(1_000)
        }
        writer.stop()
        #expect(problems.all.contains { $0.contains("cannot create") && $0.contains("File exists") }, "\(problems.all)")
        #expect(recorder.stopped?.contains("cannot create") == true)
        // The first recording is untouched.
        #expect(try RecordingFile(path: paths[0]).end?.reason == .shutdown)
    }

    @Test func crc32cMatchesTheStandardCheckValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
    }

    @Test func varintsRoundTrip() throws {
        var w = ByteWriter()
        let values: [UInt64] = [0, 1, 127, 128, 300, 1 << 35, .max]
        for v in values { w.varint(v) }
        for v: Int64 in [0, -1, 1, .min, .max] { w.zigzag(v) }
        var r = ByteReader(w.bytes)
        for v in values { #expect(try r.varint("v") == v) }
        for v: Int64 in [0, -1, 1, .min, .max] { #expect(try r.zigzag("v") == v) }
        try r.finish()
        var bad = ByteReader([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F])
        #expect(throws: WireError.self) { try bad.varint("v") }
    }
}

final class LockedStrings: @unchecked Sendable {
    let lock = NSLock()
    var items: [String] = []
    func append(_ s: String) { lock.withLock { items.append(s) } }
    var all: [String] { lock.withLock { items } }
}

@Suite struct RecordingDecoderRegressionTests {
    /// Found by `make fuzz` (FuzzRecording): a ticks block beginning near the largest tick
    /// number trapped on `first + i`; it is an error now.
    @Test func aTicksBlockPastTheLargestTickIsAnErrorNotATrap() {
        var w = ByteWriter()
        w.u64(UInt64.max - 1)
        w.varint(3)
        #expect(throws: RecordingError.self) { _ = try TickCodec.decodeBlock(w.bytes) }
        // The fuzzer's input, as it found it (a version 1 ticks block).
        let found: [UInt8] = [
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0c, 0x0c, 0x00, 0x00, 0x00, 0x0c, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
            0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x2d, 0x22, 0x22, 0x27, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
            0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0xd9, 0x00, 0x00, 0x22, 0x22, 0x00, 0x00, 0x22, 0x00, 0x00, 0x22,
            0x22, 0x30, 0x30, 0x30, 0x30, 0x30, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x30, 0x30, 0x22, 0x22, 0x22,
            0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x30, 0x30, 0x30, 0x22, 0x30,
        ]
        #expect(throws: RecordingError.self) { _ = try TickCodec.decodeBlock(found, formatVersion: 1) }
    }
}
