import Foundation
import SQLKit
import TouchbaseDomain

/// A repository over one `RecordStore`: its database and dialect come with it.
protocol StoreBacked: Sendable {
    var store: RecordStore { get }
}

extension StoreBacked {
    var database: Database { store.database }
    var dialect: Dialect { store.dialect }
}

extension RecordStore {
    /// Rows of a view (or any described shape) matching a raw condition, in an order.
    func view(
        _ shape: Entity, where condition: SQLQueryString, order: String, limit: Int? = nil, alias: String? = nil, indexedBy index: String? = nil
    ) async throws -> [Record] {
        let from = SQLQueryString("\(ident: shape.table)") + (alias.map { SQLQueryString(" \(unsafeRaw: $0)") } ?? "")
            + SQLQueryString("\(unsafeRaw: index.map(dialect.indexedBy) ?? "")")
        var query = SQLQueryString("SELECT \(unsafeRaw: dialect.selectList(shape, alias: alias)) FROM ") + from + " WHERE " + condition
        query += SQLQueryString(" ORDER BY \(unsafeRaw: order)")
        if let limit { query += " LIMIT \(literal: limit)" }
        let final = query
        return try await database.withConnection { sql in
            try await sql.raw(final).all().map { try dialect.record($0, shape) }
        }
    }

    /// Records of `entity` with the given ids, in the order of `ids`.
    func fetchMany(_ entity: Entity, _ ids: [UUID]) async throws -> [Record] {
        guard !ids.isEmpty else { return [] }
        let query = SQLQueryString("SELECT \(unsafeRaw: selectList(entity)) FROM \(ident: entity.table) WHERE id IN (") + dialect.list(ids) + ")"
        let rows = try await database.withConnection { sql in
            try await sql.raw(query).all().map { try dialect.record($0, entity) }
        }
        let byID = Dictionary(rows.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        return ids.compactMap { byID[$0] }
    }
}

/// Companies (seed 000's `CompanyRepository`).
public struct CompanyRepository: Sendable {
    public let store: RecordStore
    public init(database: Database) { store = RecordStore(database: database) }

    public func create(_ input: [String: JSONValue]) async throws -> Record { try await store.create(Entities.companies, input) }
    public func get(_ id: UUID) async throws -> Record { try await store.get(Entities.companies, id) }
    public func update(_ id: UUID, _ patch: [String: JSONValue]) async throws -> Record {
        try await store.update(Entities.companies, id, patch)
    }
    public func list(_ query: ListQuery = ListQuery()) async throws -> Page { try await store.list(Entities.companies, query) }

    /// The company with this domain; the domain is normalised first (`https://www.Acme.com/x` finds `acme.com`).
    public func getByDomain(_ domain: String) async throws -> Record? {
        guard let normalized = try? Field.normalize(domain, .domain) else { return nil }
        return try await store.select(Entities.companies, where: [("domain", .string(normalized))], limit: 1).first
    }

    /// Full-text search over name, domain and industry; each word matches as a prefix.
    public func search(_ text: String, limit: Int = 20) async throws -> [Record] {
        try await store.list(Entities.companies, ListQuery(search: text, limit: limit)).records
    }
}

/// Contacts (seed 000's `ContactRepository`).
public struct ContactRepository: Sendable {
    public let store: RecordStore
    public init(database: Database) { store = RecordStore(database: database) }

    public func create(_ input: [String: JSONValue]) async throws -> Record { try await store.create(Entities.contacts, input) }
    public func get(_ id: UUID) async throws -> Record { try await store.get(Entities.contacts, id) }
    public func update(_ id: UUID, _ patch: [String: JSONValue]) async throws -> Record {
        try await store.update(Entities.contacts, id, patch)
    }

    /// The contact with this email, compared case-insensitively.
    public func getByEmail(_ email: String) async throws -> Record? {
        try await store.select(Entities.contacts, where: [("email", .string(email.trimmed))], limit: 1).first
    }

    public func findByCompany(_ companyID: UUID) async throws -> [Record] {
        try await store.select(Entities.contacts, where: [("company_id", .string(companyID.lowercased))])
    }

    public func findDecisionMakers(_ companyID: UUID) async throws -> [Record] {
        try await store.select(
            Entities.contacts, where: [("company_id", .string(companyID.lowercased)), ("is_decision_maker", .bool(true))])
    }

    /// Contacts of a company whose `role` is one of `roles`.
    public func findByRole(_ companyID: UUID, roles: [String]) async throws -> [Record] {
        try await findByCompany(companyID).filter { roles.contains($0.string("role") ?? "") }
    }

    public func search(_ text: String, limit: Int = 20) async throws -> [Record] {
        try await store.list(Entities.contacts, ListQuery(search: text, limit: limit)).records
    }
}

/// A relationship as seen from one contact, with the other contact.
public struct RelatedContact: Sendable {
    public let relationship: Record
    public let contact: Record

    public var json: JSONValue {
        var o = relationship.values
        o["contact"] = contact.json
        return .object(o)
    }
}

/// Relationships between contacts (seed 000's `RelationshipRepository`).
public struct RelationshipRepository: Sendable {
    public let store: RecordStore
    public init(database: Database) { store = RecordStore(database: database) }

    /// Creates a relationship; refuses a self relationship (422) and a pair that exists in either direction (409).
    public func create(
        _ contact1: UUID, _ contact2: UUID, type: String = "colleagues", strength: String = "medium",
        confidence: Double? = nil, metadata: [String: JSONValue] = [:]
    ) async throws -> Record {
        var input: [String: JSONValue] = [
            "contact_id_1": .string(contact1.lowercased), "contact_id_2": .string(contact2.lowercased),
            "relationship_type": .string(type), "strength": .string(strength), "metadata": .object(metadata),
        ]
        if let confidence { input["confidence_score"] = .double(confidence) }
        return try await create(input)
    }

    public func create(_ input: [String: JSONValue]) async throws -> Record {
        try await store.create(Entities.relationships, input)
    }

    /// The relationship between two contacts, in either direction.
    public func check(_ contact1: UUID, _ contact2: UUID) async throws -> Record? {
        let d = store.dialect
        let rows = try await store.relationshipsSeen(
            outgoing: "r.contact_id_1 = \(d.bind(contact1)) AND r.contact_id_2 = \(d.bind(contact2))",
            incoming: "r.contact_id_2 = \(d.bind(contact1)) AND r.contact_id_1 = \(d.bind(contact2))", limit: 1)
        guard let row = rows.first, let id = row.uuid("relationship_id") else { return nil }
        return try await store.get(Entities.relationships, id)
    }

    /// Every relationship of a contact, both directions, with the other contact (`get_contact_relationships`).
    public func relationships(of contactID: UUID) async throws -> [RelatedContact] {
        _ = try await store.get(Entities.contacts, contactID)
        let id = store.dialect.bind(contactID)
        let rows = try await store.relationshipsSeen(outgoing: "r.contact_id_1 = \(id)", incoming: "r.contact_id_2 = \(id)")
        let contacts = try await store.fetchMany(Entities.contacts, rows.compactMap { $0.uuid("related_contact_id") })
        let byID = Dictionary(contacts.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        return rows.compactMap { row in
            row.uuid("related_contact_id").flatMap { byID[$0] }.map { RelatedContact(relationship: row, contact: $0) }
        }
    }

    /// Everyone else at the contact's company, with the mapped relationship if any (`get_colleagues`).
    public func colleagues(of contactID: UUID) async throws -> [Record] {
        _ = try await store.get(Entities.contacts, contactID)
        return try await store.colleagues(of: contactID)
    }
}

/// Conversations (seed 000's `ConversationRepository`).
public struct ConversationRepository: Sendable {
    public let store: RecordStore
    public init(database: Database) { store = RecordStore(database: database) }

    /// Starts a conversation; the company is taken from the contact when not given.
    public func create(
        contactID: UUID, companyID: UUID? = nil, qualificationTier: String? = nil, extra: [String: JSONValue] = [:]
    ) async throws -> Record {
        var input = extra
        input["contact_id"] = .string(contactID.lowercased)
        if let companyID { input["company_id"] = .string(companyID.lowercased) }
        if let qualificationTier { input["qualification_tier"] = .string(qualificationTier) }
        return try await store.create(Entities.conversations, input)
    }

    public func get(_ id: UUID) async throws -> Record { try await store.get(Entities.conversations, id) }

    /// Active conversations of a company, most recently touched first (`get_active_conversations`).
    public func active(companyID: UUID) async throws -> [Record] {
        try await store.select(
            Entities.conversations, where: [("company_id", .string(companyID.lowercased)), ("status", "active")],
            order: "CASE WHEN t.last_touchpoint_at IS NULL THEN 1 ELSE 0 END, t.last_touchpoint_at DESC, t.id")
    }

    /// Sets the status (closed_at and the company's active count follow by trigger) and optionally the outcome.
    public func updateStatus(_ id: UUID, status: String, outcome: String? = nil) async throws -> Record {
        var patch: [String: JSONValue] = ["status": .string(status)]
        if let outcome { patch["outcome"] = .string(outcome) }
        return try await store.update(Entities.conversations, id, patch)
    }

    /// Merges keys into the conversation's context (top-level keys replace, others stay).
    public func updateContext(_ id: UUID, merging changes: [String: JSONValue]) async throws -> Record {
        try await store.database.transaction { sql in
            guard let current = try await store.fetch(Entities.conversations, id, on: sql) else {
                throw DomainError.notFound(entity: "conversation", id: id.lowercased)
            }
            var context = current["context"].objectValue ?? [:]
            for (k, v) in changes { context[k] = v }
            return try await store.apply(Entities.conversations, id, ["context": .object(context)], on: sql)
        }
    }

    /// Active conversations whose next touch is due, oldest due first (`get_conversations_needing_followup`).
    public func needingFollowup(limit: Int = 100) async throws -> [Record] {
        try await store.needingFollowup(now: Date(), limit: limit)
    }
}

/// Touchpoints (seed 000's `TouchpointRepository`).
public struct TouchpointRepository: Sendable {
    public let store: RecordStore
    public init(database: Database) { store = RecordStore(database: database) }

    public static let eventTypes = ["delivered", "opened", "clicked", "replied", "bounced", "failed"]

    public func get(_ id: UUID) async throws -> Record { try await store.get(Entities.touchpoints, id) }

    /// Records an outbound email sent now (or at `sentAt`) in a conversation.
    public func recordEmailSent(conversationID: UUID, subject: String?, content: String?, sentAt: Date = Date()) async throws
        -> Record
    {
        var input: [String: JSONValue] = [
            "conversation_id": .string(conversationID.lowercased), "channel": "email", "direction": "outbound",
            "sent_at": .string(Timestamp.format(sentAt)),
        ]
        if let subject { input["subject"] = .string(subject) }
        if let content { input["content"] = .string(content) }
        return try await store.create(Entities.touchpoints, input)
    }

    public func recordOpened(_ id: UUID, at: Date = Date()) async throws -> Record { try await recordEvent(id, type: "opened", at: at) }
    public func recordClicked(_ id: UUID, at: Date = Date()) async throws -> Record { try await recordEvent(id, type: "clicked", at: at) }
    public func recordReplied(_ id: UUID, response: String?, at: Date = Date()) async throws -> Record {
        try await recordEvent(id, type: "replied", response: response, at: at)
    }

    /// Records an engagement event. The first time of each event is kept; a click implies an open.
    /// The outcome is raised by the database trigger from the timestamps; bounced and failed set it directly.
    public func recordEvent(_ id: UUID, type: String, response: String? = nil, at: Date = Date()) async throws -> Record {
        guard Self.eventTypes.contains(type) else {
            throw DomainError.invalid("type", "must be one of \(Self.eventTypes.joined(separator: ", ")); got '\(type)'")
        }
        let when = JSONValue.string(Timestamp.format(at))
        return try await store.database.transaction { sql in
            guard let current = try await store.fetch(Entities.touchpoints, id, on: sql) else {
                throw DomainError.notFound(entity: "touchpoint", id: id.lowercased)
            }
            var patch: [String: JSONValue] = [:]
            func setOnce(_ field: String) { if current[field].isNull { patch[field] = when } }
            switch type {
            case "delivered": setOnce("delivered_at")
            case "opened": setOnce("opened_at")
            case "clicked":
                setOnce("opened_at")
                setOnce("clicked_at")
            case "replied":
                setOnce("replied_at")
                if let response { patch["response"] = .string(response) }
            default: patch["outcome"] = .string(type)
            }
            return try await store.apply(Entities.touchpoints, id, patch, on: sql)
        }
    }

    /// Touchpoints of a conversation in the order they happened (`get_touchpoint_history`).
    public func history(conversationID: UUID) async throws -> [Record] {
        _ = try await store.get(Entities.conversations, conversationID)
        return try await store.select(
            Entities.touchpoints, where: [("conversation_id", .string(conversationID.lowercased))],
            order: "coalesce(t.sent_at, t.created_at), t.id")
    }

    /// Open, click and reply rates of a conversation (`get_conversation_engagement_metrics`).
    public func engagementMetrics(conversationID: UUID) async throws -> EngagementMetrics {
        _ = try await store.get(Entities.conversations, conversationID)
        return EngagementMetrics(try await store.engagementCounts(column: "conversation_id", id: conversationID))
    }
}
