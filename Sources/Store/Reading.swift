// What the operators' tools read and do beside a running server (`seoulworld stats`,
// `seoulworld moderation`, `data check`, the admin page's reports and statistics), over either
// backend: the SQLite file (`Store`) or a PostgreSQL database (`PostgresStore`). The server
// itself reads through its writer thread (`StoreRead`, in the writer's order), not here.
//
// Every method answers from one snapshot of the database, and throws a `StoreError` (or
// `StoreUnavailable`) worded for the operator. A reader may be called from any thread, one
// call at a time per reader or concurrently (both backends serialise what needs it).

import Foundation

/// Where the records are: the file the tools and the server default to, or a PostgreSQL database.
public enum StoreLocation: Sendable, Equatable, CustomStringConvertible {
    case file(String)
    case postgres(PostgresLocation)

    /// The file's path or the URL without a password.
    public var description: String {
        switch self {
        case .file(let path): path
        case .postgres(let location): location.description
        }
    }

    /// Opens the records for a tool: `.readOnly` for reports, `.operatorTool` for an operator's
    /// small writes beside a running server (neither migrates nor takes the server's lock).
    public func open(_ access: Store.Access) throws -> any StoreCopying {
        switch self {
        case .file(let path): try Store(path: path, access: access)
        case .postgres(let location): try PostgresStore(location: location, access: access)
        }
    }
}

public protocol StoreReading: AnyObject, Sendable {
    /// The file's path or the URL without a password.
    var name: String { get }
    /// The last migration applied.
    func schemaVersion() throws -> String?
    /// Rows in every table (`Store.tables`, in that order).
    func rowCounts() throws -> [(table: String, rows: Int)]
    /// The usage report (Stats.swift).
    func stats(_ request: StatsRequest) throws -> StatsReport
    /// Reports, newest first: open ones only unless `includeResolved`.
    func userReports(includeResolved: Bool, limit: Int) throws -> [UserReport]
    func userReport(id: Int64) throws -> UserReport?
    /// The audit trail, newest first; only rows about or by `account` when given.
    func auditEntries(account: String?, limit: Int) throws -> [AuditEntry]
    func standing(of account: String, nowMillis: Int64) throws -> AccountStanding
    /// How many of an account's messages the filter masked.
    func filteredCount(of account: String) throws -> Int
    /// Applies one write now, in its own transaction (an operator's ban, a resolution).
    @discardableResult
    func perform(_ write: StoreWrite) throws -> StoreOutcome
}

extension Store: StoreReading {}

extension StatsReport {
    /// The report from the rows a backend read (`readNanoseconds` spent reading them).
    static func assemble(visits: [VisitInterval], events: [UsageStats.EventRow], request: StatsRequest, readNanoseconds: UInt64) -> StatsReport {
        let computing = DispatchTime.now().uptimeNanoseconds
        let (rows, presence) = UsageStats.compute(visits: visits, request: request)
        let fromOffset = Int64(request.timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(request.fromMillis) / 1_000))) * 1_000
        let toOffset = Int64(request.timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(request.toMillis) / 1_000))) * 1_000
        var report = StatsReport(from: UsageStats.localDateTime(request.fromMillis, offset: fromOffset),
                                 to: UsageStats.localDateTime(request.toMillis, offset: toOffset),
                                 lastDay: UsageStats.localDate(request.toMillis - 1, offset: toOffset),
                                 timeZone: request.timeZone.identifier, period: request.period, spaces: rows,
                                 services: UsageStats.computeServices(events: events, request: request), presenceByHour: presence,
                                 rowsRead: visits.count + events.count, readSeconds: Double(readNanoseconds) / 1e9)
        report.desks = UsageStats.computeDesks(events: events, request: request)
        report.computeSeconds = Double(DispatchTime.now().uptimeNanoseconds - computing) / 1e9
        return report
    }
}
