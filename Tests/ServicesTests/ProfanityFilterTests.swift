import Foundation
import Testing
import ServiceFiles
@testable import Services

/// The repository's policy folder and the labelled set, found from this file's place.
enum Paths {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let policy = repository.appendingPathComponent("policy").path
    static var labelled: String {
        Bundle.module.path(forResource: "profanity-labelled", ofType: "tsv", inDirectory: "Fixtures")!
    }
    static var heldOut: String {
        Bundle.module.path(forResource: "profanity-heldout", ofType: "tsv", inDirectory: "Fixtures")!
    }
}

@Suite struct ProfanityFilterTests {
    let filter = try! ProfanityFilter.load(directory: Paths.policy)

    @Test func masksTheMatchedCharactersAndKeepsTheRest() {
        let r = filter.check("what the fuck is this")
        #expect(r.flagged)
        #expect(r.masked == "what the **** is this")
        #expect(r.words == ["fuck"])
    }

    @Test func seesThroughEvasions() {
        for line in ["ｆｕｃｋ", "fцck", "f\u{200B}u\u{200B}c\u{200B}k", "f u c k", "f.u.c.k", "fuuuuck", "sh1t", "$hit", "a$$hole",
                     "ⓕⓤⓒⓚ", "fúck", "ㅅㅂ", "시ㅂㅏㄹ", "ㅅㅣㅂㅏㄹ", "시 발", "ㄱㅅㄲ", "개 새 끼"] {
            #expect(filter.check(line).flagged, "\(line) should be flagged")
        }
    }

    @Test func leavesInnocentWordsAlone() {
        for line in ["여기가 시발점이에요", "We drove through Scunthorpe", "the class is full", "this hit song", "the pen is here",
                     "옷바꿔 입었어요", "ㅋㅋ ㅇㅋ", "room 7175, call 010-7175-5318", "an assassin", "ass!".replacingOccurrences(of: "ass!", with: "pass!"), "시바견 귀여워"] {
            #expect(!filter.check(line).flagged, "\(line) should be clean")
        }
    }

    @Test func masksWholeSyllablesAndSpacedLetters() {
        #expect(filter.check("아 시발 진짜").masked == "아 ** 진짜")
        #expect(filter.check("f u c k off").masked == "* * * * off")
        #expect(filter.check("f\u{200B}uck").masked == "****")
    }

    @Test func anAllowListedWordKeepsOnlyItsOwnMatch() {
        // The allow-list covers 시발점, not a second, separate 시발 in the same line.
        let r = filter.check("시발점에서 시발")
        #expect(r.masked == "시발점에서 **")
    }

    @Test func refusesBadListsWithTheirLine() {
        #expect(throws: ProfanityFilter.LoadError.self) { try ProfanityFilter(lists: [("x.txt", "ok\na")], allow: ("allow.txt", "")) }
        #expect(throws: ProfanityFilter.LoadError.self) { try ProfanityFilter(lists: [("x.txt", "two words")], allow: ("allow.txt", "")) }
        #expect(throws: ProfanityFilter.LoadError.self) { try ProfanityFilter(lists: [("x.txt", "# only a comment")], allow: ("allow.txt", "")) }
        let error = #expect(throws: ProfanityFilter.LoadError.self) { try ProfanityFilter(lists: [("x.txt", "fine\n\nq")], allow: ("allow.txt", "")) }
        #expect(error?.description.contains("x.txt:3") == true, "the error names the file and line: \(error.map { "\($0)" } ?? "nothing thrown")")
    }

    /// Each second reading, on examples of its kind (not the held-out set's lines).
    @Test func readsEvasionsByKind() {
        let kinds: [(String, [String])] = [
            ("keyboard left in Latin mode", ["qudtls", "wlfkf", "Tlqkf", "rotoRl", "eksms tlqkf"]),
            ("insertions inside a Korean word", ["병2신", "지x랄", "개1새2끼", "ㅂ7ㅅ"]),
            ("a digit for its sound", ["시8", "씨8새끼"]),
            ("tensed consonants and variant vowels", ["씨빨", "뼝신", "찌랄", "개섀기", "씨뱔", "지럴", "죤나", "개쉐끼"]),
            ("compound-consonant jamo", ["ㅄ이네"]),
            ("stretched syllables", ["시이발", "병시인", "개새애끼", "존나아"]),
            ("Latin look-alikes", ["fvcker", "vvanker", "ƒucking", "$ħit", "cøck"]),
            ("English by sound", ["phucking", "dumbazz"]),
        ]
        for (kind, lines) in kinds {
            for line in lines { #expect(filter.check(line).flagged, "\(kind): \(line) should be flagged") }
        }
        // What the reader covers is masked as typed.
        #expect(filter.check("아 tlqkf 진짜").masked == "아 ***** 진짜")
        #expect(filter.check("시1발 뭐야").masked == "*** 뭐야")
        #expect(filter.check("시이이발").masked == "****")
    }

    /// The readings' own look-alikes stay clean: English words whose keys type Hangul, digits in
    /// ordinary Korean, names romanised from Japanese, and a first syllable kept (청년 is not 창녀).
    @Test func theReadingsLeaveInnocentTextAlone() {
        for line in ["slalom", "the quick brown fox", "청년 정책", "젊은청년", "시인의 마을", "8시에 만나요", "3층 회의실", "2호선 시청역",
                     "Mr Matsushita", "Kinoshita Fumiko", "ㄳ 고마워", "감사 ㄱㅅ", "zoo", "phone", "dizzy", "pizza"] {
            #expect(!filter.check(line).flagged, "\(line) should be clean: \(filter.check(line).words)")
        }
    }

    @Test func composesKeysAsAnInputMethodDoes() {
        func read(_ s: String) -> String? { Readings.keyboard(Array(s.unicodeScalars)).map { String(String.UnicodeScalarView($0.scalars)) } }
        #expect(read("dkssudgktpdy") == "안녕하세요")
        #expect(read("rkqt") == "값")
        #expect(read("dhkstjd") == "완성")
        #expect(read("hello") == nil, "a vowel with no consonant before it")
        #expect(Romaji.syllables(Array("matsushita".utf8)) == 4 && Romaji.syllables(Array("motherfucker".utf8)) == nil)
    }

    /// The held-out set (written before the readings, never tuned on; docs/POLICY.md): a floor
    /// under the figures measured, so that a change that loses them is seen.
    @Test func holdsItsFiguresOnTheHeldOutSet() throws {
        let lines = try FilterEvaluation.parse(try String(contentsOfFile: Paths.heldOut, encoding: .utf8), name: "profanity-heldout.tsv")
        #expect(lines.count >= 100)
        let e = FilterEvaluation.evaluate(filter, on: lines)
        #expect(e.recall >= 0.88, "missed: \(e.missed)")
        #expect(e.falsePositiveRate <= 0.05, "wrongly flagged: \(e.wronglyFlagged)")
    }

    /// The issue's goal: recall at least 0.95 with at most 1% false positives on the labelled set.
    @Test func meetsTheGoalOnTheLabelledSet() throws {
        let contents = try String(contentsOfFile: Paths.labelled, encoding: .utf8)
        let lines = try FilterEvaluation.parse(contents, name: "profanity-labelled.tsv")
        #expect(lines.count >= 300)
        let e = FilterEvaluation.evaluate(filter, on: lines)
        #expect(e.recall >= 0.95, "missed: \(e.missed)")
        #expect(e.falsePositiveRate <= 0.01, "wrongly flagged: \(e.wronglyFlagged)")
    }
}

