// Reports, blocks, staff actions and bans, on the loop thread (docs/PROTOCOL.md, sections 7.6
// and 7.7; the records in docs/DATA.md).
//
// - A member's standing (an active ban or mute, the accounts it blocks) is read from the store
//   through the writer thread before `welcome`: a banned account is refused with `banned` and
//   the time it ends.
// - What the client is told it did (a report filed, a block, a staff action) is answered after
//   the store committed it (`done`, `userReportFiled`); its effect on the sessions (a kick, a
//   mute, a block) takes hold at once.
// - Operators act on the same database from the command line (`seoulworld moderation`); the
//   server reads the audit trail's new rows every `auditPollMillis` and carries them out (a ban
//   kicks the account's sessions), so a ban made there reaches a connected account within
//   about two seconds.
//
// Invariants:
// 1. `sessionsByAccount` lists exactly the authenticated members' sessions.
// 2. Every acknowledged request is answered once: after its commit, or with an error.

import Foundation
import NetProto
import Transport
import Services
import Store
import WorldCore

extension Server {
    static let auditPollMillis: UInt64 = 2_000
    static let userReportsPendingPerSessionMax = 4
    static let muteSecondsMax: UInt32 = 30 * 86_400
    static let banSecondsMax: UInt32 = 3_650 * 86_400

    // MARK: Members coming and going

    /// A member whose token verified: admitted once its standing is known.
    func admitMember(_ s: Session) {
        guard let records, replay == nil, let account = s.accountID else {
            welcomeMember(s, standing: AccountStanding())
            return
        }
        let ticket = records.nextTicket
        records.nextTicket += 1
        guard records.writer.submit(.loadStanding(accountID: account, nowMillis: nowUnixMillis()), ticket: ticket) else {
            perform(s.machine.refused(.busy, "the server's store is saturated just now; try again in a few seconds"), for: s)
            return
        }
        records.waiting[ticket] = .standing(session: s.id)
    }

    func welcomeMember(_ s: Session, standing: AccountStanding) {
        let now = nowUnixMillis()
        if let ban = standing.ban, ban.isActive(at: now) {
            counters.bannedRefused += 1
            perform(s.machine.refused(.banned, "this account is banned \(Self.describeUntil(ban.endsAtMillis)): \(ban.reason)"), for: s)
            return
        }
        s.blocked = Set(standing.blocked)
        if let mute = standing.mute, mute.isActive(at: now) { s.mutedUntilMillis = mute.endsAtMillis ?? .max }
        if let account = s.accountID { sessionsByAccount[account, default: []].append(s.id) }
        perform(s.machine.authenticated(welcome(for: s)), for: s)
        deskReconnected(s)
        if let until = s.mutedUntilMillis, let mute = standing.mute {
            s.send(.notice(kind: .muted, untilUnixMillis: until == .max ? 0 : UInt64(until), text: "you are muted \(Self.describeUntil(until)): \(mute.reason)"))
        }
    }

    func forgetAccount(_ s: Session) {
        guard let account = s.accountID, var ids = sessionsByAccount[account] else { return }
        ids.removeAll { $0 == s.id }
        sessionsByAccount[account] = ids.isEmpty ? nil : ids
    }

    /// Removes a client with a reason it is told (`kicked`, or `banned`).
    func kick(_ s: Session, code: ErrorCode, text: String) {
        counters.kicks += 1
        s.endReason = .kicked
        s.send(.error(code: code, requestID: 0, text: text))
        s.connection.close()
    }

    // MARK: Reports

    func reportUser(_ s: Session, request: UInt32, entity: UInt32, reason: ReportReasonCode, description: String) {
        guard let spaceID = s.spaceID, let space = spaces[spaceID] else {
            s.send(.error(code: .notInSpace, requestID: request, text: "enter the space where it happens: a report names someone there by entity"))
            return
        }
        guard let other = space.session(forEntity: entity), other !== s else {
            s.send(.error(code: .unknownTarget, requestID: request, text: "no one else with entity \(entity) in '\(spaceID)'"))
            return
        }
        guard records != nil else {
            s.send(.error(code: .internalError, requestID: request, text: "this server keeps no records (started without --data); the report was not stored"))
            return
        }
        guard s.userReportsPending < Self.userReportsPendingPerSessionMax else {
            s.send(.error(code: .rateLimited, requestID: request, text: "\(s.userReportsPending) reports are still being stored; wait for their answers"))
            return
        }
        let now = nowUnixMillis()
        let tick = space.world.tick
        let recording = space.recorder.flatMap { r in r.paths.last.map { ReportEvidence.Recording(file: $0, tick: tick) } }
        let evidence = ReportEvidence(
            spaceID: spaceID, tick: tick, atMillis: now,
            reporter: ReportEvidence.party(session: s.id, account: s.accountID, name: s.displayName, entity: s.avatar.map(SnapshotFeed.entity),
                                           positions: s.avatar.map { space.trail.track(SnapshotFeed.entity($0)) } ?? []),
            reported: ReportEvidence.party(session: other.id, account: other.accountID, name: other.displayName, entity: entity,
                                           positions: space.trail.track(entity)),
            lines: space.chatLog.lines(involving: [s.id, other.id]), reporterSession: s.id, reportedSession: other.id, recording: recording)
        let report = UserReport(reporterAccount: s.accountID, reporterSession: s.id, reportedAccount: other.accountID, reportedName: other.displayName,
                                reportedEntity: entity, reason: Self.reportReason(reason), description: description, spaceID: spaceID,
                                tick: Int64(tick), recordingFile: recording?.file, recordingTick: recording.map { Int64($0.tick) },
                                evidenceJSON: evidence.json(), createdAtMillis: now)
        guard submitAcknowledged(.userReport(report), waiter: .userReport(session: s.id, requestID: request), to: s, request: request) else { return }
        s.userReportsPending += 1
        submitUsage(.serviceEvent(ServiceEvent(service: "user-report", kind: "filed", accountID: s.accountID, atMillis: now, outcome: report.reason.rawValue)))
    }

    static func reportReason(_ code: ReportReasonCode) -> Schema.ReportReason {
        switch code {
        case .harassment: return .harassment
        case .profanity: return .profanity
        case .spam: return .spam
        case .inappropriateName: return .inappropriateName
        case .other: return .other
        }
    }

    /// Queues a write its client waits for; false (and the client told `busy`) when the queue
    /// is full. Without a store the caller answers by itself.
    func submitAcknowledged(_ write: StoreWrite, waiter: Records.Waiter, to s: Session, request: UInt32) -> Bool {
        guard let records else { return false }
        let ticket = records.nextTicket
        records.nextTicket += 1
        guard records.writer.submit(write, ticket: ticket) else {
            s.send(.error(code: .busy, requestID: request, text: "the server's store is saturated just now; nothing was changed, try again in a few seconds"))
            return false
        }
        records.waiting[ticket] = waiter
        return true
    }

    // MARK: Blocks

    func block(_ s: Session, request: UInt32, subject: Subject, on: Bool) {
        guard let me = s.accountID else { return }
        let account: String
        switch subject {
        case .entity(let entity):
            guard let other = s.spaceID.flatMap({ spaces[$0] })?.session(forEntity: entity) else {
                s.send(.error(code: .unknownTarget, requestID: request, text: "no one with entity \(entity) in this space"))
                return
            }
            guard let theirs = other.accountID else {
                s.send(.error(code: .unknownTarget, requestID: request, text: "a guest has no account to block; guests cannot chat with you anyway"))
                return
            }
            account = theirs
        case .account(let a): account = a
        case .report: return // the decoder refuses a report as a block's subject
        }
        guard account != me else {
            s.send(.error(code: .unknownTarget, requestID: request, text: "you cannot block your own account"))
            return
        }
        if on && !s.blocked.contains(account) && s.blocked.count >= blocksPerAccountMax {
            s.send(.error(code: .limitReached, requestID: request, text: "you block \(blocksPerAccountMax) accounts already, the most allowed; unblock one first"))
            return
        }
        let write: StoreWrite = on ? .block(blocker: me, blocked: account, atMillis: nowUnixMillis()) : .unblock(blocker: me, blocked: account)
        if records != nil {
            guard submitAcknowledged(write, waiter: .done(session: s.id, requestID: request), to: s, request: request) else { return }
        }
        // Effective at once, on every session of the account.
        for mine in sessionsOf(me) {
            if on { mine.blocked.insert(account) } else { mine.blocked.remove(account) }
        }
        if records == nil { s.send(.done(requestID: request)) }
    }

    // MARK: Staff actions

    func staffAction(_ s: Session, request: UInt32, action: StaffAction, subject: Subject, seconds: UInt32, reason: String) {
        guard s.isStaff else {
            s.send(.error(code: .forbidden, requestID: request, text: "staff actions need the staff role in the member token"))
            return
        }
        let why = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !why.isEmpty else {
            s.send(.error(code: .invalidText, requestID: request, text: "a staff action needs a reason: it goes into the audit trail"))
            return
        }
        let actor = "staff:\(s.accountID ?? "?")"
        let now = nowUnixMillis()
        // Who: the sessions it touches now, and the account it is recorded against.
        var targets: [Session] = []
        var account: String?
        var reportID: Int64?
        switch subject {
        case .entity(let entity):
            guard let other = s.spaceID.flatMap({ spaces[$0] })?.session(forEntity: entity) else {
                s.send(.error(code: .unknownTarget, requestID: request, text: "no one with entity \(entity) in your space"))
                return
            }
            account = other.accountID
            targets = account.map { sessionsOf($0) } ?? [other]
        case .account(let a):
            account = a
            targets = sessionsOf(a)
        case .report(let id): reportID = Int64(bitPattern: id)
        }
        if action == .resolveReport {
            guard let reportID else {
                s.send(.error(code: .unknownTarget, requestID: request, text: "resolving needs a report id as the subject"))
                return
            }
            guard records != nil else { return noRecords(s, request) }
            counters.staffActions += 1
            _ = submitAcknowledged(.resolveReport(reportID: reportID, actor: actor, resolution: why, atMillis: now),
                                   waiter: .resolved(session: s.id, requestID: request, reportID: reportID), to: s, request: request)
            return
        }
        guard reportID == nil else {
            s.send(.error(code: .unknownTarget, requestID: request, text: "this action is about a person: name an entity or an account"))
            return
        }
        var write: StoreWrite?
        switch action {
        case .warn, .kick:
            guard !targets.isEmpty else {
                s.send(.error(code: .unknownTarget, requestID: request, text: "'\(account ?? "?")' is not online"))
                return
            }
            for t in targets {
                if action == .warn {
                    t.send(.notice(kind: .warning, untilUnixMillis: 0, text: "a warning from staff: \(why)"))
                } else {
                    kick(t, code: .kicked, text: "removed by staff: \(why)")
                }
            }
            write = .audit(AuditEntry(atMillis: now, actor: actor, action: action == .warn ? .warn : .kick, targetAccount: account, reason: why))
        case .mute:
            guard (1...Self.muteSecondsMax).contains(seconds) else {
                s.send(.error(code: .invalidText, requestID: request, text: "a mute lasts 1 s to 30 days; \(seconds) s was asked"))
                return
            }
            let until = now + Int64(seconds) * 1_000
            applyMute(to: targets, untilMillis: until, reason: why)
            if let account {
                write = .sanction(Sanction(accountID: account, kind: .mute, startsAtMillis: now, endsAtMillis: until, reason: why, actor: actor))
            }
        case .unmute:
            for t in targets where t.mutedUntilMillis != nil {
                t.mutedUntilMillis = nil
                t.send(.notice(kind: .unmuted, untilUnixMillis: 0, text: "you may chat again"))
            }
            if let account { write = .liftSanctions(accountID: account, kind: .mute, atMillis: now, actor: actor, reason: why) }
        case .ban:
            guard let account else {
                s.send(.error(code: .unknownTarget, requestID: request, text: "a guest has no account to ban; kick them instead"))
                return
            }
            guard seconds <= Self.banSecondsMax else {
                s.send(.error(code: .invalidText, requestID: request, text: "a ban lasts at most 10 years, or 0 s for good; \(seconds) s was asked"))
                return
            }
            guard records != nil else { return noRecords(s, request) }
            let until: Int64? = seconds == 0 ? nil : now + Int64(seconds) * 1_000
            for t in targets { kick(t, code: .banned, text: "this account is banned \(Self.describeUntil(until)): \(why)") }
            write = .sanction(Sanction(accountID: account, kind: .ban, startsAtMillis: now, endsAtMillis: until, reason: why, actor: actor))
        case .unban:
            guard let account else {
                s.send(.error(code: .unknownTarget, requestID: request, text: "name the banned account"))
                return
            }
            guard records != nil else { return noRecords(s, request) }
            write = .liftSanctions(accountID: account, kind: .ban, atMillis: now, actor: actor, reason: why)
        case .resolveReport: return
        }
        counters.staffActions += 1
        if let write, records != nil {
            _ = submitAcknowledged(write, waiter: .done(session: s.id, requestID: request), to: s, request: request)
        } else {
            s.send(.done(requestID: request))
        }
    }

    func noRecords(_ s: Session, _ request: UInt32) {
        s.send(.error(code: .internalError, requestID: request, text: "this server keeps no records (started without --data): bans and reports need them"))
    }

    // MARK: Operators' actions, from the audit trail

    func startAuditPoll() {
        guard let records else { return }
        records.lastAuditID = (try? records.store.lastAuditID()) ?? 0
        records.auditTimer = try? UVTimer(loop: loop) { [unowned self] in self.pollAudit() }
        records.auditTimer?.start(afterMillis: Self.auditPollMillis, repeatMillis: Self.auditPollMillis)
    }

    func pollAudit() {
        guard let records, !stopping, !records.auditPollPending else { return }
        let ticket = records.nextTicket
        records.nextTicket += 1
        if records.writer.submit(.auditSince(afterID: records.lastAuditID, limit: 500), ticket: ticket) {
            records.waiting[ticket] = .auditPoll
            records.auditPollPending = true
        }
    }

    /// Carries out what the audit trail says was decided elsewhere (by an operator's command, or
    /// by another server run). Rows this run wrote itself are skipped: their action was carried
    /// out and announced when it was taken, and doing it again would announce it again (a mute
    /// after its unmute, for a moment).
    func applyAudit(_ entries: [AuditEntry]) {
        guard let records else { return }
        let now = nowUnixMillis()
        for e in entries {
            records.lastAuditID = max(records.lastAuditID, e.id)
            guard e.runID != records.run.runID, let account = e.targetAccount else { continue }
            let targets = sessionsOf(account)
            switch e.action {
            case .ban where e.untilMillis.map({ $0 > now }) ?? true:
                for t in targets { kick(t, code: .banned, text: "this account is banned \(Self.describeUntil(e.untilMillis)): \(e.reason)") }
            case .kick where e.actor.hasPrefix("operator:"):
                for t in targets { kick(t, code: .kicked, text: "removed by an operator: \(e.reason)") }
            case .mute where e.untilMillis.map({ $0 > now }) ?? true:
                applyMute(to: targets, untilMillis: e.untilMillis ?? .max, reason: e.reason)
            case .unmute:
                for t in targets where t.mutedUntilMillis != nil {
                    t.mutedUntilMillis = nil
                    t.send(.notice(kind: .unmuted, untilUnixMillis: 0, text: "you may chat again"))
                }
            default: break
            }
        }
    }
}
