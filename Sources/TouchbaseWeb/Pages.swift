import Foundation
import Hummingbird
import TouchbaseDomain
import TouchbaseService
import TouchbaseStore

/// What every page's layout shows: the navigation, who is signed in, the CSRF token its forms carry, a notice.
enum Chrome {
    static let nav: [(path: String, label: String)] = [
        ("/", "Today"), ("/companies", "Accounts"), ("/sequences", "Sequences"), ("/inbound", "Inbound"), ("/batches", "Batches"), ("/queues", "Queues"), ("/renewals", "Renewals"), ("/imports", "Data"),
        ("/agents", "Agents"),
    ]

    static func of(_ session: WebSession, _ request: Request, current: String) -> [String: Any] {
        var chrome: [String: Any] = [
            "signed_in": true, "actor": session.actor, "role": session.role.rawValue, "csrf": session.csrf,
            "can_write": session.role.allows(.write), "back": request.uri.string,
            "nav": nav.map { ["path": $0.path, "label": $0.label, "current": $0.path == current] },
        ]
        if let notice = WebFace.notice(request) { chrome["notice"] = notice }
        return chrome
    }

    static var anonymous: [String: Any] { ["signed_in": false] }
}

extension WebFace {
    /// Runs a read operation of the catalogue (the pages' only way to the data beside the record store).
    func read(_ name: String, _ args: [String: JSONValue] = [:]) async throws -> JSONValue {
        guard let operation = catalogue[name] else { throw DomainError.notFound(entity: "operation", id: name) }
        return try await operation.run(args).json
    }

    func render(_ request: Request, _ session: WebSession, _ template: String, title: String, current: String = "", model: [String: Any], status: HTTPResponse.Status = .ok)
        -> Response
    {
        var chrome = Chrome.of(session, request, current: current)
        if model["refresh"] as? Bool == true { chrome["refresh"] = true }
        var response = Self.html(views.page(template, title: title + " · Touchbase", model: model, chrome: chrome), status: status)
        if Self.notice(request) != nil { response.headers[values: .setCookie].append(Cookies.clear(Self.noticeCookie, request: request)) }
        return response
    }

    static func uuid(_ text: String, _ entity: String) throws -> UUID {
        guard let id = UUID(uuidString: text) else { throw DomainError.notFound(entity: entity, id: text) }
        return id
    }

    static func today() -> String { Timestamp.formatDate(Date()) }

    // MARK: Today

    func today(_ request: Request, _ session: WebSession) async throws -> Response {
        let today = try await read("get_today", ["limit": 50])
        let contacts = today["contacts"]?.objectValue ?? [:]
        let companies = today["companies"]?.objectValue ?? [:]
        func person(_ row: JSONValue) -> [String: Any] {
            guard let id = row["contact_id"]?.stringValue, let contact = contacts[id] else { return [:] }
            let company = contact["company_id"]?.stringValue.flatMap { companies[$0] }
            var out: [String: Any] = [
                "contact_id": id, "contact_name": Self.name(contact), "title": contact["title"]?.stringValue ?? "",
                "do_not_contact": contact["do_not_contact"]?.boolValue ?? false,
            ]
            if let company { out["company_name"] = company["name"]?.stringValue ?? ""; out["company_id"] = company["id"]?.stringValue ?? "" }
            return out
        }
        func rows(_ key: String) -> [JSONValue] { today[key]?.arrayValue ?? [] }
        var inbound: [String: String] = [:]
        for message in rows("inbound") {
            if let reply = message["reply_id"]?.stringValue, let id = message["id"]?.stringValue { inbound[reply] = id }
        }
        let replies = rows("replies").map { row -> [String: Any] in
            var item = person(row).merging(Mustached.value(row) as? [String: Any] ?? [:]) { a, _ in a }
            item["why"] = "Replied \(Text.when(row["replied_at"]?.stringValue ?? row["created_at"]?.stringValue)): \(Text.short(row["summary"]?.stringValue ?? row["raw_text"]?.stringValue, 140))"
            item["next"] = Text.words(row["recommended_next_step"]?.stringValue)
            item["text"] = Text.short(row["reply_text"]?.stringValue ?? row["raw_text"]?.stringValue, 300)
            if let message = inbound[row["id"]?.stringValue ?? ""] { item["inbound_id"] = message }
            if let by = row["classified_by"]?.stringValue {
                item["classified"] = by == "rules"
                    ? "Intent from rules (\(Int(((row["intent_confidence"]?.doubleValue ?? 0) * 100).rounded())) %)" : "Intent set by \(by)"
            }
            item["others"] = Vocabulary.intent.filter { $0 != row["intent"]?.stringValue }.map { ["intent": $0, "label": Text.words($0)] }
            if let referral = row["referral_name"]?.stringValue, !referral.isEmpty {
                let parts = referral.split(separator: " ", maxSplits: 1).map(String.init)
                var query = ["first_name": parts[0], "last_name": parts.count > 1 ? parts[1] : "", "title": row["referral_title"]?.stringValue ?? "",
                             "_back": "/", "_done": "\(referral) added."]
                if let company = item["company_id"] as? String { query["company_id"] = company; query["_fixed"] = "company_id" }
                item["add_referral"] = "/do/create_contact?" + query.sorted { $0.key < $1.key }.map { "\($0.key)=\(Form.escape($0.value))" }.joined(separator: "&")
            }
            return item
        }
        let byIntent = Vocabulary.intent.compactMap { intent -> [String: Any]? in
            let items = replies.filter { ($0["intent"] as? String) == intent }
            return items.isEmpty ? nil : ["intent": Text.words(intent), "key": intent, "items": items, "count": items.count]
        }
        let unknown = replies.filter { !($0["intent"] is String) }
        let intentGroups = byIntent + (unknown.isEmpty ? [] : [["intent": "not triaged", "key": "none", "items": unknown, "count": unknown.count]])
        let day = Self.today()
        var late: [[String: Any]] = [], dueToday: [[String: Any]] = [], upcoming: [[String: Any]] = []
        for row in rows("followups") {
            var item = person(row).merging(Mustached.value(row) as? [String: Any] ?? [:]) { a, _ in a }
            let due = row["due_date"]?.stringValue ?? ""
            item["snooze_to"] = Timestamp.formatDate((Timestamp.parse(due) ?? Date()).addingTimeInterval(86_400))
            item["why"] = "Touch \(row["touch_number"]?.intValue.map(String.init) ?? "?") by \(row["channel"]?.stringValue ?? "any channel"), due \(due)"
            if due < day { late.append(item) } else if due == day { dueToday.append(item) } else { upcoming.append(item) }
        }
        func drafts(_ key: String, why: (JSONValue) -> String) -> [[String: Any]] {
            rows(key).map { row in
                var item = person(row).merging(Mustached.value(row) as? [String: Any] ?? [:]) { a, _ in a }
                item["why"] = why(row)
                item["preview"] = Text.short(row["body"]?.stringValue, 180)
                return item
            }
        }
        let awaiting = drafts("drafts") { "QC passed: \($0["channel"]?.stringValue ?? "") touch \($0["touch_number"]?.intValue.map(String.init) ?? "1"), waiting for approval" }
        let ready = drafts("ready") { "Approved: send it by \($0["channel"]?.stringValue ?? "its channel"), then mark it sent" }
        let bounces = rows("bounces").map { row -> [String: Any] in
            var item = person(row)
            item["id"] = row["id"]?.stringValue ?? ""
            item["why"] = "Bounced \(Text.when(row["sent_at"]?.stringValue ?? row["created_at"]?.stringValue)): \(row["subject"]?.stringValue ?? "an email")"
            return item
        }
        let signals = rows("signals").prefix(12).map { row -> [String: Any] in
            var item = person(row).merging(Mustached.value(row) as? [String: Any] ?? [:]) { a, _ in a }
            if let company = row["company_id"]?.stringValue.flatMap({ companies[$0] }) {
                item["company_name"] = company["name"]?.stringValue ?? ""
                item["company_id"] = company["id"]?.stringValue ?? ""
            }
            item["why"] = "\(Text.words(row["signal_type"]?.stringValue)): \(Text.short(row["title"]?.stringValue ?? row["description"]?.stringValue, 140))"
            return item
        }
        let renewals = rows("renewals").map { row -> [String: Any] in
            var item = Mustached.value(row) as? [String: Any] ?? [:]
            if let company = row["company_id"]?.stringValue.flatMap({ companies[$0] }) { item["company_name"] = company["name"]?.stringValue ?? "" }
            item["why"] = "Renewal window open since \(Text.when(row["created_at"]?.stringValue))\(row["description"]?.stringValue.map { ": " + $0 } ?? "")"
            return item
        }
        let unmatched = rows("unmatched").map(Self.inboundRow)
        let model: [String: Any] = [
            "unmatched": unmatched, "unmatched_count": unmatched.count,
            "day": day, "reply_groups": intentGroups, "reply_count": replies.count, "late": late, "due_today": dueToday, "upcoming": upcoming,
            "followup_count": late.count + dueToday.count + upcoming.count, "no_followups": late.isEmpty && dueToday.isEmpty && upcoming.isEmpty, "awaiting": awaiting, "ready": ready, "bounces": bounces,
            "signals": signals, "renewals": renewals, "has_late": !late.isEmpty, "has_due_today": !dueToday.isEmpty, "has_upcoming": !upcoming.isEmpty,
            "awaiting_count": awaiting.count, "ready_count": ready.count,
            "empty": replies.isEmpty && unmatched.isEmpty && late.isEmpty && dueToday.isEmpty && upcoming.isEmpty && awaiting.isEmpty && ready.isEmpty,
        ]
        return render(request, session, "today", title: "Today", current: "/", model: model)
    }

    static func name(_ contact: JSONValue) -> String {
        let parts = [contact["first_name"]?.stringValue, contact["last_name"]?.stringValue].compactMap { $0 }.filter { !$0.isEmpty }
        return parts.isEmpty ? (contact["email"]?.stringValue ?? "(no name)") : parts.joined(separator: " ")
    }

    // MARK: Accounts

    static let companyFilters = ["account_tier", "account_status", "industry", "size"]

    func companies(_ request: Request, _ session: WebSession) async throws -> Response {
        let query = Form.query(request)
        var filters: [String: JSONValue] = [:]
        var issues: [String] = []
        for name in Self.companyFilters {
            guard let raw = query[name]?.trimmed, !raw.isEmpty else { continue }
            guard let field = Entities.companies.field(name) else { continue }
            do { filters[name] = try field.parseFilter(raw) } catch { issues.append("\(name): \(error.message)") }
        }
        var list = ListQuery(filters: filters, search: query["q"].flatMap { $0.trimmed.isEmpty ? nil : $0.trimmed }, limit: 50)
        if let cursor = query["cursor"], !cursor.isEmpty {
            guard let id = UUID(uuidString: cursor) else { throw DomainError.badRequest("The cursor '\(cursor)' is not one this page gave out.") }
            list.cursor = id
        }
        let openOnly = query["open"] == "1"
        let newest = query["sort"] == "newest"
        list.descending = newest && list.search == nil
        let page = issues.isEmpty ? try await store.list(Entities.companies, list) : nil
        var rows = Mustached.records(page?.records ?? [])
        for i in rows.indices {
            rows[i]["website_url"] = Text.safeURL(rows[i]["website"] as? String ?? rows[i]["domain"] as? String).map { $0 as Any } ?? Blank()
        }
        if openOnly { rows = rows.filter { ($0["active_conversations"] as? Int ?? 0) > 0 } }
        var next: String?
        if let cursor = page?.nextCursor {
            var q = query
            q["cursor"] = cursor
            next = "/companies?" + q.sorted { $0.key < $1.key }.map { "\($0.key)=\(Form.escape($0.value))" }.joined(separator: "&")
        }
        func options(_ name: String) -> [[String: Any]] {
            let vocabulary = Entities.companies.field(name)?.vocabulary ?? []
            return ([""] + vocabulary).map { ["value": $0, "text": $0.isEmpty ? "any" : Text.words($0), "selected": query[name] == $0 && !$0.isEmpty] }
        }
        let model: [String: Any] = [
            "q": query["q"] ?? "", "rows": rows, "next": next.map { $0 as Any } ?? Blank(), "issues": issues, "open": openOnly,
            "tier_options": options("account_tier"), "status_options": options("account_status"), "industry": query["industry"] ?? "",
            "size": query["size"] ?? "", "newest": newest,
            "first": list.cursor == nil,
        ]
        return render(request, session, "companies", title: "Accounts", current: "/companies", model: model)
    }

    // MARK: an account

    func company(_ request: Request, _ session: WebSession, id text: String) async throws -> Response {
        let id = try Self.uuid(text, "company")
        let overview = try await read("get_account_overview", ["company_id": .string(id.lowercased)])
        let health = try await read("get_account_health", ["company_id": .string(id.lowercased)])
        let research = try await store.list(Entities.researchSnapshots, ListQuery(filters: ["company_id": .string(id.lowercased)], limit: 10))
        let signals = try await store.list(Entities.signals, ListQuery(filters: ["company_id": .string(id.lowercased)], limit: 20))
        let touches = try await store.select(Entities.touchpoints, where: [("company_id", .string(id.lowercased))], order: "t.id DESC", limit: 30)
        let company = overview["company"] ?? .null
        var model: [String: Any] = ["company": Mustached.value(company), "company_id": id.lowercased]
        model["website_url"] = Text.safeURL(company["website"]?.stringValue ?? company["domain"]?.stringValue).map { $0 as Any } ?? Blank()
        let contacts = overview["contacts"] ?? .null
        let all = contacts["all"]?.arrayValue ?? []
        // Expansion targets are the colleagues of the account's primary contact (or its first person).
        let anchor = (contacts["primary"]?.arrayValue ?? []).first ?? all.first
        var targets: JSONValue = .null
        if let anchorID = anchor?["id"] { targets = try await read("find_expansion_targets", ["contact_id": anchorID]) }
        func people(_ key: String) -> [[String: Any]] { (contacts[key]?.arrayValue ?? []).map(Self.personRow) }
        model["primary"] = people("primary")
        model["decision_makers"] = people("decision_makers")
        model["champions"] = people("champions")
        model["all"] = all.map(Self.personRow)
        model["contact_total"] = contacts["total"]?.intValue ?? Int64(all.count)
        model["slots"] = try await slots(id)
        model["map"] = RelationshipMap.svg(people: all, relationships: overview["relationships"]?.arrayValue ?? [])
        model["conversations"] = (overview["active_conversations"]?.arrayValue ?? []).map { row -> [String: Any] in
            var item = Mustached.value(row) as? [String: Any] ?? [:]
            if let contact = all.first(where: { $0["id"] == row["contact_id"] }) { item["contact_name"] = Self.name(contact) }
            item["last"] = Text.when(row["last_touchpoint_at"]?.stringValue)
            return item
        }
        var healthModel = Mustached.value(health) as? [String: Any] ?? [:]
        healthModel["parts"] = (health["breakdown"]?.objectValue ?? [:]).sorted { $0.key < $1.key }.map { key, value -> [String: Any] in
            func number(_ v: JSONValue?) -> Double { v?.doubleValue ?? v?.intValue.map(Double.init) ?? 0 }
            let score = number(value["score"]), max = number(value["max"])
            return [
                "name": Text.words(key), "value": "\(Int(score)) of \(Int(max))",
                "width": max > 0 ? Swift.min(100, Swift.max(0, Int(score / max * 100))) : 0,
            ]
        }
        model["health"] = healthModel
        model["targets"] = (targets["data"]?.arrayValue ?? []).prefix(10).map { row -> [String: Any] in
            let contact = row["contact"] ?? .null
            var item: [String: Any] = Self.personRow(contact)
            item["priority_score"] = Mustached.value(row["priority_score"] ?? .null)
            item["relationship"] = Text.words(row["relationship_to_primary"]?["relationship_type"]?.stringValue)
            item["state"] = Text.words(row["engagement_status"]?["conversation_state"]?.stringValue)
            return item
        }
        model["research"] = Mustached.records(research.records)
        model["signals"] = Mustached.records(signals.records)
        // The account's timeline: touches, replies, meetings, signals and changes to the account, newest first.
        func named(_ id: String?) -> String { all.first { $0["id"]?.stringValue == id }.map(Self.name) ?? "" }
        let replies = try await store.select(Entities.replies, whereIn: "contact_id", all.compactMap { $0["id"] }.prefix(500).map { $0 })
        let meetings = try await store.select(Entities.meetings, where: [("company_id", .string(id.lowercased))], order: "t.id DESC", limit: 20)
        let changes = try await store.select(
            Entities.auditLog, where: [("table_name", "companies"), ("record_id", .string(id.lowercased))], order: "t.id DESC", limit: 10)
        var events: [(at: String, item: [String: Any])] = []
        for row in touches {
            let at = row.string("sent_at") ?? row.string("created_at") ?? ""
            let text = [row.string("direction"), row.string("channel"), row.string("subject"), row.string("outcome")].compactMap { $0 }.joined(separator: " · ")
            events.append((at, ["kind": "touch", "text": text, "contact_id": row.string("contact_id") ?? "", "contact_name": named(row.string("contact_id"))]))
        }
        for row in replies {
            let at = row.string("replied_at") ?? row.string("created_at") ?? ""
            events.append((at, ["kind": "reply", "text": "replied: \(Text.words(row.string("intent")))\(row.string("summary").map { " · " + $0 } ?? "")",
                                "contact_id": row.string("contact_id") ?? "", "contact_name": named(row.string("contact_id"))]))
        }
        for row in meetings {
            events.append((row.string("event_time") ?? row.string("created_at") ?? "", ["kind": "meeting", "text": "meeting\(row.string("source").map { " · " + $0 } ?? "")",
                "contact_id": row.string("contact_id") ?? "", "contact_name": named(row.string("contact_id"))]))
        }
        for row in signals.records {
            events.append((row.string("created_at") ?? "", ["kind": "signal", "text": "signal: \(Text.words(row.string("signal_type")))\(row.string("description").map { " · " + $0 } ?? "")"]))
        }
        for row in changes {
            let fields = Set((row["old_values"].objectValue ?? [:]).keys).union((row["new_values"].objectValue ?? [:]).keys)
                .filter { !["updated_at", "created_at"].contains($0) && row["old_values"][$0] != row["new_values"][$0] }.sorted()
            events.append((row.string("timestamp") ?? "", ["kind": "change", "text": "\(row.string("action") ?? "change") by \(row.string("changed_by") ?? "?")\(fields.isEmpty ? "" : ": " + fields.prefix(6).joined(separator: ", "))"]))
        }
        model["timeline"] = events.sorted { $0.at > $1.at }.prefix(40).map { event -> [String: Any] in
            var item = event.item
            item["when"] = Text.when(event.at)
            return item
        }
        return render(request, session, "company", title: company["name"]?.stringValue ?? "Account", current: "/companies", model: model)
    }

    func slots(_ id: UUID) async throws -> [[String: Any]] {
        let slots = try await read("list_company_slots", ["company_id": .string(id.lowercased)])
        return (slots["data"]?.arrayValue ?? []).map { row in
            var item = Mustached.value(row) as? [String: Any] ?? [:]
            item["slot"] = row["role_code"]?.stringValue ?? ""
            item["contact_name"] = row["full_name"]?.stringValue ?? Blank()
            return item
        }
    }

    static func personRow(_ contact: JSONValue) -> [String: Any] {
        var item = Mustached.value(contact) as? [String: Any] ?? [:]
        item["display_name"] = name(contact)
        item["email_state"] = contact["email_status"]?.stringValue ?? "gray"
        return item
    }

    // MARK: a contact

    func contact(_ request: Request, _ session: WebSession, id text: String) async throws -> Response {
        let id = try Self.uuid(text, "contact")
        let key = id.lowercased
        let context = try await read("get_contact_context", ["contact_id": .string(key)])
        let contact = context["contact"] ?? .null
        let drafts = try await store.select(Entities.messageDrafts, where: [("contact_id", .string(key))], order: "t.id DESC", limit: 20)
        let replies = try await store.select(Entities.replies, where: [("contact_id", .string(key))], order: "t.id DESC", limit: 20)
        let followups = try await store.select(Entities.followups, where: [("contact_id", .string(key))], order: "t.id DESC", limit: 20)
        let touches = try await store.select(Entities.touchpoints, where: [("contact_id", .string(key))], order: "t.id DESC", limit: 30)
        let scores = try await store.select(Entities.icpScores, where: [("contact_id", .string(key))], order: "t.id DESC", limit: 1)
        let research = try await store.select(Entities.researchSnapshots, where: [("contact_id", .string(key))], order: "t.id DESC", limit: 5)
        var model: [String: Any] = ["contact": Self.personRow(contact), "contact_id": key]
        let dnc = contact["do_not_contact"]?.boolValue ?? false
        let red = contact["email_status"]?.stringValue == "red"
        model["do_not_contact"] = dnc
        model["red_email"] = red
        model["may_reach"] = !dnc && session.role.allows(.write)
        if let company = context["company"], company != .null { model["company"] = Mustached.value(company) }
        let engagement = context["engagement"] ?? .null
        var facts: [[String: Any]] = [
            ["name": "engagement score", "value": Mustached.value(engagement["engagement_score"] ?? .null)],
            ["name": "last engaged", "value": Text.when(engagement["last_engaged_at"]?.stringValue)],
        ]
        for (key, value) in (engagement["metrics"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            let shown = key.hasSuffix("_rate") ? "\(Int(((value.doubleValue ?? Double(value.stringValue ?? "") ?? 0) * 100).rounded())) %" : Form.display(value)
            facts.append(["name": Text.words(key), "value": shown])
        }
        model["engagement"] = facts
        model["conversations"] = (context["conversations"]?["list"]?.arrayValue ?? []).filter { $0["status"]?.stringValue == "active" }.map { row -> [String: Any] in
            var item = Mustached.value(row) as? [String: Any] ?? [:]
            item["last"] = Text.when(row["last_touchpoint_at"]?.stringValue)
            return item
        }
        model["score"] = scores.first.map { Mustached.record($0) as Any } ?? Blank()
        model["research"] = Mustached.records(research)
        // Every draft's earlier versions in one read (by the versions' draft and version index), not one per draft.
        let versionsByDraft = Dictionary(
            grouping: try await store.select(Entities.messageVersions, whereIn: "message_draft_id", drafts.map { .string($0.id.lowercased) }),
            by: { $0.string("message_draft_id") ?? "" })
        model["drafts"] = drafts.map { draft -> [String: Any] in
            var item = Mustached.record(draft)
            let versions = (versionsByDraft[draft.id.lowercased] ?? []).sorted { ($0["version"].intValue ?? 0) < ($1["version"].intValue ?? 0) }
            item["versions"] = versions.map { version -> [String: Any] in
                var v = Mustached.record(version)
                v["diff"] = TextDiff.lines(from: version.string("body") ?? "", to: draft.string("body") ?? "")
                return v
            }
            item["has_versions"] = !versions.isEmpty
            item["flags"] = draft["qc_flags"].arrayValue.map { $0.map(Mustached.value) } ?? []
            item["qc_state"] = draft["qc_passed"].boolValue.map { $0 ? "passed" : "failed" } ?? "not run"
            item["can_approve"] = draft["qc_passed"].boolValue == true && draft.string("approval_status") == "draft" && !dnc
            item["can_send"] = draft.string("approval_status") == "ready" && !dnc
            item["editable"] = draft.string("approval_status") != "sent"
            return item
        }
        model["replies"] = Mustached.records(replies)
        model["followups"] = followups.map { row -> [String: Any] in
            var item = Mustached.record(row)
            item["open"] = ["pending", "overdue"].contains(row.string("state") ?? "")
            return item
        }
        model["timeline"] = touches.map { row -> [String: Any] in
            var item = Mustached.record(row)
            item["when"] = Text.when(row.string("sent_at") ?? row.string("created_at"))
            return item
        }
        model["channels"] = Vocabulary.channel.map { ["value": $0, "text": Text.words($0)] }
        model["outcomes"] = ([""] + Vocabulary.outcome).map { ["value": $0, "text": $0.isEmpty ? "—" : Text.words($0)] }
        model["intents"] = Vocabulary.intent.map { ["value": $0, "text": Text.words($0)] }
        model["draft_channels"] = Vocabulary.draftChannel.map { ["value": $0, "text": Text.words($0)] }
        model["tomorrow"] = Timestamp.formatDate(Date().addingTimeInterval(86_400))
        return render(request, session, "contact", title: Self.name(contact), current: "/companies", model: model)
    }

    // MARK: audit

    func audit(_ request: Request, _ session: WebSession, table: String, id text: String) async throws -> Response {
        guard let entity = Entities.named(table), entity.table != "audit_log" else { throw DomainError.notFound(entity: "table", id: table) }
        let id = try Self.uuid(text, entity.singular)
        let rows = try await store.select(
            Entities.auditLog, where: [("table_name", .string(entity.table)), ("record_id", .string(id.lowercased))], order: "t.id DESC", limit: 200)
        let changes = rows.map { row -> [String: Any] in
            var item = Mustached.record(row)
            item["when"] = Text.when(row.string("timestamp"))
            let old = row["old_values"].objectValue ?? [:], new = row["new_values"].objectValue ?? [:]
            let keys = Set(old.keys).union(new.keys).filter { !["updated_at", "created_at"].contains($0) && old[$0] != new[$0] }.sorted()
            item["fields"] = keys.map { ["field": $0, "old": Form.display(old[$0] ?? .null), "new": Form.display(new[$0] ?? .null)] }
            return item
        }
        let model: [String: Any] = [
            "table": entity.table, "singular": entity.singular, "id": id.lowercased, "changes": changes,
            "record_path": entity.table == "companies" ? "/companies/\(id.lowercased)" : entity.table == "contacts" ? "/contacts/\(id.lowercased)" : "",
        ]
        return render(request, session, "audit", title: "Audit of \(entity.singular)", model: model)
    }

    // MARK: an operation's form

    /// The form of any operation: its fields with their help, values given in the query string (or the form sent
    /// back with its problems beside the fields).
    func operationForm(
        _ request: Request, _ session: WebSession, name: String, values: [String: String], issues: [FieldIssue], status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        guard let operation = catalogue[name] else { throw DomainError.notFound(entity: "operation", id: name) }
        let fixed = Set((values["_fixed"] ?? "").split(separator: ",").map(String.init))
        // A change needs only the id: the other fields keep their values when left empty.
        var required: Set<String>?
        if case .update(_, let idField) = operation.input { required = [idField] }
        if case .patch = operation.input { required = [] }
        let inputs = Form.inputs(operation.fields, values: values, issues: issues, hidden: fixed, required: required)
        let names = Set(operation.fields.map(\.name))
        let general = issues.filter { $0.field.isEmpty || !names.contains($0.field) }.map { ["message": $0.field.isEmpty ? $0.message : "\($0.field): \($0.message)"] }
        let model: [String: Any] = [
            "operation": operation.name, "op_title": operation.title, "description": operation.description, "inputs": inputs, "general": general,
            "form_back": Form.localPath(values["_back"]) ?? "", "done": values["_done"] ?? "", "fixed": values["_fixed"] ?? "",
            "allowed": session.role.allows(operation.access), "read_only": operation.readOnly,
        ]
        return render(request, session, "operation", title: operation.title, model: model, status: status)
    }
}
