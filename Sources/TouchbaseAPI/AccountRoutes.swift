import Foundation
import Hummingbird
import TouchbaseDomain
import TouchbaseStore

extension Routes {
    /// Seeds 003 and 004's endpoints beside their per-table resources.
    static func accounts(database: Database) -> [Endpoint] {
        let campaigns = CampaignRepository(database: database)
        let catalog = CatalogRepository(database: database)
        let events = EventRepository(database: database)
        let llmUsage = LLMUsageRepository(database: database)
        let quality = DataQualityRepository(database: database)
        let renewals = RenewalRepository(database: database)
        let slots = SlotRepository(database: database)
        let intake = IntakeRepository(database: database)
        let id = { (what: String) in Parameter.path("id", "The \(what)'s id.") }
        let limitParam = Parameter.query("limit", ["type": "integer", "minimum": 1, "maximum": 500], "Most rows (default 100).")
        let endpoints: [Endpoint] = [
            Endpoint(
                .post, "/api/v1/contacts/{id}/recommended-solutions", "storeRecommendedSolutions",
                "Store the ranking on the contact's latest research, with the top score as confidence", tag: "solutions",
                access: .write, parameters: [id("contact")], response: OpenAPI.ref("ResearchSnapshot"), problems: [404]
            ) { _, context in
                HTTP.record(try await catalog.storeRecommendations(contactID: try HTTP.id(context, entity: "contact")))
            },
            Endpoint(
                .get, "/api/v1/events/{id}/invitees", "listEventInvitees",
                "Contacts who fit the event's industries and roles, never do-not-contact", tag: "events", access: .read,
                parameters: [id("event"), limitParam], response: OpenAPI.listOf(OpenAPI.ref("Contact")), problems: [404, 422]
            ) { request, context in
                let rows = try await events.invitees(eventID: try HTTP.id(context, entity: "event"), limit: try HTTP.limit(request, default: 100))
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
                return HTTP.list(try await llmUsage.llmSummary(groupBy: HTTP.query(request, "group_by") ?? "workflow", since: since))
            },
            Endpoint(
                .get, "/api/v1/companies/{id}/slots", "listCompanySlots", "The company's CEO, CFO and HR slots", tag: "company_slots",
                access: .read, parameters: [id("company")], response: OpenAPI.listOf(OpenAPI.ref("CompanySlotView")), problems: [404]
            ) { _, context in
                let company = try HTTP.id(context, entity: "company")
                guard try await slots.store.exists(Entities.companies, company) else { throw DomainError.notFound(entity: "company", id: company.lowercased) }
                return HTTP.list(try await slots.slots(companyID: company).map(\.json))
            },
            Endpoint(
                .get, "/api/v1/companies/{id}/slots/suggestions", "suggestSlotContacts",
                "For each empty slot, the company's contacts whose titles fit", tag: "company_slots", access: .read,
                parameters: [id("company")], response: OpenAPI.listOf(OpenAPI.ref("SlotSuggestion")), problems: [404]
            ) { _, context in
                let company = try HTTP.id(context, entity: "company")
                guard try await slots.store.exists(Entities.companies, company) else { throw DomainError.notFound(entity: "company", id: company.lowercased) }
                return HTTP.list(try await slots.slotSuggestions(companyID: company))
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
                return HTTP.json(try await slots.assignSlot(companyID: company, role: context.parameters.get("role") ?? "", contactID: contact).json)
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
                let rows = try await slots.slots(companyID: company, limit: limit + 1, after: after, paged: true)
                let page = Array(rows.prefix(limit))
                return HTTP.json(["data": .array(page.map(\.json)), "next_cursor": rows.count > limit ? page.last?["slot_id"] ?? .null : .null])
            },
            Endpoint(
                .get, "/api/v1/company-slots/{id}", "getCompanySlot", "One company slot with its contact and email status (slots change only through PUT /companies/{id}/slots/{role})",
                tag: "company_slots", access: .read, parameters: [id("company slot")], response: OpenAPI.ref("CompanySlotView"), problems: [404]
            ) { _, context in
                HTTP.json(try await slots.slot(try HTTP.id(context, entity: "company slot")).json)
            },
            Endpoint(
                .put, "/api/v1/contacts/{id}/verification", "verifyContactEmail",
                "Record an email verification: status green/yellow/red/gray, confidence 0-100, source", tag: "contacts",
                access: .write, parameters: [id("contact")], request: OpenAPI.ref("Verification"), response: OpenAPI.ref("Contact"),
                problems: [400, 404, 422]
            ) { request, context in
                HTTP.record(try await slots.verify(contactID: try HTTP.id(context, entity: "contact"), try await HTTP.object(request, context: context)))
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
                let (added, members) = try await campaigns.addMembersFromSlots(campaignID: campaign, companyID: company)
                return HTTP.json(["added": .int(Int64(added)), "members": .array(members.map(\.json))])
            },
            Endpoint(
                .post, "/api/v1/signals/scan", "scanSignals",
                "Raise renewal_window_open_120d once per company and renewal whose window has opened", tag: "signals",
                access: .write, response: OpenAPI.listOf(OpenAPI.ref("Signal"))
            ) { _, _ in HTTP.page(try await renewals.scanSignals(), nextCursor: nil) },
            Endpoint(
                .get, "/api/v1/renewals/next", "listNextRenewals", "Next renewal date and campaign window start per company",
                tag: "renewals", access: .read, parameters: [limitParam], response: OpenAPI.listOf(OpenAPI.ref("NextRenewal")), problems: [422]
            ) { request, _ in HTTP.list(try await renewals.renewals(due: false, limit: try HTTP.limit(request, default: 100)).map(\.json)) },
            Endpoint(
                .get, "/api/v1/renewals/due", "listDueRenewals", "Companies in their renewal window with a green slot contact",
                tag: "renewals", access: .read, parameters: [limitParam], response: OpenAPI.listOf(OpenAPI.ref("DueRenewal")), problems: [422]
            ) { request, _ in HTTP.list(try await renewals.renewals(due: true, limit: try HTTP.limit(request, default: 100)).map(\.json)) },
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
            ) { _, _ in HTTP.json(try await quality.dataQuality()) },
        ]
        return endpoints
    }
}
