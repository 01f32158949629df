// A throwaway PostgreSQL cluster for tests and measurements, through scripts/pg-scratch.sh
// (its own data directory and Unix socket in a temporary folder, run as an unprivileged user).
// One cluster per process (`shared`), stopped and removed when the process exits; each test
// takes a database of its own (`database()`), so tests never see each other's rows. A test that
// stops the server under a writer (`down`) starts a cluster of its own (`init()`, then `stop()`):
// the shared one serves tests running beside it.

import ChildProcess
import Foundation
import Store

public final class PostgresScratch: @unchecked Sendable {
    public let directory: String
    /// The cluster's first database's URL.
    public let url: String
    let script: String
    let lock = NSLock()
    var databases = 0

    /// Starts a cluster in a new temporary folder; the error says what is missing (PostgreSQL
    /// not installed, no user to run it as) in the script's words.
    public init() throws {
        script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/pg-scratch.sh").path
        directory = "/tmp/seoulworld-pg-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        url = try Self.run(script, ["start", directory]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The process's cluster, started on first use and stopped at exit.
    public static let shared: Result<PostgresScratch, any Error> = {
        do {
            let scratch = try PostgresScratch()
            let directory = scratch.directory, script = scratch.script
            atexitHandlers.append { _ = try? PostgresScratch.run(script, ["stop", directory]) }
            if atexitHandlers.count == 1 { atexit { for h in atexitHandlers { h() } } }
            return .success(scratch)
        } catch {
            return .failure(error)
        }
    }()

    /// A new empty database in the cluster, as a location to open.
    public func database() throws -> PostgresLocation {
        let name = lock.withLock { () -> String in
            databases += 1
            return "t\(databases)"
        }
        _ = try Self.run(script, ["createdb", directory, name])
        return PostgresLocation(endpoint: .unixSocket(path: "\(directory)/.s.PGSQL.5432"), user: "seoulworld", database: name)
    }

    /// Stops the cluster and removes its folder (for a cluster of one's own, not `shared`).
    public func stop() { _ = try? Self.run(script, ["stop", directory]) }

    /// Stops the server (a fast shutdown: connections are cut), keeping its data.
    public func down() throws { _ = try Self.run(script, ["down", directory]) }
    /// Starts it again after `down`.
    public func up() throws { _ = try Self.run(script, ["up", directory]) }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Runs the script; at most two minutes (initdb and a first start take seconds), so that a
    /// PostgreSQL that never comes up fails the tests that wanted it instead of hanging them.
    @discardableResult
    static func run(_ script: String, _ arguments: [String]) throws -> String {
        let outcome = try ChildProcess.run("/bin/bash", [script] + arguments, deadlineSeconds: 120)
        guard outcome.status == 0, !outcome.timedOut else {
            throw Failure(description: "scripts/pg-scratch.sh \(arguments.joined(separator: " ")) failed: \(outcome.timedOut ? "still running after 120 s" : outcome.errors)")
        }
        return outcome.standardOutput
    }
}

nonisolated(unsafe) private var atexitHandlers: [() -> Void] = []
