import Foundation

/// UTC timestamps in the one text form Touchbase stores and prints: `2026-11-23T01:53:19.123Z`.
///
/// Formatting and parsing are done by hand (civil-from-days arithmetic), without locales or formatters,
/// so they are fast, thread-safe and identical on every platform.
public enum Timestamp {
    /// Formats a date as ISO 8601 UTC with milliseconds.
    public static func format(_ date: Date) -> String {
        let totalMillis = Int64((date.timeIntervalSince1970 * 1000).rounded())
        var days = totalMillis / 86_400_000
        var millisOfDay = totalMillis % 86_400_000
        if millisOfDay < 0 {
            millisOfDay += 86_400_000
            days -= 1
        }
        let (y, m, d) = civil(fromDays: days)
        let h = millisOfDay / 3_600_000
        let mi = (millisOfDay / 60_000) % 60
        let s = (millisOfDay / 1000) % 60
        let ms = millisOfDay % 1000
        return pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2) + "T" + pad(h, 2) + ":" + pad(mi, 2) + ":" + pad(s, 2)
            + "." + pad(ms, 3) + "Z"
    }

    /// Formats only the date part, `2026-11-23`.
    public static func formatDate(_ date: Date) -> String {
        String(format(date).prefix(10))
    }

    /// Whether `text` already has the stored form `YYYY-MM-DDTHH:MM:SS.fffZ` (which `parse` then `format` would give
    /// back unchanged, or leave alone when a field is out of range): reading a stored time then costs no arithmetic.
    public static func isCanonical(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { b in
            guard b.count == 24, b[4] == 45, b[7] == 45, b[10] == 84, b[13] == 58, b[16] == 58, b[19] == 46, b[23] == 90
            else { return false }
            for k in digitOffsets where b[k] < 48 || b[k] > 57 { return false }
            return true
        }
    }

    private static let digitOffsets = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22]

    /// Parses `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS[.fff…]]` with `Z`, `±HH:MM`, `±HHMM` or no zone (UTC),
    /// and the space-separated form SQL prints. Returns nil for anything else.
    public static func parse(_ text: String) -> Date? {
        let b = Array(text.utf8)
        var i = 0
        func digits(_ n: Int) -> Int64? {
            guard i + n <= b.count else { return nil }
            var v: Int64 = 0
            for k in 0..<n {
                let c = b[i + k]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int64(c - 48)
            }
            i += n
            return v
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < b.count, b[i] == c else { return false }
            i += 1
            return true
        }
        guard let y = digits(4), expect(45), let mo = digits(2), expect(45), let d = digits(2) else { return nil }
        guard (1...9999).contains(y), (1...12).contains(mo), (1...31).contains(d) else { return nil }
        var seconds = Double(days(fromCivil: y, mo, d)) * 86_400
        guard daysInMonth(y, mo) >= d else { return nil }
        if i == b.count { return Date(timeIntervalSince1970: seconds) }
        guard i < b.count, b[i] == 84 || b[i] == 116 || b[i] == 32 else { return nil }  // T, t or space
        i += 1
        guard let h = digits(2), expect(58), let mi = digits(2) else { return nil }
        guard h < 24, mi < 60 else { return nil }
        seconds += Double(h * 3600 + mi * 60)
        if expect(58) {
            guard let s = digits(2), s < 61 else { return nil }
            seconds += Double(s)
            if expect(46) || expect(44) {
                var frac = 0.0
                var scale = 0.1
                var any = false
                while i < b.count, b[i] >= 48, b[i] <= 57 {
                    frac += Double(b[i] - 48) * scale
                    scale /= 10
                    i += 1
                    any = true
                }
                guard any else { return nil }
                seconds += frac
            }
        }
        if i == b.count { return Date(timeIntervalSince1970: seconds) }
        if b[i] == 90 || b[i] == 122 {  // Z
            i += 1
        } else if b[i] == 43 || b[i] == 45 {  // + or -
            let sign: Double = b[i] == 43 ? 1 : -1
            i += 1
            guard let oh = digits(2) else { return nil }
            _ = expect(58)
            let om = digits(2) ?? 0
            seconds -= sign * Double(oh * 3600 + om * 60)
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        return Date(timeIntervalSince1970: seconds)
    }

    private static func pad(_ v: Int64, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    private static func daysInMonth(_ y: Int64, _ m: Int64) -> Int64 {
        switch m {
        case 2: return (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
    static func days(fromCivil y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }
}

/// Time-ordered UUIDs (RFC 9562 version 7): 48 bits of Unix milliseconds, then random bits.
/// Keys made this way arrive in B-tree order, which keeps inserts and cursor pagination cheap.
public enum UUIDv7 {
    /// A new id. Ids made by this process are strictly increasing: within one millisecond the 12-bit `rand_a`
    /// field counts up (RFC 9562, method 1), so rows made together sort in the order they were made.
    public static func make() -> UUID {
        let (ms, sequence) = clock.next(UInt64(max(0, Date().timeIntervalSince1970 * 1000)))
        return make(ms: ms, randA: sequence)
    }

    /// An id for a moment `date` (not ordered against other ids of the same millisecond).
    public static func make(at date: Date) -> UUID {
        var rng = SystemRandomNumberGenerator()
        return make(ms: UInt64(max(0, date.timeIntervalSince1970 * 1000)), randA: UInt16(truncatingIfNeeded: rng.next() as UInt64) & 0x0fff)
    }

    static func make(ms: UInt64, randA: UInt16) -> UUID {
        var rng = SystemRandomNumberGenerator()
        let r2 = rng.next() as UInt64
        var bytes = [UInt8](repeating: 0, count: 16)
        for k in 0..<6 { bytes[k] = UInt8((ms >> (8 * (5 - UInt64(k)))) & 0xff) }
        bytes[6] = 0x70 | UInt8((randA >> 8) & 0x0f)
        bytes[7] = UInt8(randA & 0xff)
        for k in 8..<16 { bytes[k] = UInt8((r2 >> (8 * UInt64(k - 8))) & 0xff) }
        bytes[8] = (bytes[8] & 0x3f) | 0x80
        return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                           bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
    }

    static let clock = Clock()

    /// The last millisecond and counter handed out.
    final class Clock: @unchecked Sendable {
        private let lock = NSLock()
        private var lastMs: UInt64 = 0
        private var sequence: UInt16 = 0

        func next(_ now: UInt64) -> (UInt64, UInt16) {
            lock.lock()
            defer { lock.unlock() }
            if now > lastMs {
                var rng = SystemRandomNumberGenerator()
                lastMs = now
                sequence = UInt16(truncatingIfNeeded: rng.next() as UInt64) & 0x03ff  // room to count up
            } else if sequence < 0x0fff {
                sequence += 1
            } else {
                lastMs += 1  // the counter ran out this millisecond: borrow the next one
                sequence = 0
            }
            return (lastMs, sequence)
        }
    }
}

extension UUID {
    /// The canonical lowercase text form Touchbase stores and prints.
    public var lowercased: String { uuidString.lowercased() }
}
