import Foundation

/// Words in a text: runs of characters between blanks (spaces, tabs, line breaks). The database's
/// `word_count` follows the same rule.
public enum WordCount {
    public static func of(_ text: String) -> Int {
        text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }).count
    }
}

/// What an ICP score is computed against (seed 002's ICP: titles, verticals, size, seniority, QA ownership).
public struct ICPProfile: Sendable, Hashable {
    public var exactTitles: [String]
    public var primaryTitles: [String]
    public var secondaryTitles: [String]
    public var topVerticals: [String]
    public var adjacentVerticals: [String]
    public var sweetSpot: ClosedRange<Int>
    public var acceptable: ClosedRange<Int>
    public var seniorityMap: [String: Int]
    public var qaOwnershipKeywords: [String]
    public var version: String

    public init(
        exactTitles: [String], primaryTitles: [String], secondaryTitles: [String], topVerticals: [String],
        adjacentVerticals: [String], sweetSpot: ClosedRange<Int>, acceptable: ClosedRange<Int>, seniorityMap: [String: Int],
        qaOwnershipKeywords: [String], version: String
    ) {
        self.exactTitles = exactTitles
        self.primaryTitles = primaryTitles
        self.secondaryTitles = secondaryTitles
        self.topVerticals = topVerticals
        self.adjacentVerticals = adjacentVerticals
        self.sweetSpot = sweetSpot
        self.acceptable = acceptable
        self.seniorityMap = seniorityMap
        self.qaOwnershipKeywords = qaOwnershipKeywords
        self.version = version
    }

    /// Seniority points when the profile does not say: director and above 2, manager 1, others 0.
    public static let defaultSeniority: [String: Int] = ["c-level": 2, "vp": 2, "director": 2, "manager": 1, "individual_contributor": 0]
}

/// The facts about a contact and its company that the ICP score reads.
public struct ICPSubject: Sendable, Hashable {
    public var title: String?
    public var personaType: String?
    public var seniority: String?
    public var industry: String?
    public var subIndustry: String?
    public var employeeCount: Int?
    public var buyerIntent: Bool

    public init(
        title: String?, personaType: String?, seniority: String?, industry: String?, subIndustry: String?,
        employeeCount: Int?, buyerIntent: Bool
    ) {
        self.title = title
        self.personaType = personaType
        self.seniority = seniority
        self.industry = industry
        self.subIndustry = subIndustry
        self.employeeCount = employeeCount
        self.buyerIntent = buyerIntent
    }
}

/// Seed 002's 0-12 ICP composite, exactly as its columns define it.
///
/// - `title_match` 0-3: 3 when the title equals an exact title, 2 when it contains a primary keyword,
///   1 when it contains a secondary keyword, else 0 (case-insensitive);
/// - `vertical_match` 0-2: 2 when the industry (or sub-industry) is a top vertical, 1 when adjacent;
/// - `company_size_fit` 0-2: 2 inside the sweet spot, 1 inside the acceptable range, 0 otherwise or unknown;
/// - `seniority_fit` 0-2: from the profile's seniority map (default: director and above 2, manager 1);
/// - `software_qa_confirmed` 0-1: the title or persona contains a QA-ownership keyword;
/// - `buyer_intent_bonus` +2 when the company shows buyer intent.
public struct ICPScore: Sendable, Hashable {
    public let titleMatch: Int
    public let verticalMatch: Int
    public let companySizeFit: Int
    public let seniorityFit: Int
    public let softwareQAConfirmed: Bool
    public let buyerIntentBonus: Int

    public var total: Int { titleMatch + verticalMatch + companySizeFit + seniorityFit + (softwareQAConfirmed ? 1 : 0) + buyerIntentBonus }

    public init(profile p: ICPProfile, subject s: ICPSubject) {
        func norm(_ x: String?) -> String { (x ?? "").lowercased().trimmed }
        let title = norm(s.title)
        func containsAny(_ text: String, _ words: [String]) -> Bool {
            !text.isEmpty && words.contains { !norm($0).isEmpty && text.contains(norm($0)) }
        }
        if !title.isEmpty && p.exactTitles.contains(where: { norm($0) == title }) {
            titleMatch = 3
        } else if containsAny(title, p.primaryTitles) {
            titleMatch = 2
        } else if containsAny(title, p.secondaryTitles) {
            titleMatch = 1
        } else {
            titleMatch = 0
        }
        let verticals = [norm(s.industry), norm(s.subIndustry)].filter { !$0.isEmpty }
        if verticals.contains(where: { v in p.topVerticals.contains { norm($0) == v } }) {
            verticalMatch = 2
        } else if verticals.contains(where: { v in p.adjacentVerticals.contains { norm($0) == v } }) {
            verticalMatch = 1
        } else {
            verticalMatch = 0
        }
        if let n = s.employeeCount {
            companySizeFit = p.sweetSpot.contains(n) ? 2 : (p.acceptable.contains(n) ? 1 : 0)
        } else {
            companySizeFit = 0
        }
        let map = p.seniorityMap.isEmpty ? ICPProfile.defaultSeniority : p.seniorityMap
        seniorityFit = min(2, max(0, s.seniority.flatMap { map[$0] } ?? 0))
        softwareQAConfirmed = containsAny(title, p.qaOwnershipKeywords) || containsAny(norm(s.personaType), p.qaOwnershipKeywords)
        buyerIntentBonus = s.buyerIntent ? 2 : 0
    }
}

/// A contact's priority, 1-5 (seed 002's `priority_score` with its `priority_factors`).
///
/// Base from the latest ICP total: 0-2 → 1, 3-5 → 2, 6-8 → 3, 9-10 → 4, 11-12 → 5 (3 when never scored);
/// +1 when recently hired (new leaders change tools); +1 with an unexpired signal; capped at 5.
public struct Priority: Sendable, Hashable {
    public let score: Int
    public let factors: [String: JSONValue]

    public init(icpTotal: Int?, recentlyHired: Bool, activeSignals: Int) {
        let base: Int
        switch icpTotal {
        case .none: base = 3
        case .some(let t) where t <= 2: base = 1
        case .some(let t) where t <= 5: base = 2
        case .some(let t) where t <= 8: base = 3
        case .some(let t) where t <= 10: base = 4
        default: base = 5
        }
        let hired = recentlyHired ? 1 : 0
        let signals = activeSignals > 0 ? 1 : 0
        score = min(5, base + hired + signals)
        factors = [
            "icp_total": icpTotal.map { .int(Int64($0)) } ?? .null, "icp_base": .int(Int64(base)),
            "recently_hired": .int(Int64(hired)), "active_signals": .int(Int64(activeSignals)),
            "signal_bonus": .int(Int64(signals)), "formula": "min(5, icp_base + recently_hired + signal_bonus)",
        ]
    }
}

/// Quality checks on a draft before it may be sent (seed 002's QC step).
public enum DraftQC {
    public struct Flag: Sendable, Hashable {
        public let code: String
        public let message: String
        public var json: JSONValue { ["code": .string(code), "message": .string(message)] }
    }

    /// Word bounds by touch type, then by channel.
    public static func wordBounds(channel: String, touchType: String?) -> ClosedRange<Int> {
        switch touchType {
        case "inmail": return 40...150
        case "email": return 50...150
        case "call_snippet": return 10...80
        case "breakup": return 20...100
        case "re_engagement": return 30...120
        case "reply_draft": return 5...150
        default: break
        }
        switch channel {
        case "email": return 50...150
        case "linkedin": return 10...150
        case "call": return 10...80
        case "sms", "whatsapp": return 5...60
        default: return 10...200
        }
    }

    public static let spamWords = [
        "free", "guarantee", "guaranteed", "act now", "limited time", "click here", "risk-free", "risk free", "winner",
        "urgent", "100%", "no obligation", "cash", "buy now", "cheap", "exclusive deal",
    ]
    public static let maxLinks = 2
    public static let maxSubjectCharacters = 60

    /// Every problem found; an empty list means the draft passed.
    public static func check(
        subject: String?, body: String, channel: String, touchType: String?, firstName: String?, companyName: String?
    ) -> [Flag] {
        var flags: [Flag] = []
        let words = WordCount.of(body)
        let bounds = wordBounds(channel: channel, touchType: touchType)
        if words < bounds.lowerBound {
            flags.append(Flag(code: "too_short", message: "\(words) words; a \(touchType ?? channel) needs at least \(bounds.lowerBound)"))
        } else if words > bounds.upperBound {
            flags.append(Flag(code: "too_long", message: "\(words) words; a \(touchType ?? channel) allows at most \(bounds.upperBound)"))
        }
        let text = (subject ?? "") + "\n" + body
        let placeholder = try! NSRegularExpression(pattern: #"\{\{[^}]*\}\}|\{[a-z_]+\}|\[[A-Z][A-Z_ ]+\]|<[A-Z][A-Z_ ]+>"#)
        let found = placeholder.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap {
            Range($0.range, in: text).map { String(text[$0]) }
        }
        if !found.isEmpty {
            flags.append(Flag(code: "unfilled_placeholder", message: "unfilled placeholder \(found.joined(separator: ", "))"))
        }
        let lower = text.lowercased()
        let names = [firstName, companyName].compactMap { $0?.lowercased().trimmed }.filter { !$0.isEmpty }
        if !names.contains(where: { lower.contains($0) }) {
            flags.append(Flag(code: "no_personal_reference", message: "mentions neither the contact's first name nor the company"))
        }
        let spam = spamWords.filter { word in
            let pattern = "(^|[^a-z0-9])" + NSRegularExpression.escapedPattern(for: word) + "($|[^a-z0-9])"
            return lower.range(of: pattern, options: .regularExpression) != nil
        }
        if !spam.isEmpty { flags.append(Flag(code: "spam_words", message: "spam-trigger words: \(spam.joined(separator: ", "))")) }
        let links = lower.components(separatedBy: "http://").count - 1 + lower.components(separatedBy: "https://").count - 1
        if links > maxLinks { flags.append(Flag(code: "too_many_links", message: "\(links) links; at most \(maxLinks)")) }
        if let subject, subject.count > maxSubjectCharacters {
            flags.append(Flag(code: "subject_too_long", message: "subject has \(subject.count) characters; at most \(maxSubjectCharacters)"))
        }
        if channel == "email" && (subject ?? "").trimmed.isEmpty && touchType != "reply_draft" {
            flags.append(Flag(code: "missing_subject", message: "an email needs a subject line"))
        }
        return flags
    }
}
