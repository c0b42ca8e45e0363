import TouchbaseDomain
import TouchbaseStore

/// The output models of the operations: each a named shape, written into the OpenAPI document as a component and
/// inline into an MCP tool's `outputSchema`.
public enum Models {
    static func f(_ name: String, _ type: FieldType, _ summary: String = "", vocabulary: [String]? = nil) -> (String, Shape) {
        (name, .field(Field(name, type, required: true, vocabulary: vocabulary, summary)))
    }

    public static let accountHealth = Shape.model(
        "AccountHealth",
        .object("Account health 0-100: coverage 20, engagement 30, recency 20, pipeline 20, relationships 10.", [
            f("company_id", .uuid), f("total_score", .decimal, "0-100."),
            ("breakdown", .freeform("Each component's score and maximum: {coverage: {score, max}, …}.")),
            f("health_status", .text, vocabulary: ["excellent", "good", "fair", "poor", "critical"]),
            ("recommendations", .array(.text("What to do next."))),
        ]))

    public static let accountOverview = Shape.model(
        "AccountOverview",
        .object("The company, its people by role, their relationships, active conversations and the account's counts.", [
            ("company", .record(Entities.companies)),
            ("contacts", .object("", [
                f("total", .integer), ("primary", .array(.record(Entities.contacts))),
                ("decision_makers", .array(.record(Entities.contacts))), ("champions", .array(.record(Entities.contacts))),
                ("all", .array(.record(Entities.contacts))),
            ])),
            ("relationships", .array(.row(Views.contactRelationships))),
            ("active_conversations", .array(.record(Entities.conversations))),
            ("summary", .row(Views.accountOverview)),
        ]))

    public static let today = Shape.model(
        "Today",
        .object("What the rep must do now, each list bounded and newest first (follow-ups earliest due first).", [
            ("replies", .array(.record(Entities.replies))), ("drafts", .array(.record(Entities.messageDrafts))),
            ("ready", .array(.record(Entities.messageDrafts))), ("bounces", .array(.record(Entities.touchpoints))), ("followups", .array(.record(Entities.followups))),
            ("signals", .array(.record(Entities.signals))), ("renewals", .array(.record(Entities.signals))),
            ("unmatched", .array(.record(Entities.inboundMessages))),
            ("inbound", .array(.record(Entities.inboundMessages))),
            ("contacts", .freeform("The contacts the lists name, by id.")), ("companies", .freeform("Their companies, by id.")),
        ]))

    public static let expansionTarget = Shape.model(
        "ExpansionTarget",
        .object("A related colleague to reach next.", [
            ("contact", .record(Entities.contacts)),
            ("relationship_to_primary", .freeform("relationship_id, relationship_type, strength, confidence_score, direction.")),
            ("engagement_status", .freeform("conversation_state (active, inactive, none), conversations, total_touchpoints, last_engaged_at, engagement_score.")),
            f("priority_score", .decimal, "0-100: strength, confidence, seniority, role and conversation state."),
        ]))

    public static let conversationContext = Shape.model(
        "ConversationContext",
        .object("Everything needed to write to a contact.", [
            ("contact", .record(Entities.contacts)), ("company", .nullable(.record(Entities.companies))),
            ("conversations", .freeform("active (with their recent touchpoints) and the count of past ones.")),
            ("engagement", .freeform("Counts and rates of the contact's touchpoints.")),
            ("relationships", .freeform("colleagues and mapped relationships, when asked for.")),
        ]))

    public static let recommendedSolution = Shape.model(
        "RecommendedSolution",
        .object("A solution mapped to the contact's industry, scored by overlap with the research.", [
            f("solution_id", .uuid), f("name", .text), ("solution", .record(Entities.solutions)),
            f("score", .decimal, "0-1."), ("matched", .array(.text("A keyword or use case the research mentions."))),
        ]))

    public static let qcResult = Shape.model(
        "QCResult",
        .object("The draft after its QC checks.", [
            f("passed", .boolean), ("draft", .record(Entities.messageDrafts)),
            ("flags", .array(.object("", [f("code", .text), f("message", .text)]))),
        ]))

    public static let experimentResults = Shape.model(
        "ExperimentResults",
        .object(
            "Counts per group and a two-sided test of the two best groups (two-proportion z-test, or Fisher's exact test when an expected count is under 5); winner only when every compared group has min_sent sends and p < 0.05.",
            [
                ("experiment", .record(Entities.experiments)), f("metric", .text), ("groups", .array(.freeform("One group's sends, replies, meetings and rates."))),
                ("compared", .nullable(.array(.text("A group.")))), ("test", .nullable(.freeform("The test, its statistic and p-value."))),
                f("minimum_sent", .integer), ("needed", .freeform("Sends each group still needs.")),
                f("verdict", .text, vocabulary: ["winner_A", "winner_B", "winner_C", "inconclusive", "insufficient_data"]),
                ("winner", .nullable(.text("The winning group."))),
            ]))

    public static let queueItem = Shape.model(
        "QueueItem",
        .object("Something whose check is missing or old.", [
            ("company_id", .field(Field("company_id", .uuid))), ("contact_id", .field(Field("contact_id", .uuid))),
            ("company_name", .field(Field("company_name", .text))), ("url_type", .field(Field("url_type", .text))),
            ("url", .field(Field("url", .text))), ("email", .field(Field("email", .text))),
            ("last_checked_at", .field(Field("last_checked_at", .timestamp))),
        ]))

    public static let ledger = Shape.model(
        "AgentLedger",
        .object("What agent runs did: their tool calls, the rows they changed (from the audit log) and their tokens and cost.", [
            ("run", .record(Entities.agentRuns)),
            ("agent_name", .field(Field("agent_name", .text, "For an agent's ledger: the name asked for."))),
            ("since", .field(Field("since", .timestamp, "For an agent's ledger: the start of the range."))),
            ("runs", .array(.record(Entities.agentRuns))),
            ("tool_calls", .array(.object("One tool call (a child run).", [
                f("run_id", .uuid), ("tool", .field(Field("tool", .text))), f("status", .text, vocabulary: Vocabulary.runStatus),
                ("started_at", .field(Field("started_at", .timestamp))), ("duration_ms", .field(Field("duration_ms", .integer))),
                ("arguments", .freeform("The arguments, long texts cut.")), ("result", .freeform("A summary of the output.")),
                ("error", .field(Field("error", .text))), ("tokens_used", .field(Field("tokens_used", .integer))),
            ]))),
            ("records_changed", .array(.object("An audit entry written under the run.", [
                f("table", .text), f("id", .text), f("action", .text, vocabulary: Vocabulary.auditAction), f("changed_by", .text),
                f("at", .timestamp),
            ]))),
            f("records_changed_truncated", .boolean, "More entries than the \(AgentLedgerRepository.changeLimit) listed."),
            ("totals", .object("", [
                f("tool_calls", .integer), f("errors", .integer), f("records_changed", .integer), f("duration_ms", .integer),
                f("llm_calls", .integer), f("prompt_tokens", .integer), f("completion_tokens", .integer), f("total_tokens", .integer),
                f("cost", .decimal),
            ])),
        ]))
}
