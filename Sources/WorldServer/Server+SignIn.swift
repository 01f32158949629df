// Signing in (docs/PROTOCOL.md, sections 6 and 7.7): a guest with a display name, or a member
// with a token the city's issuer signed. A member's standing (an active ban or mute, the
// accounts it blocks) is read from the store before `welcome`: a banned account is refused
// with `banned` and the time it ends; a muted one is welcomed and told. An admitted member is
// published to the features (`signedIn`: a desk holding its place hears that it is back).
//
// Invariants:
// 1. A member's session is admitted to its account's sessions (SessionTable) only once its
//    standing allows it.
// 2. Every sign-in is answered once: `welcome`, or a refusal that closes the connection.

import NetProto
import Store

extension Server {
    /// The `welcome` role of every client of a recording.
    static let spectatorRole: UInt8 = 2

    func signInGuest(_ s: Session, name: String) {
        s.role = replay == nil ? 0 : Self.spectatorRole
        s.displayName = name
        perform(s.machine.authenticated(welcome(for: s)), for: s)
    }

    func signInMember(_ s: Session, token: [UInt8]) {
        let now = UInt64(nowUnixMillis() / 1_000)
        switch MemberToken.verify(token, secret: configuration.tokenSecret, nowUnixSeconds: now) {
        case .success(let t):
            s.role = replay == nil ? 1 : Self.spectatorRole
            s.displayName = t.displayName
            s.accountID = t.accountID
            s.roles = t.roles
            recordAccount(t)
            // Signing in anew (not resuming): an avatar this account left standing here goes.
            cluster.letAwayGo(account: t.accountID)
            admitMember(s)
        case .failure(.expired(let at)):
            perform(s.machine.refused(.tokenExpired, "the token expired at unix time \(at)"), for: s)
        case .failure(let failure):
            perform(s.machine.refused(.authenticationFailed, "the token does not verify: \(failure)"), for: s)
        }
    }

    /// A member whose token (or hand-over ticket) verified: admitted once its standing is
    /// known; `then` runs after the welcome, when the standing let the member in.
    func admitMember(_ s: Session, then: ((Session) -> Void)? = nil) {
        guard records != nil, replay == nil, let account = s.accountID else {
            welcomeMember(s, standing: AccountStanding(), then: then)
            return
        }
        let sessionID = s.id
        guard submit(read: .standing(accountID: account, nowMillis: nowUnixMillis()), then: { [unowned self] result in
            guard let s = self.sessions[sessionID] else { return }
            switch result {
            case .success(.standing(let standing)): self.welcomeMember(s, standing: standing, then: then)
            case .success, .failure:
                self.perform(s.machine.refused(.internalError, "this account's standing could not be read from the store; try again shortly"), for: s)
            }
        }) else {
            perform(s.machine.refused(.busy, "the server's store is saturated just now; try again in a few seconds"), for: s)
            return
        }
    }

    func welcomeMember(_ s: Session, standing: AccountStanding, then: ((Session) -> Void)? = nil) {
        let now = nowUnixMillis()
        if let ban = standing.ban, ban.isActive(at: now) {
            counters.bannedRefused += 1
            perform(s.machine.refused(.banned, "this account is banned \(ModerationSubsystem.describeUntil(ban.endsAtMillis)): \(ban.reason)"), for: s)
            return
        }
        s.chat.blocked = Set(standing.blocked)
        if let mute = standing.mute, mute.isActive(at: now) { s.chat.mutedUntilMillis = mute.endsAtMillis ?? .max }
        if let account = s.accountID { sessions.admit(s, account: account) }
        perform(s.machine.authenticated(welcome(for: s)), for: s)
        publish(.signedIn(s, standing: standing))
        if let until = s.chat.mutedUntilMillis, let mute = standing.mute {
            s.send(.notice(kind: .muted, untilUnixMillis: until == .max ? 0 : UInt64(until), text: "you are muted \(ModerationSubsystem.describeUntil(until)): \(mute.reason)"))
        }
        then?(s)
    }

    func welcome(for s: Session) -> Welcome {
        Welcome(sessionID: s.id, udpSecret: s.secret, tickRateHertz: UInt16(configuration.tickRateHertz), role: s.role,
                displayName: s.displayName, spaces: host.entries)
    }
}
