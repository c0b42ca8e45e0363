import Foundation
import Hummingbird
import TouchbaseDomain
import TouchbaseImport
import TouchbaseService
import TouchbaseStore

/// Batches and experiments, the zero-wandering queues, renewals, imports, intake, data quality, and the agents' runs
/// and cost.
extension WebFace {
    // MARK: batches and experiments

    func batches(_ request: Request, _ session: WebSession) async throws -> Response {
        let batches = try await store.select(Entities.batches, order: "t.id DESC", limit: 100)
        let experiments = try await store.select(Entities.experiments, order: "t.id DESC", limit: 50)
        let model: [String: Any] = ["batches": Mustached.records(batches), "experiments": Mustached.records(experiments)]
        return render(request, session, "batches", title: "Batches", current: "/batches", model: model)
    }

    /// Seed 002's batch page, live: the pre-brief, the mix, and the prospects in order with their A/B group, research
    /// summary, draft and QC state, and a mark-sent button.
    func batch(_ request: Request, _ session: WebSession, id text: String) async throws -> Response {
        let id = try Self.uuid(text, "batch")
        let batch = try await store.get(Entities.batches, id)
        let prospects = try await store.select(Entities.batchProspects, where: [("batch_id", .string(id.lowercased))], order: "t.position_in_batch, t.id", limit: 500)
        let contactIDs = prospects.compactMap { $0.string("contact_id") }
        let contacts = try await store.records(Entities.contacts, ids: contactIDs)
        let companies = try await store.records(Entities.companies, ids: contacts.values.compactMap { $0.string("company_id") })
        let drafts = try await store.select(Entities.messageDrafts, whereIn: "contact_id", contactIDs.map { .string($0) })
        let research = try await store.select(Entities.researchSnapshots, whereIn: "contact_id", contactIDs.map { .string($0) })
        let rows = prospects.map { prospect -> [String: Any] in
            var item = Mustached.record(prospect)
            let contactID = prospect.string("contact_id") ?? ""
            if let contact = contacts[contactID] {
                item["contact"] = Self.personRow(contact.json)
                if let company = contact.string("company_id").flatMap({ companies[$0] }) { item["company_name"] = company.string("name") ?? "" }
            }
            // The batch's own draft first, else the contact's newest.
            let mine = drafts.filter { $0.string("contact_id") == contactID }.sorted { $0.id.uuidString > $1.id.uuidString }
            if let draft = mine.first(where: { $0.string("batch_id") == id.lowercased }) ?? mine.first {
                var d = Mustached.record(draft)
                d["qc_state"] = draft["qc_passed"].boolValue.map { $0 ? "QC passed" : "QC failed" } ?? "QC not run"
                d["can_send"] = draft.string("approval_status") == "ready" && contacts[contactID]?["do_not_contact"].boolValue != true
                d["flags"] = (draft["qc_flags"].arrayValue ?? []).map(Mustached.value)
                item["draft"] = d
            }
            if let snapshot = research.filter({ $0.string("contact_id") == contactID }).max(by: { $0.id.uuidString < $1.id.uuidString }) {
                item["research"] = Text.short(snapshot.string("summary") ?? snapshot.string("headline"), 220)
            }
            return item
        }
        var groups: [String: Int] = [:]
        for p in prospects { groups[p.string("ab_group") ?? "—", default: 0] += 1 }
        let mix = (batch["mix_ratio"].objectValue ?? [:]).sorted { $0.key < $1.key }.map { ["name": Text.words($0.key), "value": Form.display($0.value)] }
        let model: [String: Any] = [
            "batch": Mustached.record(batch), "prospects": rows, "mix": mix, "count": prospects.count,
            "groups": groups.sorted { $0.key < $1.key }.map { ["group": $0.key, "count": $0.value] },
        ]
        return render(request, session, "batch", title: "Batch \(batch["batch_number"].intValue.map(String.init) ?? "")", current: "/batches", model: model)
    }

    /// The experiment's groups with their rates, the test and its verdict, drawn as bars with 95 % intervals.
    func experiment(_ request: Request, _ session: WebSession, id text: String) async throws -> Response {
        let id = try Self.uuid(text, "experiment")
        let metric = Form.query(request)["metric"] == "meetings" ? "meetings" : "replies"
        let results = try await read("get_experiment_results", ["experiment_id": .string(id.lowercased), "metric": .string(metric)])
        let groups = results["groups"]?.arrayValue ?? []
        let rateKey = metric == "meetings" ? "meeting_rate" : "reply_rate"
        let verdict = results["verdict"]?.stringValue ?? "insufficient_data"
        let test = results["test"] ?? .null
        let model: [String: Any] = [
            "experiment": Mustached.value(results["experiment"] ?? .null), "metric": metric, "groups": groups.map { Mustached.value($0) },
            "chart": ExperimentChart.svg(groups: groups, rateKey: rateKey, countKey: metric),
            "verdict_text": Self.verdictText(verdict, results), "verdict": verdict,
            "p_value": test["p_value"].map { Mustached.value($0) } ?? Blank(), "method": Text.words(test["method"]?.stringValue),
            "ci_lower": Self.percent(test["ci95_lower"]), "ci_upper": Self.percent(test["ci95_upper"]), "difference": Self.percent(test["difference"]),
            "needed": (results["needed"]?.objectValue ?? [:]).sorted { $0.key < $1.key }.map { ["group": $0.key, "count": Form.display($0.value)] },
            "minimum_sent": Mustached.value(results["minimum_sent"] ?? .null), "is_replies": metric == "replies",
        ]
        return render(request, session, "experiment", title: results["experiment"]?["name"]?.stringValue ?? "Experiment", current: "/batches", model: model)
    }

    static func percent(_ value: JSONValue?) -> String {
        guard let v = value?.doubleValue ?? value?.intValue.map(Double.init) else { return "—" }
        return String(format: "%.1f %%", v * 100)
    }

    static func verdictText(_ verdict: String, _ results: JSONValue) -> String {
        switch verdict {
        case "winner": "Group \(results["winner"]?.stringValue ?? "?") wins: the difference is significant (p < 0.05) and every group has enough sends."
        case "inconclusive": "Inconclusive: the groups have enough sends, but the difference could be chance (p ≥ 0.05). Neither opener is better on this evidence."
        default: "Not enough data yet: each group needs \(results["minimum_sent"].map(Form.display) ?? "30") sends before a verdict, so no winner is named."
        }
    }

    // MARK: queues, renewals, intake, data quality

    func queues(_ request: Request, _ session: WebSession) async throws -> Response {
        let query = Form.query(request)
        let name = QueueRepository.queues.contains(query["queue"] ?? "") ? query["queue"]! : QueueRepository.queues[0]
        let items = try await read("list_queue", ["queue": .string(name), "limit": 50])["data"]?.arrayValue ?? []
        let rows = items.map { item -> [String: Any] in
            var row = Mustached.value(item) as? [String: Any] ?? [:]
            row["kind"] = name == "company-urls" ? (item["url_type"]?.stringValue ?? "site") : (name == "profile-urls" ? "profile" : "email")
            row["link"] = Text.safeURL(item["url"]?.stringValue).map { $0 as Any } ?? Blank()
            row["is_email"] = name == "email-recheck"
            row["checked"] = Text.when(item["last_checked_at"]?.stringValue)
            return row
        }
        let model: [String: Any] = [
            "queue": name, "rows": rows,
            "tabs": QueueRepository.queues.map { ["name": $0, "label": Text.words($0.replacingOccurrences(of: "-", with: " ")), "current": $0 == name] },
            "statuses": ["green", "yellow", "red", "gray"],
        ]
        return render(request, session, "queues", title: "Queues", current: "/queues", model: model)
    }

    func renewals(_ request: Request, _ session: WebSession) async throws -> Response {
        let query = Form.query(request)
        var dueArgs: [String: JSONValue] = ["limit": 200]
        if let cursor = query["cursor"], !cursor.isEmpty { dueArgs["cursor"] = .string(cursor) }
        let duePage = try await read("list_due_renewals", dueArgs)
        let due = duePage["data"]?.arrayValue ?? []
        let next = try await read("list_next_renewals", ["limit": 50])["data"]?.arrayValue ?? []
        let campaigns = try await store.select(Entities.campaigns, order: "t.id DESC", limit: 100)
        let model: [String: Any] = [
            "due": due.map { Mustached.value($0) }, "next": next.map { Mustached.value($0) },
            "due_more": duePage["next_cursor"]?.stringValue.map { ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0) as Any } ?? Blank(),
            "budget": RenewalRepository.dueScanBudget.formatted(),
            "campaigns": campaigns.map { ["id": $0.id.lowercased, "name": $0.string("name") ?? $0.id.lowercased] }, "has_campaigns": !campaigns.isEmpty,
        ]
        return render(request, session, "renewals", title: "Renewals", current: "/renewals", model: model)
    }

    func intake(_ request: Request, _ session: WebSession) async throws -> Response {
        let loads = try await store.select(Entities.intakeLoads, order: "t.id DESC", limit: 100)
        let rows = loads.map { load -> [String: Any] in
            var row = Mustached.record(load)
            row["row_count"] = load["rows"].arrayValue?.count ?? 0
            row["sample"] = (load["rows"].arrayValue ?? []).prefix(3).map { Text.short($0.serialized, 140) }
            row["pending"] = load["promoted_at"].isNull
            row["result_text"] = load["result"].isNull ? "" : Text.short(load["result"].serialized, 300)
            return row
        }
        return render(request, session, "intake", title: "Intake", current: "/imports", model: ["loads": rows])
    }

    func dataQuality(_ request: Request, _ session: WebSession) async throws -> Response {
        // Counts stop at 1,000 (each a bounded walk of an index), so that the page answers at once whatever the size.
        let cap = 1_000
        let quality = try await read("get_data_quality", ["cap": .int(Int64(cap))])
        func shown(_ value: JSONValue) -> String {
            guard let n = value.intValue else { return Form.display(value) }
            return n >= cap ? "\(cap.formatted())+" : n.formatted()
        }
        let sections = (quality.objectValue ?? [:]).filter { $0.key != "capped" }.sorted { $0.key < $1.key }.map { key, value -> [String: Any] in
            let sample = (value["sample"]?.arrayValue ?? []).map { row -> [String: Any] in
                var item = Mustached.value(row) as? [String: Any] ?? [:]
                item["text"] = (row.objectValue ?? [:]).filter { !$0.key.hasSuffix("_id") }.sorted { $0.key < $1.key }.map { "\(Text.words($0.key)): \(Form.display($0.value))" }.joined(separator: " · ")
                return item
            }
            if key == "queue_sizes" {
                let parts = (value.objectValue ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key): \(shown($0.value))" }.joined(separator: " · ")
                return ["name": "queue sizes", "count": parts, "sample": [] as [Any]]
            }
            return ["name": Text.words(key), "count": value["count"].map(shown) ?? shown(value), "sample": sample]
        }
        return render(request, session, "quality", title: "Data quality", current: "/imports", model: ["sections": sections])
    }

    // MARK: imports

    func imports(_ request: Request, _ session: WebSession) async throws -> Response {
        let jobs = try await store.select(Entities.importJobs, order: "t.id DESC", limit: 50)
        let model: [String: Any] = [
            "jobs": jobs.map(Self.jobRow), "available": importJobs != nil, "limit": ByteCount.text(maxUpload),
        ]
        return render(request, session, "imports", title: "Imports", current: "/imports", model: model)
    }

    static func jobRow(_ job: Record) -> [String: Any] {
        var row = Mustached.record(job)
        let bytes = Double(job["bytes"].intValue ?? 0), total = Double(job["total_bytes"].intValue ?? 0)
        let status = job.string("status") ?? ""
        let percent = ["completed", "completed_with_errors"].contains(status) ? 100 : (total > 0 ? Int(min(100, bytes / total * 100)) : 0)
        row["percent"] = percent
        row["running"] = ["queued", "running"].contains(status)
        row["has_errors"] = (job["failed"].intValue ?? 0) > 0
        row["status_text"] = Text.words(status)
        return row
    }

    func importJob(_ request: Request, _ session: WebSession, id text: String) async throws -> Response {
        let id = try Self.uuid(text, "import")
        let job = try await store.get(Entities.importJobs, id)
        var model = Self.jobRow(job)
        model["job"] = Mustached.record(job)
        model["errors"] = (job["errors"].arrayValue ?? []).prefix(20).map { Mustached.value($0) }
        model["refresh"] = model["running"] as? Bool ?? false
        return render(request, session, "import", title: "Import of \(job.string("file_name") ?? "a file")", current: "/imports", model: model)
    }

    /// An upload from the imports page (multipart: the form's fields, then the file): CSRF and role checked, then the
    /// job starts on the server's runner and the browser follows its progress.
    func upload(_ request: Request) async throws -> Response {
        guard let session = try await session(request) else { return Self.redirect("/login") }
        guard let jobs = importJobs else { throw WebError(.serviceUnavailable, "This server runs no import jobs.") }
        guard let boundary = Multipart.boundary(request.headers[.contentType] ?? "") else {
            throw WebError(.unsupportedMediaType, "Send the file from the imports page (multipart/form-data).")
        }
        let limit = maxUpload
        let upload = try await jobs.receive(
            request.body, boundary: boundary, maxUpload: limit,
            tooLarge: WebError(.contentTooLarge, "The file is larger than this server's limit of \(ByteCount.text(limit)) (TOUCHBASE_MAX_UPLOAD)."))
        guard upload.fields["_csrf"] == session.csrf else {
            upload.discard()
            throw WebError(.forbidden, "The form's CSRF token is missing or stale; reload the page and try again.")
        }
        guard session.role.allows(.write) else {
            upload.discard()
            throw WebError(.forbidden, "Your role (\(session.role.rawValue)) may not import.")
        }
        let kind = upload.fields["kind"] ?? ""
        guard ["companies", "contacts"].contains(kind) else {
            upload.discard()
            throw DomainError.invalid("kind", "must be companies or contacts")
        }
        let format = upload.fields["format"].flatMap { $0.isEmpty ? nil : ImportFormat(rawValue: $0) }
        let options = ImportOptions(
            kind: kind, format: format, onConflict: upload.fields["on_conflict"] == "skip" ? .skip : .update, dryRun: upload.fields["dry_run"] == "1")
        let job = try await jobs.start(
            id: upload.id, upload: upload.file, fileName: upload.fileName ?? "upload.csv", options: options, actor: "user:\(session.actor)")
        return Self.redirect("/imports/\(job.id.lowercased)")
    }

    func importErrors(_ request: Request, _ session: WebSession, id text: String) async throws -> Response {
        let id = try Self.uuid(text, "import")
        _ = try await store.get(Entities.importJobs, id)
        let body = importJobs.flatMap { try? String(contentsOf: $0.errorsFile(id), encoding: .utf8) } ?? "line,reason\n"
        return Response(
            status: .ok, headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"import-\(id.lowercased)-errors.csv\""],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    // MARK: agents

    func agents(_ request: Request, _ session: WebSession) async throws -> Response {
        let runs = try await store.select(Entities.agentRuns, where: [("parent_run_id", .null)], order: "t.id DESC", limit: 50)
        let byDay = try await read("summarize_llm_usage", ["group_by": "day"])["data"]?.arrayValue ?? []
        let byWorkflow = try await read("summarize_llm_usage", ["group_by": "workflow"])["data"]?.arrayValue ?? []
        let byModel = try await read("summarize_llm_usage", ["group_by": "model"])["data"]?.arrayValue ?? []
        let model: [String: Any] = [
            "runs": runs.map { run -> [String: Any] in
                var row = Mustached.record(run)
                row["started"] = Text.when(run.string("started_at") ?? run.string("created_at"))
                row["seconds"] = run["duration_ms"].intValue.map { String(format: "%.1f s", Double($0) / 1000) } ?? ""
                return row
            },
            "cost_chart": CostChart.svg(days: byDay), "by_workflow": byWorkflow.map(Self.usageRow), "by_model": byModel.map(Self.usageRow),
            "total_cost": String(format: "$%.2f", byWorkflow.reduce(0.0) { $0 + ($1["cost"]?.doubleValue ?? 0) }),
        ]
        return render(request, session, "agents", title: "Agents", current: "/agents", model: model)
    }

    static func usageRow(_ row: JSONValue) -> [String: Any] {
        var item = Mustached.value(row) as? [String: Any] ?? [:]
        item["cost_text"] = String(format: "$%.3f", row["cost"]?.doubleValue ?? 0)
        return item
    }

    func agentRun(_ request: Request, _ session: WebSession, id text: String) async throws -> Response {
        let id = try Self.uuid(text, "agent run")
        let ledger = try await read("get_agent_run_ledger", ["run_id": .string(id.lowercased)])
        let tree = try await read("get_agent_run_tree", ["run_id": .string(id.lowercased)])
        func flatten(_ node: JSONValue, depth: Int) -> [[String: Any]] {
            var row = Mustached.value(node) as? [String: Any] ?? [:]
            row["indent"] = depth * 18
            row["seconds"] = node["duration_ms"]?.intValue.map { String(format: "%.1f s", Double($0) / 1000) } ?? ""
            return [row] + (node["children"]?.arrayValue ?? []).flatMap { flatten($0, depth: depth + 1) }
        }
        let changed = (ledger["records_changed"]?.arrayValue ?? []).map { row -> [String: Any] in
            var item = Mustached.value(row) as? [String: Any] ?? [:]
            let table = row["table"]?.stringValue ?? "", record = row["id"]?.stringValue ?? ""
            item["link"] = table == "contacts" || table == "companies" ? "/\(table)/\(record)" : "/audit/\(table)/\(record)"
            return item
        }
        let totals = ledger["totals"] ?? .null
        let model: [String: Any] = [
            "run": Mustached.value(ledger["run"] ?? .null), "tree": flatten(tree, depth: 0), "calls": (ledger["tool_calls"]?.arrayValue ?? []).map { Mustached.value($0) },
            "changed": changed, "totals": Mustached.value(totals), "cost": String(format: "$%.3f", totals["cost"]?.doubleValue ?? 0),
        ]
        return render(request, session, "agent", title: "Agent run", current: "/agents", model: model)
    }
}
