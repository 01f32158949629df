// Arriving on a node with a ticket (issue 25; docs/PROTOCOL.md 7.19, 7.20): a hand-over or
// resume ticket checked, redeemed once in the directory (ClusterSubsystem's invariant 3), the
// citizen signed in as the ticket says and placed where it goes: its own avatar if it stood
// here away (ClusterSubsystem+Away.swift), the spot it dropped from, or on to the space's host.

import Foundation
import NetProto
import Services
import Store
import WorldCore

extension ClusterSubsystem {
    // MARK: Arriving with a ticket

    /// A client authenticating with a ticket: checked here, then redeemed in the directory
    /// (once only, invariant 3), then signed in as the ticket says and placed in its space.
    func signIn(_ s: Session, ticket bytes: [UInt8]) {
        guard let settings, let link else {
            return refuse(s, .ticketInvalid, "this server is not a node of a cluster and takes no tickets: sign in with a token or as a guest")
        }
        let ticket: HandOverTicket
        switch HandOverTicket.verify(bytes, secret: settings.secret, node: settings.node, nowUnixMillis: UInt64(server.nowUnixMillis())) {
        case .success(let t): ticket = t
        case .failure(let failure):
            let code: ErrorCode
            switch failure {
            case .expired: code = .ticketExpired
            case .otherNode: code = .wrongNode
            case .malformed, .badSignature: code = .ticketInvalid
            }
            return refuse(s, code, failure.description)
        }
        let sessionID = s.id
        link.submit(.redeem(id: ticket.idText, expiresAtMillis: Int64(ticket.expiresAtUnixMillis)) { [weak self] result in
            guard let self, let s = self.server.sessions[sessionID] else { return }
            switch result {
            case .failure(let error):
                self.refuse(s, .busy, "the cluster's directory could not be reached to check the ticket; try again in a few seconds (\(error))")
            case .success(false):
                self.refuse(s, .ticketUsed, "this ticket was used already: each ticket admits once; travel again from where you are")
            case .success(true):
                self.admit(s, ticket)
            }
        })
    }

    func refuse(_ s: Session, _ code: ErrorCode, _ text: String) {
        figures.ticketsRefused += 1
        server.perform(s.machine.refused(code, text), for: s)
    }

    func admit(_ s: Session, _ ticket: HandOverTicket) {
        figures.ticketsAdmitted += 1
        s.displayName = ticket.displayName
        guard ticket.role == 1 else {
            s.role = 0
            server.perform(s.machine.authenticated(server.welcome(for: s)), for: s)
            return arrive(s, ticket)
        }
        s.role = 1
        s.accountID = ticket.accountID
        s.roles = ticket.roles
        server.recordAccount(MemberToken(accountID: ticket.accountID, displayName: ticket.displayName, roles: ticket.roles,
                                         expiresAtUnixSeconds: ticket.expiresAtUnixMillis / 1_000))
        // A ban made while the citizen travelled still refuses them here.
        server.admitMember(s) { [weak self] s in self?.arrive(s, ticket) }
    }

    func arrive(_ s: Session, _ ticket: HandOverTicket) {
        var ticket = ticket
        // Back on the node it dropped from while its avatar still stands: that avatar.
        if ticket.isResume, let old = takeAway(for: ticket), adopt(old, into: s, request: ticket.requestID) { return }
        // Back on the node it dropped from: where it stood as it dropped.
        if ticket.isResume, let dropped = resumes.takeDroppedSpot(ticket.idText) { ticket.spot = dropped }
        var id = SpaceInstanceKey(space: ticket.space, instance: Int(ticket.instance)).description
        // An overflow instance that closed (or whose node failed) meanwhile: any instance with room.
        if ticket.instance >= 2, route(id) == .nobody { id = chooseInstance(ticket.space) }
        switch ticket.isResume ? returnRoute(ticket, id: id) : route(id) {
        case .here:
            if ticket.isResume { figures.resumed += 1 }
            let near = ticket.spot.map { Spot(floor: Int($0.floor), position: Vec2($0.x, $0.y)) }
            server.carryOut(s.presence.enter(id, request: ticket.requestID, to: .publicSpace, near: near), for: s)
        case .elsewhere(let node, let host, let port):
            handOver(s, request: ticket.requestID, space: id, node: node, host: host, port: port, spot: ticket.spot)
        case .nobody where ticket.isResume:
            // Its node failed and its lease is running out: wait for the node that claims it.
            resumes.waiting[s.id] = (ticket, server.clockMillis + ResumeBook.waitMillis)
        case .nobody:
            s.send(.error(code: .notHosted, requestID: ticket.requestID,
                          text: "no node of the city hosts '\(ticket.space)' just now (its node may have stopped); try again in a few seconds"))
        }
    }
}
