import Crowd
import Testing
import WorldCore

/// Keyframes: a captured and restored world must be the same world, now and from then on.
@Suite struct StateTests {
    let definition = SyntheticWorlds.rectangle(widthMetres: 40, heightMetres: 40, capacity: 300,
                                               interest: InterestSettings(enterRadiusCentimetres: 1_000, leaveRadiusCentimetres: 1_300, visibleMax: 12))

    @Test func restoredWorldStepsExactlyAsTheOriginal() throws {
        var world = try World(definition: definition, seed: 5)
        // Churn: avatars leave and re-enter, so slots are freed, reused and generations rise.
        var crowd = Wanderers(seed: 5, target: 250, definition: definition, enterPerTickMax: 20, changeEveryTicksMean: 10, churnPerMille: 30)
        var copies: [(World, Wanderers)] = []
        for t in 1...900 {
            let inputs = crowd.nextInputs()
            world.step(inputs)
            crowd.observe(world.report)
            // Every restored copy, stepped with the same inputs, stays identical.
            for i in copies.indices {
                copies[i].0.step(inputs)
                #expect(copies[i].0.report.stateHash == world.report.stateHash, "copy \(i) diverged at tick \(t)")
            }
            if t % 150 == 0 {
                let state = world.capture()
                let restored = try World(definition: definition, restoring: state)
                #expect(restored.stateHash() == world.stateHash(), "tick \(t): the restored hash differs")
                #expect(restored.capture() == state, "tick \(t): capture of the restored world differs")
                copies.append((restored, crowd))
            }
        }
        #expect(world.capture().slots.contains { $0.avatar == nil }, "the run should have freed slots to restore")
    }

    @Test func appliedInputsReplayTheTick() throws {
        var a = try World(definition: definition, seed: 8)
        var b = a
        var crowd = Wanderers(seed: 8, target: 200, definition: definition, enterPerTickMax: 20, changeEveryTicksMean: 5, churnPerMille: 30)
        for _ in 0..<400 {
            var inputs = crowd.nextInputs()
            inputs.shuffle()
            a.step(inputs)
            crowd.observe(a.report)
            var applied: [Input] = []
            a.forEachAppliedInput { applied.append($0) }
            let counts = a.appliedInputCounts
            #expect(applied.count == counts.leaves + counts.enters + counts.moves)
            b.step(applied)
            #expect(a.report.stateHash == b.report.stateHash)
        }
    }

    @Test func aStateThatDoesNotFitIsRefusedWithReasons() throws {
        var world = try World(definition: definition, seed: 2)
        world.step([.enter(EnterRequest(tag: 1)), .enter(EnterRequest(tag: 2))])
        var state = world.capture()
        state.slots[0].avatar!.position = Vec2(-1_000_000, 0)
        state.slots[1].avatar!.floor = 7
        #expect(throws: WorldStateError.self) { try World(definition: definition, restoring: state) }
        let problems = state.problems(for: definition)
        #expect(problems.contains { $0.contains("slot 0") && $0.contains("outside the walkable bounds") })
        #expect(problems.contains { $0.contains("slot 1") && $0.contains("no floor") })
    }
}
