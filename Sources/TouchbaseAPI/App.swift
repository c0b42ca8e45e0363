import Foundation
import HTTPTypes
import Hummingbird
import Logging
import TouchbaseDomain
import TouchbaseService
import TouchbaseImport
import TouchbaseMCP
import TouchbaseStore
import TouchbaseWeb

/// Where the HTTP server listens.
public struct ServerSettings: Sendable {
    public var host: String
    public var port: Int
    /// The largest import upload accepted, in bytes.
    public var maxUpload: Int
    public static let defaultMaxUpload = 1 << 30
    /// MCP tool calls per token per minute.
    public var mcpRate: Int

    public init(host: String = "127.0.0.1", port: Int = 8080, maxUpload: Int = defaultMaxUpload, mcpRate: Int = MCPSettings.defaultRate) {
        self.host = host
        self.port = port
        self.maxUpload = maxUpload
        self.mcpRate = mcpRate
    }
}

/// Builds the router: problem+json for every error, bearer tokens checked per endpoint, every endpoint
/// from `Routes.all`, and the OpenAPI document written from the same list.
/// `importsDirectory` holds uploads and errors files of import jobs (default: `ImportJobs.defaultDirectory`); an upload
/// over `maxUpload` bytes is answered 413. Imports run on `jobs` (the server's runner); without one they are refused
/// with 503.
/// Every endpoint answers within `requestTimeout`: one that takes longer (a database that went away mid-query) is
/// answered 503 with `Retry-After`, and its work is cancelled.
/// MCP requests at `/mcp` go to `mcp`'s sessions (without it, `/mcp` is not served); the web UI's pages are served at
/// `/` by `web` (without it, they are not).
public func buildRouter(
    database: Database, importsDirectory: URL? = nil, requestTimeout: Duration = .seconds(30), maxUpload: Int = ServerSettings.defaultMaxUpload,
    jobs: JobRunner? = nil, mcp: MCPHTTPSessions? = nil, web: WebFace? = nil
) -> Router<AppRequestContext> {
    MetricsExport.bootstrap()
    let router = Router(context: AppRequestContext.self)
    let authenticator = Authenticator(tokens: TokenStore(database: database))
    let endpoints = Routes.all(database: database, importsDirectory: importsDirectory, maxUpload: maxUpload, jobs: jobs)
    var routes = endpoints.map { ($0.path, $0.method) } + [("/openapi.json", HTTPRequest.Method.get)]
    if mcp != nil { routes += [(MCPRoute.path, .post), (MCPRoute.path, .get), (MCPRoute.path, .delete)] }
    if let web { routes += web.routes.map { ($0.path, $0.method) } }
    routes += MessageLinkRoutes.paths
    let templates = routes.map { path, method in
        (segments: path.split(separator: "/").map { $0.hasPrefix("{") ? "*" : String($0) }, method: method)
    }
    router.add(middleware: RequestLogMiddleware())
    router.add(middleware: ProblemMiddleware(routes: templates))
    for endpoint in endpoints {
        let access = endpoint.access
        let handler = endpoint.handler
        let mayLag = endpoint.readsMayLag
        router.on(RouterPath(endpoint.routerPath), method: endpoint.method) { request, context -> Response in
            try await Deadline.run(within: requestTimeout) {
                var context = context
                guard let access else { return try await handler(request, context) }
                try await authenticator.check(request, &context, access: access)
                let actor = try await authenticator.actor(request, context)
                return try await AuditContext.$actor.withValue(actor) {
                    try await Database.$mayLag.withValue(mayLag) { try await handler(request, context) }
                }
            }
        }
    }
    if let mcp { MCPRoute.register(on: router, sessions: mcp, authenticator: authenticator) }
    web?.register(on: router)
    MessageLinkRoutes.register(on: router, database: database)
    let document = OpenAPI.document(endpoints).serialized
    router.get("/openapi.json") { _, _ in HTTP.text(document) }
    return router
}

/// The whole application on `database`, listening per `settings`, its imports run on `jobs`, MCP sessions in `mcp`.
public func buildApplication(
    database: Database, settings: ServerSettings, jobs: JobRunner, mcp: MCPHTTPSessions, web: WebFace? = nil, logger: Logger
) -> some ApplicationProtocol {
    Application(
        router: buildRouter(database: database, maxUpload: settings.maxUpload, jobs: jobs, mcp: mcp, web: web),
        configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "touchbase"),
        logger: logger)
}

/// Logs each request at `info`: method, path, status, milliseconds and a request id (the client's `X-Request-Id`, or
/// a new one), which the response carries back.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    static let header = HTTPField.Name("X-Request-Id")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let id = request.headers[Self.header].flatMap { $0.count <= 128 ? $0 : nil } ?? UUIDv7.make().lowercased
        var context = context
        context.logger[metadataKey: "request_id"] = .string(id)
        Telemetry.requestsInFlight.increment()
        defer { Telemetry.requestsInFlight.decrement() }
        var response = try await next(request, context)
        response.headers[Self.header] = id
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        Telemetry.request(route: Self.route(context.endpointPath), method: request.method.rawValue, status: response.status.code, seconds: seconds)
        context.logger.info("\(request.method) \(request.uri.path) \(response.status.code) \(String(format: "%.1f", seconds * 1000)) ms")
        return response
    }

    /// The route template a request matched, as OpenAPI writes it (`/api/v1/contacts/{id}`); `unmatched` for a path no
    /// route serves, so that a scan of random paths cannot make a series per path.
    static func route(_ endpointPath: String?) -> String {
        guard let path = endpointPath, path.hasPrefix("/") else { return "unmatched" }
        return path.split(separator: "/", omittingEmptySubsequences: false).map { part in
            part.hasPrefix(":") ? "{\(part.dropFirst())}" : String(part)
        }.joined(separator: "/")
    }
}

