import Foundation
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
public func buildRouter(database: Database) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    let authenticator = Authenticator(tokens: TokenStore(database: database))
    let endpoints = Routes.all(database: database)
    let templates = (endpoints.map { ($0.path, $0.method) } + [("/openapi.json", HTTPRequest.Method.get)]).map { path, method in
        (segments: path.split(separator: "/").map { $0.hasPrefix("{") ? "*" : String($0) }, method: method)
    }
    router.add(middleware: ProblemMiddleware(routes: templates))
    for endpoint in endpoints {
        let access = endpoint.access
        let handler = endpoint.handler
        router.on(RouterPath(endpoint.routerPath), method: endpoint.method) { request, context -> Response in
            var context = context
            guard let access else { return try await handler(request, context) }
            try await authenticator.check(request, &context, access: access)
            let actor = try await authenticator.actor(request, context)
            return try await AuditContext.$actor.withValue(actor) { try await handler(request, context) }
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
