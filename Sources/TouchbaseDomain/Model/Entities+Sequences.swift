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
    public static let sendState = ["sending", "sent", "retrying", "failed", "uncertain"]
    public static let mailboxStatus = ["active", "paused"]
    public static let trackingLabel = ["human", "privacy_proxy", "scanner"]
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
            ref("mailbox_id", "mailboxes", "The mailbox it sends from (an enrollment may name another)."),
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
            Field("next_run_at", .timestamp, computedDefault: true,
                  "When the runner next looks at it (default: at once); null while it waits for a task or a person."),
            Field("paused_until", .timestamp, "A paused enrollment resumes then."),
            Field("ab_group", .text, vocabulary: ["A", "B"], "The A/B group it was assigned."),
            Field("ended_at", .timestamp, access: .readOnly, "When it finished or stopped."),
            ref("mailbox_id", "mailboxes", "The mailbox it sends from, when not the sequence's."),
            Field("waiting_reason", .text, access: .readOnly,
                  "Why the next step waits (until next_run_at: the send window, a cap, a retry), for what (a task), or what paused or stopped it."),
            Field("last_step_at", .timestamp, access: .readOnly, "When the step before was done; the next step's delay counts from it."),
            createdAt, updatedAt,
        ])
}

extension Entities {
    public static let mailboxes = Entity(
        table: "mailboxes", singular: "mailbox", schemaName: "Mailbox",
        summary: "A team mailbox that sequences send from: its SMTP server (the password is kept apart and never shown) and its limits.",
        fields: [
            id,
            Field("email", .text, required: true, unique: true, normalization: .email, "The address mail is sent from (From and MAIL FROM)."),
            Field("display_name", .text, "The sender's name as recipients see it (Rob Lane); {{sender.first_name}} is its first word."),
            Field("title", .text, "The sender's job title, for {{sender.title}}."),
            Field("smtp_url", .text, required: true, normalization: .smtpURL,
                  "smtp://USER:PASS@HOST:PORT (STARTTLS; ?starttls=optional|never) or smtps://USER:PASS@HOST:PORT (TLS). "
                  + "The password is kept apart and never returned: the URL reads back without it. A URL without one keeps the "
                  + "password stored; smtp://USER:@HOST removes it.")
                .keepingPassword(in: "mailbox_secrets", flag: "password_set"),
            Field("password_set", .boolean, access: .readOnly, default: false, "Whether a password is kept for the SMTP server."),
            Field("daily_limit", .integer, range: 1...100_000, default: 2_000, "Messages a day at most (UTC day)."),
            Field("per_minute_limit", .integer, range: 1...1_000, default: 30, "Messages a minute at most."),
            Field("per_domain_daily_limit", .integer, range: 1...100_000, default: 50, "Messages a day at most to one recipient domain."),
            Field("signature", .text, "Signature appended to every message ({{sender.signature}})."),
            Field("tracking", .boolean, default: true, "Open and click tracking; off keeps messages free of pixels and redirects."),
            Field("scanner_window_seconds", .integer, range: 0...3_600, default: 60,
                  "A click this soon after the send is a link scanner's, not a person's."),
            Field("status", .text, vocabulary: Vocabulary.mailboxStatus, default: "active", "active or paused: a paused mailbox sends nothing."),
            createdAt, updatedAt,
        ])

    public static let sends = Entity(
        table: "sends", singular: "send", schemaName: "Send",
        summary: "One step's message to one enrollment: sending, sent, retrying, failed or uncertain (interrupted after the server took it; never sent again).",
        writable: false,
        fields: [
            id,
            ref("enrollment_id", "enrollments", required: true, "The enrollment."),
            Field("step_position", .integer, required: true, range: 1...100, "The step (touch number)."),
            ref("contact_id", "contacts", required: true, "The recipient."),
            ref("mailbox_id", "mailboxes", "The mailbox it went through."),
            Field("state", .text, vocabulary: Vocabulary.sendState, default: "sending",
                  "sending (in flight), sent, retrying (a 4xx: tried again at next_attempt_at), failed (a 5xx) or uncertain."),
            Field("message_id", .text, required: true, "Our Message-ID (without angle brackets), also on the touchpoint."),
            Field("token", .text, required: true, "The message's unguessable token: its unsubscribe link (/u/TOKEN) and tracking."),
            ref("touchpoint_id", "touchpoints", "The touchpoint recorded for it."),
            ref("message_draft_id", "message_drafts", "The draft it was rendered into (and passed QC as); a retry sends it again."),
            Field("recipient", .text, "The address it went to."),
            Field("recipient_domain", .text, "The recipient's domain (its cap)."),
            Field("subject", .text, "The rendered subject."),
            Field("ab_group", .text, vocabulary: ["A", "B"], "The variant sent."),
            Field("attempts", .integer, range: 1...100, default: 1, "SMTP transactions tried."),
            Field("smtp_reply", .text, "The server's last reply."),
            Field("sent_at", .timestamp, "When the server took it."),
            Field("next_attempt_at", .timestamp, "When a retrying send is tried again."),
            Field("links", .jsonArray, default: [], "The URLs the message contained, in order: a click redirects to one of these only."),
            createdAt, updatedAt,
        ])

    public static let trackingEvents = Entity(
        table: "tracking_events", singular: "tracking event", schemaName: "TrackingEvent",
        summary: "One raw tracking hit (an open or a click) on a send, labelled human, privacy_proxy or scanner with the reason. Only human hits count.",
        writable: false,
        fields: [
            id,
            ref("send_id", "sends", required: true, "The send it is about."),
            ref("contact_id", "contacts", "The recipient."),
            Field("kind", .text, required: true, vocabulary: ["open", "click"], "open (the pixel) or click (the redirect)."),
            Field("link", .integer, range: 0...1_000, "The link clicked: its number in the message from 1 (0 is the hidden honeypot)."),
            Field("url", .text, "Where the click was sent."),
            Field("method", .text, vocabulary: ["GET", "HEAD", "POST"], default: "GET", "The HTTP method."),
            Field("ip", .text, "The client's address."),
            Field("user_agent", .text, "The client's User-Agent."),
            Field("label", .text, required: true, vocabulary: Vocabulary.trackingLabel, "human, privacy_proxy or scanner."),
            Field("reason", .text, "Why it was given that label."),
            Field("occurred_at", .timestamp, computedDefault: true, "When the hit came."),
            createdAt, updatedAt,
        ])
}
