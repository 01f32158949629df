// The facts a server reads off a client message before routing it (ClientMessage+Facts.swift):
// the guest rule as PROTOCOL.md section 7.8 lists it, and the request id as the bytes carry it.

import Testing
@testable import NetProto

@Suite struct MessageFactsTests {
    /// The message types PROTOCOL.md 7.8 allows a guest, by type number.
    static let guestTypes: Set<UInt8> = [
        0x01, 0x02, 0x03, // hello, authenticate (guest or member)
        0x2C,             // authenticate with a hand-over ticket
        0x04, 0x05,       // enter and leave spaces
        0x06, 0x07, 0x08, // snapshots over TCP, ping, goodbye
        0x09,             // inputs
        0x0A, 0x0C,       // report a bug, report a user
        0x12, 0x18,       // list rooms, list desks
        0x19, 0x1A,       // Tax Square's calculator and FAQ
        0x1B, 0x1C,       // list and read the notice board
        0x20, 0x21,       // list and read suggestions (the public board of answered ones)
        0x25, 0x26,       // a visitor's language, and the places' words
        0x27,             // read the guide and the ethics code
        0x2B,             // the staff on duty (the world map's)
        0x2D,             // the city's spaces (the world map's)
    ]

    @Test func theGuestRuleIsTheProtocolsList() {
        let types = Set(Samples.client.map(\.type))
        #expect(types.count == 0x2D, "the samples hold every client message type: \(types.sorted())")
        for m in Samples.client {
            #expect(m.guestMaySend == Self.guestTypes.contains(m.type), "type 0x\(String(m.type, radix: 16)): \(m)")
        }
    }

    /// A request id is the first field after the type byte (PROTOCOL.md 4.1), and `requestID`
    /// reads the same number; a message without one says 0.
    @Test func theRequestIDIsTheOneTheBytesCarry() {
        for m in Samples.client {
            let bytes = m.encode()
            if m.requestID != 0 {
                let onWire = UInt32(bytes[1]) | UInt32(bytes[2]) << 8 | UInt32(bytes[3]) << 16 | UInt32(bytes[4]) << 24
                #expect(onWire == m.requestID, "type 0x\(String(m.type, radix: 16))")
            }
        }
        let without: Set<UInt8> = [0x01, 0x02, 0x03, 0x06, 0x07, 0x08, 0x09, 0x2C]
        #expect(Samples.client.filter { without.contains($0.type) }.allSatisfy { $0.requestID == 0 })
        #expect(Samples.client.filter { !without.contains($0.type) }.allSatisfy { $0.requestID != 0 }, "every request's sample has a non-zero id")
    }
}
