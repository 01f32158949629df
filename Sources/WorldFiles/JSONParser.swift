// A JSON parser (RFC 8259) straight into `JSONValue`, for the world files: Foundation's
// decoder reached the same tree by trying each type in turn and throwing on every miss, and
// that was a fifth of `worlds check`. Strict where a world file's author would want to hear
// it: a key given twice in one object, trailing commas, comments and anything after the
// document are errors, each naming the line and column.
//
// Invariants:
// 1. Nesting is at most `depthMax` deep (a hostile file cannot exhaust the stack).
// 2. Every byte is read at most once, and the parse ends at the end of the bytes or at the
//    first error: O(bytes).

struct JSONParseError: Error, CustomStringConvertible {
    var line: Int
    var column: Int
    var message: String
    var description: String { "line \(line), column \(column): \(message)" }
}

struct JSONParser {
    static let depthMax = 64

    private let bytes: [UInt8]
    private var at = 0

    /// The value the bytes hold, or where and why they are not JSON.
    static func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(bytes: bytes)
        parser.skipSpace()
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.at == bytes.count else { throw parser.error("more text after the end of the document") }
        return value
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private func error(_ message: String) -> JSONParseError {
        var line = 1, column = 1
        for b in bytes[..<min(at, bytes.count)] {
            if b == UInt8(ascii: "\n") { line += 1; column = 1 } else if b & 0xC0 != 0x80 { column += 1 }
        }
        return JSONParseError(line: line, column: column, message: message)
    }

    private var next: UInt8? { at < bytes.count ? bytes[at] : nil }

    private mutating func skipSpace() {
        while let b = next, b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { at += 1 }
    }

    private mutating func expect(_ word: String, _ value: JSONValue) throws(JSONParseError) -> JSONValue {
        for b in word.utf8 {
            guard next == b else { throw error("expected '\(word)'") }
            at += 1
        }
        return value
    }

    private mutating func value(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth < Self.depthMax else { throw error("nested more than \(Self.depthMax) deep") }
        guard let b = next else { throw error("the document ends where a value should be") }
        switch b {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try expect("true", .bool(true))
        case UInt8(ascii: "f"): return try expect("false", .bool(false))
        case UInt8(ascii: "n"): return try expect("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw error("unexpected '\(Unicode.Scalar(b))' where a value should be")
        }
    }

    private mutating func object(depth: Int) throws(JSONParseError) -> JSONValue {
        at += 1
        var fields: [String: JSONValue] = [:]
        skipSpace()
        if next == UInt8(ascii: "}") {
            at += 1
            return .object(fields)
        }
        while true {
            skipSpace()
            guard next == UInt8(ascii: "\"") else { throw error("expected a key in quotes") }
            let keyAt = at
            let key = try string()
            skipSpace()
            guard next == UInt8(ascii: ":") else { throw error("expected ':' after the key \"\(key)\"") }
            at += 1
            skipSpace()
            let v = try value(depth: depth + 1)
            guard fields.updateValue(v, forKey: key) == nil else {
                at = keyAt
                throw error("the key \"\(key)\" is given twice in one object")
            }
            skipSpace()
            switch next {
            case UInt8(ascii: ","): at += 1
            case UInt8(ascii: "}"):
                at += 1
                return .object(fields)
            default: throw error("expected ',' or '}' in an object")
            }
        }
    }

    private mutating func array(depth: Int) throws(JSONParseError) -> JSONValue {
        at += 1
        var items: [JSONValue] = []
        skipSpace()
        if next == UInt8(ascii: "]") {
            at += 1
            return .array(items)
        }
        while true {
            skipSpace()
            items.append(try value(depth: depth + 1))
            skipSpace()
            switch next {
            case UInt8(ascii: ","): at += 1
            case UInt8(ascii: "]"):
                at += 1
                return .array(items)
            default: throw error("expected ',' or ']' in an array")
            }
        }
    }

    private mutating func number() throws(JSONParseError) -> Double {
        let start = at
        func digits() -> Int {
            let from = at
            while let b = next, b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") { at += 1 }
            return at - from
        }
        if next == UInt8(ascii: "-") { at += 1 }
        let leadingZero = next == UInt8(ascii: "0")
        let whole = digits()
        guard whole > 0 else { throw error("a number needs a digit") }
        guard !leadingZero || whole == 1 else {
            at = start
            throw error("a number may not start with 0")
        }
        if next == UInt8(ascii: ".") {
            at += 1
            guard digits() > 0 else { throw error("a digit must follow the decimal point") }
        }
        if next == UInt8(ascii: "e") || next == UInt8(ascii: "E") {
            at += 1
            if next == UInt8(ascii: "+") || next == UInt8(ascii: "-") { at += 1 }
            guard digits() > 0 else { throw error("a digit must follow the exponent") }
        }
        guard let value = Double(String(decoding: bytes[start..<at], as: UTF8.self)), value.isFinite else {
            at = start
            throw error("the number is out of range")
        }
        return value
    }

    private mutating func string() throws(JSONParseError) -> String {
        at += 1
        var out: [UInt8] = []
        while true {
            guard let b = next else { throw error("a string is not closed") }
            at += 1
            switch b {
            case UInt8(ascii: "\""):
                // Invalid UTF-8 is refused, not repaired.
                guard let text = String(validating: out, as: UTF8.self) else { throw error("a string is not valid UTF-8") }
                return text
            case UInt8(ascii: "\\"):
                guard let e = next else { throw error("a string is not closed") }
                at += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        // A surrogate pair: the low half must follow.
                        guard next == UInt8(ascii: "\\") else { throw error("an unpaired surrogate in \\u escapes") }
                        at += 1
                        guard next == UInt8(ascii: "u") else { throw error("an unpaired surrogate in \\u escapes") }
                        at += 1
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw error("an unpaired surrogate in \\u escapes") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw error("an unpaired surrogate in \\u escapes")
                    }
                    out.append(contentsOf: Array(String(Unicode.Scalar(scalar)!).utf8))
                default: throw error("an unknown escape '\\\(Unicode.Scalar(e))'")
                }
            case 0x00..<0x20:
                at -= 1
                throw error("a control character inside a string (write it as an escape)")
            default: out.append(b)
            }
        }
    }

    private mutating func hex4() throws(JSONParseError) -> UInt32 {
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard let b = next else { throw error("a \\u escape needs four hex digits") }
            let d: UInt32
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(b - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(b - UInt8(ascii: "A") + 10)
            default: throw error("a \\u escape needs four hex digits")
            }
            v = v << 4 | d
            at += 1
        }
        return v
    }
}
