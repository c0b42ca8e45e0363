/// Vocabularies of seed 002 ("Outreach Command Center").
extension Vocabulary {
    public static let employeeBand = ["1-50", "51-200", "201-1000", "1001-5000", "5000+"]
    public static let segment = ["Enterprise", "Mid-Market", "SMB"]
    public static let stage = [
        "new", "researched", "drafted", "sent", "follow_up", "replied", "meeting_booked", "meeting_held", "opportunity",
        "dormant", "re_engaged", "closed",
    ]
    public static let source = ["sales_nav", "apollo", "manual", "referral", "hubspot", "linkedin", "import", "api", "salesforce", "csv"]
    public static let signalType = [
        "buyer_intent", "qa_job_posting", "funding", "leadership_change", "product_launch", "competitor_eval",
        "renewal_window_open_120d", "executive_movement", "funding_raised", "job_postings", "other",
    ]
    public static let entityType = ["person", "company"]
    public static let draftChannel = ["linkedin", "email", "call", "sms", "whatsapp", "mail"]
    public static let touchType = ["inmail", "email", "call_snippet", "breakup", "re_engagement", "reply_draft"]
    public static let openerStyle = ["career_reference", "company_metric", "activity_reference"]
    public static let askStyle = ["direct_ask", "soft_offer", "value_add"]
    public static let approvalStatus = ["draft", "ready", "sent", "archived"]
    public static let abGroup = ["A", "B", "C"]
    public static let intent = ["positive", "neutral", "not_now", "referral", "unsubscribe", "negative"]
    public static let replyTag = ["opener", "pain_hook", "proof_point", "timing", "referral", "not_interested", "unknown"]
    public static let followupState = ["pending", "completed", "skipped", "overdue"]
    public static let meetingOutcome = ["qualified", "disqualified", "no_show", "rescheduled"]
    public static let opportunityStatus = ["meeting_booked", "meeting_held", "opportunity_created", "disqualified", "lost"]
    public static let batchStatus = ["building", "ready", "active", "completed"]
    public static let sequenceStatus = ["not_started", "in_progress", "replied", "paused", "completed"]
    public static let experimentVariable = ["pain_hook", "proof_point_style", "opener_style", "ask_intensity", "message_length"]
    public static let experimentStatus = ["active", "completed", "inconclusive"]
    public static let runType = [
        "research", "draft", "qc", "analysis", "pre_brief", "batch_build", "reply_triage", "call_prep", "signal_scan",
        "mcp", "tool_call",
    ]
    public static let runStatus = ["running", "success", "partial", "error"]
    public static let auditAction = ["insert", "update", "delete"]
}

extension Entities {
    /// Columns seed 002 adds to companies (its `accounts`).
    static let companyFields002: [Field] = [
        Field("sub_industry", .text, "More specific category."),
        Field("employee_count", .integer, range: 0...10_000_000, "Approximate headcount."),
        Field("employee_band", .text, vocabulary: Vocabulary.employeeBand, "Headcount band."),
        Field("segment", .text, vocabulary: Vocabulary.segment, "Market segment (seed 002's tier)."),
        Field("known_tools", .jsonArray, default: [], "Tools in use, e.g. [\"Selenium\",\"Cypress\"]."),
        Field("linkedin_company_url", .text, normalization: .url, "LinkedIn / Sales Navigator company page."),
        Field("website_url", .text, "Company website."),
        Field("buyer_intent", .boolean, default: false, "A buyer-intent signal was detected."),
        Field("buyer_intent_date", .date, "When intent was detected."),
        Field("annual_revenue", .text, "Revenue range if known."),
        Field("funding_stage", .text, "Seed, Series A/B/C, Public."),
        Field("last_funding_date", .date, "Most recent funding."),
        Field("last_funding_amount", .text, "Amount raised."),
        Field("hq_location", .text, "Headquarters city/state."),
        Field("notes", .text, "Free-form account notes."),
        Field("research_freshness", .date, "When company research was last done."),
    ]

    /// Columns seed 002 adds to contacts.
    static let contactFields002: [Field] = [
        Field("persona_type", .text, "QA Director, VP Eng, QA Manager, SDET, …"),
        Field("email_verified", .boolean, default: false, "Whether the email was validated."),
        Field("location", .text, "City, state."),
        Field("timezone", .text, "IANA time zone."),
        Field("tenure_months", .integer, range: 0...1200, "Months in the current role."),
        Field("recently_hired", .boolean, default: false, "Under 6 months in the role."),
        Field("previous_company", .text, "Prior employer."),
        Field("previous_title", .text, "Prior role."),
        Field(
            "stage", .text, vocabulary: Vocabulary.stage, default: "new",
            "Pipeline stage; moves forward by itself as research, drafts, touches, replies and meetings happen."),
        Field("priority_score", .integer, access: .readOnly, range: 1...5, default: 3, "Priority 1-5, recomputed from its inputs."),
        Field("priority_factors", .jsonObject, access: .readOnly, default: [:], "Breakdown of the priority score."),
        Field("personalization_score", .integer, range: 1...3, "1-3 for the best message."),
        Field("predicted_objection", .text, "Most likely objection."),
        Field("objection_response", .text, "Pre-loaded response."),
        Field("do_not_contact", .boolean, default: false, "Never contact again (set by an unsubscribe reply)."),
        Field("dnc_reason", .text, "Why do-not-contact was set."),
        Field("source", .text, vocabulary: Vocabulary.source, "Where the contact came from."),
    ]

    /// Columns seed 002 adds to touchpoints.
    static let touchpointFields002: [Field] = [
        ref("message_draft_id", "message_drafts", "The draft this touch sent."),
        Field("touch_number", .integer, range: 1...20, "Step in the sequence (1-6 in seed 002)."),
        Field("call_duration_seconds", .integer, range: 0...86_400, "If connected, how long."),
        Field("call_notes", .text, "Post-call notes."),
        Field("confirmed_by_user", .boolean, default: true, "The user confirmed the touch happened."),
    ]

    public static let icpProfile = Entity(
        table: "icp_profiles", singular: "ICP profile", schemaName: "ICPProfile",
        summary: "The ideal customer profile the ICP score is computed against (one active row).",
        fields: [
            id,
            Field("name", .text, default: "default", "Profile name."),
            Field("exact_titles", .jsonArray, default: [], "Titles that match exactly (3 points)."),
            Field("primary_titles", .jsonArray, default: [], "Title keywords of primary fit (2 points)."),
            Field("secondary_titles", .jsonArray, default: [], "Title keywords of secondary fit (1 point)."),
            Field("top_verticals", .jsonArray, default: [], "Industries of top fit (2 points)."),
            Field("adjacent_verticals", .jsonArray, default: [], "Adjacent industries (1 point)."),
            Field("size_sweet_spot_min", .integer, range: 0...10_000_000, default: 200, "Sweet-spot headcount, lower bound (2 points)."),
            Field("size_sweet_spot_max", .integer, range: 0...10_000_000, default: 5000, "Sweet-spot headcount, upper bound."),
            Field("size_ok_min", .integer, range: 0...10_000_000, default: 50, "Acceptable headcount, lower bound (1 point)."),
            Field("size_ok_max", .integer, range: 0...10_000_000, default: 20000, "Acceptable headcount, upper bound."),
            Field("seniority_map", .jsonObject, default: [:], "Seniority level → points 0-2."),
            Field("qa_ownership_keywords", .jsonArray, default: [], "Title or persona words that show QA ownership (1 point)."),
            Field("scoring_version", .text, default: "v1", "Version stamped on every score."),
            createdAt, updatedAt,
        ])

    public static let icpScores = Entity(
        table: "icp_scores", singular: "ICP score", schemaName: "ICPScore",
        summary: "ICP fit of a contact: the 0-12 composite of seed 002.",
        fields: [
            id,
            ref("contact_id", "contacts", required: true, "The contact scored."),
            Field("title_match", .integer, range: 0...3, default: 0, "0 none, 1 secondary, 2 primary, 3 exact."),
            Field("vertical_match", .integer, range: 0...2, default: 0, "0 off, 1 adjacent, 2 top."),
            Field("company_size_fit", .integer, range: 0...2, default: 0, "0 wrong, 1 ok, 2 sweet spot."),
            Field("seniority_fit", .integer, range: 0...2, default: 0, "0 junior, 1 manager, 2 director+."),
            Field("software_qa_confirmed", .boolean, default: false, "Owns software testing decisions (1 point)."),
            Field("buyer_intent_bonus", .integer, range: 0...2, default: 0, "+2 with buyer intent."),
            Field("total_score", .integer, access: .readOnly, "The sum, 0-12; generated by the database."),
            Field("scored_at", .timestamp, computedDefault: true, "When it was scored (default now)."),
            Field("scoring_version", .text, "Scoring formula version."),
            createdAt, updatedAt,
        ])

    public static let signals = Entity(
        table: "signals", singular: "signal", schemaName: "Signal",
        summary: "A buyer-intent or other signal on a company or contact.",
        fields: [
            id,
            ref("company_id", "companies", "The company."),
            ref("contact_id", "contacts", "The contact, if the signal is about one person."),
            Field("signal_type", .text, required: true, vocabulary: Vocabulary.signalType, "Kind of signal."),
            Field("description", .text, "What was detected."),
            Field("source_url", .text, "Where it was found."),
            Field("payload", .jsonObject, default: [:], "Structured details."),
            Field("detected_at", .timestamp, computedDefault: true, "When it was detected (default now)."),
            Field("expires_at", .date, "When the signal becomes stale."),
            Field("acted_on", .boolean, default: false, "Whether we acted on it."),
            Field("processed_at", .timestamp, "When it was processed."),
        ] + signalFields004 + [
            createdAt, updatedAt,
        ])

    public static let researchSnapshots = Entity(
        table: "research_snapshots", singular: "research snapshot", schemaName: "ResearchSnapshot",
        summary: "Structured, cached research on a person or a company.",
        requiredAny: [["contact_id", "company_id"]],
        fields: [
            id,
            ref("contact_id", "contacts", "The person researched."),
            ref("company_id", "companies", "The company researched."),
            Field("entity_type", .text, required: true, vocabulary: Vocabulary.entityType, "person or company."),
            Field("headline", .text, "LinkedIn headline or company tagline."),
            Field("summary", .text, "Structured summary."),
            Field("career_history", .jsonArray, default: [], "Previous roles and tenures."),
            Field("responsibilities", .text, "Key responsibilities."),
            Field("tech_stack_signals", .jsonArray, default: [], "Tools and frameworks."),
            Field("pain_indicators", .jsonArray, default: [], "Pain signals."),
            Field("recent_activity", .text, "Posts, shares, comments."),
            Field("company_products", .text, "Products, platforms, services."),
            Field("company_metrics", .text, "Users, revenue, transactions."),
            Field("company_news", .text, "Recent news and launches."),
            Field("hiring_signals", .text, "Relevant job postings."),
            Field("sources", .jsonArray, default: [], "URLs used."),
            Field("confidence_score", .integer, range: 1...5, "Confidence in the data, 1-5."),
            ref("agent_run_id", "agent_runs", "The agent run that produced it."),
        ] + researchFields004 + [
            createdAt, updatedAt,
        ])

    public static let messageDrafts = Entity(
        table: "message_drafts", singular: "message draft", schemaName: "MessageDraft",
        summary: "One message per contact and touch; every change of subject or body is versioned.",
        fields: [
            id,
            ref("contact_id", "contacts", required: true, "The recipient."),
            ref("batch_id", "batches", "The batch it belongs to."),
            Field("channel", .text, required: true, vocabulary: Vocabulary.draftChannel, "Channel."),
            Field("touch_number", .integer, range: 1...20, "Step in the sequence."),
            Field("touch_type", .text, vocabulary: Vocabulary.touchType, "Kind of touch."),
            Field("subject_line", .text, "Subject for email or InMail."),
            Field("body", .text, required: true, "Message body or call snippet."),
            Field("version", .integer, access: .readOnly, default: 1, "Bumped by the database on every subject or body change."),
            Field("personalization_score", .integer, range: 1...3, "1-3."),
            Field("proof_point_used", .text, "Customer story used."),
            Field("pain_hook", .text, "Pain angle used."),
            Field("opener_style", .text, vocabulary: Vocabulary.openerStyle, "Opener style."),
            Field("ask_style", .text, vocabulary: Vocabulary.askStyle, "Ask style."),
            Field("word_count", .integer, access: .readOnly, "Words in the body; computed by the database."),
            Field("qc_passed", .boolean, access: .readOnly, "Set by a QC check; cleared when the text changes."),
            Field("qc_flags", .jsonArray, access: .readOnly, default: [], "Issues the last QC check found."),
            ref("qc_run_id", "agent_runs", "The QC agent run."),
            Field("approval_status", .text, vocabulary: Vocabulary.approvalStatus, default: "draft", "draft → ready (QC passed) → sent."),
            Field("ab_group", .text, vocabulary: Vocabulary.abGroup, "A/B group."),
            Field("ab_variable", .text, "What is being tested."),
            ref("agent_run_id", "agent_runs", "The agent run that drafted it."),
        ] + draftFields004 + [
            createdAt, updatedAt,
        ])

    public static let messageVersions = Entity(
        table: "message_versions", singular: "message version", schemaName: "MessageVersion",
        summary: "An earlier text of a draft, kept when its subject or body changed.",
        fields: [
            id,
            ref("message_draft_id", "message_drafts", required: true, "The draft."),
            Field("version", .integer, required: true, range: 1...1_000_000, "The draft's version this text was."),
            Field("subject_line", .text, "Subject then."),
            Field("body", .text, "Body then."),
            Field("word_count", .integer, "Words then."),
            createdAt, updatedAt,
        ])

    public static let replies = Entity(
        table: "replies", singular: "reply", schemaName: "Reply",
        summary: "A prospect's reply, with intent and tag.",
        fields: [
            id,
            ref("contact_id", "contacts", required: true, "Who replied."),
            ref("touchpoint_id", "touchpoints", "The touch that triggered it."),
            Field("channel", .text, vocabulary: Vocabulary.channel, "Channel."),
            Field("intent", .text, vocabulary: Vocabulary.intent, "positive, neutral, not_now, referral, unsubscribe, negative."),
            Field("reply_tag", .text, vocabulary: Vocabulary.replyTag, "What the reply responded to."),
            Field("summary", .text, "Brief summary."),
            Field("raw_text", .text, "The reply's text."),
            Field("referral_name", .text, "Who they referred us to."),
            Field("referral_title", .text, "Their title."),
            Field("follow_up_days", .integer, range: 1...365, "For not_now: when to follow up, in days (default 30)."),
            Field("recommended_next_step", .text, "Filled from the intent when not given."),
            Field("next_step_taken", .text, "What was actually done."),
            Field("replied_at", .timestamp, computedDefault: true, "When they replied (default now)."),
            Field("handled_at", .timestamp, "When we responded."),
            Field("reply_text", .text, "The reply's own words: raw_text without the quoted history and the signature."),
            Field("intent_confidence", .decimal, range: 0...1, "How sure the classification is (0-1): the rules' confidence, 1 for a person's."),
            Field("classified_by", .text, "Who set the intent: rules, or the person or agent who reclassified it (user:…, agent:…, token:…)."),
            Field("referral_email", .text, "The referred person's email, when the reply gave it."),
            createdAt, updatedAt,
        ])

    public static let followups = Entity(
        table: "followups", singular: "follow-up", schemaName: "Followup",
        summary: "A scheduled follow-up; reads as overdue once past its due date.",
        fields: [
            id,
            ref("contact_id", "contacts", required: true, "Who to follow up with."),
            Field("touch_number", .integer, range: 1...20, "Step in the sequence."),
            Field("channel", .text, vocabulary: Vocabulary.channel, "Channel."),
            Field("due_date", .date, required: true, "When it is due."),
            {
                var state = Field(
                    "state", .text, vocabulary: Vocabulary.followupState, default: "pending",
                    "pending, completed or skipped; a pending follow-up reads as overdue once its due date has passed.")
                state.readRule = .overdueAfter(dateField: "due_date")
                return state
            }(),
            ref("message_draft_id", "message_drafts", "The draft to send."),
            Field("reminder_sent", .boolean, default: false, "A reminder went out."),
            Field("completed_at", .timestamp, access: .readOnly, "Set when completed or skipped."),
            ref("enrollment_id", "enrollments", "The sequence enrollment whose step this is; completing or skipping it moves the enrollment on."),
            Field("step_position", .integer, range: 1...100, "The sequence step it is."),
            createdAt, updatedAt,
        ])

    public static let opportunities = Entity(
        table: "opportunities", singular: "opportunity", schemaName: "Opportunity",
        summary: "A meeting and the pipeline it produced, attributed to the touch that won it.",
        fields: [
            id,
            ref("contact_id", "contacts", required: true, "The contact."),
            ref("company_id", "companies", "The company; filled from the contact when omitted."),
            Field("meeting_date", .timestamp, "When the meeting is."),
            Field("meeting_held", .boolean, default: false, "The meeting took place."),
            Field("meeting_outcome", .text, vocabulary: Vocabulary.meetingOutcome, "How it went."),
            Field("opportunity_created_date", .timestamp, "When the opportunity was created."),
            Field("opportunity_created", .boolean, default: false, "An opportunity exists."),
            Field("status", .text, vocabulary: Vocabulary.opportunityStatus, default: "meeting_booked", "Where it stands."),
            Field("pipeline_value", .decimal, range: 0...1e15, "Estimated deal value."),
            ref("trigger_touchpoint_id", "touchpoints", "The touch that won the meeting."),
            ref("trigger_reply_id", "replies", "The reply that won the meeting."),
            Field("attribution_channel", .text, "Filled from the trigger touch."),
            Field("attribution_touch_number", .integer, "Filled from the trigger touch."),
            Field("attribution_proof_point", .text, "Filled from the trigger touch's draft."),
            Field("attribution_pain_hook", .text, "Filled from the trigger touch's draft."),
            Field("attribution_opener_style", .text, "Filled from the trigger touch's draft."),
            Field("attribution_personalization_score", .integer, "Filled from the trigger touch's draft."),
            Field("attribution_ab_group", .text, "Filled from the trigger touch's draft."),
            Field("attribution_ab_variable", .text, "Filled from the trigger touch's draft."),
            Field("ae_name", .text, "Which AE got the meeting."),
            Field("ae_feedback", .text, "AE feedback on lead quality."),
            Field("disqualification_reason", .text, "Why it did not convert."),
            Field("notes", .text, "Notes."),
            createdAt, updatedAt,
        ])

    public static let batches = Entity(
        table: "batches", singular: "batch", schemaName: "Batch",
        summary: "A batch of prospects worked together, usually one A/B test.",
        fields: [
            id,
            Field("batch_number", .integer, access: .readOnly, "Sequential; assigned by the database."),
            Field("created_date", .date, computedDefault: true, "Day the batch was built (default today)."),
            Field("prospect_count", .integer, access: .readOnly, default: 0, "Prospects in the batch; kept by a trigger."),
            Field("ab_variable", .text, "What is being tested."),
            Field("ab_description", .text, "Details of the test."),
            Field("pre_brief", .text, "Five-line summary."),
            Field("mix_ratio", .jsonObject, default: [:], "e.g. {\"qa_leaders\":14,\"vp_eng\":8}."),
            Field("status", .text, vocabulary: Vocabulary.batchStatus, default: "building", "building, ready, active, completed."),
            Field("html_file_path", .text, "Path to an exported HTML file."),
            Field("metrics", .jsonObject, default: [:], "Post-batch metrics."),
            createdAt, updatedAt,
        ])

    public static let batchProspects = Entity(
        table: "batch_prospects", singular: "batch prospect", schemaName: "BatchProspect",
        summary: "A contact in a batch (once per batch), with its A/B group.",
        fields: [
            id,
            ref("batch_id", "batches", required: true, "The batch."),
            ref("contact_id", "contacts", required: true, "The contact."),
            Field("ab_group", .text, vocabulary: Vocabulary.abGroup, "A, B or C."),
            Field("sequence_status", .text, vocabulary: Vocabulary.sequenceStatus, default: "not_started", "Progress through the sequence."),
            Field("position_in_batch", .integer, range: 0...1_000_000, "Sort order."),
            createdAt, updatedAt,
        ])

    public static let experiments = Entity(
        table: "experiments", singular: "experiment", schemaName: "Experiment",
        summary: "An A/B(/C) test over batches, with group counts and a verdict.",
        fields: [
            id,
            Field("name", .text, required: true, "Name."),
            Field("variable", .text, vocabulary: Vocabulary.experimentVariable, "What is varied."),
            Field("group_a_desc", .text, "Group A."),
            Field("group_b_desc", .text, "Group B."),
            Field("group_c_desc", .text, "Group C, if any."),
            Field("status", .text, vocabulary: Vocabulary.experimentStatus, default: "active", "active, completed, inconclusive."),
            Field("batches_included", .jsonArray, default: [], "Ids of the batches in the test."),
            Field("group_a_sent", .integer, access: .readOnly, default: 0, "Computed from the batches."),
            Field("group_a_replies", .integer, access: .readOnly, default: 0, "Computed from the batches."),
            Field("group_a_meetings", .integer, access: .readOnly, default: 0, "Computed from the batches."),
            Field("group_a_opps", .integer, access: .readOnly, default: 0, "Computed from the batches."),
            Field("group_b_sent", .integer, access: .readOnly, default: 0, "Computed from the batches."),
            Field("group_b_replies", .integer, access: .readOnly, default: 0, "Computed from the batches."),
            Field("group_b_meetings", .integer, access: .readOnly, default: 0, "Computed from the batches."),
            Field("group_b_opps", .integer, access: .readOnly, default: 0, "Computed from the batches."),
            Field("winner", .text, access: .readOnly, vocabulary: Vocabulary.abGroup, "A, B, C or null; set by the results."),
            Field("conclusion", .text, "Conclusion."),
            createdAt, updatedAt,
        ])

    public static let agentRuns = Entity(
        table: "agent_runs", singular: "agent run", schemaName: "AgentRun",
        summary: "One agent step, nested through parent_run_id, with its inputs, outputs and costs.",
        fields: [
            id,
            Field("run_type", .text, required: true, vocabulary: Vocabulary.runType, "Kind of run."),
            Field("agent_name", .text, "Which agent ran."),
            ref("contact_id", "contacts", "The contact it worked on."),
            ref("batch_id", "batches", "The batch it worked on."),
            Field("inputs", .jsonObject, default: [:], "Inputs."),
            Field("outputs", .jsonObject, default: [:], "Outputs."),
            Field("sources_used", .jsonArray, default: [], "Sources."),
            Field("decisions", .jsonObject, default: [:], "Decisions taken."),
            Field("tokens_used", .integer, range: 0...1_000_000_000, "Tokens used."),
            Field("duration_ms", .integer, range: 0...1_000_000_000, "Duration in milliseconds."),
            Field("status", .text, vocabulary: Vocabulary.runStatus, default: "running", "running, success, partial, error."),
            Field("error_message", .text, "Error, if any."),
            ref("parent_run_id", "agent_runs", "The run this is a sub-task of."),
            Field("tool_name", .text, "The MCP tool a tool_call run ran."),
            Field("started_at", .timestamp, computedDefault: true, "Start (default now)."),
            Field("completed_at", .timestamp, "End."),
            createdAt, updatedAt,
        ])

    public static let auditLog = Entity(
        table: "audit_log", singular: "audit entry", schemaName: "AuditEntry",
        summary: "One insert, update or delete of any table, written by the database; append-only.",
        writable: false,
        fields: [
            id,
            Field("table_name", .text, required: true, "The table changed."),
            Field("record_id", .text, required: true, "The row's id."),
            Field("action", .text, required: true, vocabulary: Vocabulary.auditAction, "insert, update or delete."),
            Field("changed_by", .text, required: true, "user:<token name>, agent:<run id>, or sql."),
            Field("old_values", .jsonObject, nullable: true, "The row before (update, delete)."),
            Field("new_values", .jsonObject, nullable: true, "The row after (insert, update)."),
            Field("timestamp", .timestamp, access: .readOnly, "When it happened."),
            createdAt, updatedAt,
        ])
}
