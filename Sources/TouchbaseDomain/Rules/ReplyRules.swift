import Foundation

/// Dates written in a message's text: ISO (`2026-12-07`), numeric (`12/07/2026`, `07.12.2026`) and with month names in
/// English, German, French and Spanish (`December 7`, `7th of December`, `7. Dezember`, `7 décembre`, `7 de diciembre`),
/// a missing year read as the next such day after the reference. Days are UTC calendar days.
public enum TextDates {
    static let monthNames: [(String, Int)] = [
        ("january", 1), ("february", 2), ("march", 3), ("april", 4), ("may", 5), ("june", 6), ("july", 7), ("august", 8),
        ("september", 9), ("october", 10), ("november", 11), ("december", 12),
        ("januar", 1), ("jänner", 1), ("februar", 2), ("märz", 3), ("maerz", 3), ("mai", 5), ("juni", 6), ("juli", 7),
        ("oktober", 10), ("dezember", 12),
        ("janvier", 1), ("février", 2), ("fevrier", 2), ("mars", 3), ("avril", 4), ("juin", 6), ("juillet", 7), ("août", 8),
        ("aout", 8), ("septembre", 9), ("octobre", 10), ("novembre", 11), ("décembre", 12), ("decembre", 12),
        ("enero", 1), ("febrero", 2), ("marzo", 3), ("abril", 4), ("mayo", 5), ("junio", 6), ("julio", 7), ("agosto", 8),
        ("septiembre", 9), ("setiembre", 9), ("octubre", 10), ("noviembre", 11), ("diciembre", 12),
        ("jan", 1), ("feb", 2), ("mar", 3), ("apr", 4), ("jun", 6), ("jul", 7), ("aug", 8), ("sep", 9), ("sept", 9), ("oct", 10),
        ("nov", 11), ("dec", 12), ("okt", 10), ("dez", 12), ("déc", 12),
    ]
    static let monthPattern = monthNames.map(\.0).sorted { $0.count > $1.count }.joined(separator: "|")
    public static let utc: Calendar = {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "UTC")!
        return c
    }()

    public static func month(_ name: String) -> Int? {
        let key = name.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "."))
        return monthNames.first { $0.0 == key }?.1
    }

    static let iso = try! NSRegularExpression(pattern: #"\b(20\d\d)-(\d{1,2})-(\d{1,2})\b"#)
    static let numeric = try! NSRegularExpression(pattern: #"\b(\d{1,2})([./])(\d{1,2})(?:[./](\d{2,4}))?\b"#)
    static let dayMonth = try! NSRegularExpression(
        pattern: #"\b(\d{1,2})(?:st|nd|rd|th|er|\.)?\s+(?:of\s+|de\s+)?("# + monthPattern + #")\.?(?:\s+(?:de\s+)?(20\d\d))?\b"#,
        options: [.caseInsensitive])
    static let monthDay = try! NSRegularExpression(
        pattern: #"\b("# + monthPattern + #")\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(20\d\d))?"#, options: [.caseInsensitive])

    /// Every date found, in the order written; `dayFirst` reads `07/12` as 7 December (German, French, Spanish text).
    public static func dates(in text: String, after reference: Date, dayFirst: Bool) -> [Date] {
        var found: [(Int, Date)] = []
        let ns = text as NSString
        let range = NSRange(location: 0, length: ns.length)
        func group(_ m: NSTextCheckingResult, _ i: Int) -> String? {
            let r = m.range(at: i)
            return r.location == NSNotFound ? nil : ns.substring(with: r)
        }
        func add(_ at: Int, year: Int?, month: Int, day: Int) {
            guard (1...12).contains(month), (1...31).contains(day) else { return }
            if let year {
                if let d = utc.date(from: DateComponents(year: year < 100 ? 2000 + year : year, month: month, day: day)) { found.append((at, d)) }
                return
            }
            let this = utc.component(.year, from: reference)
            for y in [this, this + 1] {
                if let d = utc.date(from: DateComponents(year: y, month: month, day: day)), d >= utc.startOfDay(for: reference) {
                    found.append((at, d))
                    return
                }
            }
        }
        var taken: [NSRange] = []
        for m in iso.matches(in: text, range: range) {
            add(m.range.location, year: Int(group(m, 1)!), month: Int(group(m, 2)!)!, day: Int(group(m, 3)!)!)
            taken.append(m.range)
        }
        for m in dayMonth.matches(in: text, range: range) where !taken.contains(where: { NSIntersectionRange($0, m.range).length > 0 }) {
            add(m.range.location, year: group(m, 3).flatMap { Int($0) }, month: month(group(m, 2)!)!, day: Int(group(m, 1)!)!)
            taken.append(m.range)
        }
        for m in monthDay.matches(in: text, range: range) where !taken.contains(where: { NSIntersectionRange($0, m.range).length > 0 }) {
            add(m.range.location, year: group(m, 3).flatMap { Int($0) }, month: month(group(m, 1)!)!, day: Int(group(m, 2)!)!)
            taken.append(m.range)
        }
        for m in numeric.matches(in: text, range: range) where !taken.contains(where: { NSIntersectionRange($0, m.range).length > 0 }) {
            let a = Int(group(m, 1)!)!, b = Int(group(m, 3)!)!
            // A time (10.30) or a version is not a date: a numeric date needs its year or a slash.
            guard group(m, 4) != nil || group(m, 2) == "/" else { continue }
            let dotted = group(m, 2) == "."
            let (day, month) = dotted || dayFirst || a > 12 ? (a, b) : (b, a)
            add(m.range.location, year: group(m, 4).flatMap { Int($0) }, month: month, day: day)
        }
        return found.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// The next business day (Monday to Friday) after a day.
    public static func businessDay(after day: Date) -> Date {
        var d = utc.date(byAdding: .day, value: 1, to: utc.startOfDay(for: day))!
        while [1, 7].contains(utc.component(.weekday, from: d)) { d = utc.date(byAdding: .day, value: 1, to: d)! }
        return d
    }
}

/// A reply's intent from rules: the words people use to unsubscribe, refer, put off, refuse or accept, in that order
/// of precedence (so "not interested, remove me" is an unsubscribe and "not me — talk to Jane Doe" a referral).
public struct ReplyIntent: Sendable, Equatable {
    public var intent: String
    public var confidence: Double
    /// Why: the phrase that decided it.
    public var reason: String
    /// For not_now: the day to follow up when one is named.
    public var followUpOn: Date?
    public var referralName: String?
    public var referralTitle: String?
    public var referralEmail: String?

    static let unsubscribe = [
        "unsubscribe", "remove me", "take me off", "stop emailing", "stop e-mailing", "stop contacting", "stop sending", "do not contact",
        "don't contact", "dont contact", "do not email", "don't email", "opt out", "opt-out", "no more emails", "abmelden", "désabonner",
        "desabonner", "darse de baja", "dar de baja",
    ]
    static let notNow = [
        "not right now", "not now", "not at this time", "not at the moment", "next quarter", "next year", "check back", "circle back",
        "reach out again", "reach back out", "touch base in", "try me again", "get back to me in", "ping me in", "follow up in",
        "later this year", "maybe later", "too busy", "bad time", "no budget until", "revisit", "after the holidays",
    ]
    static let negative = [
        "not interested", "no interest", "no thanks", "no thank you", "no, thank you", "no, thanks", "we're all set", "we are all set",
        "already have a", "already use", "already work with", "not a fit", "not a good fit", "not relevant", "please stop",
        "we're good", "we are good", "pass on this", "not for us", "kein interesse", "pas intéressé", "no me interesa", "no estamos interesados",
    ]
    static let positive = [
        "interested", "let's talk", "lets talk", "let's chat", "happy to chat", "happy to talk", "sounds good", "sounds great",
        "book a", "schedule a", "set up a call", "set up a meeting", "send me times", "send over some times", "calendar", "free on",
        "available on", "tell me more", "learn more", "love to", "would like to", "yes", "sure", "demo", "a call",
    ]
    static let referralCue = try! NSRegularExpression(
        pattern: #"(?:talk to|speak to|speak with|reach out to|contact|get in touch with|loop in|try|ask|email|connect with|forward(?:ed)? (?:this|you) to|cc(?:'d|ed)?|copying)\s+([A-Z][a-zA-Z'’-]+(?:\s+[A-Z][a-zA-Z'’-]+){1,2})"#)
    static let referralAfter = try! NSRegularExpression(
        pattern: #"([A-Z][a-zA-Z'’-]+(?:\s+[A-Z][a-zA-Z'’-]+){1,2})\s+(?:is|would be)\s+(?:the\s+)?(?:right|best|better)\s+(?:person|contact)"#)
    static let title = try! NSRegularExpression(
        pattern: #"^\s*[,(–—-]\s*(?:our|the|my|who is our|who's our|she's our|he's our)?\s*([A-Z][A-Za-z&/ .-]{1,60}?)\s*(?:[,).;]|\s+(?:at|who|and)\b|$)"#)
    /// An email address in text.
    public static let email = try! NSRegularExpression(pattern: #"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"#)
    static let inWeeks = try! NSRegularExpression(pattern: #"in (\d{1,2}|a|one|two|three|four|six) (week|month)s?"#)
    static let afterThe = try! NSRegularExpression(pattern: #"after the (\d{1,2})(?:st|nd|rd|th)?\b"#)
    static let inMonth = try! NSRegularExpression(
        pattern: #"\b(?:in|until|after|before|around|end of|early|mid|late)\s+(?:early\s+|mid\s+|late\s+)?("# + TextDates.monthPattern + #")\b"#)
    static let titleWords = [
        "vp", "vice president", "head", "director", "chief", "cto", "ceo", "cfo", "coo", "cio", "ciso", "manager", "lead", "engineering",
        "officer", "president", "founder", "owner", "partner", "principal", "procurement", "operations", "sales", "marketing", "finance",
    ]

    /// The intent of a reply's own words (quoted history already stripped), as of the day it came.
    public static func classify(_ text: String, receivedAt: Date) -> ReplyIntent {
        let lower = text.lowercased().replacingOccurrences(of: "’", with: "'")
        func first(_ phrases: [String]) -> String? { phrases.first { lower.contains($0) } }
        if let p = first(unsubscribe) { return ReplyIntent(intent: "unsubscribe", confidence: 0.95, reason: "says '\(p)'") }
        if var referral = referral(text) {
            referral.confidence = referral.referralEmail != nil || referral.referralTitle != nil ? 0.85 : 0.7
            return referral
        }
        let later = notNowDate(lower, receivedAt: receivedAt)
        if let p = first(notNow) ?? later.map({ _ in "names a later time" }) {
            return ReplyIntent(intent: "not_now", confidence: 0.8, reason: "says '\(p)'", followUpOn: later)
        }
        if let p = first(negative) { return ReplyIntent(intent: "negative", confidence: 0.85, reason: "says '\(p)'") }
        if let p = positive.first(where: { phrase in
            guard let r = lower.range(of: phrase) else { return false }
            // "not interested" was caught above; "interesting" is not "interested".
            let before = lower[..<r.lowerBound].suffix(5)
            return !before.contains("not ") && !before.contains("n't ")
        }) {
            return ReplyIntent(intent: "positive", confidence: 0.75, reason: "says '\(p)'")
        }
        return ReplyIntent(intent: "neutral", confidence: 0.5, reason: "no rule matched")
    }

    static func referral(_ text: String) -> ReplyIntent? {
        let ns = text as NSString
        let range = NSRange(location: 0, length: ns.length)
        let match = referralCue.firstMatch(in: text, range: range).map { ($0, 1) } ?? referralAfter.firstMatch(in: text, range: range).map { ($0, 1) }
        guard let (m, g) = match else { return nil }
        let name = ns.substring(with: m.range(at: g)).trimmingCharacters(in: .whitespaces)
        var result = ReplyIntent(intent: "referral", confidence: 0.7, reason: "names \(name) to talk to", referralName: name)
        let after = ns.substring(from: m.range(at: g).location + m.range(at: g).length)
        let afterNS = after as NSString
        if let t = title.firstMatch(in: after, range: NSRange(location: 0, length: afterNS.length)) {
            let candidate = afterNS.substring(with: t.range(at: 1)).trimmingCharacters(in: .whitespaces)
            if titleWords.contains(where: { candidate.lowercased().contains($0) }) { result.referralTitle = candidate }
        }
        let window = String(after.prefix(200))
        if let e = email.firstMatch(in: window, range: NSRange(location: 0, length: (window as NSString).length)) {
            result.referralEmail = (window as NSString).substring(with: e.range).lowercased()
        }
        return result
    }

    /// The day a "not now" names: next quarter (its first day), next year (2 January), in N weeks/months, in a month
    /// (its first day, the next one to come), after the Nth (the day after, this month or the next), or a written date.
    public static func notNowDate(_ lower: String, receivedAt: Date) -> Date? {
        let cal = TextDates.utc
        let today = cal.startOfDay(for: receivedAt)
        let year = cal.component(.year, from: today), month = cal.component(.month, from: today), day = cal.component(.day, from: today)
        if lower.contains("next quarter") {
            let q = (month - 1) / 3
            return q == 3 ? cal.date(from: DateComponents(year: year + 1, month: 1, day: 1)) : cal.date(from: DateComponents(year: year, month: q * 3 + 4, day: 1))
        }
        if lower.contains("next year") { return cal.date(from: DateComponents(year: year + 1, month: 1, day: 2)) }
        let ns = lower as NSString
        let all = NSRange(location: 0, length: ns.length)
        if let m = Self.inWeeks.firstMatch(in: lower, range: all) {
            let words = ["a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "six": 6]
            let raw = ns.substring(with: m.range(at: 1))
            let n = Int(raw) ?? words[raw] ?? 1
            return cal.date(byAdding: ns.substring(with: m.range(at: 2)) == "week" ? .day : .month, value: ns.substring(with: m.range(at: 2)) == "week" ? 7 * n : n, to: today)
        }
        if let m = Self.afterThe.firstMatch(in: lower, range: all),
            let n = Int(ns.substring(with: m.range(at: 1))), (1...31).contains(n)
        {
            let target = n < day ? cal.date(byAdding: .month, value: 1, to: today)! : today
            let c = cal.dateComponents([.year, .month], from: target)
            return cal.date(from: DateComponents(year: c.year, month: c.month, day: n)).flatMap { cal.date(byAdding: .day, value: 1, to: $0) }
        }
        if let written = TextDates.dates(in: lower, after: receivedAt, dayFirst: false).first(where: { $0 > today }) { return written }
        if let m = Self.inMonth.firstMatch(in: lower, range: all), let target = TextDates.month(ns.substring(with: m.range(at: 1)))
        {
            return cal.date(from: DateComponents(year: target > month ? year : year + 1, month: target, day: 1))
        }
        return nil
    }

    /// A line for the reply's summary: its first sentence, at most 160 characters.
    public static func summary(_ text: String) -> String {
        var lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        // A greeting line ("Hi Rob,", "Hello,", "Dear Mr Lane,") says nothing of the reply.
        if lines.count > 1, let first = lines.first, first.count <= 40, first.hasSuffix(","),
            ["hi", "hello", "hey", "dear", "good morning", "good afternoon", "hallo", "bonjour", "hola", "thanks", "thank you"].contains(where: { first.lowercased().hasPrefix($0) })
        {
            lines.removeFirst()
        }
        let flat = lines.joined(separator: " ")
        var sentence = flat
        if let end = flat.firstIndex(where: { ".!?".contains($0) }) { sentence = String(flat[...end]) }
        return sentence.count > 160 ? String(sentence.prefix(159)) + "…" : sentence
    }
}
