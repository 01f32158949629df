// Recording a space while it runs.
//
// The tick thread does only what must see the world as it is: after each step, the tick's
// record is appended to the block being built (a few bytes per input), and on keyframe ticks a
// copy of the world value is taken (copy-on-write: the arrays are copied when the next step
// writes them, a memcpy, not an encoding). Everything slow happens on the writer thread:
// encoding keyframes, checksums, write(2) and fsync.
//
// Blocks are handed over whole, at most `blockTicksMax` ticks apart (one second by default),
// so a crash or kill -9 loses at most the block being built; the file up to the last block
// written is intact and replays. If the writer falls `queueBytesMax` behind (a stalled disk),
// recording of every space stops, and says so, rather than grow memory or block the tick.
//
// Invariants:
// 1. A file is: header, keyframe, then ticks blocks and keyframes in tick order, then (when
//    closed in good order) an end block. Each keyframe follows the block holding its tick.
// 2. The tick thread never waits on the disk: `enqueue` takes a lock held only to move jobs.

import Foundation
import NetProto
import WorldCore

public struct RecorderSettings: Sendable {
    public var directory: String
    public var serverVersion: String
    /// A keyframe every this many ticks (30 s at 20 Hz).
    public var keyframeIntervalTicks = 600
    /// A ticks block is handed to the writer after this many ticks (0: the tick rate, one second)...
    public var blockTicksMax = 0
    /// ...or once it holds this many bytes.
    public var blockBytesMax = 64 * 1_024
    /// A file is closed and the next part begun past this size...
    public var fileBytesMax: Int = 256 * 1_024 * 1_024
    /// ...or after this many seconds.
    public var fileSecondsMax = 3_600
    /// The most bytes waiting for the disk before recording stops.
    public var queueBytesMax = 64 * 1_024 * 1_024

    public init(directory: String, serverVersion: String) {
        self.directory = directory
        self.serverVersion = serverVersion
    }
}

/// The disk side: one thread for every space's files.
public final class RecordingWriter: @unchecked Sendable {
    enum Job {
        case open(file: Int, path: String, bytes: [UInt8])
        /// A block's payload; the writer frames it (and so computes its checksum).
        case block(file: Int, kind: BlockKind, payload: [UInt8])
        case keyframe(file: Int, world: World)
        case close(file: Int, bytes: [UInt8])
    }

    let condition = NSCondition()
    var jobs: [Job] = []
    var queuedBytes = 0
    var stopping = false
    var failures: [Int: String] = [:]
    var thread: Thread?
    let report: @Sendable (String) -> Void
    let queueBytesMax: Int
    /// Bytes written to disk so far (read under the lock).
    var written = 0

    /// `report` is called on the writer thread with each failure, in words.
    public init(queueBytesMax: Int, report: @escaping @Sendable (String) -> Void) {
        self.queueBytesMax = queueBytesMax
        self.report = report
        // The thread holds the writer until `stop`, so a writer dropped without it leaks a
        // waiting thread instead of freeing what the thread still uses.
        let t = Thread { self.run() }
        t.name = "recording-writer"
        thread = t
        t.start()
    }

    var lastFile = 0

    /// A new file number, for `SpaceRecorder`s sharing this writer.
    func newFile() -> Int {
        condition.lock()
        defer { condition.unlock() }
        lastFile += 1
        return lastFile
    }

    /// Queues a job; false (and nothing queued) when the backlog passed its limit.
    func enqueue(_ job: Job, bytes: Int) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if queuedBytes + bytes > queueBytesMax, case .block = job { return false }
        jobs.append(job)
        queuedBytes += bytes
        condition.broadcast()
        return true
    }

    /// Why writing `file` failed, if it did.
    func failure(_ file: Int) -> String? {
        condition.lock()
        defer { condition.unlock() }
        return failures[file]
    }

    public var bytesWritten: Int {
        condition.lock()
        defer { condition.unlock() }
        return written
    }

    /// Writes everything queued, then ends the thread. Call once, after the last `finish`.
    public func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while thread != nil { condition.wait() }
        condition.unlock()
    }

    func run() {
        var descriptors: [Int: Int32] = [:]
        var paths: [Int: String] = [:]
        while true {
            condition.lock()
            while jobs.isEmpty && !stopping { condition.wait() }
            if jobs.isEmpty && stopping {
                thread = nil
                condition.broadcast()
                condition.unlock()
                return
            }
            let batch = jobs
            jobs.removeAll()
            condition.unlock()

            for job in batch {
                let (file, counted): (Int, Int)
                switch job {
                case .open(let f, _, let b): (file, counted) = (f, b.count)
                case .block(let f, _, let payload): (file, counted) = (f, payload.count)
                case .keyframe(let f, _): (file, counted) = (f, 0)
                case .close(let f, let b): (file, counted) = (f, b.count)
                }
                defer {
                    condition.lock()
                    queuedBytes -= counted
                    condition.unlock()
                }
                if case .open(_, let path, _) = job {
                    let fd = Foundation.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
                    if fd < 0 {
                        fail(file, "cannot create \(path): \(String(cString: strerror(errno))); this space is not recorded")
                        continue
                    }
                    descriptors[file] = fd
                    paths[file] = path
                }
                guard let fd = descriptors[file] else { continue } // failed earlier: dropped
                let bytes: [UInt8]
                switch job {
                case .open(_, _, let b), .close(_, let b): bytes = b
                case .block(_, let kind, let payload): bytes = BlockCodec.frame(kind, payload)
                case .keyframe(_, let world):
                    bytes = BlockCodec.frame(.keyframe, Keyframe(state: world.capture(), stateHash: world.stateHash()).encode())
                }
                if !writeAll(fd, bytes) {
                    fail(file, "cannot write \(paths[file] ?? "?"): \(String(cString: strerror(errno))); recording of this file stops here, its blocks so far replay")
                    Foundation.close(fd)
                    descriptors[file] = nil
                    continue
                }
                condition.lock()
                written += bytes.count
                condition.unlock()
                if case .close = job {
                    fsync(fd)
                    Foundation.close(fd)
                    descriptors[file] = nil
                }
            }
        }
    }

    func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                done += n
            }
            return true
        }
    }

    func fail(_ file: Int, _ text: String) {
        condition.lock()
        failures[file] = text
        condition.unlock()
        report(text)
    }
}

/// The tick side for one space: builds blocks, takes keyframes, rotates files.
public final class SpaceRecorder {
    public let settings: RecorderSettings
    let writer: RecordingWriter
    let seed: UInt64
    let definition: WorldDefinition
    let sessionStartMillis: UInt64
    let blockTicksMax: Int

    var part: UInt32 = 0
    var file = 0
    var fileStartMillis: UInt64 = 0
    var fileBytes = 0
    var block = ByteWriter(capacity: 64 * 1_024)
    var blockFirstTick: UInt64 = 0
    var blockTicks = 0
    public private(set) var paths: [String] = []
    /// Why recording stopped, once it has.
    public private(set) var stopped: String?

    /// Starts the first file with the world as it is now (its keyframe is the starting state).
    public init(settings: RecorderSettings, writer: RecordingWriter, world: World, seed: UInt64, nowUnixMillis: UInt64) {
        self.settings = settings
        self.writer = writer
        self.seed = seed
        self.definition = world.definition
        self.sessionStartMillis = nowUnixMillis
        self.blockTicksMax = settings.blockTicksMax > 0 ? settings.blockTicksMax : world.definition.tickRateHertz
        openFile(world: world, nowUnixMillis: nowUnixMillis)
    }

    /// The file name of a part: space, session start (UTC), part number.
    public static func fileName(spaceID: String, startUnixMillis: UInt64, part: UInt32) -> String {
        let date = Date(timeIntervalSince1970: Double(startUnixMillis) / 1_000)
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd'T'HHmmss.SSS'Z'"
        let p = String(part)
        return "\(spaceID).\(f.string(from: date)).\(String(repeating: "0", count: max(0, 3 - p.count)) + p).\(RecordingFormat.fileExtension)"
    }

    func openFile(world: World, nowUnixMillis: UInt64) {
        file = writer.newFile()
        fileStartMillis = nowUnixMillis
        fileBytes = 0
        let path = (settings.directory as NSString).appendingPathComponent(
            Self.fileName(spaceID: definition.id, startUnixMillis: sessionStartMillis, part: part))
        paths.append(path)
        let header = RecordingHeader(serverVersion: settings.serverVersion, definition: definition, seed: seed,
                                     startUnixMillis: nowUnixMillis, part: part, keyframeIntervalTicks: UInt32(settings.keyframeIntervalTicks))
        let bytes = BlockCodec.frame(.header, header.encode())
        _ = writer.enqueue(.open(file: file, path: path, bytes: bytes), bytes: bytes.count)
        _ = writer.enqueue(.keyframe(file: file, world: world), bytes: 0)
        fileBytes += bytes.count + Self.keyframeBytesEstimate(world)
        blockFirstTick = world.tick + 1
    }

    /// Records the tick `world` has just stepped.
    public func record(_ world: World, nowUnixMillis: UInt64) {
        guard stopped == nil else { return }
        assert(world.tick == blockFirstTick + UInt64(blockTicks), "a tick was stepped without being recorded")
        TickCodec.append(&block, world: world)
        blockTicks += 1
        if blockTicks >= blockTicksMax || block.bytes.count >= settings.blockBytesMax { flushBlock() }
        guard stopped == nil else { return }
        if world.tick % UInt64(settings.keyframeIntervalTicks) == 0 {
            flushBlock()
            _ = writer.enqueue(.keyframe(file: file, world: world), bytes: 0)
            fileBytes += Self.keyframeBytesEstimate(world)
        }
        if fileBytes >= settings.fileBytesMax || nowUnixMillis >= fileStartMillis + UInt64(settings.fileSecondsMax) * 1_000 {
            closeFile(world: world, reason: .rotated, text: "continued in part \(part + 1)")
            part += 1
            openFile(world: world, nowUnixMillis: nowUnixMillis)
        }
    }

    /// About what a keyframe of `world` takes (it is encoded on the writer thread): some 30
    /// bytes an avatar, and 5 a view member.
    static func keyframeBytesEstimate(_ world: World) -> Int {
        let n = world.population
        return 64 + n * 30 + n * 5 * min(max(n - 1, 0), world.definition.interest.visibleMax)
    }

    func flushBlock() {
        guard blockTicks > 0 else { return }
        let payload = TickCodec.encodeBlock(firstTick: blockFirstTick, records: block.bytes, count: blockTicks)
        blockFirstTick += UInt64(blockTicks)
        blockTicks = 0
        block = ByteWriter(capacity: settings.blockBytesMax + 4_096)
        if let failure = writer.failure(file) {
            stopped = failure
            return
        }
        guard writer.enqueue(.block(file: file, kind: .ticks, payload: payload), bytes: payload.count) else {
            stop(text: "the disk writer is more than \(settings.queueBytesMax / 1_048_576) MiB behind; recording of '\(definition.id)' stops here")
            return
        }
        fileBytes += payload.count + RecordingFormat.blockHeaderBytes
    }

    func closeFile(world: World, reason: RecordingEnd.Reason, text: String) {
        flushBlock()
        let end = BlockCodec.frame(.end, RecordingEnd(lastTick: world.tick, reason: reason, text: text).encode())
        _ = writer.enqueue(.close(file: file, bytes: end), bytes: end.count)
    }

    func stop(text: String) {
        stopped = text
        let end = BlockCodec.frame(.end, RecordingEnd(lastTick: blockFirstTick - 1, reason: .abandoned, text: text).encode())
        _ = writer.enqueue(.close(file: file, bytes: end), bytes: end.count)
        writer.report(text)
    }

    /// Ends the recording in good order (the server is stopping).
    public func finish(world: World, text: String = "the server stopped") {
        guard stopped == nil else { return }
        closeFile(world: world, reason: .shutdown, text: text)
        stopped = text
    }
}
