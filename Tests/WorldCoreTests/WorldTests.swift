import Crowd
import Testing
import WorldCore

@Suite struct WorldTests {
    func openWorld(capacity: Int = 10) throws -> World {
        try World(definition: SyntheticWorlds.rectangle(widthMetres: 50, heightMetres: 50, capacity: capacity, obstacles: false), seed: 1)
    }

    func enter(_ world: inout World, _ count: Int) -> [AvatarID] {
        world.step((0..<count).map { .enter(EnterRequest(tag: UInt64(1_000 + $0))) })
        return world.report.enterResults.compactMap { try? $0.outcome.get() }
    }

    @Test func staleAndUnknownIdsAreRejectedAndCounted() throws {
        var world = try openWorld()
        let first = enter(&world, 1)[0]
        world.step([.leave(first)])
        #expect(world.report.left == [first])
        let second = enter(&world, 1)[0]
        #expect(second.slot == first.slot, "the freed slot is reused")
        #expect(second.generation != first.generation)
        let before = world.avatar(second)!
        world.step([.move(first, .go(.east, .run)), .leave(first), .move(AvatarID(slot: 7, generation: 0), .stop)])
        #expect(world.report.rejections.staleAvatar == 2)
        #expect(world.report.rejections.unknownAvatar == 1)
        #expect(world.avatar(second)?.position == before.position, "a stale id must not move the newcomer")
        #expect(world.avatar(first) == nil)
        #expect(world.population == 1)
    }

    @Test func walkRunAndArrive() throws {
        var world = try openWorld()
        let id = enter(&world, 1)[0]
        let start = world.avatar(id)!.position
        world.step([.move(id, .go(.east, .walk))])
        #expect(world.avatar(id)!.position == start + Vec2(7, 0), "140 cm/s at 20 Hz is 7 cm per tick")
        world.step([.move(id, .go(.north, .run))])
        #expect(world.avatar(id)!.position == start + Vec2(7, 20), "400 cm/s at 20 Hz is 20 cm per tick")
        let target = Vec2(2_500, 2_500)
        world.step([.move(id, .walkTo(target, .run))])
        for _ in 0..<400 { world.step([]) }
        let arrived = world.avatar(id)!
        #expect(arrived.position == target)
        #expect(arrived.movement == .idle)
    }

    @Test func invalidMovesAndFloodsAreCountedNotTrapped() throws {
        var world = try openWorld()
        let id = enter(&world, 1)[0]
        world.step([.move(id, .walkTo(Vec2(-5, 100), .walk)), .move(id, .walkTo(Vec2(Int32.max, Int32.min), .run))])
        #expect(world.report.rejections.invalidMove == 2)
        let flood = [Input](repeating: .move(id, .stop), count: World.inputsPerTickMax + 10)
        world.step(flood)
        #expect(world.report.rejections.overLimit == 10)
        #expect(world.totalRejections.total == 12)
    }

    @Test func headingsSteerTheWalk() throws {
        var world = try openWorld()
        let id = enter(&world, 1)[0]
        let start = world.avatar(id)!.position
        world.step([.move(id, .go(Heading(degrees: 45), .run))])
        let moved = world.avatar(id)!.position - start
        #expect(moved.x == moved.y && moved.x >= 13 && moved.x <= 15, "20 cm at 45° is about (14, 14), got \(moved)")
        #expect(world.avatar(id)!.heading == Heading(degrees: 45))
    }

    @Test func invalidDefinitionsAreRefusedWithReasons() {
        var d = SyntheticWorlds.rectangle(widthMetres: 10, heightMetres: 10, capacity: 0)
        d.personalSpaceRadiusCentimetres = 1
        d.interest.leaveRadiusCentimetres = 10
        d.spawnAreas = [SpawnArea(floor: 3, area: Rect(minX: 5_000, minY: 0, maxX: 6_000, maxY: 10))]
        do {
            _ = try World(definition: d, seed: 1)
            Issue.record("an invalid definition was accepted")
        } catch {
            let text = error.description
            for field in ["capacity", "personalSpaceRadiusCentimetres", "interest.leaveRadiusCentimetres", "spawnAreas[0].floor", "spawnAreas[0].area"] {
                #expect(text.contains(field), "missing \(field) in: \(text)")
            }
        }
    }

    @Test func multipleFloorsDoNotInteract() throws {
        var d = SyntheticWorlds.rectangle(widthMetres: 10, heightMetres: 10, capacity: 40, obstacles: false)
        d.floors = [Floor(level: 117, name: "117F"), Floor(level: 118, name: "118F")]
        let spot = Rect(minX: 500, minY: 500, maxX: 500, maxY: 500)
        d.spawnAreas = [SpawnArea(floor: 0, area: spot), SpawnArea(floor: 1, area: spot)]
        var world = try World(definition: d, seed: 1)
        world.step([.enter(EnterRequest(tag: 1, spawnArea: 0)), .enter(EnterRequest(tag: 2, spawnArea: 1)), .enter(EnterRequest(tag: 3, spawnArea: 1))])
        let outcomes = world.report.enterResults.map(\.outcome)
        #expect(outcomes.filter { (try? $0.get()) != nil }.count == 2, "one spot per floor: same point, different floors")
        let ids = world.avatars.map(\.id)
        #expect(world.view(of: ids[0]).isEmpty, "avatars on other floors are not seen")
    }
}
