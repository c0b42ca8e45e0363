import Foundation
import Logging
import MCP
import TouchbaseDomain
import TouchbaseService
import TouchbaseStore

/// Ours, not Foundation's.
typealias Operation = TouchbaseService.Operation

/// Who an MCP connection acts as: a token's name and role (`touchbase mcp` without a token acts as a local agent).
public struct MCPIdentity: Sendable {
    public let name: String
    public let role: Role
    public init(name: String, role: Role) {
        self.name = name
        self.role = role
    }
}

/// The settings every MCP session shares.
public struct MCPSettings: Sendable {
    /// Tool calls per token per minute (`TOUCHBASE_MCP_RATE`).
    public var ratePerMinute: Int
    /// The run type of a session's agent run.
    public var runType: String

    public static let defaultRate = 600

    public init(ratePerMinute: Int = MCPSettings.defaultRate, runType: String = "mcp") {
        self.ratePerMinute = ratePerMinute
        self.runType = runType
    }
}

/// One MCP session: an agent run (named from the client's `clientInfo` and the token), whose tool calls are child
/// runs with their arguments, a summary of the result, status, duration and error; the rows a call changes are
/// audited as `agent:<call's run id>`, and the tokens a call's `_meta` reports land in `llm_usage` linked to it.
public actor MCPSession {
    public let identity: MCPIdentity
    nonisolated let catalogue: Catalogue
    let ledger: AgentLedgerRepository
    let limiter: RateLimiter
    let settings: MCPSettings
    let logger: Logger
    let database: Database
    public private(set) var runID: UUID?
    public private(set) var agentName: String

    /// `catalogue` is shared by the sessions of one server (made from `database` when not given).
    public init(
        database: Database, identity: MCPIdentity, limiter: RateLimiter, settings: MCPSettings = MCPSettings(), catalogue: Catalogue? = nil,
        logger: Logger
    ) {
        self.database = database
        self.identity = identity
        self.catalogue = catalogue ?? Catalogue(database: database)
        self.ledger = AgentLedgerRepository(database: database)
        self.limiter = limiter
        self.settings = settings
        self.logger = logger
        self.agentName = identity.name
    }

    /// The session's run, opened when the client says who it is.
    public func begin(client: Client.Info) async throws {
        guard runID == nil else { return }
        let clientName = client.name.trimmed.isEmpty ? "client" : client.name.trimmed
        agentName = "\(identity.name):\(clientName)"
        let run = try await AuditContext.$actor.withValue("user:\(identity.name)") {
            try await ledger.start(
                runType: settings.runType, agentName: agentName,
                inputs: [
                    "client": ["name": .string(client.name), "version": .string(client.version)],
                    "token": .string(identity.name), "role": .string(identity.role.rawValue),
                ])
        }
        runID = run.id
        logger.info("MCP session started", metadata: ["run": "\(run.id.lowercased)", "agent": "\(agentName)"])
    }

    /// Closes the session's run.
    public func end(status: String = "success") async {
        guard let runID else { return }
        self.runID = nil
        do {
            try await AuditContext.$actor.withValue("agent:\(runID.lowercased)") { _ = try await ledger.finish(runID, status: status) }
        } catch {
            logger.warning("could not close the MCP session's run", metadata: ["run": "\(runID.lowercased)", "error": "\(error)"])
        }
    }

    /// The operations offered as tools: all of them to a token that may write, the read-only ones to a viewer.
    var offered: [Operation] {
        Catalogue.toolNames.compactMap { catalogue[$0] }.filter { identity.role.allows($0.access) }
    }

    public func tools() -> [Tool] {
        offered.map { op in
            Tool(
                name: op.name, title: op.title, description: op.description, inputSchema: Value(op.inputSchema),
                annotations: .init(
                    title: op.title, readOnlyHint: op.readOnly, destructiveHint: false, idempotentHint: op.idempotent, openWorldHint: false),
                outputSchema: Value(op.output.inlineSchema))
        }
    }

    /// Runs one tool call. An unknown tool is a protocol error (-32602); everything else, bad arguments and refusals
    /// included, is a result (`isError` with the reason) the model can act on.
    public func call(_ params: CallTool.Parameters) async throws -> CallTool.Result {
        guard Catalogue.toolNames.contains(params.name), let op = catalogue[params.name] else {
            throw MCPError.invalidParams("Unknown tool: \(params.name). Call tools/list for the tools there are.")
        }
        guard identity.role.allows(op.access) else {
            return Self.failure(
                "The token '\(identity.name)' has role \(identity.role.rawValue), which may not \(op.access.rawValue): \(op.name) is not offered to it.",
                kind: "forbidden")
        }
        if let wait = await limiter.take(identity.name) {
            let seconds = Int(wait.rounded(.up))
            return Self.failure(
                "Rate limit: at most \(limiter.perMinute) tool calls a minute for token '\(identity.name)'. Retry in \(seconds) s.",
                kind: "rate_limited", extra: ["retry_after_seconds": .int(Int64(seconds))])
        }
        let arguments = (params.arguments ?? [:]).mapValues { JSONValue($0) }
        let started = Date()
        let usage = Self.usage(params._meta)
        let callRun: Record
        do {
            callRun = try await AuditContext.$actor.withValue(runID.map { "agent:\($0.lowercased)" } ?? "user:\(identity.name)") {
                try await ledger.start(
                    runType: "tool_call", agentName: agentName, parent: runID, toolName: op.name,
                    inputs: Bounded.cut(.object(arguments), textLimit: 500))
            }
        } catch {
            return Self.failure(Self.describe(error), kind: "unavailable")
        }
        let actor = "agent:\(callRun.id.lowercased)"
        var result: CallTool.Result
        var status = "success"
        var errorMessage: String?
        var outputs: JSONValue = [:]
        do {
            let output = try await AuditContext.$actor.withValue(actor) { try await op.run(arguments) }
            let (json, text) = Bounded.fit(output.json)
            outputs = output.summary
            let structured: Value? = Value(json)
            result = CallTool.Result(content: [.text(text: text, annotations: nil, _meta: nil)], structuredContent: structured, isError: false)
        } catch {
            let translated = StoreErrors.translate(error)
            status = "error"
            errorMessage = Self.describe(translated)
            if !(translated is DomainError) { logger.error("MCP tool \(op.name) failed", metadata: ["error": "\(error)"]) }
            result = Self.failure(translated)
        }
        let duration = Int((Date().timeIntervalSince(started) * 1000).rounded())
        do {
            try await AuditContext.$actor.withValue(actor) {
                if let usage {
                    _ = try await RecordStore(database: database).create(Entities.llmUsage, [
                        "workflow_name": "mcp", "node_name": .string(op.name), "model": .string(usage.model),
                        "prompt_tokens": .int(Int64(usage.prompt)), "completion_tokens": .int(Int64(usage.completion)),
                        "latency_ms": .int(Int64(duration)), "cost": .double(usage.cost), "agent_run_id": .string(callRun.id.lowercased),
                    ])
                }
                try await ledger.finish(
                    callRun.id, status: status, outputs: outputs, error: errorMessage, tokens: usage.map { $0.prompt + $0.completion },
                    durationMS: duration)
            }
        } catch {
            logger.warning("could not record the tool call on the ledger", metadata: ["tool": "\(op.name)", "error": "\(error)"])
        }
        return result
    }

    struct Usage {
        let prompt: Int
        let completion: Int
        let model: String
        let cost: Double
    }

    /// Tokens and cost a client reports in a call's `_meta` (`prompt_tokens`, `completion_tokens`, `model`, `cost`).
    static func usage(_ meta: Metadata?) -> Usage? {
        guard let fields = meta?.fields else { return nil }
        func int(_ key: String) -> Int? {
            switch fields[key] { case .int(let i)?: max(0, min(i, 100_000_000)); case .double(let d)?: Int(max(0, min(d, 1e8))); default: nil }
        }
        let prompt = int("prompt_tokens")
        let completion = int("completion_tokens")
        guard prompt != nil || completion != nil else { return nil }
        var cost = 0.0
        switch fields["cost"] { case .double(let d)?: cost = d; case .int(let i)?: cost = Double(i); default: break }
        let model: String = if case .string(let m)? = fields["model"], !m.trimmed.isEmpty { m } else { "unknown" }
        return Usage(prompt: prompt ?? 0, completion: completion ?? 0, model: model, cost: min(max(0, cost.isFinite ? cost : 0), 1_000_000))
    }

    /// One line saying what went wrong, naming the fields at fault.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let domain as DomainError:
            switch domain {
            case .validation(let issues):
                "Invalid arguments: " + issues.map { "\($0.field) \($0.message)" }.joined(separator: "; ") + "."
            case .notFound(let entity, let id): "No \(entity) with id \(id)."
            default: domain.message
            }
        default: "The tool failed on the server's side; the error is in its log."
        }
    }

    static func failure(_ error: any Error) -> CallTool.Result {
        guard let domain = error as? DomainError else { return failure(describe(error), kind: "internal") }
        let kind: String
        var extra: [String: JSONValue] = [:]
        switch domain {
        case .badRequest: kind = "bad_request"
        case .validation(let issues):
            kind = "invalid_arguments"
            extra["errors"] = .array(issues.map { ["field": .string($0.field), "message": .string($0.message)] })
        case .notFound: kind = "not_found"
        case .conflict(let field, _):
            kind = "conflict"
            if let field { extra["field"] = .string(field) }
        case .refused: kind = "refused"
        case .unavailable: kind = "unavailable"
        }
        return failure(describe(domain), kind: kind, extra: extra)
    }

    static func failure(_ message: String, kind: String, extra: [String: JSONValue] = [:]) -> CallTool.Result {
        var error: [String: JSONValue] = ["kind": .string(kind), "message": .string(message)]
        error.merge(extra) { a, _ in a }
        let structured: Value? = Value(["error": .object(error)])
        return CallTool.Result(content: [.text(text: message, annotations: nil, _meta: nil)], structuredContent: structured, isError: true)
    }
}
