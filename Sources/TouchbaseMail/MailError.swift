import Foundation

/// A reply from an SMTP server: its three-digit code and its text lines (RFC 5321 §4.2).
public struct SMTPReply: Sendable, Hashable, CustomStringConvertible {
    public let code: Int
    public let lines: [String]

    public init(code: Int, lines: [String]) {
        self.code = code
        self.lines = lines
    }

    /// The reply as the server wrote it, lines joined by a space: `550 5.1.1 no such user`.
    public var description: String { "\(code) \(lines.joined(separator: " "))".trimmingCharacters(in: .whitespaces) }
    public var isPositive: Bool { (200..<400).contains(code) }
    /// 4xx: try again later (RFC 5321 §4.2.1).
    public var isTransient: Bool { (400..<500).contains(code) }
}

/// Why a message could not be sent. `isTransient` says whether the same send may succeed later (4xx replies, lost
/// or refused connections, timeouts); a permanent failure (5xx, a refused address, a broken server) must not be
/// retried.
public enum MailError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The mailbox's `smtp_url` cannot be used; the text says why.
    case invalidEndpoint(String)
    /// An address or header value that cannot be put on the wire (a line break, a missing `@`, …).
    case invalidAddress(String)
    /// The server could not be reached, closed the connection, or did not answer in time.
    case connection(String)
    /// TLS could not be set up, or the connection would have sent a password in the clear.
    case tls(String)
    /// The server answered something that is not SMTP (a malformed reply, bytes injected around STARTTLS).
    case protocolViolation(String)
    /// The server refused a step of the exchange: `stage` is the command (`MAIL FROM`, `RCPT TO`, `DATA`, …).
    case rejected(stage: String, reply: SMTPReply)
    /// The message was written but no answer to it came (the connection broke, or the reply timed out): the server
    /// may have taken it. Never retried: a person decides.
    case outcomeUnknown(String)

    public var isTransient: Bool {
        switch self {
        case .connection: true
        case .rejected(_, let reply): reply.isTransient
        default: false
        }
    }

    public var description: String {
        switch self {
        case .invalidEndpoint(let s): "smtp_url: \(s)"
        case .invalidAddress(let s): s
        case .connection(let s): "connection: \(s)"
        case .tls(let s): "TLS: \(s)"
        case .protocolViolation(let s): "the server broke the protocol: \(s)"
        case .rejected(let stage, let reply): "\(stage) refused: \(reply)"
        case .outcomeUnknown(let s): "outcome unknown: \(s)"
        }
    }
}
