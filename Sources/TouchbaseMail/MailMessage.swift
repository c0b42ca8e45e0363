import Foundation

/// A mailbox in a header: `"Rob Lane" <rob@example.com>`. The address must be one that `SMTPClient` can send to.
public struct MailAddress: Sendable, Hashable {
    public let address: String
    public let name: String?

    public init(_ address: String, name: String? = nil) throws(MailError) {
        let address = address.trimmingCharacters(in: .whitespaces)
        try SMTPClient.checkEnvelope(address)
        if let name, name.contains(where: { $0.isNewline }) { throw .invalidAddress("a display name cannot hold a line break") }
        self.address = address
        self.name = name.flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0.trimmingCharacters(in: .whitespaces) }
    }

    /// An address as read from a received message: kept as written, not checked for sending.
    init(parsed address: String, name: String?) {
        self.address = address
        self.name = name
    }

    /// As a header writes it: the name quoted (or as an RFC 2047 encoded word when it is not ASCII), then `<address>`.
    public var header: String {
        guard let name else { return "<\(address)>" }
        if name.allSatisfy({ $0.isASCII && !$0.isNewline }) {
            let atext = name.allSatisfy { $0.isLetter || $0.isNumber || " !#$%&'*+-/=?^_`{|}~".contains($0) }
            if atext { return "\(name) <\(address)>" }
            let escaped = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return "\"\(escaped)\" <\(address)>"
        }
        return "\(MailMessage.encodedWords(name).joined(separator: " ")) <\(address)>"
    }
}

/// An outgoing message as RFC 5322 text: our own `Message-ID`, `multipart/alternative` with a text and an HTML part
/// (or text alone), UTF-8 bodies in quoted-printable, non-ASCII headers as RFC 2047 encoded words, lines folded under
/// 78 characters, CRLF line ends.
public struct MailMessage: Sendable, Hashable {
    public var from: MailAddress
    public var to: [MailAddress]
    public var cc: [MailAddress] = []
    public var replyTo: MailAddress?
    public var subject: String
    public var text: String
    public var html: String?
    /// Without the angle brackets: `0193…@example.com`.
    public var messageID: String
    public var date: Date
    /// The message this one answers, and the thread before it (Message-IDs without angle brackets).
    public var inReplyTo: String?
    public var references: [String] = []
    /// More header fields, in order (`List-Unsubscribe`, …). Names are checked; values are folded, never re-encoded
    /// unless they are not ASCII.
    public var headers: [(name: String, value: String)] = []
    /// The boundary between the parts; random unless given (tests give one to compare bytes).
    public var boundary: String?

    public init(from: MailAddress, to: [MailAddress], subject: String, text: String, html: String? = nil, messageID: String, date: Date) {
        self.from = from
        self.to = to
        self.subject = subject
        self.text = text
        self.html = html
        self.messageID = messageID
        self.date = date
    }

    public static func == (a: MailMessage, b: MailMessage) -> Bool { a.rendered() == b.rendered() }
    public func hash(into hasher: inout Hasher) { hasher.combine(rendered()) }

    /// A new Message-ID for a message sent from `domain`: a random UUID, so that it says nothing about the contact.
    public static func newMessageID(domain: String) -> String { "\(UUID().uuidString.lowercased())@\(domain.lowercased())" }

    /// The recipients of the envelope: To and Cc.
    public var recipients: [String] { (to + cc).map(\.address) }

    /// The message's bytes, ready for `SMTPClient.send`.
    public func rendered() -> [UInt8] {
        var lines: [String] = []
        func field(_ name: String, _ value: String) { lines.append(Self.fold("\(name): \(value)")) }
        field("Date", Self.rfc5322Date(date))
        field("From", from.header)
        if !to.isEmpty { field("To", to.map(\.header).joined(separator: ", ")) }
        if !cc.isEmpty { field("Cc", cc.map(\.header).joined(separator: ", ")) }
        if let replyTo { field("Reply-To", replyTo.header) }
        field("Message-ID", "<\(Self.clean(messageID))>")
        if let inReplyTo { field("In-Reply-To", "<\(Self.clean(inReplyTo))>") }
        let thread = references.isEmpty ? (inReplyTo.map { [$0] } ?? []) : references
        if !thread.isEmpty { field("References", thread.map { "<\(Self.clean($0))>" }.joined(separator: " ")) }
        field("Subject", Self.headerText(subject))
        for (name, value) in headers {
            let safeName = name.filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
            guard !safeName.isEmpty else { continue }
            field(safeName, Self.headerText(value))
        }
        field("MIME-Version", "1.0")
        if let html {
            let boundary = self.boundary ?? "tb-" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
            field("Content-Type", "multipart/alternative; boundary=\"\(boundary)\"")
            lines.append("")
            lines.append("--\(boundary)")
            lines += Self.part("text/plain", text)
            lines.append("--\(boundary)")
            lines += Self.part("text/html", html)
            lines.append("--\(boundary)--")
        } else {
            field("Content-Type", "text/plain; charset=utf-8")
            field("Content-Transfer-Encoding", "quoted-printable")
            lines.append("")
            lines.append(Self.quotedPrintable(text))
        }
        return Array((lines.joined(separator: "\r\n") + "\r\n").utf8)
    }

    static func part(_ type: String, _ body: String) -> [String] {
        ["Content-Type: \(type); charset=utf-8", "Content-Transfer-Encoding: quoted-printable", "", quotedPrintable(body)]
    }

    /// A Message-ID as given, without angle brackets, spaces or line breaks.
    static func clean(_ id: String) -> String {
        id.filter { !$0.isWhitespace && !$0.isNewline && $0 != "<" && $0 != ">" }
    }

    /// A header value: as it is when it is printable ASCII, otherwise RFC 2047 encoded words.
    static func headerText(_ value: String) -> String {
        let flat = value.replacingOccurrences(of: "\r\n", with: " ").replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ")
        if flat.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 32 && $0.value != 127 }) && !flat.contains("=?") { return flat }
        return encodedWords(flat).joined(separator: " ")
    }

    /// `=?UTF-8?B?…?=` words of at most 75 characters, split between characters (never inside one).
    static func encodedWords(_ text: String) -> [String] {
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            // 75 - len("=?UTF-8?B?") - len("?=") = 63 base64 characters, 45 bytes (a multiple of 3 keeps no padding mid-text).
            if chunk.count + bytes.count > 45 {
                words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty || words.isEmpty { words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=") }
        return words
    }

    /// Folds a header line at spaces so that no line passes 78 characters where a space allows it (RFC 5322 §2.2.3).
    static func fold(_ line: String) -> String {
        guard line.count > 78 else { return line }
        var out: [String] = []
        var current = ""
        for word in line.split(separator: " ", omittingEmptySubsequences: false) {
            if current.isEmpty {
                current = String(word)
            } else if current.count + 1 + word.count > 76 {
                out.append(current)
                current = " " + word
            } else {
                current += " " + word
            }
        }
        out.append(current)
        return out.joined(separator: "\r\n")
    }

    /// Quoted-printable (RFC 2045 §6.7) of UTF-8 text: hard line breaks as CRLF, lines under 77 characters with soft
    /// breaks, `=`, control bytes, non-ASCII and a line's trailing space or tab encoded, and a line that starts with
    /// `.` or `From ` encoded too, so that no transport mangles it.
    public static func quotedPrintable(_ text: String) -> String {
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        var out: [String] = []
        for line in normalized.split(separator: "\n", omittingEmptySubsequences: false) {
            let bytes = Array(line.utf8)
            var encoded: [String] = []
            for (i, b) in bytes.enumerated() {
                let last = i == bytes.count - 1
                let plain = (b >= 33 && b <= 126 && b != UInt8(ascii: "=")) || ((b == 32 || b == 9) && !last)
                let first = i == 0 && (b == UInt8(ascii: ".") || (b == UInt8(ascii: "F") && bytes.starts(with: Array("From ".utf8))))
                encoded.append(plain && !first ? String(UnicodeScalar(b)) : String(format: "=%02X", b))
            }
            var physical = ""
            for token in encoded {
                if physical.count + token.count > 75 {
                    out.append(physical + "=")
                    physical = ""
                }
                physical += token
            }
            out.append(physical)
        }
        return out.joined(separator: "\r\n")
    }

    /// `Wed, 02 Dec 2026 17:46:44 +0000`.
    public static func rfc5322Date(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return f.string(from: date)
    }
}
