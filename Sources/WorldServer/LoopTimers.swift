// The server loop's timers and signal handlers: one owner, so that starting and closing them
// is in one place (run() starts them, the shutdown closes them).

import Transport

struct LoopTimers {
    /// Runs the ticks that are due.
    var tick: UVTimer?
    /// The status line in the log.
    var status: UVTimer?
    /// Once a second: empty rooms close, desk holds and closing time.
    var everySecond: UVTimer?
    /// The operator's view.
    var publish: UVTimer?
    /// Closes every connection a moment after the shutdown notices.
    var closer: UVTimer?
    /// SIGINT and SIGTERM.
    var signals: [UVSignal] = []
}
