import Foundation
import SQLKit
import TouchbaseDomain

/// Campaigns filled from company slots (seed 004).
public struct CampaignRepository: StoreBacked {
    public let store: RecordStore
    public init(database: Database) { store = RecordStore(database: database) }

    /// Adds the company's slot contacts whose email is green to the campaign (seed 004's "campaign ready" pattern).
    public func addMembersFromSlots(campaignID: UUID, companyID: UUID) async throws -> (added: Int, members: [Record]) {
        _ = try await store.get(Entities.campaigns, campaignID)
        _ = try await store.get(Entities.companies, companyID)
        let green = try await SlotRepository(database: database).slots(companyID: companyID).filter { $0.string("email_status") == "green" }.compactMap { $0.uuid("contact_id") }
        let existing = Set(try await store.select(
            Entities.campaignContacts, where: [("campaign_id", .string(campaignID.lowercased))]).compactMap { $0.uuid("contact_id") })
        let toAdd = Array(Set(green).subtracting(existing)).sorted { $0.lowercased < $1.lowercased }
        try await database.transaction { sql in
            for contact in toAdd {
                _ = try await store.insert(
                    Entities.campaignContacts, ["campaign_id": .string(campaignID.lowercased), "contact_id": .string(contact.lowercased)], on: sql)
            }
        }
        let members = try await store.select(Entities.campaignContacts, where: [("campaign_id", .string(campaignID.lowercased))])
        return (toAdd.count, members)
    }
}
