import Foundation
import SQLKit
import TouchbaseDomain

/// The per-record reads, written so that each costs the record's own rows: every table is reached by an index on the
/// record's key (or read from a counter the triggers keep), never through a view over a whole table. The views of
/// migration 0001 (`account_overview_live`, `contact_relationships`, `contact_colleagues`) stay for SQL users; the
/// engines cannot always push a key into them (a UNION ALL under a join, correlated counts that pick a low-selectivity
/// index), and at a few million touches that cost seconds a request. `PlanTests` checks the plan of each.
extension RecordStore {
    /// Rows of a described shape from a subquery `s` whose columns are the shape's fields.
    func rows(_ shape: Entity, from subquery: SQLQueryString, order: String, limit: Int? = nil) async throws -> [Record] {
        var query = SQLQueryString("SELECT \(unsafeRaw: dialect.selectList(shape, alias: "s")) FROM (") + subquery + ") s"
        query += SQLQueryString(" ORDER BY \(unsafeRaw: order)")
        if let limit { query += " LIMIT \(literal: limit)" }
        let final = query
        return try await database.withConnection { sql in
            try await sql.raw(final).all().map { try dialect.record($0, shape) }
        }
    }

    /// The engagement counts of the touchpoints `t` a query selects, in one pass over them (0001's predicates).
    static let engagementAggregates: String = Migrations.engagementPredicates0001.map { name, predicate in
        name == "total_touchpoints" ? "count(*) AS total_touchpoints" : "coalesce(sum(CASE WHEN \(predicate) THEN 1 ELSE 0 END), 0) AS \(name)"
    }.joined(separator: ", ")

    /// Engagement counts over the touchpoints whose `column` (an indexed key) equals `id`.
    func engagementCounts(column: String, id: UUID) async throws -> EngagementCounts {
        let query = SQLQueryString("SELECT \(unsafeRaw: Self.engagementAggregates) FROM touchpoints t WHERE t.\(ident: column) = \(dialect.bind(id))")
        let row = try await database.withConnection { sql in
            try await sql.raw(query).first().map { try dialect.record($0, Views.engagementCounts) }
        }
        return row.map(Views.counts) ?? EngagementCounts()
    }

    /// Relationships seen from their contact 1 where `outgoing` holds of `r`, and from their contact 2 where
    /// `incoming` does (the shape of `Views.contactRelationships`). Each side is served by its own index.
    func relationshipsSeen(outgoing: SQLQueryString, incoming: SQLQueryString, limit: Int? = nil) async throws -> [Record] {
        var union = SQLQueryString(
            """
            SELECT r.id AS relationship_id, r.contact_id_1 AS contact_id, r.contact_id_2 AS related_contact_id, r.relationship_type,
                r.strength, r.confidence_score, r.metadata, 'outgoing' AS direction, r.created_at
            FROM relationships r WHERE 
            """) + outgoing
        union += SQLQueryString(
            """
             UNION ALL
            SELECT r.id AS relationship_id, r.contact_id_2 AS contact_id, r.contact_id_1 AS related_contact_id, r.relationship_type,
                r.strength, r.confidence_score, r.metadata, 'incoming' AS direction, r.created_at
            FROM relationships r WHERE 
            """) + incoming
        return try await rows(Views.contactRelationships, from: union, order: "s.created_at, s.relationship_id", limit: limit)
    }

    /// A company's account-overview row (the columns of `account_overview_live`), from the company's counters and
    /// one indexed pass over each of its contacts, conversations, touches and relationships.
    func overviewRow(_ companyID: UUID) async throws -> Record? {
        let id = dialect.bind(companyID)
        let yes = { (column: String) in "coalesce(sum(CASE WHEN \(column) THEN 1 ELSE 0 END), 0)" }
        let query = SQLQueryString(
            """
            SELECT c.id AS company_id, c.name, c.domain, c.industry, c.account_tier, c.account_status, c.total_contacts,
                p.primary_contacts, p.decision_makers, p.champions, v.total_conversations, c.active_conversations,
                v.won_conversations, t.total_touchpoints, t.outbound_touchpoints, t.inbound_touchpoints, t.emails_sent, t.delivered,
                t.opened, t.clicked, t.replied, t.bounced, r.relationship_count, p.last_engaged_at
            FROM companies c
            CROSS JOIN (SELECT \(unsafeRaw: yes("q.is_primary_contact")) AS primary_contacts, \(unsafeRaw: yes("q.is_decision_maker")) AS decision_makers,
                    \(unsafeRaw: yes("q.is_champion")) AS champions, max(q.last_engaged_at) AS last_engaged_at
                FROM contacts q WHERE q.company_id = \(id)) p
            CROSS JOIN (SELECT count(*) AS total_conversations, \(unsafeRaw: yes("w.status = 'won'")) AS won_conversations
                FROM conversations w WHERE w.company_id = \(id)) v
            CROSS JOIN (SELECT \(unsafeRaw: Self.engagementAggregates) FROM touchpoints t WHERE t.company_id = \(id)) t
            CROSS JOIN (SELECT count(*) AS relationship_count FROM contacts a JOIN relationships x ON x.contact_id_1 = a.id
                WHERE a.company_id = \(id)) r
            WHERE c.id = \(id)
            """)
        return try await rows(Views.accountOverview, from: query, order: "s.company_id", limit: 1).first
    }

    /// Everyone else at the contact's company, with the relationship between the two if one is mapped.
    func colleagues(of contactID: UUID) async throws -> [Record] {
        let id = dialect.bind(contactID)
        let query = SQLQueryString(
            """
            SELECT me.id AS contact_id, b.id AS colleague_id, b.first_name, b.last_name, b.full_name, b.email, b.title, b.role,
                b.seniority_level, b.is_decision_maker, b.is_champion, b.engagement_score,
                coalesce(r1.relationship_type, r2.relationship_type) AS relationship_type, coalesce(r1.strength, r2.strength) AS strength
            FROM contacts me
            JOIN contacts b ON b.company_id = me.company_id AND b.id <> me.id
            LEFT JOIN relationships r1 ON r1.contact_id_1 = me.id AND r1.contact_id_2 = b.id
            LEFT JOIN relationships r2 ON r2.contact_id_1 = b.id AND r2.contact_id_2 = me.id
            WHERE me.id = \(id)
            """)
        return try await rows(Views.colleagues, from: query, order: "s.full_name, s.colleague_id")
    }

    /// Active conversations whose next touch is due by `now`, soonest first: a walk of the partial index on
    /// `next_touchpoint_at`, each row joined to its contact and company by key.
    func needingFollowup(now: Date, limit: Int) async throws -> [Record] {
        let at = dialect.bind(.string(Timestamp.format(now)), as: .timestamp)
        let query = SQLQueryString(
            """
            SELECT v.id AS conversation_id, v.contact_id, v.company_id, p.full_name AS contact_name, p.email AS contact_email,
                c.name AS company_name, v.status, v.qualification_tier, v.next_touchpoint_at, v.last_touchpoint_at,
                v.touchpoint_count, v.sequence_step
            FROM conversations v
            JOIN contacts p ON p.id = v.contact_id
            LEFT JOIN companies c ON c.id = v.company_id
            WHERE v.status = 'active' AND v.next_touchpoint_at IS NOT NULL AND v.next_touchpoint_at <= \(at)
            ORDER BY v.next_touchpoint_at, v.id LIMIT \(literal: limit)
            """)
        return try await rows(Views.needingFollowup, from: query, order: "s.next_touchpoint_at, s.conversation_id")
    }
}
