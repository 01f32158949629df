// The store on a real PostgreSQL server (a throwaway cluster, scripts/pg-scratch.sh): the URL
// forms, the schema and its refusals, every write giving the same rows and outcomes as on
// SQLite, two servers on one database, and the writer keeping what it could not store while
// the server was down.

import Foundation
import PostgresScratch
import Testing
@testable import Store

func scratch() throws -> PostgresScratch { try PostgresScratch.shared.get() }

@Suite(.serialized, .timeLimit(.minutes(10))) struct PostgresStoreTests {
    @Test func urlsAreReadAsLibpqWritesThemAndPasswordsStayOffTheCommandLine() throws {
        #expect(try PostgresLocation.parse("postgres://city@db.example:6543/records")
                == PostgresLocation(endpoint: .tcp(host: "db.example", port: 6543), user: "city", database: "records"))
        #expect(try PostgresLocation.parse("postgresql://city@db.example/records").endpoint == .tcp(host: "db.example", port: 5432))
        #expect(try PostgresLocation.parse("postgres://city@/records?host=/run/postgresql").endpoint == .unixSocket(path: "/run/postgresql/.s.PGSQL.5432"))
        #expect(try PostgresLocation.parse("postgres://city@/records?host=/tmp/pg&port=5433").endpoint == .unixSocket(path: "/tmp/pg/.s.PGSQL.5433"))
        #expect(try PostgresLocation.parse("postgres://city@/records?host=/tmp/pg").description == "postgres://city@/records?host=/tmp/pg")
        for (bad, says) in [("postgres://city:secret@db/records", "process list"), ("postgres://db/records", "no user"),
                            ("postgres://city@db/", "no database"), ("postgres://city@db/records?sslmode=require", "sslmode"),
                            ("postgres://city@db:0/records", "port"), ("mysql://city@db/records", "not a PostgreSQL URL")] {
            let error = #expect(throws: StoreError.self) { try PostgresLocation.parse(bad) }
            #expect(error?.description.contains(says) == true, "\(bad): \(error?.description ?? "")")
        }
        let file = temporaryDirectory() + "/password"
        try "s3cret\nignored\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try PostgresLocation.password(file: file, environment: ["PGPASSWORD": "other"]) == "s3cret")
        #expect(try PostgresLocation.password(file: nil, environment: ["PGPASSWORD": "other"]) == "other")
        #expect(try PostgresLocation.password(file: nil, environment: [:]) == nil)
        #expect(throws: StoreError.self) { try PostgresLocation.password(file: file + "-missing") }
    }

    @Test func aNewDatabaseIsMigratedANewerOneRefusedAndAnEmptyOneNotRead() throws {
        let location = try scratch().database()
        #expect(throws: StoreError.self) { _ = try PostgresStore(location: location, access: .readOnly) }
        let store = try PostgresStore(location: location, access: .server)
        #expect(try store.schemaVersion() == Schema.versions.last)
        #expect(try store.rowCounts().map(\.table) == Store.tables)
        _ = try store.transaction([], origin: nil)
        // A second server on the same database migrates nothing and opens.
        _ = try PostgresStore(location: location, access: .server)
        _ = try PostgresStore(location: location, access: .readOnly)
        try store.inTransaction("test") { c in try store.run(c, "INSERT INTO seoulworld_migrations (identifier, applied_at_ms) VALUES ('v9-from-the-future', 0)") }
        let error = #expect(throws: StoreError.self) { _ = try PostgresStore(location: location, access: .server) }
        #expect(error?.description.contains("newer seoulworld") == true && error?.description.contains("v9-from-the-future") == true)
    }

    @Test func aServerThatIsNotThereOrADatabaseThatIsNotAreSentences() throws {
        let nowhere = PostgresLocation(endpoint: .unixSocket(path: "/tmp/seoulworld-no-such-dir/.s.PGSQL.5432"), user: "seoulworld", database: "x")
        let down = #expect(throws: StoreUnavailable.self) { _ = try PostgresStore(location: nowhere, access: .server) }
        #expect(down?.description.contains("cannot reach postgres://seoulworld@/x?host=/tmp/seoulworld-no-such-dir: no server has its socket at") == true, "\(down?.description ?? "")")
        var missing = try scratch().database()
        missing.database = "no_such_database"
        let error = #expect(throws: StoreError.self) { _ = try PostgresStore(location: missing, access: .server) }
        #expect(error?.description.contains("create it") == true, "\(error?.description ?? "")")
    }

    /// The same writes, in the same order, on a fresh SQLite file and a fresh PostgreSQL
    /// database: the same outcomes (ids, counts, standings, audit rows) and the same row counts.
    @Test func everyWriteGivesTheSameOutcomesOnBothBackends() throws {
        let sqlite = try Store(path: temporaryDirectory() + "/records.sqlite")
        let postgres = try PostgresStore(location: try scratch().database(), access: .server)
        var outcomes: [[StoreOutcome]] = []
        for backend in [sqlite as any StoreBackend, postgres] {
            let run = try backend.beginRun(serverVersion: "test", nowMillis: 1_000)
            #expect(run.runID == 1)
            let visit = run.nextVisitID
            let writes = everyKindOfWrite(run: run.runID, visit: visit)
            outcomes.append(try backend.transaction(writes, origin: run.runID))
        }
        // Visit ids are each backend's own (a block per run on PostgreSQL): compare the rest.
        func comparable(_ o: [StoreOutcome]) -> [StoreOutcome] { o.enumerated().map { i, outcome in i == 3 || i == 5 ? .none : outcome } }
        #expect(comparable(outcomes[0]) == comparable(outcomes[1]))
        let counts = try sqlite.rowCounts().map(\.rows)
        #expect(counts == (try postgres.rowCounts()).map(\.rows))
        // Pruned: the finished usage rows and the accounts only they named; the open visit stays.
        // What `everyKindOfWrite` leaves, table by table (the prune at ten days removes every
        // finished usage row, all of which are older):
        let expected: [String: Int] = [
            "server_runs": 1,    // the run
            "accounts": 0,       // kim and lee were named only by usage rows, pruned with them
            "visits": 1,         // two opened, the first closed and pruned; the open one stays
            "service_events": 0, // two, pruned
            "bug_reports": 0,    // one, pruned
            "sanctions": 3,      // a mute and two bans; lifting ends them, it does not delete them
            "blocks": 1,         // lee -> kim (blocked twice, one row); lee -> park undone
            "user_reports": 1,   // resolved once, still there
            "audit_log": 6,      // three sanctions, one lift (the second lifted nothing), one resolution (the second found it resolved), one warning
            "filter_counts": 1,  // lee's, kept at the latest
            "notices": 1,        // the year's notice; the one that ended went with its read
            "notice_reads": 1,   // kim read the year's notice (twice, one row; notice 99 is none)
            "suggestions": 4,    // kim's three within the day's limit, and lee's
            "inbox": 105,        // kim's report's outcome, answer and closing; lee's answer and message; choi's 100 of 101 (the oldest went)
            "ethics_acceptances": 2, // kim (twice, one row) and lee
            "tutorial_progress": 1,  // kim's one step, done twice
        ]
        #expect(counts == Store.tables.map { expected[$0]! }, "\(zip(Store.tables, counts).map { "\($0) \($1)" })")
        #expect(try sqlite.standing(of: "lee", nowMillis: 7_000) == (try postgres.standing(of: "lee", nowMillis: 7_000)))
        // The server's reads answer the same on both.
        for read in [StoreRead.standing(accountID: "lee", nowMillis: 5_000), .standing(accountID: "lee", nowMillis: 70_000),
                     .auditSince(afterID: 0, limit: 100), .auditSince(afterID: 3, limit: 2), .liveNotices(nowMillis: 9_000),
                     .noticesRead(accountID: "kim", nowMillis: 9_000), .noticesRead(accountID: "lee", nowMillis: 9_000),
                     .suggestion(id: 1), .suggestionsOf(accountID: "kim", offset: 0, limit: 10), .suggestionQueue(offset: 0, limit: 10),
                     .answeredSuggestions(offset: 0, limit: 10), .inbox(accountID: "kim", offset: 0, limit: 10), .inbox(accountID: "choi", offset: 95, limit: 10),
                     .tutorialProgress(accountID: "kim"), .tutorialProgress(accountID: "lee")] {
            #expect(try sqlite.read(read) == (try postgres.read(read)), "\(read)")
        }
        guard case .audit(let page) = try postgres.read(.auditSince(afterID: 3, limit: 2)),
              case .standing(let lee) = try postgres.read(.standing(accountID: "lee", nowMillis: 5_000)) else {
            Issue.record("the reads answer with their kinds")
            return
        }
        #expect(page.map(\.id) == [4, 5], "two rows after the third, oldest first")
        guard case .notices(let live) = try postgres.read(.liveNotices(nowMillis: 9_000)), case .ids(let read) = try sqlite.read(.noticesRead(accountID: "kim", nowMillis: 9_000)) else {
            Issue.record("the notice reads answer with their kinds")
            return
        }
        #expect(live.map(\.id) == [2] && live.first?.withdrawnBy == "editor:lee" && live.first?.pinned == true && live.first?.targetSpaces == [])
        #expect(live.first?.titleEn == "The New Year bell" && live.first?.bodyEn == nil, "a missing language stays missing")
        #expect(read == [2])
        guard case .suggestions(let queue) = try postgres.read(.suggestionQueue(offset: 0, limit: 10)),
              case .suggestions(let board) = try sqlite.read(.answeredSuggestions(offset: 0, limit: 10)),
              case .inbox(let kim) = try postgres.read(.inbox(accountID: "kim", offset: 0, limit: 10)),
              case .inbox(let choi) = try sqlite.read(.inbox(accountID: "choi", offset: 0, limit: 1)) else {
            Issue.record("the suggestion and inbox reads answer with their kinds")
            return
        }
        #expect(queue.map(\.id) == [3] && queue.first?.state == "in-review" && queue.first?.handler == "staff:park", "only #3 is still open")
        #expect(board.map(\.id) == [1] && board.first?.response == "Six benches in March.", "answered and consented: #1 only (lee did not consent)")
        #expect(kim.total == 3 && kim.unread == 1 && kim.items.map(\.reference) == ["S-1970-000002", "S-1970-000001", "report #1"])
        #expect(kim.items.last?.kind == "report-outcome" && kim.items.last?.title.contains("was reviewed") == true,
                "no warning, kick, mute or ban of lee was recorded between the report and its resolution")
        #expect(choi.total == inboxPerAccountMax && choi.items.first?.title == "\(inboxPerAccountMax)", "the newest kept, the oldest gone")
        #expect(lee.mute?.reason == "insults" && lee.ban == nil && lee.blocked == ["kim"] && lee.ethicsVersions == ["2026-1"], "\(lee)")
    }

    /// A group with one bad write (a visit id used twice) is tried again write by write: only
    /// that one fails, as on SQLite.
    @Test func aBadWriteInAGroupLosesOnlyItself() throws {
        let store = try PostgresStore(location: try scratch().database(), access: .server)
        let run = try store.beginRun(serverVersion: "test", nowMillis: 1_000)
        let problems = ProblemLog()
        let writer = StoreWriter(backend: store, origin: run.runID, onCompleted: {}, onProblem: { problems.append($0) })
        let visit = opening(run.nextVisitID, run: run.runID, at: 2_000)
        #expect(writer.submit(.visitOpened(visit), ticket: 1) && writer.submit(.visitOpened(visit), ticket: 2))
        #expect(writer.submit(.bugReport(report(run: run.runID, text: "after the bad one", at: 2_100)), ticket: 3))
        let answers = completions(writer, count: 3).sorted { $0.ticket < $1.ticket }
        #expect(answers.map { (try? $0.result.get()) != nil } == [true, false, true])
        #expect(problems.lines.contains { $0.contains("visit-opened write failed and is lost") && $0.contains("duplicate key") }, "\(problems.lines)")
        #expect(writer.stop())
        #expect(try store.reportIDs().bugReports.count == 1)
    }

    @Test func twoServersOnOneDatabaseTakeTheirOwnVisitIdsAndLeaveEachOthersRunAlone() throws {
        let location = try scratch().database()
        let first = try PostgresStore(location: location, access: .server), second = try PostgresStore(location: location, access: .server)
        let now: Int64 = 1_700_000_000_000
        let a = try first.beginRun(serverVersion: "test", nowMillis: now)
        let b = try second.beginRun(serverVersion: "test", nowMillis: now + 1_000)
        #expect(b.crashedRuns == 0, "the first server beats: its run is not crashed")
        #expect(a.runID != b.runID && a.nextVisitID >> PostgresStore.visitBlockBits != b.nextVisitID >> PostgresStore.visitBlockBits)
        // Both write visits at once: no id collides.
        let writers = [(first, a), (second, b)].map { store, run in
            StoreWriter(backend: store, origin: run.runID, onCompleted: {}, onProblem: { Issue.record("unexpected problem: \($0)") })
        }
        for i in 0..<500 {
            for (writer, run) in zip(writers, [a, b]) {
                #expect(writer.submit(.visitOpened(opening(run.nextVisitID + Int64(i), run: run.runID, session: UInt64(i), at: now + Int64(i)))))
            }
        }
        for w in writers { #expect(w.stop()) }
        #expect(writers.allSatisfy { $0.figures().failed == 0 })
        #expect(try first.rowCounts().first { $0.table == "visits" }?.rows == 1_000)
        // A third server starting after a minute's silence from the first takes its run as crashed.
        _ = try first.transaction([.heartbeat(runID: b.runID, atMillis: now + 120_000)], origin: nil)
        let c = try PostgresStore(location: location, access: .server).beginRun(serverVersion: "test", nowMillis: now + 130_000)
        #expect(c.crashedRuns == 1 && c.visitsClosedAfterCrash == 500, "\(c)")
    }

    /// A node of a cluster closes what a failed node left open (`closeCrashedRuns`), without
    /// waiting for a server to start: only runs silent for a minute, their open visits ending at
    /// the last heartbeat as `crash`; a run still beating is left alone, and a second pass finds
    /// nothing.
    @Test func aRunningNodeClosesTheRunsOfNodesThatStoppedBeating() throws {
        let location = try scratch().database()
        let store = try PostgresStore(location: location, access: .server)
        let now: Int64 = 1_700_000_000_000
        let failed = try store.beginRun(serverVersion: "test", nowMillis: now)
        let alive = try PostgresStore(location: location, access: .server).beginRun(serverVersion: "test", nowMillis: now)
        _ = try store.transaction([.visitOpened(opening(failed.nextVisitID, run: failed.runID, at: now + 1_000)),
                                   .visitOpened(opening(failed.nextVisitID + 1, run: failed.runID, session: 2, at: now + 2_000)),
                                   .visitOpened(opening(alive.nextVisitID, run: alive.runID, session: 3, at: now + 1_000)),
                                   .heartbeat(runID: failed.runID, atMillis: now + 5_000),
                                   .heartbeat(runID: alive.runID, atMillis: now + 65_000)], origin: nil)
        #expect(try store.closeCrashedRuns(nowMillis: now + 50_000) == (0, 0), "silent for 45 s only")
        let closed = try store.closeCrashedRuns(nowMillis: now + 70_000)
        #expect(closed == (1, 2), "\(closed)")
        #expect(try store.closeCrashedRuns(nowMillis: now + 70_000) == (0, 0))
        let visits = try StoredVisits.read(location)
        #expect(visits.filter { $0.run == failed.runID }.allSatisfy { $0.reason == "crash" && $0.leftAt == now + 5_000 }, "\(visits)")
        #expect(visits.filter { $0.run == alive.runID }.allSatisfy { $0.reason == nil }, "\(visits)")
    }

    /// The server goes down under the writer: what was submitted waits (nothing acknowledged),
    /// the writer says so once, and everything is stored and acknowledged once it is back.
    @Test func theWriterKeepsItsWritesWhileTheServerIsDownAndAcknowledgesOnlyAfterTheCommit() throws {
        let pg = try PostgresScratch() // its own: the shared cluster serves the tests beside this one
        defer { pg.stop() }
        let store = try PostgresStore(location: try pg.database(), access: .server)
        let run = try store.beginRun(serverVersion: "test", nowMillis: 1_000)
        let problems = ProblemLog()
        let writer = StoreWriter(backend: store, queueMax: 64, origin: run.runID, onCompleted: {}, onProblem: { problems.append($0) })
        #expect(writer.submit(.bugReport(report(run: run.runID, text: "before", at: 2_000)), ticket: 1))
        #expect(completions(writer, count: 1).first.map { (try? $0.result.get()) == .id(1) } == true)
        try pg.down()
        defer { try? pg.up() }
        for i in 2...20 { #expect(writer.submit(.bugReport(report(run: run.runID, text: "during \(i)", at: 3_000)), ticket: UInt64(i))) }
        Thread.sleep(forTimeInterval: 1.5)
        var early: [StoreWriter.Completion] = []
        writer.takeCompleted(into: &early)
        #expect(early.isEmpty, "nothing is acknowledged while the server is down")
        #expect(writer.figures().unavailable && writer.figures().unavailablePeriods == 1)
        // The queue keeps its bound meanwhile.
        var refused = 0
        for i in 21...100 where !writer.submit(.bugReport(report(run: run.runID, text: "flood \(i)", at: 3_000)), ticket: UInt64(i)) { refused += 1 }
        #expect(refused > 0 && writer.figures().queueDepth <= 64)
        // A read meanwhile is answered at once, with a failure, not kept waiting behind the writes.
        #expect(writer.submit(read: .standing(accountID: "kim", nowMillis: 3_000), ticket: 500))
        let refusedRead = completions(writer, count: 1, seconds: 2)
        #expect(refusedRead.map(\.ticket) == [500])
        if case .failure(let error) = refusedRead.first?.result {
            #expect(error.description.contains("cannot be stored"), "\(error)")
        } else {
            Issue.record("the read while the server is down fails: \(refusedRead)")
        }
        try pg.up()
        let answers = completions(writer, count: 99 - refused)
        #expect(answers.count == 99 - refused && answers.allSatisfy { (try? $0.result.get()) != nil })
        #expect(!writer.figures().unavailable)
        #expect(problems.lines.contains { $0.contains("cannot be reached") } && problems.lines.contains { $0.contains("reachable again") })
        #expect(writer.stop())
        #expect(try store.reportIDs().bugReports.count == 100 - refused)
    }
}

final class ProblemLog: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    func append(_ line: String) { lock.withLock { stored.append(line) } }
    var lines: [String] { lock.withLock { stored } }
}

/// One write of every kind, in an order that exercises their rules (an account seen twice, a
/// visit closed before it opened, sanctions lifted twice, blocks repeated, a report resolved
/// twice, the filter's count kept at its latest), under `run`, with visits from `visit`.
func everyKindOfWrite(run: Int64, visit: Int64) -> [StoreWrite] {
    let day: Int64 = 86_400_000
    var writes: [StoreWrite] = [
        .accountSeen(accountID: "kim", displayName: "Kim", roles: 1, atMillis: 2_000),
        .accountSeen(accountID: "kim", displayName: "Kim J.", roles: 3, atMillis: 1_500),
        .accountSeen(accountID: "lee", displayName: "Lee", roles: 1, atMillis: 2_000),
        .visitOpened(opening(visit, run: run, account: "kim", at: 2_000)),
        .visitClosed(visitID: visit, leftAtMillis: 1_900, reason: .travel), // a clock stepped back: left at entry
        .visitOpened(opening(visit + 1, run: run, session: UInt64.max, at: 3_000)),
        .serviceEvent(ServiceEvent(service: "tax-counselling", kind: "joined", accountID: "kim", atMillis: 3_000, outcome: "law")),
        .serviceEvent(ServiceEvent(service: "room", kind: "opened", accountID: nil, atMillis: 3_100, durationMillis: 0)),
        .bugReport(report(run: run, text: "the gate sticks", at: 3_200)),
        .sanction(Sanction(accountID: "lee", kind: .mute, startsAtMillis: 4_000, endsAtMillis: 64_000, reason: "insults", actor: "staff:kim")),
        .sanction(Sanction(accountID: "lee", kind: .ban, startsAtMillis: 4_000, endsAtMillis: nil, reason: "threats", actor: "staff:kim")),
        .sanction(Sanction(accountID: "lee", kind: .ban, startsAtMillis: 4_000, endsAtMillis: 9_000, reason: "spam", actor: "staff:kim")),
        .block(blocker: "lee", blocked: "kim", atMillis: 4_100),
        .block(blocker: "lee", blocked: "kim", atMillis: 4_200),
        .block(blocker: "lee", blocked: "park", atMillis: 4_300),
        .liftSanctions(accountID: "lee", kind: .ban, atMillis: 6_000, actor: "admin:http", reason: "appeal"),
        .liftSanctions(accountID: "lee", kind: .ban, atMillis: 6_001, actor: "admin:http", reason: "again"),
        .unblock(blocker: "lee", blocked: "park"),
        .userReport(UserReport(reporterAccount: "kim", reporterSession: 12, reportedAccount: "lee", reportedName: "Lee", reportedEntity: 40,
                                   reason: .harassment, description: "follows me", spaceID: "seoul-plaza", tick: 77, recordingFile: nil,
                                   recordingTick: nil, evidenceJSON: "{\"chat\":[]}", createdAtMillis: 7_100)),
        .resolveReport(reportID: 1, actor: "staff:kim", resolution: "warned", atMillis: 8_000),
        .resolveReport(reportID: 1, actor: "staff:kim", resolution: "twice", atMillis: 8_001),
        .audit(AuditEntry(atMillis: 8_100, actor: "staff:kim", action: .warn, targetAccount: "lee", reason: "language")),
        .filterHit(accountID: "lee", atMillis: 8_200),
        .filterHit(accountID: "lee", atMillis: 8_100),
        // A notice that ended long ago (pruned with its read) and one that shows for a year
        // (kept, withdrawn once: the second withdrawal changes nothing).
        .notice(NoticeRecord(titleKo: "점검", titleEn: nil, bodyKo: nil, bodyEn: "Maintenance.", category: "maintenance", startsAtMillis: 8_300,
                             endsAtMillis: 8_400, targetSpaces: ["tax-square"], pinned: false, author: "editor:park", createdAtMillis: 8_300)),
        .notice(NoticeRecord(titleKo: "제야의 종", titleEn: "The New Year bell", bodyKo: "자정에 타종합니다.", bodyEn: nil, category: "event",
                             startsAtMillis: 8_300, endsAtMillis: 400 * day, targetSpaces: [], pinned: true, author: "editor:park", createdAtMillis: 8_300)),
        .noticesRead(accountID: "kim", ids: [1, 2, 2, 99], atMillis: 8_500),
        .withdrawNotice(id: 2, by: "editor:lee", atMillis: 8_600),
        .withdrawNotice(id: 2, by: "editor:kim", atMillis: 8_700),
        // Suggestions: kim files four in a day whose limit is three (the fourth is refused by
        // the store), lee one; two staff take, answer and close them, each racing the other once;
        // every answer and closing reaches the citizen's inbox, and only those.
    ]
    writes += (0..<4).map { (i: Int64) -> StoreWrite in
        .fileSuggestion(SuggestionRecord(accountID: "kim", title: "벤치 \(i)", body: "More benches by the fountain.", category: "environment",
                                         spaceID: i == 0 ? "seoul-plaza" : nil, publicConsent: i == 0, filedAtMillis: 8_800 + i),
                        dayStartMillis: 0, perDay: 3)
    }
    writes += [
        .fileSuggestion(SuggestionRecord(accountID: "lee", title: "Buses", body: "Night buses to Gangnam.", category: "transport", spaceID: nil,
                                         publicConsent: false, filedAtMillis: 8_810), dayStartMillis: 0, perDay: 3),
        .takeSuggestion(id: 1, by: "staff:park", atMillis: 8_820),
        .takeSuggestion(id: 1, by: "staff:choi", atMillis: 8_821),
        .respondSuggestion(id: 1, state: "answered", text: "Six benches in March.", by: "staff:park", atMillis: 8_830, inbox: inboxMessage("kim", "S-1970-000001", 8_830)),
        .respondSuggestion(id: 1, state: "closed", text: "twice", by: "staff:park", atMillis: 8_831, inbox: inboxMessage("kim", "S-1970-000001", 8_831)),
        .respondSuggestion(id: 2, state: "closed", text: "The same as S-1970-000001.", by: "staff:choi", atMillis: 8_840, inbox: inboxMessage("kim", "S-1970-000002", 8_840)),
        .takeSuggestion(id: 3, by: "staff:park", atMillis: 8_850),
        .respondSuggestion(id: 3, state: "answered", text: "not mine", by: "staff:choi", atMillis: 8_851, inbox: inboxMessage("kim", "S-1970-000003", 8_851)),
        .respondSuggestion(id: 4, state: "answered", text: "From May.", by: "staff:choi", atMillis: 8_860, inbox: inboxMessage("lee", "S-1970-000004", 8_860)),
        .inbox(InboxRecord(accountID: "lee", kind: "operator", title: "Welcome", body: "The plaza reopens.", reference: nil, createdAtMillis: 8_870)),
        .inboxRead(accountID: "kim", ids: [1, 3, 99], atMillis: 8_880),
        // The ethics code accepted (twice by kim: one row) and a tutorial step done twice.
        .ethicsAccepted(accountID: "kim", version: "2026-1", atMillis: 8_890),
        .ethicsAccepted(accountID: "kim", version: "2026-1", atMillis: 8_891),
        .ethicsAccepted(accountID: "lee", version: "2026-1", atMillis: 8_892),
        .tutorialStep(accountID: "kim", step: "move", atMillis: 8_893),
        .tutorialStep(accountID: "kim", step: "move", atMillis: 8_894),
    ]
    writes += (0...inboxPerAccountMax).map { (i: Int) -> StoreWrite in
        .inbox(InboxRecord(accountID: "choi", kind: "operator", title: "\(i)", body: "a message", reference: nil, createdAtMillis: 8_900 + Int64(i)))
    }
    writes += [
        .heartbeat(runID: run, atMillis: 9_000),
        .prune(beforeMillis: 10 * day, rowsMax: 500),
        .runStopped(runID: run, atMillis: 9_500),
    ]
    return writes
}

func inboxMessage(_ account: String, _ reference: String, _ at: Int64) -> InboxRecord {
    InboxRecord(accountID: account, kind: "suggestion-answered", title: "Your suggestion", body: "See the answer.", reference: reference, createdAtMillis: at)
}

/// The visits of a PostgreSQL database as `data copy` reads them.
enum StoredVisits {
    struct Visit { var run: Int64; var reason: String?; var leftAt: Int64? }

    static func read(_ location: PostgresLocation) throws -> [Visit] {
        let store = try PostgresStore(location: location, access: .readOnly)
        var out: [Visit] = []
        try store.copyOut(chunkRows: 1_000) { shape, rows in
            guard shape.name == "visits" else { return }
            let index = Dictionary(uniqueKeysWithValues: shape.columns.enumerated().map { ($1.name, $0) })
            for row in rows {
                func int(_ c: String) -> Int64? { if case .integer(let v) = row[index[c]!] { return v }; return nil }
                func text(_ c: String) -> String? { if case .text(let v) = row[index[c]!] { return v }; return nil }
                out.append(Visit(run: int("run_id") ?? -1, reason: text("end_reason"), leftAt: int("left_at_ms")))
            }
        }
        return out
    }
}
