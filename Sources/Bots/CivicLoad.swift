// The civic scenario (scenarios/civic.json): the city's own services under load. The first
// `staff` bots are city staff (editor and answerer): the first of them posts a city-wide notice
// every `noticeEverySeconds`, and each takes the oldest suggestion of the queue and answers it
// every `answerEverySeconds`. The rest are citizens: they read the notices pushed to them, file
// a suggestion every `suggestEverySeconds` (the server's daily limit refusing most, as it
// should), and read each inbox message that reaches them. The report counts each, and times a
// suggestion from its request to its acknowledgement (after the commit).

import Foundation
import Histogram
import Transport
import NetProto
import WorldClient

/// Each bot's place in the civic scenario.
struct CivicBotState {
    var nextSuggestAt: UInt64 = 0
    var nextStaffAt: UInt64 = 0
    var nextNoticeAt: UInt64 = 0
    var noticesShownSeen = 0
    var inboxPushedSeen = 0
    /// Suggestions asked, by request id, with when; and those answered (filed or refused) since
    /// the fleet's last look.
    var filing: [UInt32: UInt64] = [:]
    var answeredAt: [UInt32: UInt64] = [:]
    /// The queue's list asked for, and the suggestion taken then answered.
    var queueRequest: UInt32?
    var taken: (request: UInt32, id: UInt64)?
}

/// What the bots of the civic scenario did.
public struct CivicFigures: Codable, Sendable {
    public var noticesPosted = 0
    public var noticesShown = 0
    public var noticesRead = 0
    public var suggestionsSent = 0
    public var suggestionsFiled = 0
    /// Refused by the day's limit (29), at the door (18), or otherwise.
    public var suggestionsOverTheDay = 0
    public var suggestionsRateLimited = 0
    public var suggestionsRefusedOtherwise = 0
    public var answersGiven = 0
    public var inboxReceived = 0
    public var inboxRead = 0
    public init() {}
}

extension BotFleet {
    func driveCivic(_ bot: Bot, now: UInt64) {
        guard let settings = options.scenario.civic else { return }
        let c = bot.client
        guard c.welcome != nil, !c.closed, c.space != nil else { return }
        if c.onSuggestionAnswer == nil {
            // Timed as each answer arrives (not at the fleet's next 50 ms tick).
            c.onSuggestionAnswer = { [unowned self, unowned bot] request in
                guard let sent = bot.civic.filing[request] else { return }
                bot.civic.answeredAt[request] = Monotonic.nanoseconds()
                _ = suggestionLatency.record((Monotonic.nanoseconds() - sent) / 1_000)
            }
        }
        var s = bot.civic
        defer { bot.civic = s }
        // What arrived: notices pushed (read each), inbox messages pushed (read each), answers.
        while s.noticesShownSeen < c.noticesShown.count {
            let n = c.noticesShown[s.noticesShownSeen].notice
            s.noticesShownSeen += 1
            civic.noticesShown += 1
            if bot.index >= settings.staff {
                c.readNotice(n.id)
                civic.noticesRead += 1
            }
        }
        while s.inboxPushedSeen < c.inboxPushed.count {
            let m = c.inboxPushed[s.inboxPushedSeen].entry
            s.inboxPushedSeen += 1
            civic.inboxReceived += 1
            c.readInbox(m.id)
            civic.inboxRead += 1
        }
        for request in s.answeredAt.keys {
            s.filing[request] = nil
            s.answeredAt[request] = nil
            if c.suggestionsFiled[request] != nil {
                civic.suggestionsFiled += 1
            } else {
                switch c.errors.last(where: { $0.requestID == request })?.code {
                case .limitReached: civic.suggestionsOverTheDay += 1
                case .rateLimited: civic.suggestionsRateLimited += 1
                default: civic.suggestionsRefusedOtherwise += 1
                }
            }
        }
        if bot.index < settings.staff {
            driveCivicStaff(bot, &s, settings: settings, now: now)
            return
        }
        let every = UInt64(settings.suggestEverySeconds * 1e9)
        if s.nextSuggestAt == 0 {
            s.nextSuggestAt = now + random.next() % max(1, every)
        } else if now >= s.nextSuggestAt {
            s.nextSuggestAt += every
            let topic = Self.suggestionTopics[Int(random.next() % UInt64(Self.suggestionTopics.count))]
            let request = c.fileSuggestion(SuggestionFiling(category: topic.category, publicConsent: random.next() % 2 == 0, space: options.scenario.world,
                                                            title: topic.title, body: topic.body + " (bot-\(bot.index))"))
            s.filing[request] = Monotonic.nanoseconds()
            civic.suggestionsSent += 1
        }
    }

    private func driveCivicStaff(_ bot: Bot, _ s: inout CivicBotState, settings: Scenario.Civic, now: UInt64) {
        let c = bot.client
        if bot.index == 0 && now >= s.nextNoticeAt {
            s.nextNoticeAt = now + UInt64(settings.noticeEverySeconds * 1e9)
            let wall = UInt64(Date().timeIntervalSince1970 * 1_000)
            c.postNotice(NoticeDraftBody(category: 0, pinned: false, startsAtMillis: 0, endsAtMillis: wall + 600_000, spaces: [],
                                         titleKo: "안내 \(civic.noticesPosted + 1)", titleEn: "Notice \(civic.noticesPosted + 1)",
                                         bodyKo: "부하 시험 중의 공지입니다.", bodyEn: "A notice during a load test."))
            civic.noticesPosted += 1
        }
        // Take the oldest of the queue, then answer it.
        if let (request, id) = s.taken {
            if let text = c.suggestionTexts[request], text.summary.id == id {
                s.taken = nil
                if text.summary.state == 1 {
                    c.handleSuggestion(id, .answer, text: "검토했습니다. Thank you: we looked into it.")
                    civic.answersGiven += 1
                }
            } else if c.errors.contains(where: { $0.requestID == request }) {
                s.taken = nil
            }
            return
        }
        if let request = s.queueRequest, let list = c.suggestionLists[request] {
            s.queueRequest = nil
            // Spread the staff over the queue so that they do not all reach for the same one.
            let open = list.filter { $0.state == 0 }
            if !open.isEmpty {
                let pick = open[bot.index % open.count]
                s.taken = (c.handleSuggestion(pick.id, .take), pick.id)
            }
            return
        }
        if s.queueRequest == nil && now >= s.nextStaffAt {
            s.nextStaffAt = now + UInt64(settings.answerEverySeconds * 1e9)
            s.queueRequest = c.listSuggestions(.queue)
        }
    }

    static let suggestionTopics: [(category: UInt8, title: String, body: String)] = [
        (3, "분수대 옆 벤치", "서울광장 분수대 옆에 벤치를 더 놓아 주세요."),
        (0, "Night buses", "More night buses from the plaza after festivals, please."),
        (5, "도서관 야간 개방", "서울도서관을 주말 밤에도 열어 주세요."),
        (4, "Lighting by the palace wall", "The path along Deoksugung's wall is dark after 10 pm."),
        (7, "민원 안내 번역", "민원 안내를 영어와 중국어로도 제공해 주세요."),
    ]
}
