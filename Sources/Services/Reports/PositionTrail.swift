// Where every avatar of a space was, once a second, for the last minute: the evidence a report
// attaches about the two people involved. A ring of samples; memory is bounded by the samples
// kept times the space's capacity (16 bytes an avatar: 4.8 MB for 5,000 avatars over 60 s).

public struct PositionSample: Sendable {
    public var tick: UInt64
    public var atMillis: Int64
    public var entities: [UInt32] = []
    public var floors: [UInt8] = []
    public var xs: [Int32] = []
    public var ys: [Int32] = []

    public init(tick: UInt64, atMillis: Int64) {
        self.tick = tick
        self.atMillis = atMillis
    }

    public mutating func add(entity: UInt32, floor: UInt8, x: Int32, y: Int32) {
        entities.append(entity)
        floors.append(floor)
        xs.append(x)
        ys.append(y)
    }
}

public struct TrackPoint: Sendable, Hashable, Codable {
    public var tick: UInt64
    public var atMillis: Int64
    public var floor: UInt8
    public var x: Int32
    public var y: Int32
}

public struct PositionTrail: Sendable {
    public let samplesMax: Int
    var samples: [PositionSample] = []
    var next = 0

    public init(samplesMax: Int = 60) {
        precondition(samplesMax > 0)
        self.samplesMax = samplesMax
    }

    public mutating func record(_ sample: PositionSample) {
        if samples.count < samplesMax {
            samples.append(sample)
        } else {
            samples[next] = sample
            next = (next + 1) % samplesMax
        }
    }

    /// One entity's positions, oldest first.
    public func track(_ entity: UInt32) -> [TrackPoint] {
        var out: [TrackPoint] = []
        for k in 0..<samples.count {
            let s = samples[(next + k) % samples.count]
            if let i = s.entities.firstIndex(of: entity) {
                out.append(TrackPoint(tick: s.tick, atMillis: s.atMillis, floor: s.floors[i], x: s.xs[i], y: s.ys[i]))
            }
        }
        return out
    }
}
