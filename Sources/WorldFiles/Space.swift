// A space as its world file describes it: the simulation's `WorldDefinition` plus what
// people see and use there (names, descriptions, floors by their real numbers, portals and
// points of interest).
//
// In memory everything is in WorldCore's units: centimetres, floor indexes. The files are
// in metres and real floor numbers; `SpaceDecoder` converts.

import WorldCore

public struct LocalizedText: Hashable, Sendable {
    public var ko: String
    public var en: String

    public init(ko: String, en: String) {
        self.ko = ko
        self.en = en
    }
}

public enum SpaceKind: String, Hashable, Sendable, CaseIterable {
    /// A singleton space everyone can reach from the world map.
    case `public`
    /// A room layout instanced on demand (counselling, conference, mentoring rooms).
    case template
}

public struct Portal: Hashable, Sendable {
    public var id: String
    public var name: LocalizedText
    /// Floor index in the space's floors.
    public var floor: Int
    /// Walking into this area takes the avatar through the portal.
    public var area: Rect
    /// Where avatars arriving through this portal from elsewhere appear.
    public var arrival: Rect
    public var targetSpace: String
    public var targetPortal: String
}

public struct PointOfInterest: Hashable, Sendable {
    public var id: String
    public var kind: String
    public var name: LocalizedText
    public var info: LocalizedText
    public var floor: Int
    public var position: Vec2
    /// How close an avatar's centre must come to use it.
    public var reachCentimetres: Int32
}

public struct NamedObstacle: Hashable, Sendable {
    public var id: String
    public var kind: String
    public var obstacle: Obstacle
}

public struct NamedSpawnArea: Hashable, Sendable {
    public var id: String
    public var spawnArea: SpawnArea
}

public struct Space: Sendable {
    public var id: String
    public var kind: SpaceKind
    public var name: LocalizedText
    public var description: LocalizedText
    /// How the space's size relates to the real place, in words ("real scale", "simplified: ...").
    public var scale: String
    /// Where the figures came from.
    public var sources: [String]
    public var floorNames: [LocalizedText]
    public var obstacles: [NamedObstacle]
    public var spawnAreas: [NamedSpawnArea]
    public var portals: [Portal]
    public var pointsOfInterest: [PointOfInterest]
    /// What the simulation needs; obstacles and spawn areas in the same order as above.
    public var definition: WorldDefinition
    /// How far nearby chat carries, on one floor (the file's `chatRadiusMetres`).
    public var chatRadiusCentimetres: Int32 = 2_000
    public static let chatRadiusMetresDefault = 20.0
    /// A room template's roles (the file's `admitsRoles`): when not empty, only members with
    /// one of them (or staff) open or enter its rooms.
    public var admitsRoles: [String] = []
    /// The roles member tokens carry, by the names world files use.
    public static let roleNames = ["member", "staff", "mentor", "mentee"]
    /// The file it came from, for messages.
    public var file: String
    /// Where avatar centres may stand, in m² summed over floors, as the walkability check
    /// measured it; nil until the file has been checked.
    public var walkableSquareMetres: Double?

    public var floorLevels: [Int] { definition.floors.map(\.level) }
}

/// One thing wrong with a world file, said so that a person can fix it.
public struct WorldFileError: Error, Hashable, Sendable, CustomStringConvertible {
    public var file: String
    /// Where in the file, as a path of keys and indexes (`portals[2].to.space`); empty for the whole file.
    public var path: String
    public var message: String
    public var expected: String?

    public init(file: String, path: String, message: String, expected: String? = nil) {
        self.file = file
        self.path = path
        self.message = message
        self.expected = expected
    }

    public var description: String {
        var text = file
        if !path.isEmpty { text += ": " + path }
        text += ": " + message
        if let expected { text += " (expected " + expected + ")" }
        return text
    }
}
