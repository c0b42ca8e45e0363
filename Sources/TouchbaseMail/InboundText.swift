import Foundation

/// HTML turned to text for a message that has no text part: scripts, styles and the head left out, block elements as
/// line breaks, list items as `- `, a blockquote's lines quoted with `> ` (so the quote stripper sees them as quoted
/// history), entities decoded, runs of spaces collapsed.
public enum HTMLText {
    static let blocks: Set<String> = ["p", "div", "br", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "pre", "section", "article", "header", "footer", "blockquote"]

    public static func text(_ html: String) -> String {
        var out = ""
        var depth = 0
        var atLineStart = true
        var pendingSpace = false
        func newline() {
            out += "\n"
            atLineStart = true
            pendingSpace = false
        }
        func emit(_ s: String) {
            for c in s {
                if c == " " || c == "\t" || c == "\n" || c == "\r" {
                    if !atLineStart { pendingSpace = true }
                    continue
                }
                if atLineStart {
                    out += String(repeating: "> ", count: depth)
                    atLineStart = false
                } else if pendingSpace {
                    out += " "
                }
                pendingSpace = false
                out.append(c)
            }
        }
        var i = html.startIndex
        var skipUntil: String?
        while i < html.endIndex {
            let c = html[i]
            if c == "<" {
                if html[i...].hasPrefix("<!--") {
                    i = html[i...].range(of: "-->")?.upperBound ?? html.endIndex
                    continue
                }
                guard let close = html[i...].firstIndex(of: ">") else { break }
                let tag = html[html.index(after: i)..<close]
                i = html.index(after: close)
                let closing = tag.hasPrefix("/")
                let name = tag.drop { $0 == "/" }.prefix { $0.isLetter || $0.isNumber }.lowercased()
                if let until = skipUntil {
                    if closing && name == until { skipUntil = nil }
                    continue
                }
                if !closing && ["script", "style", "head", "title"].contains(name) && !tag.hasSuffix("/") {
                    skipUntil = name
                    continue
                }
                if name == "blockquote" {
                    if !atLineStart { newline() }
                    depth = max(0, depth + (closing ? -1 : 1))
                    continue
                }
                if blocks.contains(name) {
                    if name == "br" || !atLineStart { newline() }
                    if name == "li" && !closing { emit("- ") }
                }
                continue
            }
            if skipUntil != nil {
                i = html.index(after: i)
                continue
            }
            if c == "&", let semi = html[i...].prefix(12).firstIndex(of: ";") {
                let entity = String(html[html.index(after: i)..<semi])
                if let decoded = Self.entity(entity) {
                    emit(decoded == " " ? "\u{A0}" : decoded)
                    i = html.index(after: semi)
                    continue
                }
            }
            emit(String(c))
            i = html.index(after: i)
        }
        let lines = out.replacingOccurrences(of: "\u{A0}", with: " ").split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        var result: [String] = []
        for line in lines where !(line.isEmpty && (result.last?.isEmpty ?? true)) { result.append(line) }
        while result.last?.isEmpty == true { result.removeLast() }
        return result.joined(separator: "\n")
    }

    static func entity(_ name: String) -> String? {
        switch name.lowercased() {
        case "amp": return "&"
        case "lt": return "<"
        case "gt": return ">"
        case "quot": return "\""
        case "apos", "#39": return "'"
        case "nbsp": return " "
        case "eacute": return "é"
        case "egrave": return "è"
        case "agrave": return "à"
        case "uuml": return "ü"
        case "ouml": return "ö"
        case "auml": return "ä"
        case "szlig": return "ß"
        case "ntilde": return "ñ"
        case "ccedil": return "ç"
        case "mdash": return "—"
        case "ndash": return "–"
        case "hellip": return "…"
        case "rsquo": return "’"
        case "lsquo": return "‘"
        case "rdquo": return "”"
        case "ldquo": return "“"
        case "euro": return "€"
        default:
            if name.hasPrefix("#x") || name.hasPrefix("#X"), let v = UInt32(name.dropFirst(2), radix: 16), let s = Unicode.Scalar(v) { return String(s) }
            if name.hasPrefix("#"), let v = UInt32(name.dropFirst()), let s = Unicode.Scalar(v) { return String(s) }
            return nil
        }
    }
}

/// The words a person wrote in a reply, without the quoted history and the signature that clients add below (or
/// above) them: Gmail's and Apple Mail's "On … wrote:" (and its German, French and Spanish forms), Outlook's
/// "-----Original Message-----" and "From: … Sent: …" blocks, `>` quoted lines, and signatures ("-- ", "Sent from my
/// iPhone", "Get Outlook for iOS").
public enum ReplyText {
    static let attribution: [NSRegularExpression] = [
        #"^On\s.+\swrote:\s*$"#, #"^Am\s.+\sschrieb\s.+:\s*$"#, #"^Le\s.+\sa\s+écrit\s*:\s*$"#, #"^El\s.+\sescribió:\s*$"#,
        #"^-{2,}\s*(Original Message|Ursprüngliche Nachricht|Message d'origine|Mensaje original|Forwarded message)\s*-{2,}\s*$"#,
        #"^_{10,}\s*$"#,
    ].map { try! NSRegularExpression(pattern: $0, options: [.caseInsensitive]) }
    static let headerStart = try! NSRegularExpression(pattern: #"^\*?(From|Von|De|Van)\s*:\*?\s"#, options: [.caseInsensitive])
    static let headerNext = try! NSRegularExpression(pattern: #"^\*?(Sent|Date|To|Subject|Gesendet|Datum|An|Betreff|Envoyé|Date|À|Objet|Enviado|Fecha|Para|Asunto)\s*:\*?\s"#, options: [.caseInsensitive])
    static let signatures = [
        "sent from my iphone", "sent from my ipad", "sent from my android", "sent from mail for windows", "get outlook for ios", "get outlook for android",
        "von meinem iphone gesendet", "envoyé de mon iphone", "enviado desde mi iphone", "sent from outlook",
    ]

    static func matches(_ regex: NSRegularExpression, _ line: String) -> Bool {
        regex.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)) != nil
    }

    public static func strip(_ text: String) -> String {
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var kept: [String] = []
        var i = 0
        scan: while i < lines.count {
            let line = lines[i]
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            // An attribution line, perhaps wrapped over two lines by the client.
            let next = i + 1 < lines.count ? lines[i + 1].trimmingCharacters(in: .whitespaces) : ""
            for regex in attribution {
                if matches(regex, trimmed) || (!next.isEmpty && next.hasSuffix(":") && matches(regex, trimmed + " " + next)) { break scan }
            }
            if matches(headerStart, trimmed) {
                let window = lines[(i + 1)..<min(i + 5, lines.count)]
                if window.contains(where: { matches(headerNext, $0.trimmingCharacters(in: .whitespaces)) }) { break }
            }
            if trimmed == "--" || line == "-- " { break }
            if signatures.contains(trimmed.lowercased()) { break }
            if trimmed.hasPrefix(">") { i += 1; continue }
            kept.append(line)
            i += 1
        }
        while kept.last?.trimmingCharacters(in: .whitespaces).isEmpty == true { kept.removeLast() }
        while kept.first?.trimmingCharacters(in: .whitespaces).isEmpty == true { kept.removeFirst() }
        return kept.joined(separator: "\n")
    }
}
