// A recording as the source of a server's world: `seoulworld replay FILE --serve PORT`.

import Recording
import WorldCore

public final class ReplaySource {
    public private(set) var replayer: Replayer
    /// The last tick served (inclusive).
    public let lastTick: UInt64

    /// Serves from the tick `from` (or the start) to `to` (or the end of the intact part).
    public init(file: RecordingFile, from: UInt64?, to: UInt64?) throws {
        // Spectators watch from a camera, not through views: the world steps without them.
        replayer = try Replayer(file: file, before: from, views: false)
        lastTick = min(to ?? file.lastTick, file.lastTick)
    }

    /// The world after the next recorded tick, or nil when the recording (or the window) ends.
    func next() -> World? {
        guard replayer.world.tick < lastTick, replayer.step() != nil else { return nil }
        return replayer.world
    }
}
