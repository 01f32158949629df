// The server's sessions, by id and by account: the one owner of both tables (issue 23). Other
// parts address a session by its id or a member's sessions by account, never keep a second
// list of them.
//
// Invariants:
// 1. `byAccount` lists exactly the ids of the sessions admitted as members of that account,
//    each once, and no account with none.
// 2. Ids are never 0 and never reused while the server runs with the session still here.

final class SessionTable {
    private(set) var byID: [UInt64: Session] = [:]
    private var byAccount: [String: [UInt64]] = [:]
    /// Session ids, UDP secrets and binding nonces: the system's randomness, or a simulation's seed.
    var random: ServerRandom

    init(random: ServerRandom) { self.random = random }

    subscript(id: UInt64) -> Session? { byID[id] }
    var values: Dictionary<UInt64, Session>.Values { byID.values }
    var count: Int { byID.count }

    /// A fresh id, not 0 and not in use.
    func newID() -> UInt64 {
        var id: UInt64
        repeat { id = random.next() } while id == 0 || byID[id] != nil
        return id
    }

    func add(_ s: Session) {
        assert(byID[s.id] == nil)
        byID[s.id] = s
    }

    /// A member's session is counted among its account's (after its standing was read).
    func admit(_ s: Session, account: String) {
        assert(byID[s.id] === s && !(byAccount[account]?.contains(s.id) ?? false))
        byAccount[account, default: []].append(s.id)
    }

    /// The session is gone: out of both tables.
    func remove(_ s: Session) {
        byID[s.id] = nil
        guard let account = s.accountID, var ids = byAccount[account] else { return }
        ids.removeAll { $0 == s.id }
        byAccount[account] = ids.isEmpty ? nil : ids
    }

    /// The sessions of an account, in the order they were admitted.
    func of(account: String) -> [Session] { (byAccount[account] ?? []).compactMap { byID[$0] } }
}

/// The server's randomness (session ids, UDP secrets, binding nonces): the system's in service;
/// SplitMix64 from a seed when one is given, so that a simulation's seed decides every number.
struct ServerRandom: RandomNumberGenerator {
    private var state: UInt64?
    private var system = SystemRandomNumberGenerator()

    init(seed: UInt64?) { state = seed }

    mutating func next() -> UInt64 {
        guard var z = state else { return system.next() }
        z &+= 0x9E37_79B9_7F4A_7C15
        state = z
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
