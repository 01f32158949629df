import Crowd
import Testing
import WorldCore

@Suite struct DeterminismTests {
    /// The hash after every tick of a crowd run, feeding the world its inputs through `edit`.
    func hashes(seed: UInt64, ticks: Int, spatialIndex: SpatialIndexKind = .grid,
                edit: (Int, inout [Input], World) -> Void = { _, _, _ in }) throws -> [UInt64] {
        let definition = SyntheticWorlds.rectangle(widthMetres: 40, heightMetres: 40, capacity: 200,
                                                   interest: InterestSettings(enterRadiusCentimetres: 1_000, leaveRadiusCentimetres: 1_300, visibleMax: 12))
        var world = try World(definition: definition, seed: seed, spatialIndex: spatialIndex)
        var crowd = Wanderers(seed: seed, target: 200, definition: definition, enterPerTickMax: 20, changeEveryTicksMean: 10, churnPerMille: 20)
        var out: [UInt64] = []
        for t in 0..<ticks {
            var inputs = crowd.nextInputs()
            edit(t, &inputs, world)
            world.step(inputs)
            crowd.observe(world.report)
            out.append(world.report.stateHash)
        }
        return out
    }

    @Test func sameSeedAndInputsGiveTheSameHashes() throws {
        let a = try hashes(seed: 42, ticks: 600)
        let b = try hashes(seed: 42, ticks: 600)
        #expect(a == b)
        #expect(Set(a).count == a.count, "every tick's state should hash differently")
        let c = try hashes(seed: 43, ticks: 600)
        #expect(a.last != c.last)
    }

    @Test func arrivalOrderOfInputsDoesNotMatter() throws {
        let a = try hashes(seed: 9, ticks: 300)
        let b = try hashes(seed: 9, ticks: 300) { _, inputs, _ in inputs.reverse() }
        #expect(a == b)
    }

    @Test func changingOneInputChangesEveryHashFromThatTickOn() throws {
        let changedTick = 250
        let base = try hashes(seed: 5, ticks: 500)
        let changed = try hashes(seed: 5, ticks: 500) { t, inputs, world in
            guard t == changedTick else { return }
            // Send the first avatar that is standing still running east instead.
            let id = world.avatars.first { a in
                if case .idle = a.movement { return true } else { return false }
            }?.id ?? world.avatars[0].id
            inputs.append(.move(id, .go(.east, .run)))
        }
        #expect(Array(base[..<changedTick]) == Array(changed[..<changedTick]))
        for t in changedTick..<500 {
            #expect(base[t] != changed[t], "tick index \(t)")
        }
    }

    @Test func gridAndBruteForceGiveIdenticalWorlds() throws {
        let grid = try hashes(seed: 77, ticks: 400, spatialIndex: .grid)
        let brute = try hashes(seed: 77, ticks: 400, spatialIndex: .bruteForce)
        #expect(grid == brute)
    }

    @Test func copiesOfAWorldEvolveIndependently() throws {
        let definition = SyntheticWorlds.rectangle(widthMetres: 30, heightMetres: 30, capacity: 50)
        var world = try World(definition: definition, seed: 1)
        world.step((0..<50).map { .enter(EnterRequest(tag: UInt64($0))) })
        var fork = world
        let id = world.avatars[0].id
        fork.step([.move(id, .go(.north, .walk))])
        world.step([])
        #expect(world.stateHash() != fork.stateHash())
        var again = world
        again.step([])
        world.step([])
        #expect(world.stateHash() == again.stateHash())
    }
}
