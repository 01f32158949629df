// A crowd of avatars that wander: the input source for `seoulworld simulate`, the tests
// and the benchmarks.
//
// Each avatar, on average every `changeEveryTicksMean` ticks, picks a new intention: walk
// a random way (most often), run, stop, or walk to a random point. With `churnPerMille`
// above zero, avatars also leave and re-enter, which exercises slot reuse. Everything is
// drawn from the crowd's own seeded generator, so a crowd is reproducible from its seed,
// independently of the world's generator.

import WorldCore

public struct Wanderers: Sendable {
    public private(set) var random: WorldRandom
    /// Avatars currently in the world, in the order they entered.
    public private(set) var ids: [AvatarID] = []
    public private(set) var entered = 0
    public private(set) var refused = 0
    public let target: Int
    public let enterPerTickMax: Int
    public var changeEveryTicksMean: UInt64
    public var churnPerMille: UInt64
    var nextTag: UInt64 = 1
    var pendingEnters = 0
    let bounds: Rect
    let spawnAreaCount: Int
    var inputs: [Input] = []

    /// A crowd of `target` avatars for a world of `definition`; walk-to targets are drawn
    /// from its walkable bounds.
    public init(seed: UInt64, target: Int, definition: WorldDefinition, enterPerTickMax: Int = 1_000,
                changeEveryTicksMean: UInt64 = 40, churnPerMille: UInt64 = 0) {
        precondition(target >= 0 && enterPerTickMax > 0 && changeEveryTicksMean > 0)
        random = WorldRandom(seed: seed ^ 0xC0FF_EE00_D15E_A5E5)
        self.target = target
        self.bounds = definition.bounds.inset(by: definition.personalSpaceRadiusCentimetres)
        self.spawnAreaCount = max(1, definition.spawnAreas.count)
        self.enterPerTickMax = enterPerTickMax
        self.changeEveryTicksMean = changeEveryTicksMean
        self.churnPerMille = churnPerMille
    }

    /// Learns the outcome of the last tick (who entered, who was refused).
    public mutating func observe(_ report: TickReport) {
        for result in report.enterResults {
            pendingEnters -= 1
            switch result.outcome {
            case .success(let id):
                ids.append(id)
                entered += 1
            case .failure:
                refused += 1
            }
        }
    }

    /// The inputs for the next tick.
    public mutating func nextInputs() -> [Input] {
        inputs.removeAll(keepingCapacity: true)
        let missing = target - ids.count - pendingEnters
        for _ in 0..<max(0, min(missing, enterPerTickMax)) {
            // Newcomers take the spawn areas in turn.
            inputs.append(.enter(EnterRequest(tag: nextTag, spawnArea: Int(nextTag % UInt64(spawnAreaCount)))))
            nextTag += 1
            pendingEnters += 1
        }
        var i = 0
        while i < ids.count {
            let id = ids[i]
            if churnPerMille > 0 && random.uniform(below: 1_000 * changeEveryTicksMean) < churnPerMille {
                inputs.append(.leave(id))
                ids.swapAt(i, ids.count - 1)
                ids.removeLast()
                continue
            }
            if random.uniform(below: changeEveryTicksMean) == 0 {
                inputs.append(.move(id, randomMove()))
            }
            i += 1
        }
        return inputs
    }

    mutating func randomMove() -> Move {
        let roll = random.uniform(below: 100)
        let heading = Heading(raw: UInt16(truncatingIfNeeded: random.next()))
        switch roll {
        case 0..<65: return .go(heading, .walk)
        case 65..<75: return .go(heading, .run)
        case 75..<85: return .stop
        default:
            let target = Vec2(random.uniform(bounds.minX...bounds.maxX), random.uniform(bounds.minY...bounds.maxY))
            return .walkTo(target, .walk)
        }
    }
}
