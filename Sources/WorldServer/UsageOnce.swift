// Uses of a service that a client could repeat at will (asking about a place, reading the
// guide) are counted once per connection and key: the usage records say how many visitors
// used it, and a client asking in a loop cannot fill the store's queue with the same row and
// crowd out everyone else's records (the queue is bounded: Server+Records).
//
// Invariant: a connection's keys are forgotten when it closes, and each connection holds at
// most `keysMax` keys (beyond that nothing more is counted for it).

struct UsageOnce {
    static let keysMax = 256
    private var seen: [UInt64: Set<String>] = [:]

    /// Whether this is the connection's first use under `key` (and notes it).
    mutating func first(_ session: UInt64, _ key: String) -> Bool {
        guard seen[session, default: []].count < Self.keysMax else { return false }
        return seen[session, default: []].insert(key).inserted
    }

    mutating func forget(_ session: UInt64) { seen[session] = nil }
}
