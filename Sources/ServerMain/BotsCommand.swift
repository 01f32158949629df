// `seoulworld bots`: load-test bots against a running server.

import ArgumentParser
import Bots
import Foundation
import NetProto
import Transport
import WorldClient
import WorldServer

struct BotsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bots",
        abstract: "Run many load-test bots (real clients, one loop) against a server and report what they saw."
    )

    @Option(help: "The server as HOST:PORT (numeric; loopback by default).")
    var server = "127.0.0.1:7777"

    @Option(help: "How many bots (1 to 20000).")
    var count = 100

    @Option(help: "The space the bots enter (overrides the scenario's).")
    var world: String?

    @Option(help: "A scenario file (see scenarios/); default: every bot wanders.")
    var scenario: String?

    @Option(help: "Bots connected per second while ramping up.")
    var ramp = 100.0

    @Option(help: "Seconds to run (1 to 86400); Ctrl-C ends early with the report so far.")
    var duration = 30.0

    @Option(help: "Share of bots that use TCP only (no UDP), 0 to 1.")
    var tcpOnlyShare = 0.1

    @Option(help: "Also write the report as JSON to this file.")
    var report: String?

    @Option(help: "Seed for the bots' choices.")
    var seed: UInt64 = 1

    @Option(help: "Bug reports per second from the whole fleet (a write flood for the server's store; 0 sends none).")
    var bugReportsPerSecond = 0.0

    @Option(help: "Each bot chats to those nearby about every this many seconds (overrides the scenario's chat; 0 turns chat off). Needs member tokens: --token-secret-file or $SEOULWORLD_TOKEN_SECRET, the server's.")
    var chatEverySeconds: Double?

    @Option(help: "With chat: the share of messages that are profane, 0 to 1 (default 0.1, or the scenario's).")
    var profaneShare: Double?

    @Option(help: "File holding the server's token secret as hex: the bots sign in as members (bot-N) instead of guests.")
    var tokenSecretFile: String?

    @Option(help: "A bad network for every bot's UDP, both ways: the share of datagrams lost, in percent (0 to 100).")
    var loss = 0.0

    @Option(help: "...duplicated, in percent (0 to 100).")
    var duplicate = 0.0

    @Option(help: "...delayed by this one-way latency, milliseconds.")
    var latencyMs = 0

    @Option(help: "...give or take up to this much each (so they overtake each other), milliseconds.")
    var jitterMs = 0

    @Option(help: "For the soak (scripts/soak.sh): write every bot's view digests here at the end, to compare with the server's --view-digests.")
    var viewDigests: String?

    @Option(help: "Run the bots as this many processes (1 to 64), each with its share of --count and --ramp, their reports merged into one: for more bots than one process's core holds (its line 'the fleet's own loop' says when it fell behind).")
    var processes = 1

    @Option(help: .hidden)
    var firstIndex = 0

    @Flag(help: .hidden)
    var keepHistograms = false

    var network: NetworkConditions { NetworkConditions(lossPercent: loss, duplicatePercent: duplicate, latencyMillis: latencyMs, jitterMillis: jitterMs) }

    func validate() throws {
        if let problem = network.problem { throw ValidationError(problem) }
        if let c = chatEverySeconds, c != 0 && !(0.5...3_600).contains(c) { throw ValidationError("--chat-every-seconds must be 0 (off) or 0.5 to 3600") }
        if let p = profaneShare, !(0...1).contains(p) { throw ValidationError("--profane-share must be 0 to 1") }
        guard (0...100_000).contains(bugReportsPerSecond) else { throw ValidationError("--bug-reports-per-second must be 0 to 100000") }
        guard (1...64).contains(processes) else { throw ValidationError("--processes must be 1 to 64, got \(processes)") }
        guard processes <= count else { throw ValidationError("--processes (\(processes)) must not exceed --count (\(count)): each process needs a bot") }
        guard firstIndex >= 0 else { throw ValidationError("--first-index must not be negative") }
        guard (1...20_000).contains(count) else { throw ValidationError("--count must be 1 to 20000, got \(count)") }
        guard (1...86_400).contains(duration) else { throw ValidationError("--duration must be 1 to 86400 seconds") }
        guard ramp > 0 && ramp <= 10_000 else { throw ValidationError("--ramp must be above 0 and at most 10000 per second") }
        guard (0...1).contains(tcpOnlyShare) else { throw ValidationError("--tcp-only-share must be 0 to 1") }
        guard Self.parse(server) != nil else { throw ValidationError("--server must be HOST:PORT with a numeric host, such as 127.0.0.1:7777 or [::1]:7777; got '\(server)'") }
    }

    static func parse(_ text: String) -> (String, UInt16)? {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }

    func run() throws {
        if processes > 1 { return try runProcesses() }
        var chosen = try scenario.map { try Scenario.load(URL(fileURLWithPath: $0)) } ?? Scenario.wander(in: world ?? "seoul-plaza")
        if let world { chosen.world = world }
        let (host, port) = Self.parse(server)!
        let address: SocketAddress
        do { address = try SocketAddress(host: host, port: port) } catch { throw ValidationError("--server: \(error)") }
        var options = FleetOptions(server: address, count: count, rampPerSecond: ramp, durationSeconds: duration,
                                   tcpOnlyShare: tcpOnlyShare, scenario: chosen, seed: seed)
        options.bugReportsPerSecond = bugReportsPerSecond
        options.network = network
        options.viewDigestsPath = viewDigests
        options.firstIndex = firstIndex
        options.keepHistograms = keepHistograms
        if let every = chatEverySeconds {
            options.scenario.chat = every == 0 ? nil : Scenario.Chat(everySeconds: every, profaneShare: profaneShare ?? options.scenario.chat?.profaneShare ?? 0.1)
        } else if let share = profaneShare, options.scenario.chat != nil {
            options.scenario.chat!.profaneShare = share
        }
        let (secret, source) = try TokenSecret.load(file: tokenSecretFile)
        if source != .generated {
            let expires = UInt64(Date().timeIntervalSince1970) + UInt64(duration) + 3_600
            let counsellors = options.scenario.desk?.counsellors ?? 0
            let civicStaff = options.scenario.civic?.staff ?? 0
            options.credentials = { index in
                var roles: MemberToken.Roles = index < counsellors ? [.member, .staff] : [.member]
                if index < civicStaff { roles.formUnion([.staff, .editor, .answerer]) }
                return .member(token: MemberToken(accountID: "bot-\(index)", displayName: "bot-\(index)", roles: roles, expiresAtUnixSeconds: expires).signed(secret: secret))
            }
        } else if options.scenario.chat != nil || options.scenario.desk != nil || options.scenario.civic != nil {
            throw ValidationError("chatting, queueing and civic bots sign in as members: pass --token-secret-file (or set SEOULWORLD_TOKEN_SECRET) with the server's secret")
        }
        let fleet = try BotFleet(options: options)
        let result = try fleet.run { line in FileHandle.standardError.write(Data(("\r" + line).utf8)) }
        FileHandle.standardError.write(Data("\n".utf8))
        try finish(with: result)
    }

    /// Prints the report, writes it as JSON if asked, and fails if the bots saw avatars touch.
    func finish(with result: BotReport) throws {
        print(result.text)
        if let report {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(result).write(to: URL(fileURLWithPath: report))
        }
        if result.contactViolationsSeen > 0 { throw ExitCode(2) }
    }
}
