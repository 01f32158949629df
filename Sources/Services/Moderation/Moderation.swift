// Moderation as one machine (docs/PROTOCOL.md, section 7.7; docs/ADMIN.md): warn, kick, mute,
// unmute, ban, unban and resolving a report, whoever asks: a staff member's client, an
// operator through the admin API, or the audit trail when it carries an action decided
// elsewhere (an operator's command line, another server). Pure: the caller gathers the facts
// (who the subject is, which of its sessions are online and whether they are muted, whether
// the server keeps records), passes the time, and carries out the effects in order.
//
//   request ──▶ checks, in order ──refused──▶ [.refuse]
//                  │ allowed
//                  ▼
//   effects on the sessions now (notice, mute, kick) ──▶ the record to persist (if any) ──▶ .done
//
// An action from the trail was recorded where it was decided: it gets only its effects on the
// sessions here, never a record and never an answer.
//
// Invariants:
// 1. A refusal is the only effect of a refused request: nothing happens to anyone.
// 2. Every allowed request from a client or an operator ends with `.done`; a caller answers it
//    after the commit of the `.persist` before it, or at once when there is none.
// 3. A session is told of a mute only when its mute changes (a repeated mute to the same end
//    says nothing), and of an unmute only when it was muted.

import Foundation

/// Who asks, and so which checks apply and what the person acted on is told.
public enum ModerationRequester: Sendable, Equatable {
    /// A staff client; `hasStaffRole` from its member token.
    case staff(account: String, hasStaffRole: Bool)
    /// An operator through the admin API (`actor` as recorded, such as "admin:http").
    case operatorAPI(actor: String)

    var actor: String {
        switch self {
        case .staff(let account, _): return "staff:\(account)"
        case .operatorAPI(let actor): return actor
        }
    }
}

public enum ModerationAction: Sendable, Equatable {
    case warn
    case kick
    /// For so many seconds.
    case mute(seconds: Int64)
    case unmute
    /// For so many seconds; 0 for good.
    case ban(seconds: Int64)
    case unban
    case resolve(reportID: Int64)
}

/// Whom an action is about, as the caller found it.
public enum ModerationSubject: Sendable, Equatable {
    /// A member's account (its sessions online are in the facts).
    case account(String)
    /// A guest, by its one session.
    case guest(session: UInt64)
    /// No person: a report (for resolve).
    case report
}

/// One session of the subject online now.
public struct ModeratedSession: Sendable, Equatable {
    public var session: UInt64
    /// The end of its mute (Unix ms; `Int64.max` for good), or nil.
    public var mutedUntilMillis: Int64?

    public init(session: UInt64, mutedUntilMillis: Int64? = nil) {
        self.session = session
        self.mutedUntilMillis = mutedUntilMillis
    }
}

public struct ModerationFacts: Sendable, Equatable {
    public var subject: ModerationSubject
    public var online: [ModeratedSession]
    public var keepsRecords: Bool

    public init(subject: ModerationSubject, online: [ModeratedSession], keepsRecords: Bool) {
        self.subject = subject
        self.online = online
        self.keepsRecords = keepsRecords
    }
}

public enum ModerationRefusal: Sendable, Equatable {
    case notStaff
    case reasonMissing
    case lengthOutOfRange(String)
    case notOnline(String)
    case needsAccount(String)
    case needsReport
    case needsPerson
    case needsRecords

    public var sentence: String {
        switch self {
        case .notStaff: return "staff actions need the staff role in the member token"
        case .reasonMissing: return "a staff action needs a reason: it goes into the audit trail"
        case .lengthOutOfRange(let why), .notOnline(let why), .needsAccount(let why): return why
        case .needsReport: return "resolving needs a report id as the subject"
        case .needsPerson: return "this action is about a person: name an entity or an account"
        case .needsRecords: return "this server keeps no records (started without --data): bans and reports need them"
        }
    }
}

/// What is recorded, in the store's terms but without the store (Services does no I/O).
public enum ModerationRecord: Sendable, Equatable {
    case sanction(account: String, ban: Bool, startsAtMillis: Int64, endsAtMillis: Int64?, reason: String, actor: String)
    case lift(account: String, ban: Bool, atMillis: Int64, actor: String, reason: String)
    /// A warning or a kick: an audit row of its own (account nil for a guest).
    case audit(kick: Bool, account: String?, atMillis: Int64, actor: String, reason: String)
    case resolve(reportID: Int64, actor: String, resolution: String, atMillis: Int64)
}

public enum ModerationNotice: Sendable, Equatable {
    case warning, muted, unmuted
}

public enum ModerationEffect: Sendable, Equatable {
    case refuse(ModerationRefusal)
    /// Tell a session (`untilMillis` for a mute: nil for good).
    case notice(session: UInt64, ModerationNotice, untilMillis: Int64?, text: String)
    /// Its mute now ends then (nil: not muted).
    case setMute(session: UInt64, untilMillis: Int64?)
    /// Close the session, telling it why (`banned` picks the error code).
    case kick(session: UInt64, banned: Bool, text: String)
    case persist(ModerationRecord)
    case done
}

/// A row of the audit trail written elsewhere, as the machine needs it.
public struct TrailRow: Sendable, Equatable {
    public enum Action: Sendable, Equatable { case warn, kick, mute, unmute, ban, unban, resolve }
    public var action: Action
    public var actor: String
    /// A mute's or ban's end (nil: for good).
    public var untilMillis: Int64?
    public var reason: String

    public init(action: Action, actor: String, untilMillis: Int64?, reason: String) {
        self.action = action
        self.actor = actor
        self.untilMillis = untilMillis
        self.reason = reason
    }
}

public enum Moderation {
    public static let muteSecondsMax: Int64 = 30 * 86_400
    public static let banSecondsMax: Int64 = 3_650 * 86_400

    /// What follows from a staff member's or an operator's request on the facts, at
    /// `nowMillis` (Unix ms). `describeUntil` words an end for the person ("until 2026-11-22
    /// 21:05:00 KST", "for good").
    public static func handle(_ action: ModerationAction, by requester: ModerationRequester, reason raw: String,
                              facts: ModerationFacts, nowMillis: Int64, describeUntil: (Int64?) -> String) -> [ModerationEffect] {
        if case .staff(_, let hasRole) = requester, !hasRole { return [.refuse(.notStaff)] }
        let why = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !why.isEmpty else { return [.refuse(.reasonMissing)] }
        let actor = requester.actor
        if case .resolve(let id) = action {
            guard case .report = facts.subject else { return [.refuse(.needsReport)] }
            guard facts.keepsRecords else { return [.refuse(.needsRecords)] }
            return [.persist(.resolve(reportID: id, actor: actor, resolution: why, atMillis: nowMillis)), .done]
        }
        if case .report = facts.subject { return [.refuse(.needsPerson)] }
        let account: String? = { if case .account(let a) = facts.subject { return a }; return nil }()
        var effects: [ModerationEffect] = []
        switch action {
        case .warn, .kick:
            guard !facts.online.isEmpty else { return [.refuse(.notOnline("'\(account ?? "?")' is not online"))] }
            effects = warnOrKick(kick: action == .kick, facts.online, removedBy: removedBy(actor), reason: why)
            effects.append(.persist(.audit(kick: action == .kick, account: account, atMillis: nowMillis, actor: actor, reason: why)))
        case .mute(let seconds):
            guard (1...muteSecondsMax).contains(seconds) else {
                return [.refuse(.lengthOutOfRange("a mute lasts 1 s to 30 days; \(seconds) s was asked"))]
            }
            let until = nowMillis + seconds * 1_000
            effects = mute(facts.online, until: until, reason: why, describeUntil: describeUntil)
            if let account { effects.append(.persist(.sanction(account: account, ban: false, startsAtMillis: nowMillis, endsAtMillis: until, reason: why, actor: actor))) }
        case .unmute:
            effects = unmute(facts.online)
            if let account { effects.append(.persist(.lift(account: account, ban: false, atMillis: nowMillis, actor: actor, reason: why))) }
        case .ban(let seconds):
            guard let account else { return [.refuse(.needsAccount("a guest has no account to ban; kick them instead"))] }
            guard (0...banSecondsMax).contains(seconds) else {
                return [.refuse(.lengthOutOfRange("a ban lasts at most 10 years, or 0 s for good; \(seconds) s was asked"))]
            }
            guard facts.keepsRecords else { return [.refuse(.needsRecords)] }
            let until: Int64? = seconds == 0 ? nil : nowMillis + seconds * 1_000
            effects = ban(facts.online, until: until, reason: why, describeUntil: describeUntil)
            effects.append(.persist(.sanction(account: account, ban: true, startsAtMillis: nowMillis, endsAtMillis: until, reason: why, actor: actor)))
        case .unban:
            guard let account else { return [.refuse(.needsAccount("name the banned account"))] }
            guard facts.keepsRecords else { return [.refuse(.needsRecords)] }
            effects = [.persist(.lift(account: account, ban: true, atMillis: nowMillis, actor: actor, reason: why))]
        case .resolve: preconditionFailure("handled above")
        }
        effects.append(.done)
        return effects
    }

    /// What an action decided elsewhere does to the account's sessions here: the same effects
    /// on the sessions as the request had where it was made, and no record (it is recorded)
    /// and no answer (nobody here asked). A mute or ban that has already ended does nothing.
    public static func trail(_ row: TrailRow, online: [ModeratedSession], nowMillis: Int64, describeUntil: (Int64?) -> String) -> [ModerationEffect] {
        switch row.action {
        case .warn, .kick: return warnOrKick(kick: row.action == .kick, online, removedBy: removedBy(row.actor), reason: row.reason)
        case .mute:
            let until = row.untilMillis ?? .max
            return until > nowMillis ? mute(online, until: until, reason: row.reason, describeUntil: describeUntil) : []
        case .unmute: return unmute(online)
        case .ban:
            if let until = row.untilMillis, until <= nowMillis { return [] }
            return ban(online, until: row.untilMillis, reason: row.reason, describeUntil: describeUntil)
        case .unban, .resolve: return [] // nothing to undo on a session: the account may sign in again
        }
    }

    // MARK: Effects on the sessions, the same from every requester

    /// How a kicked person is told who removed them, from the recorded actor ("staff:<account>",
    /// or an operator's name).
    static func removedBy(_ actor: String) -> String { actor.hasPrefix("staff:") ? "removed by staff" : "removed by an operator" }

    static func warnOrKick(kick: Bool, _ online: [ModeratedSession], removedBy: String, reason: String) -> [ModerationEffect] {
        online.map { t in
            kick ? .kick(session: t.session, banned: false, text: "\(removedBy): \(reason)")
                 : .notice(session: t.session, .warning, untilMillis: nil, text: "a warning from staff: \(reason)")
        }
    }

    /// `until` is `Int64.max` for good. (Also the server's own mute for flooding.)
    public static func mute(_ online: [ModeratedSession], until: Int64, reason: String, describeUntil: (Int64?) -> String) -> [ModerationEffect] {
        var effects: [ModerationEffect] = []
        let end: Int64? = until == .max ? nil : until
        for t in online where t.mutedUntilMillis != until {
            effects.append(.setMute(session: t.session, untilMillis: until))
            effects.append(.notice(session: t.session, .muted, untilMillis: end, text: "you are muted \(describeUntil(end)): \(reason)"))
        }
        return effects
    }

    static func unmute(_ online: [ModeratedSession]) -> [ModerationEffect] {
        online.filter { $0.mutedUntilMillis != nil }.flatMap { t -> [ModerationEffect] in
            [.setMute(session: t.session, untilMillis: nil), .notice(session: t.session, .unmuted, untilMillis: nil, text: "you may chat again")]
        }
    }

    static func ban(_ online: [ModeratedSession], until: Int64?, reason: String, describeUntil: (Int64?) -> String) -> [ModerationEffect] {
        online.map { .kick(session: $0.session, banned: true, text: "this account is banned \(describeUntil(until)): \(reason)") }
    }
}
