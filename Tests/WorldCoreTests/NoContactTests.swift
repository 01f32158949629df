import Crowd
import Testing
import WorldCore

@Suite struct NoContactTests {
    @Test func denseCrowdNeverTouchesOverThousandsOfTicks() throws {
        // 3 m² per avatar: denser than a festival crowd, with room left to move.
        let definition = SyntheticWorlds.rectangle(widthMetres: 30, heightMetres: 30, capacity: 300)
        let world = try runCrowd(definition, avatars: 300, ticks: 2_000, seed: 7, churnPerMille: 5) { world in
            let violations = contactViolations(world)
            #expect(violations.isEmpty, "tick \(world.tick): \(violations.prefix(3))")
        }
        #expect(world.population > 250)
        #expect(world.totalMovement.contactsPrevented > 1_000, "a dense crowd must have had moves stopped or slid")
        #expect(world.totalMovement.slid > 0)
    }

    @Test func sparseCrowdNeverTouches() throws {
        let definition = SyntheticWorlds.rectangle(widthMetres: 150, heightMetres: 150, capacity: 200)
        var closestSquared = Int64.max
        let world = try runCrowd(definition, avatars: 200, ticks: 2_000, seed: 11) { world in
            #expect(contactViolations(world).isEmpty, "tick \(world.tick)")
            closestSquared = min(closestSquared, closestPairSquared(world))
        }
        // The crowd was there and met: without this, an empty world would pass.
        #expect(world.population == 200)
        #expect(world.totalMovement.contactsPrevented > 0, "walkers must have met and been kept apart")
        let minimum = 2 * Int64(definition.personalSpaceRadiusCentimetres)
        #expect(closestSquared < (minimum + 30) * (minimum + 30), "some pair came within 30 cm of the limit: closest \(closestSquared) cm²")
    }

    /// The checker the other tests rely on finds a pair planted too close (a restored state
    /// with one avatar moved beside another), and only that pair.
    @Test func theContactCheckFindsAPlantedPair() throws {
        let definition = SyntheticWorlds.rectangle(widthMetres: 60, heightMetres: 60, capacity: 50, obstacles: false)
        let crowd = try runCrowd(definition, avatars: 40, ticks: 60, seed: 4) { _ in }
        #expect(contactViolations(crowd).isEmpty)
        var state = crowd.capture()
        let live = state.slots.indices.filter { state.slots[$0].avatar != nil }
        let (a, b) = (live[0], live[1])
        var moved = state.slots[a].avatar!.position
        // One radius apart (half the minimum), towards the middle so that it stays inside the bounds.
        let radius = Int32(definition.personalSpaceRadiusCentimetres)
        moved.x += moved.x < (definition.bounds.minX + definition.bounds.maxX) / 2 ? radius : -radius
        state.slots[b].avatar!.position = moved
        state.slots[b].avatar!.floor = state.slots[a].avatar!.floor
        state.slots[b].avatar!.movement = .idle
        let planted = try World(definition: definition, restoring: state)
        let found = contactViolations(planted)
        #expect(found.count == 1, "\(found)")
        let pair = Set(found.flatMap { [$0.0, $0.1] }.map(\.slot))
        #expect(pair == [UInt32(a), UInt32(b)])
    }

    @Test func headOnLinesPassWithoutContact() throws {
        // Two columns of ten walk straight at each other along the same lines.
        var definition = SyntheticWorlds.rectangle(widthMetres: 40, heightMetres: 30, capacity: 20, obstacles: false)
        definition.spawnAreas = [
            SpawnArea(area: Rect(minX: 300, minY: 300, maxX: 300, maxY: 2_700)),
            SpawnArea(area: Rect(minX: 3_700, minY: 300, maxX: 3_700, maxY: 2_700)),
        ]
        var world = try World(definition: definition, seed: 3)
        world.step((0..<20).map { .enter(EnterRequest(tag: UInt64($0), spawnArea: $0 % 2)) })
        let placed = world.report.enterResults.compactMap { try? $0.outcome.get() }
        #expect(placed.count == 20)
        let moves: [Input] = world.avatars.map { a in
            .move(a.id, .walkTo(Vec2(a.position.x < 2_000 ? 3_700 : 300, a.position.y), .walk))
        }
        world.step(moves)
        for _ in 0..<1_500 {
            world.step([])
            let violations = contactViolations(world)
            #expect(violations.isEmpty, "tick \(world.tick): \(violations.prefix(3))")
            if !violations.isEmpty { break }
        }
        #expect(world.totalMovement.contactsPrevented > 0, "the lines must have met")
        let crossed = world.avatars.filter { a in
            if case .idle = a.movement { return true } else { return false }
        }
        #expect(crossed.count == 20, "every walker should reach the far side by sliding past the others, got \(crossed.count)")
    }

    @Test func spawningIntoACrowdFindsFreeSpotsOrRefuses() throws {
        // A 12 m x 12 m room: a hexagonal packing at 1.2 m holds about 100 centres.
        var definition = SyntheticWorlds.rectangle(widthMetres: 12, heightMetres: 12, capacity: 500, obstacles: false)
        definition.spawnAreas = [SpawnArea(area: definition.bounds)]
        var world = try World(definition: definition, seed: 5)
        var admitted = 0, refused = 0
        for round in 0..<10 {
            world.step((0..<40).map { .enter(EnterRequest(tag: UInt64(round * 40 + $0))) })
            for r in world.report.enterResults {
                switch r.outcome {
                case .success: admitted += 1
                case .failure(let reason):
                    #expect(reason == .noFreeSpot)
                    refused += 1
                }
            }
            #expect(contactViolations(world).isEmpty, "round \(round)")
            #expect(geometryViolations(world).isEmpty, "round \(round)")
        }
        #expect(admitted >= 55 && admitted <= 110, "admitted \(admitted)")
        #expect(refused == 400 - admitted)
    }

    @Test func aFloodOfEntriesIntoAJammedAreaCostsOneScan() throws {
        // A 6 m x 6 m room: 23 lattice points at 1.2 m in its 4.8 m x 4.8 m of walkable centres,
        // fewer when placed at random first. A thousand ask to enter in one tick.
        var definition = SyntheticWorlds.rectangle(widthMetres: 6, heightMetres: 6, capacity: 2_000, obstacles: false)
        definition.spawnAreas = [SpawnArea(area: definition.bounds)]
        var world = try World(definition: definition, seed: 8)
        world.step((0..<1_000).map { .enter(EnterRequest(tag: UInt64($0))) })
        let refused = world.report.enterResults.filter { $0.outcome == .failure(.noFreeSpot) }.count
        #expect(world.population + refused == 1_000)
        #expect(world.population >= 10 && world.population <= 23, "placed \(world.population), examined \(world.report.spawnSpotsExamined)")
        // Each placed avatar costs at most the random tries plus one lattice scan; after the
        // first refusal the area is known jammed and the rest cost nothing.
        let latticePoints = 6 * 6 // (480 / 120 + 1) columns by (480 / 103 + 1) rows, rounded up
        let bound = (world.population + 1) * (24 + latticePoints)
        #expect(world.report.spawnSpotsExamined <= bound, "examined \(world.report.spawnSpotsExamined), bound \(bound)")
        #expect(contactViolations(world).isEmpty)
    }

    @Test func fullWorldRefusesWithReason() throws {
        let definition = SyntheticWorlds.rectangle(widthMetres: 50, heightMetres: 50, capacity: 5)
        var world = try World(definition: definition, seed: 1)
        world.step((0..<7).map { .enter(EnterRequest(tag: UInt64($0))) } + [.enter(EnterRequest(tag: 99, spawnArea: 3))])
        let outcomes = world.report.enterResults.map(\.outcome)
        #expect(outcomes.filter { (try? $0.get()) != nil }.count == 5)
        #expect(world.report.enterResults.filter { $0.outcome == .failure(.worldFull) }.count == 2)
        #expect(world.report.enterResults.first { $0.tag == 99 }?.outcome == .failure(.noSuchSpawnArea))
    }

    @Test func avatarsNeverEnterObstaclesOrLeaveBounds() throws {
        // Running crowds push hard against the fountain, the block, the kiosk and the walls.
        let definition = SyntheticWorlds.rectangle(widthMetres: 40, heightMetres: 40, capacity: 150)
        _ = try runCrowd(definition, avatars: 150, ticks: 1_500, seed: 19, churnPerMille: 2) { world in
            let bad = geometryViolations(world)
            #expect(bad.isEmpty, "tick \(world.tick): \(bad.prefix(3))")
        }
    }
}
