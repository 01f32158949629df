// The recording format: bytes in, values out, and back. Pure; docs/RECORDING.md is its
// specification, byte for byte, and must change with it.
//
// A recording is a sequence of blocks, each framed and checksummed on its own, so that a file
// cut short (a crash, kill -9, a full disk) still has an intact prefix that replays:
//
//   [magic "SWRB"] [kind u8] [zero ×3] [payload length u32] [CRC-32C u32] [payload]
//
// The first block is the header; the second a keyframe; then blocks of ticks, with a keyframe
// every so often and an end block when the file was closed in good order.

import NetProto
import WorldCore

public enum RecordingFormat {
    /// Version 2 added a return spot to an enter input (docs/RECORDING.md); version 1 files
    /// still read (their enters have none).
    public static let version: UInt16 = 2
    public static let versionsRead: ClosedRange<UInt16> = 1...2
    public static let blockMagic: [UInt8] = Array("SWRB".utf8)
    public static let blockHeaderBytes = 16
    /// The largest payload a block may declare; a keyframe of a full 100,000-avatar world with
    /// full views stays under it.
    public static let payloadBytesMax = 1 << 30
    public static let fileExtension = "swrec"
}

public enum BlockKind: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case header = 1
    case keyframe = 2
    case ticks = 3
    case end = 4

    public var description: String {
        switch self {
        case .header: return "header"
        case .keyframe: return "keyframe"
        case .ticks: return "ticks"
        case .end: return "end"
        }
    }
}

/// Why a recording could not be read, in words an operator can act on.
public struct RecordingError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// `s` cut to at most `bytes` bytes of UTF-8, at a character boundary.
func clipped(_ s: String, bytes: Int) -> String {
    if s.utf8.count <= bytes { return s }
    var out = ""
    for c in s {
        if out.utf8.count + String(c).utf8.count > bytes { break }
        out.append(c)
    }
    return out
}

// MARK: Blocks

public enum BlockCodec {
    /// The block framing around `payload`.
    public static func frame(_ kind: BlockKind, _ payload: [UInt8]) -> [UInt8] {
        precondition(payload.count <= RecordingFormat.payloadBytesMax, "block payload too large")
        var w = ByteWriter(capacity: RecordingFormat.blockHeaderBytes + payload.count)
        w.raw(RecordingFormat.blockMagic)
        w.u8(kind.rawValue)
        w.raw([0, 0, 0])
        w.u32(UInt32(payload.count))
        var crc = CRC32C()
        crc.update(w.bytes)
        crc.update(payload)
        w.u32(crc.value)
        w.raw(payload)
        return w.bytes
    }
}

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as in iSCSI (RFC 3720, B.4) and
/// ext4: detects every burst error up to 32 bits. Check value of "123456789": 0xE3069283.
public struct CRC32C: Sendable {
    static let table: [UInt32] = (0..<256).map { i -> UInt32 in
        var c = UInt32(i)
        for _ in 0..<8 { c = c & 1 == 1 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
        return c
    }

    private var crc: UInt32 = 0xFFFF_FFFF
    public init() {}

    public mutating func update<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        var c = crc
        Self.table.withUnsafeBufferPointer { t in
            for b in bytes { c = t[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        }
        crc = c
    }

    public var value: UInt32 { crc ^ 0xFFFF_FFFF }

    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var c = CRC32C()
        c.update(bytes)
        return c.value
    }
}

// MARK: The header

public struct RecordingHeader: Hashable, Sendable {
    public var formatVersion: UInt16 = RecordingFormat.version
    public var serverVersion: String
    /// The space recorded (the world definition's id).
    public var spaceID: String
    public var seed: UInt64
    public var tickRateHertz: Int
    /// When the file was started, by the server's clock, in milliseconds since 1970 (UTC).
    public var startUnixMillis: UInt64
    /// 0 for a session's first file; each rotation adds one.
    public var part: UInt32
    public var keyframeIntervalTicks: UInt32
    /// The world definition exactly as the world ran it, so the file replays alone.
    public var definition: WorldDefinition
    /// FNV-1a (64 bits) of the definition's encoding: says whether two recordings, or a
    /// recording and today's world files, describe the same space.
    public var definitionHash: UInt64

    public init(serverVersion: String, definition: WorldDefinition, seed: UInt64, startUnixMillis: UInt64, part: UInt32, keyframeIntervalTicks: UInt32) {
        self.serverVersion = serverVersion
        self.spaceID = definition.id
        self.seed = seed
        self.tickRateHertz = definition.tickRateHertz
        self.startUnixMillis = startUnixMillis
        self.part = part
        self.keyframeIntervalTicks = keyframeIntervalTicks
        self.definition = definition
        self.definitionHash = DefinitionCodec.hash(definition)
    }

    public func encode() -> [UInt8] {
        var w = ByteWriter(capacity: 1_024)
        w.u16(formatVersion)
        w.string8(clipped(serverVersion, bytes: 255))
        w.string8(spaceID)
        w.u64(seed)
        w.u16(UInt16(tickRateHertz))
        w.u64(startUnixMillis)
        w.u32(part)
        w.u32(keyframeIntervalTicks)
        w.u64(definitionHash)
        let d = DefinitionCodec.encode(definition)
        w.u32(UInt32(d.count))
        w.raw(d)
        return w.bytes
    }

    public static func decode(_ bytes: [UInt8]) throws -> RecordingHeader {
        var r = ByteReader(bytes)
        let version = try r.u16()
        guard RecordingFormat.versionsRead.contains(version) else {
            throw RecordingError("format version \(version); this build reads versions \(RecordingFormat.versionsRead.lowerBound) to \(RecordingFormat.versionsRead.upperBound)")
        }
        let serverVersion = try r.string8("serverVersion", maximum: 255)
        let spaceID = try r.string8("spaceID", maximum: 255)
        let seed = try r.u64()
        let tickRate = Int(try r.u16())
        let start = try r.u64()
        let part = try r.u32()
        let interval = try r.u32()
        let hash = try r.u64()
        let length = Int(try r.u32())
        let d = try r.raw(length)
        try r.finish()
        guard DefinitionCodec.hash(d) == hash else {
            throw RecordingError("the world definition does not match its hash (0x\(String(hash, radix: 16)))")
        }
        let definition = try DefinitionCodec.decode(d)
        guard definition.id == spaceID, definition.tickRateHertz == tickRate else {
            throw RecordingError("the header names space '\(spaceID)' at \(tickRate) Hz, its definition '\(definition.id)' at \(definition.tickRateHertz) Hz")
        }
        var h = RecordingHeader(serverVersion: serverVersion, definition: definition, seed: seed, startUnixMillis: start, part: part, keyframeIntervalTicks: interval)
        h.formatVersion = version
        return h
    }
}

// MARK: The world definition

public enum DefinitionCodec {
    public static func hash(_ definition: WorldDefinition) -> UInt64 { hash(encode(definition)) }

    static func hash(_ bytes: [UInt8]) -> UInt64 { fnv1a64(bytes) }

    public static func encode(_ d: WorldDefinition) -> [UInt8] {
        var w = ByteWriter(capacity: 4_096)
        w.string8(d.id)
        rect(&w, d.bounds)
        w.varint(UInt64(d.floors.count))
        for f in d.floors {
            w.zigzag(Int64(f.level))
            w.string8(clipped(f.name, bytes: 255))
        }
        w.varint(UInt64(d.obstacles.count))
        for o in d.obstacles {
            w.varint(o.floor.map { UInt64($0) + 1 } ?? 0)
            switch o.shape {
            case .rect(let r):
                w.u8(1)
                rect(&w, r)
            case .circle(let c):
                w.u8(2)
                w.i32(c.center.x)
                w.i32(c.center.y)
                w.i32(c.radius)
            case .polygon(let p):
                w.u8(3)
                w.varint(UInt64(p.vertices.count))
                for v in p.vertices {
                    w.i32(v.x)
                    w.i32(v.y)
                }
            }
        }
        w.varint(UInt64(d.spawnAreas.count))
        for s in d.spawnAreas {
            w.varint(UInt64(s.floor))
            rect(&w, s.area)
        }
        w.varint(UInt64(d.capacity))
        w.i32(d.personalSpaceRadiusCentimetres)
        w.i32(d.interest.enterRadiusCentimetres)
        w.i32(d.interest.leaveRadiusCentimetres)
        w.varint(UInt64(d.interest.visibleMax))
        w.i32(d.interest.nearRadiusCentimetres)
        w.varint(UInt64(d.interest.refreshPeriodTicks))
        w.varint(UInt64(d.interest.capHysteresisPercent))
        w.varint(UInt64(d.tickRateHertz))
        w.i32(d.walkSpeedCentimetresPerSecond)
        w.i32(d.runSpeedCentimetresPerSecond)
        return w.bytes
    }

    static func rect(_ w: inout ByteWriter, _ r: Rect) {
        w.i32(r.minX)
        w.i32(r.minY)
        w.i32(r.maxX)
        w.i32(r.maxY)
    }

    static func rect(_ r: inout ByteReader) throws -> Rect {
        Rect(minX: try r.i32(), minY: try r.i32(), maxX: try r.i32(), maxY: try r.i32())
    }

    public static func decode(_ bytes: [UInt8]) throws -> WorldDefinition {
        var r = ByteReader(bytes)
        let id = try r.string8("definition.id", maximum: 255)
        let bounds = try rect(&r)
        var floors: [Floor] = []
        for _ in 0..<(try r.varint("definition.floors", maximum: WorldDefinition.floorCountMax)) {
            let level = Int(try r.zigzag("floor.level"))
            floors.append(Floor(level: level, name: try r.string8("floor.name", maximum: 255)))
        }
        var obstacles: [Obstacle] = []
        for _ in 0..<(try r.varint("definition.obstacles", maximum: WorldDefinition.obstacleCountMax)) {
            let floorPlusOne = try r.varint("obstacle.floor", maximum: WorldDefinition.floorCountMax)
            let floor: Int? = floorPlusOne == 0 ? nil : floorPlusOne - 1
            let shape: Shape
            switch try r.u8() {
            case 1: shape = .rect(try rect(&r))
            case 2: shape = .circle(Circle(center: Vec2(try r.i32(), try r.i32()), radius: try r.i32()))
            case 3:
                var vertices: [Vec2] = []
                for _ in 0..<(try r.varint("polygon.vertices", maximum: Polygon.vertexCountMax)) { vertices.append(Vec2(try r.i32(), try r.i32())) }
                shape = .polygon(Polygon(vertices: vertices))
            case let k: throw RecordingError("obstacle shape kind \(k), not 1, 2 or 3")
            }
            obstacles.append(Obstacle(shape, floor: floor))
        }
        var spawnAreas: [SpawnArea] = []
        for _ in 0..<(try r.varint("definition.spawnAreas", maximum: WorldDefinition.spawnAreaCountMax)) {
            let floor = try r.varint("spawnArea.floor", maximum: WorldDefinition.floorCountMax)
            spawnAreas.append(SpawnArea(floor: floor, area: try rect(&r)))
        }
        let capacity = try r.varint("definition.capacity", maximum: WorldDefinition.capacityMax)
        let radius = try r.i32()
        let interest = InterestSettings(
            enterRadiusCentimetres: try r.i32(), leaveRadiusCentimetres: try r.i32(),
            visibleMax: try r.varint("interest.visibleMax", maximum: InterestSettings.visibleMaxRange.upperBound),
            nearRadiusCentimetres: try r.i32(),
            refreshPeriodTicks: try r.varint("interest.refreshPeriodTicks", maximum: InterestSettings.refreshPeriodTicksRange.upperBound),
            capHysteresisPercent: try r.varint("interest.capHysteresisPercent", maximum: 100))
        let tickRate = try r.varint("definition.tickRateHertz", maximum: WorldDefinition.tickRateHertzRange.upperBound)
        let walk = try r.i32()
        let run = try r.i32()
        try r.finish()
        let d = WorldDefinition(id: id, bounds: bounds, floors: floors, obstacles: obstacles, spawnAreas: spawnAreas, capacity: capacity,
                                personalSpaceRadiusCentimetres: radius, interest: interest, tickRateHertz: tickRate,
                                walkSpeedCentimetresPerSecond: walk, runSpeedCentimetresPerSecond: run)
        let problems = d.problems()
        guard problems.isEmpty else { throw RecordingError("the recorded world definition is not valid: " + problems.joined(separator: "; ")) }
        return d
    }
}

// MARK: Ticks

/// One tick as recorded: the inputs the world applied, in the order it applied them, and
/// what the tick left behind.
public struct TickRecord: Hashable, Sendable {
    public var tick: UInt64
    public var stateHash: UInt64
    /// The views' part of the state hash (`World.viewsHash`), so a replay without views can
    /// still check everything else.
    public var viewsHash: UInt64
    public var population: Int
    public var inputs: [Input]

    public init(tick: UInt64, stateHash: UInt64, viewsHash: UInt64, population: Int, inputs: [Input]) {
        self.tick = tick
        self.stateHash = stateHash
        self.viewsHash = viewsHash
        self.population = population
        self.inputs = inputs
    }
}

public enum TickCodec {
    /// Appends the record of the tick `world` just stepped (without its tick number: a block's
    /// ticks are consecutive): the state hash, the population, and the inputs as the world
    /// applied them (leaves, then enters, then moves, each group counted first).
    public static func append(_ w: inout ByteWriter, world: World) {
        w.u64(world.report.stateHash)
        w.u64(world.viewsHash)
        w.varint(UInt64(world.population))
        let counts = world.appliedInputCounts
        var group = -1
        world.forEachAppliedInput { input in
            // Before the first input of each group, the group's count (and of the empty groups before it).
            let g = input.group
            while group < g {
                group += 1
                w.varint(UInt64(group == 0 ? counts.leaves : group == 1 ? counts.enters : counts.moves))
            }
            append(&w, input)
        }
        while group < 2 {
            group += 1
            w.varint(UInt64(group == 0 ? counts.leaves : group == 1 ? counts.enters : counts.moves))
        }
    }

    static func append(_ w: inout ByteWriter, _ input: Input) {
        switch input {
        case .leave(let id):
            w.varint(UInt64(id.slot))
            w.varint(UInt64(id.generation))
        case .enter(let e):
            w.varint(e.tag)
            w.varint(UInt64(e.spawnArea))
            if let near = e.near {
                w.u8(1)
                w.varint(UInt64(near.floor))
                w.zigzag(Int64(near.position.x))
                w.zigzag(Int64(near.position.y))
            } else {
                w.u8(0)
            }
        case .move(let id, let move):
            w.varint(UInt64(id.slot))
            w.varint(UInt64(id.generation))
            switch move {
            case .stop:
                w.u8(0)
            case .go(let h, let pace):
                w.u8(1 | pace.rawValue << 4)
                w.u16(h.raw)
            case .walkTo(let p, let pace):
                w.u8(2 | pace.rawValue << 4)
                w.zigzag(Int64(p.x))
                w.zigzag(Int64(p.y))
            }
        }
    }

    /// Encodes the payload of a ticks block.
    public static func encodeBlock(firstTick: UInt64, records: [UInt8], count: Int) -> [UInt8] {
        var w = ByteWriter(capacity: records.count + 16)
        w.u64(firstTick)
        w.varint(UInt64(count))
        w.raw(records)
        return w.bytes
    }

    public static func decodeBlock(_ payload: [UInt8], formatVersion: UInt16 = RecordingFormat.version) throws -> [TickRecord] {
        var r = ByteReader(payload)
        let first = try r.u64()
        let count = try r.varint("ticks.count", maximum: payload.count)
        // Tick numbers are first, first + 1, ...: a block whose last tick would pass 2^64 - 1 is
        // damaged (or forged), not a trap (found by the FuzzRecording target).
        guard first <= UInt64.max - UInt64(count) else {
            throw RecordingError("a ticks block begins at tick \(first) with \(count) ticks: past the largest tick number")
        }
        var out: [TickRecord] = []
        out.reserveCapacity(count)
        for i in 0..<count {
            let hash = try r.u64()
            let viewsHash = try r.u64()
            let population = try r.varint("tick.population", maximum: WorldDefinition.capacityMax)
            var inputs: [Input] = []
            for _ in 0..<(try r.varint("tick.leaves", maximum: World.inputsPerTickMax)) {
                inputs.append(.leave(try avatar(&r)))
            }
            for _ in 0..<(try r.varint("tick.enters", maximum: World.inputsPerTickMax)) {
                let tag = try r.varint("enter.tag")
                let area = try r.varint("enter.spawnArea", maximum: WorldDefinition.spawnAreaCountMax)
                var near: Spot?
                if formatVersion >= 2 {
                    switch try r.u8() {
                    case 0: break
                    case 1:
                        let floor = try r.varint("enter.near.floor", maximum: WorldDefinition.floorCountMax)
                        let x = try r.zigzag("enter.near.x"), y = try r.zigzag("enter.near.y")
                        guard let px = Int32(exactly: x), let py = Int32(exactly: y) else {
                            throw RecordingError("tick \(first + UInt64(i)): an enter's return spot (\(x), \(y)) is out of range")
                        }
                        near = Spot(floor: floor, position: Vec2(px, py))
                    case let k: throw RecordingError("tick \(first + UInt64(i)): an enter's return-spot flag is \(k), not 0 or 1")
                    }
                }
                inputs.append(.enter(EnterRequest(tag: tag, spawnArea: area, near: near)))
            }
            for _ in 0..<(try r.varint("tick.moves", maximum: World.inputsPerTickMax)) {
                let id = try avatar(&r)
                let kind = try r.u8()
                guard let pace = kind & 0x0F == 0 ? Pace.walk : Pace(rawValue: kind >> 4) else {
                    throw RecordingError("tick \(first + UInt64(i)): move with pace \(kind >> 4), not 1 or 2")
                }
                switch kind & 0x0F {
                case 0: inputs.append(.move(id, .stop))
                case 1: inputs.append(.move(id, .go(Heading(raw: try r.u16()), pace)))
                case 2:
                    let x = try coordinate(&r), y = try coordinate(&r)
                    inputs.append(.move(id, .walkTo(Vec2(x, y), pace)))
                default: throw RecordingError("tick \(first + UInt64(i)): move kind \(kind & 0x0F), not 0, 1 or 2")
                }
            }
            out.append(TickRecord(tick: first + UInt64(i), stateHash: hash, viewsHash: viewsHash, population: population, inputs: inputs))
        }
        try r.finish()
        return out
    }

    static func avatar(_ r: inout ByteReader) throws -> AvatarID {
        let slot = try r.varint("avatar.slot", maximum: WorldDefinition.capacityMax)
        let generation = try r.varint("avatar.generation", maximum: Int(UInt32.max))
        return AvatarID(slot: UInt32(slot), generation: UInt32(generation))
    }

    static func coordinate(_ r: inout ByteReader) throws -> Int32 {
        let v = try r.zigzag("coordinate")
        guard let c = Int32(exactly: v) else { throw RecordingError("coordinate \(v) outside 32 bits") }
        return c
    }
}

extension Input {
    /// 0 leaves, 1 enters, 2 moves: the order a tick applies them in.
    var group: Int {
        switch self {
        case .leave: return 0
        case .enter: return 1
        case .move: return 2
        }
    }
}

// MARK: Keyframes

public struct Keyframe: Hashable, Sendable {
    public var state: WorldState
    /// The world's state hash at this state, as the recording server computed it.
    public var stateHash: UInt64

    public init(state: WorldState, stateHash: UInt64) {
        self.state = state
        self.stateHash = stateHash
    }

    public var tick: UInt64 { state.tick }

    public func encode() -> [UInt8] {
        var w = ByteWriter(capacity: 64 + state.slots.count * 32)
        w.u64(state.tick)
        w.u64(state.random.state.0)
        w.u64(state.random.state.1)
        w.u64(state.random.state.2)
        w.u64(state.random.state.3)
        w.u64(stateHash)
        w.varint(UInt64(state.slots.count))
        for slot in state.slots {
            w.varint(UInt64(slot.generation))
            guard let a = slot.avatar else {
                w.u8(0)
                continue
            }
            w.u8(1)
            w.varint(a.tag)
            w.i32(a.position.x)
            w.i32(a.position.y)
            w.varint(UInt64(a.floor))
            w.u16(a.heading.raw)
            switch a.movement {
            case .idle:
                w.u8(0)
            case .heading(let h, let pace):
                w.u8(1 | pace.rawValue << 4)
                w.u16(h.raw)
            case .target(let t, let pace):
                w.u8(2 | pace.rawValue << 4)
                w.i32(t.x)
                w.i32(t.y)
            }
            w.varint(a.enteredTick)
            w.varint(UInt64(a.view.count))
            for e in a.view {
                w.u32(e.entry)
                w.u8(e.band)
            }
        }
        return w.bytes
    }

    public static func decode(_ payload: [UInt8]) throws -> Keyframe {
        var r = ByteReader(payload)
        let tick = try r.u64()
        let random = (try r.u64(), try r.u64(), try r.u64(), try r.u64())
        guard random != (0, 0, 0, 0) else { throw RecordingError("keyframe at tick \(tick): the all-zero generator state") }
        let hash = try r.u64()
        let count = try r.varint("keyframe.slots", maximum: WorldDefinition.capacityMax)
        var slots: [WorldState.Slot] = []
        slots.reserveCapacity(count)
        for s in 0..<count {
            let generation = UInt32(try r.varint("slot.generation", maximum: Int(UInt32.max)))
            switch try r.u8() {
            case 0:
                slots.append(WorldState.Slot(generation: generation, avatar: nil))
            case 1:
                let tag = try r.varint("avatar.tag")
                let position = Vec2(try r.i32(), try r.i32())
                let floor = Int32(try r.varint("avatar.floor", maximum: WorldDefinition.floorCountMax))
                let heading = Heading(raw: try r.u16())
                let kind = try r.u8()
                let pace = Pace(rawValue: kind >> 4)
                let movement: Movement
                switch (kind & 0x0F, pace) {
                case (0, _): movement = .idle
                case (1, .some(let p)): movement = .heading(Heading(raw: try r.u16()), p)
                case (2, .some(let p)): movement = .target(Vec2(try r.i32(), try r.i32()), p)
                default: throw RecordingError("keyframe at tick \(tick), slot \(s): movement byte 0x\(String(kind, radix: 16)) is not a movement")
                }
                let entered = try r.varint("avatar.enteredTick")
                var view: [WorldState.ViewEntry] = []
                let n = try r.varint("avatar.view", maximum: InterestSettings.visibleMaxRange.upperBound)
                view.reserveCapacity(n)
                for _ in 0..<n { view.append(WorldState.ViewEntry(entry: try r.u32(), band: try r.u8())) }
                slots.append(WorldState.Slot(generation: generation, avatar: WorldState.Avatar(
                    tag: tag, position: position, floor: floor, heading: heading, movement: movement, enteredTick: entered, view: view)))
            case let b:
                throw RecordingError("keyframe at tick \(tick), slot \(s): alive byte \(b), not 0 or 1")
            }
        }
        try r.finish()
        return Keyframe(state: WorldState(tick: tick, random: WorldRandom(state: random), slots: slots), stateHash: hash)
    }
}

// MARK: The end

public struct RecordingEnd: Hashable, Sendable {
    public enum Reason: UInt8, Sendable {
        /// The server stopped in good order.
        case shutdown = 1
        /// The file reached its size or time limit; the next part continues the session.
        case rotated = 2
        /// The recorder stopped (the disk writer fell too far behind, or a write failed).
        case abandoned = 3
    }

    public var lastTick: UInt64
    public var reason: Reason
    public var text: String

    public init(lastTick: UInt64, reason: Reason, text: String) {
        self.lastTick = lastTick
        self.reason = reason
        self.text = text
    }

    public func encode() -> [UInt8] {
        var w = ByteWriter()
        w.u64(lastTick)
        w.u8(reason.rawValue)
        w.string16(clipped(text, bytes: 1_024))
        return w.bytes
    }

    public static func decode(_ payload: [UInt8]) throws -> RecordingEnd {
        var r = ByteReader(payload)
        let tick = try r.u64()
        let raw = try r.u8()
        guard let reason = Reason(rawValue: raw) else { throw RecordingError("end reason \(raw), not 1, 2 or 3") }
        let text = try r.string16("end.text", maximum: 1_024)
        try r.finish()
        return RecordingEnd(lastTick: tick, reason: reason, text: text)
    }
}
