import TouchbaseDomain
import TouchbaseStore

/// Writes the OpenAPI 3.1 document from the endpoints and the entity descriptions.
public enum OpenAPI {
    static func ref(_ name: String) -> JSONValue { ["$ref": .string("#/components/schemas/\(name)")] }

    static func listOf(_ item: JSONValue) -> JSONValue {
        [
            "type": "object", "required": ["data", "next_cursor"],
            "properties": ["data": ["type": "array", "items": item], "next_cursor": ["type": ["string", "null"]]],
        ]
    }

    /// JSON Schema of one field (see `Field.jsonSchema`).
    static func fieldSchema(_ field: Field, forFilter: Bool = false) -> JSONValue { field.jsonSchema(forFilter: forFilter) }

    static func entitySchemas(_ entity: Entity) -> [String: JSONValue] {
        var all: [String: JSONValue] = [:]
        for field in entity.fields { all[field.name] = fieldSchema(field) }
        let name = entity.schemaName
        return [
            name: [
                "type": "object", "description": .string(entity.summary), "properties": .object(all),
                "required": .array(entity.fields.map { .string($0.name) }),
            ],
            "\(name)Create": entity.createSchema,
            "\(name)Update": entity.updateSchema,
            "\(name)Page": listOf(ref(name)),
        ]
    }

    static func viewSchema(_ shape: Entity) -> JSONValue {
        var props: [String: JSONValue] = [:]
        for field in shape.fields {
            var s = fieldSchema(field, forFilter: true).objectValue ?? [:]
            if case .string(let t)? = s["type"] { s["type"] = [.string(t), "null"] }
            props[field.name] = .object(s)
        }
        return ["type": "object", "description": .string(shape.summary), "properties": .object(props)]
    }

    static let object: JSONValue = ["type": "object"]

    /// The schemas no operation's output model writes: problems, /health and the slot assignment's body.
    static var extraSchemas: [String: JSONValue] {
        [
            "Problem": [
                "type": "object", "description": "RFC 9457 problem details.", "required": ["type", "title", "status", "detail"],
                "properties": [
                    "type": ["type": "string"], "title": ["type": "string"], "status": ["type": "integer"],
                    "detail": ["type": "string"], "instance": ["type": "string"], "field": ["type": "string"],
                    "errors": [
                        "type": "array",
                        "items": ["type": "object", "properties": ["field": ["type": "string"], "message": ["type": "string"]]],
                    ],
                ],
            ],
            "Health": ["type": "object", "properties": ["status": ["type": "string"], "database": ["type": "string", "enum": ["sqlite", "postgres"]]]],
            "SlotAssignment": [
                "type": "object", "required": ["contact_id"], "additionalProperties": false,
                "properties": ["contact_id": ["type": ["string", "null"], "format": "uuid"]],
            ],
        ]
    }

    /// The whole document.
    public static func document(_ endpoints: [Endpoint]) -> JSONValue {
        var schemas: [String: JSONValue] = extraSchemas
        for entity in Entities.stored { schemas.merge(entitySchemas(entity)) { a, _ in a } }
        for view in [
            Views.contactRelationships, Views.colleagues, Views.needingFollowup, Views.accountOverview, SlotRepository.slotView,
            RenewalRepository.nextRenewals, RenewalRepository.dueRenewals,
        ] {
            schemas[view.schemaName] = viewSchema(view)
        }
        var paths: [String: JSONValue] = [:]
        for e in endpoints {
            var op: [String: JSONValue] = [
                "operationId": .string(e.operationID), "summary": .string(e.summary), "tags": [.string(e.tag)],
            ]
            if !e.parameters.isEmpty {
                op["parameters"] = .array(e.parameters.map { p in
                    ["name": .string(p.name), "in": .string(p.location), "required": .bool(p.required), "schema": p.schema,
                     "description": .string(p.summary)]
                })
            }
            if let body = e.requestSchema {
                op["requestBody"] = ["required": true, "content": ["application/json": ["schema": body]]]
            }
            if let content = e.requestContent { op["requestBody"] = content }
            var responses: [String: JSONValue] = [:]
            let responseSchema = e.outputShape.map { $0.referencingSchema(models: &schemas) } ?? e.responseSchema
            let success: JSONValue = responseSchema.map { ["description": "Success.", "content": ["application/json": ["schema": $0]]] }
                ?? ["description": "Success, no content."]
            responses[String(e.successStatus)] = e.successContent.map { ["description": "Success.", "content": $0] } ?? success
            for (code, meaning) in e.otherSuccess {
                var other = success.objectValue ?? [:]
                other["description"] = .string(meaning)
                responses[String(code)] = .object(other)
            }
            var problems = e.problems
            if e.access != nil {
                problems += [401, 403]
                op["security"] = [["bearerAuth": []]]
            } else {
                op["security"] = []
            }
            if e.requestSchema != nil || e.requestContent != nil { problems.append(413) }
            if e.access != nil { problems.append(503) }
            problems.append(500)
            for code in Set(problems).sorted() {
                var response: [String: JSONValue] = [
                    "description": .string(problemDescription(code)),
                    "content": ["application/problem+json": ["schema": ref("Problem")]],
                ]
                if code == 503 {
                    response["headers"] = [
                        "Retry-After": ["description": "Seconds to wait before trying again.", "schema": ["type": "integer"]]
                    ]
                }
                responses[String(code)] = .object(response)
            }
            op["responses"] = .object(responses)
            var item = paths[e.path]?.objectValue ?? [:]
            item[e.method.rawValue.lowercased()] = .object(op)
            paths[e.path] = .object(item)
        }
        paths["/openapi.json"] = [
            "get": [
                "operationId": "openapi", "summary": "This document", "tags": ["system"], "security": [],
                "responses": ["200": ["description": "The OpenAPI 3.1 document.", "content": ["application/json": ["schema": object]]]],
            ]
        ]
        return [
            "openapi": "3.1.0",
            "info": [
                "title": "Touchbase API", "version": "0.1.0",
                "description": "Outreach and account-based-marketing command center. Lists return {data, next_cursor}; errors are application/problem+json.",
            ],
            "servers": [["url": "/"]],
            "paths": .object(paths),
            "components": [
                "schemas": .object(schemas),
                "securitySchemes": ["bearerAuth": ["type": "http", "scheme": "bearer", "description": "A token from 'touchbase token create'."]],
            ],
        ]
    }

    static func problemDescription(_ code: Int) -> String {
        switch code {
        case 400: "Malformed request (body is not JSON, unknown filter, bad cursor)."
        case 401: "No token, or an unknown or revoked one."
        case 403: "The token's role does not allow this."
        case 404: "No such record."
        case 409: "Conflict: a duplicate (domain, email, relationship) or a refused state change."
        case 413: "The request body is too large: a JSON body over 10 MiB, an import upload over the server's TOUCHBASE_MAX_UPLOAD (default 1 GiB)."
        case 422: "Invalid field values; `errors` names each field (text a B-tree index holds is at most 2,000 bytes)."
        case 503: "The database is away, restarting, or did not answer within the request's deadline (30 s); try again after `Retry-After` seconds."
        default: "Internal error; details are in the server log."
        }
    }
}
