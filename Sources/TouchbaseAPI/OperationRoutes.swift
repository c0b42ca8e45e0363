import Foundation
import HTTPTypes
import Hummingbird
import TouchbaseDomain
import TouchbaseService
import TouchbaseStore

/// Ours, not Foundation's.
typealias Operation = TouchbaseService.Operation

/// How a route fills an operation's arguments.
struct Binding: Sendable {
    /// Path parameter → (argument, what it names for a 404).
    var path: [String: (argument: String, entity: String)] = [:]
    /// Path parameter → argument, taken as text (a name, not an id).
    var names: [String: String] = [:]
    /// Arguments the route fixes (a queue's name).
    var fixed: [String: JSONValue] = [:]
    /// Whether the JSON body carries arguments (POST/PUT); otherwise the query string does.
    var body = false
}

extension Endpoint {
    /// An operation bound to a route: its path ids (a malformed one is a 404, as on every route), then the query string
    /// read by the fields' types or the JSON body; the operation checks the rest. The response is the operation's
    /// output, its OpenAPI schema derived from the output model.
    init(
        _ method: HTTPRequest.Method, _ path: String, _ operationID: String, operation op: Operation, tag: String, summary: String? = nil,
        binding: Binding = Binding(), status: Int = 200, problems: [Int]
    ) {
        let bound = Set(binding.path.values.map(\.argument)).union(binding.fixed.keys).union(binding.names.values)
        let fields = op.fields.filter { !bound.contains($0.name) }
        var parameters = binding.path.keys.sorted().map { name in
            Parameter.path(name, "The \(binding.path[name]!.entity)'s id.")
        }
        parameters += binding.names.keys.sorted().map { name in
            Parameter(name: name, location: "path", required: true, schema: ["type": "string"], summary: op.fields.first { $0.name == binding.names[name] }?.summary ?? "")
        }
        var request: JSONValue?
        if binding.body {
            var properties: [String: JSONValue] = [:]
            for field in fields { properties[field.name] = field.jsonSchema() }
            request = [
                "type": "object", "properties": .object(properties), "additionalProperties": false,
                "required": .array(fields.filter(\.required).map { .string($0.name) }),
            ]
        } else {
            parameters += fields.map { field in
                Parameter(
                    name: field.name, location: "query", required: field.required, schema: field.jsonSchema(forFilter: true),
                    summary: field.summary)
            }
        }
        let success = HTTPResponse.Status(code: status)
        let argumentNames = Set(op.fields.map(\.name))
        self.init(
            method, path, operationID, summary ?? op.title, tag: tag, access: op.access, parameters: parameters, request: request,
            status: status, problems: Self.problems(problems, body: binding.body, arguments: !fields.isEmpty)
        ) { req, context in
            var arguments = binding.fixed
            if binding.body {
                arguments.merge(try await HTTP.object(req, context: context)) { fixed, _ in fixed }
            } else {
                var text: [String: String] = [:]
                for (key, value) in req.uri.queryParameters where argumentNames.contains(String(key)) {
                    text[String(key)] = String(value)
                }
                arguments.merge(op.arguments(fromText: text)) { fixed, _ in fixed }
            }
            for (name, argument) in binding.names {
                arguments[argument] = .string(context.parameters.get(name)?.removingPercentEncoding ?? "")
            }
            for (name, target) in binding.path {
                arguments[target.argument] = .string(try HTTP.id(context, name, entity: target.entity).lowercased)
            }
            switch try await op.run(arguments) {
            case .record(let record): return HTTP.record(record, status: success)
            case .records(let records, let cursor): return HTTP.page(records, nextCursor: cursor)
            case .list(let values): return HTTP.list(values)
            case .json(let value): return HTTP.json(value, status: success)
            }
        }
        outputShape = op.output
    }
}

extension Endpoint {
    /// What a bound operation can answer besides its own problems: a body can be malformed (400) or name an argument
    /// the operation does not take (422); arguments can have bad values (422).
    static func problems(_ own: [Int], body: Bool, arguments: Bool) -> [Int] {
        var all = own
        if body { all += [400, 422] }
        if arguments { all.append(422) }
        return Array(Set(all)).sorted()
    }
}

extension Routes {
    /// The special endpoints that are bindings of the operation catalogue.
    static func operations(_ catalogue: Catalogue) -> [Endpoint] {
        func op(_ name: String) -> Operation { catalogue[name]! }
        let company = ["id": (argument: "company_id", entity: "company")]
        let contact = ["id": (argument: "contact_id", entity: "contact")]
        var endpoints: [Endpoint] = [
            Endpoint(
                .get, "/api/v1/companies/{id}/overview", "getAccountOverview", operation: op("get_account_overview"), tag: "companies",
                summary: "Account overview: company, contacts, relationships, active conversations and summary", binding: Binding(path: company),
                problems: [404]),
            Endpoint(
                .get, "/api/v1/companies/{id}/health", "getAccountHealth", operation: op("get_account_health"), tag: "companies",
                summary: "Account health score 0-100 with breakdown", binding: Binding(path: company), problems: [404]),
            Endpoint(
                .get, "/api/v1/contacts/{id}/colleagues", "listColleagues", operation: op("list_colleagues"), tag: "relationships",
                summary: "Other contacts at the same company, with the mapped relationship if any", binding: Binding(path: contact), problems: [404]),
            Endpoint(
                .get, "/api/v1/contacts/{id}/expansion-targets", "listExpansionTargets", operation: op("find_expansion_targets"),
                tag: "relationships", summary: "Related colleagues to reach next, by priority score", binding: Binding(path: contact),
                problems: [404, 422]),
            Endpoint(
                .get, "/api/v1/contacts/{id}/context", "getConversationContext", operation: op("get_contact_context"), tag: "contacts",
                summary: "Everything needed to write to a contact: person, company, conversations, engagement, relationships",
                binding: Binding(path: contact), problems: [404, 422]),
            Endpoint(
                .post, "/api/v1/touchpoints/{id}/events", "recordTouchpointEvent", operation: op("record_engagement"), tag: "touchpoints",
                summary: "Record delivered, opened, clicked, replied, bounced or failed; the outcome follows",
                binding: Binding(path: ["id": ("touchpoint_id", "touchpoint")], body: true), problems: [400, 404, 422]),
            Endpoint(
                .post, "/api/v1/contacts/{id}/icp-score", "scoreContactICP", operation: op("score_icp"), tag: "icp",
                summary: "Score a contact 0-12 against the ICP profile; stores an icp_scores row and recomputes the priority",
                binding: Binding(path: contact), status: 201, problems: [404]),
            Endpoint(
                .post, "/api/v1/message-drafts/{id}/qc", "checkDraft", operation: op("run_draft_qc"), tag: "message_drafts",
                summary: "Run the QC checks on a draft; sets qc_passed and qc_flags", binding: Binding(path: ["id": ("draft_id", "message draft")]),
                problems: [404]),
            Endpoint(
                .get, "/api/v1/followups/due", "listFollowupsDue", operation: op("list_followups_due"), tag: "followups",
                summary: "Pending and overdue follow-ups by due date", problems: [422]),
            Endpoint(
                .get, "/api/v1/experiments/{id}/results", "getExperimentResults", operation: op("get_experiment_results"), tag: "experiments",
                summary: "Group counts from the batches and the verdict (z-test, or Fisher's exact test on small counts); a winner only with enough sends and p < 0.05. Changes nothing",
                binding: Binding(path: ["id": ("experiment_id", "experiment")]), problems: [404, 422]),
            Endpoint(
                .get, "/api/v1/contacts/{id}/recommended-solutions", "listRecommendedSolutions", operation: op("recommend_solutions"),
                tag: "solutions", summary: "Solutions mapped to the contact's industry, ranked by overlap with research",
                binding: Binding(path: contact), problems: [404]),
            Endpoint(
                .post, "/api/v1/companies/{id}/checked", "markCompanyChecked", operation: op("mark_checked"), tag: "queues",
                summary: "Record a site, LinkedIn or news check now", binding: Binding(path: company, body: true), problems: [400, 404, 422]),
            Endpoint(
                .post, "/api/v1/contacts/{id}/checked", "markContactChecked", operation: op("mark_checked"), tag: "queues",
                summary: "Record a profile or email check now (an email check may carry email_status, email_confidence, email_source_url)",
                binding: Binding(path: contact, body: true), problems: [400, 404, 422]),
            Endpoint(
                .get, "/api/v1/agent-runs/{id}/ledger", "getAgentRunLedger", operation: op("get_agent_run_ledger"), tag: "agent_runs",
                summary: "What a run and its child runs did: tool calls, records changed (from the audit log), tokens and cost",
                binding: Binding(path: ["id": ("run_id", "agent run")]), problems: [404]),
            Endpoint(
                .get, "/api/v1/agents/{name}/ledger", "getAgentLedger", operation: op("get_agent_ledger"), tag: "agent_runs",
                summary: "What an agent's runs did since a time: runs, tool calls, records changed, tokens and cost",
                binding: Binding(names: ["name": "agent_name"]), problems: [422]),
        ]
        let conversation = ["id": (argument: "conversation_id", entity: "conversation")]
        endpoints += [
            Endpoint(
                .get, "/api/v1/today", "getToday", operation: op("get_today"), tag: "queues",
                summary: "What the rep must do now: replies to handle, drafts to approve, bounces, follow-ups due, signals, renewals", problems: [422]),
            Endpoint(
                .get, "/api/v1/conversations/needing-followup", "listConversationsNeedingFollowup", operation: op("list_conversations_needing_followup"),
                tag: "conversations", summary: "Active conversations whose next touch is due, oldest first", problems: [422]),
            Endpoint(
                .get, "/api/v1/contacts/{id}/relationships", "listContactRelationships", operation: op("list_contact_relationships"),
                tag: "relationships", summary: "Every relationship of a contact, both directions, with the other contact",
                binding: Binding(path: contact), problems: [404]),
            Endpoint(
                .get, "/api/v1/conversations/{id}/touchpoints", "getTouchpointHistory", operation: op("get_touchpoint_history"),
                tag: "touchpoints", summary: "The conversation's touchpoints in the order they happened", binding: Binding(path: conversation),
                problems: [404]),
            Endpoint(
                .get, "/api/v1/conversations/{id}/metrics", "getEngagementMetrics", operation: op("get_engagement_metrics"), tag: "touchpoints",
                summary: "Open, click, reply and bounce rates in percent of outbound touchpoints", binding: Binding(path: conversation),
                problems: [404]),
            Endpoint(
                .get, "/api/v1/icp-profile", "getActiveICPProfile", operation: op("get_icp_profile"), tag: "icp",
                summary: "The ICP profile scores are computed against", problems: []),
            Endpoint(
                .put, "/api/v1/icp-profile", "updateActiveICPProfile", operation: op("update_icp_profile"), tag: "icp",
                summary: "Change the ICP profile (the fields given)", binding: Binding(body: true), problems: [400, 422]),
            Endpoint(
                .get, "/api/v1/message-drafts/{id}/versions", "listDraftVersions", operation: op("list_draft_versions"), tag: "message_drafts",
                summary: "Earlier texts of a draft, oldest first", binding: Binding(path: ["id": ("draft_id", "message draft")]), problems: [404]),
            Endpoint(
                .post, "/api/v1/experiments/{id}/conclude", "concludeExperiment", operation: op("conclude_experiment"), tag: "experiments",
                summary: "Store the verdict on the experiment (counts, winner, status completed or inconclusive); 409 while a group has too few sends",
                binding: Binding(path: ["id": ("experiment_id", "experiment")]), problems: [404, 409, 422]),
            Endpoint(
                .post, "/api/v1/batches/{id}/assign-groups", "assignBatchGroups", operation: op("assign_batch_groups"), tag: "batches",
                summary: "Deal the batch's prospects into balanced A/B(/C) groups with a seeded shuffle",
                binding: Binding(path: ["id": ("batch_id", "batch")], body: true), problems: [400, 404, 422]),
            Endpoint(
                .get, "/api/v1/agent-runs/{id}/tree", "getAgentRunTree", operation: op("get_agent_run_tree"), tag: "agent_runs",
                summary: "A run with its sub-runs and token and duration totals", binding: Binding(path: ["id": ("run_id", "agent run")]),
                problems: [404]),
            Endpoint(
                .post, "/api/v1/contacts/{id}/recommended-solutions", "storeRecommendedSolutions", operation: op("store_recommended_solutions"),
                tag: "solutions", summary: "Store the ranking on the contact's latest research, with the top score as confidence",
                binding: Binding(path: contact), problems: [404]),
            Endpoint(
                .get, "/api/v1/events/{id}/invitees", "listEventInvitees", operation: op("list_event_invitees"), tag: "events",
                summary: "Contacts who fit the event's industries and roles, never do-not-contact",
                binding: Binding(path: ["id": ("event_id", "event")]), problems: [404, 422]),
            Endpoint(
                .get, "/api/v1/llm-usage/summary", "summarizeLLMUsage", operation: op("summarize_llm_usage"), tag: "llm_usage",
                summary: "Token and cost sums and p50/p95 latency per group", problems: [422]),
            Endpoint(
                .get, "/api/v1/companies/{id}/slots", "listCompanySlots", operation: op("list_company_slots"), tag: "company_slots",
                summary: "The company's CEO, CFO and HR slots", binding: Binding(path: company), problems: [404]),
            Endpoint(
                .get, "/api/v1/companies/{id}/slots/suggestions", "suggestSlotContacts", operation: op("suggest_slot_contacts"),
                tag: "company_slots", summary: "For each empty slot, the company's contacts whose titles fit", binding: Binding(path: company),
                problems: [404]),
            Endpoint(
                .get, "/api/v1/company-slots/{id}", "getCompanySlot", operation: op("get_company_slot"), tag: "company_slots",
                summary: "One company slot with its contact and email status (slots change only through PUT /companies/{id}/slots/{role})",
                binding: Binding(path: ["id": ("slot_id", "company slot")]), problems: [404]),
            Endpoint(
                .put, "/api/v1/contacts/{id}/verification", "verifyContactEmail", operation: op("verify_contact_email"), tag: "contacts",
                summary: "Record an email verification: status green/yellow/red/gray, confidence 0-100, source",
                binding: Binding(path: contact, body: true), problems: [400, 404, 422]),
            Endpoint(
                .post, "/api/v1/campaigns/{id}/members/from-slots", "addCampaignMembersFromSlots", operation: op("add_campaign_members_from_slots"),
                tag: "campaigns", summary: "Add a company's slot contacts whose email is green to the campaign",
                binding: Binding(path: ["id": ("campaign_id", "campaign")], body: true), problems: [400, 404, 422]),
            Endpoint(
                .post, "/api/v1/signals/scan", "scanSignals", operation: op("scan_signals"), tag: "signals",
                summary: "Raise renewal_window_open_120d once per company and renewal whose window has opened", problems: []),
            Endpoint(
                .get, "/api/v1/renewals/next", "listNextRenewals", operation: op("list_next_renewals"), tag: "renewals",
                summary: "Next renewal date and campaign window start per company", problems: [422]),
            Endpoint(
                .get, "/api/v1/renewals/due", "listDueRenewals", operation: op("list_due_renewals"), tag: "renewals",
                summary: "Companies in their renewal window with a green slot contact", problems: [422]),
            Endpoint(
                .post, "/api/v1/intake-loads/{id}/promote", "promoteIntakeLoad", operation: op("promote_intake_load"), tag: "intake_loads",
                summary: "Validate and upsert the staged rows into companies or contacts; re-promoting changes nothing",
                binding: Binding(path: ["id": ("load_id", "intake load")]), problems: [404]),
            Endpoint(
                .get, "/api/v1/data-quality", "getDataQuality", operation: op("get_data_quality"), tag: "queues",
                summary: "Companies without complete slots, contacts with an unverified email, queue sizes", problems: []),
            Endpoint(
                .get, "/api/v1/sequences/{id}/overview", "getSequenceOverview", operation: op("get_sequence"), tag: "sequences",
                summary: "A sequence, its steps in order and its enrolments counted by state",
                binding: Binding(path: ["id": ("sequence_id", "sequence")]), problems: [404]),
            Endpoint(
                .post, "/api/v1/sequences/{id}/enrollments", "enrollInSequence", operation: op("enroll_in_sequence"), tag: "sequences",
                summary: "Enrol contacts (contact_ids or filters); each is enrolled or refused with why",
                binding: Binding(path: ["id": ("sequence_id", "sequence")], body: true), problems: [400, 404, 409, 422]),
            Endpoint(
                .get, "/api/v1/inbound-messages/{id}/detail", "getInboundMessageDetail", operation: op("get_inbound_message"), tag: "inbound_messages",
                summary: "A message taken in with the reply, send, touch and contact it is linked to",
                binding: Binding(path: ["id": ("inbound_message_id", "inbound message")]), problems: [404]),
            Endpoint(
                .post, "/api/v1/inbound-messages/{id}/assign", "assignInboundMessage", operation: op("assign_inbound"), tag: "inbound_messages",
                summary: "Assign an unmatched message to a contact; it is then acted on as if it had matched",
                binding: Binding(path: ["id": ("inbound_message_id", "inbound message")], body: true), problems: [400, 404, 409, 422]),
            Endpoint(
                .post, "/api/v1/replies/{id}/classify", "classifyReply", operation: op("classify_reply"), tag: "replies",
                summary: "Set a reply's intent by a person's or an agent's judgement (kept with who did it)",
                binding: Binding(path: ["id": ("reply_id", "reply")], body: true), problems: [400, 404, 422]),
            Endpoint(
                .post, "/api/v1/sends/{id}/resolve", "resolveSend", operation: op("resolve_send"), tag: "sequences",
                summary: "Resolve an uncertain send: outcome sent (record it) or not_sent (send it again)",
                binding: Binding(path: ["id": ("send_id", "send")], body: true), problems: [400, 404, 409, 422]),
            Endpoint(
                .post, "/api/v1/sequences/run-due", "runDueSequences", operation: op("run_due_sequences"), tag: "sequences",
                summary: "Run every sequence step due as of now (or body.now) once; admins only", binding: Binding(body: true), problems: [400, 403, 422]),
            Endpoint(
                .post, "/api/v1/enrollments/{id}/stop", "stopEnrollment", operation: op("stop_enrollment"), tag: "enrollments",
                summary: "Stop an enrolment for good (reason manual by default)",
                binding: Binding(path: ["id": ("enrollment_id", "enrollment")], body: true), problems: [400, 404, 422]),
            Endpoint(
                .post, "/api/v1/enrollments/{id}/pause", "pauseEnrollment", operation: op("pause_enrollment"), tag: "enrollments",
                summary: "Pause an active enrolment, until a time or until resumed",
                binding: Binding(path: ["id": ("enrollment_id", "enrollment")], body: true), problems: [400, 404, 409, 422]),
            Endpoint(
                .post, "/api/v1/enrollments/{id}/resume", "resumeEnrollment", operation: op("resume_enrollment"), tag: "enrollments",
                summary: "Resume a paused enrolment; its next step is due at once",
                binding: Binding(path: ["id": ("enrollment_id", "enrollment")], body: true), problems: [400, 404, 409]),
            Endpoint(
                .post, "/api/v1/webhooks", "createWebhook", operation: op("create_webhook"), tag: "webhooks",
                summary: "Subscribe a URL to events; the signing secret is in the answer, and only there",
                binding: Binding(body: true), status: 201, problems: [400, 422]),
            Endpoint(
                .post, "/api/v1/webhooks/deliver-due", "deliverDueWebhooks", operation: op("deliver_webhooks"), tag: "webhooks",
                summary: "POST every webhook delivery due now, once; admins only", binding: Binding(body: true), problems: [400]),
            Endpoint(
                .patch, "/api/v1/webhooks/{id}", "updateWebhook", operation: op("update_webhook"), tag: "webhooks",
                summary: "Change a webhook's URL, event types, description or active flag",
                binding: Binding(path: ["id": ("webhook_id", "webhook")], body: true), problems: [400, 404, 422]),
            Endpoint(
                .delete, "/api/v1/webhooks/{id}", "deleteWebhook", operation: op("delete_webhook"), tag: "webhooks",
                summary: "Delete a webhook with its secret and deliveries",
                binding: Binding(path: ["id": ("webhook_id", "webhook")]), problems: [404]),
            Endpoint(
                .post, "/api/v1/webhooks/{id}/rotate-secret", "rotateWebhookSecret", operation: op("rotate_webhook_secret"), tag: "webhooks",
                summary: "Give a webhook a new signing secret (shown only in the answer)",
                binding: Binding(path: ["id": ("webhook_id", "webhook")], body: true), problems: [400, 404]),
            Endpoint(
                .post, "/api/v1/webhook-deliveries/{id}/replay", "replayWebhookDelivery", operation: op("replay_webhook_delivery"), tag: "webhooks",
                summary: "Send a delivery's event again, with the same webhook-id", binding: Binding(path: ["id": ("delivery_id", "webhook delivery")], body: true),
                status: 201, problems: [400, 404]),
        ]
        for queue in QueueRepository.queues {
            endpoints.append(
                Endpoint(
                    .get, "/api/v1/queues/\(queue)", "queue" + queue.split(separator: "-").map { $0.capitalized }.joined(),
                    operation: op("list_queue"), tag: "queues", summary: "Items whose check is missing or older than `days`, oldest first; gone once checked",
                    binding: Binding(fixed: ["queue": .string(queue)]), problems: [422]))
        }
        return endpoints
    }
}
