import Foundation
import TouchbaseDomain

/// What a received message is, from its own headers and text (what it answers is found against the database later):
/// a complaint (an RFC 5965 abuse report), a bounce (an RFC 3464 delivery status notification, or the plain-text
/// notice of a common server), an auto-reply (RFC 3834 and the usual headers and subjects), a `mailto:` unsubscribe,
/// or a reply.
public struct InboundAnalysis: Sendable {
    public enum Kind: String, Sendable { case reply, autoReply = "auto_reply", bounce, complaint, unsubscribe }

    public struct Bounce: Sendable, Equatable {
        /// hard (5.x.x but mailbox full) or soft (4.x.x, 5.2.2, a delay).
        public var hard: Bool
        public var recipient: String?
        public var status: String?
        public var action: String?
        public var diagnostic: String?

        public init(hard: Bool, recipient: String? = nil, status: String? = nil, action: String? = nil, diagnostic: String? = nil) {
            self.hard = hard
            self.recipient = recipient
            self.status = status
            self.action = action
            self.diagnostic = diagnostic
        }
    }

    public var kind: Kind
    /// Why it is that kind (the header or the words that decided it).
    public var reason: String
    public var bounce: Bounce?
    /// Message-IDs of the message this one is about: threading headers, then the original in a report.
    public var originalMessageIDs: [String]
    /// The recipient a report is about (a bounce's final recipient, a complaint's original recipient).
    public var reportedRecipient: String?
    /// For an auto-reply: the day it says the person is back (or last away), if it names one.
    public var returnDate: Date?
    /// The reply's own words (history and signature stripped).
    public var replyText: String

    public static func analyze(_ mail: ParsedMail, receivedAt: Date = Date()) -> InboundAnalysis {
        let replyText = ReplyText.strip(mail.text)
        let threadIDs = (mail.inReplyTo + mail.references.reversed()).reduce(into: [String]()) { ids, id in if !ids.contains(id) { ids.append(id) } }
        var result = InboundAnalysis(kind: .reply, reason: "a reply: no sign of an auto-reply, a bounce or a report", bounce: nil, originalMessageIDs: threadIDs, reportedRecipient: nil, returnDate: nil, replyText: replyText)
        let parts = mail.root.all
        let original = parts.first { ["message/rfc822", "message/global", "text/rfc822-headers"].contains($0.mediaType) }?.parts.first
        let originalIDs = original.map { MIMEParser.messageIDs($0.headers["Message-ID"] ?? "") } ?? []
        // A complaint: multipart/report; report-type=feedback-report (RFC 5965).
        if let report = parts.first(where: { $0.mediaType == "message/feedback-report" }) {
            let fields = deliveryFields(report.body).first ?? MailHeaders()
            result.kind = .complaint
            result.reason = "an abuse report (feedback type \(fields["Feedback-Type"] ?? "abuse"))"
            result.originalMessageIDs = originalIDs + MIMEParser.messageIDs(fields["Original-Message-ID"] ?? "") + threadIDs
            result.reportedRecipient = (fields["Original-Rcpt-To"] ?? original?.headers["To"]).flatMap { MIMEParser.addresses($0).first?.address }
            return result
        }
        // A bounce: a delivery status notification, else the plain-text notice of a server.
        if let status = parts.first(where: { $0.mediaType == "message/delivery-status" || $0.mediaType == "message/global-delivery-status" }) {
            let groups = deliveryFields(status.body)
            let recipients = groups.dropFirst().isEmpty ? groups : Array(groups.dropFirst())
            let chosen = recipients.first { ($0["Action"] ?? "").lowercased() == "failed" } ?? recipients.first ?? MailHeaders()
            let code = chosen["Status"].flatMap(statusCode) ?? "5.0.0"
            let action = chosen["Action"]?.lowercased()
            let recipient = (chosen["Final-Recipient"] ?? chosen["Original-Recipient"]).map(Self.typedAddress)
            result.kind = .bounce
            result.bounce = Bounce(
                hard: isHard(code) && action != "delayed", recipient: recipient, status: code, action: action,
                diagnostic: chosen["Diagnostic-Code"].map(Self.typedAddress))
            result.reason = "a delivery status notification (\(action ?? "failed") \(code))"
            result.originalMessageIDs = originalIDs + threadIDs
            result.reportedRecipient = recipient
            return result
        }
        if let bounce = plainBounce(mail) {
            result.kind = .bounce
            result.bounce = bounce
            result.reason = "a delivery failure notice from \(mail.from?.address ?? "the mail system") (\(bounce.status ?? (bounce.hard ? "permanent" : "temporary")))"
            result.originalMessageIDs = originalIDs + textMessageIDs(mail.text) + threadIDs
            result.reportedRecipient = bounce.recipient
            return result
        }
        if let why = autoReply(mail) {
            result.kind = .autoReply
            result.reason = why
            let dayFirst = ["schrieb", "abwesen", "absent", "bureau", "oficina", "ausente", "zurück", "retour", "regres"].contains { mail.text.lowercased().contains($0) }
            result.returnDate = TextDates.dates(in: mail.subject + "\n" + mail.text, after: receivedAt, dayFirst: dayFirst)
                .filter { $0 >= TextDates.utc.startOfDay(for: receivedAt) }.max()
            return result
        }
        let subject = mail.subject.trimmingCharacters(in: .whitespaces).lowercased()
        if subject == "unsubscribe" || subject.hasPrefix("unsubscribe ") || (subject.isEmpty && replyText.lowercased().trimmingCharacters(in: .whitespacesAndNewlines) == "unsubscribe") {
            result.kind = .unsubscribe
            result.reason = "a mailto: unsubscribe (subject '\(mail.subject)')"
            return result
        }
        return result
    }

    /// 5.x.x is a hard failure, but a full mailbox (5.2.2) is soft, like every 4.x.x.
    public static func isHard(_ code: String) -> Bool { code.hasPrefix("5") && code != "5.2.2" }

    static let codePattern = try! NSRegularExpression(pattern: #"\b([245])\.(\d{1,3})\.(\d{1,3})\b"#)
    static func statusCode(_ value: String) -> String? {
        let ns = value as NSString
        guard let m = codePattern.firstMatch(in: value, range: NSRange(location: 0, length: ns.length)) else { return nil }
        return ns.substring(with: m.range)
    }

    /// `rfc822; jane@acme.example` → `jane@acme.example`; `smtp; 550 …` → `550 …`.
    static func typedAddress(_ value: String) -> String {
        guard let semi = value.firstIndex(of: ";") else { return value.trimmingCharacters(in: .whitespaces) }
        return value[value.index(after: semi)...].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "<>"))
    }

    /// The field groups of a delivery-status or feedback-report body: the per-message fields, then one per recipient.
    static func deliveryFields(_ body: [UInt8]) -> [MailHeaders] {
        let text = String(decoding: body, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
        var groups: [MailHeaders] = []
        for block in text.components(separatedBy: "\n\n") where !block.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            var fields: [(name: String, value: String)] = []
            for line in block.split(separator: "\n") {
                if line.first == " " || line.first == "\t", !fields.isEmpty {
                    fields[fields.count - 1].value += " " + line.trimmingCharacters(in: .whitespaces)
                } else if let colon = line.firstIndex(of: ":") {
                    fields.append((String(line[..<colon]).trimmingCharacters(in: .whitespaces), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
                }
            }
            groups.append(MailHeaders(fields))
        }
        return groups
    }

    static let bounceSenders = ["mailer-daemon", "postmaster", "mail delivery subsystem", "mail delivery system", "microsoftexchange"]
    static let bounceSubjects = [
        "undelivered mail returned to sender", "mail delivery failed", "delivery status notification", "undeliverable", "failure notice",
        "returned mail", "delivery failure", "mail delivery failure", "unzustellbar", "non remis", "no se puede entregar", "delivery has failed",
        "warning: message", "delayed mail", "delivery delayed",
    ]
    static let softWords = ["temporar", "delayed", "will retry", "will be retried", "still trying", "mailbox full", "over quota", "quota exceeded", "try again later"]

    /// The plain-text notices of servers that send no delivery-status part (Exim's "Mail delivery failed", qmail's
    /// "failure notice", older Exchange and Gmail notices): from a mailer daemon or with a bounce subject, an SMTP
    /// status in the text, the failed address beside it.
    static func plainBounce(_ mail: ParsedMail) -> Bounce? {
        let from = ((mail.from?.address ?? "") + " " + (mail.from?.name ?? "")).lowercased()
        let subject = mail.subject.lowercased()
        let senderLooks = bounceSenders.contains { from.contains($0) }
        let subjectLooks = bounceSubjects.contains { subject.contains($0) }
        guard senderLooks && (subjectLooks || mail.returnPath == "") || (subjectLooks && mail.returnPath == "") else { return nil }
        let text = mail.text
        let lower = text.lowercased()
        let code = statusCode(text)
        let soft = code.map { !isHard($0) } ?? softWords.contains { lower.contains($0) }
        let ns = text as NSString
        let ours = [mail.to.first?.address.lowercased()].compactMap { $0 }
        let recipient = ReplyIntent.email.matches(in: text, range: NSRange(location: 0, length: ns.length)).map { ns.substring(with: $0.range) }
            .first { address in
                let a = address.lowercased()
                return !bounceSenders.contains { a.hasPrefix($0) } && !ours.contains(a) && !a.contains("mailer-daemon")
            }
        let diagnostic = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .first { line in line.range(of: #"^[45]\d\d[ -]"#, options: .regularExpression) != nil || (code.map { line.contains($0) } ?? false) }
        return Bounce(hard: !soft, recipient: recipient, status: code ?? (soft ? "4.0.0" : "5.0.0"), action: soft ? "delayed" : "failed", diagnostic: diagnostic)
    }

    /// Message-IDs quoted in a notice's text (`Message-ID: <…>` of the original).
    static func textMessageIDs(_ text: String) -> [String] {
        text.split(whereSeparator: \.isNewline).compactMap { line -> String? in
            let t = line.trimmingCharacters(in: .whitespaces)
            guard t.lowercased().hasPrefix("message-id:") else { return nil }
            return MIMEParser.messageIDs(String(t.dropFirst(11))).first
        }
    }

    static let autoSubjects = [
        "out of office", "out of the office", "automatic reply", "auto-reply", "auto reply", "autoreply", "auto response", "auto-response",
        "away from the office", "away from my desk", "on vacation", "vacation reply", "on leave", "on holiday",
        "abwesenheitsnotiz", "automatische antwort", "nicht im büro", "nicht im buero", "außer haus", "ausser haus", "abwesend",
        "réponse automatique", "reponse automatique", "absence du bureau", "absent du bureau", "message d'absence", "je suis absent",
        "respuesta automática", "respuesta automatica", "fuera de la oficina", "mensaje de ausencia", "estoy fuera", "ausente",
    ]

    /// An auto-reply's sign, or nil: RFC 3834 `Auto-Submitted` other than `no`, `X-Autoreply`, `X-Autorespond`,
    /// `Precedence: auto_reply|bulk|junk`, the null envelope sender, a subject in English, German, French or Spanish.
    /// `X-Auto-Response-Suppress` is what a sender asks of others, not a sign of one.
    static func autoReply(_ mail: ParsedMail) -> String? {
        let h = mail.headers
        if let v = h["Auto-Submitted"], v.lowercased().split(separator: ";").first.map({ $0.trimmingCharacters(in: .whitespaces) }) != "no" {
            return "Auto-Submitted: \(v)"
        }
        if h.has("X-Autoreply") { return "X-Autoreply" }
        if h.has("X-Autorespond") { return "X-Autorespond" }
        if let p = h["Precedence"]?.lowercased(), ["auto_reply", "bulk", "junk"].contains(p) { return "Precedence: \(p)" }
        if mail.returnPath == "" { return "an empty Return-Path (<>)" }
        let subject = mail.subject.lowercased()
        if let word = autoSubjects.first(where: { subject.contains($0) }) { return "the subject says '\(word)'" }
        return nil
    }
}
