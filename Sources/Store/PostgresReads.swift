// The operators' reads (Reading.swift) in PostgreSQL's words: the same rows, in the same
// order, as the SQLite file gives (the tests compare both). Each read is one transaction at
// REPEATABLE READ, READ ONLY: every statement of it sees the same snapshot, as SQLite's
// `pool.read` does. Large reads (the visits of a report) come row by row from the
// connection into decoded values, never as a whole result of raw rows held at once.

import Foundation
import NIOConcurrencyHelpers
import PostgresNIO

extension PostgresStore: StoreReading {
    static let snapshot: PostgresQuery = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"

    public func stats(_ request: StatsRequest) throws -> StatsReport {
        let started = DispatchTime.now().uptimeNanoseconds
        let (visits, events) = try inTransaction("reading the usage of \(name)", begin: Self.snapshot) { c in
            var visits: [VisitInterval] = []
            for (condition, bounds) in UsageStats.visitRanges(request) {
                // The same conditions as SQLite's, with $n for its ?.
                var n = 0
                let numbered = condition.split(separator: "?", omittingEmptySubsequences: false).enumerated().map { i, part in
                    i == 0 ? String(part) : { n += 1; return "$\(n)" + part }()
                }.joined()
                var binds = PostgresBindings()
                for b in bounds { binds.append(b) }
                var space = ""
                if let id = request.spaceID {
                    binds.append(id)
                    // A space's overflow instances (`space#n`, docs/CLUSTER.md) count as the space.
                    space = " AND (space_id = $\(n + 1) OR substr(space_id, 1, length($\(n + 1)) + 1) = $\(n + 1) || '#')"
                }
                let query = PostgresQuery(unsafeSQL: "SELECT space_id, account_id, entered_at_ms, left_at_ms FROM visits WHERE " + numbered + space, binds: binds)
                visits += try rows(c, query) { row in
                    let (space, account, entered, left) = try row.decode((String, String?, Int64, Int64?).self)
                    return VisitInterval(space: SpaceInstanceKey(parsing: space).space, account: account, enteredMillis: entered, leftMillis: left)
                }
            }
            let events = try rows(c, """
                SELECT service, kind, at_ms, duration_ms, outcome FROM service_events WHERE at_ms >= \(request.fromMillis) AND at_ms < \(request.toMillis)
                """) { row in
                let (service, kind, at, duration, outcome) = try row.decode((String, String, Int64, Int64?, String?).self)
                return UsageStats.EventRow(service: service, kind: kind, atMillis: at, durationMillis: duration, outcome: outcome)
            }
            return (visits, events)
        }
        return StatsReport.assemble(visits: visits, events: events, request: request, readNanoseconds: DispatchTime.now().uptimeNanoseconds - started)
    }

    public func userReports(includeResolved: Bool, limit: Int) throws -> [UserReport] {
        try inTransaction("reading the reports of \(name)", begin: Self.snapshot) { c in
            let filter = includeResolved ? "" : "WHERE resolved_at_ms IS NULL"
            return try rows(c, "SELECT \(unescaped: Self.userReportColumns) FROM user_reports \(unescaped: filter) ORDER BY created_at_ms DESC, id DESC LIMIT \(limit)",
                            Self.userReport)
        }
    }

    public func userReport(id: Int64) throws -> UserReport? {
        try inTransaction("reading report \(id) of \(name)", begin: Self.snapshot) { c in
            try rows(c, "SELECT \(unescaped: Self.userReportColumns) FROM user_reports WHERE id = \(id)", Self.userReport).first
        }
    }

    public func auditEntries(account: String?, limit: Int) throws -> [AuditEntry] {
        try inTransaction("reading the audit trail of \(name)", begin: Self.snapshot) { c in
            if let account {
                return try audit(c, """
                    SELECT \(unescaped: Self.auditColumns) FROM audit_log WHERE target_account = \(account) OR actor = \(account) ORDER BY id DESC LIMIT \(limit)
                    """).wait()
            }
            return try audit(c, "SELECT \(unescaped: Self.auditColumns) FROM audit_log ORDER BY id DESC LIMIT \(limit)").wait()
        }
    }

    public func filteredCount(of account: String) throws -> Int {
        try inTransaction("reading the filter's count of \(name)", begin: Self.snapshot) { c in
            Int(try run(c, "SELECT filtered FROM filter_counts WHERE account_id = \(account)").rows.first?.decode(Int64.self) ?? 0)
        }
    }

    @discardableResult
    public func perform(_ write: StoreWrite) throws -> StoreOutcome {
        try transaction([write], origin: nil)[0]
    }

    /// The rows of `query`, each decoded by `decode` as it arrives.
    func rows<T: Sendable>(_ c: PostgresConnection, _ query: PostgresQuery, _ decode: @escaping @Sendable (PostgresRow) throws -> T) throws -> [T] {
        let out = NIOLockedValueBox<[T]>([])
        _ = try c.query(query, logger: logger) { row in
            let value = try decode(row)
            out.withLockedValue { $0.append(value) }
        }.wait()
        return out.withLockedValue { $0 }
    }

    static let userReportColumns = """
        id, reporter_account, reporter_session, reported_account, reported_name, reported_entity, reason, description, space_id, tick,
        recording_file, recording_tick, evidence, created_at_ms, resolved_at_ms, resolved_by, resolution
        """

    @Sendable
    static func userReport(_ row: PostgresRow) throws -> UserReport {
        let (id, reporter, session, reported, reportedName, entity, reason, description, space, tick,
             recordingFile, recordingTick, evidence, created, resolvedAt, resolvedBy, resolution) =
            try row.decode((Int64, String?, Int64, String?, String, Int64?, String, String, String?, Int64?,
                            String?, Int64?, String, Int64, Int64?, String?, String?).self)
        var r = UserReport(reporterAccount: reporter, reporterSession: UInt64(bitPattern: session), reportedAccount: reported, reportedName: reportedName,
                           reportedEntity: entity.map { UInt32(truncatingIfNeeded: $0) }, reason: Schema.ReportReason(rawValue: reason) ?? .other,
                           description: description, spaceID: space, tick: tick, recordingFile: recordingFile, recordingTick: recordingTick,
                           evidenceJSON: evidence, createdAtMillis: created)
        r.id = id
        r.resolvedAtMillis = resolvedAt
        r.resolvedBy = resolvedBy
        r.resolution = resolution
        return r
    }
}

// MARK: Copying (Copy.swift)

extension PostgresStore: StoreCopying {
    public func copyOut(chunkRows: Int, _ each: (TableShape, [[StoreValue]]) throws -> Void) throws {
        try inTransaction("reading every row of \(name)", begin: Self.snapshot) { c in
            for shape in TableShape.all {
                // Text keys in byte order, as SQLite's BINARY collation orders them.
                let order = shape.key.map { key in shape.columns.first { $0.name == key }?.kind == .text ? "\(key) COLLATE \"C\"" : key }
                try run(c, PostgresQuery(unsafeSQL: "DECLARE copy_out NO SCROLL CURSOR FOR SELECT \(shape.columnList) FROM \(shape.name) ORDER BY \(order.joined(separator: ", "))"))
                while true {
                    let rows = try run(c, PostgresQuery(unsafeSQL: "FETCH \(chunkRows) FROM copy_out")).rows
                    var chunk: [[StoreValue]] = []
                    chunk.reserveCapacity(chunkRows)
                    for row in rows { chunk.append(try Self.values(row, shape)) }
                    if chunk.isEmpty { break }
                    try each(shape, chunk)
                }
                try run(c, "CLOSE copy_out")
            }
        }
    }

    static func values(_ row: PostgresRow, _ shape: TableShape) throws -> [StoreValue] {
        var out: [StoreValue] = []
        out.reserveCapacity(shape.columns.count)
        for (cell, column) in zip(row, shape.columns) {
            switch column.kind {
            case .integer: out.append(try cell.decode(Int64?.self).map(StoreValue.integer) ?? .null)
            case .text: out.append(try cell.decode(String?.self).map(StoreValue.text) ?? .null)
            }
        }
        return out
    }

    public func copyIn(replacing: Bool, _ fill: ((TableShape, [[StoreValue]]) throws -> Void) throws -> Void) throws {
        try inTransaction("copying into \(name)") { c in
            if replacing {
                try run(c, PostgresQuery(unsafeSQL: "TRUNCATE \(TableShape.all.map(\.name).joined(separator: ", "))"))
            }
            try fill { shape, rows in
                // At most 60,000 values a statement (PostgreSQL takes 65,535).
                let perStatement = max(1, 60_000 / shape.columns.count)
                var start = 0
                while start < rows.count {
                    let part = rows[start..<min(rows.count, start + perStatement)]
                    var binds = PostgresBindings(capacity: part.count * shape.columns.count)
                    var tuples: [String] = []
                    tuples.reserveCapacity(part.count)
                    for row in part {
                        let first = binds.count
                        for value in row {
                            switch value {
                            case .null: binds.appendNull()
                            case .integer(let n): binds.append(n)
                            case .text(let s): binds.append(s)
                            }
                        }
                        tuples.append("(" + (first + 1...binds.count).map { "$\($0)" }.joined(separator: ", ") + ")")
                    }
                    try run(c, PostgresQuery(unsafeSQL: "INSERT INTO \(shape.name) (\(shape.columnList)) VALUES " + tuples.joined(separator: ", "), binds: binds))
                    start += part.count
                }
            }
            // The identity sequences, and the visit id blocks, past every id written (never back).
            for shape in TableShape.all where shape.allocatesIDs {
                let (largest, last) = try run(c, PostgresQuery(unsafeSQL: """
                    SELECT (SELECT max(id) FROM \(shape.name)), pg_sequence_last_value(pg_get_serial_sequence('\(shape.name)', 'id')::regclass)
                    """)).rows.first!.decode((Int64?, Int64?).self)
                if let largest, largest > (last ?? 0) {
                    try run(c, PostgresQuery(unsafeSQL: "SELECT setval(pg_get_serial_sequence('\(shape.name)', 'id'), \(largest))"))
                }
            }
            let (block, lastBlock) = try run(c, "SELECT (SELECT max(id) >> \(unescaped: String(Self.visitBlockBits)) FROM visits), pg_sequence_last_value('visit_id_blocks')")
                .rows.first!.decode((Int64?, Int64?).self)
            if let block, block >= 1, block > (lastBlock ?? 0) {
                try run(c, "SELECT setval('visit_id_blocks', \(block))")
            }
        }
    }

    public func liveRuns(nowMillis: Int64) throws -> Int {
        try inTransaction("reading the runs of \(name)", begin: Self.snapshot) { c in
            Int(try run(c, """
                SELECT count(*) FROM server_runs WHERE stopped_at_ms IS NULL AND heartbeat_at_ms >= \(nowMillis - Self.crashedAfterMillis)
                """).rows.first!.decode(Int64.self))
        }
    }
}
