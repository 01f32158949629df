// The world files' JSON parser against Foundation's decoder (the tree it replaced, built here
// the old way), on every shipped file and on documents made of the awkward parts of JSON; and
// its refusals, each with the line and column.

import Foundation
import Testing
@testable import WorldFiles

/// The tree as it was built before: Foundation's decoder trying each type in turn.
struct FoundationTree: Decodable {
    let value: JSONValue
    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { value = .null }
        else if let b = try? c.decode(Bool.self) { value = .bool(b) }
        else if let n = try? c.decode(Double.self) { value = .number(n) }
        else if let s = try? c.decode(String.self) { value = .string(s) }
        else if let a = try? c.decode([FoundationTree].self) { value = .array(a.map(\.value)) }
        else { value = .object(try c.decode([String: FoundationTree].self).mapValues(\.value)) }
    }
}

@Suite struct JSONParserTests {
    static func foundation(_ text: String) throws -> JSONValue { try JSONDecoder().decode(FoundationTree.self, from: Data(text.utf8)).value }

    @Test func everyShippedFileParsesAsFoundationReadsIt() throws {
        let fm = FileManager.default
        var files = try fm.contentsOfDirectory(atPath: Locations.shippedWorlds.path).map { Locations.shippedWorlds.appendingPathComponent($0) }
        let templates = Locations.shippedWorlds.appendingPathComponent("templates")
        files += try fm.contentsOfDirectory(atPath: templates.path).map { templates.appendingPathComponent($0) }
        var parsed = 0
        for url in files where url.pathExtension == "json" {
            let data = try Data(contentsOf: url)
            let ours = try JSONParser.parse([UInt8](data))
            #expect(ours == (try JSONDecoder().decode(FoundationTree.self, from: data).value), "\(url.lastPathComponent)")
            parsed += 1
        }
        #expect(parsed >= 26)
    }

    @Test func theAwkwardPartsOfJSONReadAsFoundationReadsThem() throws {
        let documents = [
            #"{"a": [1, -0, 0.5, -12.25e3, 1E-2, 2e+2, 123456789012345678], "b": {"c": null, "d": true, "e": false}}"#,
            #"["\"\\\/\b\f\n\r\t", "\u00e9\u0041", "\ud83d\ude00 and 서울", "한글 그대로", ""]"#,
            " \n\t\r [ [ ] , { } , [ [ [ ] ] ] ] \n",
            #"{"":1,"x":{"":{"":[]}}}"#,
            "3.141592653589793",
            #""just a string""#,
        ]
        for text in documents {
            #expect(try JSONParser.parse(Array(text.utf8)) == (try Self.foundation(text)), "\(text)")
        }
    }

    @Test func whatIsNotJSONIsRefusedWithWhere() {
        let cases: [(String, String, Int, Int)] = [
            ("{\"a\": 1,}", "expected a key in quotes", 1, 9),
            ("[1, 2,]", "unexpected ']'", 1, 7),
            ("{\"a\": 1, \"a\": 2}", "given twice", 1, 10),
            ("{\n  \"a\": 01\n}", "may not start with 0", 2, 8),
            ("{\"a\": \"tab\there\"}", "control character", 1, 11),
            ("[\"\\x\"]", "unknown escape", 1, 5),
            ("[\"\\ud83d\"]", "unpaired surrogate", 1, 9),
            ("[\"\\u12\"]", "four hex digits", 1, 7),
            ("[1.]", "decimal point", 1, 4),
            ("[1e]", "exponent", 1, 4),
            ("[tru]", "expected 'true'", 1, 5),
            ("{\"a\": 1} x", "after the end", 1, 10),
            ("[\"open", "not closed", 1, 7),
            ("", "ends where a value should be", 1, 1),
            ("// comment\n{}", "unexpected '/'", 1, 1),
            ("[1e999]", "out of range", 1, 2),
            (String(repeating: "[", count: 65) + String(repeating: "]", count: 65), "nested more than 64 deep", 1, 65),
        ]
        for (text, words, line, column) in cases {
            do {
                _ = try JSONParser.parse(Array(text.utf8))
                Issue.record("accepted: \(text)")
            } catch {
                #expect(error.message.contains(words) && error.line == line && error.column == column, "\(text): \(error)")
            }
        }
        // Invalid UTF-8 in a string is refused, not repaired.
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xC3, 0x28, 0x22]) }
        // Sixty-four levels are allowed.
        #expect(throws: Never.self) { try JSONParser.parse(Array((String(repeating: "[", count: 64) + String(repeating: "]", count: 64)).utf8)) }
    }

    @Test func aWorldFileThatIsNotJSONSaysWhereInItsError() {
        let (space, errors) = WorldLoader.loadBytes(Data("{\n  \"id\": \"x\",\n}".utf8), id: "x", displayName: "x.json")
        #expect(space == nil)
        #expect(errors.first?.description == "x.json: is not valid JSON: line 3, column 1: expected a key in quotes (expected a JSON object as described in worlds/README.md)")
    }
}
