// A server on a thread of its own in this process, as `serve` runs it, for the measurements
// that drive it through the protocol from another loop (`tax bench --through-server`,
// `notices bench`): started on loopback at a free port, stopped as SIGTERM would stop it.

import Foundation
import Logging
import WorldFiles
import WorldServer

final class InProcessServer {
    let server: Server
    private let thread: Thread

    /// Starts `configuration` (its port set to 0, its status lines off) on its own thread.
    init(_ configuration: ServerConfiguration, catalog: WorldCatalog, label: String) throws {
        var configuration = configuration
        configuration.port = 0
        configuration.statusEverySeconds = 3_600
        var logger = Logger(label: label)
        logger.logLevel = .warning
        let server = try Server(configuration: configuration, catalog: catalog, logger: logger)
        self.server = server
        thread = Thread { server.run() }
        thread.start()
    }

    /// Asks the server to stop and waits for its thread, at most 10 s.
    func stop() {
        server.requestStop()
        let deadline = Date().addingTimeInterval(10)
        while !thread.isFinished && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
    }
}
