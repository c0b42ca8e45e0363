import Foundation
import HTTPTypes
import MCP
import SQLKit
import Synchronization
import Testing
import TouchbaseDomain
import TouchbaseMCP
import TouchbaseService
import TouchbaseStore
import TouchbaseTestSupport

@Suite("MCP server")
struct MCPTests {
    /// An account with three people: Ana (VP, engaged), Ben (CFO, reports to Ana) and Dee (do-not-contact).
    static func seed(_ mcp: MCPConnection) async throws -> (company: String, ana: String, ben: String, dee: String) {
        let company = try await mcp.call("create_company", ["name": "Acme Robotics", "domain": "https://www.acme-robotics.com/", "industry": "Manufacturing"])
        #expect(!company.isError, "\(company.text)")
        #expect(company["domain"] == "acme-robotics.com")
        func person(_ first: String, _ title: String, _ extra: JSONValue = [:]) async throws -> String {
            var fields: [String: JSONValue] = [
                "first_name": .string(first), "last_name": "Lee", "title": .string(title), "company_id": company["id"],
                "email": .string("\(first.lowercased())@acme-robotics.com"),
            ]
            fields.merge(extra.objectValue ?? [:]) { _, new in new }
            let reply = try await mcp.call("create_contact", .object(fields))
            #expect(!reply.isError, "\(reply.text)")
            return reply.id
        }
        let ana = try await person("Ana", "VP Operations", ["seniority_level": "vp", "is_decision_maker": true])
        let ben = try await person("Ben", "CFO", ["seniority_level": "c-level"])
        let dee = try await person("Dee", "Engineer", ["do_not_contact": true])
        let rel = try await mcp.call("create_relationship", [
            "contact_id_1": .string(ben), "contact_id_2": .string(ana), "relationship_type": "reports_to", "strength": "strong",
        ])
        #expect(!rel.isError, "\(rel.text)")
        return (company["id"].stringValue!, ana, ben, dee)
    }

    @Test("the README documents every tool")
    func documented() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        for name in Catalogue.toolNames { #expect(readme.contains("`\(name)`"), "\(name) is not in the README") }
    }

    @Test("tools are listed with schemas and hints; a viewer sees only the read-only ones", arguments: TestEngine.all)
    func toolList(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            try await api.withMCP(as: .agent) { mcp in
                let tools = try await mcp.tools()
                #expect(tools.map(\.name) == Catalogue.toolNames)
                for tool in tools {
                    #expect(!(tool.description ?? "").isEmpty)
                    #expect(tool.inputSchema.objectValue?["type"] == .string("object"))
                    #expect(tool.outputSchema?.objectValue?["type"] == .string("object"), "\(tool.name)")
                    #expect(tool.annotations.readOnlyHint != nil && tool.annotations.destructiveHint == false)
                    #expect(!tool.name.contains("delete"))
                }
                let overview = try #require(tools.first { $0.name == "get_account_overview" })
                #expect(overview.annotations.readOnlyHint == true)
                #expect(overview.inputSchema.objectValue?["required"] == .array([.string("company_id")]))
                #expect(tools.first { $0.name == "create_contact" }?.annotations.readOnlyHint == false)
            }
            try await api.withMCP(as: .viewer) { mcp in
                let names = try await mcp.tools().map(\.name)
                #expect(names.contains("get_account_overview") && names.contains("search_contacts"))
                #expect(!names.contains("create_contact") && !names.contains("log_touchpoint"))
                let refused = try await mcp.call("create_company", ["name": "Nope"])
                #expect(refused.isError && refused.text.contains("viewer"))
                #expect(try await api.get("/api/v1/companies?q=Nope")["data"].arrayValue?.isEmpty == true)
            }
        }
    }

    @Test("an agent researches, drafts, logs and reports usage; the ledger shows every call, change and cost", arguments: TestEngine.all)
    func agentSession(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            var runID: UUID?
            try await api.withMCP(as: .agent, clientName: "research-bot") { mcp in
                let (company, ana, ben, _) = try await Self.seed(mcp)
                let found = try await mcp.call("search_companies", ["query": "acme", "limit": 5])
                #expect(found["data"].arrayValue?.first?["id"] == .string(company))
                #expect(found.structured == found.json)
                let overview = try await mcp.call("get_account_overview", ["company_id": .string(company)])
                #expect(overview["contacts"]["total"] == 3)
                #expect(try await mcp.call("get_account_health", ["company_id": .string(company)])["health_status"].stringValue != nil)
                let targets = try await mcp.call("find_expansion_targets", ["contact_id": .string(ana), "min_strength": "strong"])
                #expect(targets["data"].arrayValue?.map { $0["contact"]?["id"] } == [.string(ben)])
                #expect(try await mcp.call("list_colleagues", ["contact_id": .string(ana)])["data"].arrayValue?.count == 2)
                let research = try await mcp.call("save_research", [
                    "contact_id": .string(ana), "entity_type": "person", "headline": "Runs three plants", "pain_indicators": ["downtime"],
                    "sources": ["https://acme-robotics.com/about"],
                ])
                #expect(!research.isError, "\(research.text)")
                let draft = try await mcp.call("create_draft", [
                    "contact_id": .string(ana), "channel": "email", "touch_type": "email", "subject_line": "Downtime at Acme",
                    "body": "Hi Ana, three plants and one maintenance calendar is hard. We cut unplanned downtime for Globex by a third. Worth a short call next week?",
                ])
                #expect(!draft.isError, "\(draft.text)")
                let qc = try await mcp.call("run_draft_qc", ["draft_id": draft["id"]])
                #expect(qc["passed"].boolValue != nil && qc["draft"]["qc_passed"] == qc["passed"])
                let touch = try await mcp.call(
                    "log_touchpoint", ["contact_id": .string(ana), "channel": "email", "subject": "Downtime at Acme"],
                    meta: ["prompt_tokens": 1200, "completion_tokens": 300, "model": "claude-sonnet", "cost": 0.0123])
                #expect(!touch.isError, "\(touch.text)")
                #expect(touch["company_id"] == .string(company))
                let reply = try await mcp.call("record_reply", [
                    "contact_id": .string(ana), "touchpoint_id": touch["id"], "intent": "referral", "referral_name": "Ben Lee",
                    "referral_title": "CFO", "raw_text": "Ben owns this, talk to him.",
                ])
                #expect(!reply.isError, "\(reply.text)")
                #expect(reply["recommended_next_step"].stringValue?.isEmpty == false)
                let usage = try await mcp.call("log_llm_usage", [
                    "workflow_name": "research", "node_name": "summarize", "model": "claude-sonnet", "prompt_tokens": 800,
                    "completion_tokens": 200, "latency_ms": 900, "cost": 0.0077,
                ])
                #expect(!usage.isError, "\(usage.text)")
                runID = await mcp.session.runID
                #expect(usage["agent_run_id"].stringValue != nil)
            }
            let run = try #require(runID).lowercased
            let ledger = try await api.get("/api/v1/agent-runs/\(run)/ledger")
            #expect(ledger.status == .ok, "\(ledger.text)")
            #expect(ledger["run"]["run_type"] == "mcp")
            #expect(ledger["run"]["agent_name"] == "test-agent:research-bot")
            #expect(ledger["run"]["status"] == "success")
            let calls = ledger["tool_calls"].arrayValue ?? []
            #expect(calls.count == 16)
            #expect(calls.allSatisfy { $0["status"] == "success" && $0["duration_ms"]?.intValue != nil })
            let tools = calls.map { $0["tool"]?.stringValue ?? "" }
            #expect(tools.contains("run_draft_qc"))
            let changed = ledger["records_changed"].arrayValue ?? []
            let tables = Set(changed.compactMap { $0["table"]?.stringValue })
            #expect(tables.isSuperset(of: ["companies", "contacts", "relationships", "research_snapshots", "message_drafts", "touchpoints", "replies"]))
            #expect(changed.allSatisfy { $0["changed_by"]?.stringValue?.hasPrefix("agent:") == true })
            #expect(ledger["totals"]["prompt_tokens"] == 2000)
            #expect(ledger["totals"]["completion_tokens"] == 500)
            #expect(abs((ledger["totals"]["cost"]?.doubleValue ?? 0) - 0.02) < 1e-9)
            #expect(ledger["totals"]["llm_calls"] == 2)
            // Every audited row of the session names one of its calls.
            let agents = try await api.database.withConnection { sql in
                try await sql.raw("SELECT DISTINCT changed_by FROM audit_log WHERE table_name = 'contacts'").all()
                    .map { try $0.decode(column: "changed_by", as: String.self) }
            }
            #expect(!agents.isEmpty && agents.allSatisfy { $0.hasPrefix("agent:") })
            let byName = try await api.get("/api/v1/agents/test-agent/ledger?since=2020-01-01T00:00:00Z")
            #expect(byName.status == .ok, "\(byName.text)")
            #expect(byName["tool_calls"].arrayValue?.count == 16)
            #expect(byName["runs"].arrayValue?.count == 1)
            #expect(try await api.get("/api/v1/agents/test-agent/ledger?since=2999-01-01T00:00:00Z")["tool_calls"].arrayValue?.isEmpty == true)
            #expect(try await api.get("/api/v1/agents/test-agent/ledger?since=yesterday").status == .unprocessableContent)
            #expect(try await api.get("/api/v1/agent-runs/\(UUID().uuidString)/ledger").status == .notFound)
        }
    }

    @Test("bad arguments and refusals are results naming the field or the reason; nothing is written", arguments: TestEngine.all)
    func errors(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            try await api.withMCP { mcp in
                let (_, ana, _, dee) = try await Self.seed(mcp)
                let missing = try await mcp.call("get_contact", [:])
                #expect(missing.isError && missing.text.contains("contact_id"))
                #expect(missing.structured["error"]?["errors"]?.arrayValue?.first?["field"] == "contact_id")
                let wrongType = try await mcp.call("search_contacts", ["limit": "many", "surprise": true])
                #expect(wrongType.isError && wrongType.text.contains("limit") && wrongType.text.contains("surprise"))
                let badFilter = try await mcp.call("search_contacts", ["filters": ["shoe_size": 9]])
                #expect(badFilter.isError && badFilter.text.contains("filters.shoe_size"))
                let badVocabulary = try await mcp.call("create_draft", ["contact_id": .string(ana), "channel": "pigeon", "body": "Hi"])
                #expect(badVocabulary.isError && badVocabulary.text.contains("channel"))
                let unknown = try await mcp.call("get_company", ["company_id": .string(UUID().uuidString)])
                #expect(unknown.isError && unknown.structured["error"]?["kind"] == "not_found")
                // Do-not-contact: an outbound touch and a follow-up are refused, with the reason, and nothing is stored.
                let before = try await api.get("/api/v1/touchpoints?contact_id=\(dee)")["data"].arrayValue?.count
                let touch = try await mcp.call("log_touchpoint", ["contact_id": .string(dee), "channel": "email"])
                #expect(touch.isError && touch.text.contains("do-not-contact"), "\(touch.text)")
                let followup = try await mcp.call("schedule_followup", ["contact_id": .string(dee), "due_date": "2027-01-04"])
                #expect(followup.isError && followup.text.contains("do-not-contact"), "\(followup.text)")
                #expect(try await api.get("/api/v1/touchpoints?contact_id=\(dee)")["data"].arrayValue?.count == before)
                #expect(try await api.get("/api/v1/followups?contact_id=\(dee)")["data"].arrayValue?.isEmpty == true)
                // A red email refuses an outbound email.
                let verified = try await mcp.call("mark_checked", ["contact_id": .string(ana), "kind": "email", "email_status": "red"])
                #expect(!verified.isError && verified["email_status"] == "red", "\(verified.text)")
                let red = try await mcp.call("log_touchpoint", ["contact_id": .string(ana), "channel": "email"])
                #expect(red.isError && red.text.contains("red"), "\(red.text)")
                // An unknown tool is a protocol error: -32602.
                await #expect(throws: MCPError.self) { _ = try await mcp.call("drop_database") }
                do {
                    _ = try await mcp.call("drop_database")
                } catch let error as MCPError {
                    #expect(error.code == -32602)
                }
                // Failed calls are on the ledger too, with their error.
                let run = try #require(await mcp.session.runID).lowercased
                let calls = try await api.get("/api/v1/agent-runs/\(run)/ledger")["tool_calls"].arrayValue ?? []
                #expect(calls.filter { $0["status"] == "error" }.count == 8)
                #expect(calls.first { $0["tool"] == "log_touchpoint" && $0["status"] == "error" }?["error"]?.stringValue?.contains("do-not-contact") == true)
            }
        }
    }

    @Test("the same write over HTTP and over MCP leaves the same rows, priority included", arguments: TestEngine.all)
    func sameRows(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            let company = try await api.post("/api/v1/companies", ["name": "Initech", "domain": "initech.com"]).id
            let fields: JSONValue = ["first_name": "Pat", "last_name": "Ng", "company_id": .string(company), "recently_hired": true, "seniority_level": "director"]
            let viaHTTP = try await api.post("/api/v1/contacts", fields)
            #expect(viaHTTP.status == .created)
            var viaMCP = ToolReply(json: .null, structured: .null, isError: true, text: "")
            var second = fields.objectValue ?? [:]
            second["last_name"] = "Ong"
            try await api.withMCP { mcp in
                viaMCP = try await mcp.call("create_contact", .object(second))
                _ = try await mcp.call("create_signal", ["company_id": .string(company), "signal_type": "funding", "description": "Series B"])
            }
            #expect(!viaMCP.isError)
            let ignored: Set<String> = ["id", "created_at", "updated_at", "name_key", "last_name", "full_name"]
            let a = try await api.get("/api/v1/contacts/\(viaHTTP.id)").json.objectValue ?? [:]
            let b = try await api.get("/api/v1/contacts/\(viaMCP.id)").json.objectValue ?? [:]
            #expect(a.filter { !ignored.contains($0.key) } == b.filter { !ignored.contains($0.key) })
            #expect(a["priority_factors"]?["active_signals"] == 1)
            #expect(viaMCP["priority_score"] == viaHTTP["priority_score"])
        }
    }

    @Test("tool calls are rate limited per token, answered with the retry time", arguments: [TestEngine.sqlite])
    func rateLimit(engine: TestEngine) async throws {
        // The limiter's clock stands still, so no call refills the bucket however slowly the test runs.
        let start = Date()
        try await APIHarness.run(engine, mcpRate: 3, mcpClock: { start }) { api in
            try await api.withMCP { mcp in
                for _ in 0..<3 { #expect(!(try await mcp.call("search_companies")).isError) }
                let limited = try await mcp.call("search_companies")
                #expect(limited.isError && limited.text.contains("Retry in"))
                #expect(limited.structured["error"]?["kind"] == "rate_limited")
                #expect(limited.structured["error"]?["retry_after_seconds"] == 20)
                // Another token has a bucket of its own.
                try await api.withMCP(as: .member) { other in
                    let reply = try await other.call("search_companies")
                    #expect(!reply.isError)
                }
            }
        }
    }

    @Test("a token's bucket holds a minute's calls and refills at that rate")
    func refill() async {
        final class Clock: Sendable {
            let now = Mutex(Date(timeIntervalSince1970: 1_000_000))
            func advance(_ seconds: Double) { now.withLock { $0 = $0.addingTimeInterval(seconds) } }
        }
        let clock = Clock()
        let limiter = RateLimiter(perMinute: 60, clock: { clock.now.withLock { $0 } })
        for _ in 0..<60 { #expect(await limiter.take("a") == nil) }
        #expect(await limiter.take("a") == 1)
        #expect(await limiter.take("b") == nil)
        clock.advance(0.5)
        #expect(await limiter.take("a") == 0.5)
        clock.advance(0.5)
        #expect(await limiter.take("a") == nil)
        #expect(await limiter.take("a") != nil)
        clock.advance(3600)
        for _ in 0..<60 { #expect(await limiter.take("a") == nil) }
        #expect(await limiter.take("a") != nil)
    }

    @Test("resources and prompts carry the real context", arguments: TestEngine.all)
    func resourcesAndPrompts(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            try await api.withMCP { mcp in
                let (company, ana, _, _) = try await Self.seed(mcp)
                let templates = try await mcp.client.listResourceTemplates().templates.map(\.uriTemplate)
                #expect(templates == ["touchbase://contacts/{id}/context", "touchbase://companies/{id}/overview"])
                let context = try await mcp.client.readResource(uri: "touchbase://contacts/\(ana)/context")
                let json = try JSONValue.parse(context.first?.text ?? "")
                #expect(json["contact"]?["first_name"] == "Ana")
                let overview = try JSONValue.parse(try await mcp.client.readResource(uri: "touchbase://companies/\(company)/overview").first?.text ?? "")
                #expect(overview["company"]?["name"] == "Acme Robotics")
                await #expect(throws: MCPError.self) { _ = try await mcp.client.readResource(uri: "touchbase://contacts/\(UUID().uuidString)/context") }
                await #expect(throws: MCPError.self) { _ = try await mcp.client.readResource(uri: "touchbase://nothing") }
                let prompts = try await mcp.client.listPrompts().prompts.map(\.name)
                #expect(prompts == ["draft_first_touch", "triage_reply", "account_brief"])
                let draft = try await mcp.client.getPrompt(name: "draft_first_touch", arguments: ["contact_id": ana])
                guard case .text(let text)? = draft.messages.first?.content else { Issue.record("no text"); return }
                #expect(text.contains("Ana Lee") && text.contains("VP Operations") && text.contains("create_draft"))
                let triage = try await mcp.client.getPrompt(name: "triage_reply", arguments: ["contact_id": ana, "reply_text": "Talk to Ben."])
                guard case .text(let t)? = triage.messages.first?.content else { Issue.record("no text"); return }
                #expect(t.contains("Talk to Ben.") && t.contains("record_reply"))
                let brief = try await mcp.client.getPrompt(name: "account_brief", arguments: ["company_id": company])
                guard case .text(let b)? = brief.messages.first?.content else { Issue.record("no text"); return }
                #expect(b.contains("Acme Robotics") && b.contains("Account health"))
                await #expect(throws: MCPError.self) { _ = try await mcp.client.getPrompt(name: "account_brief", arguments: [:]) }
            }
        }
    }

    @Test("/mcp over HTTP: a token is needed, a foreign Origin is refused, GET is 405, a session answers", arguments: TestEngine.all)
    func http(engine: TestEngine) async throws {
        try await APIHarness.run(engine) { api in
            let initialize = """
                {"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}
                """
            var headers: HTTPFields = [.contentType: "application/json", .accept: "application/json, text/event-stream"]
            #expect(try await api.send(.post, "/mcp", headers: headers, body: initialize).status == .unauthorized)
            headers[.authorization] = "Bearer \(api.tokens[.agent]!)"
            var foreign = headers
            foreign[.origin] = "https://evil.example"
            #expect(try await api.send(.post, "/mcp", headers: foreign, body: initialize).status == .forbidden)
            #expect(try await api.send(.get, "/mcp", headers: headers).status == .methodNotAllowed)
            var local = headers
            local[.origin] = "http://localhost:8080"
            let started = try await api.send(.post, "/mcp", headers: local, body: initialize)
            #expect(started.status == .ok, "\(started.text)")
            #expect(started.text.contains("\"protocolVersion\":\"2025-11-25\""), "\(started.text)")
            let session = try #require(started.headers[HTTPField.Name("Mcp-Session-Id")!])
            headers[HTTPField.Name("Mcp-Session-Id")!] = session
            headers[HTTPField.Name("MCP-Protocol-Version")!] = "2025-11-25"
            #expect(try await api.send(.post, "/mcp", headers: headers, body: #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#).status == .accepted)
            let call = try await api.send(
                .post, "/mcp", headers: headers,
                body: #"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"create_company","arguments":{"name":"Hooli","domain":"hooli.com"}}}"#)
            #expect(call.status == .ok && call.text.contains("hooli.com"), "\(call.text)")
            #expect(try await api.get("/api/v1/companies?domain=hooli.com")["data"].arrayValue?.count == 1)
            // Another token cannot use this session.
            var other = headers
            other[.authorization] = "Bearer \(api.tokens[.member]!)"
            #expect(try await api.send(.post, "/mcp", headers: other, body: #"{"jsonrpc":"2.0","id":3,"method":"tools/list"}"#).status == .notFound)
            #expect(try await api.send(.delete, "/mcp", headers: headers).status == .ok)
            #expect(await api.mcpSessions.count == 0)
            let ended = try await api.get("/api/v1/agent-runs?run_type=mcp")["data"].arrayValue ?? []
            #expect(ended.count == 1 && ended.first?["status"] == "success" && ended.first?["agent_name"] == "test-agent:curl")
        }
    }
}
