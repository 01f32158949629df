// The latest `capacity` samples of a figure, for the percentiles the status line and the stats
// file report: a ring, so that keeping a sample costs one store however full it is (no shift
// of thousands of entries on every tick or every input).

struct SampleRing<Value: Comparable>: Sendable where Value: Sendable {
    let capacity: Int
    /// The samples, in no particular order once the ring has wrapped.
    private(set) var values: [Value] = []
    private var next = 0

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        values.reserveCapacity(capacity)
    }

    mutating func add(_ value: Value) {
        if values.count < capacity {
            values.append(value)
        } else {
            values[next] = value
            next = (next + 1) % capacity
        }
    }

    var isEmpty: Bool { values.isEmpty }
    func sorted() -> [Value] { values.sorted() }
}
