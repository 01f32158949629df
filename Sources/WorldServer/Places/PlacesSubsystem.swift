// The landmarks' points of interest in the visitor's language (docs/PROTOCOL.md, section 7.16):
// the world files name each one and say something about it in Korean and English; this
// subsystem keeps each connection's language (guests too), lists a space's points of interest
// to whoever enters it, and answers a question about one with its text.
//
// Invariants:
// 1. A connection's language lives here alone, from `setLanguage` until the connection ends;
//    a connection that never set one reads Korean (the rule of VisitorLanguage).
// 2. Only the points of interest of the asker's own space are answered (a room's are its
//    template's).

import NetProto
import Services
import Store
import WorldFiles

final class PlacesSubsystem {
    unowned let server: Server
    /// Each space's and room template's points of interest, from the world files.
    private var points: [String: [PointOfInterest]] = [:]
    /// Invariant 1.
    private var languages: [UInt64: VisitorLanguage] = [:]
    /// Which places each connection asked about, for the usage records.
    private var asked = UsageOnce()

    init(server: Server) { self.server = server }

    func open(_ catalog: WorldCatalog) {
        for space in catalog.spaces { points[space.id] = space.pointsOfInterest }
    }

    /// The language a connection reads (Korean until it says otherwise).
    func language(of s: Session) -> VisitorLanguage { languages[s.id] ?? .ko }

    func setLanguage(_ s: Session, request: UInt32, tag: String) {
        languages[s.id] = VisitorLanguage(tag: tag)
        s.send(.done(requestID: request))
    }

    func ask(_ s: Session, request: UInt32, place: String) {
        guard let space = s.spaceID else {
            return s.send(.error(code: .notInSpace, requestID: request, text: "enter a space first: its points of interest are answered there"))
        }
        guard let p = pointsOf(space).first(where: { $0.id == place }) else {
            return s.send(.error(code: .unknownTarget, requestID: request, text: "no point of interest '\(place)' in this space"))
        }
        let language = languages[s.id] ?? .ko
        let name = language.pick(ko: p.name.ko, en: p.name.en), text = language.pick(ko: p.info.ko, en: p.info.en)
        s.send(.placeText(requestID: request, place: p.id, language: text.language.rawValue, name: name.text, text: text.text))
        if asked.first(s.id, space + "/" + p.id) {
            server.submitUsage(.serviceEvent(ServiceEvent(service: "places", kind: "asked", accountID: s.accountID, atMillis: server.nowUnixMillis(),
                                                          outcome: text.language.rawValue)))
        }
    }

    /// Presence's changes, as the places hear them (Features.swift): a space's points of
    /// interest to whoever enters it; a connection gone forgets its language.
    func heard(_ change: PresenceChange) {
        switch change {
        case .entered(let s, let space), .resumed(let s, _, let space):
            let list = pointsOf(space)
            guard !list.isEmpty else { return }
            let language = languages[s.id] ?? .ko
            let parts = (list.count + PlaceWire.perMessageMax - 1) / PlaceWire.perMessageMax
            for part in 0..<parts {
                let slice = list[(part * PlaceWire.perMessageMax)..<min(list.count, (part + 1) * PlaceWire.perMessageMax)]
                s.send(.pointsOfInterest(space: space, language: language.rawValue, part: UInt8(part), parts: UInt8(parts), places: slice.map { p in
                    PlaceEntry(id: p.id, kind: p.kind, floor: UInt8(clamping: p.floor), x: p.position.x, y: p.position.y,
                               name: language.pick(ko: p.name.ko, en: p.name.en).text)
                }))
            }
        case .disconnected(let s, _):
            languages[s.id] = nil
            asked.forget(s.id)
        case .left, .signedIn: break
        }
    }

    /// Invariant 2: a room's points of interest are its template's.
    private func pointsOf(_ space: String) -> [PointOfInterest] {
        if let list = points[space] { return list }
        // An overflow instance (`seoul-plaza#2`) has its space's points of interest.
        if let list = points[SpaceHost.base(space)] { return list }
        if let template = server.rooms.room(spaceID: space)?.template { return points[template] ?? [] }
        return []
    }
}
