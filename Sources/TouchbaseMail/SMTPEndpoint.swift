import Foundation

/// Where and how a mailbox sends, read from its `smtp_url`:
/// - `smtps://USER:PASS@HOST[:PORT]`: TLS from the first byte (default port 465);
/// - `smtp://USER:PASS@HOST[:PORT]`: STARTTLS, required (default port 587); `?starttls=optional` uses it when the
///   server offers it, `?starttls=never` speaks plain SMTP. A password is only ever sent over TLS, or in the clear to
///   a server on this machine (127.0.0.1, ::1, localhost).
/// User and password are percent-decoded (`%40` for an `@` in a user name).
public struct SMTPEndpoint: Sendable, Hashable, CustomStringConvertible {
    public enum Security: String, Sendable, Hashable {
        case implicitTLS, startTLSRequired, startTLSOptional, plain
    }

    public var host: String
    public var port: Int
    public var security: Security
    public var username: String?
    public var password: String?

    public init(host: String, port: Int, security: Security, username: String? = nil, password: String? = nil) {
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
    }

    public init(url text: String) throws(MailError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let parts = URLComponents(string: trimmed), let scheme = parts.scheme?.lowercased() else {
            throw .invalidEndpoint("must be smtp://USER:PASS@HOST:PORT or smtps://USER:PASS@HOST:PORT")
        }
        guard scheme == "smtp" || scheme == "smtps" else { throw .invalidEndpoint("the scheme must be smtp or smtps, not \(scheme)") }
        guard let host = parts.host, !host.isEmpty else { throw .invalidEndpoint("a host is needed (smtp://USER:PASS@HOST:PORT)") }
        guard parts.path.isEmpty || parts.path == "/" else { throw .invalidEndpoint("takes no path; got \(parts.path)") }
        let port = parts.port ?? (scheme == "smtps" ? 465 : 587)
        guard (1...65_535).contains(port) else { throw .invalidEndpoint("the port must be from 1 to 65535; got \(port)") }
        var security: Security = scheme == "smtps" ? .implicitTLS : .startTLSRequired
        for item in parts.queryItems ?? [] {
            guard item.name == "starttls", scheme == "smtp" else {
                throw .invalidEndpoint("unknown option '\(item.name)' (smtp:// takes starttls=required|optional|never)")
            }
            switch item.value?.lowercased() {
            case "required": security = .startTLSRequired
            case "optional": security = .startTLSOptional
            case "never": security = .plain
            default: throw .invalidEndpoint("starttls must be required, optional or never; got '\(item.value ?? "")'")
            }
        }
        let user = parts.user.flatMap { $0.isEmpty ? nil : $0 }
        if parts.password != nil && user == nil { throw .invalidEndpoint("a password needs a user name (smtp://USER:PASS@HOST)") }
        self.init(host: host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host, port: port, security: security,
                  username: user, password: user == nil ? nil : (parts.password ?? ""))
    }

    /// Whether the host is this machine, where a password may travel without TLS.
    public var isLoopback: Bool { ["127.0.0.1", "::1", "localhost"].contains(host.lowercased()) || host.hasPrefix("127.") }

    /// The URL without its password, as any face may show it.
    public var description: String {
        var parts = URLComponents()
        parts.scheme = security == .implicitTLS ? "smtps" : "smtp"
        parts.host = host.contains(":") ? "[\(host)]" : host
        parts.port = port
        parts.user = username
        if password != nil { parts.password = "***" }
        switch security {
        case .startTLSOptional: parts.queryItems = [URLQueryItem(name: "starttls", value: "optional")]
        case .plain: parts.queryItems = [URLQueryItem(name: "starttls", value: "never")]
        default: break
        }
        return parts.string ?? "smtp://\(host):\(port)"
    }
}
