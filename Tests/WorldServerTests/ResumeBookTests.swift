// The resume tickets' book (Cluster/ClusterSubsystem+Resume.swift), on times given as numbers.

import Testing
@testable import WorldServer

@Suite struct ResumeBookTests {
    static let spot = HandOverTicket.Spot(floor: 0, x: 1_000, y: 2_000)

    /// A ticket is made again after its refresh time, or sooner when the avatar walked 10 m or
    /// changed floor, and not before `moveRefreshMillis`.
    @Test func aTicketIsMadeAgainWhenOldOrFarFromItsSpot() {
        var book = ResumeBook()
        book.issued[7] = ("t1", Self.spot, 10_000)
        #expect(book.due(nowMillis: 10_000 + ResumeBook.moveRefreshMillis - 1).isEmpty, "too young to look at")
        let now = 10_000 + ResumeBook.moveRefreshMillis
        #expect(book.due(nowMillis: now) == [7])
        #expect(!book.stale(7, spot: HandOverTicket.Spot(floor: 0, x: 1_900, y: 2_300), nowMillis: now), "9.5 m away")
        #expect(book.stale(7, spot: HandOverTicket.Spot(floor: 0, x: 1_000, y: 3_001), nowMillis: now), "10 m away")
        #expect(book.stale(7, spot: HandOverTicket.Spot(floor: 1, x: 1_000, y: 2_000), nowMillis: now), "another floor")
        #expect(book.stale(7, spot: Self.spot, nowMillis: 10_000 + HandOverTicket.resumeRefreshMillis), "old")
        #expect(!book.stale(8, spot: Self.spot, nowMillis: now), "no ticket, nothing to refresh")
    }

    /// A drop is remembered under the session's last ticket, taken once, and forgotten after a
    /// ticket's lifetime; a session without a ticket or a spot leaves nothing.
    @Test func aDropIsRememberedUnderItsTicketAndTakenOnce() {
        var book = ResumeBook()
        book.issued[7] = ("t1", Self.spot, 0)
        book.issued[8] = ("t2", Self.spot, 0)
        let moved = HandOverTicket.Spot(floor: 0, x: 5_000, y: 5_000)
        book.dropped(7, at: moved, nowMillis: 1_000)
        book.dropped(8, at: nil, nowMillis: 1_000)
        book.dropped(9, at: moved, nowMillis: 1_000)
        #expect(book.issued.isEmpty && book.droppedSpots.count == 1)
        #expect(book.takeDroppedSpot("t1") == moved && book.takeDroppedSpot("t1") == nil, "where it stood as it dropped, once")
        book.issued[7] = ("t3", Self.spot, 0)
        book.dropped(7, at: moved, nowMillis: 1_000)
        book.forgetOldDrops(nowMillis: 1_000 + HandOverTicket.resumeLifetimeMillis - 1)
        #expect(book.droppedSpots.count == 1)
        book.forgetOldDrops(nowMillis: 1_000 + HandOverTicket.resumeLifetimeMillis)
        #expect(book.droppedSpots.isEmpty)
    }
}
