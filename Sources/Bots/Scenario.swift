// Scenario files (scenarios/*.json): which space the bots go to and how they behave there.
//
// {
//   "name": "plaza-festival",
//   "world": "seoul-plaza",
//   "description": "...",
//   "behaviours": [
//     { "kind": "gather", "share": 0.6, "gatherPointMetres": [90, 75], "changeEverySeconds": 3 },
//     { "kind": "wander", "share": 0.3, "changeEverySeconds": 2 },
//     { "kind": "idle",   "share": 0.1 }
//   ]
// }
// Kinds: wander (a new way every so often), gather (walk to near a point, as at the New Year
// bell), tour (travel through the world map to the next of `tourSpaces` every
// `tourEverySeconds`), idle (enter and stand). Shares must add up to 1.

import Foundation

public struct Scenario: Codable, Sendable {
    public var name: String
    public var world: String
    public var description: String?
    public var behaviours: [Behaviour]
    /// Chat, for every bot (members only: the fleet needs a token secret to mint member tokens).
    public var chat: Chat?
    /// A staffed desk under load: the first `counsellors` bots are staff on duty at `desk`, the
    /// others citizens who queue there from the scenario's world; each session lasts
    /// `sessionSeconds`, and a citizen queues again `rejoinSeconds` after its session.
    public var desk: DeskLoad?
    /// The city's civic services under load (CivicLoad.swift): the first `staff` bots are staff
    /// who post notices and answer suggestions, the others citizens who read notices, file
    /// suggestions and read their inboxes.
    public var civic: Civic?

    public struct Civic: Codable, Sendable {
        public var staff: Int
        public var noticeEverySeconds: Double
        public var suggestEverySeconds: Double
        public var answerEverySeconds: Double
    }

    public struct DeskLoad: Codable, Sendable {
        public var desk: String
        public var counsellors: Int
        public var sessionSeconds: Double
        public var rejoinSeconds: Double
    }

    /// Each bot says something to those nearby about every `everySeconds` (its phase random),
    /// a share of it profane (for the filter): the load of a chatting crowd.
    public struct Chat: Codable, Sendable {
        public var everySeconds: Double
        public var profaneShare: Double
        public init(everySeconds: Double, profaneShare: Double) {
            self.everySeconds = everySeconds
            self.profaneShare = profaneShare
        }
    }

    public struct Behaviour: Codable, Sendable {
        public enum Kind: String, Codable, Sendable { case wander, gather, tour, idle }
        public var kind: Kind
        public var share: Double
        public var changeEverySeconds: Double?
        public var gatherPointMetres: [Double]?
        /// Gatherers aim at a random spot within this distance of the point (default 15 m).
        public var gatherRadiusMetres: Double?
        public var tourEverySeconds: Double?
        public var tourSpaces: [String]?

        public init(kind: Kind, share: Double, changeEverySeconds: Double? = nil, gatherPointMetres: [Double]? = nil,
                    gatherRadiusMetres: Double? = nil, tourEverySeconds: Double? = nil, tourSpaces: [String]? = nil) {
            self.kind = kind
            self.share = share
            self.changeEverySeconds = changeEverySeconds
            self.gatherPointMetres = gatherPointMetres
            self.gatherRadiusMetres = gatherRadiusMetres
            self.tourEverySeconds = tourEverySeconds
            self.tourSpaces = tourSpaces
        }
    }

    public init(name: String, world: String, description: String?, behaviours: [Behaviour]) {
        self.name = name
        self.world = world
        self.description = description
        self.behaviours = behaviours
    }

    /// A plain crowd of wanderers in one space, for when no scenario file is given.
    public static func wander(in world: String) -> Scenario {
        Scenario(name: "wander", world: world, description: "every bot wanders",
                 behaviours: [Behaviour(kind: .wander, share: 1, changeEverySeconds: 2)])
    }

    /// Everything wrong with the scenario, as sentences; empty when it is usable.
    public func problems() -> [String] {
        var out: [String] = []
        if behaviours.isEmpty { out.append("behaviours: at least one is needed") }
        if let civic {
            if civic.staff < 1 { out.append("civic.staff: at least 1 (the first bot posts the notices)") }
            for (name, value) in [("noticeEverySeconds", civic.noticeEverySeconds), ("suggestEverySeconds", civic.suggestEverySeconds),
                                  ("answerEverySeconds", civic.answerEverySeconds)] where !(0.1...3_600).contains(value) {
                out.append("civic.\(name): \(value) is not 0.1 to 3600")
            }
        }
        if let desk {
            if desk.counsellors < 1 { out.append("desk.counsellors: at least 1") }
            if !(1...3_600).contains(desk.sessionSeconds) { out.append("desk.sessionSeconds: \(desk.sessionSeconds) is not 1 to 3600") }
            if !(0...3_600).contains(desk.rejoinSeconds) { out.append("desk.rejoinSeconds: \(desk.rejoinSeconds) is not 0 to 3600") }
        }
        if let chat {
            if !(0.5...3_600).contains(chat.everySeconds) { out.append("chat.everySeconds: \(chat.everySeconds) is not 0.5 to 3600") }
            if !(0...1).contains(chat.profaneShare) { out.append("chat.profaneShare: \(chat.profaneShare) is not between 0 and 1") }
        }
        let total = behaviours.reduce(0) { $0 + $1.share }
        if abs(total - 1) > 0.001 { out.append("behaviours: the shares add up to \(total), not 1") }
        for (i, b) in behaviours.enumerated() {
            if !(0...1).contains(b.share) { out.append("behaviours[\(i)].share: \(b.share) is not between 0 and 1") }
            if let c = b.changeEverySeconds, !(0.1...3_600).contains(c) { out.append("behaviours[\(i)].changeEverySeconds: \(c) is not 0.1 to 3600") }
            switch b.kind {
            case .gather:
                if b.gatherPointMetres?.count != 2 { out.append("behaviours[\(i)]: gather needs gatherPointMetres [x, y]") }
            case .tour:
                if (b.tourSpaces ?? []).isEmpty { out.append("behaviours[\(i)]: tour needs tourSpaces") }
                if (b.tourEverySeconds ?? 0) < 1 { out.append("behaviours[\(i)]: tour needs tourEverySeconds of at least 1") }
            case .wander, .idle:
                break
            }
        }
        return out
    }

    public static func load(_ url: URL) throws -> Scenario {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ScenarioError("cannot read the scenario \(url.path): \(error.localizedDescription)")
        }
        let scenario: Scenario
        do { scenario = try JSONDecoder().decode(Scenario.self, from: data) } catch {
            throw ScenarioError("\(url.lastPathComponent) is not a valid scenario: \(error)")
        }
        let problems = scenario.problems()
        if !problems.isEmpty { throw ScenarioError("\(url.lastPathComponent): " + problems.joined(separator: "; ")) }
        return scenario
    }
}

public struct ScenarioError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
