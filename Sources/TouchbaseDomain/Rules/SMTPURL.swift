import Foundation

/// A mailbox's SMTP server as a URL, checked once for every face and for the client that sends:
/// - `smtps://USER:PASS@HOST[:PORT]`: TLS from the first byte (default port 465);
/// - `smtp://USER:PASS@HOST[:PORT]`: STARTTLS, required (default port 587); `?starttls=optional` uses it when the
///   server offers it, `?starttls=never` speaks plain SMTP.
/// User and password are percent-encoded in the URL (`%40` for an `@`); `username` and `password` are decoded.
/// A stored URL has no password (`withoutPassword`); the password is kept apart and put back (`withPassword`) only to
/// send.
public struct SMTPURL: Sendable, Hashable {
    public enum Security: String, Sendable, Hashable {
        case implicitTLS, startTLSRequired, startTLSOptional, plain
    }

    public let host: String
    public let port: Int
    public let security: Security
    public let username: String?
    public let password: String?
    /// The user and password as the URL writes them (percent-encoded).
    let encodedUser: String?
    let encodedPassword: String?

    public struct Problem: Error, Sendable, Hashable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    public init(_ text: String) throws(Problem) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.contains(where: { $0.isNewline || $0 == "\0" }), let parts = URLComponents(string: trimmed),
              let scheme = parts.scheme?.lowercased()
        else {
            throw Problem(message: "must be smtp://USER:PASS@HOST:PORT or smtps://USER:PASS@HOST:PORT")
        }
        guard scheme == "smtp" || scheme == "smtps" else { throw Problem(message: "the scheme must be smtp or smtps, not \(scheme)") }
        guard let host = parts.host, !host.isEmpty else { throw Problem(message: "a host is needed (smtp://USER:PASS@HOST:PORT)") }
        guard parts.path.isEmpty || parts.path == "/" else { throw Problem(message: "takes no path; got \(parts.path)") }
        let port = parts.port ?? (scheme == "smtps" ? 465 : 587)
        guard (1...65_535).contains(port) else { throw Problem(message: "the port must be from 1 to 65535; got \(port)") }
        var security: Security = scheme == "smtps" ? .implicitTLS : .startTLSRequired
        for item in parts.queryItems ?? [] {
            guard item.name == "starttls", scheme == "smtp" else {
                throw Problem(message: "unknown option '\(item.name)' (smtp:// takes starttls=required|optional|never)")
            }
            switch item.value?.lowercased() {
            case "required": security = .startTLSRequired
            case "optional": security = .startTLSOptional
            case "never": security = .plain
            default: throw Problem(message: "starttls must be required, optional or never; got '\(item.value ?? "")'")
            }
        }
        let user = parts.user.flatMap { $0.isEmpty ? nil : $0 }
        if parts.password != nil && user == nil { throw Problem(message: "a password needs a user name (smtp://USER:PASS@HOST)") }
        self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        self.port = port
        self.security = security
        username = user
        password = user == nil ? nil : parts.password
        encodedUser = user == nil ? nil : parts.percentEncodedUser
        encodedPassword = user == nil ? nil : parts.percentEncodedPassword
    }

    /// The URL as a face may show and store it: scheme, user, host, port and option, no password.
    public var withoutPassword: String { text(password: nil) }

    /// The URL with `password` (percent-encoded as the URL writes it), to send.
    public func withPassword(_ encoded: String?) -> String { text(password: encoded) }

    /// The password as the URL wrote it (percent-encoded), or nil when it gave none.
    public var passwordAsWritten: String? { encodedPassword }

    func text(password: String?) -> String {
        var out = security == .implicitTLS ? "smtps://" : "smtp://"
        if let encodedUser {
            out += encodedUser
            if let password { out += ":" + password }
            out += "@"
        }
        out += host.contains(":") ? "[\(host)]" : host
        out += ":\(port)"
        switch security {
        case .startTLSOptional: out += "?starttls=optional"
        case .plain: out += "?starttls=never"
        default: break
        }
        return out
    }
}
