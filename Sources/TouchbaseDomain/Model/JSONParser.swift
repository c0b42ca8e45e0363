/// A strict JSON parser over UTF-8 bytes (RFC 8259), for request bodies and the JSON columns of every row read.
///
/// Foundation's `JSONDecoder` through `Codable` cost a tenth of a record read's time; this reads the bytes once.
/// Returns nil for anything that is not exactly one JSON value surrounded by optional whitespace.
struct JSONParser {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var i = 0
    private var depth = 0
    static let maxDepth = 512

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    mutating func document() -> JSONValue? {
        skipSpace()
        guard let value = value() else { return nil }
        skipSpace()
        // Not `i == bytes.count ? value : nil`: JSONValue is ExpressibleByNilLiteral, so that `nil` would be `.null`.
        guard i == bytes.count else { return Optional.none }
        return value
    }

    private mutating func skipSpace() {
        while i < bytes.count {
            switch bytes[i] {
            case 0x20, 0x09, 0x0A, 0x0D: i += 1
            default: return
            }
        }
    }

    private mutating func literal(_ word: StaticString, _ value: JSONValue) -> JSONValue? {
        let count = word.utf8CodeUnitCount
        guard i + count <= bytes.count else { return nil }
        let w = word.utf8Start
        for k in 0..<count where bytes[i + k] != w[k] { return nil }
        i += count
        return value
    }

    private mutating func value() -> JSONValue? {
        guard i < bytes.count else { return nil }
        switch bytes[i] {
        case 0x7B: return object()
        case 0x5B: return array()
        case 0x22: return string().map(JSONValue.string)
        case 0x74: return literal("true", .bool(true))
        case 0x66: return literal("false", .bool(false))
        case 0x6E: return literal("null", .null)
        case 0x2D, 0x30...0x39: return number()
        default: return nil
        }
    }

    private mutating func object() -> JSONValue? {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maxDepth else { return nil }
        i += 1
        var members: [String: JSONValue] = [:]
        skipSpace()
        if i < bytes.count, bytes[i] == 0x7D {
            i += 1
            return .object(members)
        }
        while true {
            skipSpace()
            guard i < bytes.count, bytes[i] == 0x22, let key = string() else { return nil }
            skipSpace()
            guard i < bytes.count, bytes[i] == 0x3A else { return nil }
            i += 1
            skipSpace()
            guard let v = value() else { return nil }
            members[key] = v
            skipSpace()
            guard i < bytes.count else { return nil }
            if bytes[i] == 0x2C {
                i += 1
                continue
            }
            guard bytes[i] == 0x7D else { return nil }
            i += 1
            return .object(members)
        }
    }

    private mutating func array() -> JSONValue? {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maxDepth else { return nil }
        i += 1
        var items: [JSONValue] = []
        skipSpace()
        if i < bytes.count, bytes[i] == 0x5D {
            i += 1
            return .array(items)
        }
        while true {
            skipSpace()
            guard let v = value() else { return nil }
            items.append(v)
            skipSpace()
            guard i < bytes.count else { return nil }
            if bytes[i] == 0x2C {
                i += 1
                continue
            }
            guard bytes[i] == 0x5D else { return nil }
            i += 1
            return .array(items)
        }
    }

    /// A string literal starting at the opening quote; the bytes between escapes are copied whole.
    private mutating func string() -> String? {
        i += 1
        let start = i
        // The common case: no escape before the closing quote.
        while i < bytes.count {
            let c = bytes[i]
            if c == 0x22 {
                let s = Self.text(bytes, start, i)
                i += 1
                return s
            }
            if c == 0x5C { break }
            if c < 0x20 { return nil }
            i += 1
        }
        guard i < bytes.count else { return nil }
        var out = ""
        var run = start
        while i < bytes.count {
            let c = bytes[i]
            if c == 0x22 {
                guard let tail = Self.text(bytes, run, i) else { return nil }
                out += tail
                i += 1
                return out
            }
            if c < 0x20 { return nil }
            guard c == 0x5C else {
                i += 1
                continue
            }
            guard let part = Self.text(bytes, run, i) else { return nil }
            out += part
            i += 1
            guard i < bytes.count else { return nil }
            let e = bytes[i]
            i += 1
            switch e {
            case 0x22: out += "\""
            case 0x5C: out += "\\"
            case 0x2F: out += "/"
            case 0x62: out += "\u{8}"
            case 0x66: out += "\u{C}"
            case 0x6E: out += "\n"
            case 0x72: out += "\r"
            case 0x74: out += "\t"
            case 0x75:
                guard let high = hex4() else { return nil }
                var scalar = high
                if (0xD800...0xDBFF).contains(high) {
                    guard i + 1 < bytes.count, bytes[i] == 0x5C, bytes[i + 1] == 0x75 else { return nil }
                    i += 2
                    guard let low = hex4(), (0xDC00...0xDFFF).contains(low) else { return nil }
                    scalar = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(high) {
                    return nil
                }
                guard let u = Unicode.Scalar(scalar) else { return nil }
                out.unicodeScalars.append(u)
            default: return nil
            }
            run = i
        }
        return nil
    }

    private mutating func hex4() -> UInt32? {
        guard i + 4 <= bytes.count else { return nil }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[i]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: return nil
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }

    /// Valid UTF-8 between two offsets as a String; nil when the bytes are not UTF-8.
    private static func text(_ bytes: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> String? {
        String(validating: UnsafeBufferPointer(rebasing: bytes[from..<to]), as: UTF8.self)
    }

    private mutating func number() -> JSONValue? {
        let start = i
        var integral = true
        if bytes[i] == 0x2D { i += 1 }
        guard i < bytes.count else { return nil }
        if bytes[i] == 0x30 {
            i += 1
        } else if (0x31...0x39).contains(bytes[i]) {
            while i < bytes.count, (0x30...0x39).contains(bytes[i]) { i += 1 }
        } else {
            return nil
        }
        if i < bytes.count, bytes[i] == 0x2E {
            integral = false
            i += 1
            let digits = i
            while i < bytes.count, (0x30...0x39).contains(bytes[i]) { i += 1 }
            guard i > digits else { return nil }
        }
        if i < bytes.count, bytes[i] == 0x65 || bytes[i] == 0x45 {
            integral = false
            i += 1
            if i < bytes.count, bytes[i] == 0x2B || bytes[i] == 0x2D { i += 1 }
            let digits = i
            while i < bytes.count, (0x30...0x39).contains(bytes[i]) { i += 1 }
            guard i > digits else { return nil }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
        if integral, let n = Int64(text) { return .int(n) }
        guard let d = Double(text), d.isFinite else { return nil }
        return .double(d)
    }
}
