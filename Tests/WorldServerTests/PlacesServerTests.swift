// The points of interest in the visitor's language through the real server on virtual time
// (PROTOCOL.md 7.16): listed on entering, in the language set (guests too), a tag's first
// subtag deciding and anything unknown reading Korean; a question about one answered with its
// text, and only about the asker's own space.

import Foundation
import Logging
import NetProto
import ServiceFiles
import Services
import Store
import Testing
import WorldFiles
@testable import WorldServer

@Suite(.serialized, .timeLimit(.minutes(10))) struct PlacesServerTests {
    @Test func pointsOfInterestComeInTheVisitorsLanguage() throws {
        let (driver, folder) = try VirtualTimeTests.driver()
        defer {
            driver.stop()
            try? FileManager.default.removeItem(atPath: folder)
        }
        let english = VirtualTimeTests.client(driver, 1, .guest)
        let french = VirtualTimeTests.client(driver, 2)
        english.send(.setLanguage(requestID: english.request(), language: "en-GB"))
        french.send(.setLanguage(requestID: french.request(), language: "fr-CA"))
        for c in [english, french] { c.send(.enterSpace(requestID: c.request(), spaceID: "gyeongbokgung")) }
        VirtualTimeTests.settle(driver, [english, french])
        let file = try #require(Shipped.catalog.space("gyeongbokgung"))
        func listed(_ c: SimulatedClient) -> (String, [PlaceEntry])? {
            c.messages.compactMap { if case .pointsOfInterest("gyeongbokgung", let language, 0, 1, let places) = $0 { (language, places) } else { nil } }.first
        }
        let inEnglish = try #require(listed(english)), inKorean = try #require(listed(french))
        #expect(inEnglish.0 == "en" && inEnglish.1.map(\.name) == file.pointsOfInterest.map(\.name.en))
        #expect(inKorean.0 == "ko" && inKorean.1.map(\.name) == file.pointsOfInterest.map(\.name.ko), "an unknown language reads Korean")
        #expect(inEnglish.1.map(\.id) == file.pointsOfInterest.map(\.id) && inEnglish.1.first?.x == file.pointsOfInterest.first?.position.x)

        let ask = english.request()
        english.send(.askPlace(requestID: ask, place: "palace-info"))
        let elsewhere = english.request()
        english.send(.askPlace(requestID: elsewhere, place: "mayor-office"))
        VirtualTimeTests.settle(driver, [english])
        let answer = english.messages.compactMap { if case .placeText(ask, _, let language, let name, let text) = $0 { (language, name, text) } else { nil } }.first
        #expect(answer?.0 == "en" && answer?.1 == "About Gyeongbokgung" && answer?.2.contains("Closed on Tuesdays") == true)
        #expect(english.messages.contains { if case .error(.unknownTarget, elsewhere, _) = $0 { true } else { false } }, "only the asker's own space")

        // Asked again and again: one use of the places for `stats`, in the language answered.
        for _ in 0..<3 { english.send(.askPlace(requestID: english.request(), place: "palace-info")) }
        english.send(.askPlace(requestID: english.request(), place: "gyeonghoeru"))
        VirtualTimeTests.settle(driver, [english])
        let store = try Store(path: folder + "/city.sqlite", readOnly: true)
        let uses = try store.read { db in try String.fetchAll(db, sql: "SELECT outcome FROM service_events WHERE service = 'places' AND kind = 'asked'") }
        #expect(uses == ["en", "en"])
    }

    @Test func aTagsFirstSubtagDecidesAndKoreanIsTheFallback() {
        #expect(VisitorLanguage(tag: "en") == .en && VisitorLanguage(tag: "EN-us") == .en && VisitorLanguage(tag: "ko-KR") == .ko)
        #expect(VisitorLanguage(tag: "") == .ko && VisitorLanguage(tag: "zh-Hant-TW") == .ko && VisitorLanguage(tag: "eng") == .ko)
        #expect(VisitorLanguage.en.pick(ko: "종", en: "") == ("종", .ko), "a missing English text falls back to Korean")
        #expect(VisitorLanguage.ko.pick(ko: "", en: "Bell") == ("Bell", .en))
    }
}
