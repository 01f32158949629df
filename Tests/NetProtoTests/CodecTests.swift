import Testing
import WorldCore
@testable import NetProto

/// One of each message and packet, with values at their limits where there are limits.
enum Samples {
    static let input = InputBody(ackTick: 99, clientTimeMillis: 65_535, echoServerTimeMillis: 12, holdMillis: 3, sequence: 1_000,
                                 commands: [.go(heading: 16_384, pace: 2), .walkTo(x: -5, y: 123_456, pace: 1), .stop])
    static let client: [ClientMessage] = [
        .hello(protocolID: WireProtocol.id, version: WireProtocol.version),
        .authenticateGuest(displayName: "시민 " + String(repeating: "a", count: 41)),
        .authenticateMember(token: [UInt8](repeating: 7, count: WireProtocol.tokenBytesMax)),
        .enterSpace(requestID: 7, spaceID: "seoul-plaza"),
        .leaveSpace(requestID: 8),
        .snapshotsOverTCP(true),
        .ping(clientTimeMicros: .max),
        .goodbye,
        .input(input),
        // At the limit: 2,000 characters of Hangul, 6,000 bytes.
        .reportBug(requestID: 9, description: String(repeating: "버", count: WireProtocol.bugReportCharactersMax)),
        .chat(requestID: 10, to: .nearby, text: "안녕하세요"),
        .chat(requestID: 11, to: .room, text: String(repeating: "a", count: WireProtocol.chatTextBytesMax)),
        .chat(requestID: 12, to: .directEntity(0x0010_0001), text: "hi"),
        .chat(requestID: 13, to: .directAccount(String(repeating: "k", count: WireProtocol.accountIDBytesMax)), text: "hi"),
        .chat(requestID: 14, to: .announceSpace, text: "the plaza closes at 22:00"),
        .chat(requestID: 15, to: .announceAll, text: "새해 복 많이 받으세요"),
        .reportUser(requestID: 16, entity: 7, reason: .inappropriateName, description: String(repeating: "욕", count: WireProtocol.userReportCharactersMax)),
        .reportUser(requestID: 17, entity: 7, reason: .other, description: ""),
        .block(requestID: 18, subject: .entity(3), on: true),
        .block(requestID: 19, subject: .account("citizen-1"), on: false),
        .listBlocks(requestID: 20),
        .staff(requestID: 21, action: .ban, subject: .account("troll"), seconds: 0, reason: "repeated insults"),
        .staff(requestID: 22, action: .resolveReport, subject: .report(.max), seconds: 0, reason: "warned"),
        .openRoom(requestID: 23, template: "conference-room", title: String(repeating: "회", count: 60), access: .open),
        .openRoom(requestID: 24, template: "counselling-room", title: "상담", access: .invited((0..<32).map { "citizen-\($0)" })),
        .openRoom(requestID: 25, template: "youth-mentoring-forest", title: "숲", access: .code("7777")),
        .enterRoom(requestID: 26, roomID: 17, code: ""),
        .listRooms(requestID: 27, offset: 25),
        .deskDuty(requestID: 28, desk: "business-support", on: true, field: "legal"),
        .joinQueue(requestID: 29, desk: "counselling-120", field: ""),
        .leaveQueue(requestID: 30, desk: "counselling-120"),
        .takeNext(requestID: 31, desk: "counselling-120"),
        .endSession(requestID: 32),
        .listDesks(requestID: 33),
        .taxCalculate(requestID: 34, tax: 0, fields: (0..<TaxWire.fieldsMax).map {
            TaxField(name: String(repeating: "f", count: TaxWire.fieldNameBytesMax - 2) + "\($0 + 10)", value: String(repeating: "9", count: TaxWire.fieldValueBytesMax))
        }),
        .taxCalculate(requestID: 35, tax: 2, fields: []),
        .taxAsk(requestID: 36, question: String(repeating: "세", count: TaxWire.questionBytesMax / 3)),
        .listNotices(requestID: 37, offset: 10),
        .readNotice(requestID: 38, notice: 12),
        .postNotice(requestID: 39, largestDraft),
        .postNotice(requestID: 40, NoticeDraftBody(category: 3, pinned: false, startsAtMillis: 0, endsAtMillis: 1, spaces: [], titleKo: "안전", titleEn: "",
                                                   bodyKo: "", bodyEn: "Mind the ice")),
        .withdrawNotice(requestID: 41, notice: .max),
        .fileSuggestion(requestID: 42, SuggestionFiling(category: CivicWire.categoryMax, publicConsent: true, space: "seoul-plaza",
                                                        title: String(repeating: "벤", count: CivicWire.titleBytesMax / 3),
                                                        body: String(repeating: "치", count: CivicWire.textBytesMax / 3))),
        .listSuggestions(requestID: 43, scope: .answered, offset: 10),
        .readSuggestion(requestID: 44, id: 123),
        .handleSuggestion(requestID: 45, id: 123, action: .close, text: String(repeating: "r", count: CivicWire.textBytesMax)),
        .listInbox(requestID: 46, offset: 0),
        .readInbox(requestID: 47, id: 9),
        .setLanguage(requestID: 48, language: "en-GB"),
        .askPlace(requestID: 49, place: "palace-info"),
        .readGuide(requestID: 50, part: .tutorial),
        .acceptEthics(requestID: 51, version: "2026-1"),
        .tutorialStep(requestID: 52, step: "world-map"),
        .docentDuty(requestID: 53, space: "gyeongbokgung", on: true),
        .docentDuty(requestID: 54, space: "", on: false),
        .listOnDuty(requestID: 55),
        .authenticateTicket(ticket: [1, 2, 3, 4, 5]),
        .listSpaces(requestID: 56),
    ]
    static let largestSuggestion = SuggestionSummary(id: .max, trackingNumber: "S-2026-" + String(repeating: "9", count: CivicWire.trackingBytesMax - 7),
                                                     category: CivicWire.categoryMax, state: CivicWire.stateMax, filedAtMillis: .max,
                                                     title: String(repeating: "벤", count: CivicWire.titleBytesMax / 3))
    static let largestInboxEntry = InboxEntry(id: .max, kind: CivicWire.inboxKindMax, read: true, createdAtMillis: .max,
                                              reference: String(repeating: "S", count: CivicWire.trackingBytesMax),
                                              title: String(repeating: "답", count: CivicWire.titleBytesMax / 3), body: String(repeating: "변", count: CivicWire.textBytesMax / 3))
    /// Every field at its limit, with as many long space ids as still fit one frame.
    static let largestDraft = NoticeDraftBody(
        category: 2, pinned: true, startsAtMillis: 1_798_729_200_000, endsAtMillis: .max,
        spaces: (0..<NoticeWire.targetSpacesMax).map { String(repeating: "s", count: 20) + "\($0)" },
        titleKo: String(repeating: "공", count: NoticeWire.titleBytesMax / 3), titleEn: String(repeating: "n", count: NoticeWire.titleBytesMax),
        bodyKo: String(repeating: "지", count: NoticeWire.bodyBytesMax / 3), bodyEn: String(repeating: "b", count: NoticeWire.bodyBytesMax))
    static let largestSummary = NoticeSummary(
        id: .max, category: 3, pinned: true, read: true, cityWide: true, startsAtMillis: 1, endsAtMillis: .max,
        titleKo: String(repeating: "공", count: NoticeWire.titleBytesMax / 3), titleEn: String(repeating: "n", count: NoticeWire.titleBytesMax))
    static let snapshotBody: [UInt8] = {
        let header = SnapshotHeader(tick: 10, baselineTick: 0, inputAck: 4, echoClientTimeMillis: 1, holdMillis: 2, serverTimeMillis: 3)
        let entity = EntityState(entity: 42, x: 100, y: 200, floor: 1, heading: 64, motion: 1)
        return SnapshotCodec.encode(header: header, current: [entity], baseline: [], priority: [42], budgetBytes: 1_200).body
    }()
    static let server: [ServerMessage] = [
        .helloOK(version: 1),
        .welcome(Welcome(sessionID: 0xDEAD_BEEF, udpSecret: Array(0..<16), tickRateHertz: 20, role: 1, displayName: "Kim",
                         spaces: [SpaceEntry(id: "city-hall", kind: 0), SpaceEntry(id: "counselling-room", kind: 1)])),
        .entered(requestID: 7, spaceID: "seoul-plaza", entity: 0x0010_0001, x: 9_000, y: -1, floor: 0),
        .left(requestID: 8),
        .error(code: .versionMismatch, requestID: 0, text: "this server speaks protocol version 1"),
        .names([(entity: 1, name: "Lee", badge: .none), (entity: 2, name: "박", badge: .docent), (entity: 3, name: "Choi", badge: .deskStaff)]),
        .onDutyList(requestID: 8, entries: [OnDutyEntry(space: "gyeongbokgung", deskStaff: 0, docents: 2), OnDutyEntry(space: "tax-square", deskStaff: 3, docents: 0)]),
        .onDutyList(requestID: 9, entries: []),
        .handOver(requestID: 10, spaceID: "city-hall", node: "city-2", host: "10.0.0.12", port: 7777, ticket: [UInt8](repeating: 7, count: 120)),
        .handOver(requestID: 0, spaceID: "seoul-plaza", node: "a", host: "::1", port: 1, ticket: [9]),
        .spaceList(requestID: 11, spaces: [SpaceListEntry(space: "seoul-plaza", instance: 1, node: "city-1", here: true, population: 812, capacity: 3_000),
                                          SpaceListEntry(space: "seoul-plaza", instance: 2, node: "city-2", here: false, population: 4, capacity: 3_000),
                                          SpaceListEntry(space: "deoksugung", instance: 1, node: "", here: false, population: 0, capacity: 500)]),
        .spaceList(requestID: 12, spaces: []),
        .resumeTicket(validSeconds: 60, ticket: [UInt8](repeating: 3, count: 140), nodes: ["127.0.0.11:7777", "[::1]:7778", "city-3.example:7777"]),
        .notice(kind: .offDuty, untilUnixMillis: 0, text: "the docent post at Deoksugung has closed"),
        .shuttingDown(seconds: 5, text: "maintenance"),
        .pong(clientTimeMicros: 1, serverTick: 2),
        .snapshot(snapshotBody),
        .bugReportFiled(requestID: 9, reportID: .max),
        .chat(channel: .direct, senderEntity: 5, senderName: "이", serverTimeMillis: 1_795_000_000_000, text: "what the ****"),
        .chatSent(requestID: 10, filtered: true, recipients: 12, text: "what the ****"),
        .userReportFiled(requestID: 16, reportID: 1),
        .blockList(requestID: 20, accounts: (0..<WireProtocol.blockListMax).map { String(repeating: "a", count: 60) + String($0) }),
        .done(requestID: 21),
        .notice(kind: .muted, untilUnixMillis: 1_795_000_060_000, text: "you are muted until 2026-11-22 21:05:00 KST"),
        .roomOpened(requestID: 23, roomID: 17, spaceID: "room-17"),
        .roomList(requestID: 27, total: 2_000, offset: 25, rooms: (0..<WireProtocol.roomsPerListMax).map {
            RoomEntry(roomID: UInt32($0), template: String(repeating: "t", count: 64), title: String(repeating: "회", count: 60), population: 100, capacity: 100)
        }),
        .queueStanding(desk: "counselling-120", position: 3, estimateSeconds: WireProtocol.unknownEstimate),
        .queueEnded(desk: "counselling-120", reason: .closed, text: "120 civil-complaint chat counselling has closed for today."),
        .sessionStarted(desk: "business-support", roomID: 9, counterpart: "법률 전문가", field: "legal"),
        .sessionEnded(desk: "business-support", text: "the session has ended"),
        .deskList(requestID: 33, desks: (0..<WireProtocol.desksMax).map {
            DeskEntry(desk: String(repeating: "d", count: 60) + "\($0)", open: $0 % 2 == 0, serving: 11, waiting: 500, nextOpeningUnixMillis: 1_795_000_000_000)
        }),
        .taxWorking(requestID: 34, TaxWorkingBody(
            tax: 1, date: "2025-06-01", tableFrom: "2024-01-01", tableChecked: "2026-12-06", total: 865_930,
            lines: [
                .init(id: "base", label: TaxNote(ko: "과세표준", en: "Tax base"), base: 654_321_000, rate: "45%", beforeCut: nil, amount: 294_444_450, article: "지방세법 제110조"),
                .init(id: "age", label: TaxNote(ko: "차령 경감", en: "Age"), base: nil, rate: "", beforeCut: 44_955, amount: -99_900, article: "지방세법 제127조 제3항"),
            ],
            payments: [.init(id: "july", label: TaxNote(ko: "7월", en: "July"), amount: 432_960)],
            options: [.init(id: "january", label: TaxNote(ko: "1월", en: "January"), amount: .max)],
            notIncluded: [TaxNote(ko: "종합부동산세", en: "the comprehensive real estate holding tax")],
            warnings: [])),
        .taxAnswer(requestID: 36, TaxAnswerBody(kind: .doesNotKnow, entry: "", score: 231, text: TaxNote(ko: "모릅니다", en: "I do not know"),
                                                sources: [], desk: "tax-counselling")),
        .taxAnswer(requestID: 37, TaxAnswerBody(kind: .answered, entry: "car-electric", score: 1_000, text: TaxNote(ko: "10만원", en: "100,000 won"),
                                                sources: ["지방세법 제127조"], desk: "")),
        .noticeCount(space: "", shown: 3, unread: 2),
        .noticeList(requestID: 37, total: 41, offset: 10, notices: Array(repeating: largestSummary, count: NoticeWire.pageMax)),
        .noticeText(requestID: 38, largestSummary, bodyKo: String(repeating: "지", count: NoticeWire.bodyBytesMax / 3),
                    bodyEn: String(repeating: "b", count: NoticeWire.bodyBytesMax)),
        .noticeStored(requestID: 39, notice: 1),
        .noticeShown(NoticeSummary(id: 5, category: 0, pinned: false, read: false, cityWide: false, startsAtMillis: 0, endsAtMillis: 9,
                                   titleKo: "", titleEn: "Bell ringing at midnight")),
        .noticeWithdrawn(notice: 5),
        .suggestionFiled(requestID: 42, id: 123, trackingNumber: "S-2026-000123"),
        .suggestionList(requestID: 43, scope: .queue, offset: 0, suggestions: Array(repeating: largestSuggestion, count: CivicWire.pageMax)),
        .suggestionText(requestID: 44, SuggestionText(summary: largestSuggestion, space: String(repeating: "s", count: WireProtocol.spaceIDBytesMax), publicConsent: true,
                                                      body: String(repeating: "치", count: CivicWire.textBytesMax / 3), response: String(repeating: "r", count: CivicWire.textBytesMax),
                                                      respondedAtMillis: .max)),
        .inboxCount(total: 100, unread: 3),
        .inboxList(requestID: 46, total: 100, unread: 100, offset: 90, entries: Array(repeating: { var e = largestInboxEntry; e.body = ""; return e }(), count: CivicWire.pageMax)),
        .inboxItem(requestID: 0, largestInboxEntry),
        .pointsOfInterest(space: "gyeongbokgung", language: "en", part: 1, parts: 2, places: Array(repeating: largestPlace, count: PlaceWire.perMessageMax)),
        .placeText(requestID: 49, place: "palace-info", language: "ko", name: String(repeating: "궁", count: PlaceWire.nameBytesMax / 3),
                   text: String(repeating: "궐", count: PlaceWire.textBytesMax / 3)),
        .guideText(requestID: 50, GuideText(part: .ethics, version: "2026-1", language: "en", accepted: true, title: "The ethics code",
                                            sections: [.init(id: "respect", title: "Respect", text: "Treat every other citizen as a person.", done: false),
                                                       .init(id: "fairness", title: "Fairness", text: "Keep your turn.", done: true)])),
        .ethicsRequired(version: "2026-1", title: "메타버스 서울 윤리 규범 · The ethics code of Metaverse Seoul"),
    ]
    static let largestPlace = PlaceEntry(id: String(repeating: "p", count: WireProtocol.spaceIDBytesMax), kind: String(repeating: "k", count: PlaceWire.kindBytesMax),
                                         floor: 255, x: .min, y: .max, name: String(repeating: "궁", count: PlaceWire.nameBytesMax / 3))
    static let packets: [Packet] = [
        .bindRequest(sessionID: 1),
        .challenge(sessionID: 1, nonce: 2),
        .challengeResponse(sessionID: 1, nonce: 2, mac: Array(100..<116)),
        .bound(sessionID: 1),
        .input(sessionID: 1, input),
        .snapshot(snapshotBody),
    ]
}

@Suite struct CodecTests {
    @Test func everyMessageRoundTripsCanonically() throws {
        for m in Samples.client {
            let bytes = m.encode()
            let decoded = try ClientMessage.decode(bytes)
            #expect(decoded == m)
            #expect(decoded.encode() == bytes)
        }
        for m in Samples.server {
            let bytes = m.encode()
            let decoded = try ServerMessage.decode(bytes)
            #expect(decoded.encode() == bytes, "\(m.type)")
        }
        for p in Samples.packets {
            let bytes = p.encode()
            let decoded = try Packet.decode(bytes)
            #expect(decoded == p)
            #expect(decoded.encode() == bytes)
        }
        #expect(Set(Samples.client.map(\.type)) == Set(0x01...0x2D), "a sample of every client message type")
        #expect(Set(Samples.server.map(\.type)) == Set(0x41...0x6D), "a sample of every server message type")
    }

    /// PROTOCOL.md 7.13's arithmetic: a full page of notices and the longest notice each fit
    /// one frame, as does a draft at every limit with 32 spaces of 22 bytes.
    @Test func theLargestBoardSuggestionAndInboxMessagesFitAFrame() {
        let page = ServerMessage.noticeList(requestID: 1, total: 1, offset: 0, notices: Array(repeating: Samples.largestSummary, count: NoticeWire.pageMax))
        let text = ServerMessage.noticeText(requestID: 1, Samples.largestSummary, bodyKo: String(repeating: "지", count: NoticeWire.bodyBytesMax / 3),
                                            bodyEn: String(repeating: "b", count: NoticeWire.bodyBytesMax))
        #expect(page.encode().count == 6_310)
        #expect(text.encode().count == 6_639)
        #expect(ClientMessage.postNotice(requestID: 1, Samples.largestDraft).encode().count <= WireProtocol.frameBodyBytesMax)
        // The suggestion box's and the inbox's largest, as PROTOCOL.md 7.14 and 7.15 say.
        for m in Samples.server where [0x61, 0x62, 0x64, 0x65, 0x66, 0x67].contains(m.type) {
            #expect(m.encode().count <= WireProtocol.frameBodyBytesMax, "type 0x\(String(m.type, radix: 16)): \(m.encode().count) bytes")
        }
        #expect(Samples.server.first { $0.type == 0x62 }!.encode().count == 6_436)
        #expect(Samples.server.first { $0.type == 0x61 }!.encode().count == 3_539)
    }

    @Test func noticeFieldsOutOfRangeAreRejected() {
        var draft = Samples.largestDraft
        draft.category = 4
        #expect(throws: WireError.self) { _ = try ClientMessage.decode(ClientMessage.postNotice(requestID: 1, draft).encode()) }
        draft = Samples.largestDraft
        draft.bodyEn += "b"
        #expect(throws: WireError.self) { _ = try ClientMessage.decode(ClientMessage.postNotice(requestID: 1, draft).encode()) }
        var flags = ServerMessage.noticeShown(Samples.largestSummary).encode()
        flags[1 + 8 + 1] = 8
        #expect(throws: WireError.self) { _ = try ServerMessage.decode(flags) }
        #expect(throws: WireError.self) { _ = try ServerMessage.decode(ServerMessage.noticeCount(space: "", shown: 1, unread: 2).encode()) }
        #expect(throws: WireError.self) { _ = try ServerMessage.decode(ServerMessage.noticeStored(requestID: 1, notice: 0).encode()) }
    }

    @Test func spectatorMessagesRoundTrip() throws {
        let messages: [ServerMessage] = [
            .welcome(Welcome(sessionID: 2, udpSecret: Array(0..<16), tickRateHertz: 20, role: 2, displayName: "investigator",
                             spaces: [SpaceEntry(id: "seoul-plaza", kind: 0)])),
            .entered(requestID: 9, spaceID: "seoul-plaza", entity: 0xFFFF_FFFF, x: 0, y: 0, floor: 0),
            .error(code: .spectatorOnly, requestID: 0, text: "spectators only"),
        ]
        for m in messages {
            let bytes = m.encode()
            #expect(try ServerMessage.decode(bytes).encode() == bytes)
        }
    }

    @Test func everyTruncationIsAnErrorNotATrap() {
        var checked = 0
        for bytes in Samples.client.map({ $0.encode() }) + Samples.server.map({ $0.encode() }) {
            // Every prefix of a short message; of a long one (the samples at their limits run to
            // 6 kB, and each decode reads the prefix), the first 256, every 61st, and the last 64:
            // every field's start and the tail's.
            let cuts = bytes.count <= 512 ? Array(0..<bytes.count)
                : Array(0..<256) + Array(stride(from: 256, to: bytes.count - 64, by: 61)) + Array((bytes.count - 64)..<bytes.count)
            for n in cuts {
                let prefix = Array(bytes[..<n])
                #expect(throws: WireError.self) { _ = try ClientMessage.decode(prefix) }
                #expect(throws: WireError.self) { _ = try ServerMessage.decode(prefix) }
                checked += 1
            }
        }
        for bytes in Samples.packets.map({ $0.encode() }) {
            for n in 0..<bytes.count {
                #expect(throws: WireError.self) { _ = try Packet.decode(Array(bytes[..<n])) }
                checked += 1
            }
        }
        #expect(checked > 1_000)
    }

    @Test func oversizedAndOutOfRangeFieldsAreRejected() throws {
        var longName = ClientMessage.authenticateGuest(displayName: "x").encode()
        longName[1] = UInt8(WireProtocol.displayNameBytesMax + 1)
        longName += [UInt8](repeating: 0x61, count: WireProtocol.displayNameBytesMax)
        #expect(throws: WireError.self) { _ = try ClientMessage.decode(longName) }
        #expect(throws: WireError.self) { _ = try ClientMessage.decode([0x03, 0x01, 0x02] + [UInt8](repeating: 0, count: 513)) }
        #expect(throws: WireError.self) { _ = try ClientMessage.decode([0x06, 2]) }
        #expect(throws: WireError.self) { _ = try ClientMessage.decode([0x02, 2, 0xC3, 0x28]) } // invalid UTF-8
        #expect(throws: WireError.self) { _ = try ClientMessage.decode([0x7F]) }
        #expect(throws: WireError.self) { _ = try ClientMessage.decode(ClientMessage.goodbye.encode() + [0]) }
        #expect(throws: WireError.self) { _ = try Packet.decode([UInt8](repeating: 0, count: WireProtocol.packetBytesMax + 1)) }
        var otherProtocol = Packet.bound(sessionID: 1).encode()
        otherProtocol[0] ^= 0xFF
        #expect(throws: WireError.self) { _ = try Packet.decode(otherProtocol) }
        // Role 3 is none of guest, member, spectator (the role byte follows type, session id, secret, rate).
        var welcome = ServerMessage.welcome(Welcome(sessionID: 1, udpSecret: Array(0..<16), tickRateHertz: 20, role: 2, displayName: "g", spaces: [])).encode()
        #expect(throws: Never.self) { _ = try ServerMessage.decode(welcome) }
        welcome[1 + 8 + 16 + 2] = 3
        #expect(throws: WireError.self) { _ = try ServerMessage.decode(welcome) }
        // A name's badge is 0 to 2; a docent's duty switch is 0 or 1.
        var names = ServerMessage.names([(entity: 1, name: "a", badge: .docent)]).encode()
        #expect(names.last == 2)
        names[names.count - 1] = 3
        #expect(throws: WireError.self) { _ = try ServerMessage.decode(names) }
        var duty = ClientMessage.docentDuty(requestID: 1, space: "x", on: true).encode()
        duty[duty.count - 1] = 2
        #expect(throws: WireError.self) { _ = try ClientMessage.decode(duty) }
        var input = ClientMessage.input(Samples.input).encode()
        input[15] = 5 // five commands: more than allowed
        #expect(throws: WireError.self) { _ = try ClientMessage.decode(input) }
        // Bug reports: 1 to 2,000 characters, counted as a person counts them (a family emoji
        // of seven scalars is one character), at most 8,000 bytes.
        #expect(throws: WireError.self) { _ = try ClientMessage.decode(ClientMessage.reportBug(requestID: 1, description: "").encode()) }
        let tooMany = ClientMessage.reportBug(requestID: 1, description: String(repeating: "a", count: WireProtocol.bugReportCharactersMax + 1))
        #expect(throws: WireError.self) { _ = try ClientMessage.decode(tooMany.encode()) }
        let family = String(repeating: "👨‍👩‍👧", count: WireProtocol.bugReportCharactersMax / 10)
        #expect(family.utf8.count > WireProtocol.bugReportCharactersMax)
        #expect(throws: Never.self) { _ = try ClientMessage.decode(ClientMessage.reportBug(requestID: 1, description: family).encode()) }
        #expect(throws: WireError.self) { _ = try ServerMessage.decode(ServerMessage.bugReportFiled(requestID: 1, reportID: 0).encode()) }
        // Chat and moderation: text and names within their byte limits, known codes only.
        #expect(throws: WireError.self) { _ = try ClientMessage.decode(ClientMessage.chat(requestID: 1, to: .room, text: String(repeating: "a", count: WireProtocol.chatTextBytesMax + 1)).encode()) }
        #expect(throws: WireError.self) { _ = try ClientMessage.decode(ClientMessage.chat(requestID: 1, to: .directAccount(""), text: "a").encode()) }
        var chat = ClientMessage.chat(requestID: 1, to: .room, text: "a").encode()
        chat[5] = 6 // no such target
        #expect(throws: WireError.self) { _ = try ClientMessage.decode(chat) }
        let longReport = ClientMessage.reportUser(requestID: 1, entity: 1, reason: .spam, description: String(repeating: "a", count: WireProtocol.userReportCharactersMax + 1))
        #expect(throws: WireError.self) { _ = try ClientMessage.decode(longReport.encode()) }
        #expect(throws: WireError.self) { _ = try ClientMessage.decode(ClientMessage.block(requestID: 1, subject: .report(5), on: true).encode()) }
        var staff = ClientMessage.staff(requestID: 1, action: .warn, subject: .entity(1), seconds: 0, reason: "x").encode()
        staff[5] = 7 // no such action
        #expect(throws: WireError.self) { _ = try ClientMessage.decode(staff) }
        // A long staff reason quoted in a notice is cut at a character, within the limit.
        let long = ServerMessage.notice(kind: .warning, untilUnixMillis: 0, text: String(repeating: "경고", count: 400)).encode()
        guard case .notice(_, _, let text) = try ServerMessage.decode(long) else { Issue.record("not a notice"); return }
        #expect(text.utf8.count <= WireProtocol.errorTextBytesMax && text.hasSuffix("…") && text.hasPrefix("경고경고"))
        // Rooms: known access kinds, titles within their bytes. An invited list of any length
        // is well-formed (the server answers a length it does not allow with invalidText).
        for n in [0, 33] {
            let message = ClientMessage.openRoom(requestID: 1, template: "t", title: "x", access: .invited((0..<n).map { "citizen-\($0)" }))
            #expect(try ClientMessage.decode(message.encode()) == message)
        }
        #expect(throws: WireError.self) { _ = try ClientMessage.decode(ClientMessage.openRoom(requestID: 1, template: "t", title: String(repeating: "a", count: 181), access: .open).encode()) }
        var room = ClientMessage.openRoom(requestID: 1, template: "t", title: "x", access: .open).encode()
        room[room.count - 1] = 3 // no such access kind
        #expect(throws: WireError.self) { _ = try ClientMessage.decode(room) }
        // Every block list (and room list) fits a frame.
        #expect(Samples.server.allSatisfy { $0.encode().count <= WireProtocol.frameBodyBytesMax })
    }

    @Test func randomBytesNeverTrapAndWhatDecodesReencodesExactly() {
        var random = WorldRandom(seed: 2026)
        let seeds = Samples.client.map { $0.encode() } + Samples.server.map { $0.encode() } + Samples.packets.map { $0.encode() }
        var decoded = 0
        for i in 0..<120_000 {
            var bytes: [UInt8]
            if i % 2 == 0 {
                // Pure noise, often starting with a valid type byte or protocol id.
                let length = Int(random.uniform(below: 48))
                bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                if i % 4 == 0, !bytes.isEmpty { bytes[0] = [0x01, 0x02, 0x04, 0x09, 0x42, 0x45, 0x46, 0x49][Int(random.uniform(below: 8))] }
                if i % 8 == 2 { bytes = Packet.bound(sessionID: 0).encode().prefix(5) + bytes }
            } else {
                // A valid message with a few bytes flipped, cut or extended.
                bytes = seeds[Int(random.uniform(below: UInt64(seeds.count)))]
                for _ in 0..<(1 + Int(random.uniform(below: 3))) where !bytes.isEmpty {
                    bytes[Int(random.uniform(below: UInt64(bytes.count)))] ^= UInt8(truncatingIfNeeded: 1 << random.uniform(below: 8))
                }
                if random.uniform(below: 4) == 0 { bytes = Array(bytes.prefix(Int(random.uniform(below: UInt64(bytes.count + 1))))) }
            }
            if let m = try? ClientMessage.decode(bytes) { decoded += 1; #expect(m.encode() == bytes) }
            if let m = try? ServerMessage.decode(bytes) { decoded += 1; #expect(m.encode() == bytes) }
            if let p = try? Packet.decode(bytes) { decoded += 1; #expect(p.encode() == bytes) }
            _ = try? SnapshotCodec.decode(bytes, baseline: [])
        }
        #expect(decoded > 1_000, "some mutated messages must still be valid, or the generator is not reaching the decoders")
    }

    @Test func framesReassembleFromAnySplit() throws {
        let bodies = Samples.client.map { $0.encode() }
        let stream = bodies.flatMap { Framing.frame($0) }
        for cut in 0...stream.count {
            var decoder = FrameDecoder()
            var out: [[UInt8]] = []
            decoder.append(stream[..<cut])
            while let body = try decoder.next() { out.append(body) }
            decoder.append(stream[cut...])
            while let body = try decoder.next() { out.append(body) }
            #expect(out == bodies, "split at \(cut)")
            #expect(decoder.pendingBytes == 0)
        }
        var tooLong = FrameDecoder()
        tooLong.append([0x01, 0x20]) // 8,193
        #expect(throws: WireError.tooLarge(length: 8_193, maximum: 8_192)) { _ = try tooLong.next() }
        var empty = FrameDecoder()
        empty.append([0, 0])
        #expect(throws: WireError.self) { _ = try empty.next() }
    }

    @Test func bitsRoundTrip() throws {
        var random = WorldRandom(seed: 5)
        var w = BitWriter()
        var values: [(UInt64, Int)] = []
        for _ in 0..<2_000 {
            // Every width a read may have (up to 57), so that loads cross words and the end.
            let bits = 1 + Int(random.uniform(below: UInt64(BitReader.readBitsMax)))
            let v = random.next() & ((1 << UInt64(bits)) - 1)
            values.append((v, bits))
            if bits > 32 {
                w.write(v & 0xFFFF_FFFF, bits: 32)
                w.write(v >> 32, bits: bits - 32)
            } else {
                w.write(v, bits: bits)
            }
        }
        var r = BitReader(w.finished())
        for (v, bits) in values { #expect(try r.read(bits: bits) == v) }
        try r.finish()
        var s = BitWriter()
        for v in Int64(-16)...15 { s.signed(v, bits: 5) }
        var sr = BitReader(s.finished())
        for v in Int64(-16)...15 { #expect(try sr.signed(bits: 5) == v) }
        // The last bytes, read without a whole word after them, and nothing past the end.
        var tail = BitReader([0xAB, 0xCD, 0xEF])
        #expect(try tail.read(bits: 4) == 0xB)
        #expect(try tail.read(bits: 16) == 0xFCDA)
        #expect(throws: WireError.self) { _ = try tail.read(bits: 5) }
        #expect(try tail.read(bits: 4) == 0xE)
        #expect(throws: WireError.self) { _ = try tail.read(bits: 1) }
    }
}

@Suite struct DocumentedSizesTests {
    /// The sizes docs/PROTOCOL.md states for each UDP packet.
    @Test func packetSizesAreAsDocumented() {
        #expect(Packet.bindRequest(sessionID: 1).encode().count == 32)
        #expect(Packet.challenge(sessionID: 1, nonce: 2).encode().count == 21)
        #expect(Packet.challengeResponse(sessionID: 1, nonce: 2, mac: Array(repeating: 0, count: 16)).encode().count == 37)
        #expect(Packet.bound(sessionID: 1).encode().count == 13)
        let smallest = InputBody(ackTick: 0, clientTimeMillis: 0, echoServerTimeMillis: 0, holdMillis: 0, sequence: 0, commands: [.stop])
        let largest = InputBody(ackTick: 0, clientTimeMillis: 0, echoServerTimeMillis: 0, holdMillis: 0, sequence: 3,
                                commands: Array(repeating: .walkTo(x: 0, y: 0, pace: 1), count: 4))
        #expect(Packet.input(sessionID: 1, smallest).encode().count == 29)
        #expect(Packet.input(sessionID: 1, largest).encode().count == 68)
        let header = SnapshotHeader(tick: 1, baselineTick: 0, inputAck: 0, echoClientTimeMillis: 0, holdMillis: 0, serverTimeMillis: 0)
        let empty = SnapshotCodec.encode(header: header, current: [], baseline: [], priority: [], budgetBytes: 1_195).body
        #expect(Packet.snapshot(empty).encode().count == 27)
        // The server's path writes the same bytes straight into the socket's batch.
        for body in [empty, [UInt8](repeating: 0xA5, count: 1_195)] {
            var out = [UInt8](repeating: 0, count: 2_048)
            let n = out.withUnsafeMutableBytes { Packet.writeSnapshot(body, into: $0) }
            #expect(Array(out[0..<n]) == Packet.snapshot(body).encode())
        }
    }
}

@Suite struct RoundTripTests {
    @Test func roundTripsSurviveWrapAndClockGranularity() {
        #expect(roundTripMillis(now: 150, echoed: 100, held: 20) == 30)
        #expect(roundTripMillis(now: 10, echoed: 65_500, held: 6) == 40, "the 16-bit clock wraps")
        #expect(roundTripMillis(now: 100, echoed: 98, held: 5) == 0, "a few ms below zero is a fast round trip")
        #expect(roundTripMillis(now: 100, echoed: 30_000, held: 0) == nil, "35.6 s, more than 30 s: a stale echo")
    }
}
