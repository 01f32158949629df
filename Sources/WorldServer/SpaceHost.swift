// Space hosting: the worlds the server runs, in the order the tick steps them, the room
// templates rooms are made from, and what the snapshot path and the recording share across
// spaces. One owner (the loop thread, through Server); the tick (Server+Tick), rooms
// (Rooms/RoomsSubsystem) and recording (Server+Recording) add and remove spaces only here.
//
// Invariants:
// 1. `spaceOrder` is exactly the keys of `spaces`, sorted: the tick's order, the same every run.
// 2. A template is never in `spaces`: rooms are made from it under their own ids.

import NetProto
import Recording
import Services
import Store
import WorldCore

final class SpaceHost {
    /// The spaces listed in `welcome`, and which of them are room templates (not served as such).
    let entries: [SpaceEntry]
    let templateIDs: Set<String>
    /// The room templates, by id: what a room opened from each is made of.
    var templates: [String: RoomTemplate] = [:]
    private(set) var spaces: [String: SpaceInstance]
    private(set) var spaceOrder: [String]
    /// The snapshot path's working memory, shared by every client (the loop thread's own):
    /// acknowledgements use it, and it is the first snapshot worker's.
    let snapshotScratch = SnapshotScratch()
    /// The threads that build one space's snapshots after its step (`serve --workers`).
    let snapshotWork: SnapshotWork
    /// The sessions of the space whose snapshots are being built, and what each was built:
    /// kept between ticks so that a tick allocates neither.
    var snapshotSessions: [Session] = []
    var snapshotBuilt: [SnapshotWork.Built?] = []
    /// The space's avatars quantised once for all its clients (remade for each space's snapshots).
    let tickStates = TickStates()
    var recordingWriter: RecordingWriter?
    var viewDigests: ViewDigestLog?

    init(spaces: [String: SpaceInstance], entries: [SpaceEntry], templateIDs: Set<String>, snapshotWorkers: Int = 1) {
        snapshotWork = SnapshotWork(workers: snapshotWorkers, first: snapshotScratch)
        self.spaces = spaces
        spaceOrder = spaces.keys.sorted()
        self.entries = entries
        self.templateIDs = templateIDs
    }

    /// Serves `instance` as `id` from the next tick on.
    func add(_ id: String, _ instance: SpaceInstance) {
        precondition(spaces[id] == nil && !templateIDs.contains(id))
        spaces[id] = instance
        spaceOrder.insert(id, at: spaceOrder.firstIndex { $0 > id } ?? spaceOrder.endIndex)
    }

    /// The public space an instance's name belongs to: `seoul-plaza` for `seoul-plaza#2` (an
    /// overflow instance on a node of a cluster, docs/CLUSTER.md), any other id unchanged.
    static func base(_ id: String) -> String { SpaceInstanceKey(parsing: id).space }

    /// `id`'s world and those of its overflow instances served here, in tick order.
    func instances(of id: String) -> [SpaceInstance] {
        spaceOrder.filter { Self.base($0) == id }.compactMap { spaces[$0] }
    }

    /// Stops serving `id`; returns its instance.
    @discardableResult
    func remove(_ id: String) -> SpaceInstance? {
        guard let instance = spaces.removeValue(forKey: id) else { return nil }
        spaceOrder.removeAll { $0 == id }
        return instance
    }
}

/// One space the server runs: its world, the sessions in it, its recorder and its evidence.
final class SpaceInstance {
    var world: World
    let seed: UInt64
    var recorder: SpaceRecorder?
    var inputs: [Input] = []
    var members: [UInt64: Session] = [:]
    var sessionBySlot: [UInt32: Session] = [:]
    /// How far nearby chat carries (the world file's `chatRadiusMetres`).
    var chatRadiusCentimetres: Int32 = 2_000
    /// The last minutes of the space's chat, and where everyone stood over the last minute:
    /// the evidence reports attach (Moderation/ModerationSubsystem.swift).
    var chatLog = ChatLog()
    var trail = PositionTrail()

    init(world: World, seed: UInt64) {
        self.world = world
        self.seed = seed
    }

    /// The session whose avatar is `entity` (the protocol's entity number), if any.
    func session(forEntity entity: UInt32) -> Session? {
        guard let s = sessionBySlot[entity & 0xF_FFFF], let avatar = s.avatar, SnapshotFeed.entity(avatar) == entity else { return nil }
        return s
    }

    /// Once a second: every avatar's place into the trail, and the chat log's old lines
    /// forgotten (the evidence a report attaches keeps only its last minutes).
    func sampleEvidence(nowMillis now: Int64) {
        var sample = PositionSample(tick: world.tick, atMillis: now)
        for a in world.avatars {
            sample.add(entity: SnapshotFeed.entity(a.id), floor: UInt8(truncatingIfNeeded: a.floor), x: a.position.x, y: a.position.y)
        }
        trail.record(sample)
        chatLog.forget(before: now - chatLog.limits.keepMillis)
    }
}
