// `seoulworld bots --processes N`: the fleet as N processes of this same command, each with its
// share of the bots (its own range of bot numbers, so its own member accounts) and of the ramp,
// its report written with its histograms to a file in a folder of its own; the reports are then
// merged into one (BotReport.merged). One process's loop holds about a thousand bots on a core
// of this machine; several processes use several cores, or share one honestly (each says how
// its own loop kept time).

import ArgumentParser
import Bots
import Foundation

extension BotsCommand {
    /// Bot `i` of `count` split over `processes`: the first `count % processes` processes take
    /// one bot more.
    static func shares(count: Int, processes: Int) -> [(first: Int, count: Int)] {
        precondition(processes >= 1 && processes <= count)
        var out: [(Int, Int)] = []
        var first = 0
        for p in 0..<processes {
            let n = count / processes + (p < count % processes ? 1 : 0)
            out.append((first, n))
            first += n
        }
        return out
    }

    /// The arguments of process `p`: every option of this command as given, with its share.
    func childArguments(process p: Int, share: (first: Int, count: Int), folder: String) -> [String] {
        var a = ["bots", "--server", server, "--count", "\(share.count)", "--first-index", "\(firstIndex + share.first)",
                 "--ramp", "\(ramp * Double(share.count) / Double(count))", "--duration", "\(duration)",
                 "--tcp-only-share", "\(tcpOnlyShare)", "--seed", "\(seed &+ UInt64(p))",
                 "--bug-reports-per-second", "\(bugReportsPerSecond * Double(share.count) / Double(count))",
                 "--loss", "\(loss)", "--duplicate", "\(duplicate)", "--latency-ms", "\(latencyMs)", "--jitter-ms", "\(jitterMs)",
                 "--report", "\(folder)/report-\(p).json", "--keep-histograms"]
        if let world { a += ["--world", world] }
        if let scenario { a += ["--scenario", scenario] }
        if let chatEverySeconds { a += ["--chat-every-seconds", "\(chatEverySeconds)"] }
        if let profaneShare { a += ["--profane-share", "\(profaneShare)"] }
        if let tokenSecretFile { a += ["--token-secret-file", tokenSecretFile] }
        if viewDigests != nil { a += ["--view-digests", "\(folder)/digests-\(p).txt"] }
        return a
    }

    func runProcesses() throws {
        let folder = NSTemporaryDirectory() + "seoulworld-bots-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var children: [Process] = []
        let shares = Self.shares(count: count, processes: processes)
        for (p, share) in shares.enumerated() {
            let child = Process()
            child.executableURL = executable
            child.arguments = childArguments(process: p, share: share, folder: folder)
            child.standardOutput = FileHandle.nullDevice
            // Each process's progress and complaints, for the reader when one fails.
            FileManager.default.createFile(atPath: "\(folder)/stderr-\(p).txt", contents: nil)
            child.standardError = FileHandle(forWritingAtPath: "\(folder)/stderr-\(p).txt")
            try child.run()
            children.append(child)
        }
        FileHandle.standardError.write(Data("bots: \(count) bots as \(processes) processes (\(shares.map { "\($0.count)" }.joined(separator: ", ")) bots), pids \(children.map { "\($0.processIdentifier)" }.joined(separator: " "))\n".utf8))
        // Ctrl-C (or a script's SIGINT or SIGTERM) ends every process early with its report so far.
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let forward = [SIGINT, SIGTERM].map { number in
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { for c in children where c.isRunning { kill(c.processIdentifier, SIGINT) } }
            source.resume()
            return source
        }
        defer { forward.forEach { $0.cancel() } }
        for c in children { c.waitUntilExit() }
        var parts: [BotReport] = []
        for (p, c) in children.enumerated() {
            let path = "\(folder)/report-\(p).json"
            guard let data = FileManager.default.contents(atPath: path), let part = try? JSONDecoder().decode(BotReport.self, from: data) else {
                let said = (try? String(contentsOfFile: "\(folder)/stderr-\(p).txt", encoding: .utf8)) ?? ""
                throw ValidationError("bots process \(p + 1) of \(processes) (exit \(c.terminationStatus)) left no report; it said: \(said.suffix(2_000))")
            }
            parts.append(part)
        }
        if let viewDigests {
            let all = (0..<processes).map { (try? String(contentsOfFile: "\(folder)/digests-\($0).txt", encoding: .utf8)) ?? "" }.joined()
            try all.write(toFile: viewDigests, atomically: true, encoding: .utf8)
        }
        let merged: BotReport
        do { merged = try BotReport.merged(parts) } catch { throw ValidationError("cannot merge the processes' reports: \(error)") }
        try finish(with: merged)
    }
}
