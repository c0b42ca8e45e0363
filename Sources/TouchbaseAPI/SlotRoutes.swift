import Foundation
import Hummingbird
import TouchbaseDomain
import TouchbaseStore

extension Routes {
    /// Seed 004's slot assignment (a null body clears it) and the keyset-paged list of every slot: the two endpoints
    /// not bound from an operation (a body whose null means "clear", and slot-id cursors).
    static func slots(database: Database) -> [Endpoint] {
        let slots = SlotRepository(database: database)
        let id = { (what: String) in Parameter.path("id", "The \(what)'s id.") }
        let endpoints: [Endpoint] = [
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
        ]
        return endpoints
    }
}
