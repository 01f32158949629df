// What the server needs of a client's byte stream: write a frame, close, know whether it is
// closed. A TCP connection is one; a test's in-memory pipe (WorldServer's VirtualDriver) is
// the other, so that the same server code serves both.

public protocol ByteChannel: AnyObject {
    /// Queues `bytes`; false when the channel is closed or closes now (its queue overflowed).
    @discardableResult func write(_ bytes: [UInt8]) -> Bool
    /// Closes the channel; its owner hears of it once, later, as it would from the socket.
    func close()
    var isClosed: Bool { get }
}

extension TCPConnection: ByteChannel {}
