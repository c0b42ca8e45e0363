import Foundation
import SQLKit
import TouchbaseDomain

/// Renewal windows and the signals they raise (seed 004).
public struct RenewalRepository: StoreBacked {
    public let store: RecordStore
    public init(database: Database) { store = RecordStore(database: database) }

    public static let nextRenewals = Entity(
        table: "next_renewals", singular: "renewal", schemaName: "NextRenewal",
        summary: "A company's next renewal date and campaign window start (seed 004's vw_next_renewal).",
        fields: [
            Field("company_id", .uuid), Field("company_name", .text), Field("renewal_month", .integer),
            Field("renewal_notice_window_days", .integer), Field("next_renewal_date", .date), Field("campaign_window_start", .date),
        ])

    public static let dueRenewals = Entity(
        table: "due_renewals", singular: "renewal", schemaName: "DueRenewal",
        summary: "A company in its renewal window (seed 004's vw_due_renewals_ready).",
        fields: nextRenewals.fields + [Field("has_green_contact", .boolean)])

    /// The signal the scan raises when a renewal's campaign window opens.
    public static let windowSignal = "renewal_window_open_120d"

    public func renewals(due: Bool, limit: Int = 500) async throws -> [Record] {
        if due {
            return try await store.view(
                Self.dueRenewals, where: "has_green_contact = \(dialect.bind(.bool(true), as: .boolean))", order: "next_renewal_date, company_id", limit: limit)
        }
        return try await store.view(Self.nextRenewals, where: "1 = 1", order: "next_renewal_date, company_id", limit: limit)
    }

    /// Raises `renewal_window_open_120d` once per company and renewal whose campaign window has opened.
    public func scanSignals() async throws -> [Record] {
        let open = try await store.view(Self.dueRenewals, where: "1 = 1", order: "company_id")
        var created: [Record] = []
        for r in open {
            guard let company = r.uuid("company_id"), let date = r.string("next_renewal_date") else { continue }
            let key = "renewal_window_open_120d:\(company.lowercased):\(date)"
            if try await !store.select(Entities.signals, where: [("dedupe_key", .string(key))], limit: 1).isEmpty { continue }
            do {
                created.append(try await store.create(Entities.signals, [
                    "company_id": .string(company.lowercased), "signal_type": .string(Self.windowSignal), "dedupe_key": .string(key),
                    "description": .string("Renewal on \(date): the campaign window opened on \(r.string("campaign_window_start") ?? "")."),
                    "payload": ["renewal_date": .string(date), "campaign_window_start": r["campaign_window_start"],
                                "renewal_notice_window_days": r["renewal_notice_window_days"]],
                ]))
            } catch DomainError.conflict {
                continue  // raised by a concurrent scan
            }
        }
        return created
    }
}
