import Foundation
import Hummingbird
import NIOCore
import TouchbaseDomain
import TouchbaseStore

/// The request context: Hummingbird's core storage plus who is asking.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The token that authenticated the request; nil on public routes.
    public var token: APIToken?

    /// The client's address (tracking hits keep it raw).
    public var remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        token = nil
        remoteAddress = source.channel.remoteAddress
    }

    /// JSON request bodies up to 10 MiB; a larger one is answered 413.
    public var maxUploadSize: Int { Self.bodyLimit }
    public static let bodyLimit = 10 * 1024 * 1024
    static let bodyLimitDescription = "10 MiB"
}

/// Small helpers every handler uses to read a request and write JSON.
enum HTTP {
    static let problemContentType = "application/problem+json"

    /// A JSON response with the given status.
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        text(value.serialized, status: status)
    }

    static func text(_ body: String, status: HTTPResponse.Status = .ok, contentType: String = "application/json") -> Response {
        Response(
            status: status, headers: [.contentType: contentType],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    /// A single record, fields in their described order.
    static func record(_ record: Record, status: HTTPResponse.Status = .ok) -> Response {
        var out = ""
        record.write(to: &out)
        return text(out, status: status)
    }

    /// `{"data": [...], "next_cursor": ...}`.
    static func page(_ records: [Record], nextCursor: String?) -> Response {
        var out = "{\"data\":["
        for (i, r) in records.enumerated() {
            if i > 0 { out += "," }
            r.write(to: &out)
        }
        out += "],\"next_cursor\":"
        (nextCursor.map { JSONValue.string($0) } ?? .null).write(to: &out)
        out += "}"
        return text(out)
    }

    static func list(_ values: [JSONValue]) -> Response {
        json(["data": .array(values), "next_cursor": .null])
    }

    /// The request body as a JSON object: 400 when it is not JSON or not an object.
    static func object(_ request: Request, context: AppRequestContext) async throws -> [String: JSONValue] {
        var request = request
        let buffer = try await request.collectBody(upTo: context.maxUploadSize)
        guard buffer.readableBytes > 0 else { throw DomainError.badRequest("The request needs a JSON object body.") }
        let value = try JSONValue.parse(Data(buffer.readableBytesView))
        guard case .object(let object) = value else {
            throw DomainError.badRequest("The body must be a JSON object, not \(value.typeName).")
        }
        return object
    }

    /// A UUID path parameter; a malformed id is simply not found.
    static func id(_ context: AppRequestContext, _ name: String = "id", entity: String) throws -> UUID {
        let text = context.parameters.get(name) ?? ""
        guard let id = UUID(uuidString: text) else { throw DomainError.notFound(entity: entity, id: text) }
        return id
    }

    static func query(_ request: Request, _ name: String) -> String? {
        request.uri.queryParameters.get(name)
    }

    /// `limit` between 1 and the maximum; 422 outside it.
    static func limit(_ request: Request, default value: Int = ListQuery.defaultLimit) throws -> Int {
        guard let text = query(request, "limit") else { return value }
        guard let n = Int(text), n >= 1, n <= ListQuery.maxLimit else {
            throw DomainError.invalid("limit", "must be an integer from 1 to \(ListQuery.maxLimit)")
        }
        return n
    }

    static func bool(_ request: Request, _ name: String, default value: Bool) throws -> Bool {
        guard let text = query(request, name) else { return value }
        switch text.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw DomainError.invalid(name, "must be true or false")
        }
    }
}
