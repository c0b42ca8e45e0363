import Foundation
import SQLKit
import TouchbaseDomain

/// What a rep must do now (seed 002's command center): replies not yet handled, drafts that passed QC and wait for
/// approval, emails that bounced, follow-ups due by a day, new signals and renewals due, email that matched nobody. Each list is newest first
/// (follow-ups: earliest due first) and bounded, each an index walk (0018's replies and drafts indexes, 0019's
/// touchpoints outcome and id, followups' open index) or a short walk of the newest signals.
public struct TodayRepository: StoreBacked {
    public let store: RecordStore
    public init(database: Database) { store = RecordStore(database: database) }

    public struct Today: Sendable {
        public var replies: [Record]
        public var drafts: [Record]
        /// Drafts approved (ready) and waiting to be sent.
        public var ready: [Record]
        public var bounces: [Record]
        public var followups: [Record]
        public var signals: [Record]
        public var renewals: [Record]
        /// Email taken in that matched nobody, for a person to assign.
        public var unmatched: [Record]
        /// The messages the replies came in (their thread and full text).
        public var inbound: [Record]
        /// The people these rows are about, by id.
        public var contacts: [String: Record]
        public var companies: [String: Record]

        public var json: JSONValue {
            func list(_ rows: [Record]) -> JSONValue { .array(rows.map(\.json)) }
            return [
                "replies": list(replies), "drafts": list(drafts), "ready": list(ready), "bounces": list(bounces), "followups": list(followups),
                "signals": list(signals), "renewals": list(renewals), "unmatched": list(unmatched), "inbound": list(inbound),
                "contacts": .object(contacts.mapValues(\.json)), "companies": .object(companies.mapValues(\.json)),
            ]
        }
    }

    /// The lists, `limit` rows each; follow-ups due up to `until` (a day, YYYY-MM-DD).
    public func today(until: String, limit: Int = 50) async throws -> Today {
        let replies = try await store.select(
            Entities.replies, where: [("handled_at", .null)], order: "t.handled_at DESC, t.id DESC", limit: limit)
        let drafts = try await store.select(
            Entities.messageDrafts, where: [("approval_status", "draft"), ("qc_passed", .bool(true))],
            order: "t.approval_status DESC, t.qc_passed DESC, t.id DESC", limit: limit)
        let ready = try await store.select(
            Entities.messageDrafts, where: [("approval_status", "ready")], order: "t.approval_status DESC, t.qc_passed DESC, t.id DESC", limit: limit)
        let bounces = try await store.select(Entities.touchpoints, where: [("outcome", "bounced")], order: "t.outcome DESC, t.id DESC", limit: limit)
        let followups = try await OutreachRepository(database: database).followupsDue(until: until, limit: limit)
        let signals = try await store.select(Entities.signals, order: "t.id DESC", limit: limit)
        // Renewals due as the signal scan raised them (`touchbase signals scan`, `scan_signals`): the due-renewals view
        // works out every company's next renewal, half a second at 100,000 companies; the Renewals page has it whole.
        let renewals = try await store.select(
            Entities.signals, where: [("signal_type", .string(RenewalRepository.windowSignal))], order: "t.id DESC", limit: limit)
        let unmatched = try await store.select(
            Entities.inboundMessages, where: [("status", "unmatched")], order: "t.status DESC, t.received_at DESC, t.id DESC", limit: limit)
        let inbound = try await store.select(Entities.inboundMessages, whereIn: "reply_id", replies.map { .string($0.id.lowercased) })
        let contacts = try await store.records(
            Entities.contacts, ids: (replies + drafts + ready + bounces + followups + signals).compactMap { $0.string("contact_id") })
        let companies = try await store.records(
            Entities.companies, ids: (Array(contacts.values) + signals + bounces + renewals).compactMap { $0.string("company_id") })
        return Today(
            replies: replies, drafts: drafts, ready: ready, bounces: bounces, followups: followups, signals: signals, renewals: renewals, unmatched: unmatched, inbound: inbound, contacts: contacts,
            companies: companies)
    }
}
