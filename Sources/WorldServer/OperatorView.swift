// What the operator's side (Sources/Admin: the metrics, the admin API, the live map) sees of
// the server, and how it asks the server to act.
//
// The loop thread owns the server's state; no other thread reads it. A few times a second the
// loop thread copies what the operator's side needs into an `OperatorView`, an immutable value,
// and swaps it into the `OperatorBoard`; HTTP handlers on their own threads read the latest
// view and never touch the worlds. Requests to act (a notice, a kick, a ban) go the other way,
// through the server's mailbox (`Server.perform(_:reply:)`), and are answered on the loop
// thread, after the store committed what needs committing.

import Foundation
import NetProto
import Store

/// One published picture of the server. Everything in it is a copy.
public struct OperatorView: Sendable {
    /// Counts the views published by this server (1 for the first).
    public var sequence: UInt64
    /// Wall-clock time of the copy, Unix milliseconds.
    public var atMillis: Int64
    public var uptimeSeconds: Double
    public var serverVersion: String
    public var tickRateHertz: Int
    /// The durations of the ticks run since the previous view, nanoseconds, oldest first (the
    /// operator's side keeps its own window and histogram of them; at most
    /// `OperatorView.newTicksMax`, so the loop thread never sorts for a view).
    public var newTickNanos: [UInt64]
    public var counters: ServerCounters
    /// Datagrams dropped, by reason (`UDPDropReason`'s order).
    public var udpDroppedByReason: [Int]
    public var clients: [ClientCount]
    /// Every space served now (public spaces, then open rooms), in id order.
    public var spaces: [SpaceFigures]
    public var rooms: [RoomFigures]
    public var desks: [DeskFigures]
    /// The store writer's figures, when the server keeps records.
    public var store: StoreWriter.Figures?
    /// Whether the server is shutting down (no longer ready).
    public var stopping: Bool
    /// This node's part in a cluster (docs/CLUSTER.md); nil for a server alone.
    public var cluster: ClusterFigures? = nil

    public static let newTicksMax = 1_200
}

/// A node's view of its cluster, for the operator.
public struct ClusterFigures: Sendable {
    public var node: String
    /// The space instances this node hosts now.
    public var hosting: [String]
    /// The directory as last read: the nodes and who hosts what.
    public var nodes: [ClusterNode]
    public var hosts: [SpaceHostEntry]
    /// Whether the last round with the directory succeeded.
    public var directoryReachable: Bool
    public var roundsFailed: Int
    public var leasesLost: Int
    public var handOversOut: Int
    public var ticketsAdmitted: Int
    public var ticketsRefused: Int
    /// Resume tickets given to citizens in public spaces, and citizens placed here with one.
    public var resumeTicketsIssued: Int
    public var resumed: Int
    /// Messages passed to other nodes (direct lines, announcements, notices) and heard from them.
    public var relaySent: Int
    public var relayReceived: Int
    /// Direct lines from another node that met the recipient's block, or found them gone.
    public var relayBlocked: Int
    public var relayUndelivered: Int
    /// Messages that could not be passed (the directory did not answer); payloads not understood.
    public var relayFailed: Int
    public var relayUnreadable: Int
    /// Travel refused because the destination's node had stopped announcing itself.
    public var travelRefusedQuiet: Int
    /// Overflow instances opened and closed here; newcomers sent on from a full first instance.
    public var instancesOpened: Int
    public var instancesClosed: Int
    public var overflowRedirected: Int
    /// Spaces this node gave back to the node that prefers them.
    public var spacesGivenBack: Int
    /// Visits of failed servers' runs this node ended as `crash`.
    public var crashedVisitsClosed: Int
    /// Avatars left standing for dropped connections, taken back by their citizens, and gone after the window.
    public var awayHeld: Int
    public var awayAdopted: Int
    public var awayExpired: Int
    /// The nodes cut off from the others (this one among them, when it is).
    public var cutOff: [String] = []
    public var reachTries = 0
    public var reachFailures = 0
    public var timesCutOff = 0
}

/// Why a datagram was dropped without an answer.
public enum UDPDropReason: Int, CaseIterable, Sendable {
    /// Not a packet of this protocol (short, wrong magic or version, bad length).
    case malformed
    /// A bind request or challenge answer for no active session.
    case unknownSession
    /// A challenge answered wrongly, or for an old nonce.
    case challengeFailed
    /// Input from an address the session is not bound to.
    case notBound
    /// A packet only the server sends (challenge, bound, snapshot).
    case wrongDirection

    /// The label value in /metrics.
    public var name: String {
        switch self {
        case .malformed: return "malformed"
        case .unknownSession: return "unknown_session"
        case .challengeFailed: return "challenge_failed"
        case .notBound: return "not_bound"
        case .wrongDirection: return "wrong_direction"
        }
    }
}

public struct ClientCount: Sendable, Hashable {
    /// guest, member, mentee, mentor or staff (the highest of the token's roles).
    public var role: String
    /// udp once the session's UDP address is bound, else tcp.
    public var transport: String
    public var count: Int
}

public struct SpaceFigures: Sendable {
    public var id: String
    /// public or room.
    public var kind: String
    public var population: Int
    public var capacity: Int
    public var floorCount: Int
    public var avatars: AvatarDots
}

/// Where every avatar of a space stands, column by column (compact to copy and to send).
public struct AvatarDots: Sendable {
    /// The protocol's entity numbers.
    public var entity: [UInt32] = []
    /// Centimetres, world coordinates.
    public var x: [Int32] = []
    public var y: [Int32] = []
    /// Floor indexes into the space's floors.
    public var floor: [UInt8] = []
    /// `AvatarDots.role(of:)` codes: 0 guest, 1 member, 2 mentee, 3 mentor, 4 staff.
    public var role: [UInt8] = []
    /// Members' display names ("" for a guest: a guest's name is never shown to operators).
    public var name: [String] = []

    public var count: Int { entity.count }
    public static let roleNames = ["guest", "member", "mentee", "mentor", "staff"]
}

public struct RoomFigures: Sendable {
    public var id: UInt32
    public var spaceID: String
    public var template: String
    public var title: String
    /// Open, invited or code (the room's access rule).
    public var access: String
    public var population: Int
    public var capacity: Int
}

public struct DeskFigures: Sendable {
    public var id: String
    public var name: String
    public var space: String
    public var open: Bool
    public var serving: Int
    public var inSession: Int
    public var waiting: Int
    /// How long the first in the queue has waited, milliseconds (0 when no one waits).
    public var longestWaitMillis: Int64
    public var medianSessionMillis: Int64
}

/// The latest view, swapped whole under a lock; readers copy it out (a struct of arrays, so
/// the copy is a few reference counts).
public final class OperatorBoard: @unchecked Sendable {
    private let lock = NSLock()
    private var latest: OperatorView?
    private var subscribers: [@Sendable (OperatorView) -> Void] = []

    public init() {}

    /// The latest view, nil before the first.
    public var view: OperatorView? { lock.withLock { latest } }

    /// Calls `body` with every view as it is published, on the loop thread: it must be quick
    /// (the metrics use it to count every tick into their histogram).
    public func subscribe(_ body: @escaping @Sendable (OperatorView) -> Void) {
        lock.withLock { subscribers.append(body) }
    }

    func publish(_ view: OperatorView) {
        let subscribers = lock.withLock { () -> [@Sendable (OperatorView) -> Void] in
            latest = view
            return self.subscribers
        }
        for s in subscribers { s(view) }
    }
}

/// What an operator asks of the server through the admin API.
public enum OperatorAction: Sendable, Hashable {
    /// An announcement to everyone in a space, or everywhere when `spaceID` is nil.
    case notice(text: String, spaceID: String?)
    case kick(account: String, reason: String)
    /// 1 s to 30 days.
    case mute(account: String, seconds: Int, reason: String)
    /// 0 s bans for good; at most 10 years.
    case ban(account: String, seconds: Int, reason: String)
    case resolveReport(id: Int64, resolution: String)
}

/// How it went, said for the operator: `status` is the HTTP status the admin API answers with.
public struct OperatorReply: Sendable, Hashable {
    public var status: Int
    public var message: String
    /// How many sessions it reached (a notice's recipients, a kick's sessions).
    public var sessions: Int
    /// The record it made, where it made one (a notice's number).
    public var id: Int64?

    public init(status: Int, message: String, sessions: Int = 0, id: Int64? = nil) {
        self.status = status
        self.message = message
        self.sessions = sessions
        self.id = id
    }
}
