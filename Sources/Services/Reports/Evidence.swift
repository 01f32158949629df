// The evidence a citizen's report carries (docs/DATA.md, "user_reports.evidence"): who, where,
// when, what they said to each other and where they stood, as JSON with sorted keys so that
// the same evidence is always the same text.

import Foundation

public struct ReportEvidence: Codable, Sendable, Hashable {
    public struct Party: Codable, Sendable, Hashable {
        public var session: String
        public var account: String?
        public var name: String
        public var entity: UInt32?
        public var positions: [TrackPoint]
    }

    public struct Line: Codable, Sendable, Hashable {
        public var atMillis: Int64
        public var tick: UInt64
        public var channel: String
        public var from: String
        public var fromAccount: String?
        /// Which of the two parties received it (by role: "reporter", "reported"), if any.
        public var receivedBy: [String]
        public var sent: String
        public var delivered: String
    }

    public struct Recording: Codable, Sendable, Hashable {
        public var file: String
        public var tick: UInt64
        public init(file: String, tick: UInt64) {
            self.file = file
            self.tick = tick
        }
    }

    public var spaceID: String?
    public var tick: UInt64?
    public var atMillis: Int64
    public var reporter: Party
    public var reported: Party
    public var chat: [Line]
    /// Where an investigator starts `seoulworld replay --from`.
    public var recording: Recording?

    static let channelNames = ["nearby", "room", "direct", "announcement"]

    public init(spaceID: String?, tick: UInt64?, atMillis: Int64, reporter: Party, reported: Party, lines: [ChatLine],
                reporterSession: UInt64, reportedSession: UInt64, recording: Recording?) {
        self.spaceID = spaceID
        self.tick = tick
        self.atMillis = atMillis
        self.reporter = reporter
        self.reported = reported
        self.recording = recording
        chat = lines.map { l in
            var received: [String] = []
            if l.recipients.contains(reporterSession) { received.append("reporter") }
            if l.recipients.contains(reportedSession) { received.append("reported") }
            return Line(atMillis: l.atMillis, tick: l.tick, channel: Int(l.channel) < Self.channelNames.count ? Self.channelNames[Int(l.channel)] : "\(l.channel)",
                        from: l.senderName, fromAccount: l.senderAccount, receivedBy: received, sent: l.sent, delivered: l.delivered)
        }
    }

    public static func party(session: UInt64, account: String?, name: String, entity: UInt32?, positions: [TrackPoint]) -> Party {
        Party(session: String(session, radix: 16), account: account, name: name, entity: entity, positions: positions)
    }

    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    public static func decode(_ json: String) throws -> ReportEvidence {
        try JSONDecoder().decode(ReportEvidence.self, from: Data(json.utf8))
    }
}
