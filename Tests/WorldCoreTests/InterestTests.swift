// The world's views against a brute-force evaluation of the same rule, written here from
// the rule's text (see World+Interest.swift) without the grid, the ring scan or selection.

import Crowd
import Testing
import WorldCore

struct InterestOracle {
    let settings: InterestSettings
    var views: [AvatarID: Set<AvatarID>] = [:]
    var enteredTick: [AvatarID: UInt64] = [:]

    /// Recomputes the views due at `world.tick`; returns the changes it expects, sorted.
    mutating func update(_ world: World) -> [ViewChange] {
        for r in world.report.enterResults { if let id = try? r.outcome.get() { enteredTick[id] = world.tick } }
        for id in world.report.left {
            views[id] = nil
            enteredTick[id] = nil
        }
        let avatars = world.avatars
        var byID: [AvatarID: World.AvatarState] = [:]
        for a in avatars { byID[a.id] = a }
        var changes: [ViewChange] = []
        for o in avatars {
            let period = UInt64(settings.refreshPeriodTicks)
            guard enteredTick[o.id] == world.tick || (world.tick + UInt64(Int(o.id.slot) / World.refreshBlockSlots)) % period == 0 else { continue }
            let previous = views[o.id] ?? []
            var ranked: [(key: Int64, slot: UInt32, id: AvatarID)] = []
            for s in avatars where s.id != o.id && s.floor == o.floor {
                let d2 = o.position.distanceSquared(to: s.position)
                let member = previous.contains(s.id)
                let limit = Int64(member ? settings.leaveRadiusCentimetres : settings.enterRadiusCentimetres)
                guard d2 <= limit * limit else { continue }
                let keep = Int64(100 - settings.capHysteresisPercent)
                ranked.append((d2 * (member ? keep * keep : 10_000), s.id.slot, s.id))
            }
            ranked.sort { ($0.key, $0.slot) < ($1.key, $1.slot) }
            let next = Set(ranked.prefix(settings.visibleMax).map(\.id))
            for s in next.subtracting(previous) { changes.append(ViewChange(observer: o.id, subject: s, entered: true)) }
            for s in previous.subtracting(next) { changes.append(ViewChange(observer: o.id, subject: s, entered: false)) }
            views[o.id] = next
        }
        return changes.sorted(by: Self.order)
    }

    static func order(_ a: ViewChange, _ b: ViewChange) -> Bool {
        (a.observer, a.subject, a.entered ? 1 : 0) < (b.observer, b.subject, b.entered ? 1 : 0)
    }

    /// The view as the world reports it between refreshes: members still alive.
    func liveView(of id: AvatarID, in world: World) -> Set<AvatarID> {
        (views[id] ?? []).filter { world.avatar($0) != nil }
    }
}

@Suite struct InterestTests {
    /// Returns how many refreshes looked again after the look within the view's last reach
    /// found too few.
    @discardableResult
    func compare(settings: InterestSettings, avatars: Int, sizeMetres: Int, ticks: Int, seed: UInt64, spatialIndex: SpatialIndexKind = .grid) throws -> Int {
        let definition = SyntheticWorlds.rectangle(widthMetres: sizeMetres, heightMetres: sizeMetres, capacity: avatars, interest: settings)
        var oracle = InterestOracle(settings: settings)
        var totalChanges = 0, cappedViews = 0, rescans = 0
        _ = try runCrowd(definition, avatars: avatars, ticks: ticks, seed: seed, churnPerMille: 10, spatialIndex: spatialIndex) { world in
            let expected = oracle.update(world)
            let actual = world.report.viewChanges.sorted(by: InterestOracle.order)
            #expect(actual == expected, "tick \(world.tick): \(actual.count) changes, oracle \(expected.count)")
            totalChanges += actual.count
            rescans += world.report.viewRescans
            for a in world.avatars {
                let view = Set(world.view(of: a.id))
                #expect(view == oracle.liveView(of: a.id, in: world), "tick \(world.tick) observer \(a.id)")
                if view.count == settings.visibleMax { cappedViews += 1 }
            }
        }
        #expect(totalChanges > 0)
        if settings.visibleMax < avatars / 4 { #expect(cappedViews > 0, "the cap must have been reached for this test to mean anything") }
        return rescans
    }

    @Test func viewsMatchBruteForceEveryTick() throws {
        try compare(settings: InterestSettings(enterRadiusCentimetres: 800, leaveRadiusCentimetres: 1_100, visibleMax: 10,
                                               nearRadiusCentimetres: 300, refreshPeriodTicks: 1),
                    avatars: 120, sizeMetres: 40, ticks: 400, seed: 21)
    }

    @Test func staggeredRefreshesMatchBruteForce() throws {
        // Both ways of gathering are held to the rule: the look within a full view's last
        // reach, and the ring scan after it when the crowd thinned and it found too few.
        let rescans = try compare(settings: InterestSettings(enterRadiusCentimetres: 1_000, leaveRadiusCentimetres: 1_500, visibleMax: 8,
                                               nearRadiusCentimetres: 300, refreshPeriodTicks: 4),
                    avatars: 150, sizeMetres: 35, ticks: 400, seed: 23)
        #expect(rescans > 0)
    }

    @Test func uncappedSparseViewsMatchBruteForce() throws {
        try compare(settings: InterestSettings(enterRadiusCentimetres: 2_000, leaveRadiusCentimetres: 2_600, visibleMax: 100,
                                               refreshPeriodTicks: 2),
                    avatars: 80, sizeMetres: 120, ticks: 300, seed: 29)
    }

    @Test func bruteForceIndexMatchesTheOracleToo() throws {
        try compare(settings: InterestSettings(enterRadiusCentimetres: 800, leaveRadiusCentimetres: 1_100, visibleMax: 10, refreshPeriodTicks: 3),
                    avatars: 80, sizeMetres: 30, ticks: 200, seed: 31, spatialIndex: .bruteForce)
    }

    @Test func dueUpdatesFollowTheBands() throws {
        let settings = InterestSettings(enterRadiusCentimetres: 3_000, leaveRadiusCentimetres: 3_500, visibleMax: 100,
                                        nearRadiusCentimetres: 500, refreshPeriodTicks: 1)
        let definition = SyntheticWorlds.rectangle(widthMetres: 60, heightMetres: 60, capacity: 60, interest: settings)
        var world = try World(definition: definition, seed: 2)
        world.step((0..<60).map { .enter(EnterRequest(tag: UInt64($0))) })
        let observer = world.avatars[0]
        var dueCount: [AvatarID: Int] = [:]
        for _ in 0..<8 {
            world.step([])
            world.forEachDueUpdate(of: observer.id) { dueCount[$0, default: 0] += 1 }
        }
        for id in world.view(of: observer.id) {
            let d2 = observer.position.distanceSquared(to: world.avatar(id)!.position)
            let expected = d2 <= 500 * 500 ? 8 : (d2 <= 1_000 * 1_000 ? 4 : 2)
            #expect(dueCount[id, default: 0] == expected, "subject at \(d2) cm²")
        }
        #expect(world.view(of: AvatarID(slot: 999, generation: 0)).isEmpty)
    }
}
