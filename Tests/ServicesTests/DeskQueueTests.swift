import Testing
@testable import Services

@Suite struct DeskQueueTests {
    @Test func firstComeFirstServedWithPositionsAndEstimates() throws {
        var desk = DeskQueue()
        for (i, a) in ["a", "b", "c", "d"].enumerated() { _ = try desk.join(a, field: nil, nowMillis: Int64(i)).get() }
        #expect(desk.standing(of: "c") == .init(position: 3, estimateMillis: nil), "no staff on duty: no estimate")
        #expect(desk.join("b", field: nil, nowMillis: 9) == .failure(.alreadyQueued))
        #expect(desk.goOnDuty("s1", field: nil) == nil)
        #expect(desk.goOnDuty("s2", field: nil) == nil)
        // Two counsellors, ten minutes a session until some end: c (3rd) is in the second round.
        #expect(desk.standing(of: "c") == .init(position: 3, estimateMillis: 20 * 60_000))
        let first = try desk.takeNext("s1", nowMillis: 1_000).get()
        #expect(first.citizen == "a" && first.waitedMillis == 1_000)
        #expect(desk.takeNext("s1", nowMillis: 1_000) == .failure(.alreadyServing))
        #expect(try desk.takeNext("s2", nowMillis: 1_000).get().citizen == "b")
        let tenMinutes: Int64 = 10 * 60_000
        let expected: [String: DeskQueue.Standing] = ["c": DeskQueue.Standing(position: 1, estimateMillis: tenMinutes),
                                                      "d": DeskQueue.Standing(position: 2, estimateMillis: tenMinutes)]
        #expect(desk.standings == expected)
        // Sessions of 2 and 4 minutes: the median (the lower middle) is 2 minutes.
        #expect(desk.endSession(involving: "a", nowMillis: 1_000 + 120_000)?.durationMillis == 120_000)
        #expect(desk.endSession(involving: "s2", nowMillis: 1_000 + 240_000)?.durationMillis == 240_000)
        #expect(desk.medianSessionMillis == 120_000)
        #expect(desk.standing(of: "d") == .init(position: 2, estimateMillis: 120_000))
        #expect(desk.leave("c")?.account == "c")
        #expect(desk.standing(of: "d")?.position == 1)
    }

    @Test func fieldQueuesAreServedByTheirOwnExperts() throws {
        var desk = DeskQueue(fields: ["tax", "legal"])
        #expect(desk.join("x", field: nil, nowMillis: 0) == .failure(.fieldRequired(["tax", "legal"])))
        #expect(desk.join("x", field: "medicine", nowMillis: 0) == .failure(.unknownField("medicine")))
        _ = try desk.join("t1", field: "tax", nowMillis: 0).get()
        _ = try desk.join("l1", field: "legal", nowMillis: 1).get()
        _ = try desk.join("t2", field: "tax", nowMillis: 2).get()
        #expect(desk.standing(of: "t2")?.position == 2 && desk.standing(of: "l1")?.position == 1, "positions count within the field")
        #expect(desk.goOnDuty("lawyer", field: "legal") == nil)
        #expect(try desk.takeNext("lawyer", nowMillis: 5).get().citizen == "l1")
        #expect(desk.endSession(involving: "lawyer", nowMillis: 6) != nil)
        #expect(desk.takeNext("lawyer", nowMillis: 7) == .failure(.nobodyWaiting), "a lawyer does not take the tax queue")
    }

    @Test func aDisconnectedCitizenKeepsThePlaceForAMinuteThenIsSkipped() throws {
        var desk = DeskQueue()
        for a in ["a", "b", "c"] { _ = try desk.join(a, field: nil, nowMillis: 0).get() }
        _ = desk.goOnDuty("s", field: nil)
        desk.disconnected("a", nowMillis: 1_000)
        // Passed over while away, the place kept.
        #expect(try desk.takeNext("s", nowMillis: 2_000).get().citizen == "b")
        #expect(desk.standing(of: "a")?.position == 1)
        #expect(desk.expireHolds(nowMillis: 60_999).isEmpty)
        #expect(desk.reconnected("a")?.position == 1, "back in time: the place resumes")
        desk.disconnected("a", nowMillis: 70_000)
        #expect(desk.expireHolds(nowMillis: 130_000).map(\.account) == ["a"], "skipped after a minute away")
        #expect(desk.standing(of: "c")?.position == 1)
    }

    @Test func aStaffDisconnectPutsTheCitizenBackAtTheHead() throws {
        var desk = DeskQueue()
        for a in ["a", "b"] { _ = try desk.join(a, field: nil, nowMillis: 100) .get() }
        _ = desk.goOnDuty("s", field: nil)
        _ = try desk.takeNext("s", nowMillis: 500).get()
        _ = try desk.join("late", field: nil, nowMillis: 600).get()
        #expect(desk.staffDisconnected("s") == "a")
        #expect(desk.waiting.map(\.account) == ["a", "b", "late"] && desk.waiting[0].joinedAtMillis == 100)
        #expect(desk.onDuty.isEmpty && desk.sessions.isEmpty)
        #expect(desk.standing(of: "a") == .init(position: 1, estimateMillis: nil))
    }

    @Test func aSessionThatCannotBeginPutsTheCitizenBackAndKeepsTheStaffOnDuty() throws {
        var desk = DeskQueue()
        for a in ["a", "b"] { _ = try desk.join(a, field: nil, nowMillis: 100).get() }
        _ = desk.goOnDuty("s", field: nil)
        _ = try desk.takeNext("s", nowMillis: 500).get()
        #expect(desk.sessionUndone("s") == "a")
        #expect(desk.waiting.map(\.account) == ["a", "b"] && desk.waiting[0].joinedAtMillis == 100)
        #expect(desk.onDuty.keys.sorted() == ["s"] && desk.sessions.isEmpty)
        #expect(desk.standing(of: "a")?.position == 1 && desk.standing(of: "a")?.estimateMillis != nil, "still served: an estimate")
        #expect(desk.sessionUndone("s") == nil, "nothing to undo twice")
    }

    /// Which session a room holds is the queue's to say (the server keeps no copy).
    @Test func aSessionIsFoundByItsRoomAndByEitherParty() throws {
        var desk = DeskQueue()
        _ = try desk.join("a", field: nil, nowMillis: 100).get()
        _ = desk.goOnDuty("s", field: nil)
        _ = try desk.takeNext("s", nowMillis: 500).get()
        #expect(desk.session(inRoom: 9) == nil && desk.session(involving: "a")?.roomID == nil)
        desk.held(in: 9, staff: "s")
        #expect(desk.session(inRoom: 9)?.citizen == "a" && desk.session(involving: "s")?.roomID == 9 && desk.session(involving: "a")?.staff == "s")
        #expect(!desk.isWaiting("a"))
        _ = desk.endSession(involving: "a", nowMillis: 900)
        #expect(desk.session(inRoom: 9) == nil)
    }

    @Test func closingLetsEveryoneWaitingGoAndTheQueueIsBounded() throws {
        var rules = DeskRules()
        rules.queueMax = 2
        var desk = DeskQueue(rules: rules)
        _ = try desk.join("a", field: nil, nowMillis: 0).get()
        _ = try desk.join("b", field: nil, nowMillis: 0).get()
        #expect(desk.join("c", field: nil, nowMillis: 0) == .failure(.full(2)))
        #expect(desk.close().map(\.account) == ["a", "b"] && desk.waiting.isEmpty)
    }
}
