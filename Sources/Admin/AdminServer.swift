// The admin side's HTTP server (Hummingbird, on its own threads): /metrics, /healthz, /readyz,
// the JSON API (docs/ADMIN.md) and the page's static files (admin/).
//
// Invariants:
// 1. No handler touches the worlds: reads come from the published view (`OperatorState`),
//    writes go to the loop thread through `Server.perform(_:actor:reply:)`.
// 2. Every write needs the operator token; every read needs it too when the admin side listens
//    beyond loopback. Tokens are compared in constant time (by their SHA-256 digests).
// 3. Everything is bounded: request bodies (16 kB), live streams (`streamsMax`), connections,
//    the wait for the loop thread's answer (10 s).

import Crypto
import Foundation
import Hummingbird
import Logging
import HummingbirdCore
import Store
import WorldFiles
import WorldServer

public struct AdminSettings: Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port (tests).
    public var port = 7780
    /// The operator token; nil refuses every write (and, beyond loopback, every read).
    public var token: String?
    /// The page's files (index.html, app.js, style.css).
    public var staticDirectory: String
    /// Where the server keeps its records (the SQLite file or PostgreSQL), for the reports and
    /// usage statistics pages (read-only); nil when the server keeps no records.
    public var records: StoreLocation?
    /// How often a live map stream sends a frame, milliseconds.
    public var streamEveryMillis = 250
    public var streamsMax = 32
    public var connectionsMax = 256

    public init(staticDirectory: String) { self.staticDirectory = staticDirectory }

    /// Whether the address is loopback (127.0.0.0/8, ::1, localhost).
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}

public enum AdminSetupError: Error, CustomStringConvertible {
    case tokenRequired(host: String)
    case tokenTooShort(Int)

    public var description: String {
        switch self {
        case .tokenRequired(let host):
            return "the admin side listens on \(host), beyond loopback: give it an operator token (--admin-token-file), or keep it on 127.0.0.1"
        case .tokenTooShort(let n):
            return "the operator token has \(n) characters; use at least 16 (for example: openssl rand -hex 16 > admin-token)"
        }
    }
}

public final class AdminServer: Sendable {
    public let settings: AdminSettings
    public let state: OperatorState
    let server: WorldServer.Server
    let catalog: WorldCatalog
    let logger: Logger
    let tokenDigest: [UInt8]?
    let streams = StreamCount()
    let storeBox = StoreBox()
    private let portBox = PortBox()
    private let task = TaskBox()

    public init(settings: AdminSettings, server: WorldServer.Server, board: OperatorBoard, catalog: WorldCatalog, logger: Logger) throws {
        if let token = settings.token, token.count < 16 { throw AdminSetupError.tokenTooShort(token.count) }
        if settings.token == nil && !AdminSettings.isLoopback(settings.host) { throw AdminSetupError.tokenRequired(host: settings.host) }
        self.settings = settings
        self.server = server
        self.catalog = catalog
        self.logger = logger
        self.state = OperatorState(board: board)
        tokenDigest = settings.token.map { Array(SHA256.hash(data: Array($0.utf8))) }
    }

    /// Starts listening; returns once the port is bound (or throws why it could not be).
    public func start() async throws {
        let router = Router()
        addRoutes(to: router)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "seoulworld-admin",
                                 availableConnectionsDelegate: MaximumAvailableConnections(settings.connectionsMax)),
            onServerRunning: { [portBox] channel in portBox.set(channel.localAddress?.port ?? 0) },
            logger: logger)
        let started = AsyncStream<Result<Void, any Error>>.makeStream()
        portBox.onSet { started.continuation.yield(.success(())) }
        let running = Task {
            do { try await app.run() } catch { started.continuation.yield(.failure(error)) }
            started.continuation.yield(.failure(AdminStopped()))
        }
        task.set(running)
        for await result in started.stream {
            try result.get()
            return
        }
    }

    struct AdminStopped: Error, CustomStringConvertible { var description: String { "the admin server stopped before it listened" } }

    /// The port it listens on (after `start`).
    public var port: Int { portBox.value }

    public func stop() { task.cancel() }

    // MARK: Authorisation

    enum Access { case health, read, write }

    /// nil when allowed; else the refusal to send.
    func refusal(_ request: Request, _ access: Access) -> Response? {
        switch access {
        case .health: return nil
        case .read where AdminSettings.isLoopback(settings.host): return nil
        case .read, .write: break
        }
        guard let tokenDigest else {
            return Self.error(.forbidden, "this server was started without an operator token (--admin-token-file): changes through the admin API are off")
        }
        let header = request.headers[.authorization] ?? ""
        let given: String?
        if header.hasPrefix("Bearer ") { given = String(header.dropFirst(7)) }
        else { given = request.uri.queryParameters["access_token"].map(String.init) }
        guard let given, Self.constantTimeEqual(Array(SHA256.hash(data: Array(given.utf8))), tokenDigest) else {
            var response = Self.error(.unauthorized, given == nil ? "this needs the operator token: send \"Authorization: Bearer <token>\""
                                                                  : "the operator token is wrong")
            response.headers[.wwwAuthenticate] = "Bearer realm=\"seoulworld-admin\""
            return response
        }
        return nil
    }

    /// Equal digests, in time that does not depend on where they differ.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }

    // MARK: Responses

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    struct ErrorBody: Encodable { var error: String }

    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response { json(ErrorBody(error: message), status: status) }

    static func text(_ text: String, contentType: String = "text/plain; charset=utf-8", status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: contentType, .cacheControl: "no-store"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

// MARK: Small locked boxes (Sendable state shared with Hummingbird's threads)

final class PortBox: @unchecked Sendable {
    private let lock = NSLock()
    private var port = 0
    private var waiter: (@Sendable () -> Void)?
    var value: Int { lock.withLock { port } }
    func set(_ p: Int) {
        let w = lock.withLock { () -> (@Sendable () -> Void)? in
            port = p
            return waiter
        }
        w?()
    }
    func onSet(_ body: @escaping @Sendable () -> Void) { lock.withLock { waiter = body } }
}

final class TaskBox: @unchecked Sendable {
    private let lock = NSLock()
    private var task: Task<Void, Never>?
    func set(_ t: Task<Void, Never>) { lock.withLock { task = t } }
    func cancel() { lock.withLock { task }?.cancel() }
}

final class StreamCount: @unchecked Sendable {
    private let lock = NSLock()
    private var open = 0
    func enter(max: Int) -> Bool { lock.withLock { if open >= max { return false }; open += 1; return true } }
    func leave() { lock.withLock { open -= 1 } }
}

/// The store opened read-only on first use (reports, statistics), kept open after; its reads
/// run one at a time on a thread of their own, never on the HTTP side's event loops (a report
/// over a year of visits takes seconds).
final class StoreBox: @unchecked Sendable {
    private let lock = NSLock()
    private var store: (any StoreReading)?
    private let queue = DispatchQueue(label: "seoulworld.admin.store-reads")

    func read<T: Sendable>(_ location: StoreLocation, _ body: @escaping @Sendable (any StoreReading) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { [self] in
                continuation.resume(with: Result {
                    let opened = try lock.withLock {
                        if let store { return store }
                        let s: any StoreReading = try location.open(.readOnly)
                        store = s
                        return s
                    }
                    return try body(opened)
                })
            }
        }
    }
}

extension AdminServer {
    /// Asks the loop thread (`ask` passes it a reply function) and waits for its answer, at
    /// most `replyWaitSeconds`; `late` when none came by then (the server stopping or overloaded).
    func fromLoop<Reply: Sendable>(late: Reply, _ ask: (@escaping @Sendable (Reply) -> Void) -> Void) async -> Reply {
        await withCheckedContinuation { (c: CheckedContinuation<Reply, Never>) in
            let once = ReplyOnce(c)
            ask { once.resume($0) }
            Task {
                try? await Task.sleep(for: .seconds(Self.replyWaitSeconds))
                once.resume(late)
            }
        }
    }
}

/// Resumes a continuation once: with the loop thread's answer, or after the time limit.
final class ReplyOnce<Reply: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Reply, Never>?
    init(_ c: CheckedContinuation<Reply, Never>) { continuation = c }
    func resume(_ reply: Reply) {
        let c = lock.withLock { () -> CheckedContinuation<Reply, Never>? in
            defer { continuation = nil }
            return continuation
        }
        c?.resume(returning: reply)
    }
}
