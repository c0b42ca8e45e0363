// Views of migration 0001 whose SQL is the same on both engines (booleans are read as truth values,
// timestamps compare in their stored order). Only the "now" expression differs, and is passed in.
// A shipped migration is never edited.

extension Migrations {
    /// The engagement counts, each with its predicate over a touchpoint `t` (the same in every query that counts them).
    static let engagementPredicates0001: [(String, String)] = {
        let opened = "(t.opened_at IS NOT NULL OR t.clicked_at IS NOT NULL OR t.replied_at IS NOT NULL OR t.outcome IN ('opened','clicked','replied'))"
        return [
            ("total_touchpoints", "1 = 1"),
            ("outbound_touchpoints", "t.direction = 'outbound'"),
            ("inbound_touchpoints", "t.direction = 'inbound'"),
            ("emails_sent", "t.direction = 'outbound' AND t.channel = 'email'"),
            ("delivered", "t.direction = 'outbound' AND (t.delivered_at IS NOT NULL OR t.outcome IN ('delivered','opened','clicked','replied'))"),
            ("opened", "t.direction = 'outbound' AND \(opened)"),
            ("clicked", "t.direction = 'outbound' AND (t.clicked_at IS NOT NULL OR t.outcome = 'clicked')"),
            ("replied", "t.direction = 'outbound' AND (t.replied_at IS NOT NULL OR t.outcome = 'replied')"),
            ("bounced", "t.direction = 'outbound' AND t.outcome = 'bounced'"),
        ]
    }()

    /// Engagement counts over the touchpoints `t` matching `condition`, as correlated subqueries.
    static func engagementCounts0001(_ condition: String) -> String {
        engagementPredicates0001.map { name, predicate in
            "(SELECT count(*) FROM touchpoints t WHERE \(condition) AND \(predicate)) AS \(name)"
        }.joined(separator: ",\n    ")
    }

    static func sharedViews0001(now: String) -> [String] {
        [
            """
            CREATE VIEW account_overview_live AS
            SELECT c.id AS company_id, c.name, c.domain, c.industry, c.account_tier, c.account_status,
                c.total_contacts,
                (SELECT count(*) FROM contacts p WHERE p.company_id = c.id AND p.is_primary_contact) AS primary_contacts,
                (SELECT count(*) FROM contacts p WHERE p.company_id = c.id AND p.is_decision_maker) AS decision_makers,
                (SELECT count(*) FROM contacts p WHERE p.company_id = c.id AND p.is_champion) AS champions,
                (SELECT count(*) FROM conversations v WHERE v.company_id = c.id) AS total_conversations,
                c.active_conversations,
                (SELECT count(*) FROM conversations v WHERE v.company_id = c.id AND v.status = 'won') AS won_conversations,
                \(engagementCounts0001("t.company_id = c.id")),
                (SELECT count(*) FROM relationships r JOIN contacts a ON a.id = r.contact_id_1 WHERE a.company_id = c.id) AS relationship_count,
                (SELECT max(p.last_engaged_at) FROM contacts p WHERE p.company_id = c.id) AS last_engaged_at,
                c.updated_at
            FROM companies c
            """,
            // Every relationship seen from each of its two contacts.
            """
            CREATE VIEW contact_relationships AS
            SELECT r.id AS relationship_id, r.contact_id_1 AS contact_id, r.contact_id_2 AS related_contact_id,
                r.relationship_type, r.strength, r.confidence_score, r.metadata, 'outgoing' AS direction, r.created_at
            FROM relationships r
            UNION ALL
            SELECT r.id, r.contact_id_2, r.contact_id_1, r.relationship_type, r.strength, r.confidence_score, r.metadata,
                'incoming', r.created_at
            FROM relationships r
            """,
            // Everyone else at the same company, with the relationship between the two if one is mapped.
            """
            CREATE VIEW contact_colleagues AS
            SELECT a.id AS contact_id, b.id AS colleague_id, b.first_name, b.last_name, b.full_name, b.email, b.title,
                b.role, b.seniority_level, b.is_decision_maker, b.is_champion, b.engagement_score,
                cr.relationship_type, cr.strength
            FROM contacts a
            JOIN contacts b ON b.company_id = a.company_id AND b.id <> a.id
            LEFT JOIN contact_relationships cr ON cr.contact_id = a.id AND cr.related_contact_id = b.id
            """,
            // Active conversations whose next touch is due.
            """
            CREATE VIEW conversations_needing_followup AS
            SELECT v.id AS conversation_id, v.contact_id, v.company_id, p.full_name AS contact_name, p.email AS contact_email,
                c.name AS company_name, v.status, v.qualification_tier, v.next_touchpoint_at, v.last_touchpoint_at,
                v.touchpoint_count, v.sequence_step
            FROM conversations v
            JOIN contacts p ON p.id = v.contact_id
            LEFT JOIN companies c ON c.id = v.company_id
            WHERE v.status = 'active' AND v.next_touchpoint_at IS NOT NULL AND v.next_touchpoint_at <= \(now)
            """,
        ]
    }
}
