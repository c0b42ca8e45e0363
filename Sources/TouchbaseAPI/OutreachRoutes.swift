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
                .get, "/api/v1/message-drafts/{id}/versions", "listDraftVersions", "Earlier texts of a draft, oldest first",
                tag: "message_drafts", access: .read, parameters: [id("message draft")],
                response: OpenAPI.listOf(OpenAPI.ref("MessageVersion")), problems: [404]
            ) { _, context in
                HTTP.page(try await outreach.versions(draftID: try HTTP.id(context, entity: "message draft")), nextCursor: nil)
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
