import Foundation
import Hummingbird
import TouchbaseDomain
import TouchbaseStore

/// Every route of the API: the derived resources and the graph and engagement endpoints of seed 000.
enum Routes {
    static func all(database: Database) -> [Endpoint] {
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

    /// Work that follows a write through the API: a contact's priority when one of its inputs changed.
    static func afterWrite(_ entity: Entity, database: Database) -> (@Sendable (Record) async throws -> Record)? {
        let outreach = OutreachRepository(database: database)
        switch entity.table {
        case "contacts":
            return { contact in try await outreach.recomputePriority(contactID: contact.id) }
        case "signals":
            return { signal in
                if let contact = signal.uuid("contact_id") { try await outreach.recomputePriority(contactID: contact) }
                return signal
            }
        default:
            return nil
        }
    }

    /// Seed 002's endpoints beside its per-table resources.
    static func outreach(database: Database) -> [Endpoint] {
        let outreach = OutreachRepository(database: database)
        let id = { (what: String) in Parameter.path("id", "The \(what)'s id.") }
        return [
            Endpoint(
                .get, "/api/v1/icp-profile", "getActiveICPProfile", "The ICP profile scores are computed against", tag: "icp",
                access: .read, response: OpenAPI.ref("ICPProfile")
            ) { _, _ in HTTP.record(try await outreach.icpProfile()) },
            Endpoint(
                .put, "/api/v1/icp-profile", "updateActiveICPProfile", "Change the ICP profile (the fields given)", tag: "icp",
                access: .write, request: OpenAPI.ref("ICPProfileUpdate"), response: OpenAPI.ref("ICPProfile"), problems: [400, 422]
            ) { request, context in
                HTTP.record(try await outreach.updateICPProfile(try await HTTP.object(request, context: context)))
            },
            Endpoint(
                .post, "/api/v1/contacts/{id}/icp-score", "scoreContactICP",
                "Score a contact 0-12 against the ICP profile; stores an icp_scores row and recomputes the priority",
                tag: "icp", access: .write, parameters: [id("contact")], status: 201, response: OpenAPI.ref("ICPScore"),
                problems: [404]
            ) { _, context in
                HTTP.record(try await outreach.scoreICP(contactID: try HTTP.id(context, entity: "contact")), status: .created)
            },
            Endpoint(
                .post, "/api/v1/message-drafts/{id}/qc", "checkDraft",
                "Run the QC checks on a draft; sets qc_passed and qc_flags", tag: "message_drafts", access: .write,
                parameters: [id("message draft")], response: OpenAPI.ref("QCResult"), problems: [404]
            ) { request, context in
                let runID = request.headers[Authenticator.agentRunHeader].flatMap { UUID(uuidString: $0) }
                let (draft, flags) = try await outreach.qc(draftID: try HTTP.id(context, entity: "message draft"), runID: runID)
                return HTTP.json(["passed": .bool(flags.isEmpty), "flags": .array(flags.map { $0.json }), "draft": draft.json])
            },
            Endpoint(
                .get, "/api/v1/message-drafts/{id}/versions", "listDraftVersions", "Earlier texts of a draft, oldest first",
                tag: "message_drafts", access: .read, parameters: [id("message draft")],
                response: OpenAPI.listOf(OpenAPI.ref("MessageVersion")), problems: [404]
            ) { _, context in
                HTTP.page(try await outreach.versions(draftID: try HTTP.id(context, entity: "message draft")), nextCursor: nil)
            },
            Endpoint(
                .get, "/api/v1/followups/due", "listFollowupsDue", "Pending and overdue follow-ups by due date", tag: "followups",
                access: .read,
                parameters: [
                    .query("until", ["type": "string", "format": "date"], "Only those due on or before this day."),
                    .query("limit", ["type": "integer", "minimum": 1, "maximum": 500], "Most rows (default 100)."),
                ],
                response: OpenAPI.listOf(OpenAPI.ref("Followup")), problems: [422]
            ) { request, _ in
                var until: String?
                if let text = HTTP.query(request, "until") {
                    guard text.utf8.count == 10, Timestamp.parse(text) != nil else { throw DomainError.invalid("until", "must be a date such as 2026-11-23") }
                    until = text
                }
                let rows = try await outreach.followupsDue(until: until, limit: try HTTP.limit(request, default: 100))
                return HTTP.page(rows, nextCursor: nil)
            },
            Endpoint(
                .get, "/api/v1/experiments/{id}/results", "getExperimentResults",
                "Group counts from the batches and the verdict: a winner only when significant at 5%", tag: "experiments",
                access: .read,
                parameters: [id("experiment"), .query("metric", ["type": "string", "enum": ["replies", "meetings"], "default": "replies"], "Rate to test.")],
                response: OpenAPI.ref("ExperimentResults"), problems: [404, 422]
            ) { request, context in
                HTTP.json(try await outreach.experimentResults(
                    try HTTP.id(context, entity: "experiment"), metric: HTTP.query(request, "metric") ?? "replies"))
            },
            Endpoint(
                .post, "/api/v1/batches/{id}/assign-groups", "assignBatchGroups",
                "Deal the batch's prospects into balanced A/B(/C) groups with a seeded shuffle", tag: "batches",
                access: .write, parameters: [id("batch")], request: OpenAPI.ref("GroupAssignment"),
                response: OpenAPI.listOf(OpenAPI.ref("BatchProspect")), problems: [400, 404, 422]
            ) { request, context in
                let batch = try HTTP.id(context, entity: "batch")
                let body = try await HTTP.object(request, context: context)
                var groups = ["A", "B"]
                if let g = body["groups"] {
                    guard let list = g.arrayValue?.compactMap(\.stringValue), list.count == g.arrayValue?.count, (2...3).contains(list.count) else {
                        throw DomainError.invalid("groups", "must be a list of two or three groups from A, B, C")
                    }
                    groups = list
                }
                var seed: UInt64 = 0
                if let s = body["seed"] {
                    guard let v = s.intValue, v >= 0 else { throw DomainError.invalid("seed", "must be a non-negative integer") }
                    seed = UInt64(v)
                }
                for key in body.keys where key != "groups" && key != "seed" {
                    throw DomainError.invalid(key, "is not an option (groups, seed)")
                }
                return HTTP.page(try await outreach.assignGroups(batchID: batch, groups: groups, seed: seed), nextCursor: nil)
            },
            Endpoint(
                .get, "/api/v1/agent-runs/{id}/tree", "getAgentRunTree", "A run with its sub-runs and token and duration totals",
                tag: "agent_runs", access: .read, parameters: [id("agent run")], response: OpenAPI.ref("AgentRunTree"),
                problems: [404]
            ) { _, context in
                HTTP.json(try await outreach.agentRunTree(try HTTP.id(context, entity: "agent run")))
            },
        ]
    }
}
