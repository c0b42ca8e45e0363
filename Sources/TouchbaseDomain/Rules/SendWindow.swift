import Foundation

/// When a sequence may send: days of the week and hours of the day in the recipient's time zone, less holidays.
/// Times are worked out at send time, in the zone the caller gives (the contact's IANA zone, the sender's as
/// fallback), with the calendar's own rules, so 09:00 stays 09:00 local across a daylight-saving change.
public struct SendWindow: Sendable, Hashable, Codable {
    /// ISO weekdays: 1 Monday … 7 Sunday.
    public let days: Set<Int>
    /// Minutes after local midnight: the window opens at `start` and closes at `end` (exclusive).
    public let start: Int
    public let end: Int
    /// Local dates (YYYY-MM-DD) on which nothing is sent and which are not business days.
    public let holidays: Set<String>

    public struct Problem: Error, Sendable, Hashable, CustomStringConvertible {
        public let field: String
        public let message: String
        public var description: String { "\(field): \(message)" }
    }

    /// Monday to Friday, 09:00 to 17:00, no holidays.
    public static let businessHours = try! SendWindow(days: [1, 2, 3, 4, 5], start: 9 * 60, end: 17 * 60)

    public init(days: Set<Int>, start: Int, end: Int, holidays: Set<String> = []) throws(Problem) {
        guard !days.isEmpty, days.allSatisfy({ (1...7).contains($0) }) else {
            throw Problem(field: "days", message: "must be one or more ISO weekdays from 1 (Monday) to 7 (Sunday)")
        }
        guard (0..<1440).contains(start), (1...1440).contains(end), start < end else {
            throw Problem(field: "hours", message: "the window must open before it closes, within one day (minutes 0 to 1440)")
        }
        for day in holidays where Self.parts(day) == nil {
            throw Problem(field: "holidays", message: "'\(day)' is not a date (YYYY-MM-DD)")
        }
        self.days = days
        self.start = start
        self.end = end
        self.holidays = holidays
    }

    /// A sequence's window from its fields (`send_days`, `start_hour`, `end_hour`, `holidays`).
    public init(sequence: JSONValue) throws(Problem) {
        try self.init(
            days: Set((sequence["send_days"]?.arrayValue ?? []).compactMap { $0.intValue.map(Int.init) }),
            start: Int(sequence["start_hour"]?.intValue ?? 9) * 60, end: Int(sequence["end_hour"]?.intValue ?? 17) * 60,
            holidays: Set((sequence["holidays"]?.arrayValue ?? []).compactMap(\.stringValue)))
    }

    /// `Mon Tue Wed Thu Fri 09:00–17:00`.
    public var summary: String {
        let names = ["", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        func clock(_ minute: Int) -> String { String(format: "%02d:%02d", minute / 60, minute % 60) }
        return days.sorted().map { names[$0] }.joined(separator: " ") + " " + clock(start) + "–" + clock(end)
    }

    /// The local date of `instant` in `zone`, `2026-12-07`.
    public static func localDate(_ instant: Date, in zone: TimeZone) -> String {
        let d = calendar(zone).dateComponents([.year, .month, .day], from: instant)
        return String(format: "%04d-%02d-%02d", d.year ?? 0, d.month ?? 0, d.day ?? 0)
    }

    /// `instant` as a person in `zone` reads it, by a date pattern (`EEE yyyy-MM-dd HH:mm xxx`).
    public static func localTime(_ instant: Date, in zone: TimeZone, _ pattern: String) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = zone
        f.dateFormat = pattern
        return f.string(from: instant)
    }

    static func parts(_ date: String) -> DateComponents? {
        let p = date.split(separator: "-").compactMap { Int($0) }
        guard date.count == 10, p.count == 3, (1...12).contains(p[1]), (1...31).contains(p[2]) else { return nil }
        return DateComponents(year: p[0], month: p[1], day: p[2])
    }

    static func calendar(_ zone: TimeZone) -> Calendar {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = zone
        return c
    }

    /// Whether a local day is one the window sends on (its weekday is in `days`, it is no holiday).
    public func isBusinessDay(_ instant: Date, in zone: TimeZone) -> Bool {
        let weekday = (Self.calendar(zone).component(.weekday, from: instant) + 5) % 7 + 1
        return days.contains(weekday) && !holidays.contains(Self.localDate(instant, in: zone))
    }

    /// The local day of `instant` at `minute` after midnight.
    static func at(_ minute: Int, onDayOf instant: Date, _ c: Calendar) -> Date {
        var d = c.dateComponents([.year, .month, .day], from: instant)
        d.hour = minute / 60
        d.minute = minute % 60
        if minute == 1440 {
            d.hour = 0
            d.minute = 0
            return c.date(byAdding: .day, value: 1, to: c.date(from: d)!)!
        }
        return c.date(from: d)!
    }

    /// The first instant at or after `instant` inside the window: `instant` itself when the window is open, else the
    /// next opening.
    public func nextOpening(atOrAfter instant: Date, in zone: TimeZone) -> Date {
        let c = Self.calendar(zone)
        let today = c.startOfDay(for: instant)
        // A window that is open some day of every week opens within 8 days, unless holidays fill them: look a year on.
        for offset in 0..<(366 + 8) {
            let day = c.date(byAdding: .day, value: offset, to: today)!
            let noon = c.date(byAdding: .hour, value: 12, to: day)!
            guard isBusinessDay(noon, in: zone) else { continue }
            let opens = Self.at(start, onDayOf: noon, c), closes = Self.at(end, onDayOf: noon, c)
            if offset == 0 {
                if instant < opens { return opens }
                if instant < closes { return instant }
                continue
            }
            return opens
        }
        return instant  // holidays on every day for a year: the caller's own date stands
    }

    /// `count` business days after `instant`, at the same local time of day (a step's delay). Zero is `instant`.
    public func adding(businessDays count: Int, to instant: Date, in zone: TimeZone) -> Date {
        guard count > 0 else { return instant }
        let c = Self.calendar(zone)
        let time = c.dateComponents([.hour, .minute, .second], from: instant)
        var day = c.startOfDay(for: instant)
        var counted = 0
        var guardDays = 0
        while counted < count && guardDays < 3_660 {
            day = c.date(byAdding: .day, value: 1, to: day)!
            guardDays += 1
            if isBusinessDay(c.date(byAdding: .hour, value: 12, to: day)!, in: zone) { counted += 1 }
        }
        var d = c.dateComponents([.year, .month, .day], from: day)
        d.hour = time.hour
        d.minute = time.minute
        d.second = time.second
        return c.date(from: d) ?? day
    }
}
