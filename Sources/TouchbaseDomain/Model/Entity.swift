import Foundation

/// The storage type of a field. Each maps to one column type per engine and one JSON Schema type.
public enum FieldType: String, Sendable, Hashable {
    case uuid, text, integer, decimal, boolean, timestamp, date
    /// A JSON object (`{}` by default).
    case jsonObject
    /// A JSON array (`[]` by default).
    case jsonArray

    public var isJSON: Bool { self == .jsonObject || self == .jsonArray }
}

/// How a text value is normalised before it is validated and stored.
public enum Normalization: Sendable, Hashable {
    /// Trimmed and lowercased, must look like `name@host.tld`.
    case email
    /// A bare host name: scheme, `www.`, path, port and trailing dot removed, lowercased.
    case domain
    /// Trimmed URL; LinkedIn URLs lose query, fragment and trailing slash and are lowercased.
    case url
    /// An IANA time zone name (Europe/Berlin), as the system's zone database knows it.
    case timeZone
    /// An SMTP server's URL (smtp://USER:PASS@HOST:PORT or smtps://…), in its canonical form.
    case smtpURL
}

extension Normalization {
    /// A normalised value that carries a secret (a URL's password) taken apart: the value to store without it and the
    /// secret as written (nil: none given, so a stored one stays; empty: remove it). Nil for kinds that carry none.
    public func splittingSecret(_ value: String) -> (stored: String, secret: String?)? {
        guard self == .smtpURL, let url = try? SMTPURL(value) else { return nil }
        return (url.withoutPassword, url.passwordAsWritten)
    }

    /// A stored value with its secret put back.
    public func joiningSecret(_ stored: String, _ secret: String?) -> String? {
        guard self == .smtpURL, let url = try? SMTPURL(stored) else { return nil }
        return url.withPassword(secret)
    }
}

/// A field whose stored value is read through a rule.
public enum ReadRule: Sendable, Hashable {
    /// `pending` reads as `overdue` once the date in `dateField` has passed.
    case overdueAfter(dateField: String)
}

/// Who may set a field.
public enum FieldAccess: Sendable, Hashable {
    /// Set on create and on update.
    case writable
    /// May be given on create only (ids, which are otherwise generated).
    case createOnly
    /// Maintained by the database (counters, timestamps, generated columns).
    case readOnly
}

/// One column of an entity, described once. Storage checks, JSON, validation, filters and the OpenAPI
/// schema all derive from this.
public struct Field: Sendable, Hashable {
    public let name: String
    public let type: FieldType
    /// Must be present and non-null on create.
    public let required: Bool
    /// Whether JSON `null` is an accepted value.
    public let nullable: Bool
    public let access: FieldAccess
    /// Closed list of accepted words, when the field is a vocabulary.
    public let vocabulary: [String]?
    /// Inclusive numeric bounds.
    public let range: ClosedRange<Double>?
    /// Table this field references (a foreign key to its `id`).
    public let references: String?
    public let unique: Bool
    public let normalization: Normalization?
    /// The default the database applies when the field is omitted on create, for documentation.
    public let defaultValue: JSONValue?
    /// The database fills the field when it is omitted with a value it works out then (a new id, now, today).
    public let computedDefault: Bool
    public let summary: String
    public var readRule: ReadRule?
    /// For a JSON array whose items are values of one kind: what each item must be (none, or one field).
    public var items: [Field] = []
    /// For a URL that may carry a password (`smtp_url`): the table that keeps the password apart, never audited and
    /// never read by a face, and the boolean field that says whether one is kept. The row stores the URL without it.
    public var secret: Secret?

    public struct Secret: Sendable, Hashable {
        public let table: String
        public let flag: String
    }

    /// This URL field with its password kept in `table` and `flag` telling whether there is one.
    public func keepingPassword(in table: String, flag: String) -> Field {
        var field = self
        field.secret = Secret(table: table, flag: flag)
        return field
    }

    /// This array field with each item checked as `item` (a date, a number in a range, a word of a vocabulary).
    public func each(_ item: Field) -> Field {
        var field = self
        field.items = [item]
        return field
    }
    /// The longest text accepted, in UTF-8 bytes: `keyTextLimit` for a column an index holds, `textLimit` otherwise.
    public var maxBytes: Int = Field.textLimit

    /// What both engines can hold in an index entry, with room to spare: PostgreSQL's B-tree refuses an entry over
    /// 2,704 bytes (a 500 before this limit); SQLite has no such limit, but the same value must fit on both.
    public static let keyTextLimit = 2_000
    /// Any other text: a megabyte (a long email body fits many times over).
    public static let textLimit = 1_000_000

    public init(
        _ name: String, _ type: FieldType, required: Bool = false, nullable: Bool? = nil,
        access: FieldAccess = .writable, vocabulary: [String]? = nil, range: ClosedRange<Double>? = nil,
        references: String? = nil, unique: Bool = false, normalization: Normalization? = nil,
        default defaultValue: JSONValue? = nil, computedDefault: Bool = false, _ summary: String = ""
    ) {
        self.name = name
        self.type = type
        self.required = required
        self.nullable = nullable ?? (!required && defaultValue == nil && !type.isJSON)
        self.access = access
        self.vocabulary = vocabulary
        self.range = range
        self.references = references
        self.unique = unique
        self.normalization = normalization
        self.defaultValue = defaultValue
        self.computedDefault = computedDefault
        self.summary = summary
    }

    public var isWritable: Bool { access != .readOnly }

    /// Whether the database may fill this column with something other than NULL when an insert omits it: a declared
    /// or computed default, JSON (`{}` or `[]`), a non-null field, or one the database maintains. A column this says
    /// false of may be written as NULL for a row that omits it (checked against both engines' catalogs by a test).
    public var databaseMayDefault: Bool {
        defaultValue != nil || computedDefault || type.isJSON || !nullable || access == .readOnly
    }
}

/// A table, described once: its fields and how it is addressed over HTTP.
public struct Entity: Sendable, Hashable {
    /// Table name, also the JSON name of the collection (`companies`).
    public let table: String
    /// Singular name for messages and schema names (`company`).
    public let singular: String
    /// Name of the OpenAPI schema (`Company`).
    public let schemaName: String
    public let fields: [Field]
    /// Fields covered by full-text search (`?q=`), if the entity is searchable.
    public let searchFields: [String]
    public let summary: String
    /// Pairs of fields that must differ (a relationship cannot join a contact to itself).
    public let distinctPairs: [(String, String)]
    /// Groups of fields of which at least one must be given on create (a touchpoint needs a conversation or a contact).
    public let requiredAny: [[String]]
    /// False for tables only the database writes (the audit log): served read-only.
    public let writable: Bool
    /// How the `name_key` column is worked out from the record's names, for entities matched on them.
    public let nameKey: NameKey.Rule?

    public init(
        table: String, singular: String, schemaName: String, summary: String, searchFields: [String] = [],
        distinctPairs: [(String, String)] = [], requiredAny: [[String]] = [], writable: Bool = true, nameKey: NameKey.Rule? = nil,
        fields: [Field]
    ) {
        self.nameKey = nameKey
        self.requiredAny = requiredAny
        self.writable = writable
        self.table = table
        self.singular = singular
        self.schemaName = schemaName
        self.summary = summary
        self.searchFields = searchFields
        self.distinctPairs = distinctPairs
        let indexed = Set(Self.indexedText[table] ?? [])
        self.fields = fields.map { field in
            var field = field
            if indexed.contains(field.name) { field.maxBytes = Field.keyTextLimit }
            return field
        }
        self.positions = Dictionary(fields.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// The text columns an index holds (or that an indexed key is made from), per table; their values are limited to
    /// `Field.keyTextLimit`. `LengthLimitTests` checks this list against both engines' catalogs.
    public static let indexedText: [String: [String]] = [
        "companies": ["name", "domain", "industry"],
        "contacts": ["first_name", "last_name", "email", "linkedin_url", "role"],
        "industries": ["name"],
        "signals": ["dedupe_key"],
        "llm_usage": ["workflow_name"],
        "agent_runs": ["agent_name"],
        "mailboxes": ["email", "reply_address"],
        "sends": ["message_id", "recipient_domain"],
    ]

    /// Field name → position in `fields`.
    private let positions: [String: Int]

    public static func == (a: Entity, b: Entity) -> Bool { a.table == b.table }
    public func hash(into hasher: inout Hasher) { hasher.combine(table) }

    /// The URL path segment: the table name with hyphens (`audit_log` → `audit-log`).
    public var path: String { table.replacingOccurrences(of: "_", with: "-") }

    public func field(_ name: String) -> Field? { positions[name].map { fields[$0] } }

    public var columnNames: [String] { fields.map(\.name) }

    public enum Mode: Sendable { case create, update }

    /// Checks and normalises an input object for create or update. Every problem is reported at once,
    /// one `FieldIssue` per field at fault.
    public func validate(_ input: [String: JSONValue], mode: Mode) throws(DomainError) -> [String: JSONValue] {
        var issues: [FieldIssue] = []
        var output: [String: JSONValue] = [:]
        for (key, value) in input {
            if nameKey != nil && key == "name_key" { continue }  // worked out below from the names
            guard let field = field(key) else {
                issues.append(FieldIssue(field: key, message: "is not a field of \(singular)"))
                continue
            }
            switch (field.access, mode) {
            case (.readOnly, _):
                issues.append(FieldIssue(field: key, message: "is read-only: the database maintains it"))
                continue
            case (.createOnly, .update):
                issues.append(FieldIssue(field: key, message: "cannot be changed"))
                continue
            default: break
            }
            do {
                output[key] = try field.check(value)
            } catch {
                issues.append(FieldIssue(field: key, message: error.message))
            }
        }
        if mode == .create {
            for field in fields where field.required {
                if output[field.name] == nil && !issues.contains(where: { $0.field == field.name }) {
                    issues.append(FieldIssue(field: field.name, message: "is required"))
                }
            }
        }
        if mode == .create {
            for group in requiredAny where group.allSatisfy({ (output[$0] ?? .null).isNull || output[$0]?.stringValue?.trimmed.isEmpty == true }) {
                issues.append(FieldIssue(field: group[0], message: "is required unless \(group.dropFirst().joined(separator: " or ")) is given"))
            }
        }
        for (a, b) in distinctPairs {
            if let x = output[a], !x.isNull, x == output[b] {
                issues.append(FieldIssue(field: b, message: "must differ from \(a)"))
            }
        }
        if !issues.isEmpty { throw DomainError.validation(issues.sorted { $0.field < $1.field }) }
        if let nameKey, mode == .create || nameKey.sources.allSatisfy({ output[$0] != nil }) {
            output["name_key"] = .string(nameKey.key(output))
        }
        return output
    }

    /// Whether `values` change some but not all of the fields the name key is made from: the stored ones are then
    /// needed to work the key out (see `RecordStore`).
    public func nameKeyNeedsStored(_ values: [String: JSONValue]) -> Bool {
        guard let nameKey, values["name_key"] == nil else { return false }
        return nameKey.sources.contains { values[$0] != nil }
    }
}

/// A field's error before the field name is attached.
public struct FieldProblem: Error, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
}

extension Field {
    /// Checks one value against this field and returns its normalised form.
    /// What an INTEGER column holds on both engines (PostgreSQL's `integer`); a field on a `bigint` column says so
    /// with its own range.
    public static let integerColumnRange: ClosedRange<Double> = Double(Int32.min)...Double(Int32.max)

    /// The values the field accepts: its declared range, or for an integer the column's.
    public var bounds: ClosedRange<Double>? { range ?? (type == .integer ? Self.integerColumnRange : nil) }

    public func check(_ value: JSONValue) throws(FieldProblem) -> JSONValue {
        if value.isNull {
            if required { throw FieldProblem("is required and cannot be null") }
            if !nullable { throw FieldProblem("cannot be null") }
            return .null
        }
        switch type {
        case .uuid:
            guard let s = value.stringValue, let id = UUID(uuidString: s) else {
                throw FieldProblem("must be a UUID")
            }
            return .string(id.lowercased)
        case .text:
            guard var s = value.stringValue else { throw FieldProblem("must be a string, not \(value.typeName)") }
            if s.unicodeScalars.contains("\u{0}") { throw FieldProblem("must not contain NUL characters") }
            if let normalization { s = try Field.normalize(s, normalization) }
            if let vocabulary, !vocabulary.contains(s) {
                throw FieldProblem("must be one of \(vocabulary.joined(separator: ", ")); got '\(s)'")
            }
            if required && s.trimmed.isEmpty { throw FieldProblem("cannot be empty") }
            if s.utf8.count > maxBytes {
                throw FieldProblem("is \(s.utf8.count) bytes long; at most \(maxBytes) bytes (UTF-8) are accepted")
            }
            return .string(s)
        case .integer:
            guard let i = value.intValue else { throw FieldProblem("must be an integer, not \(value.typeName)") }
            if let range = bounds, !range.contains(Double(i)) {
                throw FieldProblem("must be between \(Int64(range.lowerBound)) and \(Int64(range.upperBound))")
            }
            return .int(i)
        case .decimal:
            guard let d = value.doubleValue, d.isFinite else { throw FieldProblem("must be a number, not \(value.typeName)") }
            if let range, !range.contains(d) {
                throw FieldProblem("must be between \(range.lowerBound) and \(range.upperBound)")
            }
            return .double(d)
        case .boolean:
            guard let b = value.boolValue else { throw FieldProblem("must be true or false, not \(value.typeName)") }
            return .bool(b)
        case .timestamp:
            guard let s = value.stringValue, let date = Timestamp.parse(s) else {
                throw FieldProblem("must be an ISO 8601 timestamp such as 2026-11-23T09:30:00Z")
            }
            return .string(Timestamp.format(date))
        case .date:
            guard let s = value.stringValue, s.utf8.count == 10, let date = Timestamp.parse(s) else {
                throw FieldProblem("must be a date such as 2026-11-23")
            }
            return .string(Timestamp.formatDate(date))
        case .jsonObject:
            guard case .object = value else { throw FieldProblem("must be a JSON object, not \(value.typeName)") }
            if value.containsNUL { throw FieldProblem("must not contain NUL characters") }
            return value
        case .jsonArray:
            guard case .array(let elements) = value else { throw FieldProblem("must be a JSON array, not \(value.typeName)") }
            if value.containsNUL { throw FieldProblem("must not contain NUL characters") }
            guard let item = items.first else { return value }
            var checked: [JSONValue] = []
            for (i, element) in elements.enumerated() {
                do throws(FieldProblem) { checked.append(try item.check(element)) } catch {
                    throw FieldProblem("item \(i) \(error.message)")
                }
            }
            return .array(checked)
        }
    }

    /// Reads spreadsheet text as this field's type (numbers with thousands separators, yes/no booleans,
    /// lists separated by `;` or `,`); what cannot be read stays text, so validation reports it.
    public func coerce(text raw: String) -> JSONValue {
        let s = raw.trimmed
        switch type {
        case .integer:
            let digits = s.filter { $0 != "," && $0 != "_" }
            if let i = Int64(digits) { return .int(i) }
            if let d = Double(digits), d.rounded() == d { return .int(Int64(d)) }
            return .string(s)
        case .decimal:
            return Double(s.filter { $0 != "," }).map { .double($0) } ?? .string(s)
        case .boolean:
            switch s.lowercased() {
            case "true", "yes", "y", "1": return .bool(true)
            case "false", "no", "n", "0": return .bool(false)
            default: return .string(s)
            }
        case .jsonArray:
            return .array(s.split(whereSeparator: { $0 == ";" || $0 == "," }).map { .string($0.trimmed) }
                .filter { $0 != .string("") })
        case .jsonObject:
            return (try? JSONValue.parse(s)) ?? .string(s)
        default:
            return .string(s)
        }
    }

    /// Parses a query-string value for a filter on this field.
    public func parseFilter(_ text: String) throws(FieldProblem) -> JSONValue {
        switch type {
        case .integer:
            guard let i = Int64(text) else { throw FieldProblem("must be an integer") }
            return try check(.int(i))
        case .decimal:
            guard let d = Double(text) else { throw FieldProblem("must be a number") }
            return try check(.double(d))
        case .boolean:
            switch text.lowercased() {
            case "true", "1", "yes": return .bool(true)
            case "false", "0", "no": return .bool(false)
            default: throw FieldProblem("must be true or false")
            }
        case .jsonObject, .jsonArray:
            throw FieldProblem("cannot be used as a filter")
        default:
            return try check(.string(text))
        }
    }

    /// Where `needle` starts in `bytes` (ASCII needles).
    static func find(_ needle: StaticString, in bytes: [UInt8]) -> Int? {
        let n = needle.utf8CodeUnitCount
        guard n > 0, bytes.count >= n else { return nil }
        return needle.withUTF8Buffer { pattern -> Int? in
            for i in 0...(bytes.count - n) {
                var j = 0
                while j < n && bytes[i + j] == pattern[j] { j += 1 }
                if j == n { return i }
            }
            return nil
        }
    }

    /// Whether non-ASCII text holds whitespace beyond ASCII's (checked only when there are non-ASCII bytes).
    static func hasUnicodeWhitespace(_ bytes: [UInt8], _ text: String) -> Bool {
        bytes.contains(where: { $0 >= 0x80 }) && text.contains(where: \.isWhitespace)
    }

    public static func normalize(_ raw: String, _ kind: Normalization) throws(FieldProblem) -> String {
        let s = raw.trimmed
        switch kind {
        case .email:
            let e = s.lowercased()
            let b = Array(e.utf8)
            let bad = "must be an email address such as name@example.com; got '\(raw)'"
            guard let at = b.firstIndex(of: UInt8(ascii: "@")), b.lastIndex(of: UInt8(ascii: "@")) == at, at > 0 else { throw FieldProblem(bad) }
            let host = b[(at + 1)...]
            guard host.contains(UInt8(ascii: ".")), host.first != UInt8(ascii: "."), host.last != UInt8(ascii: "."),
                !b.contains(where: { $0 <= 0x20 || $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: ";") || $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">") }),
                !Self.hasUnicodeWhitespace(b, e)
            else { throw FieldProblem(bad) }
            return e
        case .domain:
            var b = Array(s.lowercased().utf8)
            if let r = Self.find("://", in: b) { b.removeFirst(r + 3) }
            if let at = b.lastIndex(of: UInt8(ascii: "@")) { b.removeFirst(at + 1) }
            if let cut = b.firstIndex(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }) { b.removeSubrange(cut...) }
            if let colon = b.firstIndex(of: UInt8(ascii: ":")) { b.removeSubrange(colon...) }
            if Self.find("www.", in: b) == 0, b.dropFirst(4).contains(UInt8(ascii: ".")) { b.removeFirst(4) }
            while b.last == UInt8(ascii: ".") { b.removeLast() }
            guard b.contains(UInt8(ascii: ".")), b.first != UInt8(ascii: "."), Self.find("..", in: b) == nil,
                b.allSatisfy({ ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") || $0 >= 0x80 })
            else { throw FieldProblem("must be a domain such as example.com; got '\(raw)'") }
            return String(decoding: b, as: UTF8.self)
        case .smtpURL:
            do throws(SMTPURL.Problem) {
                let url = try SMTPURL(s)
                return url.withPassword(url.passwordAsWritten)
            } catch {
                throw FieldProblem(error.message)
            }
        case .timeZone:
            guard !s.isEmpty, s.utf8.count <= 64, TimeZone(identifier: s) != nil else {
                throw FieldProblem("must be an IANA time zone such as Europe/Berlin or America/New_York; got '\(raw)'")
            }
            return s
        case .url:
            let b = Array(s.utf8)
            guard !b.isEmpty, !b.contains(where: { $0 <= 0x20 }), !Self.hasUnicodeWhitespace(b, s) else { throw FieldProblem("must be a URL; got '\(raw)'") }
            if Self.find("linkedin.com/", in: Array(s.lowercased().utf8)) != nil {
                var u = s.lowercased()
                if let cut = u.firstIndex(where: { $0 == "?" || $0 == "#" }) { u = String(u[..<cut]) }
                while u.hasSuffix("/") { u.removeLast() }
                if u.hasPrefix("http://") { u = "https://" + u.dropFirst(7) }
                if !u.hasPrefix("https://") { u = "https://" + u }
                if u.hasPrefix("https://linkedin.com/") { u = "https://www." + u.dropFirst("https://".count) }
                return u
            }
            return s
        }
    }
}
