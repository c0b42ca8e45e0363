import Foundation
import Hummingbird
import TouchbaseDomain
import TouchbaseStore

extension Routes {
    /// Seed 002's endpoints beside its per-table resources.
    static func outreach(database: Database) -> [Endpoint] {
        let outreach = OutreachRepository(database: database)
        let id = { (what: String) in Parameter.path("id", "The \(what)'s id.") }
        return [
            Endpoint(
                .get, "/api/v1/icp-profile", "getActiveICPProfile", "The ICP profile scores are computed against", tag: "icp",
                access: .read, response: OpenAPI.ref("ICPProfile")
            ) { _, _ in HTTP.record(try await outreach.icpProfile()) },
            Endpoint(
                .put, "/api/v1/icp-profile", "updateActiveICPProfile", "Change the ICP profile (the fields given)", tag: "icp",
                access: .write, request: OpenAPI.ref("ICPProfileUpdate"), response: OpenAPI.ref("ICPProfile"), problems: [400, 422]
            ) { request, context in
                HTTP.record(try await outreach.updateICPProfile(try await HTTP.object(request, context: context)))
            },
            Endpoint(
                .post, "/api/v1/contacts/{id}/icp-score", "scoreContactICP",
                "Score a contact 0-12 against the ICP profile; stores an icp_scores row and recomputes the priority",
                tag: "icp", access: .write, parameters: [id("contact")], status: 201, response: OpenAPI.ref("ICPScore"),
                problems: [404]
            ) { _, context in
                HTTP.record(try await outreach.scoreICP(contactID: try HTTP.id(context, entity: "contact")), status: .created)
            },
            Endpoint(
                .post, "/api/v1/message-drafts/{id}/qc", "checkDraft",
                "Run the QC checks on a draft; sets qc_passed and qc_flags", tag: "message_drafts", access: .write,
                parameters: [id("message draft")], response: OpenAPI.ref("QCResult"), problems: [404]
            ) { request, context in
                let runID = request.headers[Authenticator.agentRunHeader].flatMap { UUID(uuidString: $0) }
                let (draft, flags) = try await outreach.qc(draftID: try HTTP.id(context, entity: "message draft"), runID: runID)
                return HTTP.json(["passed": .bool(flags.isEmpty), "flags": .array(flags.map { $0.json }), "draft": draft.json])
            },
            Endpoint(
                .get, "/api/v1/message-drafts/{id}/versions", "listDraftVersions", "Earlier texts of a draft, oldest first",
                tag: "message_drafts", access: .read, parameters: [id("message draft")],
                response: OpenAPI.listOf(OpenAPI.ref("MessageVersion")), problems: [404]
            ) { _, context in
                HTTP.page(try await outreach.versions(draftID: try HTTP.id(context, entity: "message draft")), nextCursor: nil)
            },
            Endpoint(
                .get, "/api/v1/followups/due", "listFollowupsDue", "Pending and overdue follow-ups by due date", tag: "followups",
                access: .read,
                parameters: [
                    .query("until", ["type": "string", "format": "date"], "Only those due on or before this day."),
                    .query("limit", ["type": "integer", "minimum": 1, "maximum": 500], "Most rows (default 100)."),
                ],
                response: OpenAPI.listOf(OpenAPI.ref("Followup")), problems: [422]
            ) { request, _ in
                var until: String?
                if let text = HTTP.query(request, "until") {
                    guard text.utf8.count == 10, Timestamp.parse(text) != nil else { throw DomainError.invalid("until", "must be a date such as 2026-11-23") }
                    until = text
                }
                let rows = try await outreach.followupsDue(until: until, limit: try HTTP.limit(request, default: 100))
                return HTTP.page(rows, nextCursor: nil)
            },
            Endpoint(
                .get, "/api/v1/experiments/{id}/results", "getExperimentResults",
                "Group counts from the batches and the verdict (z-test, or Fisher's exact test on small counts); a winner only with enough sends and p < 0.05. Changes nothing",
                tag: "experiments", access: .read, parameters: verdictParameters,
                response: OpenAPI.ref("ExperimentResults"), problems: [404, 422]
            ) { request, context in
                HTTP.json(try await outreach.experimentResults(
                    try HTTP.id(context, entity: "experiment"), metric: HTTP.query(request, "metric") ?? "replies", minimumSent: try minSent(request)))
            },
            Endpoint(
                .post, "/api/v1/experiments/{id}/conclude", "concludeExperiment",
                "Store the verdict on the experiment (counts, winner, status completed or inconclusive); 409 while a group has too few sends",
                tag: "experiments", access: .write, parameters: verdictParameters,
                response: OpenAPI.ref("ExperimentResults"), problems: [404, 409, 422]
            ) { request, context in
                HTTP.json(try await outreach.concludeExperiment(
                    try HTTP.id(context, entity: "experiment"), metric: HTTP.query(request, "metric") ?? "replies", minimumSent: try minSent(request)))
            },
            Endpoint(
                .post, "/api/v1/batches/{id}/assign-groups", "assignBatchGroups",
                "Deal the batch's prospects into balanced A/B(/C) groups with a seeded shuffle", tag: "batches",
                access: .write, parameters: [id("batch")], request: OpenAPI.ref("GroupAssignment"),
                response: OpenAPI.listOf(OpenAPI.ref("BatchProspect")), problems: [400, 404, 422]
            ) { request, context in
                let batch = try HTTP.id(context, entity: "batch")
                let body = try await HTTP.object(request, context: context)
                var groups = ["A", "B"]
                if let g = body["groups"] {
                    guard let list = g.arrayValue?.compactMap(\.stringValue), list.count == g.arrayValue?.count, (2...3).contains(list.count) else {
                        throw DomainError.invalid("groups", "must be a list of two or three groups from A, B, C")
                    }
                    groups = list
                }
                var seed: UInt64 = 0
                if let s = body["seed"] {
                    guard let v = s.intValue, v >= 0 else { throw DomainError.invalid("seed", "must be a non-negative integer") }
                    seed = UInt64(v)
                }
                for key in body.keys where key != "groups" && key != "seed" {
                    throw DomainError.invalid(key, "is not an option (groups, seed)")
                }
                return HTTP.page(try await outreach.assignGroups(batchID: batch, groups: groups, seed: seed), nextCursor: nil)
            },
            Endpoint(
                .get, "/api/v1/agent-runs/{id}/tree", "getAgentRunTree", "A run with its sub-runs and token and duration totals",
                tag: "agent_runs", access: .read, parameters: [id("agent run")], response: OpenAPI.ref("AgentRunTree"),
                problems: [404]
            ) { _, context in
                HTTP.json(try await outreach.agentRunTree(try HTTP.id(context, entity: "agent run")))
            },
        ]
    }
}
