import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// What the server said when it took a message: the reply to the end of DATA (`250 2.0.0 Ok: queued as 4F2A…`).
public struct SMTPReceipt: Sendable, Hashable {
    public let reply: SMTPReply
    /// The server's extensions after EHLO (and after STARTTLS), upper-cased keywords.
    public let extensions: Set<String>
    public let usedTLS: Bool
}

/// A small, strict SMTP client (RFC 5321) on SwiftNIO: one connection per `send`, EHLO, STARTTLS or implicit TLS
/// (swift-nio-ssl, certificates verified), AUTH PLAIN or LOGIN, MAIL FROM, RCPT TO, DATA with dot-stuffing, QUIT.
/// Replies are read strictly (CRLF lines, one code a reply); a 4xx reply is a transient `MailError.rejected`, a 5xx
/// a permanent one, with the server's words kept.
public struct SMTPClient: Sendable {
    public var endpoint: SMTPEndpoint
    /// The name given in EHLO: the sending mailbox's domain.
    public var heloName: String
    /// TLS settings; the default verifies the server's certificate against the system's roots and its name.
    public var tls: TLSConfiguration
    /// Seconds to wait for a reply (the end of DATA waits four times as long).
    public var replyTimeout: Int64
    public var connectTimeout: Int64

    public init(endpoint: SMTPEndpoint, heloName: String, tls: TLSConfiguration = .makeClientConfiguration(),
                replyTimeout: Int64 = 60, connectTimeout: Int64 = 20) {
        self.endpoint = endpoint
        self.heloName = heloName
        self.tls = tls
        self.replyTimeout = replyTimeout
        self.connectTimeout = connectTimeout
    }

    /// Sends `message` (the whole RFC 5322 text, CRLF line ends) from `from` to `recipients`. Every recipient must be
    /// accepted, or nothing is sent.
    public func send(from: String, to recipients: [String], message: [UInt8]) async throws(MailError) -> SMTPReceipt {
        try Self.checkEnvelope(from)
        guard !recipients.isEmpty else { throw .invalidAddress("a message needs at least one recipient") }
        for r in recipients { try Self.checkEnvelope(r) }
        guard !heloName.isEmpty, heloName.allSatisfy({ $0.isASCII && !$0.isWhitespace && !$0.isNewline }) else {
            throw .invalidAddress("the EHLO name must be a domain without spaces; got '\(heloName)'")
        }
        let session: Session
        do {
            session = try await Session.open(self)
        } catch let error as MailError {
            throw error
        } catch {
            throw .connection("\(endpoint.host):\(endpoint.port): \(error)")
        }
        do {
            let receipt = try await session.run(from: from, to: recipients, message: message)
            await session.quit()
            return receipt
        } catch {
            await session.close()
            throw error as? MailError ?? .connection("\(error)")
        }
    }

    /// An envelope address: ASCII, one `@`, nothing that could end a command or an address.
    static func checkEnvelope(_ address: String) throws(MailError) {
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, address.utf8.count <= 254,
              address.allSatisfy({ $0.isASCII && !$0.isWhitespace && !$0.isNewline && $0 != "<" && $0 != ">" && !($0.asciiValue.map { $0 < 32 || $0 == 127 } ?? true) })
        else { throw .invalidAddress("not an address that can be sent to: '\(address)'") }
    }

    /// The message as DATA carries it: CRLF line ends, a `.` doubled at the start of a line, ended by `CRLF.CRLF`.
    public static func dotStuffed(_ message: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(message.count + message.count / 50 + 5)
        var lineStart = true
        var i = 0
        while i < message.count {
            let b = message[i]
            if lineStart && b == UInt8(ascii: ".") { out.append(UInt8(ascii: ".")) }
            if b == UInt8(ascii: "\r") && i + 1 < message.count && message[i + 1] == UInt8(ascii: "\n") {
                out += [13, 10]
                i += 2
                lineStart = true
                continue
            }
            if b == UInt8(ascii: "\n") || b == UInt8(ascii: "\r") {
                out += [13, 10]  // a bare LF or CR becomes CRLF
                lineStart = true
            } else {
                out.append(b)
                lineStart = false
            }
            i += 1
        }
        if !lineStart { out += [13, 10] }
        out += Array(".\r\n".utf8)
        return out
    }

    /// One connection's exchange.
    final class Session: Sendable {
        let channel: Channel
        let reader: SMTPReplyReader
        let client: SMTPClient
        let context: NIOSSLContext?

        init(channel: Channel, reader: SMTPReplyReader, client: SMTPClient, context: NIOSSLContext?) {
            self.channel = channel
            self.reader = reader
            self.client = client
            self.context = context
        }

        static func open(_ client: SMTPClient) async throws -> Session {
            let endpoint = client.endpoint
            let needsTLS = endpoint.security != .plain
            let context: NIOSSLContext? = needsTLS ? try NIOSSLContext(configuration: client.tls) : nil
            let reader = SMTPReplyReader()
            let hostname = Self.sniName(endpoint.host)
            let implicit = endpoint.security == .implicitTLS
            let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(client.connectTimeout))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if implicit, let context {
                            try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: hostname))
                        }
                        try channel.pipeline.syncOperations.addHandler(reader)
                    }
                }
            let channel: Channel
            do {
                channel = try await bootstrap.connect(host: endpoint.host, port: endpoint.port).get()
            } catch {
                throw MailError.connection("cannot connect to \(endpoint.host):\(endpoint.port): \(error)")
            }
            return Session(channel: channel, reader: reader, client: client, context: context)
        }

        /// SNI and certificate names are host names, never address literals.
        static func sniName(_ host: String) -> String? {
            if host.contains(":") { return nil }
            if host.split(separator: ".").count == 4 && host.split(separator: ".").allSatisfy({ UInt8($0) != nil }) { return nil }
            return host
        }

        func reply(_ seconds: Int64? = nil) async throws -> SMTPReply {
            let reader = reader, loop = channel.eventLoop, wait = seconds ?? client.replyTimeout
            return try await loop.flatSubmit { reader.next(within: wait, on: loop) }.get()
        }

        func write(_ bytes: [UInt8]) async throws {
            var buffer = channel.allocator.buffer(capacity: bytes.count)
            buffer.writeBytes(bytes)
            do {
                try await channel.writeAndFlush(buffer).get()
            } catch {
                // A failed TLS handshake or a closed connection says more than the write that found it.
                let reader = reader
                if let known = try? await channel.eventLoop.submit({ reader.failure }).get() { throw known }
                throw MailError.connection("the connection broke while writing: \(error)")
            }
        }

        /// Sends a command and reads its reply; anything but `expected` is a refusal at `stage`.
        @discardableResult
        func command(_ line: String, stage: String, expected: Set<Int>) async throws -> SMTPReply {
            try await write(Array((line + "\r\n").utf8))
            let reply = try await reply()
            guard expected.contains(reply.code) else { throw Self.refusal(stage, reply) }
            return reply
        }

        static func refusal(_ stage: String, _ reply: SMTPReply) -> MailError {
            (200..<400).contains(reply.code)
                ? .protocolViolation("\(stage) answered \(reply) where another code was expected")
                : .rejected(stage: stage, reply: reply)
        }

        static func extensions(_ reply: SMTPReply) -> [String: String] {
            var out: [String: String] = [:]
            for line in reply.lines.dropFirst() {
                let words = line.split(separator: " ", maxSplits: 1)
                guard let keyword = words.first else { continue }
                out[keyword.uppercased()] = words.count > 1 ? String(words[1]) : ""
            }
            return out
        }

        func run(from: String, to recipients: [String], message: [UInt8]) async throws -> SMTPReceipt {
            let endpoint = client.endpoint
            let greeting = try await reply()
            guard greeting.code == 220 else { throw Self.refusal("greeting", greeting) }
            var ehlo = try await command("EHLO \(client.heloName)", stage: "EHLO", expected: [250])
            var features = Self.extensions(ehlo)
            var secure = endpoint.security == .implicitTLS
            if !secure && endpoint.security != .plain {
                if features["STARTTLS"] != nil {
                    try await command("STARTTLS", stage: "STARTTLS", expected: [220])
                    try await startTLS()
                    secure = true
                    ehlo = try await command("EHLO \(client.heloName)", stage: "EHLO", expected: [250])
                    features = Self.extensions(ehlo)
                } else if endpoint.security == .startTLSRequired {
                    throw MailError.tls("\(endpoint.host) does not offer STARTTLS (use ?starttls=optional to send without it)")
                }
            }
            if let user = endpoint.username {
                guard secure || endpoint.isLoopback else {
                    throw MailError.tls("refusing to send the password to \(endpoint.host) without TLS")
                }
                try await authenticate(user: user, password: endpoint.password ?? "", offered: features["AUTH"])
            }
            let stuffed = SMTPClient.dotStuffed(message)
            var mail = "MAIL FROM:<\(from)>"
            if let size = features["SIZE"] {
                if let limit = Int(size.trimmingCharacters(in: .whitespaces)), limit > 0, message.count > limit {
                    throw MailError.rejected(stage: "SIZE", reply: SMTPReply(code: 552, lines: ["the message is \(message.count) bytes; \(endpoint.host) takes at most \(limit)"]))
                }
                mail += " SIZE=\(message.count)"
            }
            try await command(mail, stage: "MAIL FROM", expected: [250])
            for recipient in recipients {
                try await command("RCPT TO:<\(recipient)>", stage: "RCPT TO <\(recipient)>", expected: [250, 251])
            }
            try await command("DATA", stage: "DATA", expected: [354])
            try await write(stuffed)
            let accepted: SMTPReply
            do {
                accepted = try await reply(client.replyTimeout * 4)
            } catch {
                throw MailError.outcomeUnknown("the message was sent to \(endpoint.host) but no reply to it came: \(error)")
            }
            guard accepted.code == 250 else { throw Self.refusal("end of DATA", accepted) }
            return SMTPReceipt(reply: accepted, extensions: Set(features.keys), usedTLS: secure)
        }

        func startTLS() async throws {
            let reader = reader, channel = channel
            guard let context else { throw MailError.tls("no TLS context") }
            let hostname = Self.sniName(client.endpoint.host)
            try await channel.eventLoop.flatSubmit { () -> EventLoopFuture<Void> in
                // Bytes the server sent after its 220 would be read as if they had come over TLS: refuse them.
                guard reader.isIdle else {
                    return channel.eventLoop.makeFailedFuture(MailError.protocolViolation("the server sent more after its STARTTLS reply"))
                }
                do {
                    let handler = try NIOSSLClientHandler(context: context, serverHostname: hostname)
                    try channel.pipeline.syncOperations.addHandler(handler, position: .first)
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(MailError.tls("\(error)"))
                }
            }.get()
        }

        func authenticate(user: String, password: String, offered: String?) async throws {
            let mechanisms = Set((offered ?? "").uppercased().split(separator: " ").map(String.init))
            func b64(_ s: String) -> String { Data(s.utf8).base64EncodedString() }
            if mechanisms.contains("PLAIN") {
                try await command("AUTH PLAIN " + Data(([0] + Array(user.utf8) + [0] + Array(password.utf8))).base64EncodedString(),
                                  stage: "AUTH PLAIN", expected: [235])
            } else if mechanisms.contains("LOGIN") {
                try await command("AUTH LOGIN", stage: "AUTH LOGIN", expected: [334])
                try await command(b64(user), stage: "AUTH LOGIN (user)", expected: [334])
                try await command(b64(password), stage: "AUTH LOGIN (password)", expected: [235])
            } else {
                throw MailError.rejected(stage: "AUTH", reply: SMTPReply(code: 504, lines: [
                    "\(client.endpoint.host) offers no PLAIN or LOGIN authentication (offered: \(offered ?? "none"))",
                ]))
            }
        }

        func quit() async {
            _ = try? await command("QUIT", stage: "QUIT", expected: [221])
            await close()
        }

        func close() async {
            try? await channel.close().get()
        }
    }
}
