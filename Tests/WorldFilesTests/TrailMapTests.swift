import Crowd
import Testing
import WorldCore
import WorldFiles

/// The replay's map: what was drawn must be what the world did.
@Suite struct TrailMapTests {
    @Test func trailsAndHeatFollowTheWorld() throws {
        let definition = SyntheticWorlds.rectangle(widthMetres: 30, heightMetres: 30, capacity: 40)
        var world = try World(definition: definition, seed: 6)
        var crowd = Wanderers(seed: 6, target: 30, definition: definition, enterPerTickMax: 30, changeEveryTicksMean: 10, churnPerMille: 0)
        var map = TrailMap(definition: definition, floor: 0)
        var start: [AvatarID: Vec2] = [:]
        for _ in 0..<60 {
            world.step(crowd.nextInputs())
            crowd.observe(world.report)
            for a in world.avatars where start[a.id] == nil { start[a.id] = a.position }
            map.add(world)
        }
        #expect(map.firstTick == 1 && map.lastTick == 60)
        #expect(map.mostAtOnce == world.population && world.population == 30)
        let svg = map.render(title: "test <&>")
        #expect(svg.contains("test &lt;&amp;&gt;"))
        #expect(svg.contains("<g id=\"heat\">"))
        // One start dot per avatar; a trail exactly for those that went at least 50 cm away.
        let dots = svg.components(separatedBy: "<circle data-avatar=").count - 1
        #expect(dots == start.count)
        let travelled = world.avatars.filter { $0.position.distanceSquared(to: start[$0.id]!) >= 50 * 50 }.count
        let lines = svg.components(separatedBy: "<polyline data-avatar=").count - 1
        #expect(travelled > 0)
        #expect(lines >= travelled && lines <= start.count)
    }
}
