// One service desk's queue (issue 12): citizens wait in order, staff on duty take the next one
// into a 1:1 session, and the desk says where each citizen stands and about how long the wait
// is. Pure: time is an argument (Unix milliseconds), and the caller carries out the results
// (moving people into rooms, pushing positions, writing service events).
//
// Rules:
// - One place per account in this queue (the caller keeps one queue per account across desks).
// - First come, first served; at a desk with fields (the Business Support Center's experts),
//   a citizen waits in the field's queue and staff serve their own field.
// - A citizen who disconnects keeps the place for `holdMillis`, is passed over meanwhile, and
//   is skipped after it; coming back in time resumes the place.
// - A staff member who disconnects mid-session puts the citizen back at the head of the queue.
// - The estimate is the median of the desk's recent session lengths times the rounds of
//   sessions ahead: ceil(position / staff on duty for the field); none without staff.
//
// Invariants:
// 1. An account is at most once among the waiting and the sessions together.
// 2. A staff member serves at most one session, and only while on duty.
// 3. `recentSessionMillis` holds at most `rules.recentSessionsKept` values.

public struct DeskRules: Sendable, Equatable {
    public var queueMax = 500
    public var holdMillis: Int64 = 60_000
    /// The estimate's session length before any session has ended.
    public var defaultSessionMillis: Int64 = 10 * 60_000
    public var recentSessionsKept = 50
    public init() {}
}

public enum DeskRefusal: Error, Equatable, Sendable {
    case alreadyQueued
    case full(Int)
    case fieldRequired([String])
    case unknownField(String)
    case notOnDuty
    case alreadyServing
    case nobodyWaiting

    public var sentence: String {
        switch self {
        case .alreadyQueued: return "you are already in this queue"
        case .full(let n): return "the queue is full (\(n) waiting); try again later"
        case .fieldRequired(let fields): return "choose a field: \(fields.joined(separator: ", "))"
        case .unknownField(let f): return "this desk has no field '\(f)'"
        case .notOnDuty: return "go on duty at this desk first"
        case .alreadyServing: return "finish your current session first"
        case .nobodyWaiting: return "nobody is waiting (for your field)"
        }
    }
}

public struct DeskQueue: Sendable {
    public struct Waiting: Sendable, Equatable {
        public var account: String
        public var field: String?
        public var joinedAtMillis: Int64
        /// Set while the citizen is disconnected: the place is kept until then.
        public var heldUntilMillis: Int64?
    }

    public struct Session: Sendable, Equatable {
        public var staff: String
        public var citizen: String
        public var field: String?
        public var startedAtMillis: Int64
        /// How long the citizen waited (join to taken).
        public var waitedMillis: Int64
        /// The room the session is held in, once the caller has opened it.
        public var roomID: UInt32?
    }

    public struct Standing: Sendable, Equatable {
        public var position: Int
        /// Nil when nobody serves the citizen's queue now.
        public var estimateMillis: Int64?
    }

    public let rules: DeskRules
    /// The fields staff serve and citizens choose; empty for a desk of one queue.
    public let fields: [String]
    public private(set) var waiting: [Waiting] = []
    /// Staff on duty and the field each serves (nil at a desk without fields).
    public private(set) var onDuty: [String: String?] = [:]
    public private(set) var sessions: [String: Session] = [:]
    public private(set) var recentSessionMillis: [Int64] = []

    public init(fields: [String] = [], rules: DeskRules = DeskRules()) {
        self.fields = fields
        self.rules = rules
    }

    func check(field: String?) -> DeskRefusal? {
        if fields.isEmpty { return nil }
        guard let field else { return .fieldRequired(fields) }
        return fields.contains(field) ? nil : .unknownField(field)
    }

    public func contains(_ account: String) -> Bool {
        waiting.contains { $0.account == account } || sessions.values.contains { $0.citizen == account }
    }

    // MARK: Citizens

    public mutating func join(_ account: String, field: String?, nowMillis: Int64) -> Result<Standing, DeskRefusal> {
        guard !contains(account) else { return .failure(.alreadyQueued) }
        if let refusal = check(field: field) { return .failure(refusal) }
        guard waiting.count < rules.queueMax else { return .failure(.full(rules.queueMax)) }
        waiting.append(Waiting(account: account, field: fields.isEmpty ? nil : field, joinedAtMillis: nowMillis))
        return .success(standing(of: account)!)
    }

    /// A citizen leaves the queue (abandons); returns when they had joined, if they were waiting.
    public mutating func leave(_ account: String) -> Waiting? {
        guard let i = waiting.firstIndex(where: { $0.account == account }) else { return nil }
        return waiting.remove(at: i)
    }

    /// The citizen's connection dropped: the place is kept for `holdMillis`.
    public mutating func disconnected(_ account: String, nowMillis: Int64) {
        guard let i = waiting.firstIndex(where: { $0.account == account }) else { return }
        waiting[i].heldUntilMillis = nowMillis + rules.holdMillis
    }

    /// The citizen is back in time: the place resumes. Returns the standing, if they had one.
    public mutating func reconnected(_ account: String) -> Standing? {
        guard let i = waiting.firstIndex(where: { $0.account == account }) else { return nil }
        waiting[i].heldUntilMillis = nil
        return standing(of: account)
    }

    /// Removes (and returns) the citizens whose hold ran out: skipped.
    public mutating func expireHolds(nowMillis: Int64) -> [Waiting] {
        let gone = waiting.filter { $0.heldUntilMillis.map { $0 <= nowMillis } ?? false }
        waiting.removeAll { $0.heldUntilMillis.map { $0 <= nowMillis } ?? false }
        return gone
    }

    // MARK: Staff

    public mutating func goOnDuty(_ staff: String, field: String?) -> DeskRefusal? {
        if let refusal = check(field: field) { return refusal }
        onDuty[staff] = fields.isEmpty ? .some(nil) : .some(field)
        return nil
    }

    /// Off duty; a session in progress goes on until it ends.
    public mutating func goOffDuty(_ staff: String) { onDuty[staff] = nil }

    /// The staff member takes the next citizen present in their queue.
    public mutating func takeNext(_ staff: String, nowMillis: Int64) -> Result<Session, DeskRefusal> {
        guard let field = onDuty[staff] else { return .failure(.notOnDuty) }
        guard sessions[staff] == nil else { return .failure(.alreadyServing) }
        guard let i = waiting.firstIndex(where: { $0.heldUntilMillis == nil && $0.field == field }) else { return .failure(.nobodyWaiting) }
        let w = waiting.remove(at: i)
        let session = Session(staff: staff, citizen: w.account, field: w.field, startedAtMillis: nowMillis, waitedMillis: max(0, nowMillis - w.joinedAtMillis))
        sessions[staff] = session
        assert(!waiting.contains { $0.account == w.account })
        return .success(session)
    }

    /// The room where the session this staff member just took is held.
    public mutating func held(in roomID: UInt32, staff: String) {
        assert(sessions[staff] != nil, "hold a session that was taken")
        sessions[staff]?.roomID = roomID
    }

    /// The session held in `roomID`, if any.
    public func session(inRoom roomID: UInt32) -> Session? { sessions.values.first { $0.roomID == roomID } }

    /// The session this account is in, as staff or as citizen, if any.
    public func session(involving account: String) -> Session? { sessions.values.first { $0.staff == account || $0.citizen == account } }

    public func isWaiting(_ account: String) -> Bool { waiting.contains { $0.account == account } }

    /// The session of this staff member, or the one this citizen is in, ends (either left, or
    /// staff closed it); its length counts for the estimates.
    public mutating func endSession(involving account: String, nowMillis: Int64) -> (Session, durationMillis: Int64)? {
        guard let s = sessions.values.first(where: { $0.staff == account || $0.citizen == account }) else { return nil }
        sessions[s.staff] = nil
        let duration = max(0, nowMillis - s.startedAtMillis)
        recentSessionMillis.append(duration)
        if recentSessionMillis.count > rules.recentSessionsKept { recentSessionMillis.removeFirst(recentSessionMillis.count - rules.recentSessionsKept) }
        return (s, duration)
    }

    /// The session just taken never began (the citizen had gone): it ends without counting for
    /// the estimates.
    public mutating func dropSession(_ staff: String) { sessions[staff] = nil }

    /// A staff member's connection dropped: off duty, and a citizen being served goes back to
    /// the head of the queue (with their original join time). Returns that citizen.
    public mutating func staffDisconnected(_ staff: String) -> String? {
        onDuty[staff] = nil
        return sessionUndone(staff)
    }

    /// The session just taken could not begin (no room for it): the citizen goes back to the
    /// head of the queue with their original join time, and the staff member stays on duty.
    /// Returns that citizen.
    public mutating func sessionUndone(_ staff: String) -> String? {
        guard let s = sessions.removeValue(forKey: staff) else { return nil }
        waiting.insert(Waiting(account: s.citizen, field: s.field, joinedAtMillis: s.startedAtMillis - s.waitedMillis), at: 0)
        return s.citizen
    }

    /// Closing time: everyone waiting is let go (the caller tells them); sessions go on.
    public mutating func close() -> [Waiting] {
        defer { waiting.removeAll() }
        return waiting
    }

    // MARK: Where everyone stands

    public var medianSessionMillis: Int64 {
        guard !recentSessionMillis.isEmpty else { return rules.defaultSessionMillis }
        let sorted = recentSessionMillis.sorted()
        return sorted[(sorted.count - 1) / 2]
    }

    public func standing(of account: String) -> Standing? {
        guard waiting.contains(where: { $0.account == account }) else { return nil }
        return standings[account]
    }

    /// Every waiting citizen's standing, to push the ones that changed: one pass over the
    /// queue (the server computes this after every change and once a second, so it must not
    /// grow with the square of a thousand waiting).
    public var standings: [String: Standing] {
        var serving: [String?: Int] = [:]
        for field in onDuty.values { serving[field, default: 0] += 1 }
        let median = medianSessionMillis
        var ahead: [String?: Int] = [:]
        var out: [String: Standing] = [:]
        out.reserveCapacity(waiting.count)
        for w in waiting {
            let position = ahead[w.field, default: 0] + 1
            ahead[w.field] = position
            let staff = serving[w.field] ?? 0
            out[w.account] = Standing(position: position, estimateMillis: staff == 0 ? nil : Int64((position + staff - 1) / staff) * median)
        }
        return out
    }
}
