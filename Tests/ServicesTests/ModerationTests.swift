import Testing
@testable import Services

/// The moderation machine alone: every action from a staff client, an operator and the trail,
/// on facts made up here, at a fixed time.
@Suite struct ModerationTests {
    static let now: Int64 = 1_800_000_000_000
    static let staff = ModerationRequester.staff(account: "officer", hasStaffRole: true)
    static func until(_ millis: Int64?) -> String { millis.map { "until \($0)" } ?? "for good" }
    static func facts(_ online: [ModeratedSession] = [ModeratedSession(session: 1), ModeratedSession(session: 2, mutedUntilMillis: now + 5_000)],
                      keepsRecords: Bool = true) -> ModerationFacts {
        ModerationFacts(subject: .account("troll"), online: online, keepsRecords: keepsRecords)
    }
    static func handle(_ action: ModerationAction, by requester: ModerationRequester = staff, reason: String = "insults",
                       _ facts: ModerationFacts = facts()) -> [ModerationEffect] {
        Moderation.handle(action, by: requester, reason: reason, facts: facts, nowMillis: now, describeUntil: until)
    }

    @Test func refusalsComeInOrderAndAreTheOnlyEffect() {
        #expect(Self.handle(.kick, by: .staff(account: "x", hasStaffRole: false), reason: " ") == [.refuse(.notStaff)], "the role first")
        #expect(Self.handle(.kick, reason: " \n") == [.refuse(.reasonMissing)])
        #expect(Self.handle(.warn, Self.facts([])) == [.refuse(.notOnline("'troll' is not online"))])
        #expect(Self.handle(.mute(seconds: 0)) == [.refuse(.lengthOutOfRange("a mute lasts 1 s to 30 days; 0 s was asked"))])
        #expect(Self.handle(.mute(seconds: Moderation.muteSecondsMax + 1)).count == 1)
        #expect(Self.handle(.ban(seconds: Moderation.banSecondsMax + 1)).count == 1)
        #expect(Self.handle(.ban(seconds: 60), Self.facts(keepsRecords: false)) == [.refuse(.needsRecords)])
        #expect(Self.handle(.unban, Self.facts(keepsRecords: false)) == [.refuse(.needsRecords)])
        let guest = ModerationFacts(subject: .guest(session: 7), online: [ModeratedSession(session: 7)], keepsRecords: true)
        #expect(Self.handle(.ban(seconds: 0), guest) == [.refuse(.needsAccount("a guest has no account to ban; kick them instead"))])
        #expect(Self.handle(.resolve(reportID: 3)) == [.refuse(.needsReport)])
        #expect(Self.handle(.kick, ModerationFacts(subject: .report, online: [], keepsRecords: true)) == [.refuse(.needsPerson)])
    }

    @Test func eachActionsEffectsThenItsRecordThenDone() {
        #expect(Self.handle(.warn) == [
            .notice(session: 1, .warning, untilMillis: nil, text: "a warning from staff: insults"),
            .notice(session: 2, .warning, untilMillis: nil, text: "a warning from staff: insults"),
            .persist(.audit(kick: false, account: "troll", atMillis: Self.now, actor: "staff:officer", reason: "insults")), .done,
        ])
        #expect(Self.handle(.kick, by: .operatorAPI(actor: "admin:http")).prefix(2) == [
            .kick(session: 1, banned: false, text: "removed by an operator: insults"), .kick(session: 2, banned: false, text: "removed by an operator: insults"),
        ])
        let end = Self.now + 600_000
        #expect(Self.handle(.mute(seconds: 600)) == [
            .setMute(session: 1, untilMillis: end), .notice(session: 1, .muted, untilMillis: end, text: "you are muted until \(end): insults"),
            .setMute(session: 2, untilMillis: end), .notice(session: 2, .muted, untilMillis: end, text: "you are muted until \(end): insults"),
            .persist(.sanction(account: "troll", ban: false, startsAtMillis: Self.now, endsAtMillis: end, reason: "insults", actor: "staff:officer")), .done,
        ])
        // Only the muted session hears its unmute.
        #expect(Self.handle(.unmute) == [
            .setMute(session: 2, untilMillis: nil), .notice(session: 2, .unmuted, untilMillis: nil, text: "you may chat again"),
            .persist(.lift(account: "troll", ban: false, atMillis: Self.now, actor: "staff:officer", reason: "insults")), .done,
        ])
        #expect(Self.handle(.ban(seconds: 0)) == [
            .kick(session: 1, banned: true, text: "this account is banned for good: insults"), .kick(session: 2, banned: true, text: "this account is banned for good: insults"),
            .persist(.sanction(account: "troll", ban: true, startsAtMillis: Self.now, endsAtMillis: nil, reason: "insults", actor: "staff:officer")), .done,
        ])
        #expect(Self.handle(.unban, Self.facts([])) == [.persist(.lift(account: "troll", ban: true, atMillis: Self.now, actor: "staff:officer", reason: "insults")), .done])
        #expect(Self.handle(.resolve(reportID: 9), ModerationFacts(subject: .report, online: [], keepsRecords: true))
            == [.persist(.resolve(reportID: 9, actor: "staff:officer", resolution: "insults", atMillis: Self.now)), .done])
        // A guest: warned and kicked, recorded without an account; muting records nothing.
        let guest = ModerationFacts(subject: .guest(session: 7), online: [ModeratedSession(session: 7)], keepsRecords: true)
        #expect(Self.handle(.kick, guest).last(where: { if case .persist = $0 { return true }; return false })
            == .persist(.audit(kick: true, account: nil, atMillis: Self.now, actor: "staff:officer", reason: "insults")))
        #expect(!Self.handle(.mute(seconds: 60), guest).contains { if case .persist = $0 { return true }; return false })
    }

    @Test func aRepeatedMuteSaysNothingNew() {
        let end = Self.now + 60_000
        let already = Self.facts([ModeratedSession(session: 1, mutedUntilMillis: end)])
        #expect(Self.handle(.mute(seconds: 60), already).filter { if case .notice = $0 { return true }; return false }.isEmpty)
        #expect(Self.handle(.unmute, Self.facts([ModeratedSession(session: 1)])).count == 2, "nobody muted: only the record and done")
    }

    @Test func theTrailGivesOnlyEffectsOnSessionsAndOnlyWhileTheyHold() {
        let online = [ModeratedSession(session: 1)]
        func trail(_ action: TrailRow.Action, until: Int64? = nil, actor: String = "operator:park") -> [ModerationEffect] {
            Moderation.trail(TrailRow(action: action, actor: actor, untilMillis: until, reason: "spam"), online: online, nowMillis: Self.now, describeUntil: Self.until)
        }
        #expect(trail(.ban, until: Self.now + 1) == [.kick(session: 1, banned: true, text: "this account is banned until \(Self.now + 1): spam")])
        #expect(trail(.ban, until: Self.now) == [], "a ban already over")
        #expect(trail(.ban) == [.kick(session: 1, banned: true, text: "this account is banned for good: spam")])
        #expect(trail(.kick) == [.kick(session: 1, banned: false, text: "removed by an operator: spam")])
        #expect(trail(.kick, actor: "staff:kim") == [.kick(session: 1, banned: false, text: "removed by staff: spam")])
        #expect(trail(.mute) == [.setMute(session: 1, untilMillis: .max), .notice(session: 1, .muted, untilMillis: nil, text: "you are muted for good: spam")])
        #expect(trail(.mute, until: Self.now - 1) == [])
        #expect(trail(.unmute) == [], "not muted here")
        #expect(trail(.unban) == [] && trail(.resolve) == [])
        let all: [TrailRow.Action] = [.warn, .kick, .mute, .unmute, .ban, .unban, .resolve]
        for action in all {
            #expect(!trail(action).contains { effect in
                switch effect { case .persist, .done, .refuse: return true; default: return false }
            }, "\(action): the trail records nothing and answers no one")
        }
    }
}
