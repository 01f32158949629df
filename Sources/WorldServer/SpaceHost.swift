// Space hosting: the worlds the server runs, in the order the tick steps them, the room
// templates rooms are made from, and what the snapshot path and the recording share across
// spaces. One owner (the loop thread, through Server); the tick (Server+Tick), rooms
// (Server+Rooms) and recording (Server+Recording) add and remove spaces only here.
//
// Invariants:
// 1. `spaceOrder` is exactly the keys of `spaces`, sorted: the tick's order, the same every run.
// 2. A template is never in `spaces`: rooms are made from it under their own ids.

import NetProto
import Recording
import WorldCore

final class SpaceHost {
    /// The spaces listed in `welcome`, and which of them are room templates (not served as such).
    let entries: [SpaceEntry]
    let templateIDs: Set<String>
    /// The room templates, by id: what a room opened from each is made of.
    var templates: [String: RoomTemplate] = [:]
    private(set) var spaces: [String: SpaceInstance]
    private(set) var spaceOrder: [String]
    /// The snapshot path's working memory, shared by every client (the loop thread's own).
    let snapshotScratch = SnapshotScratch()
    var recordingWriter: RecordingWriter?
    var viewDigests: ViewDigestLog?

    init(spaces: [String: SpaceInstance], entries: [SpaceEntry], templateIDs: Set<String>) {
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

    /// Stops serving `id`; returns its instance.
    @discardableResult
    func remove(_ id: String) -> SpaceInstance? {
        guard let instance = spaces.removeValue(forKey: id) else { return nil }
        spaceOrder.removeAll { $0 == id }
        return instance
    }
}
