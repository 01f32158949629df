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
    /// What to do with each ticket's outcome: the handler its submitter gave (`Server.submit`),
    /// so that a feature's completions come back to that feature and to no shared switch.
    var waiting: [UInt64: Completion] = [:]
    var completions: [StoreWriter.Completion] = []
    var dropped = 0
    var droppedLogged = 0
    var droppedLoggedAtMillis: UInt64 = 0

    /// A write's outcome, handed back on the loop thread after the commit (or the failure).
    typealias Completion = (Result<StoreOutcome, StoreError>) -> Void

    init(settings: StoreSettings, store: any StoreBackend, writer: StoreWriter, run: RunStart) {
        self.settings = settings
        self.store = store
        self.writer = writer
        self.run = run
        nextVisitID = run.nextVisitID
    }
}

extension Server {
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
        moderation.startAuditPoll()
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

    /// Presence's changes, as the records hear them (Features.swift): a visit opens when an
    /// avatar is placed and closes when it is taken out. A room's visits are counted under its
    /// template, not the room, so that usage is reported per kind of room.
    func recordsHeard(_ change: PresenceChange) {
        switch change {
        case .entered(let s, let space): openVisit(s, space: rooms.room(spaceID: space)?.template ?? space)
        case .left(let s, _, let reason): closeVisit(s, reason)
        case .resumed(let s, let from, let space):
            closeVisit(from, .disconnect)
            openVisit(s, space: rooms.room(spaceID: space)?.template ?? space)
        case .signedIn, .disconnected: break
        }
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
        let sessionID = s.id
        guard submit(.bugReport(report), then: { [unowned self] in self.bugReportStored(sessionID, request, $0) }) else {
            s.send(.error(code: .busy, requestID: request, text: "the server's store is saturated just now; the report was not stored, send it again in a few seconds"))
            counters.bugReportsBusy += 1
            return
        }
        s.records.bugReportsPending += 1
        submitUsage(.serviceEvent(ServiceEvent(service: "bug-report", kind: "filed", accountID: s.accountID, atMillis: report.createdAtMillis)))
    }

    /// Answers a bug report once stored. The sender may have left meanwhile: the report is
    /// stored all the same.
    func bugReportStored(_ sessionID: UInt64, _ request: UInt32, _ result: Result<StoreOutcome, StoreError>) {
        guard let s = sessions[sessionID] else { return }
        s.records.bugReportsPending -= 1
        switch result {
        case .success(.id(let id)):
            counters.bugReportsFiled += 1
            s.send(.bugReportFiled(requestID: request, reportID: UInt64(id)))
        case .success:
            preconditionFailure("a bug report's write returns its id")
        case .failure(let error):
            s.send(.error(code: .internalError, requestID: request, text: "the report could not be stored: \(error.description)"))
        }
    }

    // MARK: Completions and upkeep

    /// Queues a write whose outcome its submitter waits for: `then` runs on the loop thread
    /// once the writer has committed it (or failed it), exactly once. False, and `then` never
    /// runs, when the server keeps no records or the writer's queue is full: nothing was queued.
    func submit(_ write: StoreWrite, then: @escaping Records.Completion) -> Bool {
        waitFor(then) { writer, ticket in writer.submit(write, ticket: ticket) }
    }

    /// Queues a read of the records (a member's standing, the audit trail's new rows): `then`
    /// runs on the loop thread with its answer, which includes every write submitted before
    /// it. False, as for a write, when nothing was queued.
    func submit(read: StoreRead, then: @escaping Records.Completion) -> Bool {
        waitFor(then) { writer, ticket in writer.submit(read: read, ticket: ticket) }
    }

    private func waitFor(_ then: @escaping Records.Completion, _ queue: (StoreWriter, UInt64) -> Bool) -> Bool {
        guard let records else { return false }
        let ticket = records.nextTicket
        records.nextTicket += 1
        guard queue(records.writer, ticket) else { return false }
        records.waiting[ticket] = then
        return true
    }

    /// Hands each committed write's outcome to the handler its submitter gave (called on the
    /// loop thread when woken).
    func storeCompleted() {
        guard let records else { return }
        records.writer.takeCompleted(into: &records.completions)
        // The handlers never touch `completions` (only takeCompleted fills it), so the scratch
        // array is read in place and kept with its capacity, with no copy per wake-up.
        for completion in records.completions {
            records.waiting.removeValue(forKey: completion.ticket)?(completion.result)
        }
        records.completions.removeAll(keepingCapacity: true)
    }

    /// Deletes one small batch of rows older than the keeping period, on the writer thread.
    func prune() {
        guard let records, !stopping else { return }
        let before = nowUnixMillis() - Int64(records.settings.keepDays) * 86_400_000
        let batch = records.settings.pruneBatchRows
        _ = submit(.prune(beforeMillis: before, rowsMax: batch)) { [unowned self] result in
            if case .success(.count(let count)) = result, count >= Int64(batch) { self.prune() } // more to delete: the next small batch
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
