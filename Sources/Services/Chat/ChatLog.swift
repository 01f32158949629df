// The last minutes of a space's chat, in memory only (chat text is never stored, except as
// evidence attached to a report): bounded by age, by count and by bytes, oldest dropped first.
//
// Invariants: lines are in the order they were appended (non-decreasing time); the count is
// at most `linesMax` and the bytes at most `bytesMax` after every append.

public struct ChatLine: Sendable, Hashable {
    public var atMillis: Int64
    public var tick: UInt64
    /// 0 nearby, 1 room, 2 direct, 3 announcement (the protocol's channel numbers).
    public var channel: UInt8
    public var senderSession: UInt64
    public var senderAccount: String?
    public var senderName: String
    /// The sessions it was delivered to (empty for an announcement to everyone).
    public var recipients: [UInt64]
    /// The text as its sender wrote it (normalised) and as it was delivered (masked if filtered).
    public var sent: String
    public var delivered: String

    public init(atMillis: Int64, tick: UInt64, channel: UInt8, senderSession: UInt64, senderAccount: String?, senderName: String,
                recipients: [UInt64], sent: String, delivered: String) {
        self.atMillis = atMillis
        self.tick = tick
        self.channel = channel
        self.senderSession = senderSession
        self.senderAccount = senderAccount
        self.senderName = senderName
        self.recipients = recipients
        self.sent = sent
        self.delivered = delivered
    }

    /// What the line costs to keep, roughly: its text, its names and its recipient list.
    var bytes: Int { 96 + sent.utf8.count + delivered.utf8.count + senderName.utf8.count + (senderAccount?.utf8.count ?? 0) + recipients.count * 8 }

    public func involves(_ session: UInt64) -> Bool { senderSession == session || recipients.contains(session) }
}

public struct ChatLog: Sendable {
    public struct Limits: Sendable {
        public var keepMillis: Int64 = 5 * 60_000
        public var linesMax = 2_000
        public var bytesMax = 1_048_576
        public init() {}
    }

    public let limits: Limits
    var lines: [ChatLine] = []
    var start = 0
    public private(set) var bytes = 0
    /// Lines dropped for count or bytes before their time (a busy space keeps less than five minutes).
    public private(set) var droppedEarly = 0

    public init(limits: Limits = Limits()) { self.limits = limits }

    public var count: Int { lines.count - start }

    public mutating func append(_ line: ChatLine) {
        lines.append(line)
        bytes += line.bytes
        forget(before: line.atMillis - limits.keepMillis)
        while count > limits.linesMax || (bytes > limits.bytesMax && count > 1) {
            drop()
            droppedEarly += 1
        }
        assert(count <= limits.linesMax)
    }

    /// Drops lines older than `millis` (the server calls it as time passes, too).
    public mutating func forget(before millis: Int64) {
        while start < lines.count && lines[start].atMillis < millis { drop() }
    }

    mutating func drop() {
        bytes -= lines[start].bytes
        start += 1
        if start >= 1_024 && start * 2 >= lines.count {
            lines.removeFirst(start)
            start = 0
        }
    }

    /// The lines any of `sessions` sent or received, oldest first, at most `max` (the newest).
    public func lines(involving sessions: [UInt64], max: Int = 200) -> [ChatLine] {
        var out: [ChatLine] = []
        var i = lines.count - 1
        while i >= start && out.count < max {
            let line = lines[i]
            if sessions.contains(where: { line.involves($0) }) { out.append(line) }
            i -= 1
        }
        return out.reversed()
    }
}
