// Avatar identity and movement intentions.

/// An avatar's handle: a slot in the world's tables and the generation of that slot. A slot
/// is reused after its avatar leaves, with the generation raised, so an id kept past its
/// avatar's departure never reaches the newcomer in the same slot.
public struct AvatarID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var slot: UInt32
    public var generation: UInt32

    @inlinable public init(slot: UInt32, generation: UInt32) {
        self.slot = slot
        self.generation = generation
    }

    /// Generation in the high word, slot in the low word.
    @inlinable public var packed: UInt64 { UInt64(generation) << 32 | UInt64(slot) }
    @inlinable public init(packed: UInt64) {
        self.slot = UInt32(truncatingIfNeeded: packed)
        self.generation = UInt32(truncatingIfNeeded: packed >> 32)
    }

    public static func < (a: AvatarID, b: AvatarID) -> Bool { (a.slot, a.generation) < (b.slot, b.generation) }
    public var description: String { "#\(slot).\(generation)" }
}

public enum Pace: UInt8, Sendable, Hashable, CaseIterable {
    case walk = 1
    case run = 2
}

/// What a client asks its avatar to do; the server decides what actually happens.
public enum Move: Hashable, Sendable {
    case stop
    /// Keep going this way at this pace until told otherwise.
    case go(Heading, Pace)
    /// Go to this point on the current floor, then stop.
    case walkTo(Vec2, Pace)
}

/// What an avatar is doing, as kept in the state.
public enum Movement: Hashable, Sendable {
    case idle
    case heading(Heading, Pace)
    case target(Vec2, Pace)

    var hashWords: (UInt64, UInt64) {
        switch self {
        case .idle: return (0, 0)
        case .heading(let h, let p): return (1 | UInt64(p.rawValue) << 8 | UInt64(h.raw) << 16, 0)
        case .target(let t, let p):
            return (2 | UInt64(p.rawValue) << 8, UInt64(UInt32(bitPattern: t.x)) << 32 | UInt64(UInt32(bitPattern: t.y)))
        }
    }
}
