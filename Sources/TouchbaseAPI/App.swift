import Foundation
import HTTPTypes
import Hummingbird
import Logging
import TouchbaseDomain
import TouchbaseStore

/// Where the HTTP server listens.
public struct ServerSettings: Sendable {
    public var host: String
    public var port: Int

    public init(host: String = "127.0.0.1", port: Int = 8080) {
        self.host = host
        self.port = port
    }
}

/// Builds the router: problem+json for every error, bearer tokens checked per endpoint, every endpoint
/// from `Routes.all`, and the OpenAPI document written from the same list.
/// `importsDirectory` holds uploads and errors files of import jobs (default: `ImportJobs.defaultDirectory`).
/// Every endpoint answers within `requestTimeout`: one that takes longer (a database that went away mid-query) is
/// answered 503 with `Retry-After`, and its work is cancelled.
public func buildRouter(database: Database, importsDirectory: URL? = nil, requestTimeout: Duration = .seconds(30))
    -> Router<AppRequestContext>
{
    let router = Router(context: AppRequestContext.self)
    let authenticator = Authenticator(tokens: TokenStore(database: database))
    let endpoints = Routes.all(database: database, importsDirectory: importsDirectory)
    let templates = (endpoints.map { ($0.path, $0.method) } + [("/openapi.json", HTTPRequest.Method.get)]).map { path, method in
        (segments: path.split(separator: "/").map { $0.hasPrefix("{") ? "*" : String($0) }, method: method)
    }
    router.add(middleware: RequestLogMiddleware())
    router.add(middleware: ProblemMiddleware(routes: templates))
    for endpoint in endpoints {
        let access = endpoint.access
        let handler = endpoint.handler
        router.on(RouterPath(endpoint.routerPath), method: endpoint.method) { request, context -> Response in
            try await Deadline.run(within: requestTimeout) {
                var context = context
                guard let access else { return try await handler(request, context) }
                try await authenticator.check(request, &context, access: access)
                let actor = try await authenticator.actor(request, context)
                return try await AuditContext.$actor.withValue(actor) { try await handler(request, context) }
            }
        }
    }
    let document = OpenAPI.document(endpoints).serialized
    router.get("/openapi.json") { _, _ in HTTP.text(document) }
    return router
}

/// The whole application on `database`, listening per `settings`.
public func buildApplication(database: Database, settings: ServerSettings, logger: Logger) -> some ApplicationProtocol {
    Application(
        router: buildRouter(database: database),
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
        var response = try await next(request, context)
        response.headers[Self.header] = id
        let elapsed = ContinuousClock.now - started
        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        context.logger.info("\(request.method) \(request.uri.path) \(response.status.code) \(String(format: "%.1f", ms)) ms")
        return response
    }
}

