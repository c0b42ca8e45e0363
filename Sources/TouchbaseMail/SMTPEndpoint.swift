import Foundation
import TouchbaseDomain

/// Where and how a mailbox sends, read from its `smtp_url`:
/// - `smtps://USER:PASS@HOST[:PORT]`: TLS from the first byte (default port 465);
/// - `smtp://USER:PASS@HOST[:PORT]`: STARTTLS, required (default port 587); `?starttls=optional` uses it when the
///   server offers it, `?starttls=never` speaks plain SMTP. A password is only ever sent over TLS, or in the clear to
///   a server on this machine (127.0.0.1, ::1, localhost).
/// User and password are percent-decoded (`%40` for an `@` in a user name).
public struct SMTPEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// TLS from the first byte, STARTTLS required or optional, or plain SMTP: the URL's (`SMTPURL`, shared with the
    /// checks every face makes).
    public typealias Security = SMTPURL.Security

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
        let url: SMTPURL
        do throws(SMTPURL.Problem) {
            url = try SMTPURL(text)
        } catch {
            throw .invalidEndpoint(error.message)
        }
        self.init(host: url.host, port: url.port, security: url.security,
                  username: url.username, password: url.username == nil ? nil : (url.password ?? ""))
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
