// `seoulworld data check|copy|generate`: the operator's look at the database, moving a city's
// records between SQLite and PostgreSQL, and synthetic usage history for measuring `stats`
// (never for a city's real database).

import ArgumentParser
import Transport
import Foundation
import Store
import WorldCore
import WorldServer

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Check the records database, copy it to another (SQLite and PostgreSQL), or fill a new one with synthetic visits for benchmarks.",
        subcommands: [Check.self, Copy.self, Generate.self]
    )

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Schema version, integrity check and row counts; exit 1 if the file is damaged.")

        @OptionGroup var records: RecordsOptions

        func run() throws {
            let location = try records.location()
            let store = try records.open(.readOnly, command: "data check")
            if case .file(let path) = location {
                let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
                print("database   \(path) (\(format(Double(size) / 1_048_576, decimals: 1)) MB)")
            } else {
                print("database   \(store.name)")
            }
            print("schema     \(try store.schemaVersion() ?? "none") (this binary: \(Schema.versions.last ?? "none"))")
            for (table, rows) in try store.rowCounts() { print("\(table.padding(toLength: 15, withPad: " ", startingAt: 0))\(rows) rows") }
            guard let file = store as? Store else {
                print("integrity  PostgreSQL checks its own pages; use pg_amcheck for a deeper look")
                return
            }
            let verdict = try file.integrityCheck()
            print("integrity  \(verdict.prefix(5).joined(separator: "; "))")
            if verdict != ["ok"] { throw ExitCode(1) }
        }
    }

    struct Copy: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy every record, with its ids, from one database to another (SQLite file to PostgreSQL, or back), then check counts and checksums.",
            discussion: """
                The source is read from one snapshot (a server may run on it, but what it writes after the copy begins is not copied: \
                stop it first when moving a city). The destination is created and migrated if needed, must be empty unless --replace \
                is given, and is written in one transaction. Exit 0 only when every table's count and checksum agree on both sides. \
                docs/DATA.md, "Moving a city".
                """)

        @Option(help: "The source: an SQLite file's path, or postgres://user@host/database.")
        var from: String

        @Option(help: "The destination: an SQLite file's path (created if missing), or postgres://user@host/database.")
        var to: String

        @Option(help: "With a PostgreSQL --from: a file whose first line is its password (else $PGPASSWORD).")
        var fromPasswordFile: String?

        @Option(help: "With a PostgreSQL --to: a file whose first line is its password (else $PGPASSWORD).")
        var toPasswordFile: String?

        @Flag(help: "Delete the destination's records first (in the same transaction as the copy) instead of refusing a non-empty destination.")
        var replace = false

        static func location(_ text: String, passwordFile: String?, option: String) throws -> StoreLocation {
            if PostgresLocation.isURL(text) { return .postgres(try postgresLocation(text, passwordFile: passwordFile)) }
            guard passwordFile == nil else { throw ValidationError("--\(option)-password-file goes with a postgres:// --\(option)") }
            return .file(text)
        }

        func run() throws {
            let source = try Self.location(from, passwordFile: fromPasswordFile, option: "from")
            let destination = try Self.location(to, passwordFile: toPasswordFile, option: "to")
            guard source != destination else { throw ValidationError("--from and --to name the same database") }
            if case .file(let path) = source, !FileManager.default.fileExists(atPath: path) {
                printError("seoulworld data copy: no SQLite database at \(path): check --from (nothing was written)")
                throw ExitCode(1)
            }
            let reader: any StoreCopying, writer: any StoreCopying
            do {
                reader = try source.open(.readOnly)
                switch destination {
                case .file(let path): writer = try Store(path: path, access: .server)
                case .postgres(let location): writer = try PostgresStore(location: location, access: .server)
                }
            } catch {
                printError("seoulworld data copy: \(error)")
                throw ExitCode(1)
            }
            let outcome: StoreCopy.Outcome
            do {
                outcome = try StoreCopy.copy(from: reader, to: writer, replacing: replace, nowMillis: Int64(Date().timeIntervalSince1970 * 1_000)) { line in
                    printError("  \(line)")
                }
            } catch {
                printError("seoulworld data copy: nothing was written: \(error)")
                throw ExitCode(1)
            }
            print("copied \(reader.name) -> \(writer.name) in \(format(outcome.copySeconds, decimals: 1)) s, checked in \(format(outcome.checkSeconds, decimals: 1)) s")
            print("table           rows        source checksum   destination checksum")
            for (a, b) in zip(outcome.source, outcome.destination) {
                let mark = a == b ? "" : "   DIFFERS"
                print("\(a.table.padding(toLength: 15, withPad: " ", startingAt: 0)) \(String(a.rows).padding(toLength: 11, withPad: " ", startingAt: 0)) \(a.checksum.prefix(16))  \(b.checksum.prefix(16))\(b.rows == a.rows ? "" : " (\(b.rows) rows)")\(mark)")
            }
            if outcome.openRuns > 0 {
                printError("seoulworld data copy: note: \(outcome.openRuns) server run\(outcome.openRuns == 1 ? " was" : "s were") open in the source (a server running, or one that crashed): what it wrote after the copy began is not in \(writer.name)")
            }
            guard outcome.agrees else {
                printError("seoulworld data copy: the destination does not match the source (tables marked DIFFERS): do not use it; report this with both databases kept")
                throw ExitCode(2)
            }
            print("every table's count and checksum agree")
        }
    }

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write synthetic finished visits into a new database: a day's rhythm, popular and quiet spaces, members and guests.")

        @Option(help: "The new database file (refused if it exists).")
        var data: String

        @Option(help: "How many visits.")
        var visits = 1_000_000

        @Option(help: "Over how many days, ending today.")
        var days = 365

        @Option(help: "Seed of the generator: the same seed gives the same rows.")
        var seed: UInt64 = 1

        func validate() throws {
            guard (1...50_000_000).contains(visits) else { throw ValidationError("--visits must be 1 to 50000000") }
            guard (1...3_650).contains(days) else { throw ValidationError("--days must be 1 to 3650") }
        }

        func run() throws {
            guard !FileManager.default.fileExists(atPath: data) else {
                throw ValidationError("\(data) exists; generate into a new file (synthetic rows never go into a real database)")
            }
            let started = Monotonic.nanoseconds()
            let store = try Store(path: data)
            let end = Int64(Date().timeIntervalSince1970 * 1_000)
            var generator = SyntheticVisits(seed: seed, startMillis: end - Int64(days) * 86_400_000, days: days)
            var done = 0
            while done < visits {
                let n = min(100_000, visits - done)
                try store.importVisits((0..<n).map { _ in generator.next() }, serverVersion: Server.version)
                done += n
            }
            let size = (try? FileManager.default.attributesOfItem(atPath: data)[.size] as? Int) ?? 0
            print("\(visits) visits over \(days) days written to \(data) in \(format(Double(Monotonic.nanoseconds() - started) / 1e9, decimals: 1)) s (\(format(Double(size) / 1_048_576, decimals: 1)) MB)")
        }
    }
}

/// Seeded synthetic visits: spaces weighted by popularity, entry times following a day's
/// rhythm (quiet at night, busiest in the evening), lengths from seconds to hours with a
/// median of a few minutes, seven in ten by members of a pool of 50,000 accounts.
struct SyntheticVisits {
    static let spaces = [("seoul-plaza", 30), ("city-hall", 20), ("gwanghwamun-square", 10), ("gyeongbokgung", 8), ("n-seoul-tower", 8),
                         ("lotte-world-tower", 6), ("deoksugung", 5), ("dongdaemun-design-plaza", 4), ("hangang-park", 4),
                         ("bukchon-hanok-village", 2), ("seoul-forest", 2), ("cheong-wa-dae", 1)]
    /// Relative entries per hour of the day, local time (Asia/Seoul, UTC+9).
    static let hourWeights = [2, 1, 1, 1, 1, 1, 2, 3, 5, 6, 7, 8, 9, 8, 8, 8, 9, 10, 12, 14, 14, 12, 8, 4]
    var random: WorldRandom
    let startMillis: Int64
    let days: Int
    var session: UInt64 = 0

    init(seed: UInt64, startMillis: Int64, days: Int) {
        random = WorldRandom(seed: seed)
        self.startMillis = startMillis
        self.days = days
    }

    mutating func pick(_ weights: [Int]) -> Int {
        var r = Int(random.next() % UInt64(weights.reduce(0, +)))
        for (i, w) in weights.enumerated() {
            if r < w { return i }
            r -= w
        }
        return weights.count - 1
    }

    mutating func next() -> FinishedVisit {
        session += 1
        let day = Int64(random.next() % UInt64(days))
        let hour = Int64(pick(Self.hourWeights))
        // Local hour to UTC: Seoul is UTC+9 all year.
        let entered = startMillis - startMillis % 86_400_000 + day * 86_400_000 + ((hour - 9 + 24) % 24) * 3_600_000
            + Int64(random.next() % 3_600_000)
        // Length: 2^(u * 13) seconds for u uniform in [0, 1), times a uniform factor: 1 s to about 4 h, median of minutes.
        let u = Double(random.next() % 1_000_000) / 1_000_000
        let seconds = pow(2, u * 13) * (0.5 + Double(random.next() % 1_000) / 1_000)
        let member = random.next() % 10 < 7
        let space = Self.spaces[pick(Self.spaces.map(\.1))].0
        let opening = VisitOpening(visitID: 0, runID: 0, sessionID: session, accountID: member ? "citizen-\(random.next() % 50_000)" : nil,
                                   role: member ? 1 : 0, spaceID: space, enteredAtMillis: entered)
        let reasons: [Schema.EndReason] = [.leave, .travel, .travel, .disconnect]
        return FinishedVisit(opening: opening, leftAtMillis: entered + Int64(seconds * 1_000), reason: reasons[Int(random.next() % 4)])
    }
}
