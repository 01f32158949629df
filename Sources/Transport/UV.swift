// The libuv transport: the one place SeoulWorld touches sockets.
//
// Ownership, as in SwiftNIO and libuv's own guides: each Swift object owns its handle,
// allocated with `UnsafeMutablePointer<...>.allocate(capacity: 1)`; the handle's `data`
// holds `Unmanaged.passRetained(self)`, so the object lives while libuv may call it; that
// reference is released, and the handle freed, only in the close callback. Every callback is
// a non-capturing function that recovers its owner from `data` and calls a named method.
//
// Threading: every object here belongs to its loop's thread. The only exception is
// `UVAsync.send()`, libuv's one thread-safe call (its wake-ups coalesce).

import CLibUV
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct UVError: Error, CustomStringConvertible, Sendable {
    public var code: Int32
    public var operation: String
    public var description: String { "\(operation): \(String(cString: uv_err_name(code))) (\(String(cString: uv_strerror(code))))" }
}

/// Checks a libuv return code; negative codes become a `UVError` naming the operation.
@discardableResult
func uvCheck(_ rc: Int32, _ operation: @autoclosure () -> String) throws(UVError) -> Int32 {
    if rc < 0 { throw UVError(code: rc, operation: operation()) }
    return rc
}

func handle<T>(_ p: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<uv_handle_t> {
    UnsafeMutableRawPointer(p).assumingMemoryBound(to: uv_handle_t.self)
}

func stream<T>(_ p: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<uv_stream_t> {
    UnsafeMutableRawPointer(p).assumingMemoryBound(to: uv_stream_t.self)
}

/// The owner stored in a handle's `data`.
func owner<T: AnyObject>(_ h: UnsafeMutablePointer<uv_handle_t>?, as: T.Type) -> T {
    Unmanaged<T>.fromOpaque(h!.pointee.data!).takeUnretainedValue()
}

/// A loop and the thread that runs it.
public final class UVLoop: @unchecked Sendable {
    public let raw: UnsafeMutablePointer<uv_loop_t>
    /// The one buffer every TCP connection of this loop reads into. A read callback hands the
    /// bytes to its delegate, which consumes or copies them before returning, and callbacks
    /// never overlap on the loop's thread; so one buffer serves thousands of connections (a
    /// buffer each was 64 KiB per client, most of a client's memory).
    let tcpReadBuffer: UnsafeMutableRawBufferPointer
    static let tcpReadBufferBytes = 65_536

    public init() throws(UVError) {
        // A write to a socket whose peer has gone raises SIGPIPE, which ends the process by
        // default; libuv leaves that to the application. Ignore it once for the process, so a
        // client hanging up is an EPIPE from the write, handled like any closed connection.
        _ = UVLoop.ignoreBrokenPipes
        raw = .allocate(capacity: 1)
        do {
            try uvCheck(uv_loop_init(raw), "uv_loop_init")
        } catch {
            raw.deallocate()
            throw error
        }
        tcpReadBuffer = .allocate(byteCount: Self.tcpReadBufferBytes, alignment: 16)
    }

    static let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()

    /// Runs until no handle is active (every handle closed).
    public func run() { uv_run(raw, UV_RUN_DEFAULT) }

    /// Runs what is ready, without waiting. For tests that step a loop by hand.
    @discardableResult public func runOnce(wait: Bool = false) -> Bool { uv_run(raw, wait ? UV_RUN_ONCE : UV_RUN_NOWAIT) != 0 }

    /// Milliseconds on the loop's clock (cached at the start of each iteration).
    public var nowMillis: UInt64 { uv_now(raw) }

    /// Closes every handle still open (their owners' close callbacks release them), runs the
    /// loop until they are gone, and frees the loop.
    public func closeAll() {
        uv_walk(raw, { h, _ in
            if uv_is_closing(h) == 0 { closeAny(h!) }
        }, nil)
        uv_run(raw, UV_RUN_DEFAULT)
        uv_loop_close(raw)
    }

    deinit {
        raw.deallocate()
        tcpReadBuffer.deallocate()
    }
}

/// The close callback of every handle type here: `data` points at a `Closable` owner.
protocol Closable: AnyObject {
    func handleClosed()
}

/// The one copy of the code that owns a libuv handle (STYLE.md): the handle allocated and
/// initialised (and freed again if that fails), the owner stored in its `data` once the
/// subclass is ready (`retainAsData`), and the close: requested once, then, in libuv's close
/// callback and only there, the subclass drops its callbacks (`released`), the reference in
/// `data` is let go and the memory freed.
public class UVHandle<Raw>: Closable {
    let raw: UnsafeMutablePointer<Raw>
    /// Set by the first `close` (or by libuv's close callback, after `UVLoop.closeAll`): the
    /// handle's memory is freed once closed, so a second `close` must not read it.
    var closeRequested = false
    /// Set in libuv's close callback, once: from then on the handle's memory is freed and its
    /// owner no longer retained by it.
    public private(set) var closeCompleted = false

    init(_ operation: @autoclosure () -> String, _ initialise: (UnsafeMutablePointer<Raw>) -> Int32) throws(UVError) {
        raw = .allocate(capacity: 1)
        do { try uvCheck(initialise(raw), operation()) } catch {
            raw.deallocate()
            throw error
        }
    }

    /// Stores the owner in the handle's `data`: from here libuv may call it, and it lives until
    /// the close callback.
    func retainAsData() { handle(raw).pointee.data = Unmanaged.passRetained(self as AnyObject).toOpaque() }

    public func close() {
        guard !closeRequested else { return }
        closeRequested = true
        if uv_is_closing(handle(raw)) == 0 { closeAny(handle(raw)) }
    }

    func handleClosed() {
        precondition(!closeCompleted, "libuv closed a handle twice: its memory would be freed twice")
        closeCompleted = true
        closeRequested = true
        released()
        raw.deallocate()
    }

    /// What the owner drops when its handle is gone (its callbacks, its own buffers).
    func released() {}
}

func closeAny(_ h: UnsafeMutablePointer<uv_handle_t>) {
    uv_close(h) { h in
        let box = Unmanaged<AnyObject>.fromOpaque(h!.pointee.data!)
        (box.takeUnretainedValue() as! Closable).handleClosed()
        box.release()
    }
}
