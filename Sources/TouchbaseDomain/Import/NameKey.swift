import Foundation

/// The key a name is matched on when a record has nothing better (no domain, email or LinkedIn URL): worked out in
/// Swift, the same way for both engines, and stored in `name_key` with an index. SQLite's `lower()` folds ASCII
/// only, so matching on `lower(name)` let `Menderes Tekstil A.Ş.` and `MENDERES TEKSTİL A.Ş.` differ there and
/// not on PostgreSQL; a key computed once, here, cannot.
public enum NameKey {
    /// How an entity's key is made, and from which fields.
    public enum Rule: Sendable, Hashable {
        /// A company's name: legal suffixes (Inc, GmbH, A.Ş., …) set aside.
        case company
        /// A person's first and last names.
        case person

        public var sources: [String] { self == .company ? ["name"] : ["first_name", "last_name"] }

        /// The key of a record with these source values (nil ones read as empty).
        public func key(_ values: [String: JSONValue]) -> String {
            let key: String
            switch self {
            case .company: key = NameKey.company(values["name"]?.stringValue ?? "")
            case .person: key = NameKey.person(values["first_name"]?.stringValue, values["last_name"]?.stringValue)
            }
            return NameKey.bounded(key)
        }
    }

    /// A key cut to `Field.keyTextLimit` bytes at a character boundary: NFKC may lengthen a name (a ligature, a
    /// squared word), and an indexed value must stay within what both engines index.
    static func bounded(_ key: String) -> String {
        guard key.utf8.count > Field.keyTextLimit else { return key }
        var out = ""
        var bytes = 0
        for ch in key {
            let n = ch.utf8.count
            if bytes + n > Field.keyTextLimit { break }
            out.append(ch)
            bytes += n
        }
        return out
    }

    /// Compatibility-composed (NFKC), case-folded words: punctuation and symbols become spaces, runs of spaces one.
    public static func words(_ text: String) -> [String] {
        // ASCII is its own NFKC form: fold it byte by byte (most names), without Foundation.
        if text.utf8.allSatisfy({ $0 < 0x80 }) {
            var words: [String] = []
            var current: [UInt8] = []
            for b in text.utf8 {
                switch b {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"): current.append(b + 32)
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): current.append(b)
                case UInt8(ascii: "'"): continue
                default:
                    if !current.isEmpty {
                        words.append(String(decoding: current, as: UTF8.self))
                        current.removeAll(keepingCapacity: true)
                    }
                }
            }
            if !current.isEmpty { words.append(String(decoding: current, as: UTF8.self)) }
            return words
        }
        // Lowercasing İ gives i + U+0307 (no precomposed form): the dot goes, so MENDERES TEKSTİL is menderes tekstil.
        let folded = text.precomposedStringWithCompatibilityMapping.lowercased().replacingOccurrences(of: "i\u{0307}", with: "i")
        var words: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in folded.unicodeScalars {
            if scalar.properties.isAlphabetic || scalar.properties.numericType != nil || scalar.properties.generalCategory == .nonspacingMark {
                current.append(scalar)
            } else if scalar == "'" || scalar == "\u{2019}" {
                continue  // O'Brien and O’Brien are one name
            } else if !current.isEmpty {
                words.append(String(current))
                current.removeAll()
            }
        }
        if !current.isEmpty { words.append(String(current)) }
        return words
    }

    /// Legal forms set aside at the end of a company name, written without punctuation ("a.ş." → "aş").
    public static let legalSuffixes: Set<String> = [
        "inc", "incorporated", "llc", "llp", "lp", "ltd", "limited", "corp", "corporation", "co", "company", "plc", "pllc",
        "gmbh", "mbh", "ag", "kg", "gmbhcokg", "ug", "ev", "sa", "sas", "sarl", "srl", "spa", "sl", "slu", "sau", "bv", "nv",
        "pty", "pte", "oy", "oyj", "ab", "as", "asa", "aps", "aş", "ltdşti", "şti", "kk", "sro", "spzoo", "zoo", "doo", "ooo",
        "pvt", "private", "holding", "holdings", "group",
    ]

    /// A company's key: its words with trailing legal forms (one to three words, like "a ş" or "gmbh co kg") set aside;
    /// at least one word is kept, so "Group Inc" stays "group".
    public static func company(_ name: String) -> String {
        var parts = words(name)
        var trimmed = true
        while trimmed && parts.count > 1 {
            trimmed = false
            for width in stride(from: min(3, parts.count - 1), through: 1, by: -1) {
                let tail = parts.suffix(width).joined()
                if legalSuffixes.contains(tail) {
                    parts.removeLast(width)
                    trimmed = true
                    break
                }
            }
        }
        return parts.joined(separator: " ")
    }

    /// A person's key: first and last name words, `|` between.
    public static func person(_ first: String?, _ last: String?) -> String {
        words(first ?? "").joined(separator: " ") + "|" + words(last ?? "").joined(separator: " ")
    }
}
