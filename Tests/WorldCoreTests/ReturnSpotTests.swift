import Crowd
import Testing
@testable import WorldCore

/// An entry with a return spot (someone coming back from a room): the spot itself when free,
/// else the nearest free one, never closer than the no-contact distance to anyone.
@Suite struct ReturnSpotTests {
    @Test func theSpotItselfThenTheNearestFreeOnes() throws {
        let definition = SyntheticWorlds.rectangle(widthMetres: 40, heightMetres: 40, capacity: 100)
        var world = try World(definition: definition, seed: 7)
        let spot = Spot(floor: 0, position: Vec2(1_000, 1_000))
        var placed: [Vec2] = []
        for tag in 1...12 as ClosedRange<UInt64> {
            world.step([.enter(EnterRequest(tag: tag, near: spot))])
            guard case .success(let id) = world.report.enterResults.first?.outcome else {
                Issue.record("entry \(tag) refused")
                return
            }
            placed.append(world.avatar(id)!.position)
        }
        #expect(placed[0] == spot.position, "a free spot is taken as it is")
        let contact = Int64(2 * definition.personalSpaceRadiusCentimetres)
        for (i, p) in placed.enumerated() {
            for q in placed[..<i] { #expect(p.distanceSquared(to: q) >= contact * contact) }
            #expect(p.distanceSquared(to: spot.position) <= 300 * 300, "twelve people fit within 3 m of the spot")
        }
        // The same inputs on another world with the same seed place everyone the same way.
        var again = try World(definition: definition, seed: 7)
        for tag in 1...12 as ClosedRange<UInt64> { again.step([.enter(EnterRequest(tag: tag, near: spot))]) }
        #expect(again.stateHash() == world.stateHash())
    }

    @Test func aSpotInsideAnObstacleGivesTheNearestSpotOutsideIt() throws {
        // The synthetic square's fountain: a circle of 2 m radius at its centre.
        let definition = SyntheticWorlds.rectangle(widthMetres: 40, heightMetres: 40, capacity: 10)
        var world = try World(definition: definition, seed: 1)
        world.step([.enter(EnterRequest(tag: 1, near: Spot(floor: 0, position: Vec2(2_000, 2_000))))])
        guard case .success(let id) = world.report.enterResults.first?.outcome else {
            Issue.record("refused")
            return
        }
        let d2 = world.avatar(id)!.position.distanceSquared(to: Vec2(2_000, 2_000))
        let clear = Int64(200 + definition.personalSpaceRadiusCentimetres)
        #expect(d2 >= clear * clear && d2 <= (clear + 100) * (clear + 100), "just outside the fountain's rim")
    }

    @Test func aSpotOnAFloorTheWorldDoesNotHaveFallsBackToTheSpawnArea() throws {
        let definition = SyntheticWorlds.rectangle(widthMetres: 40, heightMetres: 40, capacity: 10)
        var world = try World(definition: definition, seed: 1)
        world.step([.enter(EnterRequest(tag: 1, near: Spot(floor: 5, position: Vec2(2_000, 2_000))))])
        guard case .success(let id) = world.report.enterResults.first?.outcome else {
            Issue.record("refused")
            return
        }
        #expect(world.avatar(id)!.floor == definition.spawnAreas[0].floor)
    }
}
