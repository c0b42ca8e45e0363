/// Vocabularies of seeds 003 (sales assistant) and 004 (outreach core).
extension Vocabulary {
    public static let slotRole = ["CEO", "CFO", "HR"]
    public static let emailStatus = ["green", "yellow", "red", "gray"]
    public static let sentiment = ["positive", "neutral", "negative", "mixed"]
    public static let eventStatus = ["planned", "open", "closed", "completed", "cancelled"]
    public static let campaignStatus = ["draft", "active", "paused", "completed"]
    public static let intakeKind = ["companies", "contacts"]
    public static let intakeStatus = ["staged", "promoted", "failed"]
}

extension Entities {
    /// Columns seeds 003 and 004 add to companies.
    static let companyFields004: [Field] = [
        ref("industry_id", "industries", "Industry in the catalog (seed 003)."),
        Field("ein", .text, "Employer Identification Number."),
        Field("news_url", .text, "News or blog URL."),
        Field("address_line1", .text, "Street address."),
        Field("address_line2", .text, "Additional address."),
        Field("city", .text, "City."),
        Field("state_region", .text, "State or region."),
        Field("postal_code", .text, "ZIP or postal code."),
        Field("country", .text, "Country."),
        Field("renewal_month", .integer, range: 1...12, "Month of renewal, 1-12."),
        Field("renewal_notice_window_days", .integer, range: 0...366, default: 120, "Days before renewal a campaign starts."),
        Field("last_site_checked_at", .timestamp, access: .readOnly, "Last website check; set with POST /companies/{id}/checked."),
        Field("last_linkedin_checked_at", .timestamp, access: .readOnly, "Last LinkedIn check."),
        Field("last_news_checked_at", .timestamp, access: .readOnly, "Last news check."),
    ]

    /// Columns seed 004 adds to contacts (its people.contact and contact_verification).
    static let contactFields004: [Field] = [
        Field("profile_source_url", .text, "Profile URL to scrape (LinkedIn or other)."),
        Field("last_profile_checked_at", .timestamp, access: .readOnly, "Last profile check; set with POST /contacts/{id}/checked."),
        Field("email_status", .text, access: .readOnly, vocabulary: Vocabulary.emailStatus, default: "gray",
              "green verified, yellow risky, red invalid (never emailed), gray unknown; set with PUT /contacts/{id}/verification."),
        Field("email_confidence", .decimal, access: .readOnly, range: 0...100, "Verification confidence 0-100."),
        Field("email_checked_at", .timestamp, access: .readOnly, "Last verification."),
        Field("email_source_url", .text, access: .readOnly, "Where the verification came from."),
    ]

    /// Columns seeds 003 and 004 add to touchpoints (interactions and message_log).
    static let touchpointFields004: [Field] = [
        ref("event_id", "events", "The event this touch is about."),
        ref("campaign_id", "campaigns", "The campaign it belongs to."),
        Field("sentiment", .text, vocabulary: Vocabulary.sentiment, "Detected sentiment."),
    ]

    /// Columns seed 003 adds to research (prospect_research) and drafts (outreach_drafts).
    static let researchFields004: [Field] = [
        Field("key_insights", .jsonArray, default: [], "Structured key insights."),
        Field("recommended_solutions", .jsonArray, default: [], "Solutions recommended, with scores."),
        Field("recommendation_confidence", .decimal, range: 0...1, "Confidence in the recommendations, 0-1."),
    ]
    static let draftFields004: [Field] = [ref("event_id", "events", "The event the draft invites to.")]
    static let signalFields004: [Field] = [
        Field("dedupe_key", .text, unique: true, "Raises a signal once: a second with the same key is not stored."),
    ]

    public static let industries = Entity(
        table: "industries", singular: "industry", schemaName: "Industry", summary: "An industry of the catalog.",
        fields: [id, Field("name", .text, required: true, unique: true, "Industry name (unique, case-insensitive)."), createdAt, updatedAt])

    public static let solutions = Entity(
        table: "solutions", singular: "solution", schemaName: "Solution", summary: "A product or service we offer.",
        fields: [
            id,
            Field("name", .text, required: true, "Solution name."),
            Field("category", .text, "Category."),
            Field("description", .text, "Description."),
            Field("use_cases", .jsonArray, default: [], "Common use cases."),
            Field("keywords", .jsonArray, default: [], "Keywords matched against research."),
            Field("pricing_model", .text, "Pricing structure."),
            createdAt, updatedAt,
        ])

    public static let industrySolutions = Entity(
        table: "industry_solutions", singular: "industry solution", schemaName: "IndustrySolution",
        summary: "A solution mapped to an industry (once per pair).",
        fields: [
            id, ref("industry_id", "industries", required: true, "The industry."),
            ref("solution_id", "solutions", required: true, "The solution."), createdAt, updatedAt,
        ])

    public static let events = Entity(
        table: "events", singular: "event", schemaName: "Event", summary: "A conference or gathering to invite contacts to.",
        fields: [
            id,
            Field("name", .text, "Event name."),
            Field("event_type", .text, required: true, "Type of event (conference, webinar, dinner, …)."),
            Field("event_date", .timestamp, required: true, "When it happens."),
            Field("description", .text, "Description."),
            Field("location", .text, "Where."),
            Field("target_industries", .jsonArray, default: [], "Industry names it targets."),
            Field("target_roles", .jsonArray, default: [], "Roles or title words it targets."),
            Field("solutions_featured", .jsonArray, default: [], "Solutions featured."),
            Field("status", .text, vocabulary: Vocabulary.eventStatus, default: "planned", "planned, open, closed, completed, cancelled."),
            createdAt, updatedAt,
        ])

    public static let llmUsage = Entity(
        table: "llm_usage", singular: "LLM usage record", schemaName: "LLMUsage",
        summary: "One LLM call: workflow, node, model, tokens, latency and cost.",
        fields: [
            id,
            Field("workflow_name", .text, required: true, "Workflow (seed 003's misspelt worfklow_name)."),
            Field("node_name", .text, required: true, "Step in the workflow."),
            Field("model", .text, required: true, "Model."),
            Field("prompt_tokens", .integer, required: true, range: 0...100_000_000, "Prompt tokens."),
            Field("completion_tokens", .integer, required: true, range: 0...100_000_000, "Completion tokens."),
            Field("total_tokens", .integer, range: 0...200_000_000, "Total; prompt + completion when not given."),
            Field("latency_ms", .integer, required: true, range: 0...100_000_000, "Latency in milliseconds."),
            Field("cost", .decimal, required: true, range: 0...1_000_000, "Cost."),
            ref("agent_run_id", "agent_runs", "The agent run that made the call."),
            createdAt, updatedAt,
        ])

    public static let campaigns = Entity(
        table: "campaigns", singular: "campaign", schemaName: "Campaign", summary: "A campaign with members, meetings and handoffs.",
        fields: [
            id,
            Field("name", .text, required: true, "Campaign name."),
            Field("description", .text, "What it is for."),
            Field("status", .text, vocabulary: Vocabulary.campaignStatus, default: "draft", "draft, active, paused, completed."),
            createdAt, updatedAt,
        ])

    public static let campaignContacts = Entity(
        table: "campaign_contacts", singular: "campaign member", schemaName: "CampaignContact",
        summary: "A contact in a campaign (once per campaign).",
        fields: [
            id, ref("campaign_id", "campaigns", required: true, "The campaign."),
            ref("contact_id", "contacts", required: true, "The contact."), createdAt, updatedAt,
        ])

    public static let meetings = Entity(
        table: "meetings", singular: "meeting", schemaName: "Meeting", summary: "A booked meeting (seed 004's booking event).",
        fields: [
            id, ref("contact_id", "contacts", required: true, "Who booked."),
            ref("company_id", "companies", "Their company; filled from the contact when omitted."),
            ref("campaign_id", "campaigns", "The campaign that won it."),
            Field("event_time", .timestamp, required: true, "When the meeting is."),
            Field("source", .text, "Booking source or platform."),
            createdAt, updatedAt,
        ])

    public static let handoffs = Entity(
        table: "handoffs", singular: "handoff", schemaName: "Handoff", summary: "A handoff to an account coordinator.",
        fields: [
            id, ref("company_id", "companies", required: true, "The company."),
            ref("contact_id", "contacts", "The contact."), ref("campaign_id", "campaigns", "The campaign."),
            Field("notes", .text, "Handoff notes."), createdAt, updatedAt,
        ])

    public static let intakeLoads = Entity(
        table: "intake_loads", singular: "intake load", schemaName: "IntakeLoad",
        summary: "Raw rows staged for promotion into companies or contacts.",
        fields: [
            id,
            Field("source", .text, required: true, "Where the rows came from."),
            Field("kind", .text, required: true, vocabulary: Vocabulary.intakeKind, "companies or contacts."),
            Field("rows", .jsonArray, required: true, "The raw rows (objects)."),
            Field("status", .text, access: .readOnly, vocabulary: Vocabulary.intakeStatus, default: "staged", "staged or promoted."),
            Field("result", .jsonObject, access: .readOnly, default: [:], "The last promotion's counts and errors."),
            Field("promoted_at", .timestamp, access: .readOnly, "When last promoted."),
            createdAt, updatedAt,
        ])

    /// One slot per role per company, created with the company; assigned with PUT /companies/{id}/slots/{role}.
    public static let companySlots = Entity(
        table: "company_slots", singular: "company slot", schemaName: "CompanySlot",
        summary: "The CEO, CFO or HR slot of a company and the contact in it.",
        writable: false,
        fields: [
            id, ref("company_id", "companies", required: true, "The company."),
            Field("role_code", .text, required: true, vocabulary: Vocabulary.slotRole, "CEO, CFO or HR."),
            ref("contact_id", "contacts", "The contact in the slot."), createdAt, updatedAt,
        ])
}

extension Vocabulary {
    public static let importStatus = ["queued", "running", "completed", "completed_with_errors", "failed", "undone"]
}

extension Entities {
    /// A CSV import started over HTTP (`POST /api/v1/imports`); written only by the importer.
    public static let importJobs = Entity(
        table: "imports", singular: "import", schemaName: "ImportJob",
        summary: "A CSV import, from any face, run as a job: its file, layout, encoding, options, progress and result.",
        writable: false,
        fields: [
            id,
            Field("kind", .text, required: true, vocabulary: Vocabulary.intakeKind, "companies or contacts."),
            Field("file_name", .text, access: .readOnly, "The file's name as given."),
            Field("format", .text, access: .readOnly, "apollo, hubspot, linkedin, salesforce or generic (detected when not given)."),
            Field("encoding", .text, access: .readOnly, "The text encoding the file was read in (detected when not given)."),
            Field("options", .jsonObject, access: .readOnly, default: [:], "on_conflict, map and dry_run as asked."),
            Field("status", .text, access: .readOnly, vocabulary: Vocabulary.importStatus, default: "queued", "queued, running, completed, completed_with_errors (some rows refused), failed or undone."),
            Field("rows", .integer, access: .readOnly, default: 0, "Data rows read so far."),
            Field("inserted", .integer, access: .readOnly, default: 0, "Rows that made a new record."),
            Field("updated", .integer, access: .readOnly, default: 0, "Rows that filled empty fields of a stored record."),
            Field("skipped", .integer, access: .readOnly, default: 0, "Rows that matched a stored record and changed nothing."),
            Field("failed", .integer, access: .readOnly, default: 0, "Rows refused (see errors)."),
            Field("bytes", .integer, access: .readOnly, range: 0...9.0e18, default: 0, "Bytes of the file read so far."),
            Field("total_bytes", .integer, access: .readOnly, range: 0...9.0e18, default: 0, "Size of the uploaded file."),
            Field("errors", .jsonArray, access: .readOnly, default: [], "The first 1,000 refused rows: {line, reason}."),
            Field("message", .text, access: .readOnly, "Why the job failed as a whole, when it did."),
            Field("created_by", .text, access: .readOnly, "The token's actor that started it."),
            Field("started_at", .timestamp, access: .readOnly, "When the import began."),
            Field("finished_at", .timestamp, access: .readOnly, "When it completed or failed."),
            Field("undone_at", .timestamp, access: .readOnly, "When it was undone (DELETE /api/v1/imports/{id})."),
            createdAt, updatedAt,
        ])
}
