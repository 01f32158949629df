// `seoulworld simulate-city`: the whole-server simulation (WorldServer's CitySimulation) for
// many seeds or one: hundreds of simulated citizens, staff and an operator on the real server
// on virtual time, the invariants checked after every step. A failing seed is printed with the
// command that runs exactly that run again; the exit status is 1 if any seed failed.

import ArgumentParser
import Foundation
import PostgresScratch
import ServiceFiles
import Services
import WorldServer

struct SimulateCityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate-city",
        abstract: "Run the whole server on virtual time with simulated clients, checking its invariants after every step."
    )

    @Option(help: "The first seed.")
    var seed: UInt64 = 1

    @Option(help: "How many seeds, from --seed on (1 to 100,000).")
    var seeds = 10

    @Option(help: "Simulated clients per run (1 to 5,000): one in twenty staff, one in four guests, the rest members.")
    var clients = 200

    @Option(help: "Simulated minutes per run (1 to 10,080).")
    var minutes = 30

    @Option(help: "When the simulated day starts, a Seoul date and time (default \"2026-11-23 10:00\", a Monday; \"2026-11-23 17:55\" runs the desks' closing).")
    var start = "2026-11-23 10:00"

    @Flag(help: "Print each run's actions, the messages its clients received, and the errors the server answered.")
    var verbose = false

    @Flag(help: "Keep each run's records in PostgreSQL (a throwaway cluster started for the command, scripts/pg-scratch.sh; a database per seed) instead of SQLite.")
    var onPostgres = false

    @Option(help: "The directory of world files (default: ./worlds, or the checkout's worlds/).")
    var worlds: String?

    func validate() throws {
        guard (1...100_000).contains(seeds) else { throw ValidationError("--seeds takes 1 to 100000; got \(seeds)") }
        guard (1...5_000).contains(clients) else { throw ValidationError("--clients takes 1 to 5000; got \(clients)") }
        guard (1...10_080).contains(minutes) else { throw ValidationError("--minutes takes 1 to 10080 (a week); got \(minutes)") }
    }

    func run() throws {
        guard let startMillis = OpeningHours.unixMillis(seoulDateTime: start) else {
            throw ValidationError("--start takes a Seoul date and time, such as \"2026-11-23 17:55\"; got '\(start)'")
        }
        let catalog = try loadCatalog(worlds)
        let policy = defaultPolicyDirectory(worlds: worlds)
        let services = URL(fileURLWithPath: policy).deletingLastPathComponent().appendingPathComponent("services").path
        let desks: DeskCatalog, profanity: ProfanityFilter
        do {
            desks = try DeskCatalog.load(directory: services)
            profanity = try ProfanityFilter.load(directory: policy)
        } catch {
            printError("seoulworld: the simulation needs the desks (\(services)) and the chat filter (\(policy)): \(error)")
            throw ExitCode(1)
        }
        let scratch: PostgresScratch?
        do { scratch = onPostgres ? try PostgresScratch.shared.get() : nil } catch {
            printError("seoulworld: --on-postgres needs a throwaway PostgreSQL: \(error)")
            throw ExitCode(1)
        }
        var failed: [UInt64] = []
        var simulatedMillis: UInt64 = 0
        var wall = 0.0
        for seed in seed..<(seed + UInt64(seeds)) {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("seoulworld-simulation-\(seed)-\(getpid())").path
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            var settings = CitySimulation.Settings(seed: seed, folder: folder)
            settings.clients = clients
            settings.durationMillis = UInt64(minutes) * 60_000
            settings.desks = desks
            settings.profanity = profanity
            settings.startWallMillis = startMillis
            settings.postgres = try scratch?.database()
            let o = try CitySimulation.run(settings, catalog: catalog)
            simulatedMillis += o.simulatedMillis
            wall += o.wallSeconds
            let acts = o.actions.values.reduce(0, +)
            if let failure = o.failure {
                failed.append(seed)
                print("seed \(seed): FAILED: \(failure)")
                print("  again: seoulworld simulate-city --seed \(seed) --seeds 1 --clients \(clients) --minutes \(minutes) --start \"\(start)\"\(onPostgres ? " --on-postgres" : "")")
            } else {
                print(String(format: "seed %llu: ok  %d steps, %d actions, %d reports checked, digest %016llx, %.3f simulated hours/s",
                             seed, o.steps, acts, o.reportsChecked, o.digest, o.simulatedHoursPerSecond))
            }
            if verbose {
                print("  actions:  " + o.actions.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
                print("  received: " + o.received.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
                print("  errors:   " + o.errors.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", "))
            }
        }
        print(String(format: "%d of %d seeds passed; %.2f simulated hours in %.1f s (%.3f simulated hours/s, %.0fx real time)",
                     seeds - failed.count, seeds, Double(simulatedMillis) / 3_600_000, wall, Double(simulatedMillis) / 3_600_000 / max(wall, 1e-9),
                     Double(simulatedMillis) / 1_000 / max(wall, 1e-9)))
        if !failed.isEmpty {
            print("failing seeds: " + failed.map(String.init).joined(separator: " "))
            throw ExitCode(1)
        }
    }
}
