// The server's ends of the transport, in one place: the libuv loop, the TCP listener and the
// UDP socket (absent on virtual time) and the mailbox other threads post through. Only the
// loop thread touches them, except the mailbox's post, wake and stop (LoopMailbox).

import Transport

final class LoopIO {
    let loop: UVLoop
    var listener: TCPListener?
    var udp: UDPSocket?
    /// Tasks and the stop request from other threads (set once the loop exists).
    var mailbox: LoopMailbox?

    init(loop: UVLoop) { self.loop = loop }
}
