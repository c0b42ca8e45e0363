import Crypto
import Foundation
import SQLKit
import TouchbaseDomain

/// What a token may do. Viewers read; agents read and write; members also delete; admins do everything.
public enum Role: String, Sendable, CaseIterable, Codable {
    case admin, member, agent, viewer

    public func allows(_ access: Access) -> Bool {
        switch access {
        case .read: true
        case .write: self != .viewer
        case .delete: self == .admin || self == .member
        case .admin: self == .admin
        }
    }
}

/// The kind of access an operation needs.
public enum Access: String, Sendable {
    case read, write, delete, admin
}

/// An API token as stored: only the SHA-256 hash of the secret is kept.
public struct APIToken: Sendable, Hashable {
    public let id: UUID
    public let name: String
    public let role: Role
    /// The first characters of the secret, to tell tokens apart in listings.
    public let prefix: String
    public let createdAt: String
    public let lastUsedAt: String?
    public let revokedAt: String?
}

/// Creates, lists, revokes and checks API tokens.
public struct TokenStore: Sendable {
    public let database: Database

    public init(database: Database) { self.database = database }

    static func hash(_ secret: String) -> String {
        Hex.lowercase(SHA256.hash(data: Data(secret.utf8)))
    }


    static func makeSecret() -> String {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<24).map { _ in UInt8.random(in: 0...255, using: &rng) }
        return "tb_" + Hex.lowercase(bytes)
    }

    /// Creates a token and returns it with its secret; the secret is shown once and never stored.
    public func create(name: String, role: Role) async throws -> (token: APIToken, secret: String) {
        let trimmed = name.trimmed
        guard !trimmed.isEmpty, trimmed.count <= 100 else {
            throw DomainError.invalid("name", "must be 1 to 100 characters")
        }
        let secret = Self.makeSecret()
        let id = UUIDv7.make()
        let d = database.dialect
        try await StoreErrors.naming(conflict: "name", "An active token named '\(trimmed)' already exists.") {
            try await database.transaction { sql in
                try await sql.raw(
                    """
                    INSERT INTO api_tokens (id, name, role, token_hash, token_prefix)
                    VALUES (\(d.bind(id)), \(bind: trimmed), \(bind: role.rawValue), \(bind: Self.hash(secret)), \(bind: String(secret.prefix(10))))
                    """
                ).run()
            }
        }
        guard let token = try await list(includeRevoked: true).first(where: { $0.id == id }) else {
            throw DomainError.notFound(entity: "token", id: id.lowercased)
        }
        return (token, secret)
    }

    public func list(includeRevoked: Bool = false) async throws -> [APIToken] {
        let d = database.dialect
        let condition = includeRevoked ? "" : " WHERE revoked_at IS NULL"
        return try await database.withConnection { sql in
            try await sql.raw(
                "SELECT id, name, role, token_prefix, created_at, last_used_at, revoked_at FROM api_tokens\(unsafeRaw: condition) ORDER BY created_at, id"
            ).all().map { try Self.token($0, d) }
        }
    }

    /// Revokes the active token with this id or name.
    public func revoke(_ idOrName: String) async throws -> APIToken {
        let active = try await list()
        guard let token = active.first(where: { $0.id.lowercased == idOrName.lowercased() || $0.name == idOrName }) else {
            throw DomainError.notFound(entity: "active token", id: idOrName)
        }
        let d = database.dialect
        try await database.transaction { sql in
            try await sql.raw("UPDATE api_tokens SET revoked_at = \(unsafeRaw: d.now) WHERE id = \(d.bind(token.id))").run()
        }
        return try await list(includeRevoked: true).first { $0.id == token.id } ?? token
    }

    /// The active token with this secret, if any. Notes its use at most once a minute.
    public func authenticate(_ secret: String) async throws -> APIToken? {
        guard secret.hasPrefix("tb_"), secret.count < 200 else { return nil }
        let d = database.dialect
        let hash = Self.hash(secret)
        let token = try await database.withConnection { sql in
            try await sql.raw(
                "SELECT id, name, role, token_prefix, created_at, last_used_at, revoked_at FROM api_tokens WHERE token_hash = \(bind: hash) AND revoked_at IS NULL"
            ).first().map { try Self.token($0, d) }
        }
        guard let token else { return nil }
        let stale = token.lastUsedAt.flatMap(Timestamp.parse).map { Date().timeIntervalSince($0) > 60 } ?? true
        if stale {
            try? await database.withConnection { sql in
                try await sql.raw("UPDATE api_tokens SET last_used_at = \(unsafeRaw: d.now) WHERE id = \(d.bind(token.id))").run()
            }
        }
        return token
    }

    static func token(_ row: any SQLRow, _ d: Dialect) throws -> APIToken {
        APIToken(
            id: UUID(uuidString: try d.decode(row, "id", as: .uuid).stringValue ?? "")!,
            name: try row.decode(column: "name", as: String.self),
            role: Role(rawValue: try row.decode(column: "role", as: String.self)) ?? .viewer,
            prefix: try row.decode(column: "token_prefix", as: String.self),
            createdAt: try d.decode(row, "created_at", as: .timestamp).stringValue ?? "",
            lastUsedAt: try d.decode(row, "last_used_at", as: .timestamp).stringValue,
            revokedAt: try d.decode(row, "revoked_at", as: .timestamp).stringValue)
    }
}

/// Lowercase hex of bytes, for digests and secrets (`String(format:)` per byte was a tenth of an authenticated
/// request's time).
enum Hex {
    static func lowercase(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes of lowercase or uppercase hex; nil for anything else.
    static func bytes(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: c - 48
            case 97...102: c - 87
            case 65...70: c - 55
            default: nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        for i in stride(from: 0, to: chars.count, by: 2) {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
        }
        return out
    }
}
