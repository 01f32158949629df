import Testing
@testable import WorldCore

@Suite struct GeometryTests {
    @Test func integerSquareRootIsExact() {
        for n: UInt64 in 0..<10_000 {
            let r = integerSquareRoot(n)
            #expect(r * r <= n && (r + 1) * (r + 1) > n)
        }
        var random = WorldRandom(seed: 1)
        for _ in 0..<10_000 {
            let n = random.next()
            let r = integerSquareRoot(n)
            #expect(r.multipliedFullWidth(by: r).high == 0 && r * r <= n)
            let next = (r + 1).multipliedFullWidth(by: r + 1)
            #expect(next.high > 0 || next.low > n)
        }
        #expect(integerSquareRoot(UInt64.max) == 4_294_967_295)
    }

    @Test func headingsRoundTripThroughVectors() {
        for raw in stride(from: 0, to: 65_536, by: 97) {
            let h = Heading(raw: UInt16(raw))
            let u = h.unitVector
            #expect(u.x * u.x + u.y * u.y > 16_300 * 16_300 && u.x * u.x + u.y * u.y < 16_420 * 16_420)
            let back = Heading(of: Vec2(u.x, u.y))
            let error = Int16(bitPattern: back.raw &- UInt16(raw & ~15))
            #expect(abs(Int(error)) <= 16, "heading \(raw) came back as \(back.raw)")
        }
        #expect(Heading.north.unitVector == (0, Trig.one))
        #expect(Heading.west.unitVector == (-Trig.one, 0))
        #expect(Heading(of: Vec2(0, -5)) == .south)
    }

    @Test func shapesAgreeWithTheirDefinitions() {
        let square = Polygon(vertices: [Vec2(0, 0), Vec2(100, 0), Vec2(100, 100), Vec2(0, 100)])
        #expect(square.contains(Vec2(50, 50)))
        #expect(square.contains(Vec2(100, 50)), "edges count as inside")
        #expect(!square.contains(Vec2(101, 50)))
        #expect(square.overlapsDisk(center: Vec2(150, 50), radius: 51))
        #expect(!square.overlapsDisk(center: Vec2(150, 50), radius: 50), "touching is not overlapping")
        #expect(square.overlapsDisk(center: Vec2(135, 135), radius: 50), "the corner is 49.5 cm away")
        let triangle = Polygon(vertices: [Vec2(0, 0), Vec2(1_000, 0), Vec2(0, 1_000)])
        #expect(triangle.contains(Vec2(100, 100)) && !triangle.contains(Vec2(600, 600)))
        #expect(abs(triangle.doubleSignedArea) == 1_000_000)
        let circle = Shape.circle(Circle(center: Vec2(0, 0), radius: 100))
        #expect(circle.overlapsDisk(center: Vec2(159, 0), radius: 60))
        #expect(!circle.overlapsDisk(center: Vec2(160, 0), radius: 60))
        let rect = Shape.rect(Rect(minX: 0, minY: 0, maxX: 10, maxY: 10))
        #expect(rect.overlapsDisk(center: Vec2(5, 5), radius: 1))
        #expect(!rect.overlapsDisk(center: Vec2(20, 5), radius: 10))
        // Far-apart coordinates exercise the 128-bit comparison.
        let long = Polygon(vertices: [Vec2(-9_000_000, -9_000_000), Vec2(9_000_000, -9_000_000), Vec2(0, 9_000_000)])
        #expect(long.contains(Vec2(0, 0)))
        #expect(long.overlapsDisk(center: Vec2(0, -9_000_050), radius: 60))
    }

    @Test func randomNumbersAreReproducibleAndUnbiasedEnough() {
        var a = WorldRandom(seed: 99), b = WorldRandom(seed: 99)
        for _ in 0..<1_000 { #expect(a.next() == b.next()) }
        var counts = [Int](repeating: 0, count: 10)
        for _ in 0..<100_000 { counts[Int(a.uniform(below: 10))] += 1 }
        for c in counts { #expect(c > 9_500 && c < 10_500) }
        for _ in 0..<1_000 {
            let v = a.uniform(-5...5)
            #expect(v >= -5 && v <= 5)
        }
    }

    @Test func quickselectAndHistogramSelectAgreeWithSorting() {
        var random = WorldRandom(seed: 4)
        let keys = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: 600)
        let spare = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: 600)
        let histogram = UnsafeMutableBufferPointer<Int32>.allocate(capacity: 64)
        defer { keys.deallocate(); spare.deallocate(); histogram.deallocate() }
        for trial in 0..<300 {
            let length = 1 + Int(random.uniform(below: 600))
            let count = 1 + Int(random.uniform(below: UInt64(length)))
            var values = Set<UInt64>()
            while values.count < length { values.insert(random.next() >> UInt64(random.uniform(below: 60))) }
            let list = Array(values)
            for (i, v) in list.enumerated() { keys[i] = v }
            selectSmallest(keys, length: length, count: count, spare: spare, histogram: histogram)
            #expect(Set(keys[0..<count]) == Set(list.sorted().prefix(count)), "trial \(trial)")
            for (i, v) in list.enumerated() { keys[i] = v }
            quickselect(keys, length: length, count: count)
            #expect(Set(keys[0..<count]) == Set(list.sorted().prefix(count)), "trial \(trial)")
        }
    }
}
