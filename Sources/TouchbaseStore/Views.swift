import TouchbaseDomain

/// Read-only shapes of the views, described like entities so that the same select-list and decoding serve them.
public enum Views {
    public static let contactRelationships = Entity(
        table: "contact_relationships", singular: "relationship", schemaName: "ContactRelationship",
        summary: "A relationship seen from one of its two contacts.",
        fields: [
            Field("relationship_id", .uuid), Field("contact_id", .uuid), Field("related_contact_id", .uuid),
            Field("relationship_type", .text), Field("strength", .text), Field("confidence_score", .decimal),
            Field("metadata", .jsonObject), Field("direction", .text), Field("created_at", .timestamp),
        ])

    public static let colleagues = Entity(
        table: "contact_colleagues", singular: "colleague", schemaName: "Colleague",
        summary: "Another contact at the same company, with the mapped relationship if any.",
        fields: [
            Field("contact_id", .uuid), Field("colleague_id", .uuid), Field("first_name", .text),
            Field("last_name", .text), Field("full_name", .text), Field("email", .text), Field("title", .text),
            Field("role", .text), Field("seniority_level", .text), Field("is_decision_maker", .boolean),
            Field("is_champion", .boolean), Field("engagement_score", .integer), Field("relationship_type", .text),
            Field("strength", .text),
        ])

    public static let needingFollowup = Entity(
        table: "conversations_needing_followup", singular: "conversation", schemaName: "FollowupDue",
        summary: "An active conversation whose next touch is due.",
        fields: [
            Field("conversation_id", .uuid), Field("contact_id", .uuid), Field("company_id", .uuid),
            Field("contact_name", .text), Field("contact_email", .text), Field("company_name", .text),
            Field("status", .text), Field("qualification_tier", .text), Field("next_touchpoint_at", .timestamp),
            Field("last_touchpoint_at", .timestamp), Field("touchpoint_count", .integer), Field("sequence_step", .integer),
        ])

    public static let accountOverview = Entity(
        table: "account_overview_live", singular: "account overview", schemaName: "AccountOverviewRow",
        summary: "Aggregated account metrics (the account_overview view).",
        fields: [
            Field("company_id", .uuid), Field("name", .text), Field("domain", .text), Field("industry", .text),
            Field("account_tier", .text), Field("account_status", .text), Field("total_contacts", .integer),
            Field("primary_contacts", .integer), Field("decision_makers", .integer), Field("champions", .integer),
            Field("total_conversations", .integer), Field("active_conversations", .integer),
            Field("won_conversations", .integer), Field("total_touchpoints", .integer),
            Field("outbound_touchpoints", .integer), Field("inbound_touchpoints", .integer), Field("emails_sent", .integer),
            Field("delivered", .integer), Field("opened", .integer), Field("clicked", .integer), Field("replied", .integer),
            Field("bounced", .integer), Field("relationship_count", .integer), Field("last_engaged_at", .timestamp),
        ])

    /// Engagement counts from an overview-shaped row.
    static func counts(_ r: Record) -> EngagementCounts {
        EngagementCounts(
            total: r.int("total_touchpoints"), outbound: r.int("outbound_touchpoints"), inbound: r.int("inbound_touchpoints"),
            emailsSent: r.int("emails_sent"), delivered: r.int("delivered"), opened: r.int("opened"),
            clicked: r.int("clicked"), replied: r.int("replied"), bounced: r.int("bounced"))
    }

    /// The engagement-count columns alone, for one-row aggregate queries.
    static let engagementCounts = Entity(
        table: "touchpoints", singular: "engagement", schemaName: "EngagementCounts", summary: "",
        fields: ["total_touchpoints", "outbound_touchpoints", "inbound_touchpoints", "emails_sent", "delivered", "opened",
                 "clicked", "replied", "bounced"].map { Field($0, .integer) })
}
