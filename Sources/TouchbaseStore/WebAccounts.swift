import Crypto
import Foundation
import SQLKit
import TouchbaseDomain
import _CryptoExtras

/// A person who signs in to the web UI with an email and a password.
public struct User: Sendable, Hashable {
    public let id: UUID
    public let email: String
    public let name: String
    public let role: Role
    public let createdAt: String
    public let lastSignInAt: String?
    public let disabledAt: String?
}

/// Passwords as stored: `pbkdf2-sha256$ROUNDS$SALT$HASH` (hex), a slow hash with its own salt, so that a copy of the
/// database does not give the passwords away.
public enum PasswordHash {
    /// OWASP's figure for PBKDF2-HMAC-SHA256 (2023).
    public static let defaultRounds = 210_000

    public static func make(_ password: String, rounds: Int = defaultRounds) throws -> String {
        var rng = SystemRandomNumberGenerator()
        let salt = (0..<16).map { _ in UInt8.random(in: 0...255, using: &rng) }
        return "pbkdf2-sha256$\(rounds)$\(Hex.lowercase(salt))$\(try derive(password, salt: salt, rounds: rounds))"
    }

    /// Whether `password` is the one `stored` was made from (compared in constant time).
    public static func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$").map(String.init)
        guard parts.count == 4, parts[0] == "pbkdf2-sha256", let rounds = Int(parts[1]), rounds >= 1000, let salt = Hex.bytes(parts[2]),
            let derived = try? derive(password, salt: salt, rounds: rounds)
        else { return false }
        let a = Array(derived.utf8), b = Array(parts[3].utf8)
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    static func derive(_ password: String, salt: [UInt8], rounds: Int) throws -> String {
        let key = try KDF.Insecure.PBKDF2.deriveKey(
            from: Array(password.utf8), salt: salt, using: .sha256, outputByteCount: 32, unsafeUncheckedRounds: rounds)
        return key.withUnsafeBytes { Hex.lowercase($0) }
    }
}

/// Creates, lists and disables web users, and checks their passwords.
public struct UserStore: Sendable {
    public let database: Database
    let rounds: Int

    public init(database: Database, rounds: Int = PasswordHash.defaultRounds) {
        self.database = database
        self.rounds = rounds
    }

    static let columns = "id, email, name, role, created_at, last_sign_in_at, disabled_at"

    /// A new user; the email must be new (case-insensitively) and the password at least 10 characters.
    public func create(email: String, name: String?, role: Role, password: String) async throws -> User {
        let email = email.trimmed
        var issues: [FieldIssue] = []
        if email.count > 320 || !email.contains("@") || email.hasPrefix("@") || email.hasSuffix("@") || email.contains(" ") {
            issues.append(FieldIssue(field: "email", message: "must be an email address"))
        }
        let name = (name?.trimmed).flatMap { $0.isEmpty ? nil : $0 } ?? String(email.split(separator: "@").first ?? "")
        if name.isEmpty || name.count > 100 { issues.append(FieldIssue(field: "name", message: "must be 1 to 100 characters")) }
        if password.count < 10 { issues.append(FieldIssue(field: "password", message: "must be at least 10 characters")) }
        if password.count > 1000 { issues.append(FieldIssue(field: "password", message: "must be at most 1000 characters")) }
        if !issues.isEmpty { throw DomainError.validation(issues) }
        let hash = try PasswordHash.make(password, rounds: rounds)
        let id = UUIDv7.make()
        let d = database.dialect
        try await StoreErrors.naming(conflict: "email", "A user with the email '\(email)' already exists.") {
            try await database.transaction { sql in
                try await sql.raw(
                    """
                    INSERT INTO users (id, email, name, role, password_hash)
                    VALUES (\(d.bind(id)), \(bind: email), \(bind: name), \(bind: role.rawValue), \(bind: hash))
                    """
                ).run()
            }
        }
        return try await find(id: id)!
    }

    public func list() async throws -> [User] {
        let d = database.dialect
        return try await database.withConnection { sql in
            try await sql.raw("SELECT \(unsafeRaw: Self.columns) FROM users ORDER BY created_at, id").all().map { try Self.user($0, d) }
        }
    }

    public func find(id: UUID) async throws -> User? {
        let d = database.dialect
        return try await database.withConnection { sql in
            try await sql.raw("SELECT \(unsafeRaw: Self.columns) FROM users WHERE id = \(d.bind(id))").first().map { try Self.user($0, d) }
        }
    }

    /// The user with this id, or else this email (case-insensitively).
    public func find(emailOrID: String) async throws -> User? {
        if let id = UUID(uuidString: emailOrID.trimmed) { return try await find(id: id) }
        let d = database.dialect
        return try await database.withConnection { sql in
            try await sql.raw("SELECT \(unsafeRaw: Self.columns) FROM users WHERE lower(email) = lower(\(bind: emailOrID.trimmed))").first().map { try Self.user($0, d) }
        }
    }

    /// The active user with this email and password; nil for anything else (the same answer whichever part is wrong).
    public func verify(email: String, password: String) async throws -> User? {
        let d = database.dialect
        let found = try await database.withConnection { sql in
            try await sql.raw(
                "SELECT \(unsafeRaw: Self.columns), password_hash FROM users WHERE lower(email) = lower(\(bind: email.trimmed)) AND disabled_at IS NULL"
            ).first().map { (try Self.user($0, d), try $0.decode(column: "password_hash", as: String.self)) }
        }
        guard let (user, hash) = found else {
            _ = PasswordHash.verify(password, against: Self.decoyHash)  // the same time as a wrong password
            return nil
        }
        guard PasswordHash.verify(password, against: hash) else { return nil }
        try await database.withConnection { sql in
            try await sql.raw("UPDATE users SET last_sign_in_at = \(unsafeRaw: d.now) WHERE id = \(d.bind(user.id))").run()
        }
        return user
    }

    static let decoyHash = (try? PasswordHash.make("touchbase decoy password")) ?? ""

    /// Disables the user with this email or id and ends their sessions; an admin may enable them again.
    public func setDisabled(_ emailOrID: String, _ disabled: Bool) async throws -> User {
        guard let user = try await find(emailOrID: emailOrID) else { throw DomainError.notFound(entity: "user", id: emailOrID) }
        let d = database.dialect
        try await database.transaction { sql in
            try await sql.raw("UPDATE users SET disabled_at = \(unsafeRaw: disabled ? d.now : "NULL") WHERE id = \(d.bind(user.id))").run()
            if disabled { try await sql.raw("DELETE FROM web_sessions WHERE user_id = \(d.bind(user.id))").run() }
        }
        return try await find(id: user.id)!
    }

    static func user(_ row: any SQLRow, _ d: Dialect) throws -> User {
        User(
            id: UUID(uuidString: try d.decode(row, "id", as: .uuid).stringValue ?? "")!,
            email: try row.decode(column: "email", as: String.self),
            name: try row.decode(column: "name", as: String.self),
            role: Role(rawValue: try row.decode(column: "role", as: String.self)) ?? .viewer,
            createdAt: try d.decode(row, "created_at", as: .timestamp).stringValue ?? "",
            lastSignInAt: try d.decode(row, "last_sign_in_at", as: .timestamp).stringValue,
            disabledAt: try d.decode(row, "disabled_at", as: .timestamp).stringValue)
    }
}

/// A signed-in browser: who (a user or an API token), their role, and the CSRF token every form must carry.
public struct WebSession: Sendable {
    public let id: String
    /// The name writes are audited under (`user:<name>`): the user's name, or the token's.
    public let actor: String
    public let role: Role
    public let csrf: String
    public let userID: UUID?
    public let tokenID: UUID?
}

/// Web sessions, kept by the SHA-256 of the cookie's secret. A session lasts `lifetime` from sign-in.
public struct WebSessionStore: Sendable {
    public let database: Database
    public static let lifetime: TimeInterval = 12 * 3600

    public init(database: Database) { self.database = database }

    /// Starts a session for a user or a token; returns the cookie's secret (shown once) and the session.
    public func start(user: User? = nil, token: APIToken? = nil) async throws -> (secret: String, session: WebSession) {
        precondition((user == nil) != (token == nil))
        let secret = Self.random(32)
        let csrf = Self.random(24)
        let d = database.dialect
        let expires = Timestamp.format(Date().addingTimeInterval(Self.lifetime))
        try await database.transaction { sql in
            try await sql.raw("DELETE FROM web_sessions WHERE expires_at < \(unsafeRaw: d.now)").run()
            try await sql.raw(
                """
                INSERT INTO web_sessions (id, user_id, token_id, csrf, expires_at)
                VALUES (\(bind: TokenStore.hash(secret)), \(user.map { d.bind($0.id) } ?? SQLLiteral.null),
                        \(token.map { d.bind($0.id) } ?? SQLLiteral.null), \(bind: csrf), \(d.bind(.string(expires), as: .timestamp)))
                """
            ).run()
        }
        let session = WebSession(
            id: TokenStore.hash(secret), actor: user?.name ?? token!.name, role: user?.role ?? token!.role, csrf: csrf, userID: user?.id,
            tokenID: token?.id)
        return (secret, session)
    }

    /// The live session of this cookie secret: not expired, its user enabled or its token not revoked.
    public func find(_ secret: String) async throws -> WebSession? {
        guard secret.count == 64, secret.allSatisfy(\.isHexDigit) else { return nil }
        let d = database.dialect
        let id = TokenStore.hash(secret)
        return try await database.withConnection { sql in
            guard
                let row = try await sql.raw(
                    """
                    SELECT s.csrf, s.user_id, s.token_id, u.name AS user_name, u.role AS user_role, t.name AS token_name, t.role AS token_role
                    FROM web_sessions s
                    LEFT JOIN users u ON u.id = s.user_id AND u.disabled_at IS NULL
                    LEFT JOIN api_tokens t ON t.id = s.token_id AND t.revoked_at IS NULL
                    WHERE s.id = \(bind: id) AND s.expires_at > \(unsafeRaw: d.now)
                    """
                ).first()
            else { return nil }
            let name = try row.decode(column: "user_name", as: String?.self) ?? row.decode(column: "token_name", as: String?.self)
            let role = try row.decode(column: "user_role", as: String?.self) ?? row.decode(column: "token_role", as: String?.self)
            guard let name, let role = role.flatMap(Role.init(rawValue:)) else { return nil }
            return WebSession(
                id: id, actor: name, role: role, csrf: try row.decode(column: "csrf", as: String.self),
                userID: try d.decode(row, "user_id", as: .uuid).stringValue.flatMap(UUID.init(uuidString:)),
                tokenID: try d.decode(row, "token_id", as: .uuid).stringValue.flatMap(UUID.init(uuidString:)))
        }
    }

    /// Ends the session (sign-out).
    public func end(_ secret: String) async throws {
        try await database.withConnection { sql in
            try await sql.raw("DELETE FROM web_sessions WHERE id = \(bind: TokenStore.hash(secret))").run()
        }
    }

    /// `count` random bytes as hex.
    public static func random(_ count: Int) -> String {
        var rng = SystemRandomNumberGenerator()
        return Hex.lowercase((0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) })
    }
}
