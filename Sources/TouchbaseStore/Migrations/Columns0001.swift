// Column lists of migrations 0001 and 0006 that later migrations build on (their `updated_at` and audit triggers).
// Moved here unchanged from Migrations.swift, which keeps only the machinery and the registry. Never edited.

extension Migrations {
    /// The writable columns of migration 0001's tables: their `updated_at` triggers fire on these, and later
    /// migrations that add columns rebuild the triggers from these lists plus their own.
    static let companyColumns0001 = ["name", "domain", "industry", "size", "research_data", "account_tier", "account_status"]
    static let contactColumns0001 = [
        "company_id", "first_name", "last_name", "email", "linkedin_url", "phone", "title", "role", "department",
        "seniority_level", "status", "interests", "research_data", "engagement_score", "is_primary_contact",
        "is_decision_maker", "is_champion",
    ]
    static let relationshipColumns0001 = ["contact_id_1", "contact_id_2", "relationship_type", "strength", "confidence_score", "metadata"]
    static let conversationColumns0001 = [
        "contact_id", "company_id", "status", "qualification_tier", "subject", "next_touchpoint_at", "sequence_step",
        "context", "metadata", "estimated_value", "actual_value", "outcome",
    ]
    static let touchpointColumns0001 = [
        "conversation_id", "contact_id", "company_id", "channel", "direction", "subject", "content", "response",
        "sent_at", "delivered_at", "opened_at", "clicked_at", "replied_at", "outcome", "metadata",
    ]

    static let auditedTables0006 = [
        "industries", "solutions", "industry_solutions", "events", "llm_usage", "campaigns", "campaign_contacts", "meetings",
        "handoffs", "intake_loads", "company_slots",
    ]
}
