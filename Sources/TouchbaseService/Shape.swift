import TouchbaseDomain

/// The shape of an operation's output: described once, written out as an OpenAPI component (with `$ref`s to the
/// entity schemas) for the HTTP API and inline for an MCP tool's `outputSchema`.
public indirect enum Shape: Sendable {
    /// A stored row of an entity.
    case record(Entity)
    /// A row of a view or query (every column may be null).
    case row(Entity)
    /// One value, described as a field.
    case field(Field)
    /// An object with these properties, in order.
    case object(String, [(String, Shape)])
    /// A list of values.
    case array(Shape)
    /// The value or null.
    case nullable(Shape)
    /// An object whose keys are not fixed.
    case freeform(String)
    /// A list page as every list is served: `{data, next_cursor}`.
    case page(Shape)
    /// A named model: an OpenAPI component the API refers to by name.
    case model(String, Shape)
    /// A reference to a named model declared elsewhere (a model that contains itself); inline, any object.
    case named(String)

    public static func text(_ summary: String, _ vocabulary: [String]? = nil) -> Shape {
        .field(Field("value", .text, required: true, vocabulary: vocabulary, summary))
    }
    public static func integer(_ summary: String) -> Shape { .field(Field("value", .integer, required: true, summary)) }
    public static func number(_ summary: String) -> Shape { .field(Field("value", .decimal, required: true, summary)) }
    public static func boolean(_ summary: String) -> Shape { .field(Field("value", .boolean, required: true, summary)) }
    public static func uuid(_ summary: String) -> Shape { .field(Field("value", .uuid, required: true, summary)) }

    /// The schema with every model written out in place (what an MCP client validates `structuredContent` with).
    public var inlineSchema: JSONValue {
        var ignored: [String: JSONValue] = [:]
        return schema(inline: true, models: &ignored)
    }

    /// The schema, naming the entity schemas and models by `$ref`; the models met are added to `models`.
    public func referencingSchema(models: inout [String: JSONValue]) -> JSONValue { schema(inline: false, models: &models) }

    func schema(inline: Bool, models: inout [String: JSONValue]) -> JSONValue {
        switch self {
        case .record(let entity):
            return inline ? entity.outputSchema : Self.ref(entity.schemaName)
        case .row(let entity):
            return inline ? entity.outputSchema : Self.ref(entity.schemaName)
        case .field(let field):
            var schema = field.outputSchema.objectValue ?? [:]
            if !field.nullable, case .array(let types)? = schema["type"], let first = types.first { schema["type"] = first }
            if !field.nullable, case .array(let words)? = schema["enum"] { schema["enum"] = .array(words.filter { !$0.isNull }) }
            return .object(schema)
        case .object(let summary, let properties):
            var props: [String: JSONValue] = [:]
            for (name, shape) in properties { props[name] = shape.schema(inline: inline, models: &models) }
            var schema: [String: JSONValue] = ["type": "object", "properties": .object(props)]
            if !summary.isEmpty { schema["description"] = .string(summary) }
            return .object(schema)
        case .array(let item):
            return ["type": "array", "items": item.schema(inline: inline, models: &models)]
        case .nullable(let inner):
            return ["anyOf": [inner.schema(inline: inline, models: &models), ["type": "null"]]]
        case .freeform(let summary):
            return summary.isEmpty ? ["type": "object"] : ["type": "object", "description": .string(summary)]
        case .page(let item):
            return [
                "type": "object", "required": ["data", "next_cursor"],
                "properties": [
                    "data": ["type": "array", "items": item.schema(inline: inline, models: &models)],
                    "next_cursor": ["type": ["string", "null"], "description": "Pass as `cursor` for the next page; null on the last."],
                ],
            ]
        case .named(let name):
            return inline ? ["type": "object"] : Self.ref(name)
        case .model(let name, let shape):
            if inline { return shape.schema(inline: true, models: &models) }
            if models[name] == nil {
                models[name] = ["type": "object"]  // placeholder while the model's own properties are written
                models[name] = shape.schema(inline: false, models: &models)
            }
            return Self.ref(name)
        }
    }

    static func ref(_ name: String) -> JSONValue { ["$ref": .string("#/components/schemas/\(name)")] }
}
