import Testing
@testable import Services

@Suite struct RoomBookTests {
    func open(_ book: inout RoomBook, owner: String = "kim", roles: [String] = ["member"], staff: Bool = false, template: String = "conference-room",
              admits: [String] = [], capacity: Int = 100, title: String = "Study group", access: RoomAccess = .open, at: Int64 = 0) -> Result<Room, RoomRefusal> {
        book.open(owner: owner, ownerRoles: roles, isStaff: staff, template: template, admitsRoles: admits, capacity: capacity, title: title, access: access, nowMillis: at)
    }

    @Test func oneRoomPerOwnerAndABoundOnAll() throws {
        var rules = RoomRules()
        rules.roomsMax = 2
        var book = RoomBook(rules: rules)
        let first = try open(&book).get()
        #expect(first.id == 1 && first.spaceID == "room-1" && first.isPublic)
        #expect(open(&book) == .failure(.ownerHasOpenRooms(1)))
        _ = try open(&book, owner: "lee").get()
        #expect(open(&book, owner: "park") == .failure(.roomsFull(2)))
    }

    @Test func accessRules() throws {
        var book = RoomBook()
        let invited = try open(&book, owner: "a", access: .invited(["b"])).get()
        #expect(book.admits(invited.id, account: "b", roles: ["member"], isStaff: false, code: "") == .success(invited))
        #expect(book.admits(invited.id, account: "c", roles: ["member"], isStaff: false, code: "") == .failure(.notInvited))
        #expect(book.admits(invited.id, account: "a", roles: ["member"], isStaff: false, code: "") == .success(invited), "the owner")
        #expect(book.admits(invited.id, account: "s", roles: ["staff"], isStaff: true, code: "") == .success(invited), "staff")
        let coded = try open(&book, owner: "d", access: .code("1234")).get()
        #expect(book.admits(coded.id, account: "e", roles: [], isStaff: false, code: "1234") == .success(coded))
        #expect(book.admits(coded.id, account: "e", roles: [], isStaff: false, code: "0000") == .failure(.wrongCode))
        #expect(!coded.isPublic && !invited.isPublic)
        #expect(book.publicRooms.isEmpty)
        #expect(book.admits(99, account: "e", roles: [], isStaff: false, code: "") == .failure(.noSuchRoom(99)))
        #expect(open(&book, owner: "f", access: .code("12")) == .failure(.badAccess("a room code has 4 to 16 characters")))
        #expect(open(&book, owner: "f", title: "  ") == .failure(.badTitle("is empty")))
    }

    @Test func theTemplatesRolesAdmitMentorsAndMenteesOnly() throws {
        var book = RoomBook()
        #expect(open(&book, owner: "plain", roles: ["member"], admits: ["mentor", "mentee"]) == .failure(.roleNotAdmitted(["mentor", "mentee"])))
        let room = try open(&book, owner: "mentor-1", roles: ["member", "mentor"], admits: ["mentor", "mentee"]).get()
        #expect(!room.isPublic, "a role-bound room is not listed for everyone")
        #expect(book.admits(room.id, account: "young", roles: ["member", "mentee"], isStaff: false, code: "") == .success(room))
        #expect(book.admits(room.id, account: "adult", roles: ["member"], isStaff: false, code: "") == .failure(.roleNotAdmitted(["mentor", "mentee"])))
    }

    @Test func capacityAndClosingAfterBeingEmptyForAMinute() throws {
        var book = RoomBook()
        let room = try open(&book, capacity: 2, at: 1_000).get()
        // Presence's arrivals and departures, as the server hands them to the machine.
        #expect(book.handle(.arrived(roomID: room.id), facts: nil, nowMillis: 2_000).isEmpty)
        #expect(book.handle(.arrived(roomID: room.id), facts: nil, nowMillis: 2_000).isEmpty)
        #expect(book.admits(room.id, account: "x", roles: [], isStaff: true, code: "") == .failure(.full(2)), "capacity binds staff too")
        #expect(book.handle(.departed(roomID: room.id), facts: nil, nowMillis: 5_000).isEmpty)
        #expect(book.closeDue(nowMillis: 100_000).isEmpty, "not empty yet")
        #expect(book.handle(.departed(roomID: room.id), facts: nil, nowMillis: 10_000).isEmpty)
        #expect(book.closeDue(nowMillis: 69_999).isEmpty)
        _ = book.handle(.arrived(roomID: room.id), facts: nil, nowMillis: 59_000)
        _ = book.handle(.departed(roomID: room.id), facts: nil, nowMillis: 60_000)
        #expect(book.closeDue(nowMillis: 119_999).isEmpty, "someone came back: the minute starts again")
        #expect(book.handle(.departed(roomID: 999), facts: nil, nowMillis: 60_000).isEmpty, "a room that is gone: nothing")
        let closed = book.handle(.second, facts: nil, nowMillis: 120_000)
        guard case .removeWorld(let gone) = closed.first else {
            Issue.record("the empty minute closes the room: \(closed)")
            return
        }
        #expect(gone.id == room.id && gone.population == 0 && gone.emptySinceMillis == 60_000)
        #expect(closed.dropFirst() == [.record(kind: "closed", account: room.owner, template: room.template)])
        #expect(book.rooms.isEmpty)
        // A room nobody ever entered closes a minute after it opened.
        let unused = try open(&book, owner: "lee", at: 200_000).get()
        #expect(book.closeDue(nowMillis: 260_000).map(\.id) == [unused.id])
        #expect(unused.id == room.id + 1, "ids are not reused")
    }

    // MARK: The machine: members' requests and the second, as effects

    static let kim = RoomFacts(account: "kim", roles: ["member"], isStaff: false)
    static let conference = RoomTemplateFacts(admitsRoles: [], capacity: 2)

    @Test func openingAsksForTheWorldThenRecordsAnswersAndMovesTheOwnerIn() throws {
        var book = RoomBook()
        #expect(book.handle(.open(template: "nowhere", definition: nil, title: "x", access: .open), facts: Self.kim, nowMillis: 0)
                == [.refuse(.noSuchTemplate("nowhere"), room: nil)])
        #expect(book.handle(.open(template: "conference-room", definition: Self.conference, title: "  ", access: .open), facts: Self.kim, nowMillis: 0)
                == [.refuse(.badTitle("is empty"), room: nil)])
        let effects = book.handle(.open(template: "conference-room", definition: Self.conference, title: " Study group ", access: .open), facts: Self.kim, nowMillis: 0)
        guard case .makeWorld(let room) = try #require(effects.first), effects.count == 1 else {
            Issue.record("expected one makeWorld, got \(effects)")
            return
        }
        #expect(room.title == "Study group" && room.owner == "kim" && room.template == "conference-room")
        #expect(book.handle(.worldMade(roomID: room.id, made: true), facts: nil, nowMillis: 0)
                == [.record(kind: "opened", account: "kim", template: "conference-room"), .opened(room), .moveIn(room)])
        // A second room for the same owner is refused while the first is open.
        #expect(book.handle(.open(template: "conference-room", definition: Self.conference, title: "Again", access: .open), facts: Self.kim, nowMillis: 0)
                == [.refuse(.ownerHasOpenRooms(1), room: nil)])
    }

    @Test func aWorldThatCannotBeMadeForgetsTheRoom() throws {
        var book = RoomBook()
        let effects = book.handle(.open(template: "conference-room", definition: Self.conference, title: "Study", access: .open), facts: Self.kim, nowMillis: 0)
        guard case .makeWorld(let room) = try #require(effects.first) else {
            Issue.record("opening a room must first ask for its world: \(effects)")
            return
        }
        #expect(book.handle(.worldMade(roomID: room.id, made: false), facts: nil, nowMillis: 0) == [.refuse(.worldNotMade("conference-room"), room: nil)])
        #expect(book.rooms.isEmpty, "nothing left booked: the owner may open another")
        #expect(book.handle(.worldMade(roomID: room.id, made: true), facts: nil, nowMillis: 0).isEmpty, "a stale answer does nothing")
    }

    @Test func enteringIsTheAccessRuleAndClosingIsTheEmptyMinute() throws {
        var book = RoomBook()
        let room = try open(&book, owner: "kim", capacity: 2, access: .code("1234"), at: 1_000).get()
        let lee = RoomFacts(account: "lee", roles: ["member"], isStaff: false)
        #expect(book.handle(.enter(roomID: room.id, code: "0000"), facts: lee, nowMillis: 0) == [.refuse(.wrongCode, room: room.id)])
        #expect(book.handle(.enter(roomID: 99, code: ""), facts: lee, nowMillis: 0) == [.refuse(.noSuchRoom(99), room: 99)])
        #expect(book.handle(.enter(roomID: room.id, code: "1234"), facts: lee, nowMillis: 0) == [.moveIn(room)])
        #expect(book.handle(.second, facts: nil, nowMillis: 60_999).isEmpty)
        let closed = book.handle(.second, facts: nil, nowMillis: 61_000)
        #expect(closed == [.removeWorld(room), .record(kind: "closed", account: "kim", template: "conference-room")])
    }
}

