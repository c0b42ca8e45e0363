@preconcurrency import AsyncKit
import Foundation
import NIOCore
import NIOPosix
import PostgresKit
import SQLKit
import SQLiteKit
import TouchbaseDomain

/// What differs between the engines, in one place: how values are bound, how columns are read,
/// the "now" expression and full-text search. Everything else is shared SQL.
public struct Dialect: Sendable {
    public let engine: Engine

    /// The SQL expression for the current time, in the form the engine stores.
    public var now: String {
        switch engine {
        case .sqlite: "strftime('%Y-%m-%dT%H:%M:%fZ','now')"
        case .postgres: "now()"
        }
    }

    /// After a table name in FROM: SQLite is told to walk `index` (its planner prefers an equality on another index
    /// and sorts every match, where a partial index already holds just the rows, in order); PostgreSQL chooses alone.
    public func indexedBy(_ index: String) -> String {
        engine == .sqlite ? " INDEXED BY \"\(index)\"" : ""
    }

    /// Today's date in the form the engine stores dates.
    public var today: String {
        switch engine {
        case .sqlite: "date('now')"
        case .postgres: "current_date"
        }
    }

    /// How a field is read: the column, or the expression of its read rule.
    public func readExpression(_ field: Field, prefix: String = "") -> String {
        let col = "\(prefix)\"\(field.name)\""
        switch field.readRule {
        case .overdueAfter(let dateField)?:
            return "(CASE WHEN \(col) = 'pending' AND \(prefix)\"\(dateField)\" < \(today) THEN 'overdue' ELSE \(col) END)"
        case nil:
            return col
        }
    }

    /// The select list for an entity: every field, cast where the engine's type has no direct Swift reading.
    public func selectList(_ entity: Entity, alias: String? = nil) -> String {
        let prefix = alias.map { "\($0)." } ?? ""
        return entity.fields.map { field in
            if field.readRule != nil { return "\(readExpression(field, prefix: prefix)) AS \"\(field.name)\"" }
            let col = "\(prefix)\"\(field.name)\""
            switch (engine, field.type) {
            case (.postgres, .jsonObject), (.postgres, .jsonArray): return "\(col)::text AS \"\(field.name)\""
            case (.postgres, .decimal): return "\(col)::float8 AS \"\(field.name)\""
            case (.postgres, .date): return "\(col)::text AS \"\(field.name)\""
            default: return col
            }
        }.joined(separator: ", ")
    }

    /// A bound value for a field, as an SQL expression of the column's type.
    public func bind(_ value: JSONValue, as type: FieldType) -> any SQLExpression {
        if value.isNull { return SQLLiteral.null }
        switch (engine, type) {
        case (.postgres, .uuid):
            if let s = value.stringValue, let id = UUID(uuidString: s) { return SQLBind(id) }
            return SQLBind(value.stringValue ?? "")
        case (.postgres, .timestamp):
            if let s = value.stringValue, let date = Timestamp.parse(s) { return SQLBind(date) }
            return SQLBind(value.stringValue ?? "")
        case (.postgres, .date):
            return SQLQueryString("CAST(\(bind: value.stringValue ?? "") AS date)")
        case (.postgres, .jsonObject), (.postgres, .jsonArray):
            return SQLQueryString("CAST(\(bind: value.serialized) AS jsonb)")
        case (.sqlite, .jsonObject), (.sqlite, .jsonArray):
            return SQLBind(value.serialized)
        case (_, .boolean):
            return SQLBind(value.boolValue ?? false)
        case (_, .integer):
            return SQLBind(value.intValue ?? 0)
        case (_, .decimal):
            return SQLBind(value.doubleValue ?? 0)
        default:
            return SQLBind(value.stringValue ?? value.serialized)
        }
    }

    /// A bound UUID.
    public func bind(_ id: UUID) -> any SQLExpression { bind(.string(id.lowercased), as: .uuid) }

    /// `a, b, c` of bound text values, for an `IN (…)` list.
    public func list(_ values: [String]) -> SQLQueryString {
        var out = SQLQueryString("")
        for (i, value) in values.enumerated() { out += i == 0 ? "\(bind: value)" : ", \(bind: value)" }
        return out
    }

    /// `a, b, c` of bound ids, for an `IN (…)` list.
    public func list(_ ids: [UUID]) -> SQLQueryString {
        var out = SQLQueryString("")
        for (i, id) in ids.enumerated() { out += i == 0 ? "\(bind(id))" : ", \(bind(id))" }
        return out
    }

    /// Reads one column of a row as the JSON value of a field.
    public func decode(_ row: any SQLRow, _ column: String, as type: FieldType) throws -> JSONValue {
        if engine == .sqlite, let value = Self.sqliteValue(row, column, as: type) { return value }
        if try row.decodeNil(column: column) { return .null }
        switch (engine, type) {
        case (.postgres, .uuid): return .string(try row.decode(column: column, as: UUID.self).lowercased)
        case (.postgres, .timestamp): return .string(Timestamp.format(try row.decode(column: column, as: Date.self)))
        case (.sqlite, .timestamp):
            let text = try row.decode(column: column, as: String.self)
            if let date = Timestamp.parse(text) { return .string(Timestamp.format(date)) }
            return .string(text)
        case (_, .jsonObject), (_, .jsonArray):
            let text = try row.decode(column: column, as: String.self)
            return (try? JSONValue.parse(text)) ?? .string(text)
        case (_, .integer): return .int(try row.decode(column: column, as: Int64.self))
        case (_, .decimal): return .double(try row.decode(column: column, as: Double.self))
        case (_, .boolean): return .bool(try row.decode(column: column, as: Bool.self))
        default: return .string(try row.decode(column: column, as: String.self))
        }
    }

    /// A SQLite column read from its stored value in one look-up, for the values the engine stores in the expected
    /// affinity (every value Touchbase writes); nil sends anything else down the general path of `decode`.
    static func sqliteValue(_ row: any SQLRow, _ column: String, as type: FieldType) -> JSONValue? {
        guard let raw = try? row.decode(column: column, as: SQLiteStored.self) else { return nil }
        switch (raw.data, type) {
        case (.null, _): return .null
        case (.text(let text), .timestamp):
            if Timestamp.isCanonical(text) { return .string(text) }
            return Timestamp.parse(text).map { .string(Timestamp.format($0)) } ?? .string(text)
        case (.text(let text), .jsonObject), (.text(let text), .jsonArray): return (try? JSONValue.parse(text)) ?? .string(text)
        case (.integer(let i), .integer): return .int(Int64(i))
        case (.integer(let i), .boolean): return .bool(i != 0)
        case (.float(let d), .decimal): return .double(d)
        case (.integer(let i), .decimal): return .double(Double(i))
        case (.text(let text), .uuid), (.text(let text), .text), (.text(let text), .date): return .string(text)
        default: return nil
        }
    }

    /// Reads a row into a record of `entity`.
    public func record(_ row: any SQLRow, _ entity: Entity) throws -> Record {
        var values: [String: JSONValue] = [:]
        values.reserveCapacity(entity.fields.count)
        for field in entity.fields { values[field.name] = try decode(row, field.name, as: field.type) }
        return Record(entity: entity, values: values)
    }

    /// A full-text condition on an entity's search fields, for a user's query text.
    /// Each word matches as a prefix; all words must match. Nil when the query has no word.
    /// `custom_fields` holds `key` with the text `value`: a containment test served by a GIN index on PostgreSQL,
    /// a bounded look into each row's object on SQLite.
    public func customFieldCondition(key: String, value: String, alias: String) -> SQLQueryString {
        switch engine {
        case .postgres:
            let object = JSONValue.object([key: .string(value)]).serialized
            return SQLQueryString("\(ident: alias).custom_fields @> \(bind: object)::jsonb")
        case .sqlite:
            return SQLQueryString(
                "EXISTS (SELECT 1 FROM json_each(\(ident: alias).custom_fields) WHERE json_each.key = \(bind: key) AND json_each.value = \(bind: value))")
        }
    }

    /// The words of a search query, lowercased.
    static func searchWords(_ query: String) -> [String] {
        query.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber && $0 != "." && $0 != "@" && $0 != "-" })
            .map(String.init).filter { !$0.isEmpty }
    }

    /// The FTS5 MATCH text of a search query (each word a prefix); nil when it has no word.
    func ftsMatch(_ query: String) -> String? {
        let words = Self.searchWords(query)
        guard !words.isEmpty else { return nil }
        return words.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"*" }.joined(separator: " ")
    }

    public func searchCondition(_ entity: Entity, query: String, alias: String) -> (any SQLExpression)? {
        let words = Self.searchWords(query)
        guard !words.isEmpty else { return nil }
        switch engine {
        case .postgres:
            // Built-in full-text search on the generated `search_vector` column (GIN-indexed); no extension needed.
            // A word with `@` or `.` is a prefix of one stored token (an email or a host, which the parser keeps whole
            // in the vector) and goes in as that lexeme; `to_tsquery` would parse a partial email such as
            // `maya.chen@acme` into pieces the vector does not hold. Every other word is parsed as the vector was.
            func lexemes(_ words: [String]) -> String {
                words.map { "'" + $0.replacingOccurrences(of: "'", with: "''").replacingOccurrences(of: "\\", with: "") + "':*" }
                    .joined(separator: " & ")
            }
            let whole = words.filter { $0.contains("@") || $0.contains(".") }
            let parsed = words.filter { !$0.contains("@") && !$0.contains(".") }
            var query = SQLQueryString("\(ident: alias).search_vector @@ (")
            if !parsed.isEmpty { query += "to_tsquery('simple', \(bind: lexemes(parsed)))" }
            if !parsed.isEmpty && !whole.isEmpty { query += " && " }
            if !whole.isEmpty { query += "\(bind: lexemes(whole))::tsquery" }
            return query + ")"
        case .sqlite:
            // FTS5 external-content table `<table>_fts`, kept in step by triggers.
            let match = ftsMatch(query) ?? ""
            return SQLQueryString(
                "\(ident: alias).rowid IN (SELECT rowid FROM \(ident: entity.table + "_fts") WHERE \(ident: entity.table + "_fts") MATCH \(bind: match))"
            )
        }
    }
}

/// A row of one entity, as JSON values keyed by column name.
public struct Record: Sendable, Hashable {
    public let entity: Entity
    public var values: [String: JSONValue]

    public init(entity: Entity, values: [String: JSONValue]) {
        self.entity = entity
        self.values = values
    }

    public subscript(_ field: String) -> JSONValue { values[field] ?? .null }

    public var id: UUID { UUID(uuidString: self["id"].stringValue ?? "")! }

    public func string(_ field: String) -> String? { self[field].stringValue }
    public func int(_ field: String) -> Int { Int(self[field].intValue ?? 0) }
    public func bool(_ field: String) -> Bool { self[field].boolValue ?? false }
    public func double(_ field: String) -> Double? { self[field].doubleValue }
    public func uuid(_ field: String) -> UUID? { self[field].stringValue.flatMap(UUID.init(uuidString:)) }

    /// The record as a JSON object, fields in their described order.
    public var json: JSONValue { .object(values) }

    /// Compact JSON with the fields in the entity's order.
    public func write(to out: inout String) {
        out += "{"
        var first = true
        for field in entity.fields {
            if !first { out += "," }
            first = false
            JSONValue.writeString(field.name, to: &out)
            out += ":"
            (values[field.name] ?? .null).write(to: &out)
        }
        out += "}"
    }
}

/// Turns driver errors into the domain's errors, the same way on both engines:
/// unique violations become conflicts naming the field, check and foreign-key violations become validation errors.
public enum StoreErrors {
    /// Runs `body`; a unique-constraint conflict it raises is reported as a conflict on `field` with `detail`, any other
    /// error translated as usual.
    static func naming<T>(conflict field: String, _ detail: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            let translated = translate(error)
            if case DomainError.conflict = translated { throw DomainError.conflict(field: field, detail: detail) }
            throw translated
        }
    }

    public static func translate(_ error: any Error) -> any Error {
        if error is DomainError { return error }
        if let unavailable = unavailability(error) { return DomainError.unavailable(unavailable) }
        if let e = error as? SQLiteError {
            let m = e.message
            switch e.reason {
            case .constraint, .constraintUniqueFailed, .constraintPrimaryKeyFailed, .constraintCheckFailed,
                .constraintForeignKeyFailed, .constraintNotNullFailed, .constraintTriggerFailed:
                if m.contains("UNIQUE constraint failed") || m.contains("PRIMARY KEY") {
                    return conflict(uniqueTarget: m)
                }
                if m.contains("FOREIGN KEY") {
                    return DomainError.invalid("reference", "refers to a record that does not exist")
                }
                if m.contains("CHECK constraint failed") {
                    return DomainError.invalid(checkField(m), "breaks the rule \(m.replacingOccurrences(of: "CHECK constraint failed: ", with: ""))")
                }
                if m.contains("NOT NULL constraint failed") {
                    return DomainError.invalid(m.split(separator: ".").last.map(String.init) ?? "field", "is required")
                }
                return refusal(m)
            default:
                return error
            }
        }
        if let e = error as? PSQLError, let state = e.serverInfo?[.sqlState] {
            let constraint = e.serverInfo?[.constraintName] ?? ""
            let message = e.serverInfo?[.message] ?? "constraint violated"
            switch state {
            case "23505": return conflict(uniqueTarget: constraint)
            case "23503": return DomainError.invalid("reference", "refers to a record that does not exist")
            case "23514": return DomainError.invalid(checkField(constraint), "breaks the rule \(constraint)")
            case "23502":
                return DomainError.invalid(e.serverInfo?[.columnName] ?? "field", "is required")
            // The server's own text differs from what SQLite would say (it stores what it is given): a neutral message
            // names the kind of value instead, the same whichever engine is asked.
            case "22P02": return DomainError.badRequest("A value could not be read as its field's type (a number, id, boolean or JSON value).")
            case "22007", "22008": return DomainError.badRequest("A date or time could not be read, or is out of range.")
            case "22003": return DomainError.badRequest("A number is out of its field's range.")
            case "P0001": return refusal(message)
            default: return error
            }
        }
        return error
    }

    /// A trigger's refusal: `invalid FIELD: message` names a field at fault (422), anything else refuses the write (409).
    static func refusal(_ message: String) -> DomainError {
        if message.hasPrefix("invalid "), let colon = message.firstIndex(of: ":") {
            let field = message[message.index(message.startIndex, offsetBy: 8)..<colon]
            if !field.isEmpty, !field.contains(" ") {
                return DomainError.invalid(String(field), message[message.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            }
        }
        return DomainError.refused(message)
    }

    /// Why the database could not serve a request now, when `error` says it is away, restarting, busy or slow:
    /// such a request may be retried (503). Nil for every other error.
    static func unavailability(_ error: any Error) -> String? {
        if let e = error as? ConnectionPoolTimeoutError, case .connectionRequestTimeout = e {
            return "The database had no free connection in time; try again shortly."
        }
        if error is ConnectionPoolError { return "The database connection pool is closed (the server is stopping)." }
        if error is CancellationError { return "The request was cancelled before it finished (its deadline passed, or the server is stopping)." }
        if let e = error as? SQLiteError, [.busy, .busyTimeout, .busyInRecovery, .busyInSnapshot, .locked].contains(e.reason) {
            return "The database is busy; try again shortly."
        }
        if let e = error as? PSQLError {
            if let state = e.serverInfo?[.sqlState] {
                // 08: connection exception; 57P01-57P03: shutdown or start-up; 53: out of resources; 57014: timeout.
                if state.hasPrefix("08") || ["57P01", "57P02", "57P03", "53300", "53000", "57014"].contains(state) {
                    return "The database is not available now (\(e.serverInfo?[.message] ?? state)); try again shortly."
                }
                return nil
            }
            switch e.code {
            case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed,
                .queryCancelled:
                return "The database connection was lost; try again shortly."
            default: return nil
            }
        }
        if error is IOError || error is ChannelError || error is NIOConnectionError {
            return "The database cannot be reached now; try again shortly."
        }
        return nil
    }

    /// Unique indexes are named `ux_<table>__<field>`; SQLite names the columns instead.
    static func conflict(uniqueTarget: String) -> DomainError {
        var field: String?
        if let r = uniqueTarget.range(of: "__") {
            field = String(uniqueTarget[r.upperBound...]).trimmingCharacters(in: CharacterSet(charactersIn: "'\""))
        } else if let r = uniqueTarget.range(of: "failed: ") {
            let cols = uniqueTarget[r.upperBound...].split(separator: ",").map {
                $0.split(separator: ".").last.map(String.init)?.trimmed ?? ""
            }
            field = cols.joined(separator: ",")
        }
        switch field {
        case "pair", "contact_id_1,contact_id_2":
            return .conflict(field: "contact_id_2", detail: "These two contacts already have a relationship (in one direction or the other).")
        case "sequence_position", "sequence_id,position":
            return .conflict(field: "position", detail: "This sequence already has a step at this position.")
        case "sequence_contact", "sequence_id,contact_id":
            return .conflict(field: "contact_id", detail: "This contact is already enrolled in this sequence (active or paused).")
        case let f?:
            return .conflict(field: f, detail: "Another record already has this \(f).")
        case nil:
            return .conflict(field: nil, detail: "A record with these values already exists.")
        }
    }

    /// Check constraints are named `ck_<table>__<field>`.
    static func checkField(_ text: String) -> String {
        if let r = text.range(of: "__") {
            return String(text[r.upperBound...]).trimmingCharacters(in: CharacterSet(charactersIn: "'\" "))
        }
        return "field"
    }
}

/// A SQLite column's stored value as it is, read through SQLKit's row without conversion.
struct SQLiteStored: SQLiteDataConvertible, Decodable {
    let data: SQLiteData
    init?(sqliteData: SQLiteData) { data = sqliteData }
    var sqliteData: SQLiteData? { data }
    init(from decoder: any Decoder) throws {
        throw DecodingError.typeMismatch(Self.self, .init(codingPath: decoder.codingPath, debugDescription: "only read from SQLite"))
    }
}
