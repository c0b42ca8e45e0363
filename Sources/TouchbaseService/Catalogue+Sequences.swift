import Foundation
import TouchbaseDomain
import TouchbaseStore

/// Sequences: setting them up, enrolling contacts and moving enrolments by hand (issue 14).
extension Catalogue {
    static let enrollmentOutcome = Shape.model(
        "EnrollmentOutcome",
        .object("One contact's enrolment, or why it was refused.", [
            Models.f("contact_id", .uuid), Models.f("enrolled", .boolean),
            ("enrollment", .nullable(.record(Entities.enrollments))),
            ("refused", .nullable(.text("Why the contact was not enrolled (do-not-contact, already enrolled, exclusive, not found)."))),
        ]))

    static func sequenceOperations(database: Database) -> [Operation] {
        let store = RecordStore(database: database)
        let sequences = SequenceRepository(database: database)
        let enrollmentID = idField("enrollment_id", "enrollment")
        return [
            Operation(
                "create_sequence", title: "New sequence", access: .write, input: .create(Entities.sequences),
                output: .record(Entities.sequences),
                description: "Create an outreach sequence: name, time_zone (IANA, used when the contact has none), send_days (ISO 1-7), start_hour/end_hour, holidays, exclusive, on_account_reply (stop, pause or none). Starts as draft; add steps with add_sequence_step."
            ) { args in .record(try await store.create(Entities.sequences, args.values)) },
            Operation(
                "add_sequence_step", title: "Add a step", access: .write, input: .create(Entities.sequenceSteps),
                output: .record(Entities.sequenceSteps),
                description: "Add a step to a sequence: position (1, 2, …; once per sequence), kind (auto_email, manual_email, call, linkedin, action_item), delay_days (business days after the step before), subject and body templates with merge fields ({{first_name}}, {{company.name}}, {{colleague.first_name}}, …), variants for A/B, same_thread."
            ) { args in .record(try await store.create(Entities.sequenceSteps, args.values)) },
            Operation(
                "get_sequence", title: "Sequence", access: .read, idempotent: true, input: .fields([idField("sequence_id", "sequence")]),
                output: Shape.model(
                    "SequenceOverview",
                    .object("A sequence, its steps in order and how many enrolments are in each state.", [
                        ("sequence", .record(Entities.sequences)), ("steps", .array(.record(Entities.sequenceSteps))),
                        ("enrollments", .freeform("Enrolments by state: {active: n, paused: n, finished: n, stopped: n}.")),
                        ("sends", .freeform("Sends by state: {sending, sent, retrying, failed, uncertain}.")),
                        ("tracking", .freeform("Tracking hits by kind and label: {open: {human, privacy_proxy, scanner, human_sends}, click: {…}}; only human hits count.")),
                    ])),
                description: "A sequence with its steps in order, its enrolments and sends counted by state, and its tracking hits by label (human hits count; privacy proxies and scanners are shown apart)."
            ) { args in .json(try await sequences.overview(try args.uuid("sequence_id"))) },
            Operation(
                "enroll_in_sequence", title: "Enrol contacts", access: .write,
                input: .fields([
                    idField("sequence_id", "sequence"),
                    Field("contact_ids", .jsonArray, nullable: true, "The contacts' ids (at most 500)."),
                    Field("filters", .jsonObject, nullable: true, "Or: exact contact fields, e.g. {\"company_id\": …} (at most 500 contacts match)."),
                ]),
                output: .page(enrollmentOutcome),
                description: "Enrol contacts in a sequence, by ids or by exact contact fields. Each contact is enrolled or refused with why: do-not-contact, already enrolled in this sequence, or open in another sequence when one of the two is exclusive. The first step is due at once; the send window decides when it goes."
            ) { args in
                var ids: [UUID]?
                if let list = args.values["contact_ids"]?.arrayValue {
                    ids = []
                    for (i, value) in list.enumerated() {
                        guard let id = value.stringValue.flatMap(UUID.init(uuidString:)) else {
                            throw DomainError.invalid("contact_ids[\(i)]", "must be a contact's id (a UUID)")
                        }
                        ids?.append(id)
                    }
                }
                let outcomes = try await sequences.enroll(sequence: try args.uuid("sequence_id"), contacts: ids, filters: args.object("filters"))
                return .list(outcomes.map(\.json))
            },
            Operation(
                "list_enrollments", title: "Enrolments", access: .read, idempotent: true,
                input: .fields([
                    id("sequence_id", "sequence", required: false), id("contact_id", "contact", required: false),
                    Field("state", .text, vocabulary: Vocabulary.enrollmentState, "Only this state."),
                    limitField(), Field("cursor", .uuid, "The next_cursor of the previous page."),
                ]),
                output: .page(.record(Entities.enrollments)),
                description: "Enrolments of a sequence or of a contact (or both), optionally in one state; a page {data, next_cursor}."
            ) { args in
                var query = ListQuery(limit: args.int("limit") ?? 100)
                query.cursor = args.optionalUUID("cursor")
                for name in ["sequence_id", "contact_id", "state"] where args.string(name) != nil { query.filters[name] = args.values[name] }
                let page = try await store.list(Entities.enrollments, query)
                return .records(page.records, nextCursor: page.nextCursor)
            },
            Operation(
                "stop_enrollment", title: "Stop an enrolment", access: .write, idempotent: true,
                input: .fields([
                    enrollmentID,
                    Field("reason", .text, vocabulary: Vocabulary.stopReason, default: "manual", "Why (manual by default)."),
                ]),
                output: .record(Entities.enrollments),
                description: "Stop an enrolment for good: nothing more is sent. One already finished or stopped is returned as it is."
            ) { args in .record(try await sequences.stop(try args.uuid("enrollment_id"), reason: args.string("reason") ?? "manual")) },
            Operation(
                "pause_enrollment", title: "Pause an enrolment", access: .write, idempotent: true,
                input: .fields([enrollmentID, Field("until", .timestamp, "Resume on its own then (default: until resumed).")]),
                output: .record(Entities.enrollments),
                description: "Pause an active enrolment, until a time or until resume_enrollment."
            ) { args in .record(try await sequences.pause(try args.uuid("enrollment_id"), until: args.string("until").flatMap(Timestamp.parse))) },
            Operation(
                "resume_enrollment", title: "Resume an enrolment", access: .write, idempotent: true, input: .fields([enrollmentID]),
                output: .record(Entities.enrollments),
                description: "Resume a paused enrolment: its next step is due at once (the send window decides when it goes)."
            ) { args in .record(try await sequences.resume(try args.uuid("enrollment_id"))) },
            Operation(
                "resolve_send", title: "Resolve an uncertain send", access: .write,
                input: .fields([
                    idField("send_id", "send"),
                    Field("outcome", .text, required: true, vocabulary: ["sent", "not_sent"], "sent (it is in the mailbox's Sent folder) or not_sent (send it again)."),
                ]),
                output: .record(Entities.sends),
                description: "A person's word on an uncertain send (interrupted after it started, so the server may have taken it): sent records it as sent and moves the enrollment on; not_sent lets the runner send it again, with the same Message-ID."
            ) { args in
                .record(try await SequenceRunner.fromEnvironment(database: database).resolve(send: try args.uuid("send_id"), sent: args.string("outcome") == "sent"))
            },
            Operation(
                "run_due_sequences", title: "Run due sequence steps", access: .admin,
                input: .fields([
                    Field("now", .timestamp, "The instant to run as of (default: now); steps due by then run once."),
                    Field("limit", .integer, range: 1...5_000, default: 500, "Most enrolments to look at."),
                ]),
                output: Shape.model(
                    "SequenceRun",
                    .freeform("What the run did: {counts: {sent, delayed, task, paused, stopped, finished, retrying, failed, uncertain, skipped}, items: [{enrollment_id, contact_id, step, action, detail, until}]}.")),
                description: "Run every sequence step due as of now (or the instant given), once: emails sent through their mailbox in the contact's send window and within the mailbox's caps, manual steps made follow-ups, the rest left waiting with why and until when. The server runs this itself every few seconds."
            ) { args in
                let now = args.string("now").flatMap(Timestamp.parse) ?? Date()
                let report = try await SequenceRunner.fromEnvironment(database: database).runDue(now: now, limit: args.int("limit") ?? 500)
                return .json(report.json)
            },
        ]
    }
}
