import Foundation

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

    /// "an email", "a connection request": the article a kind of message takes in a flag's text.
    static func withArticle(_ noun: String) -> String {
        guard let first = noun.lowercased().first else { return noun }
        return ("aeiou".contains(first) ? "an " : "a ") + noun
    }

    /// Every problem found; an empty list means the draft passed.
    public static func check(
        subject: String?, body: String, channel: String, touchType: String?, firstName: String?, companyName: String?
    ) -> [Flag] {
        var flags: [Flag] = []
        let words = WordCount.of(body)
        let bounds = wordBounds(channel: channel, touchType: touchType)
        let kind = Self.withArticle((touchType ?? channel).replacingOccurrences(of: "_", with: " "))
        if words < bounds.lowerBound {
            flags.append(Flag(code: "too_short", message: "\(words) words; \(kind) needs at least \(bounds.lowerBound)"))
        } else if words > bounds.upperBound {
            flags.append(Flag(code: "too_long", message: "\(words) words; \(kind) allows at most \(bounds.upperBound)"))
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
