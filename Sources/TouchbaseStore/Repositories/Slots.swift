import Foundation
import SQLKit
import TouchbaseDomain

/// A company's CEO, CFO and HR slots, the titles that fit them, and email verification of contacts (seed 004).
public struct SlotRepository: StoreBacked {
    public let store: RecordStore
    public init(database: Database) { store = RecordStore(database: database) }

    public static let slotView = Entity(
        table: "company_slots_view", singular: "company slot", schemaName: "CompanySlotView",
        summary: "A company's slot with its contact and email status (seed 004's vw_company_slots).",
        fields: [
            Field("slot_id", .uuid), Field("company_id", .uuid), Field("company_name", .text), Field("role_code", .text),
            Field("contact_id", .uuid), Field("full_name", .text), Field("title", .text), Field("email", .text),
            Field("email_status", .text),
        ])

    /// Slots in slot order (a page after `after`), or a company's in role order when `companyID` is given and no
    /// page is asked for (`paged` false).
    public func slots(companyID: UUID? = nil, limit: Int = 500, after: UUID? = nil, paged: Bool = false) async throws -> [Record] {
        let d = dialect
        var condition = SQLQueryString("1 = 1")
        if let companyID { condition += " AND company_id = \(d.bind(companyID))" }
        if let after { condition += " AND slot_id > \(d.bind(after))" }
        return try await store.view(Self.slotView, where: condition, order: companyID == nil || paged ? "slot_id" : "role_code", limit: limit)
    }

    /// One slot by its id.
    public func slot(_ id: UUID) async throws -> Record {
        guard let found = try await store.view(Self.slotView, where: "slot_id = \(dialect.bind(id))", order: "slot_id", limit: 1).first else {
            throw DomainError.notFound(entity: "company slot", id: id.lowercased)
        }
        return found
    }

    /// Puts a contact of the company in the slot, or clears it with nil.
    public func assignSlot(companyID: UUID, role: String, contactID: UUID?) async throws -> Record {
        guard Vocabulary.slotRole.contains(role) else {
            throw DomainError.invalid("role", "must be one of CEO, CFO, HR; got '\(role)'")
        }
        _ = try await store.get(Entities.companies, companyID)
        if let contactID {
            guard let contact = try? await store.get(Entities.contacts, contactID) else {
                throw DomainError.invalid("contact_id", "no contact with id \(contactID.lowercased)")
            }
            guard contact.uuid("company_id") == companyID else {
                throw DomainError.invalid("contact_id", "the contact does not work at this company")
            }
        }
        let slot = try await store.select(
            Entities.companySlots, where: [("company_id", .string(companyID.lowercased)), ("role_code", .string(role))], limit: 1
        ).first
        guard let slot else { throw DomainError.notFound(entity: "company slot", id: "\(companyID.lowercased)/\(role)") }
        _ = try await database.transaction { sql in
            try await store.apply(Entities.companySlots, slot.id, ["contact_id": contactID.map { .string($0.lowercased) } ?? .null], on: sql)
        }
        return try await slots(companyID: companyID).first { $0.string("role_code") == role }!
    }

    /// For each empty slot, the company's contacts whose titles fit the role, best first.
    public func slotSuggestions(companyID: UUID) async throws -> [JSONValue] {
        let current = try await slots(companyID: companyID)
        let taken = Set(current.compactMap { $0.uuid("contact_id") })
        let people = try await store.select(Entities.contacts, where: [("company_id", .string(companyID.lowercased))])
        return current.filter { $0["contact_id"].isNull }.map { slot in
            let role = slot.string("role_code") ?? ""
            let ranked = people.filter { !taken.contains($0.id) }
                .compactMap { p in SlotSuggestion.score(role: role, title: p.string("title")).map { (p, $0) } }
                .sorted { ($0.1, $1.0.string("full_name") ?? "") > ($1.1, $0.0.string("full_name") ?? "") }
            return [
                "role_code": .string(role),
                "candidates": .array(ranked.map { p, s in
                    ["contact_id": .string(p.id.lowercased), "full_name": p["full_name"], "title": p["title"], "fit": .int(Int64(s))]
                }),
            ]
        }
    }

    /// Records an email verification.
    public func verify(contactID: UUID, _ body: [String: JSONValue]) async throws -> Record {
        var issues: [FieldIssue] = []
        for key in body.keys where !["email_status", "email_confidence", "email_source_url", "email_checked_at"].contains(key) {
            issues.append(FieldIssue(field: key, message: "is not a verification field"))
        }
        var values: [String: JSONValue] = ["email_checked_at": .string(Timestamp.format(Date()))]
        for name in ["email_status", "email_confidence", "email_source_url", "email_checked_at"] {
            guard let value = body[name], let field = Entities.contacts.field(name) else { continue }
            do { values[name] = try field.check(value) } catch { issues.append(FieldIssue(field: name, message: error.message)) }
        }
        if body["email_status"] == nil { issues.append(FieldIssue(field: "email_status", message: "is required: green, yellow, red or gray")) }
        if !issues.isEmpty { throw DomainError.validation(issues) }
        let final = values
        return try await database.transaction { sql in try await store.apply(Entities.contacts, contactID, final, on: sql) }
    }
}
