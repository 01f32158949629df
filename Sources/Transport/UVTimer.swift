// Timers, signals and cross-thread wake-ups on a loop.

import CLibUV

public final class UVTimer: Closable {
    let raw: UnsafeMutablePointer<uv_timer_t>
    var onFire: () -> Void

    public init(loop: UVLoop, _ onFire: @escaping () -> Void) throws(UVError) {
        raw = .allocate(capacity: 1)
        self.onFire = onFire
        do { try uvCheck(uv_timer_init(loop.raw, raw), "uv_timer_init") } catch {
            raw.deallocate()
            throw error
        }
        raw.pointee.data = Unmanaged.passRetained(self as AnyObject).toOpaque()
    }

    /// Fires after `afterMillis`, then every `repeatMillis` (0: once).
    public func start(afterMillis: UInt64, repeatMillis: UInt64) {
        uv_timer_start(raw, { t in owner(handle(t!), as: UVTimer.self).onFire() }, afterMillis, repeatMillis)
    }

    public func stop() { uv_timer_stop(raw) }
    /// Set by the first `close` (or by libuv's close callback, after `UVLoop.closeAll`): the
    /// handle's memory is freed once closed, so a second `close` must not read it.
    var closeRequested = false
    public func close() {
        guard !closeRequested else { return }
        closeRequested = true
        if uv_is_closing(handle(raw)) == 0 { closeAny(handle(raw)) }
    }
    func handleClosed() {
        closeRequested = true
        onFire = {}
        raw.deallocate()
    }
}

/// Calls back on the loop's thread when the process gets a signal (SIGINT, SIGTERM).
public final class UVSignal: Closable {
    let raw: UnsafeMutablePointer<uv_signal_t>
    var onSignal: (Int32) -> Void

    public init(loop: UVLoop, signal: Int32, _ onSignal: @escaping (Int32) -> Void) throws(UVError) {
        raw = .allocate(capacity: 1)
        self.onSignal = onSignal
        do { try uvCheck(uv_signal_init(loop.raw, raw), "uv_signal_init") } catch {
            raw.deallocate()
            throw error
        }
        raw.pointee.data = Unmanaged.passRetained(self as AnyObject).toOpaque()
        do {
            try uvCheck(uv_signal_start(raw, { s, signum in owner(handle(s!), as: UVSignal.self).onSignal(signum) }, signal), "uv_signal_start")
        } catch {
            close()
            throw error
        }
    }

    /// Set by the first `close` (or by libuv's close callback, after `UVLoop.closeAll`): the
    /// handle's memory is freed once closed, so a second `close` must not read it.
    var closeRequested = false
    public func close() {
        guard !closeRequested else { return }
        closeRequested = true
        if uv_is_closing(handle(raw)) == 0 { closeAny(handle(raw)) }
    }
    func handleClosed() {
        closeRequested = true
        onSignal = { _ in }
        raw.deallocate()
    }
}

/// Wakes the loop from another thread: `send()` is libuv's one thread-safe call.
public final class UVAsync: Closable, @unchecked Sendable {
    let raw: UnsafeMutablePointer<uv_async_t>
    var onWake: () -> Void

    public init(loop: UVLoop, _ onWake: @escaping () -> Void) throws(UVError) {
        raw = .allocate(capacity: 1)
        self.onWake = onWake
        do {
            try uvCheck(uv_async_init(loop.raw, raw, { a in owner(handle(a!), as: UVAsync.self).onWake() }), "uv_async_init")
        } catch {
            raw.deallocate()
            throw error
        }
        raw.pointee.data = Unmanaged.passRetained(self as AnyObject).toOpaque()
    }

    /// Safe from any thread; several sends before the loop wakes call back once.
    public func send() { uv_async_send(raw) }
    /// Set by the first `close` (or by libuv's close callback, after `UVLoop.closeAll`): the
    /// handle's memory is freed once closed, so a second `close` must not read it.
    var closeRequested = false
    public func close() {
        guard !closeRequested else { return }
        closeRequested = true
        if uv_is_closing(handle(raw)) == 0 { closeAny(handle(raw)) }
    }
    func handleClosed() {
        closeRequested = true
        onWake = {}
        raw.deallocate()
    }
}
