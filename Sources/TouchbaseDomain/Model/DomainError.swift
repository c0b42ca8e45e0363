/// One field at fault, as reported to the user.
public struct FieldIssue: Sendable, Hashable, Codable {
    public let field: String
    public let message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
}

/// Every error a user can cause. Each case maps to one HTTP status and one CLI message in one place.
public enum DomainError: Error, Sendable, Hashable {
    /// The request cannot be read at all (malformed JSON, wrong shape). HTTP 400.
    case badRequest(String)
    /// Field values are invalid (unknown vocabulary word, wrong type, out of range). HTTP 422.
    case validation([FieldIssue])
    /// No record of that kind with that id. HTTP 404.
    case notFound(entity: String, id: String)
    /// A uniqueness rule would be broken (duplicate domain, email, relationship). HTTP 409.
    case conflict(field: String?, detail: String)
    /// A state change the rules refuse. HTTP 409.
    case refused(String)
    /// The database cannot be reached now, or did not answer in time; the same request may succeed later.
    /// HTTP 503 with `Retry-After`.
    case unavailable(String)

    public static func invalid(_ field: String, _ message: String) -> DomainError {
        .validation([FieldIssue(field: field, message: message)])
    }

    /// A one-line description for logs and the CLI.
    public var message: String {
        switch self {
        case .badRequest(let detail): detail
        case .validation(let issues): issues.map { "\($0.field): \($0.message)" }.joined(separator: "; ")
        case .notFound(let entity, let id): "No \(entity) with id \(id)."
        case .conflict(_, let detail): detail
        case .refused(let detail): detail
        case .unavailable(let detail): detail
        }
    }
}

extension DomainError: CustomStringConvertible {
    public var description: String { message }
}
