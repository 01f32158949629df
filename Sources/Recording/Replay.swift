// Replaying a recording: restore the world from a keyframe, step it with the recorded inputs,
// and compare what it does with what the recording says it did.
//
// Every tick's state hash is compared; at every keyframe the whole state is compared too, so
// that a divergence is not only found (the first tick whose hash differs) but described (which
// avatars, which fields, at the first keyframe after it).

import WorldCore

public struct Divergence: Sendable, CustomStringConvertible {
    public var tick: UInt64
    public var recordedHash: UInt64
    public var replayedHash: UInt64
    public var recordedPopulation: Int
    public var replayedPopulation: Int
    public var inputCount: Int
    /// What differs, from the first keyframe at or after the divergent tick (if any).
    public var details: [String]

    public var description: String {
        var lines = ["first divergent tick: \(tick) (recorded state hash 0x\(String(recordedHash, radix: 16)), replayed 0x\(String(replayedHash, radix: 16)))"]
        lines.append("  that tick applied \(inputCount) recorded input\(inputCount == 1 ? "" : "s"); population recorded \(recordedPopulation), replayed \(replayedPopulation)")
        lines += details.map { "  " + $0 }
        return lines.joined(separator: "\n")
    }
}

/// Steps a world through a recording, tick by tick.
public struct Replayer: Sendable {
    public let file: RecordingFile
    public let definition: WorldDefinition
    public private(set) var world: World
    public private(set) var divergence: Divergence?
    /// Damage found while decoding a block whose frame and checksum were intact.
    public private(set) var damage: String?
    public private(set) var ticksStepped = 0
    /// Keyframes met after the start and compared in full with the replayed state.
    public private(set) var keyframesCompared = 0

    /// Position in `file.blocks` of the last block read.
    var cursor: Int
    var pending: [TickRecord] = []
    var pendingIndex = 0
    var waitingForKeyframe = false
    public let checksViews: Bool

    /// A replayer positioned so that the next tick it steps is `tick` (or the recording's first
    /// tick; a file of only a keyframe has none, and the replayer starts at its end), restored from the latest keyframe before it. `definition` replaces the recorded
    /// one: for tests that change the simulation on purpose, never for investigations.
    ///
    /// With `views` false the world steps without views (several times faster: the view
    /// refresh is most of a tick) and each tick is checked against the recorded hash with the
    /// recorded views' part in place of its own: positions, entries, leaves and the generator
    /// are checked exactly, the views are taken on trust.
    public init(file: RecordingFile, before tick: UInt64? = nil, definition: WorldDefinition? = nil, views: Bool = true) throws {
        self.file = file
        self.checksViews = views
        self.definition = definition ?? file.header.definition
        let target = max(tick ?? file.firstTick, file.firstTick)
        guard tick == nil || target <= file.lastTick else {
            throw RecordingError("tick \(target) is past the recording's last intact tick \(file.lastTick)")
        }
        let key = file.blocks.last { $0.kind == .keyframe && $0.firstTick < target }!
        let keyframe = try Keyframe.decode(file.payload(key))
        do {
            world = try World(definition: self.definition, restoring: keyframe.state)
        } catch {
            throw RecordingError("the keyframe of tick \(keyframe.tick) (block \(key.index)) cannot be restored: \(error)")
        }
        cursor = file.blocks.firstIndex { $0.index == key.index }!
        world.viewsEnabled = views
        let restored = world.stateHash()
        if restored != keyframe.stateHash {
            divergence = Divergence(tick: keyframe.tick, recordedHash: keyframe.stateHash, replayedHash: restored,
                                    recordedPopulation: keyframe.state.population, replayedPopulation: world.population, inputCount: 0,
                                    details: ["the keyframe restored to a different state hash: the recorder or the restore is wrong"])
        }
        while world.tick + 1 < target, step() != nil {}
    }

    /// Steps the next recorded tick and returns its record; nil at the end of the intact part
    /// (then `damage` says if decoding a block failed).
    @discardableResult
    public mutating func step() -> TickRecord? {
        guard let r = nextRecord() else { return nil }
        world.step(r.inputs)
        ticksStepped += 1
        let hash = checksViews ? world.report.stateHash : world.stateHash(viewsHash: r.viewsHash)
        if divergence == nil && hash != r.stateHash {
            divergence = Divergence(tick: r.tick, recordedHash: r.stateHash, replayedHash: hash,
                                    recordedPopulation: r.population, replayedPopulation: world.population, inputCount: r.inputs.count,
                                    details: [])
            waitingForKeyframe = true
        }
        if pendingIndex == pending.count { compareKeyframeOfThisTick() }
        return r
    }

    /// A keyframe right after the block just finished is of this tick: compare it now, so that
    /// a replay that stops here (the end of a window, or of the file) still checks it.
    mutating func compareKeyframeOfThisTick() {
        guard damage == nil, cursor + 1 < file.blocks.count else { return }
        let block = file.blocks[cursor + 1]
        guard block.kind == .keyframe, block.firstTick == world.tick else { return }
        cursor += 1
        do {
            compare(with: try Keyframe.decode(file.payload(block)))
        } catch {
            damage = "block \(block.index) at byte \(block.offset) (\(block.kind)): \(error)"
        }
    }

    /// The next tick record, reading blocks as needed; compares the state at each keyframe met.
    mutating func nextRecord() -> TickRecord? {
        while pendingIndex == pending.count {
            guard damage == nil, cursor + 1 < file.blocks.count else { return nil }
            cursor += 1
            let block = file.blocks[cursor]
            do {
                switch block.kind {
                case .ticks:
                    pending = try TickCodec.decodeBlock(file.payload(block), formatVersion: file.header.formatVersion)
                    pendingIndex = 0
                case .keyframe:
                    let keyframe = try Keyframe.decode(file.payload(block))
                    compare(with: keyframe)
                case .end, .header:
                    break
                }
            } catch {
                damage = "block \(block.index) at byte \(block.offset) (\(block.kind)): \(error)"
                return nil
            }
        }
        defer { pendingIndex += 1 }
        return pending[pendingIndex]
    }

    /// At a keyframe: the first full comparison after a divergence says what differs; without
    /// one, a difference the hashes missed would be a divergence of its own.
    mutating func compare(with keyframe: Keyframe) {
        guard keyframe.tick == world.tick else { return }
        keyframesCompared += 1
        var replayed = world.capture()
        var keyframe = keyframe
        if !checksViews {
            replayed = replayed.withoutViews()
            keyframe.state = keyframe.state.withoutViews()
        }
        if waitingForKeyframe {
            waitingForKeyframe = false
            divergence?.details = ["at the keyframe of tick \(keyframe.tick):"] + StateDiff.describe(recorded: keyframe.state, replayed: replayed)
        } else if divergence == nil && replayed != keyframe.state {
            divergence = Divergence(tick: keyframe.tick, recordedHash: keyframe.stateHash, replayedHash: world.stateHash(),
                                    recordedPopulation: keyframe.state.population, replayedPopulation: world.population, inputCount: 0,
                                    details: ["the hashes agree but the keyframe's state does not:"] + StateDiff.describe(recorded: keyframe.state, replayed: replayed))
        }
    }
}

extension WorldState {
    /// The state with every view emptied, to compare what a replay without views checks.
    func withoutViews() -> WorldState {
        var s = self
        for i in s.slots.indices where s.slots[i].avatar != nil { s.slots[i].avatar!.view = [] }
        return s
    }
}

/// What differs between two states, as at most `linesMax` lines.
public enum StateDiff {
    public static func describe(recorded a: WorldState, replayed b: WorldState, linesMax: Int = 12) -> [String] {
        var out: [String] = []
        var differing = 0
        func note(_ s: String) { if out.count < linesMax { out.append(s) } }
        if a.tick != b.tick { note("tick: recorded \(a.tick), replayed \(b.tick)") }
        if a.random != b.random { note("random generator: differs (the world drew a different count of numbers)") }
        if a.slots.count != b.slots.count { note("slots in use: recorded \(a.slots.count), replayed \(b.slots.count)") }
        for s in 0..<max(a.slots.count, b.slots.count) {
            let x = s < a.slots.count ? a.slots[s] : nil
            let y = s < b.slots.count ? b.slots[s] : nil
            guard x != y else { continue }
            differing += 1
            guard let x, let y else { continue }
            let id = "slot \(s)"
            switch (x.avatar, y.avatar) {
            case (nil, nil): note("\(id): generation recorded \(x.generation), replayed \(y.generation)")
            case (.some, nil): note("\(id): recorded an avatar (generation \(x.generation)), replayed none")
            case (nil, .some): note("\(id): recorded none, replayed an avatar (generation \(y.generation))")
            case (.some(let p), .some(let q)):
                var fields: [String] = []
                if x.generation != y.generation { fields.append("generation \(x.generation) vs \(y.generation)") }
                if p.position != q.position { fields.append("position \(p.position) vs \(q.position)") }
                if p.floor != q.floor { fields.append("floor \(p.floor) vs \(q.floor)") }
                if p.heading != q.heading { fields.append("heading \(p.heading) vs \(q.heading)") }
                if p.movement != q.movement { fields.append("movement \(p.movement) vs \(q.movement)") }
                if p.enteredTick != q.enteredTick { fields.append("entered at tick \(p.enteredTick) vs \(q.enteredTick)") }
                if p.tag != q.tag { fields.append("tag \(p.tag) vs \(q.tag)") }
                if Set(p.view.map(\.entry)) != Set(q.view.map(\.entry)) {
                    fields.append("view of \(p.view.count) vs \(q.view.count), \(Set(p.view.map(\.entry)).symmetricDifference(q.view.map(\.entry)).count) members differ")
                } else if p.view != q.view {
                    fields.append("view bands or order differ")
                }
                note("\(id) (recorded vs replayed): " + fields.joined(separator: "; "))
            }
        }
        if differing > 0 { out.insert("\(differing) slot\(differing == 1 ? "" : "s") differ", at: min(out.count, a.random != b.random ? 1 : 0)) }
        if out.isEmpty { out.append("no difference in the state (only in what the hash covers beyond it)") }
        return out
    }
}

/// What a replay over a window found.
public struct ReplaySummary: Sendable {
    public var firstTick: UInt64 = 0
    public var lastTick: UInt64 = 0
    public var ticks = 0
    /// Ticks stepped before the window to reach it from its keyframe.
    public var ticksToSeek = 0
    public var inputs = 0
    public var entered = 0
    public var left = 0
    public var mostAtOnce = 0
    public var keyframesCompared = 0
    public var wallSeconds = 0.0
    public var divergence: Divergence?
    /// Damage met while decoding an intact-looking block, or the file's own damage.
    public var damage: String?

    /// World seconds replayed per wall second.
    public func speed(tickRateHertz: Int) -> Double {
        wallSeconds > 0 ? Double(ticks) / Double(tickRateHertz) / wallSeconds : 0
    }
}

extension Replayer {
    /// Replays up to and including tick `to` (or the end), calling `each` after every tick with
    /// the world; `clock` gives seconds (monotonic), `sleep` waits, for `speed` (nil: as fast as
    /// possible). Stops at the first divergence only once it has been described (or the file ends).
    public mutating func run(to: UInt64?, speed: Double?, clock: () -> Double, sleep: (Double) -> Void,
                             each: (World) -> Void = { _ in }) -> ReplaySummary {
        var summary = ReplaySummary()
        summary.ticksToSeek = ticksStepped
        let started = clock()
        let last = min(to ?? .max, file.lastTick)
        let rate = Double(definition.tickRateHertz)
        while world.tick < last {
            guard let r = step() else { break }
            if summary.ticks == 0 { summary.firstTick = r.tick }
            summary.lastTick = r.tick
            summary.ticks += 1
            summary.inputs += r.inputs.count
            for result in world.report.enterResults { if case .success = result.outcome { summary.entered += 1 } }
            summary.left += world.report.left.count
            summary.mostAtOnce = max(summary.mostAtOnce, world.population)
            each(world)
            if let speed, speed > 0 {
                let due = started + Double(summary.ticks) / rate / speed
                let now = clock()
                if due > now { sleep(due - now) }
            }
            if let d = divergence, !d.details.isEmpty { break }
        }
        summary.wallSeconds = clock() - started
        summary.keyframesCompared = keyframesCompared
        summary.divergence = divergence
        summary.damage = damage ?? (world.tick >= file.lastTick ? file.damage : nil)
        return summary
    }
}
