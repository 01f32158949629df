// Running another program from a test or a measurement, with a deadline: the one way the
// tests start a child that is expected to end (the seoulworld command refusing something,
// promtool, the throwaway PostgreSQL's script).
//
// Invariants:
// 1. Every run ends by its deadline: a child still running then is killed (SIGKILL), and the
//    result says it timed out, so a regression that makes a command hang fails the test
//    that ran it instead of hanging the suite.
// 2. Output goes through a file, never a pipe: a child that leaves a process behind holding
//    its standard output (a server it started) cannot make the reader wait for an end of
//    file that never comes, and a child that writes more than a pipe holds never blocks.
// 3. Input, when given, is a file too, so that a child that does not read it never blocks us.

import Foundation

public struct ChildProcess {
    public struct Outcome: Sendable, CustomStringConvertible {
        /// The exit status, or the signal's number when it was killed (see `timedOut`).
        public var status: Int32
        public var standardOutput: String
        public var errors: String
        /// Standard output, then standard error.
        public var output: String { standardOutput + errors }
        /// The child was still running at its deadline and was killed.
        public var timedOut: Bool
        public var seconds: Double

        public var description: String {
            timedOut ? "killed after its deadline of \(String(format: "%.0f", seconds)) s; it had written: \(output)"
                : "exit \(status) after \(String(format: "%.1f", seconds)) s: \(output)"
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// A product the same `swift build` put beside the running test bundle (the `seoulworld`
    /// command, for the tests that run it as a child).
    public static func builtBesideTests(_ name: String) -> String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name).path
    }

    /// Runs `executable` with `arguments` and waits at most `deadlineSeconds` for it to end.
    public static func run(_ executable: String, _ arguments: [String], input: Data? = nil,
                           environment: [String: String]? = nil, deadlineSeconds: Double) throws -> Outcome {
        precondition(deadlineSeconds > 0, "a child needs a deadline")
        let base = NSTemporaryDirectory() + "seoulworld-child-\(UUID().uuidString)"
        for suffix in [".out", ".err", ".in"] { FileManager.default.createFile(atPath: base + suffix, contents: nil) }
        defer { for suffix in [".out", ".err", ".in"] { try? FileManager.default.removeItem(atPath: base + suffix) } }
        if let input { try input.write(to: URL(fileURLWithPath: base + ".in")) }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardInput = input == nil ? FileHandle.nullDevice : FileHandle(forReadingAtPath: base + ".in")
        guard let both = FileHandle(forWritingAtPath: base + ".out"), let errors = FileHandle(forWritingAtPath: base + ".err") else {
            throw Failure(description: "cannot open the output files under \(NSTemporaryDirectory())")
        }
        defer { try? both.close(); try? errors.close() }
        process.standardOutput = both
        process.standardError = errors
        let started = Date()
        do { try process.run() } catch {
            throw Failure(description: "cannot start \(executable): \(error.localizedDescription)")
        }
        let deadline = started.addingTimeInterval(deadlineSeconds)
        var timedOut = false
        while process.isRunning {
            if Date() >= deadline {
                timedOut = true
                kill(process.processIdentifier, SIGKILL)
                break
            }
            Thread.sleep(forTimeInterval: 0.01)
        }
        process.waitUntilExit()
        let out = String(decoding: FileManager.default.contents(atPath: base + ".out") ?? Data(), as: UTF8.self)
        let err = String(decoding: FileManager.default.contents(atPath: base + ".err") ?? Data(), as: UTF8.self)
        return Outcome(status: process.terminationStatus, standardOutput: out, errors: err, timedOut: timedOut,
                       seconds: Date().timeIntervalSince(started))
    }
}
