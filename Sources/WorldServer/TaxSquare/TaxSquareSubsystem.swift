// Tax Square's calculator and FAQ bot in the world (docs/PROTOCOL.md, section 7.12). The rules
// are the machine's (Services' TaxSquare: where, how often, the answer); this subsystem owns it,
// hands it each request with the asker's space and the clock, and carries out what it answers:
// the working or the answer sent, a refusal as an error, and each use a service event in the
// store for the yearly evaluation (`stats`).
//
// Invariants:
// 1. The machine's state (the request buckets) is its own; nothing here keeps a copy of it.
// 2. A request is answered once: by `taxWorking`, `taxAnswer` or an `error` with its id.

import NetProto
import Services
import Store

final class TaxSquareSubsystem {
    unowned let server: Server
    private(set) var machine: TaxSquare?

    init(server: Server) { self.server = server }

    /// Checks that the square's space exists in the world files, and sets the machine up.
    func open(_ square: TaxSquare, spaces: Set<String>) throws {
        guard spaces.contains(square.rules.space) else {
            throw TaxSquareError(description: "Tax Square's calculator is served in the space '\(square.rules.space)', which no world file defines")
        }
        machine = square
    }

    func calculate(_ s: Session, request: UInt32, tax: UInt8, fields: [TaxField]) {
        // The decoder admits 0 to 2 only.
        handle(.calculate(TaxKind(wire: tax)!, fields: fields.map { ($0.name, $0.value) }), from: s, request: request)
    }

    func ask(_ s: Session, request: UInt32, question: String) { handle(.ask(question), from: s, request: request) }

    /// Presence's changes, as the square hears them (Features.swift): a connection gone forgets
    /// its bucket.
    func heard(_ change: PresenceChange) {
        if case .disconnected(let s, _) = change, machine != nil { _ = machine!.handle(.gone(session: s.id), facts: nil, nowMillis: Int64(server.clockMillis)) }
    }

    private func handle(_ event: TaxSquare.Event, from s: Session, request: UInt32) {
        guard machine != nil else {
            s.send(.error(code: .unavailable, requestID: request, text: "Tax Square's calculator is not running on this server (its tables were not loaded)"))
            return
        }
        let effects = machine!.handle(event, facts: TaxSquare.Facts(session: s.id, space: s.spaceID.map(SpaceHost.base)), nowMillis: Int64(server.clockMillis))
        for effect in effects {
            switch effect {
            case .working(let w): send(.taxWorking(requestID: request, Self.body(w)), to: s, request: request)
            case .answer(let reply): send(.taxAnswer(requestID: request, Self.body(reply, desk: machine!.faq.desk)), to: s, request: request)
            case .refused(.notHere(let space)):
                s.send(.error(code: .notHere, requestID: request, text: "Tax Square's calculator and questions are answered in Tax Square: enter '\(space)' first"))
            case .refused(.invalid(let e)): s.send(.error(code: .invalidField, requestID: request, text: e.description))
            case .refused(.rateLimited):
                s.send(.error(code: .rateLimited, requestID: request, text: "too many Tax Square requests: 10 at once, then 2 a second"))
            case .refused(.busy):
                s.send(.error(code: .rateLimited, requestID: request, text: "Tax Square is answering as many as it can just now; ask again in a moment"))
            case .used(let kind, let outcome):
                // One service per tax ("tax-car", …, "tax-faq"), so that `stats` counts each.
                server.submitUsage(.serviceEvent(ServiceEvent(service: "tax-\(kind)", kind: "request", accountID: s.accountID, atMillis: server.nowUnixMillis(), outcome: outcome)))
            }
        }
    }

    /// Sends an answer (encoded once), or, should the data make it larger than a frame (a
    /// table's notes grown past the limit), an internal error that says so instead of a frame
    /// the client refuses.
    private func send(_ message: ServerMessage, to s: Session, request: UInt32) {
        let body = message.encode()
        guard body.count <= WireProtocol.frameBodyBytesMax else {
            server.logger.error("a Tax Square answer is larger than a frame: shorten the tables' texts", metadata: ["type": "\(message.type)", "bytes": "\(body.count)"])
            s.send(.error(code: .internalError, requestID: request, text: "the answer is too long to send; the operators are told"))
            return
        }
        s.send(frame: Framing.frame(body))
    }

    static func body(_ w: TaxWorking) -> TaxWorkingBody {
        func note(_ b: Bilingual) -> TaxNote { TaxNote(ko: b.ko, en: b.en) }
        func payment(_ p: TaxPayment) -> TaxWorkingBody.Payment { .init(id: p.id, label: note(p.label), amount: UInt64(p.amount)) }
        return TaxWorkingBody(
            tax: w.kind.wire, date: w.date.description, tableFrom: w.tableFrom.description,
            tableChecked: w.tableChecked.description, total: UInt64(w.total),
            lines: w.lines.prefix(TaxWire.linesMax).map {
                .init(id: $0.id, label: note($0.label), base: $0.base.map(UInt64.init), rate: $0.rate ?? "", beforeCut: $0.beforeCut.map(UInt64.init),
                      amount: $0.amount, article: $0.article)
            },
            payments: w.payments.prefix(TaxWire.paymentsMax).map(payment), options: w.options.prefix(TaxWire.paymentsMax).map(payment),
            notIncluded: w.notIncluded.prefix(TaxWire.notesMax).map(note), warnings: w.warnings.prefix(TaxWire.notesMax).map(note))
    }

    static func body(_ r: TaxFAQ.Reply, desk: String) -> TaxAnswerBody {
        let kind: TaxAnswerBody.Kind
        switch r {
        case .answer: kind = .answered
        case .unknown: kind = .doesNotKnow
        case .nationalTax: kind = .nationalTax
        }
        return TaxAnswerBody(kind: kind, entry: r.entryID ?? "", score: UInt16(max(0, min(1_000, (r.score * 1_000).rounded()))),
                             text: TaxNote(ko: r.text.ko, en: r.text.en), sources: Array(r.sources.prefix(TaxWire.sourcesMax)),
                             desk: kind == .answered ? "" : desk)
    }
}

/// A tax's number on the wire (PROTOCOL.md 4.1: 0 car, 1 property, 2 acquisition).
extension TaxKind {
    init?(wire: UInt8) {
        switch wire {
        case 0: self = .car
        case 1: self = .property
        case 2: self = .acquisition
        default: return nil
        }
    }

    var wire: UInt8 {
        switch self {
        case .car: 0
        case .property: 1
        case .acquisition: 2
        }
    }
}

struct TaxSquareError: Error, CustomStringConvertible {
    var description: String
}
