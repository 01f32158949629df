// The admin API from the command line: the options and the one HTTP call that `seoulworld
// notices` and `seoulworld suggestions` share (docs/ADMIN.md). A change goes through the running
// server, so that its rules decide and the people it concerns are told at once.

import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

struct AdminAPIOptions: ParsableArguments {
    @Option(help: "The server's admin side.")
    var admin = "http://127.0.0.1:7780"

    @Option(help: "File holding the operator token (the server's --admin-token-file); needed for changes.")
    var adminTokenFile: String?

    @Option(help: "Who acts, for the record (default: $USER).")
    var actor: String?

    var actorName: String { actor ?? ProcessInfo.processInfo.environment["USER"] ?? ProcessInfo.processInfo.userName }

    func token(required: Bool, command: String) throws -> String? {
        guard let adminTokenFile else {
            guard !required else {
                printError("seoulworld \(command): changes need the operator token: --admin-token-file FILE (the file the server was started with)")
                throw ExitCode(1)
            }
            return nil
        }
        guard let text = try? String(contentsOfFile: adminTokenFile, encoding: .utf8) else {
            throw ValidationError("cannot read the operator token file \(adminTokenFile)")
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// One request to the admin API: its status and body, or an exit with a sentence that
    /// says why there was no answer.
    func call(_ command: String, _ method: String, _ path: String, body: [String: Any]? = nil, token: String?) throws -> (status: Int, body: Data) {
        guard let url = URL(string: admin + "/" + path) else { throw ValidationError("--admin '\(admin)' is not a URL") }
        var request = URLRequest(url: url, timeoutInterval: 15)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
        }
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var answer: (Int, Data)?
        nonisolated(unsafe) var failure: (any Error)?
        URLSession.shared.dataTask(with: request) { data, response, error in
            if let http = response as? HTTPURLResponse { answer = (http.statusCode, data ?? Data()) } else { failure = error }
            done.signal()
        }.resume()
        guard done.wait(timeout: .now() + 20) == .success, let answer else {
            printError("seoulworld \(command): no answer from the admin side at \(admin)\(failure.map { " (\($0.localizedDescription))" } ?? ""): is the server running, and is its admin side on this address (serve --admin-host, --admin-port)?")
            throw ExitCode(1)
        }
        return answer
    }

    /// The server's answer to a change, said as it is; an exit status 1 when refused.
    func report(_ command: String, _ answer: (status: Int, body: Data)) throws {
        let json = (try? JSONSerialization.jsonObject(with: answer.body)) as? [String: Any]
        let message = json?["message"] as? String ?? json?["error"] as? String ?? String(decoding: answer.body, as: UTF8.self)
        guard answer.status == 200 else {
            printError("seoulworld \(command): refused (HTTP \(answer.status)): \(message)")
            throw ExitCode(1)
        }
        print(message)
    }
}

/// A time as the admin API writes it ("2026-12-31T23:00:00+09:00") as a table shows it
/// ("2026-12-31 23:00"); empty for anything else.
func shortTime(_ value: Any?) -> String {
    guard let text = value as? String, text.count >= 16 else { return "" }
    return text.prefix(10) + " " + text.dropFirst(11).prefix(5)
}
