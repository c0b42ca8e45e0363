import Foundation
import TouchbaseDomain
import TouchbaseStore

/// Writes with the rules that follow them (`WriteRules`: a contact's priority), the same for every face.
public struct Writes: Sendable {
    let store: RecordStore
    let rules: WriteRules

    public init(database: Database) {
        store = RecordStore(database: database)
        rules = WriteRules(database: database)
    }

    public func create(_ entity: Entity, _ input: [String: JSONValue]) async throws -> Record {
        let record = try await store.create(entity, input)
        return WriteRules.applies(to: entity) ? try await rules.after(entity, record, created: true) : record
    }

    public func update(_ entity: Entity, _ id: UUID, _ patch: [String: JSONValue]) async throws -> Record {
        let record = try await store.update(entity, id, patch)
        return WriteRules.applies(to: entity) ? try await rules.after(entity, record, created: false) : record
    }
}

/// A page size argument.
func limit(_ summary: String = "Most rows to return.", default value: Int = 20, max: Int = Catalogue.maxLimit) -> Field {
    Field("limit", .integer, range: 1...Double(max), default: .int(Int64(value)), summary)
}

/// An id argument.
func id(_ name: String, _ what: String, required: Bool = true) -> Field {
    Field(name, .uuid, required: required, "The \(what)'s id.")
}

/// Every operation a face can run, declared once. `Catalogue(database:)` binds them to one database.
public struct Catalogue: Sendable {
    public let operations: [Operation]
    let byName: [String: Operation]

    public subscript(_ name: String) -> Operation? { byName[name] }

    /// The most rows one call lists (an agent pages with `cursor` for more).
    public static let maxLimit = 100


    public init(database: Database) {
        let store = RecordStore(database: database)
        let writes = Writes(database: database)
        let graph = CompanyGraph(database: database)
        let relationships = RelationshipRepository(database: database)
        let outreach = OutreachRepository(database: database)
        let catalog = CatalogRepository(database: database)
        let queues = QueueRepository(database: database)
        let touchpoints = TouchpointRepository(database: database)
        let ledger = AgentLedgerRepository(database: database)

        func search(_ entity: Entity, _ name: String, about: String, extra: [Field] = []) -> Operation {
            let filterable = entity.fields.filter { !$0.type.isJSON }.map(\.name)
            return Operation(
                name, title: "Search \(entity.table)", access: .read, idempotent: true,
                input: .fields(
                    [
                        Field("query", .text, "Words to find in \(entity.searchFields.joined(separator: ", ")); each word matches as a prefix."),
                    ] + extra + [
                        Field("filters", .jsonObject, nullable: true, "Exact values by field name, e.g. {\"status\": \"active\"}. Fields: \(filterable.joined(separator: ", "))."),
                        limit(), Field("cursor", .uuid, "The next_cursor of the previous page."),
                    ]),
                output: .page(.record(entity)),
                description: "\(about) Returns a page {data, next_cursor}; pass next_cursor back as cursor for more."
            ) { args in
                var query = ListQuery(limit: args.int("limit") ?? 20)
                query.search = args.string("query").flatMap { $0.trimmed.isEmpty ? nil : $0 }
                query.cursor = args.optionalUUID("cursor")
                var issues: [FieldIssue] = []
                var filters = args.object("filters") ?? [:]
                for field in extra where args.values[field.name] != nil && args[field.name] != .null { filters[field.name] = args[field.name] }
                for (key, value) in filters {
                    guard let field = entity.field(key), !field.type.isJSON else {
                        issues.append(FieldIssue(field: "filters.\(key)", message: "is not a field of \(entity.singular) to filter on (\(filterable.joined(separator: ", ")))"))
                        continue
                    }
                    do { query.filters[key] = try field.check(value) } catch let problem as FieldProblem {
                        issues.append(FieldIssue(field: "filters.\(key)", message: problem.message))
                    }
                }
                if !issues.isEmpty { throw DomainError.validation(issues) }
                let page = try await store.list(entity, query)
                return .records(page.records, nextCursor: page.nextCursor)
            }
        }

        func get(_ entity: Entity, _ name: String, field: String, about: String) -> Operation {
            Operation(
                name, title: "Get a \(entity.singular)", access: .read, idempotent: true, input: .fields([id(field, entity.singular)]),
                output: .record(entity), description: about
            ) { args in .record(try await store.get(entity, try args.uuid(field))) }
        }

        func create(_ entity: Entity, _ name: String, about: String) -> Operation {
            Operation(name, title: "New \(entity.singular)", access: .write, input: .create(entity), output: .record(entity), description: about) { args in
                .record(try await writes.create(entity, args.values))
            }
        }

        func update(_ entity: Entity, _ name: String, field: String, about: String) -> Operation {
            Operation(
                name, title: "Change a \(entity.singular)", access: .write, idempotent: true, input: .update(entity, idField: field),
                output: .record(entity), description: about
            ) { args in .record(try await writes.update(entity, try args.uuid(field), args.removing(field))) }
        }

        let contactID = id("contact_id", "contact")
        let companyID = id("company_id", "company")
        var all: [Operation] = [
            search(
                Entities.companies, "search_companies",
                about: "Find target accounts (companies) by name, domain or industry words, and/or exact field values (industry, status, country, …)."),
            search(
                Entities.contacts, "search_contacts",
                about: "Find people by name, email or title words, and/or exact field values (company_id, seniority_level, status, email_status, …).",
                extra: [id("company_id", "company whose people to list", required: false)]),
            get(Entities.companies, "get_company", field: "company_id", about: "One company (account) with every stored field: firmographics, counters, ICP and renewal data."),
            get(Entities.contacts, "get_contact", field: "contact_id", about: "One contact with every stored field: role, seniority, email status, do-not-contact, priority and engagement."),
            Operation(
                "get_account_overview", title: "Account overview", access: .read, idempotent: true, input: .fields([companyID]),
                output: Models.accountOverview,
                description: "Everything about one account in one call: the company, its contacts grouped as primary, decision makers and champions, the relationships between them, active conversations and the account's counts. Use it first when researching an account."
            ) { args in .json(try await graph.accountOverview(try args.uuid("company_id"))) },
            Operation(
                "get_account_health", title: "Account health", access: .read, idempotent: true, input: .fields([companyID]),
                output: Models.accountHealth,
                description: "The account's health score 0-100 (coverage, engagement, recency, pipeline, relationships), its status (excellent … critical) and recommendations on what to do next."
            ) { args in
                let id = try args.uuid("company_id")
                var json = try await graph.accountHealth(id).json.objectValue ?? [:]
                json["company_id"] = .string(id.lowercased)
                return .json(.object(json))
            },
            Operation(
                "get_contact_context", title: "Contact context", access: .read, idempotent: true,
                input: .fields([
                    contactID, Field("include_company", .boolean, default: true, "Include the company."),
                    Field("include_relationships", .boolean, default: true, "Include colleagues and relationships."),
                ]),
                output: Models.conversationContext,
                description: "What you need before writing to a contact: the person, their company, active conversations with recent touches, engagement counts and relationships. Read it before drafting or replying."
            ) { args in
                .json(try await graph.conversationContext(
                    try args.uuid("contact_id"), includeCompany: args.bool("include_company") ?? true,
                    includeRelationships: args.bool("include_relationships") ?? true))
            },
            Operation(
                "find_expansion_targets", title: "Expansion targets", access: .read, idempotent: true,
                input: .fields([
                    id("contact_id", "primary contact (the one already engaged)"),
                    Field("min_strength", .text, vocabulary: Vocabulary.strength, default: "medium", "Weakest relationship to follow."),
                ]),
                output: .page(Models.expansionTarget),
                description: "Colleagues of an engaged contact to reach next (multi-threading an account), ranked by priority from relationship strength, seniority, role and whether they are already in a conversation."
            ) { args in
                let id = try args.uuid("contact_id")
                _ = try await store.get(Entities.contacts, id)
                return .list(try await graph.expansionTargets(primaryContactID: id, minStrength: args.string("min_strength") ?? "medium"))
            },
            Operation(
                "list_colleagues", title: "Colleagues", access: .read, idempotent: true, input: .fields([contactID]),
                output: .page(.row(Views.colleagues)),
                description: "The other contacts at the same company as this contact, each with the mapped relationship between them if there is one."
            ) { args in .records(try await relationships.colleagues(of: try args.uuid("contact_id")), nextCursor: nil) },
            create(
                Entities.companies, "create_company",
                about: "Add a target account. name is required; domain (normalised, unique: a duplicate is refused with the existing one named) is strongly advised."),
            update(Entities.companies, "update_company", field: "company_id", about: "Change fields of a company; the fields not given stay as they are."),
            create(
                Entities.contacts, "create_contact",
                about: "Add a person. first_name and last_name are required; company_id links them to an account; email is normalised and unique. Priority is worked out on create."),
            update(Entities.contacts, "update_contact", field: "contact_id", about: "Change fields of a contact (title, seniority, do_not_contact, …); the priority is recomputed."),
            create(
                Entities.relationships, "create_relationship",
                about: "Record how two contacts relate (reports_to, works_with, …) with a strength and confidence. The same pair in reverse is refused as a duplicate."),
            create(
                Entities.researchSnapshots, "save_research",
                about: "Store research on a person or a company (entity_type person or company): headline, summary, pain indicators, tech stack signals, news, hiring signals and the sources used (URLs). Give agent_run_id to link it to your run."),
            Operation(
                "score_icp", title: "Score against the ICP", access: .write, input: .fields([contactID]), output: .record(Entities.icpScores),
                description: "Score a contact 0-12 against the active ICP profile (industry, size, title, seniority, signals); stores an icp_scores row with the tier and recomputes the contact's priority."
            ) { args in .record(try await outreach.scoreICP(contactID: try args.uuid("contact_id"))) },
            Operation(
                "recommend_solutions", title: "Recommend solutions", access: .read, idempotent: true, input: .fields([contactID]),
                output: .page(Models.recommendedSolution),
                description: "Our solutions mapped to the contact's industry, ranked by how well their keywords and use cases match the contact's research. Use the top one as the angle of a draft."
            ) { args in .list(try await catalog.recommendedSolutions(contactID: try args.uuid("contact_id"))) },
            create(
                Entities.messageDrafts, "create_draft",
                about: "Write a draft to a contact: contact_id, channel (email, linkedin, …) and body are required; subject_line for email. Starts as approval_status draft; run_draft_qc before asking for approval. A do-not-contact contact cannot get a ready draft."),
            update(Entities.messageDrafts, "update_draft", field: "draft_id", about: "Change a draft's text or fields; a changed subject or body is versioned and clears the QC result."),
            update(
                Entities.replies, "update_reply", field: "reply_id",
                about: "Change a reply: its intent, summary, the next step taken, or handled_at (when it was dealt with) to take it off Today's list."),
            create(
                Entities.campaigns, "create_campaign",
                about: "Start a marketing campaign (seed 004): a name, its type and dates; renewal contacts are added to it with add_campaign_members_from_slots."),
            update(
                Entities.followups, "update_followup", field: "followup_id",
                about: "Change a follow-up: state completed or skipped (with completed_at), or a new due_date to snooze it."),
            Operation(
                "run_draft_qc", title: "QC a draft", access: .write, idempotent: true, input: .fields([id("draft_id", "message draft")]),
                output: Models.qcResult,
                description: "Run the QC checks on a draft (length for its channel and touch type, personalisation, spam words, links, placeholders, the recipient's email status); sets qc_passed and qc_flags. Fix the flags and run it again."
            ) { args in
                let (draft, flags) = try await outreach.qc(draftID: try args.uuid("draft_id"), runID: AuditContext.agentRun)
                return .json(["passed": .bool(flags.isEmpty), "flags": .array(flags.map(\.json)), "draft": draft.json])
            },
            create(
                Entities.touchpoints, "log_touchpoint",
                about: "Log a touch made or received (an email sent, a call, a LinkedIn message): conversation_id or contact_id, channel, direction (outbound/inbound), type. Refused for a do-not-contact contact and for an outbound email to a red (invalid) address."),
            Operation(
                "record_engagement", title: "Record engagement", access: .write,
                input: .fields([
                    id("touchpoint_id", "touchpoint"),
                    Field("type", .text, required: true, vocabulary: TouchpointRepository.eventTypes, "What happened."),
                    Field("response", .text, "The reply text, with type replied."),
                    Field("at", .timestamp, "When it happened (default now)."),
                ]),
                output: .record(Entities.touchpoints),
                description: "Record that a touch was delivered, opened, clicked, replied to, bounced or failed; the touch's outcome and the contact's engagement follow."
            ) { args in
                .record(try await touchpoints.recordEvent(
                    try args.uuid("touchpoint_id"), type: args.string("type")!, response: args.string("response"),
                    at: args.string("at").flatMap(Timestamp.parse) ?? Date()))
            },
            create(
                Entities.replies, "record_reply",
                about: "Record a reply from a contact with its intent (positive, neutral, not_now, referral, unsubscribe, negative); for a referral give referral_name and referral_title. The next step is filled from the intent; unsubscribe marks the contact do-not-contact."),
            create(
                Entities.followups, "schedule_followup",
                about: "Schedule a follow-up with a contact: contact_id and due_date (YYYY-MM-DD), optionally channel, touch_number and the draft to send. Refused for a do-not-contact contact."),
            Operation(
                "list_followups_due", title: "Follow-ups due", access: .read, idempotent: true,
                input: .fields([Field("until", .date, "Only those due on or before this day (default: all due)."), limit(default: 100, max: ListQuery.maxLimit)]),
                output: .page(.record(Entities.followups)),
                description: "Pending and overdue follow-ups, earliest due first: the work queue of what to send next."
            ) { args in .records(try await outreach.followupsDue(until: args.string("until"), limit: args.int("limit") ?? 100), nextCursor: nil) },
            Operation(
                "list_queue", title: "Research queue", access: .read, idempotent: true,
                input: .fields([
                    Field("queue", .text, required: true, vocabulary: QueueRepository.queues, "company-urls (sites, LinkedIn pages, news), profile-urls (LinkedIn profiles) or email-recheck."),
                    Field("days", .integer, range: 0...3650, default: 30, "Re-check what was last checked more than this many days ago."),
                    limit(default: 100, max: ListQuery.maxLimit),
                ]),
                output: .page(Models.queueItem),
                description: "What needs checking, oldest first: company URLs, profile URLs or emails whose last check is missing or older than days. Check each and call mark_checked."
            ) { args in .list(try await queues.queue(args.string("queue")!, days: args.int("days") ?? 30, limit: args.int("limit") ?? 100)) },
            Operation(
                "mark_checked", title: "Mark checked", access: .write,
                input: .fields([
                    id("company_id", "company checked", required: false), id("contact_id", "contact checked", required: false),
                    Field("kind", .text, required: true, vocabulary: ["site", "linkedin", "news", "profile", "email"], "site, linkedin or news for a company; profile or email for a contact."),
                    Field("email_status", .text, vocabulary: ["green", "yellow", "red", "gray"], "For an email check: the verdict."),
                    Field("email_confidence", .decimal, range: 0...100, "For an email check: confidence 0-100."),
                    Field("email_source_url", .text, "For an email check: where it was confirmed."),
                ]),
                output: .freeform("The company or contact as it now stands."),
                description: "Record that a queue item was checked now, so it leaves the queue: give company_id with kind site/linkedin/news, or contact_id with kind profile/email (an email check may carry email_status, email_confidence, email_source_url)."
            ) { args in
                let kind = args.string("kind")!
                switch (args.optionalUUID("company_id"), args.optionalUUID("contact_id")) {
                case (let company?, nil):
                    return .record(try await queues.companyChecked(company, kind: kind))
                case (nil, let contact?):
                    var body: [String: JSONValue] = [:]
                    for key in ["email_status", "email_confidence", "email_source_url"] where args.values[key] != nil { body[key] = args[key] }
                    return .record(try await queues.contactChecked(contact, kind: kind, body: body))
                default:
                    throw DomainError.invalid("company_id", "give exactly one of company_id and contact_id")
                }
            },
            search(
                Entities.signals, "list_signals",
                about: "Buying signals (funding, hiring, leadership change, news, …) by company or contact, newest first by id; filter with company_id, contact_id, signal_type or acted_on.",
                extra: [id("company_id", "company", required: false), id("contact_id", "contact", required: false)]),
            create(
                Entities.signals, "create_signal",
                about: "Record a buying signal found on a company or contact: signal_type, description, source_url. A signal with a dedupe_key already stored is refused as a duplicate. The priority of the contacts concerned is recomputed."),
            Operation(
                "get_experiment_results", title: "Experiment results", access: .read, idempotent: true,
                input: .fields([
                    id("experiment_id", "experiment"), Field("metric", .text, vocabulary: ["replies", "meetings"], default: "replies", "Rate to test."),
                    Field("min_sent", .integer, range: 1...1_000_000, default: .int(Int64(ExperimentVerdict.defaultMinimumSent)), "Sends each group needs before a verdict."),
                ]),
                output: Models.experimentResults,
                description: "An A/B(/C) experiment's counts per group and its verdict (a winner only with enough sends and p < 0.05). Changes nothing."
            ) { args in
                .json(try await outreach.experimentResults(
                    try args.uuid("experiment_id"), metric: args.string("metric") ?? "replies",
                    minimumSent: args.int("min_sent") ?? ExperimentVerdict.defaultMinimumSent))
            },
            Operation(
                "log_llm_usage", title: "Report model usage", access: .write, input: .create(Entities.llmUsage), output: .record(Entities.llmUsage),
                description: "Report one model call you made: workflow_name, node_name, model, prompt_tokens, completion_tokens, latency_ms, cost. Linked to the run you act under unless agent_run_id is given; the ledger sums it."
            ) { args in
                var values = args.values
                if values["agent_run_id"] == nil, let run = AuditContext.agentRun { values["agent_run_id"] = .string(run.lowercased) }
                return .record(try await store.create(Entities.llmUsage, values))
            },
            Operation(
                "start_agent_run", title: "Start a run", access: .write, input: .create(Entities.agentRuns), output: .record(Entities.agentRuns),
                description: "Open a sub-run for a task (run_type research, draft, qc, analysis, pre_brief, batch_build, reply_triage, call_prep, signal_scan) under your session's run; what you change while it is open is still on your session's ledger. Close it with finish_agent_run."
            ) { args in
                var values = args.values
                if values["parent_run_id"] == nil, let run = AuditContext.agentRun {
                    values["parent_run_id"] = .string(run.lowercased)
                    if values["agent_name"] == nil { values["agent_name"] = try await store.get(Entities.agentRuns, run)["agent_name"] }
                }
                return .record(try await store.create(Entities.agentRuns, values))
            },
            Operation(
                "finish_agent_run", title: "Finish a run", access: .write, idempotent: true,
                input: .fields([
                    id("run_id", "agent run"),
                    Field("status", .text, required: true, vocabulary: ["success", "partial", "error"], "How it ended."),
                    Field("outputs", .jsonObject, nullable: true, "What it produced."),
                    Field("error_message", .text, "Why it failed."),
                    Field("tokens_used", .integer, range: 0...1_000_000_000, "Tokens it used."),
                ]),
                output: .record(Entities.agentRuns),
                description: "Close a run opened with start_agent_run: its status, outputs, error and tokens; completed_at and duration_ms are set."
            ) { args in
                .record(try await ledger.finish(
                    try args.uuid("run_id"), status: args.string("status")!, outputs: args.values["outputs"].flatMap { $0.isNull ? nil : $0 },
                    error: args.string("error_message"), tokens: args.int("tokens_used")))
            },
        ]
        all += Self.ledgerOperations(ledger)
        all += Self.workflowOperations(database: database)
        all += Self.sequenceOperations(database: database)
        all += Self.inboundOperations(database: database)
        all += Self.webhookOperations(database: database)
        operations = all
        byName = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })
    }

    /// The ledger reads (bound over HTTP; an agent sees its own through its session).
    static func ledgerOperations(_ ledger: AgentLedgerRepository) -> [Operation] {
        [
            Operation(
                "get_agent_run_ledger", title: "Run ledger", access: .read, idempotent: true, input: .fields([id("run_id", "agent run")]),
                output: Models.ledger,
                description: "What an agent run and its child runs did: each tool call, every row changed (from the audit log) and the tokens and cost reported."
            ) { args in .json(try await ledger.ledger(runID: try args.uuid("run_id"))) },
            Operation(
                "get_agent_ledger", title: "Agent ledger", access: .read, idempotent: true,
                input: .fields([
                    Field("agent_name", .text, required: true, "The agent's name (an MCP session is named <token>:<client>; the token's name covers its clients)."),
                    Field("since", .timestamp, "Only runs started at or after this time."),
                ]),
                output: Models.ledger,
                description: "What an agent's runs did over a time range: the runs, their tool calls, the rows changed and the tokens and cost."
            ) { args in .json(try await ledger.ledger(agent: args.string("agent_name")!, since: args.string("since").flatMap(Timestamp.parse))) },
        ]
    }

    /// The operations an MCP client is offered as tools (not the ledger reads, which are for people and scripts).
    public static let toolNames: [String] = [
        "search_companies", "search_contacts", "get_company", "get_contact", "get_account_overview", "get_account_health",
        "get_contact_context", "find_expansion_targets", "list_colleagues", "create_company", "update_company", "create_contact",
        "update_contact", "create_relationship", "save_research", "score_icp", "recommend_solutions", "create_draft", "update_draft",
        "run_draft_qc", "log_touchpoint", "record_engagement", "record_reply", "schedule_followup", "list_followups_due", "list_queue",
        "mark_checked", "list_signals", "create_signal", "get_experiment_results", "log_llm_usage", "start_agent_run", "finish_agent_run",
        "create_sequence", "add_sequence_step", "get_sequence", "enroll_in_sequence", "list_enrollments", "stop_enrollment",
        "pause_enrollment", "resume_enrollment", "list_inbound", "get_inbound_message", "classify_reply", "assign_inbound",
    ]

    /// Every output model, for the OpenAPI document.
    public var models: [Shape] { operations.map(\.output) }
}
