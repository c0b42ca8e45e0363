import Foundation
import Hummingbird
import Logging
import NIOCore
import TouchbaseDomain
import TouchbaseStore

/// An error answered as `application/problem+json` (RFC 9457).
public struct Problem: Error, Sendable {
    public let status: HTTPResponse.Status
    public let title: String
    public let detail: String
    public var errors: [FieldIssue] = []
    public var field: String?

    /// Seconds a client is told to wait (`Retry-After`) before trying a 503 again.
    public static let retryAfterSeconds = 2

    public static func unauthorized(_ detail: String) -> Problem { Problem(status: .unauthorized, title: "Unauthorized", detail: detail) }
    public static func forbidden(_ detail: String) -> Problem { Problem(status: .forbidden, title: "Forbidden", detail: detail) }

    /// The one place where domain errors become HTTP statuses.
    public static func from(_ error: DomainError) -> Problem {
        switch error {
        case .badRequest(let detail):
            return Problem(status: .badRequest, title: "Bad Request", detail: detail)
        case .validation(let issues):
            var p = Problem(
                status: .unprocessableContent, title: "Invalid field values",
                detail: issues.map { "\($0.field) \($0.message)" }.joined(separator: "; "))
            p.errors = issues
            return p
        case .notFound:
            return Problem(status: .notFound, title: "Not Found", detail: error.message)
        case .conflict(let field, let detail):
            var p = Problem(status: .conflict, title: "Conflict", detail: detail)
            p.field = field
            if let field { p.errors = [FieldIssue(field: field, message: "already exists")] }
            return p
        case .refused(let detail):
            return Problem(status: .conflict, title: "Refused", detail: detail)
        case .unavailable(let detail):
            return Problem(status: .serviceUnavailable, title: "Service Unavailable", detail: detail)
        }
    }

    func response(instance: String) -> Response {
        var body: [String: JSONValue] = [
            "type": "about:blank", "title": .string(title), "status": .int(Int64(status.code)), "detail": .string(detail),
            "instance": .string(instance),
        ]
        if !errors.isEmpty {
            body["errors"] = .array(errors.map { ["field": .string($0.field), "message": .string($0.message)] })
        }
        if let field { body["field"] = .string(field) }
        return HTTP.text(JSONValue.object(body).serialized, status: status, contentType: HTTP.problemContentType)
    }
}

/// Turns every error into problem+json. A 5xx body never carries internals; the error is logged instead.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    /// Path templates (split in segments, `*` for a parameter) with their methods, to answer 405 with `Allow`.
    let routes: [(segments: [String], method: HTTPRequest.Method)]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let allowed = allowedMethods(request.uri.path)
            guard !allowed.isEmpty else { return Self.response(for: error, request: request, logger: context.logger) }
            var response = Problem(
                status: .methodNotAllowed, title: "Method Not Allowed",
                detail: "\(request.method) is not allowed on \(request.uri.path); use \(allowed.joined(separator: ", "))."
            ).response(instance: request.uri.path)
            response.headers[.allow] = allowed.joined(separator: ", ")
            return response
        } catch {
            return Self.response(for: error, request: request, logger: context.logger)
        }
    }

    func allowedMethods(_ path: String) -> [String] {
        let segments = path.split(separator: "/").map(String.init)
        let matching = routes.filter { route in
            route.segments.count == segments.count
                && zip(route.segments, segments).allSatisfy { $0 == "*" || $0 == $1 }
        }
        // A constant path (`/conversations/needing-followup`) wins over a parameter (`/conversations/{id}`).
        let specificity = { (route: (segments: [String], method: HTTPRequest.Method)) in route.segments.filter { $0 != "*" }.count }
        let best = matching.map(specificity).max()
        return Array(Set(matching.filter { specificity($0) == best }.map(\.method.rawValue))).sorted()
    }

    static func response(for error: any Error, request: Request, logger: Logger) -> Response {
        let instance = request.uri.path
        switch StoreErrors.translate(error) {
        case let problem as Problem:
            var response = problem.response(instance: instance)
            if problem.status == .unauthorized { response.headers[.wwwAuthenticate] = "Bearer" }
            return response
        case let domain as DomainError:
            if case .unavailable(let detail) = domain {
                logger.warning("unavailable on \(request.method) \(instance): \(detail)")
            }
            var response = Problem.from(domain).response(instance: instance)
            if response.status == .serviceUnavailable { response.headers[.retryAfter] = String(Problem.retryAfterSeconds) }
            return response
        case is NIOTooManyBytesError:
            return Problem(
                status: .contentTooLarge, title: "Content Too Large",
                detail: "The request body is larger than the \(AppRequestContext.bodyLimitDescription) this endpoint accepts."
            ).response(instance: instance)
        case let http as HTTPError:
            let title = http.status.reasonPhrase
            let detail =
                http.status == .notFound ? "No route matches \(request.method) \(instance)." : (http.body ?? title)
            var response = Problem(status: http.status, title: title, detail: detail).response(instance: instance)
            if http.status == .unauthorized { response.headers[.wwwAuthenticate] = "Bearer" }
            return response
        default:
            logger.error("internal error on \(request.method) \(instance): \(String(reflecting: error))")
            return Problem(status: .internalServerError, title: "Internal Server Error", detail: "The server could not complete the request; it has been logged.")
                .response(instance: instance)
        }
    }
}
