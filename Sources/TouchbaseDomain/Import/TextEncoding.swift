import Foundation

/// The text encodings an import reads. Files are transcoded to UTF-8 as they stream; what cannot be decoded is an
/// error on its line, never a replacement character stored silently.
public enum TextEncoding: String, Sendable, CaseIterable {
    case utf8 = "utf-8"
    case utf16LE = "utf-16le"
    case utf16BE = "utf-16be"
    case windows1252 = "windows-1252"
    case latin1 = "iso-8859-1"
    case macRoman = "macintosh"

    /// An encoding by one of its usual names (`cp1252`, `latin1`, `mac-roman`, …), for `--encoding`.
    public init?(name: String) {
        let key = name.lowercased().filter { $0.isLetter || $0.isNumber }
        switch key {
        case "utf8": self = .utf8
        case "utf16le", "utf16": self = .utf16LE
        case "utf16be": self = .utf16BE
        case "windows1252", "cp1252", "win1252", "ansi": self = .windows1252
        case "iso88591", "latin1", "l1": self = .latin1
        case "macintosh", "macroman", "mac", "xmacroman": self = .macRoman
        default: return nil
        }
    }

    public static let names = "utf-8, utf-16le, utf-16be, windows-1252, iso-8859-1 or macintosh (mac-roman)"

    /// The encoding of a file from its first bytes: a byte-order mark (UTF-8, UTF-16 LE/BE), else UTF-8 when the
    /// bytes are valid UTF-8, else the single-byte encoding under which the bytes read most like words (accented
    /// letters beside letters, not symbols). Returns the encoding and the length of its byte-order mark.
    public static func detect(_ sample: [UInt8], complete: Bool) -> (TextEncoding, bom: Int) {
        if sample.starts(with: [0xEF, 0xBB, 0xBF]) { return (.utf8, 3) }
        if sample.starts(with: [0xFF, 0xFE]) { return (.utf16LE, 2) }
        if sample.starts(with: [0xFE, 0xFF]) { return (.utf16BE, 2) }
        if isUTF8(sample, complete: complete) { return (.utf8, 0) }
        var best: (TextEncoding, Int)?
        for candidate in [TextEncoding.windows1252, .macRoman, .latin1] {
            guard let score = candidate.wordScore(sample) else { continue }
            if best == nil || score > best!.1 { best = (candidate, score) }
        }
        guard var chosen = best?.0 else { return (.latin1, 0) }
        // Windows-1252 and ISO-8859-1 differ only in 0x80-0x9F: without those bytes the file is plain ISO-8859-1.
        if chosen == .windows1252, !sample.contains(where: { $0 >= 0x80 && $0 <= 0x9F }) { chosen = .latin1 }
        return (chosen, 0)
    }

    /// Whether the bytes are UTF-8 (a sequence cut off at the end of an incomplete sample is allowed).
    static func isUTF8(_ bytes: [UInt8], complete: Bool) -> Bool {
        var end = bytes.count
        if !complete {
            var back = 0
            while back < 3 && end - back - 1 >= 0 && bytes[end - back - 1] & 0xC0 == 0x80 { back += 1 }
            if end - back - 1 >= 0 && bytes[end - back - 1] >= 0xC0 { end = end - back - 1 }
        }
        return String(validating: bytes[0..<end], as: UTF8.self) != nil
    }

    /// How word-like the non-ASCII bytes read in this encoding: +1 for a letter beside a letter, -2 for a letter that
    /// breaks a word's case (`sŽ`, `íN`), -1 for a symbol between two letters (apostrophes aside), -2 for a control
    /// character; nil when a byte has no character here.
    func wordScore(_ bytes: [UInt8]) -> Int? {
        func character(_ i: Int) -> Character? {
            guard i >= 0, i < bytes.count else { return nil }
            let b = bytes[i]
            if b < 0x80 { return Character(Unicode.Scalar(b)) }
            return scalar(b).map(Character.init)
        }
        var score = 0
        for (i, b) in bytes.enumerated() where b >= 0x80 {
            guard let s = scalar(b) else { return nil }
            let c = Character(s)
            let before = character(i - 1), after = character(i + 1)
            if s.value >= 0x80 && s.value <= 0x9F { score -= 2; continue }
            if c.isLetter {
                if before?.isLetter == true || after?.isLetter == true { score += 1 }
                if c.isLowercase && after?.isUppercase == true { score -= 2 }
                if c.isUppercase && before?.isLowercase == true { score -= 2 }
            } else if before?.isLetter == true && after?.isLetter == true && !["\u{2019}", "\u{2018}", "\u{00B7}"].contains(c) {
                score -= 1
            }
        }
        return score
    }

    /// The character a byte of a single-byte encoding stands for (nil where the encoding has none).
    public func scalar(_ byte: UInt8) -> Unicode.Scalar? {
        if byte < 0x80 { return Unicode.Scalar(byte) }
        switch self {
        case .latin1: return Unicode.Scalar(byte)
        case .windows1252: return Self.high(Self.windows1252High, byte)
        case .macRoman: return Self.high(Self.macRomanHigh, byte)
        default: return nil
        }
    }

    private static func high(_ table: [UInt16], _ byte: UInt8) -> Unicode.Scalar? {
        let value = table[Int(byte) - 0x80]
        return value == 0 ? nil : Unicode.Scalar(value)
    }

    /// Bytes 0x80-0xFF of Windows-1252 (0: undefined).
    static let windows1252High: [UInt16] = [
        0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
        0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
        0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
        0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
        0x00A0, 0x00A1, 0x00A2, 0x00A3, 0x00A4, 0x00A5, 0x00A6, 0x00A7,
        0x00A8, 0x00A9, 0x00AA, 0x00AB, 0x00AC, 0x00AD, 0x00AE, 0x00AF,
        0x00B0, 0x00B1, 0x00B2, 0x00B3, 0x00B4, 0x00B5, 0x00B6, 0x00B7,
        0x00B8, 0x00B9, 0x00BA, 0x00BB, 0x00BC, 0x00BD, 0x00BE, 0x00BF,
        0x00C0, 0x00C1, 0x00C2, 0x00C3, 0x00C4, 0x00C5, 0x00C6, 0x00C7,
        0x00C8, 0x00C9, 0x00CA, 0x00CB, 0x00CC, 0x00CD, 0x00CE, 0x00CF,
        0x00D0, 0x00D1, 0x00D2, 0x00D3, 0x00D4, 0x00D5, 0x00D6, 0x00D7,
        0x00D8, 0x00D9, 0x00DA, 0x00DB, 0x00DC, 0x00DD, 0x00DE, 0x00DF,
        0x00E0, 0x00E1, 0x00E2, 0x00E3, 0x00E4, 0x00E5, 0x00E6, 0x00E7,
        0x00E8, 0x00E9, 0x00EA, 0x00EB, 0x00EC, 0x00ED, 0x00EE, 0x00EF,
        0x00F0, 0x00F1, 0x00F2, 0x00F3, 0x00F4, 0x00F5, 0x00F6, 0x00F7,
        0x00F8, 0x00F9, 0x00FA, 0x00FB, 0x00FC, 0x00FD, 0x00FE, 0x00FF,
    ]

    /// Bytes 0x80-0xFF of Mac OS Roman.
    static let macRomanHigh: [UInt16] = [
        0x00C4, 0x00C5, 0x00C7, 0x00C9, 0x00D1, 0x00D6, 0x00DC, 0x00E1,
        0x00E0, 0x00E2, 0x00E4, 0x00E3, 0x00E5, 0x00E7, 0x00E9, 0x00E8,
        0x00EA, 0x00EB, 0x00ED, 0x00EC, 0x00EE, 0x00EF, 0x00F1, 0x00F3,
        0x00F2, 0x00F4, 0x00F6, 0x00F5, 0x00FA, 0x00F9, 0x00FB, 0x00FC,
        0x2020, 0x00B0, 0x00A2, 0x00A3, 0x00A7, 0x2022, 0x00B6, 0x00DF,
        0x00AE, 0x00A9, 0x2122, 0x00B4, 0x00A8, 0x2260, 0x00C6, 0x00D8,
        0x221E, 0x00B1, 0x2264, 0x2265, 0x00A5, 0x00B5, 0x2202, 0x2211,
        0x220F, 0x03C0, 0x222B, 0x00AA, 0x00BA, 0x03A9, 0x00E6, 0x00F8,
        0x00BF, 0x00A1, 0x00AC, 0x221A, 0x0192, 0x2248, 0x2206, 0x00AB,
        0x00BB, 0x2026, 0x00A0, 0x00C0, 0x00C3, 0x00D5, 0x0152, 0x0153,
        0x2013, 0x2014, 0x201C, 0x201D, 0x2018, 0x2019, 0x00F7, 0x25CA,
        0x00FF, 0x0178, 0x2044, 0x20AC, 0x2039, 0x203A, 0xFB01, 0xFB02,
        0x2021, 0x00B7, 0x201A, 0x201E, 0x2030, 0x00C2, 0x00CA, 0x00C1,
        0x00CB, 0x00C8, 0x00CD, 0x00CE, 0x00CF, 0x00CC, 0x00D3, 0x00D4,
        0xF8FF, 0x00D2, 0x00DA, 0x00DB, 0x00D9, 0x0131, 0x02C6, 0x02DC,
        0x00AF, 0x02D8, 0x02D9, 0x02DA, 0x00B8, 0x02DD, 0x02DB, 0x02C7,
    ]
}

/// Turns a file's bytes into UTF-8 as they are read. A byte or unit with no character becomes 0xFF, which is never
/// valid UTF-8, so the CSV reader reports it on its line.
public struct Transcoder {
    let encoding: TextEncoding
    private var carry: [UInt8] = []
    private var pendingHigh: UInt16?

    public init(_ encoding: TextEncoding) { self.encoding = encoding }

    public mutating func feed(_ bytes: [UInt8], into out: inout [UInt8], final: Bool = false) {
        switch encoding {
        case .utf8:
            out.append(contentsOf: bytes)
        case .latin1, .windows1252, .macRoman:
            out.reserveCapacity(out.count + bytes.count)
            for b in bytes {
                if b < 0x80 { out.append(b); continue }
                guard let s = encoding.scalar(b) else { out.append(0xFF); continue }
                Self.append(s, to: &out)
            }
        case .utf16LE, .utf16BE:
            var input = carry + bytes
            carry = []
            if input.count % 2 == 1 { carry = [input.removeLast()] }
            var i = 0
            while i + 1 < input.count {
                let unit = encoding == .utf16LE ? UInt16(input[i]) | UInt16(input[i + 1]) << 8 : UInt16(input[i]) << 8 | UInt16(input[i + 1])
                i += 2
                if let high = pendingHigh {
                    pendingHigh = nil
                    if unit >= 0xDC00 && unit <= 0xDFFF {
                        let value = 0x10000 + (UInt32(high - 0xD800) << 10) + UInt32(unit - 0xDC00)
                        Self.append(Unicode.Scalar(value)!, to: &out)
                        continue
                    }
                    out.append(0xFF)
                }
                if unit >= 0xD800 && unit <= 0xDBFF { pendingHigh = unit; continue }
                guard let s = Unicode.Scalar(unit) else { out.append(0xFF); continue }
                Self.append(s, to: &out)
            }
        }
        if final && (pendingHigh != nil || !carry.isEmpty) {
            out.append(0xFF)
            pendingHigh = nil
            carry = []
        }
    }

    static func append(_ s: Unicode.Scalar, to out: inout [UInt8]) {
        if s.value < 0x80 { out.append(UInt8(s.value)); return }
        out.append(contentsOf: UTF8.encode(s)!)
    }
}
