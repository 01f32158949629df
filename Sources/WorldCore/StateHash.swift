// A 64-bit hash of the world state, the same in every process and on every run.
//
// Swift's `Hasher` is seeded per process, so it cannot be used for anything that is
// compared across runs. This is a word-at-a-time mix in the style of xxHash64's round and
// avalanche (Yann Collet); it is not cryptographic, only sensitive to every bit of every
// word fed to it and to their order.

public struct StateHasher: Sendable {
    @usableFromInline var h: UInt64

    @inlinable public init(seed: UInt64 = .seoulHashSeed) { h = seed ^ 0x27D4_EB2F_1656_67C5 }

    @inlinable public mutating func combine(_ word: UInt64) {
        h ^= rotateLeft(word &* 0xC2B2_AE3D_27D4_EB4F, 31) &* 0x9E37_79B1_85EB_CA87
        h = rotateLeft(h, 27) &* 0x9E37_79B1_85EB_CA87 &+ 0x85EB_CA77_C2B2_AE63
    }

    @inlinable public mutating func combine(_ value: Int) { combine(UInt64(bitPattern: Int64(value))) }

    @inlinable public func finalize() -> UInt64 { mix64(h) }
}

/// A bijective 64-bit finaliser (xxHash64's avalanche step).
@inlinable public func mix64(_ value: UInt64) -> UInt64 {
    var x = value
    x ^= x >> 33
    x &*= 0xC2B2_AE3D_27D4_EB4F
    x ^= x >> 29
    x &*= 0x1656_67B1_9E37_79F9
    x ^= x >> 32
    return x
}

/// FNV-1a, 64 bits (offset basis 0xCBF29CE484222325, prime 0x100000001B3): a stable hash of
/// bytes, for seeds from names and for recordings' definition hashes.
public func fnv1a64<S: Sequence>(_ bytes: S) -> UInt64 where S.Element == UInt8 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
    return h
}

extension UInt64 {
    /// The seed every state hash starts from: "SEOUL" in ASCII.
    public static let seoulHashSeed: UInt64 = 0x53_45_4F_55_4C
}
