// What goes into a tick and what comes out of it.

public enum Input: Hashable, Sendable {
    case enter(EnterRequest)
    case leave(AvatarID)
    case move(AvatarID, Move)
}

public struct EnterRequest: Hashable, Sendable {
    /// The caller's reference (a session id), echoed in the result.
    public var tag: UInt64
    /// Index into the world's spawn areas.
    public var spawnArea: Int
    /// A spot to come back to (someone returning from a room): the free spot nearest to it on
    /// that floor, within `World.nearSearchRadiusCentimetres`; the spawn area when none is free.
    public var near: Spot?

    public init(tag: UInt64, spawnArea: Int = 0, near: Spot? = nil) {
        self.tag = tag
        self.spawnArea = spawnArea
        self.near = near
    }
}

/// A place in a world: a floor index and a position on it.
public struct Spot: Hashable, Sendable {
    public var floor: Int
    public var position: Vec2
    public init(floor: Int, position: Vec2) {
        self.floor = floor
        self.position = position
    }
}

public enum EntryRefusal: String, Hashable, Sendable, CaseIterable {
    /// The world already holds `capacity` avatars.
    case worldFull = "world-full"
    /// No spot in the spawn area is clear of obstacles and other avatars' personal space.
    case noFreeSpot = "no-free-spot"
    /// The request named a spawn area the world does not have.
    case noSuchSpawnArea = "no-such-spawn-area"
}

public struct EnterResult: Hashable, Sendable {
    public var tag: UInt64
    public var outcome: Result<AvatarID, EntryRefusal>
}

extension EntryRefusal: Error {}

/// One change in one observer's view.
public struct ViewChange: Hashable, Sendable {
    public var observer: AvatarID
    public var subject: AvatarID
    public var entered: Bool

    public init(observer: AvatarID, subject: AvatarID, entered: Bool) {
        self.observer = observer
        self.subject = subject
        self.entered = entered
    }
}

/// Inputs the step could not apply, by reason. Counted, never trapped on.
public struct InputRejections: Hashable, Sendable {
    /// The id's slot holds no avatar.
    public var unknownAvatar = 0
    /// The id's slot holds a newer avatar than the id names.
    public var staleAvatar = 0
    /// A walk-to target outside the world's walkable bounds.
    public var invalidMove = 0
    /// Beyond `World.inputsPerTickMax` in one tick.
    public var overLimit = 0

    public var total: Int { unknownAvatar + staleAvatar + invalidMove + overLimit }

    public static func += (a: inout InputRejections, b: InputRejections) {
        a.unknownAvatar += b.unknownAvatar
        a.staleAvatar += b.staleAvatar
        a.invalidMove += b.invalidMove
        a.overLimit += b.overLimit
    }
}

/// Movement outcomes that the no-contact rule and the geometry changed.
public struct MovementCounters: Hashable, Sendable {
    /// Moves whose full step would have broken another avatar's personal space.
    public var contactsPrevented = 0
    /// Of those, moves that slid along instead.
    public var slid = 0
    /// Moves stopped (for one tick) by another avatar.
    public var stoppedByAvatar = 0
    /// Moves that an obstacle or the bounds shortened or stopped.
    public var blockedByGeometry = 0

    public static func += (a: inout MovementCounters, b: MovementCounters) {
        a.contactsPrevented += b.contactsPrevented
        a.slid += b.slid
        a.stoppedByAvatar += b.stoppedByAvatar
        a.blockedByGeometry += b.blockedByGeometry
    }
}

/// Everything one tick produced. Buffers are reused from tick to tick.
public struct TickReport: Sendable {
    public var tick: UInt64 = 0
    public var enterResults: [EnterResult] = []
    public var left: [AvatarID] = []
    public var viewChanges: [ViewChange] = []
    public var rejections = InputRejections()
    public var movement = MovementCounters()
    /// Views recomputed this tick, and the candidates their scans examined and kept as eligible.
    public var viewRefreshes = 0
    public var viewCandidates = 0
    /// Refreshes whose look within the view's last reach found too few and scanned again.
    public var viewRescans = 0
    /// Spots examined while placing newcomers (random tries and lattice points).
    public var spawnSpotsExamined = 0
    public var stateHash: UInt64 = 0

    mutating func reset(tick: UInt64) {
        self.tick = tick
        enterResults.removeAll(keepingCapacity: true)
        left.removeAll(keepingCapacity: true)
        viewChanges.removeAll(keepingCapacity: true)
        rejections = InputRejections()
        movement = MovementCounters()
        viewRefreshes = 0
        viewCandidates = 0
        viewRescans = 0
        spawnSpotsExamined = 0
        stateHash = 0
    }
}
