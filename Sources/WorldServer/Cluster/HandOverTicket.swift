// Tickets (issue 25; docs/PROTOCOL.md 4.4): what a node gives a citizen who travels to a space
// another node hosts (a hand-over ticket, for that node), or to come back with after a dropped
// connection (a resume ticket, for any node of the cluster), and what the citizen shows instead
// of a token. Signed with the cluster's secret (every node holds it; no client does),
// short-lived, and used once (the directory keeps the ids used: Store's Directory.swift,
// `redeemTicket`).
//
// Layout, little-endian:
//   [version] (u8, 2) [ticketID] (16 bytes, random) [node] (string8: the destination; empty for
//   a resume ticket, good on any node) [issuer] (string8: the node that made it) [space] (string8) [instance] (u16) [requestID] (u32, the
//   enterSpace it answers) [role] (u8: 0 guest, 1 member) [accountID] (string8, empty for a
//   guest) [displayName] (string8) [roles] (u8, as in member tokens) [expiresAtUnixMillis] (u64)
//   [floor] (u8: 255 for no spot) [x] (i32, cm) [y] (i32, cm): where to place the avatar, nearest
//   free spot (a resume ticket: where the avatar stood)
//   [mac] (32 bytes: HMAC-SHA256 with the cluster secret over every byte before it)

import NetProto

public struct HandOverTicket: Hashable, Sendable {
    public var id: [UInt8]
    public var node: String
    /// The node that made it: a citizen who comes back with a resume ticket to another node could
    /// not reach this one.
    public var issuer: String
    public var space: String
    public var instance: UInt16
    public var requestID: UInt32
    /// 0 guest, 1 member (as `welcome`'s role).
    public var role: UInt8
    public var accountID: String
    public var displayName: String
    public var roles: MemberToken.Roles
    public var expiresAtUnixMillis: UInt64
    /// Where to place the avatar (the free spot nearest it), if anywhere in particular.
    public var spot: Spot?

    /// A floor and a position in centimetres, as the world keeps them.
    public struct Spot: Hashable, Sendable {
        public var floor: UInt8
        public var x: Int32
        public var y: Int32
        public init(floor: UInt8, x: Int32, y: Int32) {
            self.floor = floor
            self.x = x
            self.y = y
        }
    }

    /// Whether it is a resume ticket: good on any node of the cluster.
    public var isResume: Bool { node.isEmpty }

    public static let idBytes = 16
    static let layoutVersion: UInt8 = 2
    /// A resume ticket is good this long after it was issued; a client holds a fresh one while
    /// it is in a space (the node sends another every `resumeRefreshMillis`).
    public static let resumeLifetimeMillis: UInt64 = 60_000
    public static let resumeRefreshMillis: UInt64 = 20_000
    /// How long a ticket is good for: long enough to connect to the other node over a slow
    /// network, short enough that a copied one is soon worthless.
    public static let lifetimeMillis: UInt64 = 30_000

    public init(id: [UInt8], node: String, issuer: String, space: String, instance: UInt16, requestID: UInt32, role: UInt8, accountID: String,
                displayName: String, roles: MemberToken.Roles, expiresAtUnixMillis: UInt64, spot: Spot? = nil) {
        precondition(id.count == Self.idBytes)
        self.id = id
        self.node = node
        self.issuer = issuer
        self.space = space
        self.instance = instance
        self.requestID = requestID
        self.role = role
        self.accountID = accountID
        self.displayName = displayName
        self.roles = roles
        self.expiresAtUnixMillis = expiresAtUnixMillis
        self.spot = spot
    }

    /// The id as the directory keeps it (lowercase hex).
    public var idText: String { id.map { String($0, radix: 16).leftPadded(to: 2) }.joined() }

    public enum Failure: Error, Hashable, Sendable, CustomStringConvertible {
        case malformed(String)
        case badSignature
        case expired(atUnixMillis: UInt64)
        case otherNode(String)

        public var description: String {
            switch self {
            case .malformed(let why): "the ticket is malformed: \(why)"
            case .badSignature: "the ticket's signature does not verify with this cluster's secret"
            case .expired(let at): "the ticket expired at unix time \(at / 1_000).\(String(at % 1_000).leftPadded(to: 3, with: "0")); travel again from where you are"
            case .otherNode(let node): "the ticket is for node '\(node)', not this one; connect to the node it names"
            }
        }
    }

    public func signed(secret: [UInt8]) -> [UInt8] {
        precondition(secret.count >= MemberToken.secretBytesMin, "cluster secret shorter than \(MemberToken.secretBytesMin) bytes")
        var w = ByteWriter()
        w.u8(Self.layoutVersion)
        w.raw(id)
        w.string8(node)
        w.string8(issuer)
        w.string8(space)
        w.u16(instance)
        w.u32(requestID)
        w.u8(role)
        w.string8(accountID)
        w.string8(displayName)
        w.u8(roles.rawValue)
        w.u64(expiresAtUnixMillis)
        w.u8(spot?.floor ?? 255)
        w.i32(spot?.x ?? 0)
        w.i32(spot?.y ?? 0)
        return Signed.sign(w.bytes, secret: secret)
    }

    /// The signature first (nothing in an unsigned ticket is believed), then the fields, the
    /// node and the expiry. Whether it was used already is the directory's to say.
    public static func verify(_ bytes: [UInt8], secret: [UInt8], node: String, nowUnixMillis: UInt64) -> Result<HandOverTicket, Failure> {
        let body: [UInt8]
        switch Signed.body(of: bytes, secret: secret) {
        case .success(let b): body = b
        case .failure(.tooShort): return .failure(.malformed("\(bytes.count) bytes is too short for a ticket"))
        case .failure(.badSignature): return .failure(.badSignature)
        }
        do {
            var r = ByteReader(body)
            let version = try r.u8()
            guard version == layoutVersion else {
                return .failure(.malformed("ticket layout \(version); this server reads layout \(layoutVersion) (every node of a cluster must run the same version)"))
            }
            let id = try r.raw(idBytes)
            let target = try r.string8("node", maximum: 64)
            let issuer = try r.string8("issuer", maximum: 64)
            let space = try r.string8("space", maximum: WireProtocol.spaceIDBytesMax)
            let instance = try r.u16()
            let request = try r.u32()
            let role = try r.u8()
            let account = try r.string8("accountID", maximum: WireProtocol.accountIDBytesMax)
            let name = try r.string8("displayName", maximum: WireProtocol.displayNameBytesMax)
            let roles = MemberToken.Roles(rawValue: try r.u8())
            let expires = try r.u64()
            let floor = try r.u8(), x = try r.i32(), y = try r.i32()
            try r.finish()
            guard role <= 1, (role == 1) == !account.isEmpty, !name.isEmpty, instance >= 1 else {
                return .failure(.malformed("role \(role) with account '\(account)', name '\(name)', instance \(instance)"))
            }
            guard target.isEmpty || target == node else { return .failure(.otherNode(target)) }
            guard nowUnixMillis < expires else { return .failure(.expired(atUnixMillis: expires)) }
            return .success(HandOverTicket(id: id, node: target, issuer: issuer, space: space, instance: instance, requestID: request, role: role, accountID: account,
                                           displayName: name, roles: roles, expiresAtUnixMillis: expires,
                                           spot: floor == 255 ? nil : Spot(floor: floor, x: x, y: y)))
        } catch {
            return .failure(.malformed("\(error)"))
        }
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
