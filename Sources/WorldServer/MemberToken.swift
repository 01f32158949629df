// Member tokens: what a member presents to authenticate, minted by the city's identity
// service (or `seoulworld token issue` in development) and verified with the server's secret.
//
// Layout, little-endian (docs/PROTOCOL.md, "Member tokens"):
//   [version] (u8, 1) [accountID] (string8, 1-64) [displayName] (string8, 1-48)
//   [roles] (u8 bits: 1 member, 2 staff, 4 mentor, 8 mentee, 16 editor, 32 answerer) [expiresAtUnixSeconds] (u64)
//   [mac] (32 bytes: HMAC-SHA256 with the server secret over every byte before it)

import Crypto
import NetProto

public struct MemberToken: Hashable, Sendable {
    public struct Roles: OptionSet, Hashable, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let member = Roles(rawValue: 1)
        public static let staff = Roles(rawValue: 2)
        public static let mentor = Roles(rawValue: 4)
        /// A young person in the youth mentoring programme (its rooms admit mentors and mentees).
        public static let mentee = Roles(rawValue: 8)
        /// City staff who write and withdraw the notice board's notices.
        public static let editor = Roles(rawValue: 16)
        /// City staff who answer and close the citizens' suggestions.
        public static let answerer = Roles(rawValue: 32)

        /// The names world files use (`admitsRoles`), in bit order.
        public static let named: [(String, Roles)] = [("member", .member), ("staff", .staff), ("mentor", .mentor), ("mentee", .mentee), ("editor", .editor), ("answerer", .answerer)]
        public var names: [String] { Self.named.filter { contains($0.1) }.map(\.0) }
    }

    public var accountID: String
    public var displayName: String
    public var roles: Roles
    public var expiresAtUnixSeconds: UInt64

    public init(accountID: String, displayName: String, roles: Roles, expiresAtUnixSeconds: UInt64) {
        self.accountID = accountID
        self.displayName = displayName
        self.roles = roles
        self.expiresAtUnixSeconds = expiresAtUnixSeconds
    }

    public enum Failure: Error, Hashable, Sendable {
        case malformed(String)
        case badSignature
        case expired(atUnixSeconds: UInt64)
    }

    /// The secret must be at least 32 bytes.
    public static let secretBytesMin = 32

    public func signed(secret: [UInt8]) -> [UInt8] {
        precondition(secret.count >= Self.secretBytesMin, "token secret shorter than \(Self.secretBytesMin) bytes")
        var w = ByteWriter()
        w.u8(1)
        w.string8(accountID)
        w.string8(displayName)
        w.u8(roles.rawValue)
        w.u64(expiresAtUnixSeconds)
        return Signed.sign(w.bytes, secret: secret)
    }

    /// Checks the signature first (nothing in an unsigned token is believed), then the fields,
    /// then the expiry against `nowUnixSeconds`.
    public static func verify(_ bytes: [UInt8], secret: [UInt8], nowUnixSeconds: UInt64) -> Result<MemberToken, Failure> {
        let body: [UInt8]
        switch Signed.body(of: bytes, secret: secret) {
        case .success(let b): body = b
        case .failure(.tooShort): return .failure(.malformed("\(bytes.count) bytes is too short for a token"))
        case .failure(.badSignature): return .failure(.badSignature)
        }
        do {
            var r = ByteReader(body)
            let version = try r.u8()
            guard version == 1 else { return .failure(.malformed("token version \(version); this server reads version 1")) }
            let account = try r.string8("accountID", maximum: 64)
            let name = try r.string8("displayName", maximum: WireProtocol.displayNameBytesMax)
            guard !account.isEmpty, !name.isEmpty else { return .failure(.malformed("empty account id or display name")) }
            let roles = Roles(rawValue: try r.u8())
            let expires = try r.u64()
            try r.finish()
            guard nowUnixSeconds < expires else { return .failure(.expired(atUnixSeconds: expires)) }
            return .success(MemberToken(accountID: account, displayName: name, roles: roles, expiresAtUnixSeconds: expires))
        } catch {
            return .failure(.malformed("\(error)"))
        }
    }
}

/// Bytes followed by their HMAC-SHA256 with a secret: the layout of member tokens and of the
/// cluster's tickets. Nothing in signed bytes is believed before the MAC verifies.
enum Signed {
    static let macBytes = 32

    static func sign(_ body: [UInt8], secret: [UInt8]) -> [UInt8] {
        body + Array(HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: secret)))
    }

    enum Refusal: Error { case tooShort, badSignature }

    /// The body of `bytes` once its MAC verifies with `secret`.
    static func body(of bytes: [UInt8], secret: [UInt8]) -> Result<[UInt8], Refusal> {
        guard bytes.count > macBytes else { return .failure(.tooShort) }
        let body = Array(bytes[..<(bytes.count - macBytes)]), mac = Array(bytes[(bytes.count - macBytes)...])
        guard HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: body, using: SymmetricKey(data: secret)) else {
            return .failure(.badSignature)
        }
        return .success(body)
    }
}

/// The MAC a client computes to bind its UDP address (docs/PROTOCOL.md, section 5).
public func bindingMAC(secret: [UInt8], sessionID: UInt64, nonce: UInt64) -> [UInt8] {
    let input = bindingMACInput(sessionID: sessionID, nonce: nonce)
    return Array(HMAC<SHA256>.authenticationCode(for: input, using: SymmetricKey(data: secret)).prefix(WireProtocol.macBytes))
}
