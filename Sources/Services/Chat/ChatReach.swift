// Who hears a nearby message: listeners on the speaker's floor whose centre lies within the
// space's chat radius of the speaker's, at the tick the message is handled. Integer maths on
// centimetres (no rounding at the edge: exactly the radius is in reach).

public enum ChatReach {
    public static func hears(speakerFloor: Int, speakerX: Int32, speakerY: Int32,
                             listenerFloor: Int, listenerX: Int32, listenerY: Int32, radiusCentimetres: Int32) -> Bool {
        guard speakerFloor == listenerFloor else { return false }
        // In unsigned 64-bit: each offset is below 2^32, so each square is below 2^64, and
        // the early test keeps both below r, so their sum cannot overflow either.
        let dx = (Int64(listenerX) - Int64(speakerX)).magnitude, dy = (Int64(listenerY) - Int64(speakerY)).magnitude
        let r = UInt64(max(0, radiusCentimetres))
        guard dx <= r && dy <= r else { return false }
        return dx * dx + dy * dy <= r * r
    }
}
