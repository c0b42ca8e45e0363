import Foundation
import TouchbaseDomain
import TouchbaseStore

/// The operations beside the MCP tools: what the HTTP API's other special endpoints and `touchbase run` bind (reads of
/// conversations and touches, the ICP profile, draft versions, experiments and batches, agent-run trees, events, LLM
/// usage, slots, verification, campaigns, renewals, intake and data quality).
extension Catalogue {
    static func limitField() -> Field { limit(default: 100, max: ListQuery.maxLimit) }

    static func idField(_ name: String, _ what: String) -> Field { id(name, what) }

    static let renewalCursor = Field("cursor", .text, "The next_cursor of the previous page (month:company id).")

    static func workflowOperations(database: Database) -> [Operation] {
        let store = RecordStore(database: database)
        let conversations = ConversationRepository(database: database)
        let relationships = RelationshipRepository(database: database)
        let touchpoints = TouchpointRepository(database: database)
        let outreach = OutreachRepository(database: database)
        let catalog = CatalogRepository(database: database)
        let events = EventRepository(database: database)
        let llmUsage = LLMUsageRepository(database: database)
        let slots = SlotRepository(database: database)
        let campaigns = CampaignRepository(database: database)
        let renewals = RenewalRepository(database: database)
        let intake = IntakeRepository(database: database)
        let quality = DataQualityRepository(database: database)
        let today = TodayRepository(database: database)
        let verdict: [Field] = [
            idField("experiment_id", "experiment"), Field("metric", .text, vocabulary: ["replies", "meetings"], default: "replies", "Rate to test."),
            Field("min_sent", .integer, range: 1...1_000_000, default: .int(Int64(ExperimentVerdict.defaultMinimumSent)), "Sends each group needs before a verdict."),
        ]
        @Sendable func companyExists(_ id: UUID) async throws {
            guard try await store.exists(Entities.companies, id) else { throw DomainError.notFound(entity: "company", id: id.lowercased) }
        }
        return [
            Operation(
                "get_today", title: "Today", access: .read, idempotent: true,
                input: .fields([
                    Field("until", .date, "Follow-ups due on or before this day (default: a week from today)."),
                    limit("Most rows of each list.", default: 50, max: ListQuery.maxLimit),
                ]),
                output: Models.today,
                description: "What the rep must do now: replies not yet handled, drafts that passed QC and wait for approval, bounced emails, follow-ups due (earliest first), the newest signals and the renewal windows the signal scan opened; with the contacts and companies they are about."
            ) { args in
                let until = args.string("until") ?? Timestamp.formatDate(Date().addingTimeInterval(7 * 86_400))
                return .json(try await today.today(until: until, limit: args.int("limit") ?? 50).json)
            },
            Operation(
                "list_conversations_needing_followup", title: "Conversations needing follow-up", access: .read, idempotent: true,
                input: .fields([limitField()]), output: .page(.row(Views.needingFollowup)),
                description: "Active conversations whose next touch is due, oldest first."
            ) { args in .list(try await conversations.needingFollowup(limit: args.int("limit") ?? 100).map(\.json)) },
            Operation(
                "list_contact_relationships", title: "Relationships of a contact", access: .read, idempotent: true,
                input: .fields([idField("contact_id", "contact")]),
                output: .page(.model("RelatedContact", .object("A relationship seen from the contact, with the other contact.",
                    Views.contactRelationships.fields.map { ($0.name, Shape.field($0)) } + [("contact", .record(Entities.contacts))]))),
                description: "Every relationship of a contact, both directions, with the other contact."
            ) { args in .list(try await relationships.relationships(of: try args.uuid("contact_id")).map(\.json)) },
            Operation(
                "get_touchpoint_history", title: "Touchpoint history", access: .read, idempotent: true,
                input: .fields([idField("conversation_id", "conversation")]), output: .page(.record(Entities.touchpoints)),
                description: "A conversation's touchpoints in the order they happened."
            ) { args in .records(try await touchpoints.history(conversationID: try args.uuid("conversation_id")), nextCursor: nil) },
            Operation(
                "get_engagement_metrics", title: "Engagement metrics", access: .read, idempotent: true,
                input: .fields([idField("conversation_id", "conversation")]),
                output: .model("EngagementMetrics", .object("Counts of a conversation's touchpoints and rates in percent of the outbound ones, one decimal.",
                    [("conversation_id", .uuid("The conversation."))]
                        + ["total_touchpoints", "outbound", "inbound", "emails_sent", "delivered", "opened", "clicked", "replied", "bounced"].map { ($0, Shape.integer("")) }
                        + ["open_rate", "click_rate", "reply_rate", "bounce_rate"].map { ($0, Shape.number("Percent of outbound touchpoints.")) })),
                description: "Open, click, reply and bounce rates of a conversation in percent of its outbound touchpoints."
            ) { args in
                let id = try args.uuid("conversation_id")
                var json = try await touchpoints.engagementMetrics(conversationID: id).json.objectValue ?? [:]
                json["conversation_id"] = .string(id.lowercased)
                return .json(.object(json))
            },
            Operation(
                "get_icp_profile", title: "ICP profile", access: .read, idempotent: true, input: .fields([]), output: .record(Entities.icpProfile),
                description: "The ideal-customer profile ICP scores are computed against."
            ) { _ in .record(try await outreach.icpProfile()) },
            Operation(
                "update_icp_profile", title: "Change the ICP profile", access: .write, idempotent: true, input: .patch(Entities.icpProfile),
                output: .record(Entities.icpProfile), description: "Change the fields given of the ICP profile; the others stay."
            ) { args in .record(try await outreach.updateICPProfile(args.values)) },
            Operation(
                "list_draft_versions", title: "Draft versions", access: .read, idempotent: true, input: .fields([idField("draft_id", "message draft")]),
                output: .page(.record(Entities.messageVersions)), description: "Earlier texts of a draft, oldest first."
            ) { args in .records(try await outreach.versions(draftID: try args.uuid("draft_id")), nextCursor: nil) },
            Operation(
                "conclude_experiment", title: "Conclude an experiment", access: .write, input: .fields(verdict), output: Models.experimentResults,
                description: "Store the verdict on the experiment (counts, winner, status completed or inconclusive); refused while a group has too few sends."
            ) { args in
                .json(try await outreach.concludeExperiment(
                    try args.uuid("experiment_id"), metric: args.string("metric") ?? "replies",
                    minimumSent: args.int("min_sent") ?? ExperimentVerdict.defaultMinimumSent))
            },
            Operation(
                "assign_batch_groups", title: "Assign A/B groups", access: .write, idempotent: true,
                input: .fields([
                    idField("batch_id", "batch"),
                    Field("groups", .jsonArray, default: ["A", "B"], "Two or three distinct groups from A, B, C."),
                    Field("seed", .integer, range: 0...9.2e18, default: 0, "Seed of the shuffle: the same seed deals the same groups."),
                ]),
                output: .page(.record(Entities.batchProspects)),
                description: "Deal the batch's prospects into balanced A/B(/C) groups with a seeded shuffle."
            ) { args in
                let given = args["groups"].arrayValue ?? []
                let groups = given.compactMap(\.stringValue)
                guard groups.count == given.count, (2...3).contains(groups.count) else {
                    throw DomainError.invalid("groups", "must be a list of two or three groups from A, B, C")
                }
                return .records(
                    try await outreach.assignGroups(batchID: try args.uuid("batch_id"), groups: groups, seed: UInt64(args.int("seed") ?? 0)),
                    nextCursor: nil)
            },
            Operation(
                "get_agent_run_tree", title: "Agent run tree", access: .read, idempotent: true, input: .fields([idField("run_id", "agent run")]),
                output: .model("AgentRunTree", .object("A run with its sub-runs, nested, and token and duration totals over each subtree.",
                    Entities.agentRuns.fields.map { ($0.name, Shape.field($0)) } + [
                        ("children", .array(.named("AgentRunTree"))), ("total_tokens", .integer("")), ("total_duration_ms", .integer("")),
                        ("run_count", .integer("")),
                    ])),
                description: "A run with its sub-runs and their token and duration totals."
            ) { args in .json(try await outreach.agentRunTree(try args.uuid("run_id"))) },
            Operation(
                "store_recommended_solutions", title: "Store recommended solutions", access: .write, idempotent: true,
                input: .fields([idField("contact_id", "contact")]), output: .record(Entities.researchSnapshots),
                description: "Store the solution ranking on the contact's latest research, with the top score as confidence."
            ) { args in .record(try await catalog.storeRecommendations(contactID: try args.uuid("contact_id"))) },
            Operation(
                "list_event_invitees", title: "Event invitees", access: .read, idempotent: true,
                input: .fields([idField("event_id", "event"), limitField()]), output: .page(.record(Entities.contacts)),
                description: "Contacts who fit the event's industries and roles, never do-not-contact."
            ) { args in .records(try await events.invitees(eventID: try args.uuid("event_id"), limit: args.int("limit") ?? 100), nextCursor: nil) },
            Operation(
                "summarize_llm_usage", title: "LLM usage summary", access: .read, idempotent: true,
                input: .fields([
                    Field("group_by", .text, vocabulary: ["workflow", "node", "model", "day"], default: "workflow", "Grouping."),
                    Field("since", .timestamp, "Only calls at or after this time (or date)."),
                ]),
                output: .page(.model("LLMUsageSummary", .object("One group's calls, tokens, cost and latency.", [
                    ("key", .text("The group.")), ("calls", .integer("")), ("prompt_tokens", .integer("")), ("completion_tokens", .integer("")),
                    ("total_tokens", .integer("")), ("cost", .number("")),
                    ("latency_p50_ms", .nullable(.number(""))), ("latency_p95_ms", .nullable(.number(""))),
                ]))),
                description: "Token and cost sums and p50/p95 latency per workflow, node, model or day."
            ) { args in
                .list(try await llmUsage.llmSummary(groupBy: args.string("group_by") ?? "workflow", since: args.string("since").flatMap(Timestamp.parse)))
            },
            Operation(
                "list_company_slots", title: "Company slots", access: .read, idempotent: true, input: .fields([idField("company_id", "company")]),
                output: .page(.row(SlotRepository.slotView)), description: "The company's CEO, CFO and HR slots with their contacts."
            ) { args in
                let company = try args.uuid("company_id")
                try await companyExists(company)
                return .list(try await slots.slots(companyID: company).map(\.json))
            },
            Operation(
                "suggest_slot_contacts", title: "Slot suggestions", access: .read, idempotent: true, input: .fields([idField("company_id", "company")]),
                output: .page(.model("SlotSuggestion", .object("An empty slot and the company's contacts whose titles fit it.", [
                    ("role_code", .text("CEO, CFO or HR.")), ("candidates", .array(.freeform("A contact and how well the title fits."))),
                ]))),
                description: "For each empty slot, the company's contacts whose titles fit."
            ) { args in
                let company = try args.uuid("company_id")
                try await companyExists(company)
                return .list(try await slots.slotSuggestions(companyID: company))
            },
            Operation(
                "get_company_slot", title: "A company slot", access: .read, idempotent: true, input: .fields([idField("slot_id", "company slot")]),
                output: .row(SlotRepository.slotView),
                description: "One company slot with its contact and email status (slots change only by assigning them)."
            ) { args in .json(try await slots.slot(try args.uuid("slot_id")).json) },
            Operation(
                "verify_contact_email", title: "Record an email verification", access: .write, idempotent: true,
                input: .fields([
                    idField("contact_id", "contact"),
                    Field("email_status", .text, required: true, vocabulary: ["green", "yellow", "red", "gray"], "The verdict."),
                    Field("email_confidence", .decimal, range: 0...100, "Confidence 0-100."),
                    Field("email_source_url", .text, "Where it was confirmed."),
                    Field("email_checked_at", .timestamp, "When it was checked (default now)."),
                ]),
                output: .record(Entities.contacts),
                description: "Record an email verification: status green/yellow/red/gray, confidence 0-100, source."
            ) { args in .record(try await slots.verify(contactID: try args.uuid("contact_id"), args.removing("contact_id"))) },
            Operation(
                "add_campaign_members_from_slots", title: "Add slot contacts to a campaign", access: .write, idempotent: true,
                input: .fields([idField("campaign_id", "campaign"), idField("company_id", "company whose slots to add")]),
                output: .model("MembersAdded", .object("How many members were added, and the campaign's members from the company.", [
                    ("added", .integer("")), ("members", .array(.record(Entities.campaignContacts))),
                ])),
                description: "Add a company's slot contacts whose email is green to the campaign."
            ) { args in
                let (added, members) = try await campaigns.addMembersFromSlots(campaignID: try args.uuid("campaign_id"), companyID: try args.uuid("company_id"))
                return .json(["added": .int(Int64(added)), "members": .array(members.map(\.json))])
            },
            Operation(
                "scan_signals", title: "Scan for renewal signals", access: .write, idempotent: true, input: .fields([]),
                output: .page(.record(Entities.signals)),
                description: "Raise renewal_window_open_120d once per company and renewal whose window has opened."
            ) { _ in .records(try await renewals.scanSignals(), nextCursor: nil) },
            Operation(
                "list_next_renewals", title: "Next renewals", access: .read, idempotent: true,
                input: .fields([limitField(), renewalCursor]),
                output: .page(.row(RenewalRepository.nextRenewals)), description: "Next renewal date and campaign window start per company, soonest first."
            ) { args in
                let page = try await renewals.page(due: false, limit: args.int("limit") ?? 100, cursor: args.string("cursor"))
                return .records(page.rows, nextCursor: page.nextCursor)
            },
            Operation(
                "list_due_renewals", title: "Renewals due", access: .read, idempotent: true,
                input: .fields([limitField(), renewalCursor]),
                output: .page(.row(RenewalRepository.dueRenewals)),
                description: "Companies in their renewal window with a green slot contact, soonest first. A page looks at no more than \(RenewalRepository.dueScanBudget.formatted()) renewals in their window: when it stops there, next_cursor says where to go on from (a page may then hold fewer than limit rows, or none)."
            ) { args in
                let page = try await renewals.page(due: true, limit: args.int("limit") ?? 100, cursor: args.string("cursor"))
                return .records(page.rows, nextCursor: page.nextCursor)
            },
            Operation(
                "promote_intake_load", title: "Promote an intake load", access: .write, idempotent: true,
                input: .fields([idField("load_id", "intake load")]),
                output: .model("PromotionResult", .object("What promoting the staged rows did.", [
                    ("inserted", .integer("")), ("updated", .integer("")), ("skipped", .integer("")), ("failed", .integer("")),
                    ("errors", .array(.object("", [("row", .integer("")), ("reason", .text(""))]))),
                ])),
                description: "Validate and upsert the staged rows into companies or contacts; promoting again changes nothing."
            ) { args in .json(try await intake.promote(loadID: try args.uuid("load_id")).json) },
            Operation(
                "get_data_quality", title: "Data quality", access: .read, idempotent: true,
                input: .fields([Field("cap", .integer, range: 1...10_000_000, "Count at most this many of each (a bounded walk); default: exact counts.")]),
                output: .model("DataQuality", .freeform("Counts (exact, or at most cap) and samples: companies with an empty slot, unverified emails, contacts without a name; queue sizes; capped.")),
                description: "Companies without complete slots, contacts with an unverified email, queue sizes."
            ) { args in .json(try await quality.dataQuality(cap: args.int("cap"))) },
        ]
    }
}
