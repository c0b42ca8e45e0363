import Foundation
import HTTPTypes
import Hummingbird
import TouchbaseDomain
import TouchbaseService
import TouchbaseStore

/// A documented parameter of an endpoint.
public struct Parameter: Sendable {
    public let name: String
    public let location: String
    public let required: Bool
    public let schema: JSONValue
    public let summary: String

    static func path(_ name: String, _ summary: String) -> Parameter {
        Parameter(name: name, location: "path", required: true, schema: ["type": "string", "format": "uuid"], summary: summary)
    }

    static func query(_ name: String, _ schema: JSONValue, _ summary: String) -> Parameter {
        Parameter(name: name, location: "query", required: false, schema: schema, summary: summary)
    }
}

/// One route, described once: the router registers it and the OpenAPI document is written from it.
public struct Endpoint: Sendable {
    public let method: HTTPRequest.Method
    /// OpenAPI-style path (`/api/v1/companies/{id}`).
    public let path: String
    public let operationID: String
    public let summary: String
    public let tag: String
    /// What the token must allow; nil for public routes.
    public let access: Access?
    public var parameters: [Parameter] = []
    /// Schema of the JSON request body, if there is one.
    public var requestSchema: JSONValue? = nil
    /// A whole OpenAPI requestBody object, for a body that is not JSON.
    public var requestContent: JSONValue? = nil
    public var successStatus: Int = 200
    /// Schema of the success body; nil for no body.
    public var responseSchema: JSONValue? = nil
    /// Other success statuses, with what each means (the same body as the main one).
    public var otherSuccess: [Int: String] = [:]
    /// A whole OpenAPI content object for a success body that is not JSON (`message/rfc822`).
    public var successContent: JSONValue? = nil
    /// Problem statuses this route can answer besides 401/403.
    public var problems: [Int] = []
    /// The output model of the operation the route binds; the response schema is written from it.
    public var outputShape: Shape? = nil
    /// Whether its reads may lag a moment behind the writes (lists, the overview, health, dashboards): with a read
    /// replica configured they are served from it.
    public var readsMayLag = false
    public let handler: @Sendable (Request, AppRequestContext) async throws -> Response

    init(
        _ method: HTTPRequest.Method, _ path: String, _ operationID: String, _ summary: String, tag: String, access: Access?,
        parameters: [Parameter] = [], request: JSONValue? = nil, requestContent: JSONValue? = nil, status: Int = 200, response: JSONValue? = nil,
        problems: [Int] = [], handler: @escaping @Sendable (Request, AppRequestContext) async throws -> Response
    ) {
        self.method = method
        self.path = path
        self.operationID = operationID
        self.summary = summary
        self.tag = tag
        self.access = access
        self.parameters = parameters
        self.requestSchema = request
        self.requestContent = requestContent
        self.successStatus = status
        self.responseSchema = response
        self.problems = problems
        self.handler = handler
    }

    /// Hummingbird's form of the path (`:id` for `{id}`).
    var routerPath: String {
        path.replacingOccurrences(of: "{", with: ":").replacingOccurrences(of: "}", with: "")
    }
}

/// Checks the bearer token against the endpoint's access.
struct Authenticator: Sendable {
    let tokens: TokenStore

    func check(_ request: Request, _ context: inout AppRequestContext, access: Access) async throws {
        guard let header = request.headers[.authorization] else {
            throw Problem.unauthorized("Send an API token as 'Authorization: Bearer <token>'. Create one with 'touchbase token create'.")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw Problem.unauthorized("The Authorization header must be 'Bearer <token>'.")
        }
        guard let token = try await tokens.authenticate(String(parts[1]).trimmed) else {
            throw Problem.unauthorized("The token is unknown or revoked.")
        }
        guard token.role.allows(access) else {
            throw Problem.forbidden("A token with role '\(token.role.rawValue)' may not \(access.rawValue) here.")
        }
        context.token = token
    }

    static let agentRunHeader = HTTPField.Name("X-Agent-Run-Id")!

    /// Who the audit log names for this request's writes: the agent run in `X-Agent-Run-Id` (which must exist),
    /// else the token.
    func actor(_ request: Request, _ context: AppRequestContext) async throws -> String {
        if let header = request.headers[Self.agentRunHeader] {
            guard let id = UUID(uuidString: header.trimmed) else {
                throw DomainError.invalid("X-Agent-Run-Id", "must be the id of an agent run")
            }
            let store = RecordStore(database: tokens.database)
            guard try await store.exists(Entities.agentRuns, id) else {
                throw DomainError.invalid("X-Agent-Run-Id", "no agent run with id \(id.lowercased)")
            }
            return "agent:\(id.lowercased)"
        }
        return "user:\(context.token?.name ?? "anonymous")"
    }
}
