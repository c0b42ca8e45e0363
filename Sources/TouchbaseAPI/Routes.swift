import Foundation
import Hummingbird
import TouchbaseDomain
import TouchbaseImport
import TouchbaseService
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
                try await database.ping()
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
        let catalogue = Catalogue(database: database)
        endpoints += operations(catalogue)
        endpoints += outreach(database: database)
        endpoints += accounts(database: database)
        endpoints += imports(database: database, jobs: ImportJobs(database: database, directory: importsDirectory, runner: runner), maxUpload: maxUpload)
        for entity in Entities.all {
            endpoints += Resources.endpoints(entity, store: store, writes: Writes(database: database))
        }
        endpoints += [
            Endpoint(
                .get, "/api/v1/contacts/{id}/relationships", "listContactRelationships",
                "Every relationship of a contact, both directions, with the other contact", tag: "relationships",
                access: .read, parameters: [contactID], response: OpenAPI.listOf(OpenAPI.ref("RelatedContact")), problems: [404]
            ) { _, context in
                HTTP.list(try await relationships.relationships(of: try HTTP.id(context, entity: "contact")).map(\.json))
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
        ]
        return endpoints
    }
}
