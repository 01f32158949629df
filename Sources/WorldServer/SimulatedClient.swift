// One client of the whole-server simulation (CitySimulation.swift): a guest, a member or a
// staff member who connects through a VirtualConnection, speaks the protocol from the
// documents' messages (NetProto's codec, nothing of the server's), and each step reads what
// the server sent and maybe does one thing, chosen by the simulation's seeded randomness.
//
// It keeps only what a real client would know from its own messages (its space, its entity,
// its room, its queue, the report ids it was given) and folds every message it receives into
// a digest, so that two runs of one seed can be compared byte for byte.

import NetProto
import WorldCore

final class SimulatedClient {
    enum Kind: String { case guest, member, staff }

    let index: Int
    let kind: Kind
    let account: String?
    var connection: VirtualConnection?
    var decoder = FrameDecoder()
    var welcomed = false
    var space: String?
    var entity: UInt32?
    var nextRequest: UInt32 = 1
    var sequence: UInt32 = 0
    /// The desk whose queue it joined, the desk it is on duty at, the desk room it is in.
    var queuedAt: String?
    var onDutyAt: String?
    var deskRoom: UInt32?
    /// The report ids the server acknowledged (each must be in the store).
    var bugReportsAcknowledged: [Int64] = []
    var userReportsAcknowledged: [Int64] = []
    /// Errors received, by code, and every other message received, by kind (the run's summary).
    var errors: [UInt16: Int] = [:]
    var received: [String: Int] = [:]
    /// Every message received, kept only when asked (tests read them; the simulation does not).
    var keepsMessages = false
    var messages: [ServerMessage] = []
    var digest: UInt64 = 0xCBF2_9CE4_8422_2325

    init(index: Int, kind: Kind) {
        self.index = index
        self.kind = kind
        account = kind == .guest ? nil : "\(kind.rawValue)-\(index)"
    }

    var isConnected: Bool { connection != nil }

    func send(_ message: ClientMessage) { connection?.send(Framing.frame(message.encode())) }

    func request() -> UInt32 {
        defer { nextRequest &+= 1 }
        return nextRequest
    }

    /// Connects and introduces itself (a member with its signed token).
    func connect(_ driver: VirtualDriver, token: [UInt8]?) {
        let c = driver.connect()
        connection = c
        decoder = FrameDecoder()
        welcomed = false
        send(.hello(protocolID: WireProtocol.id, version: WireProtocol.version))
        if let token { send(.authenticateMember(token: token)) } else { send(.authenticateGuest(displayName: "guest-\(index)")) }
    }

    /// Forgets the connection (after hanging up or being closed).
    func disconnected() {
        connection = nil
        welcomed = false
        space = nil
        entity = nil
        queuedAt = nil
        onDutyAt = nil
        deskRoom = nil
    }

    /// Reads and folds in everything the server sent. Returns false if a frame did not decode
    /// (a failure of the run: the server must only send what the document describes).
    func readMessages(problems: inout [String]) {
        guard let c = connection else { return }
        let bytes = c.read()
        if !bytes.isEmpty { decoder.append(bytes) }
        while true {
            let body: [UInt8]?
            do { body = try decoder.next() } catch {
                problems.append("client \(index): a frame from the server did not decode: \(error)")
                return
            }
            guard let body else { break }
            fold(body.count)
            fold(Int(body.first ?? 0))
            do { apply(try ServerMessage.decode(body)) } catch {
                problems.append("client \(index): a message from the server did not decode: \(error)")
            }
        }
        if c.closed { disconnected() }
    }

    func apply(_ message: ServerMessage) {
        received[message.kindName, default: 0] += 1
        if keepsMessages { messages.append(message) }
        switch message {
        case .welcome: welcomed = true
        case .entered(_, let spaceID, let e, let x, let y, _):
            space = spaceID
            entity = e
            fold(Int(x) ^ Int(y) << 20)
            if !spaceID.hasPrefix("room-") { deskRoom = nil }
        case .left:
            space = nil
            entity = nil
        case .error(let code, _, _): errors[code.rawValue, default: 0] += 1
        case .bugReportFiled(_, let id): bugReportsAcknowledged.append(Int64(id))
        case .userReportFiled(_, let id): userReportsAcknowledged.append(Int64(id))
        case .queueEnded(_, let reason, _):
            queuedAt = nil
            received["queueEnded \(reason)", default: 0] += 1
        case .sessionStarted(_, let room, _, _):
            queuedAt = nil
            deskRoom = room
        case .sessionEnded: deskRoom = nil
        default: break
        }
    }

    func fold(_ value: Int) {
        digest = (digest ^ UInt64(bitPattern: Int64(value))) &* 0x100_0000_01B3
    }
}

extension SimulatedClient {
    /// Does one thing, chosen by `random` from what this client could do now; returns its name.
    func act(_ random: inout WorldRandom, driver: VirtualDriver, city: CityFacts, token: [UInt8]?, everyone: [SimulatedClient]) -> String {
        func pick<T>(_ xs: [T]) -> T? { xs.isEmpty ? nil : xs[Int(random.uniform(below: UInt64(xs.count)))] }
        guard isConnected else {
            connect(driver, token: token)
            return "connect"
        }
        guard welcomed else { return "wait" }
        let others = everyone.compactMap { $0 !== self && $0.space == space ? $0.entity : nil }
        guard let here = space else {
            if kind == .staff, let desk = pick(city.desks), random.uniform(below: 2) == 0 {
                send(.deskDuty(requestID: request(), desk: desk, on: true, field: ""))
                onDutyAt = desk
                return "duty on"
            }
            send(.enterSpace(requestID: request(), spaceID: pick(city.spaces)!))
            return "enter"
        }
        // Staff spend half their actions at the desks, as counsellors on shift do.
        let roll = kind == .staff && random.uniform(below: 2) == 0 ? 65 : random.uniform(below: 100)
        switch roll {
        case 0..<30:
            let command: WireCommand = random.uniform(below: 3) == 0 ? .stop
                : .go(heading: UInt16(truncatingIfNeeded: random.next()), pace: UInt8(1 + random.uniform(below: 2)))
            sequence &+= 1
            send(.input(InputBody(ackTick: 0, clientTimeMillis: UInt16(truncatingIfNeeded: driver.nowMillis), echoServerTimeMillis: 0,
                                  holdMillis: 0, sequence: sequence, commands: [command])))
            return "move"
        case 30..<45:
            let target: ChatTarget = random.uniform(below: 3) == 0 ? .room : .nearby
            send(.chat(requestID: request(), to: target, text: pick(Self.lines)!))
            return "chat"
        case 45..<53:
            send(.enterSpace(requestID: request(), spaceID: pick(city.spaces)!))
            return "travel"
        case 53..<57:
            send(.leaveSpace(requestID: request()))
            return "leave"
        case 57..<60:
            if let template = pick(city.templates) {
                send(.openRoom(requestID: request(), template: template, title: "room of \(index)", access: .open))
            }
            return "open room"
        case 60..<65:
            send(.enterRoom(requestID: request(), roomID: UInt32(1 + random.uniform(below: 20)), code: ""))
            return "enter room"
        case 65..<72:
            switch kind {
            case .staff:
                if let desk = onDutyAt {
                    if deskRoom != nil {
                        send(.endSession(requestID: request()))
                        return "end session"
                    }
                    send(.takeNext(requestID: request(), desk: desk))
                    return "take next"
                }
                // A third of the staff are docents: a post instead (on duty there until leaving it).
                if index % 3 == 2, let post = pick(city.posts) {
                    send(.docentDuty(requestID: request(), space: post, on: true))
                    return "docent on"
                }
                if let desk = pick(city.desks) {
                    send(.deskDuty(requestID: request(), desk: desk, on: true, field: ""))
                    onDutyAt = desk
                }
                return "duty on"
            default:
                if let desk = queuedAt, random.uniform(below: 3) == 0 {
                    send(.leaveQueue(requestID: request(), desk: desk))
                    return "leave queue"
                }
                if deskRoom != nil {
                    send(.endSession(requestID: request()))
                    return "end session"
                }
                if let desk = pick(city.desks) {
                    send(.joinQueue(requestID: request(), desk: desk, field: ""))
                    queuedAt = desk
                }
                return "join queue"
            }
        case 72..<75:
            if let subject = pick(others) {
                send(.reportUser(requestID: request(), entity: subject, reason: .spam, description: "simulated report from \(index)"))
            }
            return "report user"
        case 75..<77:
            send(.reportBug(requestID: request(), description: "simulated bug report from \(index) in \(here)"))
            return "report bug"
        case 77..<79:
            if let subject = pick(others) { send(.block(requestID: request(), subject: .entity(subject), on: random.uniform(below: 2) == 0)) }
            return "block"
        case 79..<81:
            if kind == .staff, let subject = pick(others) {
                let action: StaffAction = pick([.warn, .mute, .unmute, .kick])!
                send(.staff(requestID: request(), action: action, subject: .entity(subject), seconds: 30, reason: "simulated"))
                return "staff \(action)"
            }
            send(.listRooms(requestID: request(), offset: 0))
            return "list rooms"
        case 81..<83:
            if kind == .staff, onDutyAt != nil {
                send(.deskDuty(requestID: request(), desk: onDutyAt!, on: false, field: ""))
                onDutyAt = nil
                return "duty off"
            }
            send(.listDesks(requestID: request()))
            return "list desks"
        case 83..<85:
            connection?.hangUp()
            return "hang up"
        default:
            send(.ping(clientTimeMicros: driver.nowMillis * 1_000))
            return "ping"
        }
    }

    /// What simulated people say: greetings, questions, and one line the filter masks.
    static let lines = ["안녕하세요", "Where is the tax counselling desk?", "시청 앞 광장에서 만나요", "good morning", "씨발 뭐야", "see you at the bell"]
}

extension ServerMessage {
    /// The message's name in PROTOCOL.md, for counting.
    var kindName: String {
        let text = String(describing: self)
        return String(text.prefix { $0 != "(" })
    }
}
