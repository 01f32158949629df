// The desk scenario (scenarios/desk-120.json): the first `counsellors` bots go on duty at the
// desk and take citizens one after another, ending each session after a while; the rest queue,
// are served in a room, and queue again. The report counts joins, takes and sessions, and times
// a session's start to both placed in its room (BotFleet.takeToRoom).

import WorldClient

extension BotFleet {
    /// The desk scenario: counsellors go on duty and take citizens one after another; citizens
    /// queue, are served, and queue again.
    func driveDesk(_ bot: Bot, now: UInt64) {
        guard let d = options.scenario.desk else { return }
        let c = bot.client
        guard c.welcome != nil, !c.closed else { return }
        // Sessions started and the rooms both sides reach.
        while bot.sessionStartedSeen < c.sessionsStarted.count {
            let s = c.sessionsStarted[bot.sessionStartedSeen]
            bot.sessionStartedSeen += 1
            bot.sessionRoom = s.roomID
            roomStarts[s.roomID] = min(roomStarts[s.roomID] ?? .max, s.atNanos)
            if bot.index < d.counsellors {
                desk.sessionsStarted += 1
                bot.sessionEndsAt = now + UInt64(d.sessionSeconds * 1e9)
            }
        }
        if let room = bot.sessionRoom, c.space == "room-\(room)" {
            bot.sessionRoom = nil
            roomEntries[room, default: []].append(c.enteredAtNanos)
            if let entries = roomEntries[room], entries.count == 2, let start = roomStarts.removeValue(forKey: room) {
                _ = takeToRoom.record((entries.max()! - min(start, entries.min()!)) / 1_000)
                roomEntries[room] = nil
            }
        }
        while bot.sessionEndedSeen < c.sessionsEnded.count {
            bot.sessionEndedSeen += 1
            bot.sessionEndsAt = 0
            if bot.index >= d.counsellors {
                bot.queued = false
                bot.nextDeskAt = now + UInt64(d.rejoinSeconds * 1e9)
            } else {
                bot.nextDeskAt = now + 500_000_000
            }
        }
        while bot.queueEndsSeen < c.queueEnds.count {
            let reason = c.queueEnds[bot.queueEndsSeen].reason
            bot.queueEndsSeen += 1
            if reason != .served {
                bot.queued = false
                bot.nextDeskAt = now + UInt64(d.rejoinSeconds * 1e9)
            }
        }
        guard c.space != nil else { return }
        if bot.index < d.counsellors {
            if !bot.dutyAsked {
                bot.dutyAsked = true
                c.deskDuty(d.desk)
                return
            }
            if bot.sessionEndsAt != 0 {
                if now >= bot.sessionEndsAt {
                    bot.sessionEndsAt = 0
                    c.endSession()
                    desk.sessionsEnded += 1
                    bot.nextDeskAt = now + 500_000_000
                }
                return
            }
            if now >= bot.nextDeskAt && c.space?.hasPrefix("room-") == false {
                c.takeNext(d.desk)
                desk.takesAsked += 1
                bot.nextDeskAt = now + 1_000_000_000
            }
        } else if !bot.queued && now >= bot.nextDeskAt && c.space?.hasPrefix("room-") == false {
            bot.queued = true
            c.joinQueue(d.desk)
            desk.joins += 1
        }
    }
}
