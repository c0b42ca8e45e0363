import Foundation
import TouchbaseDomain
import TouchbaseStore

/// What an operation gives back. Each face writes it its own way; `json` is the one JSON form (a list is the page
/// object every list is served as: `{data, next_cursor}`).
public enum Output: Sendable {
    case record(Record)
    case records([Record], nextCursor: String?)
    case json(JSONValue)
    case list([JSONValue])

    public var json: JSONValue {
        switch self {
        case .record(let record): record.json
        case .records(let records, let cursor): ["data": .array(records.map(\.json)), "next_cursor": cursor.map { .string($0) } ?? .null]
        case .json(let value): value
        case .list(let values): ["data": .array(values), "next_cursor": .null]
        }
    }

    /// A short account for a ledger: the record's table and id, or how many rows a list held.
    public var summary: JSONValue {
        switch self {
        case .record(let record): ["table": .string(record.entity.table), "id": .string(record.id.lowercased)]
        case .records(let records, let cursor): ["rows": .int(Int64(records.count)), "more": .bool(cursor != nil)]
        case .list(let values): ["rows": .int(Int64(values.count))]
        case .json(let value):
            if let id = value["id"]?.stringValue { ["id": .string(id)] }
            else { ["keys": .array((value.objectValue?.keys.sorted() ?? []).prefix(12).map { .string($0) })] }
        }
    }
}

/// What an operation takes, described with the entity `Field`s so that validation and JSON Schema derive from it.
public enum Input: Sendable {
    /// These arguments, checked by their fields.
    case fields([Field])
    /// A new row of the entity: its writable fields (checked by the entity on create).
    case create(Entity)
    /// A change to a row: the id in `idField` and the fields that may be changed (checked by the entity on update).
    case update(Entity, idField: String)
    /// A change to the one row of a singleton (the ICP profile): the fields that may be changed.
    case patch(Entity)
}

/// The arguments of one call, checked and normalised.
public struct Arguments: Sendable {
    public var values: [String: JSONValue]

    public init(_ values: [String: JSONValue]) { self.values = values }

    public subscript(_ name: String) -> JSONValue { values[name] ?? .null }
    public func string(_ name: String) -> String? { values[name]?.stringValue }
    public func int(_ name: String) -> Int? { values[name]?.intValue.map { Int($0) } }
    public func bool(_ name: String) -> Bool? { values[name]?.boolValue }
    public func object(_ name: String) -> [String: JSONValue]? { values[name]?.objectValue }

    /// A uuid argument the checks made sure of (a required field, or one the caller looked for first).
    public func uuid(_ name: String) throws(DomainError) -> UUID {
        guard let text = values[name]?.stringValue, let id = UUID(uuidString: text) else {
            throw DomainError.invalid(name, "is required: the id (a UUID)")
        }
        return id
    }

    public func optionalUUID(_ name: String) -> UUID? { values[name]?.stringValue.flatMap(UUID.init(uuidString:)) }

    /// The arguments without `names` (what an update leaves as the patch).
    public func removing(_ names: String...) -> [String: JSONValue] {
        values.filter { !names.contains($0.key) }
    }
}

/// One thing a face can do, declared once: the HTTP API, the MCP server, the CLI and the web UI bind it.
public struct Operation: Sendable {
    /// The name agents call it by (`get_account_overview`).
    public let name: String
    /// A title for a person (`Account overview`).
    public let title: String
    /// What it does, when to use it and what it returns, written for a model to act on.
    public let description: String
    public let access: Access
    public let input: Input
    public let output: Shape
    /// Calling it twice with the same arguments changes nothing more.
    public let idempotent: Bool
    let body: @Sendable (Arguments) async throws -> Output

    public init(
        _ name: String, title: String, access: Access, idempotent: Bool = false, input: Input, output: Shape, description: String,
        run: @escaping @Sendable (Arguments) async throws -> Output
    ) {
        self.name = name
        self.title = title
        self.description = description
        self.access = access
        self.input = input
        self.output = output
        self.idempotent = idempotent
        self.body = run
    }

    public var readOnly: Bool { access == .read }

    /// The argument fields (for `create`/`update`, those of the entity that may be given).
    public var fields: [Field] {
        switch input {
        case .fields(let fields): fields
        case .create(let entity): entity.fields.filter(\.isWritable)
        case .update(let entity, let idField):
            [Field(idField, .uuid, required: true, "The \(entity.singular)'s id.")] + entity.fields.filter { $0.access == .writable }
        case .patch(let entity): entity.fields.filter { $0.access == .writable }
        }
    }

    /// The JSON Schema of the arguments.
    public var inputSchema: JSONValue {
        switch input {
        case .fields(let fields):
            var properties: [String: JSONValue] = [:]
            for field in fields { properties[field.name] = field.jsonSchema() }
            return [
                "type": "object", "properties": .object(properties),
                "required": .array(fields.filter(\.required).map { .string($0.name) }), "additionalProperties": false,
            ]
        case .create(let entity):
            return entity.createSchema
        case .patch(let entity):
            return entity.updateSchema
        case .update(let entity, let idField):
            var schema = entity.updateSchema.objectValue ?? [:]
            var properties = schema["properties"]?.objectValue ?? [:]
            properties[idField] = ["type": "string", "format": "uuid", "description": .string("The \(entity.singular)'s id.")]
            schema["properties"] = .object(properties)
            schema["required"] = [.string(idField)]
            schema["description"] = .string("The \(entity.singular)'s id and the fields to change; others stay.")
            return .object(schema)
        }
    }

    /// Checks the arguments: every problem at once, one issue per field (an unknown argument is one).
    public func check(_ raw: [String: JSONValue]) throws(DomainError) -> Arguments {
        switch input {
        case .create, .patch:
            return Arguments(raw)  // the entity checks its own fields on create, with the same messages on every face
        case .update(_, let idField):
            guard let id = raw[idField] else { throw DomainError.invalid(idField, "is required: the id (a UUID)") }
            guard let text = id.stringValue, let uuid = UUID(uuidString: text) else { throw DomainError.invalid(idField, "must be a UUID") }
            var values = raw
            values[idField] = .string(uuid.lowercased)
            return Arguments(values)
        case .fields(let fields):
            var issues: [FieldIssue] = []
            var values: [String: JSONValue] = [:]
            let byName = Dictionary(uniqueKeysWithValues: fields.map { ($0.name, $0) })
            for (key, value) in raw {
                guard let field = byName[key] else {
                    issues.append(FieldIssue(field: key, message: "is not an argument of \(name) (\(fields.map(\.name).joined(separator: ", ")))"))
                    continue
                }
                do { values[key] = try field.check(value) } catch { issues.append(FieldIssue(field: key, message: error.message)) }
            }
            for field in fields {
                if values[field.name] == nil || values[field.name] == .null {
                    if field.required, !issues.contains(where: { $0.field == field.name }) {
                        issues.append(FieldIssue(field: field.name, message: "is required"))
                    } else if let d = field.defaultValue {
                        values[field.name] = d
                    }
                }
            }
            if !issues.isEmpty { throw DomainError.validation(issues.sorted { $0.field < $1.field }) }
            return Arguments(values)
        }
    }

    /// Reads arguments given as text (an HTTP query string) by their fields' types; what cannot be read is reported
    /// by `check` with the field's own message.
    public func arguments(fromText text: [String: String]) -> [String: JSONValue] {
        let byName = Dictionary(uniqueKeysWithValues: fields.map { ($0.name, $0) })
        var values: [String: JSONValue] = [:]
        for (key, raw) in text {
            guard let field = byName[key] else { values[key] = .string(raw); continue }
            values[key] = (try? field.parseFilter(raw)) ?? .string(raw)
        }
        return values
    }

    /// Checks the arguments and runs the operation.
    public func run(_ raw: [String: JSONValue]) async throws -> Output {
        try await body(try check(raw))
    }
}
