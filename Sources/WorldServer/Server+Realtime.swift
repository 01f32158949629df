// The realtime channel: UDP datagrams checked in the documented order (PROTOCOL.md, section 9),
// the binding challenge, and inputs applied to the avatar's space (or refused to spectators).

import Transport
import Crypto
import Foundation
import Logging
import NetProto
import Recording
import Services
import Store
import WorldCore
import WorldFiles

extension Server {
    // MARK: UDP

    func receive(datagram bytes: UnsafeRawBufferPointer, from address: SocketAddress) {
        counters.bytesIn += bytes.count
        counters.datagramsIn += 1
        // Size, protocol id and type are checked in place; only a datagram that passes is copied.
        guard Packet.passesFirstChecks(bytes), let packet = try? Packet.decode(Array(bytes)) else {
            drop(.malformed)
            return
        }
        switch packet {
        case .bindRequest(let sessionID):
            guard let s = sessions[sessionID], s.machine.state == .active else {
                drop(.unknownSession)
                return
            }
            send(s.realtime.binding.bindRequested(from: address, nonce: sessions.random.next()))
        case .challengeResponse(let sessionID, let nonce, let mac):
            guard let s = sessions[sessionID] else {
                drop(.unknownSession)
                return
            }
            let expected = bindingMAC(secret: s.secret, sessionID: sessionID, nonce: nonce)
            let action = s.realtime.binding.challengeAnswered(from: address, nonce: nonce, mac: mac, expectedMAC: expected)
            if case .none = action { drop(.challengeFailed) } else { counters.udpBound += 1 }
            send(action)
        case .input(let sessionID, let body):
            guard let s = sessions[sessionID], s.realtime.binding.accepts(from: address) else {
                drop(.notBound)
                return
            }
            s.machine.heard(nowMillis: clockMillis)
            apply(body, from: s)
        case .challenge, .bound, .snapshot:
            drop(.wrongDirection) // server-to-client packets are never accepted
        }
    }

    func drop(_ reason: UDPDropReason) {
        counters.udpDropped += 1
        figures.udpDroppedByReason[reason.rawValue] += 1
    }

    func send(_ action: BindingStateMachine<SocketAddress>.Action) {
        switch action {
        case .none: break
        case .reply(let packet, let to), .bind(let to, let packet):
            let bytes = packet.encode()
            if io.udp?.send(bytes, to: to) == true {
                counters.bytesOut += bytes.count
                counters.datagramsOut += 1
            }
        }
    }

    func apply(_ body: InputBody, from s: Session) {
        s.realtime.lastInput = (body.clientTimeMillis, clockMillis)
        // The server's round trip: now, less the snapshot time the client echoes, less how long
        // the client held that snapshot (docs/PROTOCOL.md, section 6.1), all mod 65,536 ms.
        if body.echoServerTimeMillis != 0,
           let rtt = roundTripMillis(now: UInt16(truncatingIfNeeded: clockMillis), echoed: body.echoServerTimeMillis, held: body.holdMillis) {
            s.realtime.rttMillis = rtt
            figures.rtt.add(rtt)
        }
        if body.ackTick != 0 { s.realtime.feed?.acknowledge(body.ackTick, scratch: host.snapshotScratch) }
        if replay != nil {
            // A command is new when its sequence is past the last one seen (a client repeats
            // its recent commands, and sends sequence 0 before any); every new one is refused.
            guard body.sequence > s.realtime.lastSequence else { return }
            s.realtime.lastSequence = body.sequence
            counters.spectatorInputsRefused += 1
            // Said once a second at most: a client sends inputs every tick.
            if clockMillis >= s.realtime.refusedNoticeAtMillis + 1_000 {
                s.realtime.refusedNoticeAtMillis = clockMillis
                s.send(.error(code: .spectatorOnly, requestID: 0, text: "this server plays a recording: spectators only, inputs are refused"))
            }
            return
        }
        guard let spaceID = s.spaceID, let avatar = s.avatar, let space = host.spaces[spaceID] else { return }
        // Commands are newest first; apply, oldest first, those not applied before.
        for (i, command) in body.commands.enumerated().reversed() {
            let sequence = body.sequence &- UInt32(i)
            guard sequence > s.realtime.lastSequence else { continue }
            s.realtime.lastSequence = sequence
            counters.inputsApplied += 1
            switch command {
            case .stop: space.inputs.append(.move(avatar, .stop))
            case .go(let heading, let pace): space.inputs.append(.move(avatar, .go(Heading(raw: heading), pace == 2 ? .run : .walk)))
            case .walkTo(let x, let y, let pace): space.inputs.append(.move(avatar, .walkTo(Vec2(x, y), pace == 2 ? .run : .walk)))
            }
        }
    }
}
