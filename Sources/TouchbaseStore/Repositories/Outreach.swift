import Foundation
import SQLKit
import TouchbaseDomain

/// Seed 002's outreach pipeline beyond plain CRUD: ICP profile and scores, priority, draft QC and versions,
/// the follow-up queue, experiment results, group assignment and agent-run trees.
public struct OutreachRepository: Sendable {
    public let store: RecordStore
    public init(database: Database) { store = RecordStore(database: database) }

    var database: Database { store.database }
    var dialect: Dialect { store.dialect }

    func companyOf(_ contact: Record) async throws -> Record? {
        guard let id = contact.uuid("company_id") else { return nil }
        return try await store.get(Entities.companies, id)
    }

    // MARK: ICP

    /// The active ICP profile (the oldest row; the migration creates one).
    public func icpProfile() async throws -> Record {
        guard let profile = try await store.select(Entities.icpProfile, limit: 1).first else {
            throw DomainError.notFound(entity: "ICP profile", id: "default")
        }
        return profile
    }

    /// Replaces the given fields of the active profile.
    public func updateICPProfile(_ patch: [String: JSONValue]) async throws -> Record {
        try await store.update(Entities.icpProfile, try await icpProfile().id, patch)
    }

    static func profile(_ r: Record) -> ICPProfile {
        func list(_ f: String) -> [String] { r[f].arrayValue?.compactMap(\.stringValue) ?? [] }
        let sweetLow = r.int("size_sweet_spot_min")
        let okLow = r.int("size_ok_min")
        return ICPProfile(
            exactTitles: list("exact_titles"), primaryTitles: list("primary_titles"), secondaryTitles: list("secondary_titles"),
            topVerticals: list("top_verticals"), adjacentVerticals: list("adjacent_verticals"),
            sweetSpot: sweetLow...max(sweetLow, r.int("size_sweet_spot_max")), acceptable: okLow...max(okLow, r.int("size_ok_max")),
            seniorityMap: (r["seniority_map"].objectValue ?? [:]).compactMapValues { $0.intValue.map(Int.init) },
            qaOwnershipKeywords: list("qa_ownership_keywords"), version: r.string("scoring_version") ?? "v1")
    }

    /// Scores a contact against the active profile, stores an `icp_scores` row and recomputes its priority.
    public func scoreICP(contactID: UUID) async throws -> Record {
        let contact = try await store.get(Entities.contacts, contactID)
        let company = try await companyOf(contact)
        let profileRecord = try await icpProfile()
        let profile = Self.profile(profileRecord)
        let employees: Int? = company?["employee_count"].intValue.map { Int($0) }
        let subject = ICPSubject(
            title: contact.string("title"), personaType: contact.string("persona_type"),
            seniority: contact.string("seniority_level"), industry: company?.string("industry"),
            subIndustry: company?.string("sub_industry"), employeeCount: employees,
            buyerIntent: company?.bool("buyer_intent") ?? false)
        let score = ICPScore(profile: profile, subject: subject)
        let row = try await store.create(
            Entities.icpScores,
            [
                "contact_id": .string(contactID.lowercased), "title_match": .int(Int64(score.titleMatch)),
                "vertical_match": .int(Int64(score.verticalMatch)), "company_size_fit": .int(Int64(score.companySizeFit)),
                "seniority_fit": .int(Int64(score.seniorityFit)), "software_qa_confirmed": .bool(score.softwareQAConfirmed),
                "buyer_intent_bonus": .int(Int64(score.buyerIntentBonus)), "scoring_version": .string(profile.version),
                "scored_at": .string(Timestamp.format(Date())),
            ])
        _ = try await recomputePriority(contactID: contactID)
        return row
    }

    /// Recomputes a contact's priority from its latest ICP score, recent hire and unexpired signals.
    @discardableResult
    public func recomputePriority(contactID: UUID) async throws -> Record {
        let contact = try await store.get(Entities.contacts, contactID)
        let latest = try await store.select(
            Entities.icpScores, where: [("contact_id", .string(contactID.lowercased))],
            order: "t.scored_at DESC, t.id DESC", limit: 1
        ).first
        let d = dialect
        let companyCondition: SQLQueryString =
            contact.uuid("company_id").map { "contact_id = \(d.bind(contactID)) OR company_id = \(d.bind($0))" }
            ?? "contact_id = \(d.bind(contactID))"
        let query = SQLQueryString("SELECT count(*) AS n FROM signals WHERE (") + companyCondition
            + SQLQueryString(") AND (expires_at IS NULL OR expires_at >= \(unsafeRaw: d.today))")
        let active = try await database.withConnection { sql in
            try await sql.raw(query).first()?.decode(column: "n", as: Int.self) ?? 0
        }
        let priority = Priority(
            icpTotal: latest.map { $0.int("total_score") }, recentlyHired: contact.bool("recently_hired"), activeSignals: active)
        if contact.int("priority_score") == priority.score && contact["priority_factors"] == .object(priority.factors) {
            return contact
        }
        return try await database.transaction { sql in
            try await store.apply(
                Entities.contacts, contactID,
                ["priority_score": .int(Int64(priority.score)), "priority_factors": .object(priority.factors)], on: sql)
        }
    }

    // MARK: drafts

    /// Runs the QC checks on a draft and records `qc_passed`, `qc_flags` and the QC run.
    public func qc(draftID: UUID, runID: UUID? = nil) async throws -> (draft: Record, flags: [DraftQC.Flag]) {
        let draft = try await store.get(Entities.messageDrafts, draftID)
        let contact = try await store.get(Entities.contacts, draft.uuid("contact_id")!)
        let company = try await companyOf(contact)
        let flags = DraftQC.check(
            subject: draft.string("subject_line"), body: draft.string("body") ?? "", channel: draft.string("channel") ?? "email",
            touchType: draft.string("touch_type"), firstName: contact.string("first_name"), companyName: company?.string("name"))
        var changes: [String: JSONValue] = ["qc_passed": .bool(flags.isEmpty), "qc_flags": .array(flags.map { $0.json })]
        if let runID { changes["qc_run_id"] = .string(runID.lowercased) }
        let patch = changes
        let updated = try await database.transaction { sql in
            try await store.apply(Entities.messageDrafts, draftID, patch, on: sql)
        }
        return (updated, flags)
    }

    /// Earlier texts of a draft, oldest first.
    public func versions(draftID: UUID) async throws -> [Record] {
        _ = try await store.get(Entities.messageDrafts, draftID)
        return try await store.select(
            Entities.messageVersions, where: [("message_draft_id", .string(draftID.lowercased))], order: "t.version")
    }

    // MARK: follow-ups

    /// Pending and overdue follow-ups due on or before `until` (default: all), earliest first.
    public func followupsDue(until: String? = nil, limit: Int = 100) async throws -> [Record] {
        let d = dialect
        var condition = SQLQueryString("t.state IN ('pending', 'overdue')")
        if let until { condition += " AND t.due_date <= \(d.bind(.string(until), as: .date))" }
        return try await store.view(
            Entities.followups, where: condition, order: "t.due_date, t.id", limit: limit, alias: "t")
    }

    // MARK: batches and experiments

    /// Deals the batch's prospects into balanced groups with a seeded shuffle; the same seed gives the same groups.
    public func assignGroups(batchID: UUID, groups: [String] = ["A", "B"], seed: UInt64 = 0) async throws -> [Record] {
        guard !groups.isEmpty, Set(groups).count == groups.count, groups.allSatisfy(Vocabulary.abGroup.contains) else {
            throw DomainError.invalid("groups", "must be two or three distinct groups from A, B, C")
        }
        _ = try await store.get(Entities.batches, batchID)
        let prospects = try await store.select(
            Entities.batchProspects, where: [("batch_id", .string(batchID.lowercased))],
            order: "coalesce(t.position_in_batch, 0), t.id")
        let assignment = GroupAssignment.assign(prospects.map(\.id), groups: groups, seed: seed)
        try await database.transaction { sql in
            for (id, group) in assignment {
                _ = try await store.apply(Entities.batchProspects, id, ["ab_group": .string(group)], on: sql)
            }
        }
        return try await store.select(
            Entities.batchProspects, where: [("batch_id", .string(batchID.lowercased))],
            order: "coalesce(t.position_in_batch, 0), t.id")
    }

    /// Group counts of an experiment from its batches: prospects, those sent an outbound touch, those who replied,
    /// those with a meeting and those with an opportunity.
    public func groupCounts(experiment: Record) async throws -> [GroupCounts] {
        let batchIDs = (experiment["batches_included"].arrayValue ?? []).compactMap { $0.stringValue.flatMap(UUID.init(uuidString:)) }
        guard !batchIDs.isEmpty else { return [] }
        let d = dialect
        let inList = d.list(batchIDs)
        let query = SQLQueryString(
            """
            SELECT bp.ab_group AS grp, count(DISTINCT bp.contact_id) AS prospects,
                count(DISTINCT CASE WHEN EXISTS (SELECT 1 FROM touchpoints t WHERE t.contact_id = bp.contact_id AND t.direction = 'outbound') THEN bp.contact_id END) AS sent,
                count(DISTINCT CASE WHEN EXISTS (SELECT 1 FROM replies r WHERE r.contact_id = bp.contact_id) THEN bp.contact_id END) AS replies,
                count(DISTINCT CASE WHEN EXISTS (SELECT 1 FROM opportunities o WHERE o.contact_id = bp.contact_id) THEN bp.contact_id END) AS meetings,
                count(DISTINCT CASE WHEN EXISTS (SELECT 1 FROM opportunities o WHERE o.contact_id = bp.contact_id AND o.opportunity_created) THEN bp.contact_id END) AS opps
            FROM batch_prospects bp WHERE bp.ab_group IS NOT NULL AND bp.batch_id IN (
            """) + inList + ") GROUP BY bp.ab_group ORDER BY bp.ab_group"
        return try await database.withConnection { sql in
            try await sql.raw(query).all().map { row in
                GroupCounts(
                    group: try row.decode(column: "grp", as: String.self), prospects: try row.decode(column: "prospects", as: Int.self),
                    sent: try row.decode(column: "sent", as: Int.self), replies: try row.decode(column: "replies", as: Int.self),
                    meetings: try row.decode(column: "meetings", as: Int.self), opportunities: try row.decode(column: "opps", as: Int.self))
            }
        }
    }

    /// The group counts and the verdict, computed from the batches; reads only.
    public func experimentResults(_ id: UUID, metric: String = "replies", minimumSent: Int = ExperimentVerdict.defaultMinimumSent) async throws
        -> JSONValue
    {
        let (experiment, counts, verdict) = try await verdict(id, metric: metric, minimumSent: minimumSent)
        return Self.resultsJSON(experiment, counts, verdict)
    }

    /// Stores the counts, the winner and the status on the experiment (`completed` with a winner, `inconclusive`
    /// without); refused while a group has fewer sends than the minimum.
    public func concludeExperiment(_ id: UUID, metric: String = "replies", minimumSent: Int = ExperimentVerdict.defaultMinimumSent) async throws
        -> JSONValue
    {
        let (_, counts, verdict) = try await verdict(id, metric: metric, minimumSent: minimumSent)
        if verdict.label == "insufficient_data" {
            let more = verdict.needed.sorted { $0.key < $1.key }.map { "group \($0.key) \($0.value) more" }.joined(separator: ", ")
            throw DomainError.conflict(
                field: nil, detail: "Too few sends for a verdict: each group needs \(minimumSent) (\(more.isEmpty ? "two groups with sends" : more)).")
        }
        var changes: [String: JSONValue] = [:]
        for g in counts where g.group == "A" || g.group == "B" {
            let p = "group_\(g.group.lowercased())_"
            changes[p + "sent"] = .int(Int64(g.sent))
            changes[p + "replies"] = .int(Int64(g.replies))
            changes[p + "meetings"] = .int(Int64(g.meetings))
            changes[p + "opps"] = .int(Int64(g.opportunities))
        }
        changes["winner"] = verdict.winner.map { .string($0) } ?? .null
        changes["status"] = verdict.winner == nil ? "inconclusive" : "completed"
        let patch = changes
        let stored = try await database.transaction { sql in
            try await store.apply(Entities.experiments, id, patch, on: sql)
        }
        return Self.resultsJSON(stored, counts, verdict)
    }

    func verdict(_ id: UUID, metric: String, minimumSent: Int) async throws -> (Record, [GroupCounts], ExperimentVerdict) {
        guard ["replies", "meetings"].contains(metric) else {
            throw DomainError.invalid("metric", "must be replies or meetings; got '\(metric)'")
        }
        guard minimumSent >= 1 else { throw DomainError.invalid("min_sent", "must be at least 1") }
        let experiment = try await store.get(Entities.experiments, id)
        let counts = try await groupCounts(experiment: experiment)
        return (experiment, counts, ExperimentVerdict(groups: counts, metric: metric, minimumSent: minimumSent))
    }

    static func resultsJSON(_ experiment: Record, _ counts: [GroupCounts], _ verdict: ExperimentVerdict) -> JSONValue {
        func rate(_ x: Int, _ n: Int) -> JSONValue { n > 0 ? .double((Double(x) / Double(n) * 10_000).rounded() / 10_000) : .null }
        var test = verdict.test?.json ?? .null
        if case .object(var fields) = test {
            fields["method"] = verdict.method.map(JSONValue.string) ?? .null
            fields["p_value"] = verdict.pValue.map { .double(($0 * 1_000_000).rounded() / 1_000_000) } ?? .null
            fields["significant"] = .bool((verdict.pValue ?? 1) < 0.05)
            test = .object(fields)
        }
        return [
            "experiment": experiment.json,
            "metric": .string(verdict.metric),
            "groups": .array(counts.map { g in
                [
                    "group": .string(g.group), "prospects": .int(Int64(g.prospects)), "sent": .int(Int64(g.sent)),
                    "replies": .int(Int64(g.replies)), "meetings": .int(Int64(g.meetings)), "opportunities": .int(Int64(g.opportunities)),
                    "reply_rate": rate(g.replies, g.sent), "meeting_rate": rate(g.meetings, g.sent),
                ]
            }),
            "compared": verdict.compared.map { [.string($0.0), .string($0.1)] } ?? .null,
            "test": test,
            "minimum_sent": .int(Int64(verdict.minimumSent)),
            "needed": .object(verdict.needed.mapValues { .int(Int64($0)) }),
            "verdict": .string(verdict.label),
            "winner": verdict.winner.map { .string($0) } ?? .null,
        ]
    }

    // MARK: agent runs

    /// A run with its sub-runs, nested, with token and duration totals over each subtree.
    public func agentRunTree(_ id: UUID) async throws -> JSONValue {
        _ = try await store.get(Entities.agentRuns, id)
        let runs = try await AgentLedgerRepository(database: database).runTree(id)
        let children = Dictionary(grouping: runs, by: { $0.uuid("parent_run_id") })
        func node(_ run: Record) -> (JSONValue, Int, Int, Int) {
            var tokens = run.int("tokens_used")
            var duration = run.int("duration_ms")
            var count = 1
            var kids: [JSONValue] = []
            for child in (children[run.id] ?? []).sorted(by: { ($0.string("started_at") ?? "") < ($1.string("started_at") ?? "") }) {
                let (json, t, ms, n) = node(child)
                kids.append(json)
                tokens += t
                duration += ms
                count += n
            }
            var o = run.values
            o["children"] = .array(kids)
            o["total_tokens"] = .int(Int64(tokens))
            o["total_duration_ms"] = .int(Int64(duration))
            o["run_count"] = .int(Int64(count))
            return (.object(o), tokens, duration, count)
        }
        guard let root = runs.first(where: { $0.id == id }) else { throw DomainError.notFound(entity: "agent run", id: id.lowercased) }
        return node(root).0
    }
}
