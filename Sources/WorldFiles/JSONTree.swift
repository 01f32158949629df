// Reading a JSON document field by field, collecting every problem with its path instead of
// stopping at the first, and noticing fields nobody asked for (a misspelt key is otherwise
// silently ignored).

import Foundation

/// A parsed JSON value (JSONParser.swift). Parsing into this tree first, then reading it by
/// hand, lets every error name its path and lets a file report all its problems at once.
public indirect enum JSONValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "true/false"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// Collects the problems of one file.
final class Diagnostics {
    let file: String
    private(set) var errors: [WorldFileError] = []

    init(file: String) { self.file = file }

    func error(_ path: String, _ message: String, expected: String? = nil) {
        errors.append(WorldFileError(file: file, path: path, message: message, expected: expected))
    }
}

/// An object being read: each accessor reports a missing or mistyped field at its path.
struct ObjectReader {
    let fields: [String: JSONValue]
    let path: String
    let diagnostics: Diagnostics

    /// Nil (with an error reported) when `value` is not an object. Keys outside `known` are
    /// reported as unknown, with the list of keys that are allowed.
    init?(_ value: JSONValue, path: String, diagnostics: Diagnostics, known: [String]) {
        guard case .object(let fields) = value else {
            diagnostics.error(path, "is \(value.typeName)", expected: "an object")
            return nil
        }
        self.fields = fields
        self.path = path
        self.diagnostics = diagnostics
        for key in fields.keys.sorted() where !known.contains(key) {
            diagnostics.error(child(key), "unknown field", expected: "one of " + known.joined(separator: ", "))
        }
    }

    func child(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    func value(_ key: String, required: Bool) -> JSONValue? {
        guard let v = fields[key] else {
            if required { diagnostics.error(child(key), "is missing") }
            return nil
        }
        return v
    }

    func string(_ key: String, required: Bool = true) -> String? {
        guard let v = value(key, required: required) else { return nil }
        guard case .string(let s) = v else {
            diagnostics.error(child(key), "is \(v.typeName)", expected: "a string")
            return nil
        }
        return s
    }

    func number(_ key: String, required: Bool = true, range: ClosedRange<Double>? = nil) -> Double? {
        guard let v = value(key, required: required) else { return nil }
        guard case .number(let n) = v else {
            diagnostics.error(child(key), "is \(v.typeName)", expected: "a number")
            return nil
        }
        if let range, !range.contains(n) {
            diagnostics.error(child(key), "is \(format(n))", expected: "\(format(range.lowerBound)) to \(format(range.upperBound))")
            return nil
        }
        return n
    }

    func integer(_ key: String, required: Bool = true, range: ClosedRange<Int>? = nil) -> Int? {
        guard let n = number(key, required: required) else { return nil }
        guard n == n.rounded(), abs(n) < 1e15 else {
            diagnostics.error(child(key), "is \(format(n))", expected: "a whole number")
            return nil
        }
        let i = Int(n)
        if let range, !range.contains(i) {
            diagnostics.error(child(key), "is \(i)", expected: "\(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        return i
    }

    func object(_ key: String, required: Bool = true, known: [String]) -> ObjectReader? {
        guard let v = value(key, required: required) else { return nil }
        return ObjectReader(v, path: child(key), diagnostics: diagnostics, known: known)
    }

    /// The array's elements with their paths.
    func array(_ key: String, required: Bool = true) -> [(JSONValue, String)]? {
        guard let v = value(key, required: required) else { return nil }
        guard case .array(let items) = v else {
            diagnostics.error(child(key), "is \(v.typeName)", expected: "an array")
            return nil
        }
        return items.enumerated().map { ($0.element, child(key) + "[\($0.offset)]") }
    }

    /// A list of numbers of exactly `count` elements (a point, a rectangle).
    func numbers(_ key: String, count: Int, required: Bool = true, meaning: String) -> [Double]? {
        guard let v = value(key, required: required) else { return nil }
        return Self.numbers(v, path: child(key), count: count, meaning: meaning, diagnostics: diagnostics)
    }

    static func numbers(_ v: JSONValue, path: String, count: Int, meaning: String, diagnostics: Diagnostics) -> [Double]? {
        guard case .array(let items) = v, items.count == count else {
            diagnostics.error(path, "is \(v.typeName)\(countNote(v))", expected: meaning)
            return nil
        }
        var out: [Double] = []
        for item in items {
            guard case .number(let n) = item, n.isFinite else {
                diagnostics.error(path, "holds \(item.typeName)", expected: meaning)
                return nil
            }
            out.append(n)
        }
        return out
    }

    static func countNote(_ v: JSONValue) -> String {
        if case .array(let items) = v { return " of \(items.count) elements" }
        return ""
    }
}

func format(_ n: Double) -> String {
    n == n.rounded() && abs(n) < 1e15 ? String(Int(n)) : String(n)
}
