// The seeded random number generator kept in the world state.
//
// xoshiro256** (Blackman and Vigna, 2018), seeded through SplitMix64 as its authors
// recommend. Its four words are part of the state hash, so a replay that draws one number
// more or less than the original diverges visibly at that tick.

public struct WorldRandom: RandomNumberGenerator, Hashable, Sendable {
    public private(set) var state: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var sm = seed
        func splitMix() -> UInt64 {
            sm &+= 0x9E37_79B9_7F4A_7C15
            var z = sm
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    /// A generator continuing from `state` (as captured in a keyframe). The all-zero state is
    /// the one xoshiro cannot leave; seeding never produces it.
    public init(state: (UInt64, UInt64, UInt64, UInt64)) {
        precondition(state != (0, 0, 0, 0), "xoshiro256** cannot run from the all-zero state")
        self.state = state
    }

    public mutating func next() -> UInt64 {
        let result = rotateLeft(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotateLeft(state.3, 45)
        return result
    }

    /// A uniform integer in `range`, by Lemire's multiply-and-reject method: unbiased and
    /// the same on every platform (the standard library's `random(in:using:)` does not
    /// promise a particular algorithm across releases, so the core does not use it).
    public mutating func uniform(_ range: ClosedRange<Int32>) -> Int32 {
        let span = UInt64(Int64(range.upperBound) - Int64(range.lowerBound)) + 1
        return Int32(Int64(range.lowerBound) + Int64(uniform(below: span)))
    }

    public mutating func uniform(below bound: UInt64) -> UInt64 {
        precondition(bound > 0, "uniform(below:) needs a positive bound")
        var m = next().multipliedFullWidth(by: bound)
        if m.low < bound {
            let threshold = (0 &- bound) % bound
            while m.low < threshold { m = next().multipliedFullWidth(by: bound) }
        }
        return m.high
    }

    public static func == (a: WorldRandom, b: WorldRandom) -> Bool {
        a.state.0 == b.state.0 && a.state.1 == b.state.1 && a.state.2 == b.state.2 && a.state.3 == b.state.3
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(state.0)
        hasher.combine(state.1)
        hasher.combine(state.2)
        hasher.combine(state.3)
    }
}

@inlinable func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
