import NIOCore

/// Reads an SMTP server's replies off the connection: lines ended by CRLF, assembled into replies (`250-…` lines
/// continue one, `250 …` ends it, every line with the same code). Anything else is a protocol violation and closes
/// the connection. Every method runs on the channel's event loop (the client calls them through `eventLoop.submit`),
/// which is why it may be handed across tasks.
final class SMTPReplyReader: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer

    /// RFC 5321 allows 512 bytes a reply line; servers write longer ones, so allow some more.
    static let maxLine = 4_096
    static let maxLines = 200

    private var buffer = ByteBuffer()
    private var partial: (code: Int, lines: [String])?
    private var ready: [SMTPReply] = []
    /// Why the connection ended, once it has.
    private(set) var failure: MailError?
    private var waiting: EventLoopPromise<SMTPReply>?
    private var timeout: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    /// Nothing read and not yet handed out: no bytes, no part of a reply, no reply. Checked before TLS starts, so
    /// that nothing sent in the clear is read as if it came over TLS (the STARTTLS injection).
    var isIdle: Bool { buffer.readableBytes == 0 && partial == nil && ready.isEmpty }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        buffer.writeBuffer(&incoming)
        do {
            while let line = try nextLine() { try take(line) }
            if buffer.readableBytes > Self.maxLine { throw MailError.protocolViolation("a reply line longer than \(Self.maxLine) bytes") }
        } catch {
            fail(error as? MailError ?? .protocolViolation("\(error)"))
            context.close(promise: nil)
        }
        buffer.discardReadBytes()
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(.connection("the server closed the connection"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        let text = "\(error)"
        fail(text.contains("SSL") || text.contains("TLS") || text.contains("certificate") || text.contains("handshake")
             ? .tls(text) : .connection(text))
        context.close(promise: nil)
    }

    /// The next reply, or the connection's failure; past `seconds` without one the connection is closed.
    func next(within seconds: Int64, on loop: EventLoop) -> EventLoopFuture<SMTPReply> {
        if !ready.isEmpty { return loop.makeSucceededFuture(ready.removeFirst()) }
        if let failure { return loop.makeFailedFuture(failure) }
        let promise = loop.makePromise(of: SMTPReply.self)
        waiting = promise
        timeout = loop.scheduleTask(in: .seconds(seconds)) { [weak self] in
            guard let self else { return }
            self.fail(.connection("no answer from the server within \(seconds) s"))
            self.context?.close(promise: nil)
        }
        return promise.futureResult
    }

    private func nextLine() throws -> String? {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        let length = newline - buffer.readerIndex
        guard length >= 1, buffer.getInteger(at: newline - 1, as: UInt8.self) == UInt8(ascii: "\r") else {
            throw MailError.protocolViolation("a reply line not ended by CRLF")
        }
        guard length <= Self.maxLine else { throw MailError.protocolViolation("a reply line longer than \(Self.maxLine) bytes") }
        let bytes = buffer.readBytes(length: length - 1) ?? []
        buffer.moveReaderIndex(forwardBy: 2)
        return String(decoding: bytes, as: UTF8.self)
    }

    private func take(_ line: String) throws {
        let chars = Array(line.utf8)
        guard chars.count >= 3, chars.prefix(3).allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
              let code = Int(String(decoding: chars.prefix(3), as: UTF8.self)), (200...599).contains(code),
              chars.count == 3 || chars[3] == UInt8(ascii: " ") || chars[3] == UInt8(ascii: "-")
        else { throw MailError.protocolViolation("not an SMTP reply: \(line.prefix(80))") }
        let text = chars.count > 4 ? String(line.dropFirst(4)) : ""
        if let partial, partial.code != code { throw MailError.protocolViolation("a reply changed its code from \(partial.code) to \(code)") }
        var current = partial ?? (code, [])
        current.lines.append(text)
        guard current.lines.count <= Self.maxLines else { throw MailError.protocolViolation("a reply of more than \(Self.maxLines) lines") }
        if chars.count > 3 && chars[3] == UInt8(ascii: "-") {
            partial = current
            return
        }
        partial = nil
        deliver(SMTPReply(code: code, lines: current.lines))
    }

    private func deliver(_ reply: SMTPReply) {
        if let waiting {
            self.waiting = nil
            timeout?.cancel()
            waiting.succeed(reply)
        } else {
            ready.append(reply)
        }
    }

    private func fail(_ error: MailError) {
        if failure == nil { failure = error }
        if let waiting {
            self.waiting = nil
            timeout?.cancel()
            waiting.fail(failure ?? error)
        }
    }
}
