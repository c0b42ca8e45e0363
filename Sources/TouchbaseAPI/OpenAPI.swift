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

    /// JSON Schema of one field. Filters take the bare type; nullable fields accept null.
    static func fieldSchema(_ field: Field, forFilter: Bool = false) -> JSONValue {
        var schema: [String: JSONValue]
        switch field.type {
        case .uuid: schema = ["type": "string", "format": "uuid"]
        case .text: schema = ["type": "string"]
        case .integer: schema = ["type": "integer"]
        case .decimal: schema = ["type": "number"]
        case .boolean: schema = ["type": "boolean"]
        case .timestamp: schema = ["type": "string", "format": "date-time"]
        case .date: schema = ["type": "string", "format": "date"]
        case .jsonObject: schema = ["type": "object"]
        case .jsonArray: schema = ["type": "array"]
        }
        if let vocabulary = field.vocabulary { schema["enum"] = .array(vocabulary.map { .string($0) }) }
        if let range = field.bounds {
            schema["minimum"] = field.type == .integer ? .int(Int64(range.lowerBound)) : .double(range.lowerBound)
            schema["maximum"] = field.type == .integer ? .int(Int64(range.upperBound)) : .double(range.upperBound)
        }
        switch field.normalization {
        case .email?: schema["pattern"] = "^\\s*[^\\s@,;<>\\u0000]+@[^\\s@,;<>.\\u0000]+(\\.[^\\s@,;<>.\\u0000]+)+\\s*$"
        case .domain?: schema["pattern"] = "^\\s*(https?://)?(www\\.)?[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+\\.?(/\\S*)?\\s*$"
        case .url?: schema["pattern"] = "^\\s*[^\\s\\u0000]+\\s*$"
        case nil where field.type == .text:
            schema["pattern"] = field.required ? "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$" : "^[^\\u0000]*$"
        case nil: break
        }
        if forFilter { return .object(schema) }
        if !field.summary.isEmpty { schema["description"] = .string(field.summary) }
        if let d = field.defaultValue { schema["default"] = d }
        if field.access == .readOnly { schema["readOnly"] = true }
        if field.nullable, case .string(let t)? = schema["type"] {
            schema["type"] = [.string(t), "null"]
            if case .array(let words)? = schema["enum"] { schema["enum"] = .array(words + [.null]) }
        }
        return .object(schema)
    }

    static func entitySchemas(_ entity: Entity) -> [String: JSONValue] {
        var all: [String: JSONValue] = [:]
        var create: [String: JSONValue] = [:]
        var update: [String: JSONValue] = [:]
        for field in entity.fields {
            let schema = fieldSchema(field)
            all[field.name] = schema
            if field.isWritable { create[field.name] = schema }
            if field.access == .writable { update[field.name] = schema }
        }
        let required = entity.fields.filter(\.required).map { JSONValue.string($0.name) }
        let name = entity.schemaName
        var createSchema: [String: JSONValue] = [
            "type": "object", "description": .string("Fields of a new \(entity.singular)."),
            "properties": .object(create), "required": .array(required), "additionalProperties": false,
        ]
        for group in entity.requiredAny {
            createSchema["anyOf"] = .array(group.map { field in
                ["required": [.string(field)], "properties": .object([field: ["type": "string", "format": "uuid"]])]
            })
        }
        return [
            name: [
                "type": "object", "description": .string(entity.summary), "properties": .object(all),
                "required": .array(entity.fields.map { .string($0.name) }),
            ],
            "\(name)Create": .object(createSchema),
            "\(name)Update": [
                "type": "object", "description": .string("Fields to change; others stay."), "properties": .object(update),
                "additionalProperties": false,
            ],
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

    static var extraSchemas: [String: JSONValue] {
        let metricsProps: [String: JSONValue] = Dictionary(
            uniqueKeysWithValues: ["total_touchpoints", "outbound", "inbound", "emails_sent", "delivered", "opened", "clicked", "replied", "bounced"]
                .map { ($0, ["type": "integer"] as JSONValue) }
                + ["open_rate", "click_rate", "reply_rate", "bounce_rate"].map { ($0, ["type": "number", "description": "Percent of outbound touchpoints, one decimal."] as JSONValue) })
        return [
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
            "EngagementMetrics": ["type": "object", "properties": .object(metricsProps)],
            "AccountHealth": [
                "type": "object", "description": "Account health 0-100: coverage 20, engagement 30, recency 20, pipeline 20, relationships 10.",
                "properties": [
                    "company_id": ["type": "string", "format": "uuid"], "total_score": ["type": "number", "minimum": 0, "maximum": 100],
                    "breakdown": ["type": "object", "additionalProperties": ["type": "object", "properties": ["score": ["type": "number"], "max": ["type": "number"]]]],
                    "health_status": ["type": "string", "enum": ["excellent", "good", "fair", "poor", "critical"]],
                    "recommendations": ["type": "array", "items": ["type": "string"]],
                ],
            ],
            "AccountOverview": [
                "type": "object",
                "properties": [
                    "company": ref("Company"),
                    "contacts": ["type": "object", "properties": [
                        "total": ["type": "integer"], "primary": ["type": "array", "items": ref("Contact")],
                        "decision_makers": ["type": "array", "items": ref("Contact")], "champions": ["type": "array", "items": ref("Contact")],
                        "all": ["type": "array", "items": ref("Contact")],
                    ]],
                    "relationships": ["type": "array", "items": ref("ContactRelationship")],
                    "active_conversations": ["type": "array", "items": ref("Conversation")],
                    "summary": ref("AccountOverviewRow"),
                ],
            ],
            "ExpansionTarget": [
                "type": "object",
                "properties": [
                    "contact": ref("Contact"), "relationship_to_primary": object, "engagement_status": object,
                    "priority_score": ["type": "number", "minimum": 0, "maximum": 100],
                ],
            ],
            "ConversationContext": [
                "type": "object",
                "properties": [
                    "contact": ref("Contact"), "company": ["anyOf": [ref("Company"), ["type": "null"]]], "conversations": object,
                    "engagement": object, "relationships": object,
                ],
            ],
            "RelatedContact": [
                "allOf": [ref("ContactRelationship"), ["type": "object", "properties": ["contact": ref("Contact")]]]
            ],
            "RecommendedSolution": [
                "type": "object",
                "properties": [
                    "solution_id": ["type": "string", "format": "uuid"], "name": ["type": "string"], "solution": ref("Solution"),
                    "score": ["type": "number", "minimum": 0, "maximum": 1], "matched": ["type": "array", "items": ["type": "string"]],
                ],
            ],
            "LLMUsageSummary": [
                "type": "object",
                "properties": [
                    "key": ["type": "string"], "calls": ["type": "integer"], "prompt_tokens": ["type": "integer"],
                    "completion_tokens": ["type": "integer"], "total_tokens": ["type": "integer"], "cost": ["type": "number"],
                    "latency_p50_ms": ["type": ["number", "null"]], "latency_p95_ms": ["type": ["number", "null"]],
                ],
            ],
            "SlotSuggestion": [
                "type": "object",
                "properties": ["role_code": ["type": "string"], "candidates": ["type": "array", "items": object]],
            ],
            "SlotAssignment": [
                "type": "object", "required": ["contact_id"], "additionalProperties": false,
                "properties": ["contact_id": ["type": ["string", "null"], "format": "uuid"]],
            ],
            "Verification": [
                "type": "object", "required": ["email_status"], "additionalProperties": false,
                "properties": [
                    "email_status": ["type": "string", "enum": ["green", "yellow", "red", "gray"]],
                    "email_confidence": ["type": ["number", "null"], "minimum": 0, "maximum": 100],
                    "email_source_url": ["type": ["string", "null"], "pattern": "^[^\\u0000]*$"],
                    "email_checked_at": ["type": ["string", "null"], "format": "date-time"],
                ],
            ],
            "CompanyReference": [
                "type": "object", "required": ["company_id"], "properties": ["company_id": ["type": "string", "format": "uuid"]],
            ],
            "MembersAdded": [
                "type": "object",
                "properties": ["added": ["type": "integer"], "members": ["type": "array", "items": ref("CampaignContact")]],
            ],
            "CompanyCheck": [
                "type": "object", "required": ["kind"], "properties": ["kind": ["type": "string", "enum": ["site", "linkedin", "news"]]],
            ],
            "ContactCheck": [
                "type": "object", "required": ["kind"],
                "properties": [
                    "kind": ["type": "string", "enum": ["profile", "email"]],
                    "email_status": ["type": "string", "enum": ["green", "yellow", "red", "gray"]],
                    "email_confidence": ["type": "number", "minimum": 0, "maximum": 100], "email_source_url": ["type": "string"],
                ],
            ],
            "QueueItem": [
                "type": "object",
                "properties": [
                    "company_id": ["type": "string", "format": "uuid"], "contact_id": ["type": "string", "format": "uuid"],
                    "url_type": ["type": "string"], "url": ["type": "string"], "email": ["type": "string"],
                    "last_checked_at": ["type": ["string", "null"], "format": "date-time"],
                ],
            ],
            "PromotionResult": [
                "type": "object",
                "properties": [
                    "inserted": ["type": "integer"], "updated": ["type": "integer"], "skipped": ["type": "integer"], "failed": ["type": "integer"],
                    "errors": ["type": "array", "items": ["type": "object", "properties": ["row": ["type": "integer"], "reason": ["type": "string"]]]],
                ],
            ],
            "DataQuality": ["type": "object"],
            "QCResult": [
                "type": "object",
                "properties": [
                    "passed": ["type": "boolean"], "draft": ref("MessageDraft"),
                    "flags": ["type": "array", "items": ["type": "object", "properties": ["code": ["type": "string"], "message": ["type": "string"]]]],
                ],
            ],
            "ExperimentResults": [
                "type": "object",
                "description": "Counts per group and a two-sided test of the two best groups (two-proportion z-test, or Fisher's exact test when an expected count is under 5); winner only when every compared group has min_sent sends and p < 0.05.",
                "properties": [
                    "experiment": ref("Experiment"), "metric": ["type": "string"], "groups": ["type": "array", "items": object],
                    "compared": ["type": ["array", "null"], "items": ["type": "string"]], "test": ["type": ["object", "null"]],
                    "minimum_sent": ["type": "integer"], "needed": ["type": "object", "additionalProperties": ["type": "integer"]],
                    "verdict": ["type": "string", "enum": ["winner_A", "winner_B", "winner_C", "inconclusive", "insufficient_data"]],
                    "winner": ["type": ["string", "null"]],
                ],
            ],
            "GroupAssignment": [
                "type": "object", "additionalProperties": false,
                "properties": [
                    "groups": ["type": "array", "items": ["type": "string", "enum": ["A", "B", "C"]], "minItems": 2, "maxItems": 3, "uniqueItems": true],
                    "seed": ["type": "integer", "minimum": 0, "maximum": .int(Int64.max)],
                ],
            ],
            "AgentRunTree": [
                "allOf": [ref("AgentRun"), ["type": "object", "properties": [
                    "children": ["type": "array", "items": ["$ref": "#/components/schemas/AgentRunTree"]],
                    "total_tokens": ["type": "integer"], "total_duration_ms": ["type": "integer"], "run_count": ["type": "integer"],
                ]]],
            ],
            "TouchpointEvent": [
                "type": "object", "required": ["type"], "additionalProperties": false,
                "properties": [
                    "type": ["type": "string", "enum": .array(TouchpointRepository.eventTypes.map { .string($0) })],
                    "response": ["type": ["string", "null"], "description": "The reply text, with type replied."],
                    "at": ["type": ["string", "null"], "format": "date-time", "description": "When it happened (default now)."],
                ],
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
            let success: JSONValue = e.responseSchema.map { ["description": "Success.", "content": ["application/json": ["schema": $0]]] }
                ?? ["description": "Success, no content."]
            responses[String(e.successStatus)] = success
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
