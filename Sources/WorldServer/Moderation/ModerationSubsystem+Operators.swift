// Moderation from outside this server's clients: the audit trail's rows other runs (another
// node, an operator's command) wrote, read when PostgreSQL notifies or every `auditPollMillis`
// and carried out through the one moderation machine; and the operators' API's kicks, mutes,
// bans and resolutions (Server+Operator.swift), answered after the store's commit.

import Foundation
import NetProto
import Transport
import Services
import Store
import WorldCore

extension ModerationSubsystem {
    // MARK: Operators' actions, from the audit trail

    func startAuditPoll() {
        guard let records = server.records else { return }
        lastAuditID = (try? records.store.lastAuditID()) ?? 0
        server.startTimer(.audit, afterMillis: Self.auditPollMillis, everyMillis: Self.auditPollMillis) { [unowned self] in self.pollAudit() }
    }

    func pollAudit() {
        guard server.records != nil, !server.stopping, !auditPollPending else { return }
        auditPollPending = server.submit(read: .auditSince(afterID: lastAuditID, limit: 500)) { [unowned self] result in
            self.auditPollPending = false
            if case .success(.audit(let entries)) = result { self.applyAudit(entries) }
            if self.auditHeardMeanwhile {
                self.auditHeardMeanwhile = false
                self.pollAudit()
            }
        }
    }

    /// The database said that the audit trail grew (a node of a cluster listens for it): read it
    /// now rather than at the next poll; after the read under way, if there is one.
    func auditHeard() {
        auditNotifications += 1
        if auditPollPending { auditHeardMeanwhile = true } else { pollAudit() }
    }

    /// Carries out what the audit trail says was decided elsewhere (by an operator's command, or
    /// by another server run), through the same machine as a request made here. Rows this run
    /// wrote itself are skipped: their action was carried out and announced when it was taken,
    /// and doing it again would announce it again (a mute after its unmute, for a moment).
    func applyAudit(_ entries: [AuditEntry]) {
        guard let run = server.records?.run.runID else { return }
        let now = server.nowUnixMillis()
        for e in entries {
            lastAuditID = max(lastAuditID, e.id)
            guard e.runID != run, let account = e.targetAccount else { continue }
            let action: TrailRow.Action
            switch e.action {
            case .warn: action = .warn
            case .kick: action = .kick
            case .mute: action = .mute
            case .unmute: action = .unmute
            case .ban: action = .ban
            case .unban: action = .unban
            case .resolveReport: action = .resolve
            }
            let row = TrailRow(action: action, actor: e.actor, untilMillis: e.untilMillis, reason: e.reason)
            let effects = Moderation.trail(row, online: online(account), nowMillis: now, describeUntil: Self.describeUntil)
            performModeration(effects, answer: .none)
        }
    }

    // MARK: For the operators' API (Server+Operator.swift)

    /// An operator's kick, mute or ban of an account, through the one moderation machine.
    func forOperator(_ action: ModerationAction, account: String, reason: String, actor: String, now: Int64,
                             reply: @escaping @Sendable (OperatorReply) -> Void, done: String) {
        let facts = moderationFacts(account: account)
        let effects = Moderation.handle(action, by: .operatorAPI(actor: actor), reason: reason, facts: facts, nowMillis: now,
                                        describeUntil: Self.describeUntil)
        performModeration(effects, answer: .operatorAPI(done: done, unchanged: nil, sessions: facts.online.count, reply: reply))
    }

    /// An operator's resolution of a report, through the same machine.
    func resolveForOperator(reportID id: Int64, resolution: String, actor: String, now: Int64, reply: @escaping @Sendable (OperatorReply) -> Void) {
        let effects = Moderation.handle(.resolve(reportID: id), by: .operatorAPI(actor: actor), reason: resolution,
                                        facts: ModerationFacts(subject: .report, online: [], keepsRecords: server.records != nil),
                                        nowMillis: now, describeUntil: Self.describeUntil)
        performModeration(effects, answer: .operatorAPI(done: "report \(id) resolved", unchanged: "no open report \(id) (unknown, or already resolved)",
                                                        sessions: 0, reply: reply))
    }

    /// Commits `write` and then answers; without a store, a kick or a mute still happened and
    /// says that it is not recorded.
    func record(_ write: StoreWrite, sessions: Int, done: String, reply: @escaping @Sendable (OperatorReply) -> Void, unchanged: String? = nil) {
        guard server.records != nil else {
            return reply(OperatorReply(status: 200, message: done + " (not recorded: this server keeps no records)", sessions: sessions))
        }
        let queued = server.submit(write) { result in
            switch result {
            case .success(.count(0)) where unchanged != nil: reply(OperatorReply(status: 404, message: unchanged!))
            case .success: reply(OperatorReply(status: 200, message: done, sessions: sessions))
            case .failure(let error): reply(OperatorReply(status: 500, message: done + ", but the store could not record it: \(error.description)", sessions: sessions))
            }
        }
        guard queued else {
            return reply(OperatorReply(status: 503, message: done + ", but the store's queue is full and it is not recorded; it ends when the server restarts",
                                       sessions: sessions))
        }
    }
}
