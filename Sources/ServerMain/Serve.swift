// `seoulworld serve`: host every public space of the world files over TCP and UDP.

import Admin
import ArgumentParser
import Foundation
import Logging
import Recording
import ServiceFiles
import Services
import WorldFiles
import Store
import WorldServer

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the server: every public space, over TCP (control) and UDP (realtime) on one port.")

    @Option(help: "Address to listen on (numeric IPv4 or IPv6). Loopback by default; a public address only on purpose.")
    var host = "127.0.0.1"

    @Option(help: "Port for both TCP and UDP.")
    var port: UInt16 = 7777

    @Option(help: "The directory of world files (default: ./worlds, or the checkout's worlds/).")
    var worlds: String?

    @Option(help: "Ticks per second (1 to 120).")
    var tickRate = 20

    @Option(help: "Threads that build the clients' snapshots after each step, each a fixed share of them (1 to 64; default: the cores less one, at least one).")
    var workers: Int?

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    @Option(help: "Write the run's figures (tick percentiles, CPU seconds, client-ticks) to this JSON file on shutdown.")
    var statsFile: String?

    @Option(help: "File holding the member-token secret as hex (at least 64 hex digits). Default: $SEOULWORLD_TOKEN_SECRET, else a new secret for this run.")
    var tokenSecretFile: String?

    @Option(help: "Record every space's session into this directory (created if missing); see docs/RECORDING.md and `seoulworld replay`.")
    var record: String?

    @Option(help: "With --record: seconds between keyframes, where a replay can start (1 to 3600).")
    var recordKeyframeSeconds = 30

    @Option(help: "With --record: start a new file (the next part) past this many megabytes (1 to 65536)...")
    var recordFileMegabytes = 256

    @Option(help: "...or after this many minutes (1 to 1440).")
    var recordFileMinutes = 60

    @Option(help: "The SQLite database of the city's records (docs/DATA.md), created on first start. Default: data/seoulworld.sqlite beside the worlds directory.")
    var data: String?

    @Option(help: "Keep the city's records in PostgreSQL instead: postgres://user@host:5432/database, or postgres://user@/database?host=/socket/directory (docs/DATA.md, \"PostgreSQL\"). No password in the URL: see --store-password-file.")
    var store: String?

    @Option(help: "With --store: a file whose first line is the PostgreSQL password (else $PGPASSWORD, else none).")
    var storePasswordFile: String?

    @Option(help: "Delete usage rows (visits, service events, bug reports) older than this many days (1 to 36500).")
    var keepDays = 400

    @Option(help: "The folder of the service desks (holidays.json, desks/*.json; services/schema.json). Default: services/ beside the worlds directory.")
    var services: String?

    @Flag(help: "Serve no service desks (for a set of world files without the service spaces).")
    var noDesks = false

    @Flag(help: "Serve no Tax Square calculator or FAQ (for a set of world files without Tax Square).")
    var noTaxSquare = false

    @Option(help: "The folder of the Angel Guide and the ethics code (ethics.json, tutorial.json). Default: guide/ beside the worlds directory.")
    var guide: String?

    @Flag(help: "Serve no guide, and ask no member to accept an ethics code (for a set of world files without guide/).")
    var noGuide = false

    @Option(help: "Suggestions one account may file with the mayor's office in a day, Seoul time (1 to 100).")
    var suggestionsPerDay = 3

    @Option(help: "For rehearsals and load tests: the desks' opening hours run on a clock that starts at this Seoul time (\"2026-11-23 10:00\") and then advances in real time. Everything else keeps the real clock.")
    var deskClockStart: String?

    @Option(help: "The folder of the chat filter's word lists (profanity-*.txt, allow.txt; docs/POLICY.md). Default: policy/ beside the worlds directory.")
    var policy: String?

    @Option(help: "Address of the admin side (metrics, health, the admin API and the live map). Loopback by default; beyond it, --admin-token-file is required.")
    var adminHost = "127.0.0.1"

    @Option(help: "Port of the admin side's HTTP listener (0: any free port).")
    var adminPort = 7780

    @Option(help: "File holding the operator token (at least 16 characters) that the admin API's changes need: notices, kicks, mutes, bans, resolving reports.")
    var adminTokenFile: String?

    @Option(help: "The folder of the admin page's files. Default: admin/ beside the worlds directory.")
    var adminStatic: String?

    @Flag(help: "Run without the admin side (no HTTP listener).")
    var noAdmin = false

    @Option(help: "For the soak (scripts/soak.sh): write what each client is believed to hold, every 20th tick, to this file, to compare with the bots' --view-digests.")
    var viewDigests: String?

    @Option(help: "Join a cluster as this node (docs/CLUSTER.md): a name unique in the cluster (letters, digits, '-', at most 64). Needs --store postgres://... (the directory lives there) and --cluster-secret-file.")
    var node: String?

    @Option(help: "With --node: file holding the cluster's secret as hex (at least 64 hex digits), the same on every node; it signs the hand-over tickets.")
    var clusterSecretFile: String?

    @Option(help: "With --node: the host clients are told to connect to for this node (default: --host). The port is --port.")
    var advertise: String?

    @Option(help: "With --node: spaces this node hosts first, comma-separated (the others go to the least-loaded node).")
    var prefer: String?

    @Option(help: "With --node: seconds a space's lease lasts unrenewed (2 to 60); a failed node's spaces are claimed after it.")
    var leaseSeconds = 5

    func validate() throws {
        if let workers, !SnapshotWork.workersRange.contains(workers) {
            throw ValidationError("--workers must be 1 to 64, got \(workers)")
        }
        guard (0...65_535).contains(adminPort) else { throw ValidationError("--admin-port must be 0 to 65535, got \(adminPort)") }
        guard (1...3_600).contains(recordKeyframeSeconds) else { throw ValidationError("--record-keyframe-seconds must be 1 to 3600, got \(recordKeyframeSeconds)") }
        guard (1...65_536).contains(recordFileMegabytes) else { throw ValidationError("--record-file-megabytes must be 1 to 65536, got \(recordFileMegabytes)") }
        guard (1...1_440).contains(recordFileMinutes) else { throw ValidationError("--record-file-minutes must be 1 to 1440, got \(recordFileMinutes)") }
        guard (1...36_500).contains(keepDays) else { throw ValidationError("--keep-days must be 1 to 36500, got \(keepDays)") }
        guard (1...120).contains(tickRate) else { throw ValidationError("--tick-rate must be 1 to 120, got \(tickRate)") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical; got '\(logLevel)'") }
    }

    func run() throws {
        let level = Logger.Level(rawValue: logLevel)!
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "seoulworld")
        let catalog = try loadCatalog(worlds)
        let (secret, source) = try TokenSecret.load(file: tokenSecretFile)
        if source == .generated {
            logger.warning("no token secret given (--token-secret-file or SEOULWORLD_TOKEN_SECRET): member tokens from an earlier run or another server will not verify")
        }
        var configuration = ServerConfiguration(tokenSecret: secret)
        configuration.host = host
        configuration.port = port
        configuration.tickRateHertz = tickRate
        configuration.snapshotWorkers = workers ?? max(1, min(ProcessInfo.processInfo.activeProcessorCount - 1, SnapshotWork.workersRange.upperBound))
        configuration.statsFile = statsFile
        configuration.viewDigestsPath = viewDigests
        if let record {
            var settings = RecorderSettings(directory: record, serverVersion: Server.version)
            settings.keyframeIntervalTicks = recordKeyframeSeconds * tickRate
            settings.fileBytesMax = recordFileMegabytes * 1_048_576
            settings.fileSecondsMax = recordFileMinutes * 60
            configuration.recording = settings
        }
        var records = StoreSettings(path: data ?? defaultDataPath(worlds: worlds))
        if let store {
            guard data == nil else { throw ValidationError("--data names an SQLite file and --store a PostgreSQL database: give one of them") }
            records = try postgresRecords(store, passwordFile: storePasswordFile)
        } else if storePasswordFile != nil {
            throw ValidationError("--store-password-file goes with --store postgres://...")
        }
        records.keepDays = keepDays
        configuration.store = records
        configuration.cluster = try clusterSettings(records: records, catalog: catalog)
        let policyDirectory = policy ?? defaultPolicyDirectory(worlds: worlds)
        do {
            configuration.profanity = try ProfanityFilter.load(directory: policyDirectory)
        } catch {
            printError("seoulworld: the chat filter cannot start: \(error.description)")
            throw ExitCode(1)
        }
        logger.info("chat filter loaded", metadata: ["policy": "\(policyDirectory)", "entries": "\(configuration.profanity!.entries)",
                                                     "allowEntries": "\(configuration.profanity!.allowEntries)"])
        let servicesDirectory = services ?? URL(fileURLWithPath: defaultPolicyDirectory(worlds: worlds)).deletingLastPathComponent().appendingPathComponent("services").path
        if let text = deskClockStart {
            guard let start = OpeningHours.unixMillis(seoulDateTime: text) else {
                throw ValidationError("--desk-clock-start takes a Seoul date and time, such as \"2026-11-23 10:00\"; got '\(text)'")
            }
            configuration.deskClockOffsetMillis = start - configuration.clock.wallMillis()
            logger.warning("the desks' clock is set to \(text) KST (a rehearsal): opening hours follow it, not the real time")
        }
        if !noDesks {
            do {
                configuration.desks = try DeskCatalog.load(directory: servicesDirectory)
            } catch {
                printError("seoulworld: the service desks cannot start (\(servicesDirectory)): \(error.description)")
                throw ExitCode(1)
            }
            logger.info("service desks loaded", metadata: ["services": "\(servicesDirectory)", "desks": "\(configuration.desks!.desks.map(\.id).joined(separator: ", "))"])
        }
        guard (1...100).contains(suggestionsPerDay) else {
            printError("seoulworld: --suggestions-per-day must be 1 to 100; \(suggestionsPerDay) was given")
            throw ExitCode(2)
        }
        configuration.suggestionRules.perDay = suggestionsPerDay
        if !noTaxSquare {
            let taxDirectory = (servicesDirectory as NSString).appendingPathComponent("tax")
            do {
                configuration.taxSquare = TaxSquare(tables: try TaxTables.load(directory: taxDirectory), faq: try TaxFAQ.load(directory: taxDirectory))
            } catch {
                printError("seoulworld: Tax Square cannot start (\(taxDirectory)): \(error)")
                printError("  (its tables and FAQ are services/tax/*.json; run without it: --no-tax-square)")
                throw ExitCode(1)
            }
            logger.info("Tax Square loaded", metadata: ["tables": "\(taxDirectory)", "faq": "\(configuration.taxSquare!.faq.entries.count) entries"])
        }
        if !noGuide {
            let guideDirectory = guide ?? URL(fileURLWithPath: defaultPolicyDirectory(worlds: worlds)).deletingLastPathComponent().appendingPathComponent("guide").path
            do {
                configuration.guide = try Guide.load(directory: guideDirectory)
            } catch {
                printError("seoulworld: the guide cannot start: \(error.description)")
                printError("  (run without it, asking no member to accept an ethics code: --no-guide)")
                throw ExitCode(1)
            }
            logger.info("guide loaded", metadata: ["guide": "\(guideDirectory)", "ethics": "\(configuration.guide!.ethics.version)", "tutorial": "\(configuration.guide!.tutorial.sections.count) steps"])
        }
        let board = noAdmin ? nil : OperatorBoard()
        configuration.operatorBoard = board
        let server: Server
        do {
            server = try Server(configuration: configuration, catalog: catalog, logger: logger)
        } catch {
            // An operating error, not a usage error: say what failed and exit, without the usage text.
            printError("seoulworld: cannot start the server on \(host):\(port): \(error)")
            throw ExitCode(1)
        }
        var admin: AdminServer?
        if let board {
            var settings = AdminSettings(staticDirectory: adminStatic ?? defaultAdminDirectory(worlds: worlds))
            settings.host = adminHost
            settings.port = adminPort
            settings.records = configuration.store.map { store in store.postgres.map(StoreLocation.postgres) ?? .file(store.path) }
            if let adminTokenFile {
                guard let text = try? String(contentsOfFile: adminTokenFile, encoding: .utf8) else {
                    printError("seoulworld: cannot read the operator token file \(adminTokenFile)")
                    throw ExitCode(1)
                }
                settings.token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            do {
                let started = try AdminServer(settings: settings, server: server, board: board, catalog: catalog, logger: Logger(label: "seoulworld-admin"))
                try runBlocking { try await started.start() }
                admin = started
            } catch {
                printError("seoulworld: the admin side cannot start on \(adminHost):\(adminPort): \(error)")
                printError("  (another server on that port? choose one with --admin-port, or run without it: --no-admin)")
                throw ExitCode(1)
            }
            logger.info("admin side listening", metadata: ["http": "http://\(adminHost):\(admin!.port)/", "writes": "\(settings.token == nil ? "off (no --admin-token-file)" : "need the operator token")"])
        }
        server.run()
        admin?.stop()
    }
}

/// `data/seoulworld.sqlite` beside the worlds directory in use (so a checkout keeps its
/// records in its own `data/`, which git ignores).
func defaultDataPath(worlds: String?) -> String {
    let directory = worlds.map { URL(fileURLWithPath: $0) } ?? WorldLoader.defaultDirectory()
    return directory.standardizedFileURL.deletingLastPathComponent().appendingPathComponent("data").appendingPathComponent("seoulworld.sqlite").path
}

/// `admin/` (the admin page's files) beside the worlds directory in use.
func defaultAdminDirectory(worlds: String?) -> String {
    let directory = worlds.map { URL(fileURLWithPath: $0) } ?? WorldLoader.defaultDirectory()
    return directory.standardizedFileURL.deletingLastPathComponent().appendingPathComponent("admin").path
}

/// Runs async work from synchronous code and waits for it (the command is synchronous: its
/// thread becomes the server's loop thread).
func runBlocking(_ body: @escaping @Sendable () async throws -> Void) throws {
    let done = DispatchSemaphore(value: 0)
    nonisolated(unsafe) var failure: (any Error)?
    Task.detached {
        do { try await body() } catch { failure = error }
        done.signal()
    }
    done.wait()
    if let failure { throw failure }
}

/// `policy/` beside the worlds directory in use.
func defaultPolicyDirectory(worlds: String?) -> String {
    let directory = worlds.map { URL(fileURLWithPath: $0) } ?? WorldLoader.defaultDirectory()
    return directory.standardizedFileURL.deletingLastPathComponent().appendingPathComponent("policy").path
}

extension Serve {
    /// `--node` and its companions, checked: a node needs the directory (PostgreSQL), the
    /// cluster's secret, and spaces to prefer that exist.
    func clusterSettings(records: StoreSettings, catalog: WorldCatalog) throws -> ClusterSettings? {
        guard let node else {
            for (given, flag) in [(clusterSecretFile != nil, "--cluster-secret-file"), (advertise != nil, "--advertise"), (prefer != nil, "--prefer")] where given {
                throw ValidationError("\(flag) goes with --node NAME (a node of a cluster)")
            }
            return nil
        }
        guard !node.isEmpty, node.utf8.count <= 64, node.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
            throw ValidationError("--node must be 1 to 64 letters, digits or '-', got '\(node)'")
        }
        guard let location = records.postgres else {
            throw ValidationError("--node needs --store postgres://...: the cluster's directory lives in the PostgreSQL database the nodes share")
        }
        guard let clusterSecretFile else {
            throw ValidationError("--node needs --cluster-secret-file: the secret (the same on every node) that signs hand-over tickets")
        }
        guard let text = try? String(contentsOfFile: clusterSecretFile, encoding: .utf8) else {
            throw ValidationError("cannot read the cluster secret file \(clusterSecretFile)")
        }
        guard (2...60).contains(leaseSeconds) else { throw ValidationError("--lease-seconds must be 2 to 60, got \(leaseSeconds)") }
        var settings = ClusterSettings(node: node, location: location, secret: try TokenSecret.parse(text, from: clusterSecretFile))
        settings.advertisedHost = advertise
        settings.leaseMillis = Int64(leaseSeconds) * 1_000
        settings.liveMillis = settings.leaseMillis
        let known = Set(catalog.publicSpaces.map(\.id))
        settings.prefers = (prefer ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if let unknown = settings.prefers.first(where: { !known.contains($0) }) {
            throw ValidationError("--prefer names '\(unknown)', which is not a public space of the world files; they are: \(known.sorted().joined(separator: ", "))")
        }
        return settings
    }
}

enum TokenSecret {
    enum Source { case file, environment, generated }

    /// The secret from a file, the environment, or freshly generated.
    static func load(file: String?) throws -> ([UInt8], Source) {
        if let file {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw ValidationError("cannot read the token secret file \(file)") }
            return (try parse(text, from: file), .file)
        }
        if let text = ProcessInfo.processInfo.environment["SEOULWORLD_TOKEN_SECRET"] {
            return (try parse(text, from: "SEOULWORLD_TOKEN_SECRET"), .environment)
        }
        var generator = SystemRandomNumberGenerator()
        return ((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }, .generated)
    }

    static func parse(_ text: String, from origin: String) throws -> [UInt8] {
        let hex = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let bytes = decodeHex(hex), bytes.count >= MemberToken.secretBytesMin else {
            throw ValidationError("\(origin) must hold at least \(MemberToken.secretBytesMin * 2) hex digits (\(MemberToken.secretBytesMin) bytes)")
        }
        return bytes
    }
}

func decodeHex(_ text: String) -> [UInt8]? {
    let digits = Array(text.utf8)
    guard digits.count % 2 == 0 else { return nil }
    var out: [UInt8] = []
    out.reserveCapacity(digits.count / 2)
    func value(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 97...102: return c - 87
        case 65...70: return c - 55
        default: return nil
        }
    }
    var i = 0
    while i < digits.count {
        guard let hi = value(digits[i]), let lo = value(digits[i + 1]) else { return nil }
        out.append(hi << 4 | lo)
        i += 2
    }
    return out
}

func encodeHex(_ bytes: [UInt8]) -> String {
    bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
}

/// The records' settings for `--store postgres://...`; a bad URL or password file is a usage error.
func postgresRecords(_ url: String, passwordFile: String?) throws -> StoreSettings {
    StoreSettings(postgres: try postgresLocation(url, passwordFile: passwordFile))
}
