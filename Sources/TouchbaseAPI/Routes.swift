import Foundation
import Hummingbird
import TouchbaseDomain
import TouchbaseImport
import TouchbaseStore

/// Every route of the API: the derived resources and the graph and engagement endpoints of seed 000.
enum Routes {
    /// The experiment, the metric and the minimum sample: what a verdict is asked with.
    static let verdictParameters: [Parameter] = [
        .path("id", "The experiment's id."), .query("metric", ["type": "string", "enum": ["replies", "meetings"], "default": "replies"], "Rate to test."),
        .query("min_sent", ["type": "integer", "minimum": 1, "default": 30], "Sends each group needs before a verdict."),
    ]

    /// `min_sent` from the query string (default 30), or a 422.
    static func minSent(_ request: Request) throws -> Int {
        guard let text = HTTP.query(request, "min_sent") else { return ExperimentVerdict.defaultMinimumSent }
        guard let n = Int(text), n >= 1 else { throw DomainError.invalid("min_sent", "must be an integer of at least 1; got '\(text)'") }
        return n
    }

    static func all(
        database: Database, importsDirectory: URL? = nil, maxUpload: Int = ServerSettings.defaultMaxUpload, jobs runner: JobRunner? = nil
    ) -> [Endpoint] {
        let store = RecordStore(database: database)
        let relationships = RelationshipRepository(database: database)
        let conversations = ConversationRepository(database: database)
        let touchpoints = TouchpointRepository(database: database)
        let graph = CompanyGraph(database: database)
        let companyID = Parameter.path("id", "The company's id.")
        let contactID = Parameter.path("id", "The contact's id.")
        let conversationID = Parameter.path("id", "The conversation's id.")

        var endpoints: [Endpoint] = [
            Endpoint(.get, "/health", "health", "Liveness and database check", tag: "system", access: nil, response: OpenAPI.ref("Health"))
            { _, _ in
                try await database.withConnection { sql in _ = try await sql.raw("SELECT 1 AS one").first() }
                return HTTP.json(["status": "ok", "database": .string(database.engine.rawValue)])
            },
            // Graph and engagement endpoints come before the resources, so that their constant paths are matched first.
            Endpoint(
                .get, "/api/v1/conversations/needing-followup", "listConversationsNeedingFollowup",
                "Active conversations whose next touch is due, oldest first", tag: "conversations", access: .read,
                parameters: [.query("limit", ["type": "integer", "minimum": 1, "maximum": 500], "Most rows to return (default 100).")],
                response: OpenAPI.listOf(OpenAPI.ref("FollowupDue")), problems: [422]
            ) { request, _ in
                let rows = try await conversations.needingFollowup(limit: try HTTP.limit(request, default: 100))
                return HTTP.list(rows.map(\.json))
            },
        ]
        endpoints += outreach(database: database)
        endpoints += accounts(database: database)
        endpoints += imports(database: database, jobs: ImportJobs(database: database, directory: importsDirectory, runner: runner), maxUpload: maxUpload)
        for entity in Entities.all {
            endpoints += Resources.endpoints(entity, store: store, after: afterWrite(entity, database: database))
        }
        endpoints += [
            Endpoint(
                .get, "/api/v1/companies/{id}/overview", "getAccountOverview",
                "Account overview: company, contacts, relationships, active conversations and summary", tag: "companies",
                access: .read, parameters: [companyID], response: OpenAPI.ref("AccountOverview"), problems: [404]
            ) { _, context in
                HTTP.json(try await graph.accountOverview(try HTTP.id(context, entity: "company")))
            },
            Endpoint(
                .get, "/api/v1/companies/{id}/health", "getAccountHealth", "Account health score 0-100 with breakdown",
                tag: "companies", access: .read, parameters: [companyID], response: OpenAPI.ref("AccountHealth"), problems: [404]
            ) { _, context in
                let id = try HTTP.id(context, entity: "company")
                var json = try await graph.accountHealth(id).json.objectValue ?? [:]
                json["company_id"] = .string(id.lowercased)
                return HTTP.json(.object(json))
            },
            Endpoint(
                .get, "/api/v1/contacts/{id}/relationships", "listContactRelationships",
                "Every relationship of a contact, both directions, with the other contact", tag: "relationships",
                access: .read, parameters: [contactID], response: OpenAPI.listOf(OpenAPI.ref("RelatedContact")), problems: [404]
            ) { _, context in
                HTTP.list(try await relationships.relationships(of: try HTTP.id(context, entity: "contact")).map(\.json))
            },
            Endpoint(
                .get, "/api/v1/contacts/{id}/colleagues", "listColleagues",
                "Other contacts at the same company, with the mapped relationship if any", tag: "relationships",
                access: .read, parameters: [contactID], response: OpenAPI.listOf(OpenAPI.ref("Colleague")), problems: [404]
            ) { _, context in
                HTTP.list(try await relationships.colleagues(of: try HTTP.id(context, entity: "contact")).map(\.json))
            },
            Endpoint(
                .get, "/api/v1/contacts/{id}/expansion-targets", "listExpansionTargets",
                "Related colleagues to reach next, by priority score", tag: "relationships", access: .read,
                parameters: [contactID, .query("min_strength", ["type": "string", "enum": ["weak", "medium", "strong"], "default": "medium"], "Weakest relationship to follow.")],
                response: OpenAPI.listOf(OpenAPI.ref("ExpansionTarget")), problems: [404, 422]
            ) { request, context in
                let id = try HTTP.id(context, entity: "contact")
                _ = try await store.get(Entities.contacts, id)
                let targets = try await graph.expansionTargets(
                    primaryContactID: id, minStrength: HTTP.query(request, "min_strength") ?? "medium")
                return HTTP.list(targets)
            },
            Endpoint(
                .get, "/api/v1/contacts/{id}/context", "getConversationContext",
                "Everything needed to write to a contact: person, company, conversations, engagement, relationships",
                tag: "contacts", access: .read,
                parameters: [
                    contactID, .query("include_company", ["type": "boolean", "default": true], "Include the company."),
                    .query("include_relationships", ["type": "boolean", "default": true], "Include colleagues and relationships."),
                ],
                response: OpenAPI.ref("ConversationContext"), problems: [404, 422]
            ) { request, context in
                HTTP.json(
                    try await graph.conversationContext(
                        try HTTP.id(context, entity: "contact"),
                        includeCompany: try HTTP.bool(request, "include_company", default: true),
                        includeRelationships: try HTTP.bool(request, "include_relationships", default: true)))
            },
            Endpoint(
                .get, "/api/v1/conversations/{id}/touchpoints", "getTouchpointHistory",
                "The conversation's touchpoints in the order they happened", tag: "touchpoints", access: .read,
                parameters: [conversationID], response: OpenAPI.listOf(OpenAPI.ref("Touchpoint")), problems: [404]
            ) { _, context in
                HTTP.page(try await touchpoints.history(conversationID: try HTTP.id(context, entity: "conversation")), nextCursor: nil)
            },
            Endpoint(
                .get, "/api/v1/conversations/{id}/metrics", "getEngagementMetrics",
                "Open, click, reply and bounce rates in percent of outbound touchpoints", tag: "touchpoints", access: .read,
                parameters: [conversationID], response: OpenAPI.ref("EngagementMetrics"), problems: [404]
            ) { _, context in
                let id = try HTTP.id(context, entity: "conversation")
                var json = try await touchpoints.engagementMetrics(conversationID: id).json.objectValue ?? [:]
                json["conversation_id"] = .string(id.lowercased)
                return HTTP.json(.object(json))
            },
            Endpoint(
                .post, "/api/v1/touchpoints/{id}/events", "recordTouchpointEvent",
                "Record delivered, opened, clicked, replied, bounced or failed; the outcome follows", tag: "touchpoints",
                access: .write, parameters: [Parameter.path("id", "The touchpoint's id.")],
                request: OpenAPI.ref("TouchpointEvent"), response: OpenAPI.ref("Touchpoint"), problems: [400, 404, 422]
            ) { request, context in
                let id = try HTTP.id(context, entity: "touchpoint")
                let body = try await HTTP.object(request, context: context)
                var issues: [FieldIssue] = []
                for key in body.keys where !["type", "response", "at"].contains(key) {
                    issues.append(FieldIssue(field: key, message: "is not a field of an event (type, response, at)"))
                }
                let type = body["type"]?.stringValue
                if type == nil { issues.append(FieldIssue(field: "type", message: "is required: one of \(TouchpointRepository.eventTypes.joined(separator: ", "))")) }
                if let r = body["response"], !r.isNull, r.stringValue == nil { issues.append(FieldIssue(field: "response", message: "must be a string")) }
                var at = Date()
                if let a = body["at"], !a.isNull {
                    if let s = a.stringValue, let d = Timestamp.parse(s) { at = d } else {
                        issues.append(FieldIssue(field: "at", message: "must be an ISO 8601 timestamp"))
                    }
                }
                if !issues.isEmpty { throw DomainError.validation(issues) }
                let record = try await touchpoints.recordEvent(id, type: type!, response: body["response"]?.stringValue, at: at)
                return HTTP.record(record)
            },
        ]
        return endpoints
    }

    /// The per-write rules of `WriteRules` (the same for every face), for the entities that have them.
    static func afterWrite(_ entity: Entity, database: Database) -> (@Sendable (Record, Bool) async throws -> Record)? {
        guard WriteRules.applies(to: entity) else { return nil }
        let rules = WriteRules(database: database)
        return { record, created in try await rules.after(entity, record, created: created) }
    }
}
