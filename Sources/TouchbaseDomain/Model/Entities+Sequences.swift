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
    public static let inboundStatus = ["processed", "unmatched", "unparsed", "ignored"]
    public static let inboundKind = ["reply", "auto_reply", "bounce", "complaint", "unsubscribe", "own"]
    public static let inboundMatch = ["in_reply_to", "references", "reply_token", "report", "sender", "assigned"]
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
            Field("reply_address", .text, normalization: .email,
                  "Where replies go, when not to the mailbox itself: replies@in.example.com makes each message's Reply-To replies+TOKEN@in.example.com, which threads a reply even without its headers."),
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

    public static let inboundMessages = Entity(
        table: "inbound_messages", singular: "inbound message", schemaName: "InboundMessage",
        summary: "One email taken in (API, touchbase inbound, a maildir): parsed, classified (reply, auto_reply, bounce, complaint, unsubscribe, own), threaded to what it answers, and what it set off. Unmatched ones wait for a person to assign.",
        writable: false,
        fields: [
            id,
            Field("message_id", .text, "Its Message-ID (without angle brackets)."),
            Field("dedup_key", .text, required: true, "The Message-ID, else sha256:… of the bytes: the same message is taken once."),
            Field("source", .text, vocabulary: ["api", "cli", "maildir"], default: "api", "How it came in."),
            Field("status", .text, vocabulary: Vocabulary.inboundStatus, default: "unmatched",
                  "processed (matched and acted on), unmatched (waits to be assigned), unparsed (could not be read: see reason), ignored (our own mail)."),
            Field("kind", .text, vocabulary: Vocabulary.inboundKind, "reply, auto_reply, bounce, complaint, unsubscribe or own (from one of our mailboxes)."),
            Field("reason", .text, "Why it has its kind, or why it could not be read or matched."),
            Field("from_address", .text, "The sender's address."),
            Field("from_name", .text, "The sender's name."),
            Field("to_addresses", .jsonArray, default: [], "To and Cc addresses."),
            Field("subject", .text, "The subject, decoded."),
            Field("sent_at", .timestamp, "Its Date header."),
            Field("received_at", .timestamp, computedDefault: true, "When it was taken in."),
            Field("thread_ids", .jsonArray, default: [], "In-Reply-To and References, newest first."),
            Field("headers", .jsonArray, default: [], "Every header field as [name, value], in order."),
            Field("size_bytes", .integer, range: 0...1e15, default: 0, "The raw message's size."),
            Field("body_text", .text, "The full text (the text part, else the HTML as text)."),
            Field("reply_text", .text, "The text without quoted history and signature."),
            Field("notes", .jsonArray, default: [], "What the reader noticed (an unknown charset, HTML only, …)."),
            Field("matched_by", .text, vocabulary: Vocabulary.inboundMatch, "How it was threaded: in_reply_to, references, reply_token, report (a bounce's or complaint's original), sender, or assigned by a person."),
            ref("contact_id", "contacts", "The contact it is from or about."),
            ref("conversation_id", "conversations", "The conversation."),
            ref("touchpoint_id", "touchpoints", "The touch it answers."),
            ref("enrollment_id", "enrollments", "The enrolment of that touch."),
            ref("send_id", "sends", "Our send it answers."),
            ref("reply_id", "replies", "The reply recorded for it."),
            ref("mailbox_id", "mailboxes", "Our mailbox it came to (or from)."),
            Field("bounce_type", .text, vocabulary: ["hard", "soft"], "For a bounce: hard (5.x.x) or soft (4.x.x, mailbox full)."),
            Field("bounce_status", .text, "The enhanced status code (5.1.1)."),
            Field("bounced_recipient", .text, "The address that failed."),
            Field("diagnostic", .text, "The remote server's words."),
            Field("paused_until", .timestamp, "For an auto-reply: until when the enrolment waits."),
            Field("effects", .jsonArray, default: [], "What it set off, in words."),
            Field("assigned_by", .text, "Who assigned it by hand."),
            createdAt, updatedAt,
        ])
}
