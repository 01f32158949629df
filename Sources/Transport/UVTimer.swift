// Timers, signals and cross-thread wake-ups on a loop.

import CLibUV

public final class UVTimer: UVHandle<uv_timer_t> {
    var onFire: () -> Void

    public init(loop: UVLoop, _ onFire: @escaping () -> Void) throws(UVError) {
        self.onFire = onFire
        try super.init("uv_timer_init") { uv_timer_init(loop.raw, $0) }
        retainAsData()
    }

    /// Fires after `afterMillis`, then every `repeatMillis` (0: once).
    public func start(afterMillis: UInt64, repeatMillis: UInt64) {
        uv_timer_start(raw, { t in owner(handle(t!), as: UVTimer.self).onFire() }, afterMillis, repeatMillis)
    }

    public func stop() { uv_timer_stop(raw) }

    override func released() { onFire = {} }
}

/// Calls back on the loop's thread when the process gets a signal (SIGINT, SIGTERM).
public final class UVSignal: UVHandle<uv_signal_t> {
    var onSignal: (Int32) -> Void

    public init(loop: UVLoop, signal: Int32, _ onSignal: @escaping (Int32) -> Void) throws(UVError) {
        self.onSignal = onSignal
        try super.init("uv_signal_init") { uv_signal_init(loop.raw, $0) }
        retainAsData()
        do {
            try uvCheck(uv_signal_start(raw, { s, signum in owner(handle(s!), as: UVSignal.self).onSignal(signum) }, signal), "uv_signal_start")
        } catch {
            close()
            throw error
        }
    }

    override func released() { onSignal = { _ in } }
}

/// Wakes the loop from another thread: `send()` is libuv's one thread-safe call.
public final class UVAsync: UVHandle<uv_async_t>, @unchecked Sendable {
    var onWake: () -> Void

    public init(loop: UVLoop, _ onWake: @escaping () -> Void) throws(UVError) {
        self.onWake = onWake
        try super.init("uv_async_init") { uv_async_init(loop.raw, $0, { a in owner(handle(a!), as: UVAsync.self).onWake() }) }
        retainAsData()
    }

    /// Safe from any thread; several sends before the loop wakes call back once.
    public func send() { uv_async_send(raw) }

    override func released() { onWake = {} }
}
