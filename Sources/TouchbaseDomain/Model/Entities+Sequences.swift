/// Vocabularies of sequences (issue 14).
extension Vocabulary {
    public static let sequenceRunStatus = ["draft", "active", "paused", "archived"]
    public static let stepKind = ["auto_email", "manual_email", "call", "linkedin", "action_item"]
    public static let enrollmentState = ["active", "paused", "finished", "stopped"]
    public static let stopReason = [
        "replied", "account_replied", "bounced", "unsubscribed", "do_not_contact", "red_email", "meeting_booked", "opportunity",
        "manual", "failed",
    ]
    public static let accountReplyRule = ["stop", "pause", "none"]
}

extension Entities {
    public static let sequences = Entity(
        table: "sequences", singular: "sequence", schemaName: "Sequence",
        summary: "A multi-step outreach sequence: its send window, holidays, exclusivity and account reply rule.",
        fields: [
            id,
            Field("name", .text, required: true, "Sequence name (up to 200 characters)."),
            Field("description", .text, "What it is for."),
            Field("status", .text, vocabulary: Vocabulary.sequenceRunStatus, default: "draft", "draft, active, paused or archived: only an active sequence sends."),
            Field("time_zone", .text, normalization: .timeZone, default: "UTC",
                  "IANA time zone of the send window when the contact has none (Europe/Berlin)."),
            Field("send_days", .jsonArray, default: [1, 2, 3, 4, 5], "ISO week days the window is open (1 Monday … 7 Sunday).")
                .each(Field("day", .integer, required: true, range: 1...7)),
            Field("start_hour", .integer, range: 0...23, default: 9, "Hour the window opens, local to the contact."),
            Field("end_hour", .integer, range: 1...24, default: 17, "Hour the window closes (after start_hour)."),
            Field("holidays", .jsonArray, default: [], "Dates (2026-12-25) on which nothing is sent and business days are not counted.")
                .each(Field("holiday", .date, required: true)),
            Field("exclusive", .boolean, default: true, "A contact open in an exclusive sequence is enrolled in no other."),
            Field("on_account_reply", .text, vocabulary: Vocabulary.accountReplyRule, default: "stop",
                  "What a reply from one contact does to the others of the same company: stop, pause or none."),
            createdAt, updatedAt,
        ])

    public static let sequenceSteps = Entity(
        table: "sequence_steps", singular: "sequence step", schemaName: "SequenceStep",
        summary: "One step of a sequence: its kind, delay in business days, templates and A/B variants.",
        fields: [
            id,
            ref("sequence_id", "sequences", required: true, "The sequence."),
            Field("position", .integer, required: true, range: 1...100, "Step number from 1 (the touch number); once per sequence."),
            Field("kind", .text, required: true, vocabulary: Vocabulary.stepKind, "auto_email, manual_email, call, linkedin or action_item."),
            Field("delay_days", .integer, range: 0...365, default: 0, "Business days after the step before (or the enrolment)."),
            Field("subject", .text, "Subject template ({{first_name}}, {{company.name}}, {{colleague.first_name}}, …)."),
            Field("body", .text, "Body template."),
            Field("variants", .jsonArray, default: [], "A/B variants: [{\"subject\": …, \"body\": …}] for group B."),
            Field("same_thread", .boolean, default: false, "Reply in the thread of the email step before."),
            createdAt, updatedAt,
        ])

    public static let enrollments = Entity(
        table: "enrollments", singular: "enrollment", schemaName: "Enrollment",
        summary: "A contact in a sequence: its state (forward only), stop reason, current step and next run.",
        fields: [
            id,
            Field("sequence_id", .uuid, required: true, access: .createOnly, references: "sequences", "The sequence."),
            Field("contact_id", .uuid, required: true, access: .createOnly, references: "contacts", "The contact."),
            Field("state", .text, vocabulary: Vocabulary.enrollmentState, default: "active",
                  "active, paused, finished or stopped; a finished or stopped enrollment keeps its state."),
            Field("stop_reason", .text, vocabulary: Vocabulary.stopReason, "Why it stopped (required when state is stopped)."),
            Field("current_step", .integer, range: 1...100, default: 1, "Position of the next step to run."),
            Field("next_run_at", .timestamp, "When the next step is due."),
            Field("paused_until", .timestamp, "A paused enrollment resumes then."),
            Field("ab_group", .text, vocabulary: ["A", "B"], "The A/B group it was assigned."),
            Field("ended_at", .timestamp, access: .readOnly, "When it finished or stopped."),
            createdAt, updatedAt,
        ])
}
