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

    /// Work that follows a write through the API: a contact's priority when one of its inputs may have changed
    /// (a new contact starts at the default unless recently hired).
    static func afterWrite(_ entity: Entity, database: Database) -> (@Sendable (Record, Bool) async throws -> Record)? {
        let outreach = OutreachRepository(database: database)
        switch entity.table {
        case "contacts":
            return { contact, created in
                if created && !contact.bool("recently_hired") { return contact }
                return try await outreach.recomputePriority(contactID: contact.id)
            }
        case "signals":
            return { signal, _ in
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
                "Group counts from the batches and the verdict (z-test, or Fisher's exact test on small counts); a winner only with enough sends and p < 0.05. Changes nothing",
                tag: "experiments", access: .read, parameters: verdictParameters,
                response: OpenAPI.ref("ExperimentResults"), problems: [404, 422]
            ) { request, context in
                HTTP.json(try await outreach.experimentResults(
                    try HTTP.id(context, entity: "experiment"), metric: HTTP.query(request, "metric") ?? "replies", minimumSent: try minSent(request)))
            },
            Endpoint(
                .post, "/api/v1/experiments/{id}/conclude", "concludeExperiment",
                "Store the verdict on the experiment (counts, winner, status completed or inconclusive); 409 while a group has too few sends",
                tag: "experiments", access: .write, parameters: verdictParameters,
                response: OpenAPI.ref("ExperimentResults"), problems: [404, 409, 422]
            ) { request, context in
                HTTP.json(try await outreach.concludeExperiment(
                    try HTTP.id(context, entity: "experiment"), metric: HTTP.query(request, "metric") ?? "replies", minimumSent: try minSent(request)))
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

    /// Seeds 003 and 004's endpoints beside their per-table resources.
    static func accounts(database: Database) -> [Endpoint] {
        let accounts = AccountRepository(database: database)
        let intake = IntakeRepository(database: database)
        let id = { (what: String) in Parameter.path("id", "The \(what)'s id.") }
        let limitParam = Parameter.query("limit", ["type": "integer", "minimum": 1, "maximum": 500], "Most rows (default 100).")
        let daysParam = Parameter.query("days", ["type": "integer", "minimum": 0, "maximum": 3650, "default": 30], "Re-check after this many days.")
        @Sendable func days(_ request: Request) throws -> Int {
            guard let text = HTTP.query(request, "days") else { return 30 }
            guard let n = Int(text), (0...3650).contains(n) else { throw DomainError.invalid("days", "must be an integer from 0 to 3650") }
            return n
        }
        @Sendable func kind(_ request: Request, _ context: AppRequestContext) async throws -> ([String: JSONValue], String) {
            let body = try await HTTP.object(request, context: context)
            guard let kind = body["kind"]?.stringValue else { throw DomainError.invalid("kind", "is required") }
            return (body, kind)
        }
        var endpoints: [Endpoint] = [
            Endpoint(
                .get, "/api/v1/contacts/{id}/recommended-solutions", "listRecommendedSolutions",
                "Solutions mapped to the contact's industry, ranked by overlap with research", tag: "solutions", access: .read,
                parameters: [id("contact")], response: OpenAPI.listOf(OpenAPI.ref("RecommendedSolution")), problems: [404]
            ) { _, context in
                HTTP.list(try await accounts.recommendedSolutions(contactID: try HTTP.id(context, entity: "contact")))
            },
            Endpoint(
                .post, "/api/v1/contacts/{id}/recommended-solutions", "storeRecommendedSolutions",
                "Store the ranking on the contact's latest research, with the top score as confidence", tag: "solutions",
                access: .write, parameters: [id("contact")], response: OpenAPI.ref("ResearchSnapshot"), problems: [404]
            ) { _, context in
                HTTP.record(try await accounts.storeRecommendations(contactID: try HTTP.id(context, entity: "contact")))
            },
            Endpoint(
                .get, "/api/v1/events/{id}/invitees", "listEventInvitees",
                "Contacts who fit the event's industries and roles, never do-not-contact", tag: "events", access: .read,
                parameters: [id("event"), limitParam], response: OpenAPI.listOf(OpenAPI.ref("Contact")), problems: [404, 422]
            ) { request, context in
                let rows = try await accounts.invitees(eventID: try HTTP.id(context, entity: "event"), limit: try HTTP.limit(request, default: 100))
                return HTTP.page(rows, nextCursor: nil)
            },
            Endpoint(
                .get, "/api/v1/llm-usage/summary", "summarizeLLMUsage", "Token and cost sums and p50/p95 latency per group",
                tag: "llm_usage", access: .read,
                parameters: [
                    .query("group_by", ["type": "string", "enum": ["workflow", "node", "model", "day"], "default": "workflow"], "Grouping."),
                    .query("since", ["type": "string", "format": "date-time"], "Only calls at or after this time (or date)."),
                ],
                response: OpenAPI.listOf(OpenAPI.ref("LLMUsageSummary")), problems: [422]
            ) { request, _ in
                var since: Date?
                if let text = HTTP.query(request, "since") {
                    guard let date = Timestamp.parse(text) else { throw DomainError.invalid("since", "must be a date or timestamp") }
                    since = date
                }
                return HTTP.list(try await accounts.llmSummary(groupBy: HTTP.query(request, "group_by") ?? "workflow", since: since))
            },
            Endpoint(
                .get, "/api/v1/companies/{id}/slots", "listCompanySlots", "The company's CEO, CFO and HR slots", tag: "company_slots",
                access: .read, parameters: [id("company")], response: OpenAPI.listOf(OpenAPI.ref("CompanySlotView")), problems: [404]
            ) { _, context in
                let company = try HTTP.id(context, entity: "company")
                guard try await accounts.store.exists(Entities.companies, company) else { throw DomainError.notFound(entity: "company", id: company.lowercased) }
                return HTTP.list(try await accounts.slots(companyID: company).map(\.json))
            },
            Endpoint(
                .get, "/api/v1/companies/{id}/slots/suggestions", "suggestSlotContacts",
                "For each empty slot, the company's contacts whose titles fit", tag: "company_slots", access: .read,
                parameters: [id("company")], response: OpenAPI.listOf(OpenAPI.ref("SlotSuggestion")), problems: [404]
            ) { _, context in
                let company = try HTTP.id(context, entity: "company")
                guard try await accounts.store.exists(Entities.companies, company) else { throw DomainError.notFound(entity: "company", id: company.lowercased) }
                return HTTP.list(try await accounts.slotSuggestions(companyID: company))
            },
            Endpoint(
                .put, "/api/v1/companies/{id}/slots/{role}", "assignCompanySlot",
                "Put a contact of the company in the CEO, CFO or HR slot (null clears it)", tag: "company_slots", access: .write,
                parameters: [id("company"), Parameter(name: "role", location: "path", required: true, schema: ["type": "string", "enum": ["CEO", "CFO", "HR"]], summary: "The slot.")],
                request: OpenAPI.ref("SlotAssignment"), response: OpenAPI.ref("CompanySlotView"), problems: [400, 404, 422]
            ) { request, context in
                let company = try HTTP.id(context, entity: "company")
                let body = try await HTTP.object(request, context: context)
                for key in body.keys where key != "contact_id" { throw DomainError.invalid(key, "is not a slot field (contact_id)") }
                var contact: UUID?
                if let value = body["contact_id"], !value.isNull {
                    guard let text = value.stringValue, let uuid = UUID(uuidString: text) else { throw DomainError.invalid("contact_id", "must be a UUID or null") }
                    contact = uuid
                } else if body["contact_id"] == nil {
                    throw DomainError.invalid("contact_id", "is required (null clears the slot)")
                }
                return HTTP.json(try await accounts.assignSlot(companyID: company, role: context.parameters.get("role") ?? "", contactID: contact).json)
            },
            Endpoint(
                .get, "/api/v1/company-slots", "listAllCompanySlots", "Every company slot with its contact and email status",
                tag: "company_slots", access: .read,
                parameters: [
                    .query("limit", ["type": "integer", "minimum": 1, "maximum": 500], "Page size (default 50)."),
                    .query("cursor", ["type": "string", "format": "uuid"], "The next_cursor of the previous page."),
                    .query("company_id", ["type": "string", "format": "uuid"], "Only this company's slots."),
                ],
                response: OpenAPI.listOf(OpenAPI.ref("CompanySlotView")), problems: [400, 422]
            ) { request, _ in
                for (key, _) in request.uri.queryParameters where !["limit", "cursor", "company_id"].contains(String(key)) {
                    throw DomainError.badRequest("Unknown filter '\(key)': company slots filter on company_id.")
                }
                var company: UUID?
                if let text = HTTP.query(request, "company_id") {
                    guard let id = UUID(uuidString: text) else { throw DomainError.invalid("company_id", "must be a UUID") }
                    company = id
                }
                let limit = try HTTP.limit(request)
                var after: UUID?
                if let c = HTTP.query(request, "cursor") {
                    guard let u = UUID(uuidString: c) else { throw DomainError.badRequest("The cursor '\(c)' is not one this API gave out.") }
                    after = u
                }
                let rows = try await accounts.slots(companyID: company, limit: limit + 1, after: after, paged: true)
                let page = Array(rows.prefix(limit))
                return HTTP.json(["data": .array(page.map(\.json)), "next_cursor": rows.count > limit ? page.last?["slot_id"] ?? .null : .null])
            },
            Endpoint(
                .get, "/api/v1/company-slots/{id}", "getCompanySlot", "One company slot with its contact and email status (slots change only through PUT /companies/{id}/slots/{role})",
                tag: "company_slots", access: .read, parameters: [id("company slot")], response: OpenAPI.ref("CompanySlotView"), problems: [404]
            ) { _, context in
                HTTP.json(try await accounts.slot(try HTTP.id(context, entity: "company slot")).json)
            },
            Endpoint(
                .put, "/api/v1/contacts/{id}/verification", "verifyContactEmail",
                "Record an email verification: status green/yellow/red/gray, confidence 0-100, source", tag: "contacts",
                access: .write, parameters: [id("contact")], request: OpenAPI.ref("Verification"), response: OpenAPI.ref("Contact"),
                problems: [400, 404, 422]
            ) { request, context in
                HTTP.record(try await accounts.verify(contactID: try HTTP.id(context, entity: "contact"), try await HTTP.object(request, context: context)))
            },
            Endpoint(
                .post, "/api/v1/campaigns/{id}/members/from-slots", "addCampaignMembersFromSlots",
                "Add a company's slot contacts whose email is green to the campaign", tag: "campaigns", access: .write,
                parameters: [id("campaign")], request: OpenAPI.ref("CompanyReference"), response: OpenAPI.ref("MembersAdded"),
                problems: [400, 404, 422]
            ) { request, context in
                let campaign = try HTTP.id(context, entity: "campaign")
                let body = try await HTTP.object(request, context: context)
                guard let text = body["company_id"]?.stringValue, let company = UUID(uuidString: text) else {
                    throw DomainError.invalid("company_id", "is required: the company whose slots to add")
                }
                let (added, members) = try await accounts.addMembersFromSlots(campaignID: campaign, companyID: company)
                return HTTP.json(["added": .int(Int64(added)), "members": .array(members.map(\.json))])
            },
            Endpoint(
                .post, "/api/v1/signals/scan", "scanSignals",
                "Raise renewal_window_open_120d once per company and renewal whose window has opened", tag: "signals",
                access: .write, response: OpenAPI.listOf(OpenAPI.ref("Signal"))
            ) { _, _ in HTTP.page(try await accounts.scanSignals(), nextCursor: nil) },
            Endpoint(
                .get, "/api/v1/renewals/next", "listNextRenewals", "Next renewal date and campaign window start per company",
                tag: "renewals", access: .read, parameters: [limitParam], response: OpenAPI.listOf(OpenAPI.ref("NextRenewal")), problems: [422]
            ) { request, _ in HTTP.list(try await accounts.renewals(due: false, limit: try HTTP.limit(request, default: 100)).map(\.json)) },
            Endpoint(
                .get, "/api/v1/renewals/due", "listDueRenewals", "Companies in their renewal window with a green slot contact",
                tag: "renewals", access: .read, parameters: [limitParam], response: OpenAPI.listOf(OpenAPI.ref("DueRenewal")), problems: [422]
            ) { request, _ in HTTP.list(try await accounts.renewals(due: true, limit: try HTTP.limit(request, default: 100)).map(\.json)) },
            Endpoint(
                .post, "/api/v1/companies/{id}/checked", "markCompanyChecked", "Record a site, LinkedIn or news check now",
                tag: "queues", access: .write, parameters: [id("company")], request: OpenAPI.ref("CompanyCheck"),
                response: OpenAPI.ref("Company"), problems: [400, 404, 422]
            ) { request, context in
                let company = try HTTP.id(context, entity: "company")
                let (_, k) = try await kind(request, context)
                return HTTP.record(try await accounts.companyChecked(company, kind: k))
            },
            Endpoint(
                .post, "/api/v1/contacts/{id}/checked", "markContactChecked",
                "Record a profile or email check now (an email check may carry email_status, email_confidence, email_source_url)",
                tag: "queues", access: .write, parameters: [id("contact")], request: OpenAPI.ref("ContactCheck"),
                response: OpenAPI.ref("Contact"), problems: [400, 404, 422]
            ) { request, context in
                let contact = try HTTP.id(context, entity: "contact")
                let (body, k) = try await kind(request, context)
                return HTTP.record(try await accounts.contactChecked(contact, kind: k, body: body))
            },
            Endpoint(
                .post, "/api/v1/intake-loads/{id}/promote", "promoteIntakeLoad",
                "Validate and upsert the staged rows into companies or contacts; re-promoting changes nothing",
                tag: "intake_loads", access: .write, parameters: [id("intake load")], response: OpenAPI.ref("PromotionResult"),
                problems: [404]
            ) { _, context in
                HTTP.json(try await intake.promote(loadID: try HTTP.id(context, entity: "intake load")).json)
            },
            Endpoint(
                .get, "/api/v1/data-quality", "getDataQuality",
                "Companies without complete slots, contacts with an unverified email, queue sizes", tag: "queues", access: .read,
                response: OpenAPI.ref("DataQuality")
            ) { _, _ in HTTP.json(try await accounts.dataQuality()) },
        ]
        for queue in AccountRepository.queues {
            endpoints.append(
                Endpoint(
                    .get, "/api/v1/queues/\(queue)", "queue" + queue.split(separator: "-").map { $0.capitalized }.joined(),
                    "Items whose check is missing or older than `days`, oldest first; gone once checked", tag: "queues",
                    access: .read, parameters: [daysParam, limitParam], response: OpenAPI.listOf(OpenAPI.ref("QueueItem")), problems: [422]
                ) { request, _ in
                    HTTP.list(try await accounts.queue(queue, days: try days(request), limit: try HTTP.limit(request, default: 100)))
                })
        }
        return endpoints
    }
}
