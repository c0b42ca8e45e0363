import Foundation
import SQLKit
import TouchbaseDomain

/// Events and the contacts who fit them (seed 003).
public struct EventRepository: StoreBacked {
    public let store: RecordStore
    public init(database: Database) { store = RecordStore(database: database) }

    /// Contacts who fit an event: their company's industry is a target industry and their title, role or persona
    /// contains a target role; never one marked do-not-contact. An empty target list does not filter.
    public func invitees(eventID: UUID, limit: Int = 200) async throws -> [Record] {
        let event = try await store.get(Entities.events, eventID)
        let d = dialect
        let industries = (event["target_industries"].arrayValue ?? []).compactMap(\.stringValue).map { $0.lowercased() }
        let roles = (event["target_roles"].arrayValue ?? []).compactMap(\.stringValue).map { $0.lowercased() }.filter { !$0.isEmpty }
        var condition = SQLQueryString("t.do_not_contact = \(d.bind(.bool(false), as: .boolean)) AND t.status <> 'do_not_contact'")
        if !industries.isEmpty {
            var list = SQLQueryString("")
            for (i, name) in industries.enumerated() { list += i == 0 ? "\(bind: name)" : ", \(bind: name)" }
            condition += " AND t.company_id IN (SELECT c.id FROM companies c LEFT JOIN industries i ON i.id = c.industry_id WHERE lower(coalesce(i.name, c.industry, '')) IN (" + list + "))"
        }
        if !roles.isEmpty {
            condition += " AND ("
            for (i, role) in roles.enumerated() {
                let pattern = "%" + role.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
                if i > 0 { condition += " OR " }
                condition += "lower(coalesce(t.title, '') || ' ' || coalesce(t.role, '') || ' ' || coalesce(t.persona_type, '')) LIKE \(bind: pattern) ESCAPE '\\'"
            }
            condition += ")"
        }
        return try await store.view(Entities.contacts, where: condition, order: "t.full_name, t.id", limit: limit, alias: "t")
    }
}
