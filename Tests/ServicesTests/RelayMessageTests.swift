// Messages between nodes (Services' RelayMessage): what one node encodes the others decode as
// sent, whatever the text; anything else on the channel decodes to nothing; and a node acts only
// on messages addressed to it, never on its own.

import Testing
@testable import Services

@Suite struct RelayMessageTests {
    @Test func whatANodeSendsTheOthersReadAsSent() {
        let messages = [
            RelayMessage(kind: .direct, from: "city-1", to: "city-2", account: "bob", senderAccount: "alice", senderName: "시민 \"앨리스\"",
                         text: "만나요 \\ / \n 😀", atMillis: 1_765_000_000_000),
            RelayMessage(kind: .announce, from: "city-1", to: "", senderAccount: "officer", senderName: "담당관", text: "곧 시작합니다", atMillis: 1),
            RelayMessage(kind: .notice, from: "city-3", to: "", space: "city-hall", senderAccount: nil, senderName: "운영자", text: "점검", atMillis: 2),
        ]
        for m in messages { #expect(RelayMessage.decode(m.encode()) == m) }
    }

    @Test func anythingElseOnTheChannelIsNothing() {
        let good = RelayMessage(kind: .announce, from: "a", to: "", senderAccount: nil, senderName: "n", text: "t", atMillis: 1).encode()
        let otherVersion = good.replacingOccurrences(of: #""v":1"#, with: #""v":2"#)
        #expect(otherVersion != good)
        for payload in ["", "{}", "not json", "[1,2]", otherVersion, good.replacingOccurrences(of: "announce", with: "teleport"),
                        String(good.dropLast()),
                        RelayMessage(kind: .direct, from: "a", to: "b", account: "", senderAccount: "x", senderName: "n", text: "t", atMillis: 1).encode()] {
            #expect(RelayMessage.decode(payload) == nil, "\(payload)")
        }
    }

    @Test func aNodeActsOnlyOnWhatIsAddressedToIt() {
        let toB = RelayMessage(kind: .direct, from: "a", to: "b", account: "bob", senderAccount: "x", senderName: "n", text: "t", atMillis: 1)
        let toAll = RelayMessage(kind: .notice, from: "a", to: "", senderAccount: nil, senderName: "n", text: "t", atMillis: 1)
        #expect(toB.isFor("b") && !toB.isFor("a") && !toB.isFor("c"))
        #expect(toAll.isFor("b") && toAll.isFor("c") && !toAll.isFor("a"))
    }
}
