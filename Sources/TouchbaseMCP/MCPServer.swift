import Foundation
import Logging
import MCP
import TouchbaseDomain
import TouchbaseService
import TouchbaseStore

/// Touchbase as an MCP server: the catalogue's tools, two resource templates and three prompts, over any transport
/// (stdio for `touchbase mcp`, Streamable HTTP at `/mcp`, in memory for tests).
public enum MCPFace {
    public static let version = "0.2.0"

    public static let instructions = """
        Touchbase is the team's outreach and account-based-marketing system of record: accounts (companies), the people \
        there and how they relate, every touch and reply, research, drafts, follow-ups, signals and experiments. Start from \
        search_companies or search_contacts, read get_account_overview and get_contact_context before writing, save what \
        you learn with save_research, draft with create_draft and check it with run_draft_qc, log what you send with \
        log_touchpoint and what comes back with record_reply. Report your model usage with log_llm_usage (or a call's \
        _meta: prompt_tokens, completion_tokens, model, cost). Everything you do is on your run's ledger.
        """

    /// A server for one session, its handlers registered.
    public static func server(for session: MCPSession) async -> Server {
        let server = Server(
            name: "touchbase", version: version, title: "Touchbase", instructions: instructions,
            capabilities: .init(prompts: .init(listChanged: false), resources: .init(subscribe: false, listChanged: false), tools: .init(listChanged: false)))
        let content = MCPContent(session: session)
        await server.withMethodHandler(ListTools.self) { _ in ListTools.Result(tools: await session.tools()) }
        await server.withMethodHandler(CallTool.self) { params in try await session.call(params) }
        await server.withMethodHandler(ListResources.self) { _ in ListResources.Result(resources: []) }
        await server.withMethodHandler(ListResourceTemplates.self) { _ in ListResourceTemplates.Result(templates: MCPContent.templates) }
        await server.withMethodHandler(ReadResource.self) { params in try await content.read(params.uri) }
        await server.withMethodHandler(ListPrompts.self) { _ in ListPrompts.Result(prompts: MCPContent.prompts) }
        await server.withMethodHandler(GetPrompt.self) { params in try await content.prompt(params.name, params.arguments ?? [:]) }
        return server
    }

    /// Starts the session's server on a transport; the session's run opens when the client initializes.
    public static func start(_ server: Server, session: MCPSession, transport: any Transport) async throws {
        try await server.start(transport: transport) { client, _ in try await session.begin(client: client) }
    }
}

/// The resources and prompts: the real context, read from the database through the catalogue's operations.
struct MCPContent: Sendable {
    let session: MCPSession

    static let templates: [Resource.Template] = [
        Resource.Template(
            uriTemplate: "touchbase://contacts/{id}/context", name: "contact-context", title: "Contact context",
            description: "A contact with their company, conversations, engagement and relationships (JSON).", mimeType: "application/json"),
        Resource.Template(
            uriTemplate: "touchbase://companies/{id}/overview", name: "account-overview", title: "Account overview",
            description: "A company with its contacts by role, relationships, active conversations and counts (JSON).", mimeType: "application/json"),
    ]

    static let prompts: [Prompt] = [
        Prompt(
            name: "draft_first_touch", title: "Draft a first touch",
            description: "Write the first message to a contact, from their context, research and the solutions that fit them.",
            arguments: [.init(name: "contact_id", description: "The contact's id.", required: true)]),
        Prompt(
            name: "triage_reply", title: "Triage a reply",
            description: "Classify a reply's intent and record it with the next step.",
            arguments: [
                .init(name: "reply_text", description: "The reply as received.", required: true),
                .init(name: "contact_id", description: "Who replied.", required: true),
            ]),
        Prompt(
            name: "account_brief", title: "Account brief",
            description: "A one-page brief on an account: who is there, how they relate, what is going on and what to do next.",
            arguments: [.init(name: "company_id", description: "The company's id.", required: true)]),
    ]

    var catalogue: Catalogue { session.catalogue }

    /// Runs a read operation for a resource or prompt; its errors are the protocol's (-32602 for bad arguments,
    /// -32002 for a record that is not there).
    func read(_ name: String, _ arguments: [String: JSONValue]) async throws -> JSONValue {
        guard let op = catalogue[name] else { throw MCPError.internalError("no operation \(name)") }
        do {
            return try await op.run(arguments).json
        } catch let error as DomainError {
            if case .notFound = error { throw MCPError.serverError(code: -32002, message: error.message) }
            throw MCPError.invalidParams(MCPSession.describe(error))
        }
    }

    func read(_ uri: String) async throws -> ReadResource.Result {
        let parts = uri.split(separator: "/", omittingEmptySubsequences: false)
        // touchbase: "" contacts {id} context
        guard uri.hasPrefix("touchbase://"), parts.count == 5, let id = UUID(uuidString: String(parts[3])) else {
            throw MCPError.invalidParams("Unknown resource \(uri): use touchbase://contacts/{id}/context or touchbase://companies/{id}/overview.")
        }
        let json: JSONValue
        switch (parts[2], parts[4]) {
        case ("contacts", "context"): json = try await read("get_contact_context", ["contact_id": .string(id.lowercased)])
        case ("companies", "overview"): json = try await read("get_account_overview", ["company_id": .string(id.lowercased)])
        default:
            throw MCPError.invalidParams("Unknown resource \(uri): use touchbase://contacts/{id}/context or touchbase://companies/{id}/overview.")
        }
        return ReadResource.Result(contents: [.text(Bounded.fit(json).1, uri: uri, mimeType: "application/json")])
    }

    func argument(_ arguments: [String: String], _ name: String) throws -> String {
        guard let value = arguments[name]?.trimmed, !value.isEmpty else { throw MCPError.invalidParams("The prompt needs \(name).") }
        return value
    }

    func prompt(_ name: String, _ arguments: [String: String]) async throws -> GetPrompt.Result {
        func message(_ text: String) -> Prompt.Message { .user(.text(text: text)) }
        switch name {
        case "draft_first_touch":
            let contact = try argument(arguments, "contact_id")
            let context = try await read("get_contact_context", ["contact_id": .string(contact)])
            let solutions = try await read("recommend_solutions", ["contact_id": .string(contact)])
            let person = context["contact"]
            let who = [person?["first_name"]?.stringValue, person?["last_name"]?.stringValue].compactMap { $0 }.joined(separator: " ")
            let bounds = DraftQC.wordBounds(channel: "email", touchType: "email")
            return GetPrompt.Result(
                description: "First touch to \(who)",
                messages: [
                    message("""
                        Write the first email to \(who) (contact \(contact)). Use what the context and the recommended solutions \
                        below say about them: one specific observation about their role or company, one pain it suggests, one \
                        proof point, one low-friction ask. \(bounds.lowerBound)-\(bounds.upperBound) words, no placeholders, no links \
                        in a first touch. If the contact is do_not_contact or their email_status is red, do not write: say so.
                        Then save it with create_draft (channel email, touch_type email, touch_number 1) and check it with \
                        run_draft_qc; fix what the flags say and check again.

                        Contact context:
                        \(Bounded.fit(context).1)

                        Recommended solutions:
                        \(Bounded.fit(solutions).1)
                        """)
                ])
        case "triage_reply":
            let contact = try argument(arguments, "contact_id")
            let reply = try argument(arguments, "reply_text")
            let context = try await read("get_contact_context", ["contact_id": .string(contact), "include_relationships": false])
            return GetPrompt.Result(
                description: "Triage a reply from contact \(contact)",
                messages: [
                    message("""
                        Classify this reply from contact \(contact) as one intent: positive (interested, wants to talk), neutral \
                        (a question, no commitment), not_now (later: give follow_up_days), referral (points to someone else: give \
                        referral_name and referral_title), unsubscribe (stop contacting), negative (not interested). Then call \
                        record_reply with contact_id, intent, a one-line summary and raw_text; for a referral, look the person up \
                        with search_contacts and create them with create_contact if they are not there.

                        Reply:
                        \(Bounded.cut(.string(reply)).stringValue ?? "")

                        Contact context:
                        \(Bounded.fit(context).1)
                        """)
                ])
        case "account_brief":
            let company = try argument(arguments, "company_id")
            let overview = try await read("get_account_overview", ["company_id": .string(company)])
            let health = try await read("get_account_health", ["company_id": .string(company)])
            let signals = try await read("list_signals", ["company_id": .string(company), "limit": 20])
            let name = overview["company"]?["name"]?.stringValue ?? company
            return GetPrompt.Result(
                description: "Brief on \(name)",
                messages: [
                    message("""
                        Write a one-page brief on \(name) for the rep who owns it: who matters there (decision makers, champions) \
                        and how they relate, what conversations are active and how they stand, the buying signals, the account's \
                        health and its weakest component, and the three next actions in order (use find_expansion_targets for who \
                        to reach next).

                        Account overview:
                        \(Bounded.fit(overview).1)

                        Account health:
                        \(Bounded.fit(health).1)

                        Signals:
                        \(Bounded.fit(signals).1)
                        """)
                ])
        default:
            throw MCPError.invalidParams("Unknown prompt: \(name). Prompts: draft_first_touch, triage_reply, account_brief.")
        }
    }
}
