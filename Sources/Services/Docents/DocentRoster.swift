// Who is on duty as a docent, and where (docs/PROTOCOL.md, section 7.18): staff go on duty at a
// landmark's post while the post is open, stand at its point, and go off duty by asking, by
// leaving the post's space, by disconnecting, or at closing time (told why). Pure: the caller
// passes who asks and the desks' clock (Unix ms) and carries out the effects in order.
//
//   duty(on) ──▶ staff? a post? open? ──refused──▶ [.refuse]
//                     │ yes
//                     ▼
//   [.record(off-duty at the old post)?, .record(on-duty), .badge(on), .done, .standAt]
//
//   left the post's space, disconnected, closing time ──▶ [.record(off-duty), .badge(off), .told?]
//
// Invariants:
// 1. An account is on duty at one post at most, and only while that post is open (checked at
//    every request and every second).
// 2. Every on-duty record is followed, for the same account and post, by exactly one off-duty
//    record carrying the time on duty.
// 3. A refusal is the only effect of a refused request.

import WorldCore

public enum DocentEvent: Sendable, Equatable {
    /// A member asks to go on or off duty at the post of `space`.
    case duty(space: String, on: Bool)
    /// The account's avatar left `space` (travel, a room, leaving), not to come straight back.
    case leftSpace(account: String, space: String)
    /// The account's last connection closed.
    case disconnected(account: String)
    case second
}

public enum DocentEffect: Sendable, Equatable {
    case refuse(DeskRefusalKind, String)
    case done
    /// A service event for the records (service: the docent service's id; outcome: the space).
    case record(service: String, kind: String, account: String, durationMillis: Int64?, space: String)
    /// The account's badge changed: on duty at `space`'s post, or off duty (nil).
    case badge(account: String, space: String?)
    /// Tell the account's sessions that their duty ended, and why (they did not ask).
    case told(account: String, text: String)
    /// The asker goes to stand at the post (the free spot nearest its point).
    case standAt(space: String, spot: Spot)
}

public struct DocentRoster: Sendable {
    public struct Entry: Sendable {
        public let post: DocentPost
        public let spot: Spot
        /// The space's name as people read it (the world file's English name).
        public let place: String
    }

    /// The posts in space order.
    public private(set) var posts: [Entry] = []
    private var index: [String: Int] = [:]
    /// Each docent on duty: the space of their post, and since when (Unix ms).
    public private(set) var onDuty: [String: (space: String, since: Int64)] = [:]

    public init(posts: [(post: DocentPost, spot: Spot, place: String)]) {
        for (post, spot, place) in posts.sorted(by: { $0.post.space < $1.post.space }) {
            precondition(index[post.space] == nil, "one post per space (DeskCatalog checks)")
            index[post.space] = self.posts.count
            self.posts.append(Entry(post: post, spot: spot, place: place))
        }
    }

    public var isEmpty: Bool { posts.isEmpty }

    /// The space whose post the account is on duty at.
    public func post(of account: String) -> String? { onDuty[account]?.space }

    /// Docents on duty per space, for the world map.
    public func countsBySpace() -> [String: Int] {
        var counts: [String: Int] = [:]
        for (_, duty) in onDuty { counts[duty.space, default: 0] += 1 }
        return counts
    }

    public mutating func handle(_ event: DocentEvent, facts: DeskFacts?, nowMillis now: Int64) -> [DocentEffect] {
        var out: [DocentEffect] = []
        switch event {
        case .duty(let space, let on):
            guard let facts else { break }
            if on { goOnDuty(space, facts, now, &out) } else { askOffDuty(space, facts.account, now, &out) }
        case .leftSpace(let account, let space):
            guard let duty = onDuty[account], duty.space == space else { break }
            offDuty(account, now, &out)
            out.append(.told(account: account, text: "you left \(name(space)): you are off duty as its docent"))
        case .disconnected(let account):
            if onDuty[account] != nil { offDuty(account, now, &out) }
        case .second:
            // Closing time (or a jump of the clock): everyone at a closed post goes off duty, in
            // account order so that one seed gives one order of events.
            for account in onDuty.keys.sorted() {
                let space = onDuty[account]!.space
                let entry = posts[index[space]!]
                guard !entry.post.hours.isOpen(atUnixMillis: now) else { continue }
                offDuty(account, now, &out)
                out.append(.told(account: account, text: "the docent post at \(entry.place) has closed\(Self.nextOpening(entry.post, now)): you are off duty"))
            }
        }
        assert(out.count == 1 || !out.contains { if case .refuse = $0 { return true } else { return false } },
               "a refusal is the only effect of a refused request")
        return out
    }

    private mutating func goOnDuty(_ space: String, _ facts: DeskFacts, _ now: Int64, _ out: inout [DocentEffect]) {
        guard let i = index[space] else {
            let spaces = posts.map(\.post.space).joined(separator: ", ")
            out.append(.refuse(.unknownTarget, posts.isEmpty ? "this city has no docent posts" : "'\(space)' has no docent post; posts: \(spaces)"))
            return
        }
        let post = posts[i].post, place = posts[i].place
        guard facts.isStaff else {
            out.append(.refuse(.forbidden, "docent posts are served by the city's staff"))
            return
        }
        guard post.hours.isOpen(atUnixMillis: now) else {
            out.append(.refuse(.deskClosed, "the docent post at \(place) is closed now\(Self.nextOpening(post, now))"))
            return
        }
        if onDuty[facts.account]?.space != space {
            if onDuty[facts.account] != nil { offDuty(facts.account, now, &out) }
            onDuty[facts.account] = (space, now)
            out.append(.record(service: post.service, kind: "on-duty", account: facts.account, durationMillis: nil, space: space))
            out.append(.badge(account: facts.account, space: space))
        }
        out.append(.done)
        out.append(.standAt(space: space, spot: posts[i].spot))
    }

    private mutating func askOffDuty(_ space: String, _ account: String, _ now: Int64, _ out: inout [DocentEffect]) {
        guard let duty = onDuty[account], space.isEmpty || duty.space == space else {
            out.append(.refuse(.unknownTarget, "you are not on duty as a docent\(space.isEmpty ? "" : " at '\(space)'")"))
            return
        }
        offDuty(account, now, &out)
        out.append(.done)
    }

    private mutating func offDuty(_ account: String, _ now: Int64, _ out: inout [DocentEffect]) {
        guard let duty = onDuty.removeValue(forKey: account), let i = index[duty.space] else { return }
        out.append(.record(service: posts[i].post.service, kind: "off-duty", account: account, durationMillis: now - duty.since, space: duty.space))
        out.append(.badge(account: account, space: nil))
    }

    private func name(_ space: String) -> String { index[space].map { posts[$0].place } ?? space }

    /// "; it opens at 2026-11-24 09:00 KST", or nothing beyond 30 days.
    static func nextOpening(_ post: DocentPost, _ now: Int64) -> String {
        guard let t = post.hours.nextOpening(atOrAfterUnixMillis: now + 1), t > now else { return "" }
        return "; it opens at \(OpeningHours.describe(t))"
    }
}
