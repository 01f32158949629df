// What a space is, as the simulation needs it: bounds, floors, obstacles, spawn areas and
// the numbers that govern movement, personal space and interest.
//
// Definitions come from data files (an operator's input), so `problems()` reports what is
// wrong in words instead of trapping; `World.init` refuses a definition with problems.
// Presentation data (names, portals, points of interest) lives with the file loader.

public struct WorldDefinition: Hashable, Sendable {
    public var id: String
    /// The walkable extent of every floor, in centimetres.
    public var bounds: Rect
    /// At least one floor. Avatars are on exactly one floor, by index into this array.
    public var floors: [Floor]
    public var obstacles: [Obstacle]
    public var spawnAreas: [SpawnArea]
    /// The most avatars the space holds at once.
    public var capacity: Int
    /// Each avatar's personal-space radius; centres stay at least twice this apart, and at
    /// least this far from obstacles and the bounds' edge.
    public var personalSpaceRadiusCentimetres: Int32
    public var interest: InterestSettings
    public var tickRateHertz: Int
    public var walkSpeedCentimetresPerSecond: Int32
    public var runSpeedCentimetresPerSecond: Int32

    public init(
        id: String,
        bounds: Rect,
        floors: [Floor] = [Floor(level: 1, name: "ground")],
        obstacles: [Obstacle] = [],
        spawnAreas: [SpawnArea],
        capacity: Int,
        personalSpaceRadiusCentimetres: Int32 = 60,
        interest: InterestSettings = InterestSettings(),
        tickRateHertz: Int = 20,
        walkSpeedCentimetresPerSecond: Int32 = 140,
        runSpeedCentimetresPerSecond: Int32 = 400
    ) {
        self.id = id
        self.bounds = bounds
        self.floors = floors
        self.obstacles = obstacles
        self.spawnAreas = spawnAreas
        self.capacity = capacity
        self.personalSpaceRadiusCentimetres = personalSpaceRadiusCentimetres
        self.interest = interest
        self.tickRateHertz = tickRateHertz
        self.walkSpeedCentimetresPerSecond = walkSpeedCentimetresPerSecond
        self.runSpeedCentimetresPerSecond = runSpeedCentimetresPerSecond
    }

    // MARK: Limits (known up front, checked on input)

    public static let capacityMax = 100_000
    public static let floorCountMax = 64
    public static let obstacleCountMax = 4_096
    public static let spawnAreaCountMax = 256
    public static let tickRateHertzRange = 1...120
    public static let personalSpaceRadiusCentimetresRange: ClosedRange<Int32> = 10...500
    public static let speedCentimetresPerSecondRange: ClosedRange<Int32> = 10...2_000

    /// Everything wrong with the definition, as "field: what is wrong" lines; empty when valid.
    public func problems() -> [String] {
        var out: [String] = []
        func check(_ ok: Bool, _ message: @autoclosure () -> String) { if !ok { out.append(message()) } }
        let limit = Geometry.coordinateLimitCentimetres
        check(!id.isEmpty, "id: is empty")
        check(bounds.isValid && bounds.width > 0 && bounds.height > 0, "bounds: must have positive width and height, got \(bounds)")
        check(bounds.minX >= -limit && bounds.maxX <= limit && bounds.minY >= -limit && bounds.maxY <= limit,
              "bounds: must lie within ±\(limit) cm, got \(bounds)")
        check(!floors.isEmpty && floors.count <= Self.floorCountMax, "floors: needs 1 to \(Self.floorCountMax) floors, got \(floors.count)")
        check(Set(floors.map(\.level)).count == floors.count, "floors: two floors share a level")
        check((1...Self.capacityMax).contains(capacity), "capacity: must be 1 to \(Self.capacityMax), got \(capacity)")
        check(Self.tickRateHertzRange.contains(tickRateHertz), "tickRateHertz: must be \(Self.tickRateHertzRange), got \(tickRateHertz)")
        check(Self.personalSpaceRadiusCentimetresRange.contains(personalSpaceRadiusCentimetres),
              "personalSpaceRadiusCentimetres: must be \(Self.personalSpaceRadiusCentimetresRange), got \(personalSpaceRadiusCentimetres)")
        for (name, speed) in [("walkSpeedCentimetresPerSecond", walkSpeedCentimetresPerSecond), ("runSpeedCentimetresPerSecond", runSpeedCentimetresPerSecond)] {
            check(Self.speedCentimetresPerSecondRange.contains(speed), "\(name): must be \(Self.speedCentimetresPerSecondRange), got \(speed)")
        }
        check(obstacles.count <= Self.obstacleCountMax, "obstacles: at most \(Self.obstacleCountMax), got \(obstacles.count)")
        for (i, o) in obstacles.enumerated() {
            if let f = o.floor { check(floors.indices.contains(f), "obstacles[\(i)].floor: no floor with index \(f)") }
            switch o.shape {
            case .rect(let r): check(r.isValid, "obstacles[\(i)]: rectangle with min greater than max")
            case .circle(let c): check(c.radius > 0, "obstacles[\(i)]: circle radius must be positive")
            case .polygon(let p):
                check((3...Polygon.vertexCountMax).contains(p.vertices.count), "obstacles[\(i)]: polygon needs 3 to \(Polygon.vertexCountMax) vertices, got \(p.vertices.count)")
                check(p.doubleSignedArea != 0, "obstacles[\(i)]: polygon has no area")
            }
            let b = o.shape.bounds
            check(b.minX >= -limit && b.maxX <= limit && b.minY >= -limit && b.maxY <= limit, "obstacles[\(i)]: outside ±\(limit) cm")
        }
        check(!spawnAreas.isEmpty && spawnAreas.count <= Self.spawnAreaCountMax, "spawnAreas: needs 1 to \(Self.spawnAreaCountMax), got \(spawnAreas.count)")
        for (i, s) in spawnAreas.enumerated() {
            check(floors.indices.contains(s.floor), "spawnAreas[\(i)].floor: no floor with index \(s.floor)")
            check(s.area.isValid, "spawnAreas[\(i)].area: min greater than max")
            check(bounds.inset(by: personalSpaceRadiusCentimetres).intersects(s.area), "spawnAreas[\(i)].area: lies outside the walkable bounds")
        }
        out += interest.problems()
        return out
    }
}

public struct Floor: Hashable, Sendable {
    /// The building's own floor number (117 for Seoul Sky's 117F, -1 for B1).
    public var level: Int
    public var name: String

    public init(level: Int, name: String) {
        self.level = level
        self.name = name
    }
}

public struct Obstacle: Hashable, Sendable {
    public var shape: Shape
    /// The floor index it stands on, or nil for every floor (outer walls, a tower's core).
    public var floor: Int?

    public init(_ shape: Shape, floor: Int? = nil) {
        self.shape = shape
        self.floor = floor
    }
}

public struct SpawnArea: Hashable, Sendable {
    public var floor: Int
    /// Where avatar centres may be placed on entry.
    public var area: Rect

    public init(floor: Int = 0, area: Rect) {
        self.floor = floor
        self.area = area
    }
}

/// Who sees whom. See `World+Interest.swift` for the rule these numbers feed.
public struct InterestSettings: Hashable, Sendable {
    /// An avatar enters an observer's view within this distance...
    public var enterRadiusCentimetres: Int32
    /// ...and leaves it only beyond this one (hysteresis).
    public var leaveRadiusCentimetres: Int32
    /// At most this many are visible at once: the nearest first.
    public var visibleMax: Int
    /// Visible avatars within this distance are due an update every tick; within twice it
    /// every second tick; beyond, every fourth.
    public var nearRadiusCentimetres: Int32
    /// Each observer's view is recomputed every this many ticks (staggered by slot), and on
    /// the tick it enters.
    public var refreshPeriodTicks: Int
    /// Current members compete for the cap as if this much nearer, so the view does not
    /// flicker at the K-th place.
    public var capHysteresisPercent: Int

    public init(
        enterRadiusCentimetres: Int32 = 3_000,
        leaveRadiusCentimetres: Int32 = 3_500,
        visibleMax: Int = 100,
        nearRadiusCentimetres: Int32 = 1_000,
        refreshPeriodTicks: Int = 4,
        capHysteresisPercent: Int = 10
    ) {
        self.enterRadiusCentimetres = enterRadiusCentimetres
        self.leaveRadiusCentimetres = leaveRadiusCentimetres
        self.visibleMax = visibleMax
        self.nearRadiusCentimetres = nearRadiusCentimetres
        self.refreshPeriodTicks = refreshPeriodTicks
        self.capHysteresisPercent = capHysteresisPercent
    }

    public static let radiusCentimetresMax: Int32 = 20_000
    public static let visibleMaxRange = 1...1_000
    public static let refreshPeriodTicksRange = 1...64

    public func problems() -> [String] {
        var out: [String] = []
        if !(1...Self.radiusCentimetresMax).contains(enterRadiusCentimetres) {
            out.append("interest.enterRadiusCentimetres: must be 1 to \(Self.radiusCentimetresMax), got \(enterRadiusCentimetres)")
        }
        if !(enterRadiusCentimetres...Self.radiusCentimetresMax).contains(leaveRadiusCentimetres) {
            out.append("interest.leaveRadiusCentimetres: must be at least enterRadiusCentimetres (\(enterRadiusCentimetres)) and at most \(Self.radiusCentimetresMax), got \(leaveRadiusCentimetres)")
        }
        if !Self.visibleMaxRange.contains(visibleMax) { out.append("interest.visibleMax: must be \(Self.visibleMaxRange), got \(visibleMax)") }
        if nearRadiusCentimetres < 0 { out.append("interest.nearRadiusCentimetres: must not be negative") }
        if !Self.refreshPeriodTicksRange.contains(refreshPeriodTicks) { out.append("interest.refreshPeriodTicks: must be \(Self.refreshPeriodTicksRange), got \(refreshPeriodTicks)") }
        if !(0...50).contains(capHysteresisPercent) { out.append("interest.capHysteresisPercent: must be 0 to 50, got \(capHysteresisPercent)") }
        return out
    }
}
