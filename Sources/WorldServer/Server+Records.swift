// The server's records (docs/DATA.md): accounts, visits, bug reports and service events,
// written through the store's writer thread so that the tick never waits for the disk.
//
// What happens when the writer's queue is full, per kind of write:
// - a bug report, which its sender waits for, is answered at once with `busy` (error 22):
//   nothing was stored and nothing is acknowledged;
// - usage records (an account seen, a visit opened or closed, a heartbeat, a service event)
//   are counted in `recordsDropped` and logged at most once every ten seconds with the count;
//   a visit whose opening was dropped is simply absent, and its closing finds no row.
// An acknowledged id is sent only from the writer's completion, after the commit.
//
// Invariants:
// 1. A session has at most one open visit (`Session.visitID`), opened when its avatar is
//    placed and closed exactly once: on leave, travel, disconnect, timeout or shutdown.
// 2. Every bug-report ticket is answered once: with its id, or with an error.

import Foundation
import Logging
import NetProto
import Transport
import Store
import WorldCore

public struct StoreSettings: Sendable {
    /// The database file; created with its directory on first start. Not used when `postgres`
    /// is set.
    public var path: String
    /// The records go to this PostgreSQL database instead of the file (docs/DATA.md).
    public var postgres: PostgresLocation?
    /// The file's path or the database's URL (without a password), for the log.
    public var name: String { postgres?.description ?? path }
    /// Usage rows older than this are deleted (docs/DATA.md, "Keeping").
    public var keepDays = 400
    /// The writer's queue, in writes.
    public var queueMax = 65_536
    public var heartbeatSeconds = 5
    public var pruneEverySeconds = 3_600
    public var pruneBatchRows = 500
    /// Bug reports one session may have waiting for the disk at once.
    public var bugReportsPendingPerSessionMax = 4

    public init(path: String) { self.path = path }

    public init(postgres: PostgresLocation) {
        path = ""
        self.postgres = postgres
    }
}

/// The loop thread's side of the store.
final class Records {
    let settings: StoreSettings
    let store: any StoreBackend
    let writer: StoreWriter
    let run: RunStart
    var nextVisitID: Int64
    var nextTicket: UInt64 = 1
    /// Who waits for each ticket.
    var waiting: [UInt64: Waiter] = [:]
    var completions: [StoreWriter.Completion] = []
    var dropped = 0
    var droppedLogged = 0
    var droppedLoggedAtMillis: UInt64 = 0
    /// The newest audit row the server has seen, and whether a read of newer ones is queued.
    var lastAuditID: Int64 = 0
    var auditPollPending = false

    enum Waiter {
        case bugReport(session: UInt64, requestID: UInt32)
        case prune
        /// A member's standing, read before its welcome.
        case standing(session: UInt64)
        case userReport(session: UInt64, requestID: UInt32)
        /// A block or a staff action: `done` once committed.
        case done(session: UInt64, requestID: UInt32)
        case resolved(session: UInt64, requestID: UInt32, reportID: Int64)
        case auditPoll
        /// An operator's request through the admin API, answered once committed.
        case operatorAction(OperatorWaiter)
    }

    init(settings: StoreSettings, store: any StoreBackend, writer: StoreWriter, run: RunStart) {
        self.settings = settings
        self.store = store
        self.writer = writer
        self.run = run
        nextVisitID = run.nextVisitID
    }
}

extension Server {
    /// The current time as the store keeps it: Unix milliseconds, UTC, from the server's clock.
    func nowUnixMillis() -> Int64 { configuration.clock.wallMillis() }

    /// The wall time as the desks read it (with a rehearsal's offset, if any).
    var deskNowMillis: Int64 { nowUnixMillis() + configuration.deskClockOffsetMillis }

    /// Opens the database, closes what a crashed run left open, and starts the writer.
    func openRecords(_ settings: StoreSettings) throws {
        let store: any StoreBackend = try settings.postgres.map { try PostgresStore(location: $0, access: .server) } ?? Store(path: settings.path)
        let run = try store.beginRun(serverVersion: Self.version, nowMillis: nowUnixMillis())
        let logger = self.logger
        let writer = StoreWriter(backend: store, queueMax: settings.queueMax, origin: run.runID, onCompleted: { [weak self] in
            self?.wakeFromAnyThread()
        }, onProblem: { text in
            logger.error("store", metadata: ["problem": "\(text)"])
        })
        records = Records(settings: settings, store: store, writer: writer, run: run)
        if run.crashedRuns > 0 {
            logger.warning("the last run did not stop cleanly; its open visits were closed at its last heartbeat",
                           metadata: ["runs": "\(run.crashedRuns)", "visits": "\(run.visitsClosedAfterCrash)"])
        }
        let schema = ((try? store.schemaVersion()) ?? nil) ?? "none"
        logger.info("store open", metadata: ["store": "\(settings.name)", "run": "\(run.runID)", "schema": "\(schema)"])
    }

    /// Starts the heartbeat and the pruning, once the loop runs.
    func startRecordTimers() {
        guard let records else { return }
        let beat = UInt64(records.settings.heartbeatSeconds * 1_000)
        startTimer(.heartbeat, afterMillis: beat, everyMillis: beat) { [unowned self] in
            self.submitUsage(.heartbeat(runID: records.run.runID, atMillis: nowUnixMillis()))
        }
        startTimer(.prune, afterMillis: 10_000, everyMillis: UInt64(records.settings.pruneEverySeconds * 1_000)) { [unowned self] in self.prune() }
        startAuditPoll()
    }

    /// Queues a usage record; past the queue's limit it is counted and logged, never silent.
    func submitUsage(_ write: StoreWrite) {
        guard let records else { return }
        if records.writer.submit(write) { return }
        records.dropped += 1
        let now = clockMillis
        if now >= records.droppedLoggedAtMillis + 10_000 {
            logger.error("store queue full: usage records dropped", metadata: [
                "dropped": "\(records.dropped - records.droppedLogged)", "droppedTotal": "\(records.dropped)",
                "queueMax": "\(records.writer.queueMax)", "latest": "\(write.kind)",
            ])
            records.droppedLoggedAtMillis = now
            records.droppedLogged = records.dropped
        }
    }

    // MARK: Accounts and visits

    func recordAccount(_ token: MemberToken) {
        submitUsage(.accountSeen(accountID: token.accountID, displayName: token.displayName, roles: Int(token.roles.rawValue),
                                 atMillis: nowUnixMillis()))
    }

    func openVisit(_ s: Session, space: String) {
        guard let records else { return }
        precondition(s.records.visitID == nil, "a session has at most one open visit")
        let id = records.nextVisitID
        records.nextVisitID += 1
        s.records.visitID = id
        submitUsage(.visitOpened(VisitOpening(visitID: id, runID: records.run.runID, sessionID: s.id, accountID: s.accountID,
                                              role: Int(s.role), spaceID: space, enteredAtMillis: nowUnixMillis())))
    }

    func closeVisit(_ s: Session, _ reason: Schema.EndReason) {
        guard let id = s.records.visitID else { return }
        s.records.visitID = nil
        submitUsage(.visitClosed(visitID: id, leftAtMillis: nowUnixMillis(), reason: reason))
    }

    // MARK: Bug reports

    func fileBugReport(_ s: Session, request: UInt32, description: String) {
        guard let records else {
            s.send(.error(code: .internalError, requestID: request, text: "this server keeps no records (it plays a recording); the report was not stored"))
            return
        }
        guard s.records.bugReportsPending < records.settings.bugReportsPendingPerSessionMax else {
            s.send(.error(code: .rateLimited, requestID: request,
                          text: "\(s.records.bugReportsPending) bug reports are still being stored; wait for their answers, then send again"))
            return
        }
        var report = BugReport(runID: records.run.runID, sessionID: s.id, accountID: s.accountID, role: Int(s.role), description: description,
                               spaceID: nil, floor: nil, xCentimetres: nil, yCentimetres: nil, tick: nil, serverVersion: Self.version,
                               createdAtMillis: nowUnixMillis())
        if let spaceID = s.spaceID, let space = host.spaces[spaceID] {
            report.spaceID = spaceID
            report.tick = Int64(space.world.tick)
            if let avatar = s.avatar, let a = space.world.avatar(avatar) {
                report.floor = Int(a.floor)
                report.xCentimetres = Int(a.position.x)
                report.yCentimetres = Int(a.position.y)
            }
        }
        let ticket = records.nextTicket
        records.nextTicket += 1
        guard records.writer.submit(.bugReport(report), ticket: ticket) else {
            s.send(.error(code: .busy, requestID: request, text: "the server's store is saturated just now; the report was not stored, send it again in a few seconds"))
            counters.bugReportsBusy += 1
            return
        }
        records.waiting[ticket] = .bugReport(session: s.id, requestID: request)
        s.records.bugReportsPending += 1
        submitUsage(.serviceEvent(ServiceEvent(service: "bug-report", kind: "filed", accountID: s.accountID, atMillis: report.createdAtMillis)))
    }

    // MARK: Completions and upkeep

    /// Answers what the writer committed (called on the loop thread when woken).
    func storeCompleted() {
        guard let records else { return }
        records.writer.takeCompleted(into: &records.completions)
        for completion in records.completions {
            guard let waiter = records.waiting.removeValue(forKey: completion.ticket) else { continue }
            switch waiter {
            case .bugReport(let sessionID, let request):
                // The sender may have left meanwhile: the report is stored all the same.
                guard let s = sessions[sessionID] else { continue }
                s.records.bugReportsPending -= 1
                switch completion.result {
                case .success(.id(let id)):
                    counters.bugReportsFiled += 1
                    s.send(.bugReportFiled(requestID: request, reportID: UInt64(id)))
                case .success:
                    preconditionFailure("a bug report's write returns its id")
                case .failure(let error):
                    s.send(.error(code: .internalError, requestID: request, text: "the report could not be stored: \(error.description)"))
                }
            case .prune:
                if case .success(.count(let count)) = completion.result, count >= Int64(records.settings.pruneBatchRows) {
                    prune() // more to delete: the next small batch
                }
            case .standing(let sessionID):
                guard let s = sessions[sessionID] else { continue }
                switch completion.result {
                case .success(.standing(let standing)): welcomeMember(s, standing: standing)
                case .success, .failure:
                    perform(s.machine.refused(.internalError, "this account's standing could not be read from the store; try again shortly"), for: s)
                }
            case .userReport(let sessionID, let request):
                guard let s = sessions[sessionID] else { continue }
                s.records.userReportsPending -= 1
                if case .success(.id(let id)) = completion.result {
                    counters.userReportsFiled += 1
                    s.send(.userReportFiled(requestID: request, reportID: UInt64(id)))
                } else {
                    s.send(.error(code: .internalError, requestID: request, text: "the report could not be stored; send it again"))
                }
            case .done(let sessionID, let request):
                guard let s = sessions[sessionID] else { continue }
                if case .success = completion.result {
                    s.send(.done(requestID: request))
                } else {
                    s.send(.error(code: .internalError, requestID: request, text: "the change took effect but could not be stored; it ends when the server restarts"))
                }
            case .resolved(let sessionID, let request, let reportID):
                guard let s = sessions[sessionID] else { continue }
                switch completion.result {
                case .success(.count(1)): s.send(.done(requestID: request))
                case .success: s.send(.error(code: .unknownTarget, requestID: request, text: "no open report \(reportID) (unknown, or already resolved)"))
                case .failure: s.send(.error(code: .internalError, requestID: request, text: "the resolution could not be stored; try again"))
                }
            case .auditPoll:
                records.auditPollPending = false
                if case .success(.audit(let entries)) = completion.result { applyAudit(entries) }
            case .operatorAction(let w):
                operatorActionCommitted(w, completion.result)
            }
        }
        records.completions.removeAll(keepingCapacity: true)
    }

    /// Deletes one small batch of rows older than the keeping period, on the writer thread.
    func prune() {
        guard let records, !stopping else { return }
        let before = nowUnixMillis() - Int64(records.settings.keepDays) * 86_400_000
        let ticket = records.nextTicket
        records.nextTicket += 1
        if records.writer.submit(.prune(beforeMillis: before, rowsMax: records.settings.pruneBatchRows), ticket: ticket) {
            records.waiting[ticket] = .prune
        }
    }

    /// Closes every open visit as the server stops.
    func closeAllVisits() {
        for s in sessions.values { closeVisit(s, .shutdown) }
    }

    /// Ends the run in the store and waits for the writer to commit everything queued.
    func closeRecords() {
        guard let records else { return }
        timers.stop(.heartbeat)
        timers.stop(.prune)
        timers.stop(.audit)
        submitUsage(.runStopped(runID: records.run.runID, atMillis: nowUnixMillis()))
        let finished = records.writer.stop()
        let f = records.writer.figures()
        figures.store = f
        logger.info("store closed", metadata: ["committed": "\(f.committed)", "transactions": "\(f.transactions)",
                                               "failed": "\(f.failed)", "dropped": "\(records.dropped)", "finished": "\(finished)"])
        self.records = nil
    }
}
