// Reports, blocks, staff actions and bans, on the loop thread (docs/PROTOCOL.md, sections 7.6
// and 7.7; the records in docs/DATA.md). The rules are Services' Moderation machine (one
// implementation for staff clients, the operators' API and the audit trail); this subsystem
// gathers its facts, asks it, and carries out its effects.
//
// - A member's standing is read before `welcome` (Server+SignIn.swift): a banned account is
//   refused there with `banned` and the time it ends.
// - What the client is told it did (a report filed, a block, a staff action) is answered after
//   the store committed it (`done`, `userReportFiled`); its effect on the sessions (a kick, a
//   mute, a block) takes hold at once.
// - Operators act on the same database from the command line (`seoulworld moderation`); the
//   server reads the audit trail's new rows every `auditPollMillis` and carries them out (a ban
//   kicks the account's sessions), so a ban made there reaches a connected account within
//   about two seconds.
//
// Invariant: every acknowledged request is answered once: after its commit, or with an error.

import Foundation
import NetProto
import Transport
import Services
import Store
import WorldCore

final class ModerationSubsystem {
    unowned let server: Server
    /// The newest audit row this server has seen, and whether a read of newer ones is queued.
    var lastAuditID: Int64 = 0
    var auditPollPending = false
    /// A notification came while a read was under way: read again after it.
    var auditHeardMeanwhile = false
    /// How many times the database said so (a node of a cluster).
    var auditNotifications = 0

    init(server: Server) { self.server = server }

    static let auditPollMillis: UInt64 = 2_000
    static let userReportsPendingPerSessionMax = 4

    /// Removes a client with a reason it is told (`kicked`, or `banned`).
    func kick(_ s: Session, code: ErrorCode, text: String) {
        server.counters.kicks += 1
        s.records.endReason = .kicked
        s.send(.error(code: code, requestID: 0, text: text))
        s.connection.close()
    }

    // MARK: Reports

    func reportUser(_ s: Session, request: UInt32, entity: UInt32, reason: ReportReasonCode, description: String) {
        guard let spaceID = s.spaceID, let space = server.host.spaces[spaceID] else {
            s.send(.error(code: .notInSpace, requestID: request, text: "enter the space where it happens: a report names someone there by entity"))
            return
        }
        guard let other = space.session(forEntity: entity), other !== s else {
            s.send(.error(code: .unknownTarget, requestID: request, text: "no one else with entity \(entity) in '\(spaceID)'"))
            return
        }
        guard server.records != nil else {
            s.send(.error(code: .internalError, requestID: request, text: "this server keeps no records (started without --data); the report was not stored"))
            return
        }
        guard s.records.userReportsPending < Self.userReportsPendingPerSessionMax else {
            s.send(.error(code: .rateLimited, requestID: request, text: "\(s.records.userReportsPending) reports are still being stored; wait for their answers"))
            return
        }
        let now = server.nowUnixMillis()
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
        let sessionID = s.id
        guard submitAcknowledged(.userReport(report), to: s, request: request, then: { [unowned self] result in
            guard let s = self.server.sessions[sessionID] else { return }
            s.records.userReportsPending -= 1
            if case .success(.id(let id)) = result {
                self.server.counters.userReportsFiled += 1
                s.send(.userReportFiled(requestID: request, reportID: UInt64(id)))
            } else {
                s.send(.error(code: .internalError, requestID: request, text: "the report could not be stored; send it again"))
            }
        }) else { return }
        s.records.userReportsPending += 1
        server.submitUsage(.serviceEvent(ServiceEvent(service: "user-report", kind: "filed", accountID: s.accountID, atMillis: now, outcome: report.reason.rawValue)))
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
    func submitAcknowledged(_ write: StoreWrite, to s: Session, request: UInt32, then: @escaping Records.Completion) -> Bool {
        guard server.records != nil else { return false }
        guard server.submit(write, then: then) else {
            s.send(.error(code: .busy, requestID: request, text: "the server's store is saturated just now; nothing was changed, try again in a few seconds"))
            return false
        }
        return true
    }

    /// Answers `done` once the change is committed; a failed commit says that the change took
    /// effect but is not kept.
    func answerDone(_ sessionID: UInt64, _ request: UInt32) -> Records.Completion {
        { [unowned self] result in
            guard let s = self.server.sessions[sessionID] else { return }
            if case .success = result {
                s.send(.done(requestID: request))
            } else {
                s.send(.error(code: .internalError, requestID: request, text: "the change took effect but could not be stored; it ends when the server restarts"))
            }
        }
    }

    // MARK: Blocks

    func block(_ s: Session, request: UInt32, subject: Subject, on: Bool) {
        guard let me = s.accountID else { return }
        let account: String
        switch subject {
        case .entity(let entity):
            guard let other = s.spaceID.flatMap({ server.host.spaces[$0] })?.session(forEntity: entity) else {
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
        if on && !s.chat.blocked.contains(account) && s.chat.blocked.count >= blocksPerAccountMax {
            s.send(.error(code: .limitReached, requestID: request, text: "you block \(blocksPerAccountMax) accounts already, the most allowed; unblock one first"))
            return
        }
        let write: StoreWrite = on ? .block(blocker: me, blocked: account, atMillis: server.nowUnixMillis()) : .unblock(blocker: me, blocked: account)
        if server.records != nil {
            guard submitAcknowledged(write, to: s, request: request, then: answerDone(s.id, request)) else { return }
        }
        // Effective at once, on every session of the account.
        for mine in server.sessions.of(account: me) {
            if on { mine.chat.blocked.insert(account) } else { mine.chat.blocked.remove(account) }
        }
        if server.records == nil { s.send(.done(requestID: request)) }
    }

    // MARK: Staff actions (the rules are Services' Moderation machine)

    func staffAction(_ s: Session, request: UInt32, action wire: StaffAction, subject: Subject, seconds: UInt32, reason: String) {
        let requester = ModerationRequester.staff(account: s.accountID ?? "?", hasStaffRole: s.isStaff)
        var reportID: Int64 = 0
        let facts: ModerationFacts
        switch subject {
        case .entity(let entity):
            // The machine checks the role first; so must this look-up, which can refuse too.
            guard s.isStaff else { return performModeration([.refuse(.notStaff)], answer: .staff(s, request)) }
            guard let other = s.spaceID.flatMap({ server.host.spaces[$0] })?.session(forEntity: entity) else {
                s.send(.error(code: .unknownTarget, requestID: request, text: "no one with entity \(entity) in your space"))
                return
            }
            facts = other.accountID.map { moderationFacts(account: $0) }
                ?? ModerationFacts(subject: .guest(session: other.id), online: [Self.moderated(other)], keepsRecords: server.records != nil)
        case .account(let account): facts = moderationFacts(account: account)
        case .report(let id):
            reportID = Int64(bitPattern: id)
            facts = ModerationFacts(subject: .report, online: [], keepsRecords: server.records != nil)
        }
        let action: ModerationAction
        switch wire {
        case .warn: action = .warn
        case .kick: action = .kick
        case .mute: action = .mute(seconds: Int64(seconds))
        case .unmute: action = .unmute
        case .ban: action = .ban(seconds: Int64(seconds))
        case .unban: action = .unban
        case .resolveReport: action = .resolve(reportID: reportID)
        }
        let effects = Moderation.handle(action, by: requester, reason: reason, facts: facts, nowMillis: server.nowUnixMillis(), describeUntil: Self.describeUntil)
        performModeration(effects, answer: .staff(s, request))
    }

    func moderationFacts(account: String) -> ModerationFacts {
        ModerationFacts(subject: .account(account), online: online(account), keepsRecords: server.records != nil)
    }

    /// An account's sessions here as moderation sees them: connected, and held away after a
    /// dropped connection (Cluster/ClusterSubsystem+Away.swift), whose avatar a kick or a ban
    /// takes out at once.
    func online(_ account: String) -> [ModeratedSession] {
        (server.sessions.of(account: account) + server.cluster.awaySessions(of: account)).map(Self.moderated)
    }

    static func moderated(_ s: Session) -> ModeratedSession { ModeratedSession(session: s.id, mutedUntilMillis: s.chat.mutedUntilMillis) }

    /// Who waits for the outcome of a moderation request, and how they are answered.
    enum ModerationAnswer {
        case staff(Session, UInt32)
        case operatorAPI(done: String, unchanged: String?, sessions: Int, reply: @Sendable (OperatorReply) -> Void)
        /// From the audit trail: nobody here asked.
        case none
    }

    /// Carries out the moderation machine's effects in order; the answer comes after the
    /// record's commit, or at once when there is nothing to record (or no store).
    func performModeration(_ effects: [ModerationEffect], answer: ModerationAnswer) {
        var record: StoreWrite?
        for effect in effects {
            switch effect {
            case .refuse(let refusal): refuseModeration(refusal, answer: answer)
            case .notice(let id, let kind, let until, let text):
                let wire: NoticeKind = kind == .warning ? .warning : (kind == .muted ? .muted : .unmuted)
                server.sessions[id]?.send(.notice(kind: wire, untilUnixMillis: until.map { UInt64($0) } ?? 0, text: text))
            case .setMute(let id, let until): server.sessions[id]?.chat.mutedUntilMillis = until
            case .kick(let id, let banned, let text):
                if let t = server.sessions[id] { kick(t, code: banned ? .banned : .kicked, text: text) } else if server.cluster.endAway(sessionID: id, reason: .kicked) { server.counters.kicks += 1 }
            case .persist(let r): record = Self.storeWrite(r)
            case .done:
                server.counters.staffActions += 1
                answerModeration(answer, record: record)
                if case .sanction(let sanction)? = record { tellInbox(sanction) }
            }
        }
    }

    func refuseModeration(_ refusal: ModerationRefusal, answer: ModerationAnswer) {
        switch answer {
        case .staff(let s, let request):
            let code: ErrorCode
            switch refusal {
            case .notStaff: code = .forbidden
            case .reasonMissing, .lengthOutOfRange: code = .invalidText
            case .notOnline, .needsAccount, .needsReport, .needsPerson: code = .unknownTarget
            case .needsRecords: code = .internalError
            }
            s.send(.error(code: code, requestID: request, text: refusal.sentence))
        case .operatorAPI(_, _, _, let reply):
            switch refusal {
            case .reasonMissing: reply(Server.reasonNeeded)
            case .needsRecords: reply(Server.noStore)
            case .notOnline, .needsAccount: reply(OperatorReply(status: 404, message: refusal.sentence))
            case .notStaff, .lengthOutOfRange, .needsReport, .needsPerson: reply(OperatorReply(status: 400, message: refusal.sentence))
            }
        case .none: break
        }
    }

    func answerModeration(_ answer: ModerationAnswer, record: StoreWrite?) {
        switch answer {
        case .staff(let s, let request):
            guard let record, server.records != nil else { return s.send(.done(requestID: request)) }
            var then = answerDone(s.id, request)
            if case .resolveReport(let reportID, _, _, _) = record {
                let sessionID = s.id
                then = { [unowned self] result in
                    guard let s = self.server.sessions[sessionID] else { return }
                    switch result {
                    case .success(.count(1)): s.send(.done(requestID: request))
                    case .success: s.send(.error(code: .unknownTarget, requestID: request, text: "no open report \(reportID) (unknown, or already resolved)"))
                    case .failure: s.send(.error(code: .internalError, requestID: request, text: "the resolution could not be stored; try again"))
                    }
                }
            }
            _ = submitAcknowledged(record, to: s, request: request, then: then)
        case .operatorAPI(let done, let unchanged, let count, let reply):
            guard let record else { return reply(OperatorReply(status: 200, message: done, sessions: count)) }
            self.record(record, sessions: count, done: done, reply: reply, unchanged: unchanged)
        case .none: break
        }
    }

    /// A sanction's reason and end in the account's inbox (written after the sanction, pushed
    /// if the account is online, else read at its next sign-in once the sanction allows one).
    func tellInbox(_ s: Sanction) {
        guard server.records != nil else { return }
        let until = Self.describeUntil(s.endsAtMillis)
        let title = s.kind == .ban ? "이용이 제한되었습니다 · Your account is banned \(until)" : "대화가 제한되었습니다 · You are muted \(until)"
        server.inbox.write(InboxRecord(accountID: s.accountID, kind: "sanction", title: String(title.prefix(100)), body: s.reason, reference: nil,
                                       createdAtMillis: s.startsAtMillis)) { [unowned self] written in
            if case .failed(let why) = written { server.logger.error("a sanction's inbox message was not kept", metadata: ["account": "\(s.accountID)", "why": "\(why)"]) }
        }
    }

    static func storeWrite(_ r: ModerationRecord) -> StoreWrite {
        switch r {
        case .sanction(let account, let ban, let starts, let ends, let reason, let actor):
            return .sanction(Sanction(accountID: account, kind: ban ? .ban : .mute, startsAtMillis: starts, endsAtMillis: ends, reason: reason, actor: actor))
        case .lift(let account, let ban, let at, let actor, let reason):
            return .liftSanctions(accountID: account, kind: ban ? .ban : .mute, atMillis: at, actor: actor, reason: reason)
        case .audit(let kick, let account, let at, let actor, let reason):
            return .audit(AuditEntry(atMillis: at, actor: actor, action: kick ? .kick : .warn, targetAccount: account, reason: reason))
        case .resolve(let id, let actor, let resolution, let at):
            return .resolveReport(reportID: id, actor: actor, resolution: resolution, atMillis: at)
        }
    }

    // MARK: For chat's flood rule and the wording of sanctions

    /// The flood rule's mute (chat's rate limit, Server+Chat), through the same effects as a staff mute.
    func mute(_ targets: [Session], untilMillis: Int64, reason: String) {
        performModeration(Moderation.mute(targets.map(Self.moderated), until: untilMillis, reason: reason, describeUntil: Self.describeUntil),
                          answer: .none)
    }

    /// "until 2026-11-22 21:05:00 KST", or "for good".
    static func describeUntil(_ millis: Int64?) -> String {
        guard let millis, millis != .max else { return "for good" }
        return "until " + OpeningHours.describe(millis, seconds: true)
    }
}
