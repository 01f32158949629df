// Rooms opened on demand from templates (issue 12): who may open one, who may enter, how many
// there may be, and when an empty one closes. Pure: time is an argument (milliseconds of any
// monotonic clock), and the server carries out what it decides (WorldServer/Rooms/RoomsSubsystem.swift).
// Members' requests and the second go through `handle(event, facts, now) -> [RoomEffect]`; a
// room's world is the caller's to make, and it answers with `.worldMade`:
//
//   open ──▶ checks ──refused──▶ [.refuse]
//              │ allowed: the room is booked
//              ▼
//          [.makeWorld] ──caller──▶ worldMade(true) ──▶ [.record(opened), .opened, .moveIn]
//                               └─▶ worldMade(false) ──▶ the room is forgotten, [.refuse(worldNotMade)]
//   enter ──▶ [.moveIn] or [.refuse]        second ──▶ per room empty long enough: [.removeWorld, .record(closed)]
//
// Invariants:
// 1. At most `rules.roomsMax` rooms, and at most `rules.openRoomsPerOwnerMax` per owner.
// 2. 0 <= population <= capacity for every room; `emptySinceMillis` is set exactly when the
//    population is 0.
// 3. Room ids are never reused within a run (a stale id names no room).

import Foundation

public struct RoomRules: Sendable, Equatable {
    public var roomsMax = 2_000
    public var openRoomsPerOwnerMax = 1
    /// An empty room closes after this long.
    public var emptyCloseMillis: Int64 = 60_000
    public var titleCharactersMax = 60
    public var invitedMax = 32
    public var codeCharactersMax = 16
    public init() {}
}

/// Who may enter, besides the owner (and staff, who may enter any room).
public enum RoomAccess: Hashable, Sendable {
    case open
    case invited(Set<String>)
    case code(String)
}

public struct Room: Sendable, Equatable {
    public let id: UInt32
    /// The space id the room's world goes by: "room-<id>".
    public var spaceID: String { Self.spaceID(id) }
    public static func spaceID(_ id: UInt32) -> String { "room-\(id)" }
    public let template: String
    public let title: String
    public let owner: String
    public let access: RoomAccess
    /// The template's roles: when not empty, only accounts with one of them (or staff) enter.
    public let admitsRoles: [String]
    public let capacity: Int
    public internal(set) var population = 0
    public internal(set) var emptySinceMillis: Int64?
    /// Listed on the world map: open rooms whose template admits everyone.
    public var isPublic: Bool { access == .open && admitsRoles.isEmpty }
}

public enum RoomRefusal: Error, Equatable, Sendable {
    case ownerHasOpenRooms(Int)
    case roomsFull(Int)
    case badTitle(String)
    case badAccess(String)
    case roleNotAdmitted([String])
    case noSuchRoom(UInt32)
    case notInvited
    case wrongCode
    case full(Int)
    case noSuchTemplate(String)
    case worldNotMade(String)

    public var sentence: String {
        switch self {
        case .ownerHasOpenRooms(let n): return "you have \(n) room open already, the most allowed; leave it (it closes when empty) before opening another"
        case .roomsFull(let n): return "the server holds \(n) rooms, its limit; try again when some have closed"
        case .badTitle(let why): return "the title \(why)"
        case .badAccess(let why): return why
        case .roleNotAdmitted(let roles): return "this room admits \(roles.joined(separator: " and ")) only"
        case .noSuchRoom(let id): return "no room \(id) (it may have closed)"
        case .notInvited: return "this room is for invited accounts only"
        case .wrongCode: return "the room's code is not that"
        case .full(let n): return "the room is full (\(n) people)"
        case .noSuchTemplate(let t): return "no room template '\(t)'"
        case .worldNotMade(let t): return "the room could not be made from '\(t)'"
        }
    }
}

public struct RoomBook: Sendable {
    public let rules: RoomRules
    public private(set) var rooms: [UInt32: Room] = [:]
    var nextID: UInt32 = 1

    public init(rules: RoomRules = RoomRules()) { self.rules = rules }

    /// Opens a room (empty until its owner is placed in it).
    public mutating func open(owner: String, ownerRoles: [String], isStaff: Bool, template: String, admitsRoles: [String], capacity: Int,
                              title rawTitle: String, access: RoomAccess, nowMillis: Int64) -> Result<Room, RoomRefusal> {
        let title = rawTitle.trimmingCharacters(in: .whitespaces)
        guard !title.isEmpty else { return .failure(.badTitle("is empty")) }
        guard title.count <= rules.titleCharactersMax else { return .failure(.badTitle("has \(title.count) characters; at most \(rules.titleCharactersMax)")) }
        switch access {
        case .open: break
        case .invited(let accounts):
            guard !accounts.isEmpty, accounts.count <= rules.invitedMax else {
                return .failure(.badAccess("an invited room names 1 to \(rules.invitedMax) accounts"))
            }
        case .code(let code):
            guard (4...rules.codeCharactersMax).contains(code.count) else {
                return .failure(.badAccess("a room code has 4 to \(rules.codeCharactersMax) characters"))
            }
        }
        if !admitsRoles.isEmpty && !isStaff && !admitsRoles.contains(where: ownerRoles.contains) {
            return .failure(.roleNotAdmitted(admitsRoles))
        }
        let owned = rooms.values.filter { $0.owner == owner }.count
        guard owned < rules.openRoomsPerOwnerMax else { return .failure(.ownerHasOpenRooms(owned)) }
        guard rooms.count < rules.roomsMax else { return .failure(.roomsFull(rules.roomsMax)) }
        precondition(capacity > 0)
        let room = Room(id: nextID, template: template, title: title, owner: owner, access: access, admitsRoles: admitsRoles, capacity: capacity,
                        population: 0, emptySinceMillis: nowMillis)
        nextID += 1
        rooms[room.id] = room
        return .success(room)
    }

    /// Whether `account` may enter now (the owner and staff pass the access rule, not the capacity).
    public func admits(_ id: UInt32, account: String, roles: [String], isStaff: Bool, code: String) -> Result<Room, RoomRefusal> {
        guard let room = rooms[id] else { return .failure(.noSuchRoom(id)) }
        guard room.population < room.capacity else { return .failure(.full(room.capacity)) }
        if isStaff || account == room.owner { return .success(room) }
        if !room.admitsRoles.isEmpty && !room.admitsRoles.contains(where: roles.contains) { return .failure(.roleNotAdmitted(room.admitsRoles)) }
        switch room.access {
        case .open: return .success(room)
        case .invited(let accounts): return accounts.contains(account) ? .success(room) : .failure(.notInvited)
        case .code(let expected): return code == expected ? .success(room) : .failure(.wrongCode)
        }
    }

    mutating func entered(_ id: UInt32) {
        guard var room = rooms[id] else { return }
        room.population += 1
        room.emptySinceMillis = nil
        assert(room.population <= room.capacity)
        rooms[id] = room
    }

    mutating func left(_ id: UInt32, nowMillis: Int64) {
        guard var room = rooms[id], room.population > 0 else { return }
        room.population -= 1
        if room.population == 0 { room.emptySinceMillis = nowMillis }
        rooms[id] = room
    }

    /// Removes and returns the rooms empty for `emptyCloseMillis` or longer, by id.
    public mutating func closeDue(nowMillis: Int64) -> [Room] {
        let due = rooms.values.filter { r in r.emptySinceMillis.map { nowMillis - $0 >= rules.emptyCloseMillis } ?? false }.sorted { $0.id < $1.id }
        for r in due { rooms[r.id] = nil }
        return due
    }

    /// Forgets a room at once (its world could not be made).
    public mutating func remove(_ id: UInt32) { rooms[id] = nil }

    /// The listed rooms, by id.
    public var publicRooms: [Room] { rooms.values.filter(\.isPublic).sorted { $0.id < $1.id } }

    /// The room `id`, if open.
    public func room(id: UInt32) -> Room? { rooms[id] }

    /// Every open room, by id.
    public var all: [Room] { rooms.values.sorted { $0.id < $1.id } }

    /// The room a space id names ("room-17"), if open.
    public func room(spaceID: String) -> Room? {
        guard spaceID.hasPrefix("room-"), let id = UInt32(spaceID.dropFirst(5)) else { return nil }
        return rooms[id]
    }

    // MARK: The machine

    public mutating func handle(_ event: RoomEvent, facts: RoomFacts?, nowMillis now: Int64) -> [RoomEffect] {
        switch event {
        case .open(let name, let template, let title, let access):
            guard let facts else { return [] }
            guard let template else { return [.refuse(.noSuchTemplate(name), room: nil)] }
            switch open(owner: facts.account, ownerRoles: facts.roles, isStaff: facts.isStaff, template: name, admitsRoles: template.admitsRoles,
                        capacity: template.capacity, title: title, access: access, nowMillis: now) {
            case .success(let room): return [.makeWorld(room)]
            case .failure(let refusal): return [.refuse(refusal, room: nil)]
            }
        case .worldMade(let id, let made):
            guard let room = rooms[id] else { return [] }
            guard made else {
                remove(id)
                return [.refuse(.worldNotMade(room.template), room: nil)]
            }
            return [.record(kind: "opened", account: room.owner, template: room.template), .opened(room), .moveIn(room)]
        case .enter(let id, let code):
            guard let facts else { return [] }
            switch admits(id, account: facts.account, roles: facts.roles, isStaff: facts.isStaff, code: code) {
            case .success(let room): return [.moveIn(room)]
            case .failure(let refusal): return [.refuse(refusal, room: id)]
            }
        case .arrived(let id):
            entered(id)
            return []
        case .departed(let id):
            left(id, nowMillis: now)
            return []
        case .second:
            return closeDue(nowMillis: now).flatMap { room -> [RoomEffect] in
                [.removeWorld(room), .record(kind: "closed", account: room.owner, template: room.template)]
            }
        }
    }
}

/// Who asks: a member (guests open and enter no rooms).
public struct RoomFacts: Sendable, Equatable {
    public var account: String
    public var roles: [String]
    public var isStaff: Bool

    public init(account: String, roles: [String], isStaff: Bool) {
        self.account = account
        self.roles = roles
        self.isStaff = isStaff
    }
}

/// A room template as the world files define it, as far as the rules need it.
public struct RoomTemplateFacts: Sendable, Equatable {
    public var admitsRoles: [String]
    public var capacity: Int

    public init(admitsRoles: [String], capacity: Int) {
        self.admitsRoles = admitsRoles
        self.capacity = capacity
    }
}

public enum RoomEvent: Sendable, Equatable {
    /// Open a room from the template named `template`; `definition` nil when the world files
    /// have none of that name.
    case open(template: String, definition: RoomTemplateFacts?, title: String, access: RoomAccess)
    /// The caller's answer to `.makeWorld`.
    case worldMade(roomID: UInt32, made: Bool)
    case enter(roomID: UInt32, code: String)
    /// Someone's avatar was placed in the room, or taken out of it (presence says so): the
    /// population the capacity and the empty minute are counted from.
    case arrived(roomID: UInt32)
    case departed(roomID: UInt32)
    case second
}

public enum RoomEffect: Sendable, Equatable {
    /// Refused; `room` is the room asked to enter (for the caller's wording), nil for an opening.
    case refuse(RoomRefusal, room: UInt32?)
    /// Make the room's world and answer with `.worldMade`.
    case makeWorld(Room)
    /// A service event for the records.
    case record(kind: String, account: String, template: String)
    /// Tell the one who opened it.
    case opened(Room)
    /// Move the asker into the room.
    case moveIn(Room)
    /// Remove the room's world (it has closed).
    case removeWorld(Room)
}
