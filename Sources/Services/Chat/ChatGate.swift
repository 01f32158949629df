// Whether a chat message may go, checked in the order docs/PROTOCOL.md (section 7.5) gives:
// announcements for staff only, a space for the channels that need one, the sender's mute, the
// text, the rate limit. Step 1 (the guest rule) is the server's for every request, and step 7
// (a direct message's target) needs the server's tables; after the gate come the filter and the
// reach. Pure: both clocks are arguments (the wall clock for mutes, the monotonic one for the
// rate), and the sender's rate limiter is passed in and kept by the caller.
//
// Invariant: a refused message changes nothing but the limiter's count of refusals (a
// refusal for flooding also asks for the mute).

public enum ChatGate {
    public enum Channel: Sendable, Equatable {
        case nearby, room, directEntity, directAccount, announceSpace, announceAll

        var isAnnouncement: Bool { self == .announceSpace || self == .announceAll }
        /// Nearby, room, direct by entity and the space announcement reach only the sender's space.
        var needsSpace: Bool { self != .directAccount && self != .announceAll }
    }

    public struct Sender: Sendable, Equatable {
        public var isStaff: Bool
        /// In a space with an avatar.
        public var inSpace: Bool
        /// The end of the sender's mute (Unix ms; `Int64.max` for good), or nil.
        public var mutedUntilMillis: Int64?

        public init(isStaff: Bool, inSpace: Bool, mutedUntilMillis: Int64?) {
            self.isStaff = isStaff
            self.inSpace = inSpace
            self.mutedUntilMillis = mutedUntilMillis
        }
    }

    public enum Refusal: Sendable, Equatable {
        case announcementsAreForStaff
        case notInSpace
        case muted(untilMillis: Int64)
        case invalidText(ChatText.Refusal)
        case rateLimited
        /// Over the rate for the last time allowed: refused, and the sender is to be muted
        /// until then (Unix ms).
        case flooding(muteUntilMillis: Int64)
    }

    public enum Outcome: Sendable, Equatable {
        /// The message may go, normalised; `muteEnded` when a mute had run out (clear it).
        case pass(text: String, muteEnded: Bool)
        case refuse(Refusal)
    }

    public static func check(_ channel: Channel, text raw: String, sender: Sender, limit: inout ChatRateLimit?, rules: ChatRateLimit.Rules,
                             nowMillis: Int64, monotonicMillis: Int64) -> Outcome {
        if channel.isAnnouncement && !sender.isStaff { return .refuse(.announcementsAreForStaff) }
        if channel.needsSpace && !sender.inSpace { return .refuse(.notInSpace) }
        var muteEnded = false
        if let until = sender.mutedUntilMillis {
            if until > nowMillis { return .refuse(.muted(untilMillis: until)) }
            muteEnded = true
        }
        let text: String
        switch ChatText.normalise(raw) {
        case .success(let t): text = t
        case .failure(let refusal): return .refuse(.invalidText(refusal))
        }
        if !sender.isStaff {
            if limit == nil { limit = ChatRateLimit(rules: rules, nowMillis: monotonicMillis) }
            switch limit!.attempt(nowMillis: monotonicMillis) {
            case .allowed: break
            case .rateLimited: return .refuse(.rateLimited)
            case .muteNow(let untilMonotonic): return .refuse(.flooding(muteUntilMillis: nowMillis + (untilMonotonic - monotonicMillis)))
            }
        }
        return .pass(text: text, muteEnded: muteEnded)
    }
}
