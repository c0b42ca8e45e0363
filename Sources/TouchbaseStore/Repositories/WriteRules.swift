import Foundation
import TouchbaseDomain

/// Work that follows a write of a record, whatever face made it (faces write through `TouchbaseService.Writes`), for the rules
/// that are not triggers: a contact's priority when one of its inputs may have changed. A new contact starts at the
/// default unless recently hired; a signal moves the priority of the contact it names, or of every contact of the
/// company it names (a company's signal counts for each of its people).
public struct WriteRules: StoreBacked {
    public let store: RecordStore
    public init(database: Database) { store = RecordStore(database: database) }

    /// Whether `entity` has rules here (faces need not call `after` for the others).
    public static func applies(to entity: Entity) -> Bool { ["contacts", "signals"].contains(entity.table) }

    /// The record as it stands once the rules ran.
    public func after(_ entity: Entity, _ record: Record, created: Bool) async throws -> Record {
        let outreach = OutreachRepository(database: database)
        switch entity.table {
        case "contacts":
            if created && !record.bool("recently_hired") { return record }
            return try await outreach.recomputePriority(contactID: record.id)
        case "signals":
            if let contact = record.uuid("contact_id") {
                _ = try await outreach.recomputePriority(contactID: contact)
            } else if let company = record.uuid("company_id") {
                for contact in try await store.select(Entities.contacts, where: [("company_id", .string(company.lowercased))]) {
                    _ = try await outreach.recomputePriority(contactID: contact.id)
                }
            }
            return record
        default:
            return record
        }
    }
}
