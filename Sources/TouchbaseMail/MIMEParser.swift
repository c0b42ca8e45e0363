import Foundation
import TouchbaseDomain

/// Why a message could not be read; stored with the message (`unparsed`), never a reason to drop it.
public struct MailParseError: Error, Sendable, CustomStringConvertible, Equatable {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// The header fields of a message or a part, unfolded, in their order.
public struct MailHeaders: Sendable {
    public var fields: [(name: String, value: String)]

    public init(_ fields: [(name: String, value: String)] = []) { self.fields = fields }

    /// The first field of that name (names compare without case), as written (unfolded, trimmed).
    public subscript(_ name: String) -> String? { all(name).first }
    public func all(_ name: String) -> [String] { fields.filter { $0.name.caseInsensitiveCompare(name) == .orderedSame }.map(\.value) }
    public func has(_ name: String) -> Bool { self[name] != nil }
    /// The first field of that name with its RFC 2047 encoded words decoded.
    public func decoded(_ name: String) -> String? { self[name].map(MIMEParser.decodeWords) }

    /// `[[name, value], …]`, as stored.
    public var json: JSONValue { .array(fields.map { .array([.string($0.name), .string($0.value)]) }) }
}

/// One part of a message: its headers, its media type, its body with the transfer encoding undone, and what it holds
/// (the parts of a multipart, the message of a message/rfc822).
public struct MailPart: Sendable {
    public var headers: MailHeaders
    /// `text/plain`, lowercased.
    public var mediaType: String
    /// The Content-Type parameters, names lowercased.
    public var parameters: [String: String]
    public var body: [UInt8]
    public var parts: [MailPart] = []
    /// A text part's text in Unicode (from its charset).
    public var text: String?

    public var isAttachment: Bool {
        (headers["Content-Disposition"].map { MIMEParser.parameterized($0).value.lowercased() } ?? "") == "attachment"
    }

    /// This part and every part inside it, depth first.
    public var all: [MailPart] { [self] + parts.flatMap(\.all) }
}

/// A message as read: the headers a match needs, the part tree, the text chosen, and what was noticed on the way.
public struct ParsedMail: Sendable {
    public var headers: MailHeaders
    public var root: MailPart
    public var messageID: String?
    public var inReplyTo: [String]
    public var references: [String]
    public var from: MailAddress?
    public var to: [MailAddress]
    public var cc: [MailAddress]
    /// The addresses the message was delivered to (`Delivered-To`, `X-Original-To`, `Envelope-To`).
    public var deliveredTo: [String]
    /// The envelope sender; `""` for the null sender `<>` (bounces and many auto-replies).
    public var returnPath: String?
    public var subject: String
    public var date: Date?
    /// The text chosen: the text part, else the HTML part turned to text.
    public var text: String
    public var notes: [String]

    /// Every recipient address, lowercased: To, Cc and the delivery headers.
    public var recipients: [String] { (to + cc).map { $0.address.lowercased() } + deliveredTo.map { $0.lowercased() } }
}

/// A small, strict reader of RFC 5322 messages and MIME (RFC 2045-2047): header folding and encoded words, nested
/// multiparts, quoted-printable and base64, UTF-8, US-ASCII, ISO-8859-1/15 and Windows-1252 (an unknown charset is
/// read from the raw bytes and said so). What it cannot read it refuses with the reason.
public enum MIMEParser {
    static let maxDepth = 20

    public static func parse(_ bytes: [UInt8]) throws(MailParseError) -> ParsedMail {
        var notes: [String] = []
        let root = try part(bytes, depth: 0, path: "message", notes: &notes, top: true)
        let h = root.headers
        let from = addresses(h["From"] ?? "").first
        if from == nil { notes.append("no From address") }
        var returnPath: String?
        if let rp = h["Return-Path"] {
            let trimmed = rp.trimmingCharacters(in: .whitespaces)
            returnPath = trimmed == "<>" || trimmed.isEmpty ? "" : addresses(trimmed).first?.address ?? trimmed
        }
        let delivered = (h.all("Delivered-To") + h.all("X-Original-To") + h.all("Envelope-To")).flatMap { addresses($0).map(\.address) }
        let text: String
        if let plain = chooseText(root, html: false) {
            text = plain
        } else if let html = chooseText(root, html: true) {
            text = HTMLText.text(html)
            notes.append("only an HTML part: its text was taken from the HTML")
        } else {
            text = ""
            notes.append("no text part")
        }
        return ParsedMail(
            headers: h, root: root, messageID: messageIDs(h["Message-ID"] ?? "").first,
            inReplyTo: messageIDs(h["In-Reply-To"] ?? ""), references: messageIDs(h["References"] ?? ""),
            from: from, to: addresses(h.all("To").joined(separator: ", ")), cc: addresses(h.all("Cc").joined(separator: ", ")),
            deliveredTo: delivered, returnPath: returnPath, subject: h.decoded("Subject") ?? "", date: h["Date"].flatMap(date),
            text: text, notes: notes)
    }

    /// The text of the first text part (plain, or HTML when `html`) that is not an attachment and not inside an
    /// attached message.
    static func chooseText(_ part: MailPart, html: Bool) -> String? {
        if part.mediaType.hasPrefix("multipart/") {
            for child in part.parts { if let text = chooseText(child, html: html) { return text } }
            return nil
        }
        guard !part.isAttachment, part.mediaType == (html ? "text/html" : "text/plain") else { return nil }
        return part.text
    }

    // MARK: - Parts

    static func part(_ bytes: [UInt8], depth: Int, path: String, notes: inout [String], top: Bool = false) throws(MailParseError) -> MailPart {
        guard depth <= maxDepth else { throw MailParseError("\(path): parts nested more than \(maxDepth) deep") }
        let (headers, bodyStart) = try headerBlock(bytes, path: path, top: top)
        let (type, parameters) = contentType(headers["Content-Type"])
        var body = Array(bytes[bodyStart...])
        let encoding = (headers["Content-Transfer-Encoding"] ?? "7bit").trimmingCharacters(in: .whitespaces).lowercased()
        switch encoding {
        case "7bit", "8bit", "binary", "": break
        case "quoted-printable": body = quotedPrintable(body)
        case "base64":
            guard let decoded = base64(body) else { throw MailParseError("\(path) (\(type)): its base64 is not valid") }
            body = decoded
        default: throw MailParseError("\(path) (\(type)): unknown Content-Transfer-Encoding '\(encoding)'")
        }
        var result = MailPart(headers: headers, mediaType: type, parameters: parameters, body: body)
        if type.hasPrefix("multipart/") {
            guard let boundary = parameters["boundary"], !boundary.isEmpty else {
                throw MailParseError("\(path) (\(type)): no boundary parameter")
            }
            let (chunks, closed) = split(body, boundary: boundary)
            guard !chunks.isEmpty else { throw MailParseError("\(path) (\(type)): no part starts with its boundary '\(boundary)'") }
            if !closed { notes.append("\(path): the closing boundary is missing") }
            for (i, chunk) in chunks.enumerated() {
                result.parts.append(try part(chunk, depth: depth + 1, path: "\(path) part \(i + 1)", notes: &notes))
            }
        } else if type == "message/rfc822" || type == "message/global" || type == "text/rfc822-headers" {
            // An attached message (a bounce's original): read it if it can be read; it is never the reason to refuse.
            var inner: [String] = []
            if let message = try? part(body, depth: depth + 1, path: "\(path) message", notes: &inner) {
                result.parts = [message]
            } else {
                notes.append("\(path): the attached message could not be read")
            }
        } else if type.hasPrefix("text/") {
            let (text, note) = decode(body, charset: parameters["charset"])
            result.text = text
            if let note { notes.append("\(path): \(note)") }
        }
        return result
    }

    /// The header block (unfolded) and where the body starts. Lines may end in CRLF or LF.
    static func headerBlock(_ bytes: [UInt8], path: String, top: Bool) throws(MailParseError) -> (MailHeaders, Int) {
        var fields: [(name: String, value: String)] = []
        var i = 0
        var lineNumber = 0
        // An mbox "From " line before the headers (what some delivery agents pipe) is not a header.
        if top, bytes.starts(with: Array("From ".utf8)) { i = (bytes.firstIndex(of: 0x0A) ?? bytes.count - 1) + 1 }
        while i < bytes.count {
            let end = bytes[i...].firstIndex(of: 0x0A) ?? bytes.count
            var line = bytes[i..<end]
            if line.last == 0x0D { line = line.dropLast() }
            let next = min(end + 1, bytes.count)
            lineNumber += 1
            if line.isEmpty { return (MailHeaders(fields.map { ($0.name, $0.value.trimmingCharacters(in: .whitespaces)) }), next) }
            let text = headerText(line)
            if line.first == 0x20 || line.first == 0x09 {
                guard !fields.isEmpty else {
                    throw MailParseError("\(path): line 1 of the header starts with a space (no field to continue)")
                }
                fields[fields.count - 1].value += text
            } else if let colon = text.firstIndex(of: ":"), colon != text.startIndex,
                text[..<colon].allSatisfy({ $0.isASCII && $0 != " " && $0 != "\t" && ($0.asciiValue ?? 0) > 32 })
            {
                fields.append((String(text[..<colon]), String(text[text.index(after: colon)...])))
            } else if fields.isEmpty {
                // A part may have no headers at all (its body starts at once only after an empty line; tolerate a
                // part whose first line is its body when it is not the message itself).
                if !top { return (MailHeaders(), i) }
                let shown = String(text.prefix(40))
                throw MailParseError("no header fields: the message starts with '\(shown)'")
            } else {
                throw MailParseError("\(path): line \(lineNumber) of the header is not a header field ('\(text.prefix(40))')")
            }
            i = next
        }
        if fields.isEmpty && top { throw MailParseError("the message is empty") }
        return (MailHeaders(fields.map { ($0.name, $0.value.trimmingCharacters(in: .whitespaces)) }), bytes.count)
    }

    /// Header bytes as text: UTF-8 (RFC 6532) when they are, else Windows-1252 (what old clients write raw).
    static func headerText(_ bytes: ArraySlice<UInt8>) -> String {
        if let s = String(validating: bytes, as: UTF8.self) { return s }
        return decode(Array(bytes), charset: "windows-1252").text
    }

    /// The pieces between `--boundary` lines (the preamble and epilogue left out), and whether the closing line came.
    static func split(_ body: [UInt8], boundary: String) -> ([[UInt8]], closed: Bool) {
        let open = Array(("--" + boundary).utf8)
        var chunks: [[UInt8]] = []
        var current: [UInt8]?
        var i = 0
        while i < body.count {
            let end = body[i...].firstIndex(of: 0x0A) ?? body.count
            var line = body[i..<end]
            if line.last == 0x0D { line = line.dropLast() }
            if line.starts(with: open) {
                let rest = line.dropFirst(open.count)
                let trimmedRest = rest.drop { $0 == 0x20 || $0 == 0x09 }
                if rest.starts(with: [0x2D, 0x2D]) {
                    if let c = current { chunks.append(trimmed(c)) }
                    return (chunks, true)
                }
                if trimmedRest.isEmpty {
                    if let c = current { chunks.append(trimmed(c)) }
                    current = []
                    i = min(end + 1, body.count)
                    continue
                }
            }
            if current != nil { current! += body[i..<min(end + 1, body.count)] }
            i = min(end + 1, body.count)
        }
        if let c = current { chunks.append(trimmed(c)) }
        return (chunks, false)
    }

    /// A part without the line break that belongs to the boundary after it.
    static func trimmed(_ chunk: [UInt8]) -> [UInt8] {
        var c = chunk
        if c.last == 0x0A { c.removeLast() }
        if c.last == 0x0D { c.removeLast() }
        return c
    }

    // MARK: - Field values

    /// `type/subtype; name=value; name="quoted"` → the lowercased type and its parameters (RFC 2231 `name*=` and
    /// `name*0=` continuations joined and decoded). No Content-Type is text/plain in US-ASCII.
    static func contentType(_ value: String?) -> (String, [String: String]) {
        guard let value else { return ("text/plain", ["charset": "us-ascii"]) }
        let (type, parameters) = parameterized(value)
        let media = type.lowercased()
        guard media.contains("/") else { return ("text/plain", parameters) }
        return (media, parameters)
    }

    /// A value with `; name=value` parameters.
    public static func parameterized(_ value: String) -> (value: String, parameters: [String: String]) {
        var pieces: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        for c in value {
            if escaped { current.append(c); escaped = false; continue }
            if quoted && c == "\\" { escaped = true; current.append(c); continue }
            if c == "\"" { quoted.toggle() }
            if c == ";" && !quoted { pieces.append(current); current = ""; continue }
            current.append(c)
        }
        pieces.append(current)
        let head = pieces.removeFirst().trimmingCharacters(in: .whitespaces)
        var raw: [(String, String)] = []
        for piece in pieces {
            guard let eq = piece.firstIndex(of: "=") else { continue }
            let name = piece[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            var v = piece[piece.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            if v.hasPrefix("\""), v.hasSuffix("\""), v.count >= 2 {
                v = String(v.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"").replacingOccurrences(of: "\\\\", with: "\\")
            }
            raw.append((name, v))
        }
        var parameters: [String: String] = [:]
        var continued: [String: [(Int, String, Bool)]] = [:]
        for (name, v) in raw {
            // RFC 2231: name*=charset'lang'%XX…, name*0=…, name*1*=…
            let starred = name.hasSuffix("*")
            let base = starred ? String(name.dropLast()) : name
            if let star = base.lastIndex(of: "*"), let n = Int(base[base.index(after: star)...]) {
                continued[String(base[..<star]), default: []].append((n, v, starred))
            } else if starred {
                parameters[base] = rfc2231(v, first: true)
            } else {
                parameters[base] = v
            }
        }
        for (name, pieces) in continued {
            let sorted = pieces.sorted { $0.0 < $1.0 }
            var bytes: [UInt8] = []
            var charset = "utf-8"
            for (n, v, encoded) in sorted {
                if encoded {
                    var text = Substring(v)
                    if n == 0 {
                        let parts = v.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
                        if parts.count == 3 { charset = String(parts[0]); text = parts[2] }
                    }
                    bytes += percentDecoded(text)
                } else {
                    bytes += Array(v.utf8)
                }
            }
            parameters[name] = decode(bytes, charset: charset).text
        }
        return (head, parameters)
    }

    static func rfc2231(_ v: String, first: Bool) -> String {
        let parts = v.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return v }
        return decode(percentDecoded(parts[2]), charset: String(parts[0])).text
    }

    static func percentDecoded(_ s: Substring) -> [UInt8] {
        var out: [UInt8] = []
        let bytes = Array(s.utf8)
        var i = 0
        while i < bytes.count {
            if bytes[i] == 0x25, i + 2 < bytes.count, let v = UInt8(String(decoding: bytes[i + 1...i + 2], as: UTF8.self), radix: 16) {
                out.append(v)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }

    /// The Message-IDs in a field (`<a@b> <c@d>`), without angle brackets; a bare id when there are none.
    public static func messageIDs(_ value: String) -> [String] {
        var ids: [String] = []
        var rest = Substring(value)
        while let open = rest.firstIndex(of: "<"), let close = rest[open...].firstIndex(of: ">") {
            let id = rest[rest.index(after: open)..<close].trimmingCharacters(in: .whitespaces)
            if !id.isEmpty && !id.contains(" ") { ids.append(id) }
            rest = rest[rest.index(after: close)...]
        }
        if ids.isEmpty {
            ids = value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }).map(String.init).filter { $0.contains("@") }
        }
        return ids
    }

    /// The mailboxes of an address list (`"Jane" <jane@x>, bob@y (Bob), group: a@b;`), names decoded.
    public static func addresses(_ value: String) -> [MailAddress] {
        var items: [String] = []
        var current = ""
        var quoted = false
        var angle = 0
        var comment = 0
        var escaped = false
        for c in value {
            if escaped { current.append(c); escaped = false; continue }
            if c == "\\" && (quoted || comment > 0) { escaped = true; current.append(c); continue }
            if c == "\"" && comment == 0 { quoted.toggle() }
            if !quoted {
                if c == "(" { comment += 1 } else if c == ")" && comment > 0 { comment -= 1 }
                if comment == 0 {
                    if c == "<" { angle += 1 } else if c == ">" && angle > 0 { angle -= 1 }
                }
                if (c == "," || c == ";") && angle == 0 && comment == 0 { items.append(current); current = ""; continue }
                if c == ":" && angle == 0 && comment == 0 && !current.contains("@") { current = ""; continue }
            }
            current.append(c)
        }
        items.append(current)
        return items.compactMap { item -> MailAddress? in
            let item = item.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !item.isEmpty else { return nil }
            var address: String
            var name: String?
            if let open = item.lastIndex(of: "<"), let close = item[open...].firstIndex(of: ">") {
                address = String(item[item.index(after: open)..<close])
                name = String(item[..<open])
            } else {
                address = item
                if let open = item.firstIndex(of: "("), let close = item.lastIndex(of: ")"), open < close {
                    name = String(item[item.index(after: open)..<close])
                    address = String(item[..<open]) + String(item[item.index(after: close)...])
                }
            }
            address = address.trimmingCharacters(in: .whitespaces)
            guard address.contains("@"), !address.contains(" ") else { return nil }
            var display = decodeWords(name ?? "").trimmingCharacters(in: .whitespaces)
            if display.hasPrefix("\""), display.hasSuffix("\""), display.count >= 2 {
                display = String(display.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"")
            }
            return MailAddress(parsed: address, name: display.isEmpty ? nil : display)
        }
    }

    /// RFC 2047: `=?charset?B?…?=` and `=?charset?Q?…?=` words decoded; the space between two encoded words dropped.
    public static func decodeWords(_ value: String) -> String {
        guard value.contains("=?") else { return value }
        var out = ""
        var rest = Substring(value)
        var lastWasWord = false
        var pendingSpace = ""
        while !rest.isEmpty {
            if rest.hasPrefix("=?"), let word = encodedWord(rest) {
                if !lastWasWord { out += pendingSpace }
                pendingSpace = ""
                out += word.text
                rest = rest[word.end...]
                lastWasWord = true
                continue
            }
            let c = rest.removeFirst()
            if c == " " || c == "\t" {
                pendingSpace.append(c)
                continue
            }
            out += pendingSpace
            pendingSpace = ""
            out.append(c)
            lastWasWord = false
        }
        return out + pendingSpace
    }

    static func encodedWord(_ s: Substring) -> (text: String, end: Substring.Index)? {
        // =?charset?enc?text?=
        let afterOpen = s.index(s.startIndex, offsetBy: 2)
        guard let q1 = s[afterOpen...].firstIndex(of: "?") else { return nil }
        let charset = s[afterOpen..<q1].split(separator: "*").first.map(String.init) ?? ""
        let encStart = s.index(after: q1)
        guard encStart < s.endIndex, let q2 = s[encStart...].firstIndex(of: "?"), s.distance(from: encStart, to: q2) == 1 else { return nil }
        let enc = s[encStart].uppercased()
        let textStart = s.index(after: q2)
        guard let close = s[textStart...].range(of: "?=") else { return nil }
        let payload = s[textStart..<close.lowerBound]
        guard !payload.contains(" ") else { return nil }
        let bytes: [UInt8]
        if enc == "B" {
            guard let b = base64(Array(payload.utf8)) else { return nil }
            bytes = b
        } else if enc == "Q" {
            bytes = quotedPrintable(Array(payload.replacingOccurrences(of: "_", with: " ").utf8))
        } else {
            return nil
        }
        return (decode(bytes, charset: charset).text, close.upperBound)
    }

    // MARK: - Transfer encodings

    /// Quoted-printable undone: `=XX` bytes, soft line breaks (`=` at a line's end) joined; an `=` not followed by
    /// two hex digits is kept as it is (RFC 2045 §6.7 note 1).
    public static func quotedPrintable(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        func hex(_ b: UInt8) -> UInt8? {
            switch b {
            case 0x30...0x39: b - 0x30
            case 0x41...0x46: b - 0x41 + 10
            case 0x61...0x66: b - 0x61 + 10
            default: nil
            }
        }
        while i < bytes.count {
            let b = bytes[i]
            if b == 0x3D {
                var j = i + 1
                while j < bytes.count, bytes[j] == 0x20 || bytes[j] == 0x09 { j += 1 }
                if j < bytes.count, bytes[j] == 0x0D, j + 1 < bytes.count, bytes[j + 1] == 0x0A { i = j + 2; continue }
                if j < bytes.count, bytes[j] == 0x0A { i = j + 1; continue }
                if j == bytes.count { i = j; continue }
                if i + 2 < bytes.count, let h = hex(bytes[i + 1]), let l = hex(bytes[i + 2]) {
                    out.append(h << 4 | l)
                    i += 3
                    continue
                }
            }
            out.append(b)
            i += 1
        }
        return out
    }

    /// Base64 with line breaks and spaces between; nil for any other byte, padding that is not at the end, or a
    /// length that cannot be base64 (missing padding is accepted).
    public static func base64(_ bytes: [UInt8]) -> [UInt8]? {
        var values: [UInt8] = []
        values.reserveCapacity(bytes.count)
        var padding = 0
        for b in bytes {
            let v: UInt8
            switch b {
            case 0x41...0x5A: v = b - 0x41
            case 0x61...0x7A: v = b - 0x61 + 26
            case 0x30...0x39: v = b - 0x30 + 52
            case 0x2B: v = 62
            case 0x2F: v = 63
            case 0x3D: padding += 1; continue
            case 0x20, 0x09, 0x0D, 0x0A: continue
            default: return nil
            }
            if padding > 0 { return nil }
            values.append(v)
        }
        guard padding <= 2, values.count % 4 != 1 else { return nil }
        if padding > 0, (values.count + padding) % 4 != 0 { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(values.count * 3 / 4)
        var i = 0
        while i + 4 <= values.count {
            out.append(values[i] << 2 | values[i + 1] >> 4)
            out.append(values[i + 1] << 4 | values[i + 2] >> 2)
            out.append(values[i + 2] << 6 | values[i + 3])
            i += 4
        }
        let left = values.count - i
        if left >= 2 { out.append(values[i] << 2 | values[i + 1] >> 4) }
        if left == 3 { out.append(values[i + 1] << 4 | values[i + 2] >> 2) }
        return out
    }

    // MARK: - Charsets

    /// Bytes in a charset as text, and a note when they could not be read as that charset says.
    public static func decode(_ bytes: [UInt8], charset: String?) -> (text: String, note: String?) {
        let name = (charset ?? "us-ascii").trimmingCharacters(in: CharacterSet(charactersIn: " \"'")).lowercased()
        switch name {
        case "utf-8", "utf8", "us-ascii", "ascii", "ansi_x3.4-1968", "":
            if let s = String(validating: bytes, as: UTF8.self) { return (s, nil) }
            if name.contains("ascii") || name.isEmpty {
                return (singleByte(bytes, .windows1252), "8-bit bytes in a \(name.isEmpty ? "US-ASCII" : name) part: read as Windows-1252")
            }
            return (String(decoding: bytes, as: UTF8.self), "not valid UTF-8: unreadable bytes replaced")
        case "iso-8859-1", "latin1", "iso8859-1", "iso_8859-1", "l1": return (singleByte(bytes, .latin1), nil)
        case "windows-1252", "cp1252", "x-cp1252": return (singleByte(bytes, .windows1252), nil)
        case "iso-8859-15", "iso8859-15", "latin-9", "latin9", "l9":
            let latin9: [UInt8: Unicode.Scalar] = [0xA4: "€", 0xA6: "Š", 0xA8: "š", 0xB4: "Ž", 0xB8: "ž", 0xBC: "Œ", 0xBD: "œ", 0xBE: "Ÿ"]
            var s = String.UnicodeScalarView()
            for b in bytes { s.append(latin9[b] ?? Unicode.Scalar(b)) }
            return (String(s), nil)
        default:
            let text = String(decoding: bytes, as: UTF8.self)
            return (text, "charset '\(name)' is not one this server reads: the raw bytes are kept and shown as UTF-8")
        }
    }

    static func singleByte(_ bytes: [UInt8], _ encoding: TextEncoding) -> String {
        var s = String.UnicodeScalarView()
        for b in bytes { s.append(encoding.scalar(b) ?? Unicode.Scalar(b)) }
        return String(s)
    }

    // MARK: - Dates

    static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    static let zones: [String: Int] = ["ut": 0, "gmt": 0, "utc": 0, "z": 0, "est": -5, "edt": -4, "cst": -6, "cdt": -5, "mst": -7, "mdt": -6, "pst": -8, "pdt": -7]

    /// An RFC 5322 date (`Tue, 1 Dec 2026 10:15:00 -0500 (EST)`; the weekday, the seconds and the comment optional;
    /// the obsolete zone names read).
    public static func date(_ value: String) -> Date? {
        var v = value
        if let paren = v.firstIndex(of: "(") { v = String(v[..<paren]) }
        var tokens = v.replacingOccurrences(of: ",", with: " ").split(separator: " ").map(String.init)
        if let first = tokens.first, Int(first) == nil { tokens.removeFirst() }
        guard tokens.count >= 4, let day = Int(tokens[0]),
            let month = months.firstIndex(of: String(tokens[1].prefix(3)).lowercased()), var year = Int(tokens[2])
        else { return nil }
        if year < 50 { year += 2000 } else if year < 1000 { year += 1900 }
        let time = tokens[3].split(separator: ":").compactMap { Int($0) }
        guard time.count >= 2 else { return nil }
        var offset = 0
        if tokens.count >= 5 {
            let zone = tokens[4]
            if let sign = zone.first, sign == "+" || sign == "-", zone.count == 5, let n = Int(zone.dropFirst()) {
                offset = (n / 100 * 3600 + n % 100 * 60) * (sign == "-" ? -1 : 1)
            } else if let hours = zones[zone.lowercased()] {
                offset = hours * 3600
            }
        }
        var c = DateComponents()
        c.year = year
        c.month = month + 1
        c.day = day
        c.hour = time[0]
        c.minute = time[1]
        c.second = time.count > 2 ? time[2] : 0
        c.timeZone = TimeZone(secondsFromGMT: offset)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        return calendar.date(from: c)
    }
}

