/// JSON Schema (2020-12, as OpenAPI 3.1 and MCP use it) derived from the entity descriptions.
extension Field {
    /// The schema of one field. Filters take the bare type; nullable fields accept null.
    public func jsonSchema(forFilter: Bool = false) -> JSONValue {
        var schema: [String: JSONValue]
        switch type {
        case .uuid: schema = ["type": "string", "format": "uuid"]
        case .text: schema = ["type": "string"]
        case .integer: schema = ["type": "integer"]
        case .decimal: schema = ["type": "number"]
        case .boolean: schema = ["type": "boolean"]
        case .timestamp: schema = ["type": "string", "format": "date-time"]
        case .date: schema = ["type": "string", "format": "date"]
        case .jsonObject: schema = ["type": "object"]
        case .jsonArray:
            schema = ["type": "array"]
            if let item = items.first { schema["items"] = item.jsonSchema(forFilter: true) }
        }
        if let vocabulary { schema["enum"] = .array(vocabulary.map { .string($0) }) }
        if let range = bounds {
            schema["minimum"] = type == .integer ? .int(Int64(range.lowerBound)) : .double(range.lowerBound)
            schema["maximum"] = type == .integer ? .int(Int64(range.upperBound)) : .double(range.upperBound)
        }
        switch normalization {
        case .email?: schema["pattern"] = "^\\s*[^\\s@,;<>\\u0000]+@[^\\s@,;<>.\\u0000]+(\\.[^\\s@,;<>.\\u0000]+)+\\s*$"
        case .domain?: schema["pattern"] = "^\\s*(https?://)?(www\\.)?[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+\\.?(/\\S*)?\\s*$"
        case .url?: schema["pattern"] = "^\\s*[^\\s\\u0000]+\\s*$"
        case .smtpURL?: schema["pattern"] = "^\\s*[sS][mM][tT][pP][sS]?://[^\\s\\u0000]+\\s*$"
        case .timeZone?: schema["pattern"] = "^\\s*[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*\\s*$"
        case nil where type == .text:
            schema["pattern"] = required ? "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$" : "^[^\\u0000]*$"
        case nil: break
        }
        if forFilter { return .object(schema) }
        if !summary.isEmpty { schema["description"] = .string(summary) }
        if let defaultValue { schema["default"] = defaultValue }
        if access == .readOnly { schema["readOnly"] = true }
        if nullable { schema = Self.allowingNull(schema) }
        return .object(schema)
    }

    /// The schema of the field as it is read back (no input patterns; a stored row may hold null where the database
    /// left a column empty).
    public var outputSchema: JSONValue {
        var schema = jsonSchema(forFilter: true).objectValue ?? [:]
        schema["pattern"] = nil
        schema["minimum"] = nil
        schema["maximum"] = nil
        if !summary.isEmpty { schema["description"] = .string(summary) }
        return .object(Self.allowingNull(schema))
    }

    static func allowingNull(_ schema: [String: JSONValue]) -> [String: JSONValue] {
        var schema = schema
        if case .string(let t)? = schema["type"] {
            schema["type"] = [.string(t), "null"]
            if case .array(let words)? = schema["enum"] { schema["enum"] = .array(words + [.null]) }
        }
        return schema
    }
}

extension Entity {
    /// An inline schema of one stored row, as read back.
    public var outputSchema: JSONValue {
        var properties: [String: JSONValue] = [:]
        for field in fields { properties[field.name] = field.outputSchema }
        return ["type": "object", "description": .string(summary), "properties": .object(properties)]
    }

    /// The schema of a new row's fields: what may be given on create.
    public var createSchema: JSONValue {
        var properties: [String: JSONValue] = [:]
        for field in fields where field.isWritable { properties[field.name] = field.jsonSchema() }
        var schema: [String: JSONValue] = [
            "type": "object", "description": .string("Fields of a new \(singular)."),
            "properties": .object(properties), "required": .array(fields.filter(\.required).map { .string($0.name) }),
            "additionalProperties": false,
        ]
        for group in requiredAny {
            schema["anyOf"] = .array(group.map { field in
                ["required": [.string(field)], "properties": .object([field: ["type": "string", "format": "uuid"]])]
            })
        }
        return .object(schema)
    }

    /// The schema of a change: the fields that may be changed, none required.
    public var updateSchema: JSONValue {
        var properties: [String: JSONValue] = [:]
        for field in fields where field.access == .writable { properties[field.name] = field.jsonSchema() }
        return [
            "type": "object", "description": "Fields to change; others stay.", "properties": .object(properties),
            "additionalProperties": false,
        ]
    }
}
