import Crypto
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import SQLKit
import TouchbaseDomain
import TouchbaseStore

/// Standard Webhooks signing (https://www.standardwebhooks.com): the secret is `whsec_` and base64 bytes; each
/// message is signed as `{webhook-id}.{webhook-timestamp}.{body}` with HMAC-SHA256, sent as `v1,<base64>`.
public enum WebhookSignature {
    /// A new secret: 24 random bytes.
    public static func makeSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<24).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return "whsec_" + Data(bytes).base64EncodedString()
    }

    public static func key(_ secret: String) -> Data? {
        guard secret.hasPrefix("whsec_") else { return nil }
        return Data(base64Encoded: String(secret.dropFirst("whsec_".count)))
    }

    /// The `webhook-signature` header's value for one message.
    public static func sign(secret: String, id: String, timestamp: Int, body: [UInt8]) -> String? {
        guard let key = key(secret) else { return nil }
        var content = Array("\(id).\(timestamp).".utf8)
        content += body
        let mac = HMAC<SHA256>.authenticationCode(for: content, using: SymmetricKey(data: key))
        return "v1," + Data(mac).base64EncodedString()
    }

    /// The first characters of a secret, to recognise it by (`whsec_ab12…`).
    public static func hint(_ secret: String) -> String { String(secret.prefix(10)) + "…" }
}

/// A small HTTP/1.1 client on SwiftNIO for webhook POSTs (and the reliability benchmark's requests): one connection per request (TLS with swift-nio-ssl for
/// https, certificates verified), the whole exchange within `timeout`, at most `keep` bytes of the answer kept.
public struct WebhookHTTP: Sendable {
    public struct Answer: Sendable {
        public let status: Int
        public let body: String
    }

    public var timeout: Duration = .seconds(10)
    public var keep = 2_048
    public var tls: TLSConfiguration = .makeClientConfiguration()

    public init() {}

    public func post(_ url: String, headers: [(String, String)], body: [UInt8]) async throws -> Answer {
        try await send(.POST, url, headers: headers, body: body)
    }

    /// One request; a body is sent as JSON.
    public func send(_ method: HTTPMethod, _ url: String, headers: [(String, String)] = [], body: [UInt8] = []) async throws -> Answer {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let host = components.host, !host.isEmpty
        else { throw DomainError.invalid("url", "is not an http:// or https:// URL") }
        let port = components.port ?? (scheme == "https" ? 443 : 80)
        let path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        let target = components.percentEncodedQuery.map { path + "?" + $0 } ?? path
        let context = scheme == "https" ? try NIOSSLContext(configuration: tls) : nil
        let hostHeader = components.port.map { "\(host):\($0)" } ?? host
        let keep = keep
        return try await Deadline.run(within: timeout) {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(5))
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let context {
                            let name = host.first == "[" || host.allSatisfy({ $0.isNumber || $0 == "." }) ? nil : host
                            try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: name))
                        }
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                    }
                }
            return try await channel.executeThenClose { inbound, outbound in
                var head = HTTPRequestHead(version: .http1_1, method: method, uri: target)
                head.headers.add(name: "Host", value: hostHeader)
                head.headers.add(name: "User-Agent", value: "Touchbase-Webhooks/1")
                if !body.isEmpty { head.headers.add(name: "Content-Type", value: "application/json") }
                head.headers.add(name: "Content-Length", value: String(body.count))
                head.headers.add(name: "Connection", value: "close")
                for (name, value) in headers { head.headers.add(name: name, value: value) }
                // The whole request in one flush: a receiver that answers and closes as soon as it has the body must
                // not find us still writing the request's end.
                try await outbound.write(contentsOf: [.head(head), .body(.byteBuffer(ByteBuffer(bytes: body))), .end(nil)])
                var status = 0
                var answer: [UInt8] = []
                for try await part in inbound {
                    switch part {
                    case .head(let response): status = Int(response.status.code)
                    case .body(let buffer):
                        if answer.count < keep { answer += buffer.readableBytesView.prefix(keep - answer.count) }
                    case .end: return Answer(status: status, body: String(decoding: answer, as: UTF8.self))
                    }
                }
                guard status > 0 else { throw DomainError.badRequest("the receiver closed the connection without an answer") }
                return Answer(status: status, body: String(decoding: answer, as: UTF8.self))
            }
        }
    }
}

/// Delivers the outbox: pending `webhook_deliveries` whose time has come are claimed (on PostgreSQL with
/// `FOR UPDATE SKIP LOCKED`, so several servers share the work), leased for `lease` seconds, POSTed, and recorded.
/// A 2xx is delivered; anything else is tried again after 5 s, 10 s, 20 s … (at most 10 minutes apart) until 24 hours
/// after the event, then failed. A success brings the webhook's other waiting deliveries forward, so that a receiver
/// that was down gets everything as soon as it answers again. Every delivery is at least once: a receiver dedups by
/// `webhook-id`.
public struct WebhookDeliverer: Sendable {
    public struct Report: Sendable {
        public var delivered = 0
        public var retrying = 0
        public var failed = 0
        public var total: Int { delivered + retrying + failed }
    }

    public let database: Database
    public var http = WebhookHTTP()
    public var batch = 50
    public var lease: TimeInterval = 60
    public static let giveUpAfter: TimeInterval = 24 * 3600
    public static let maxDelay: TimeInterval = 600
    let logger: Logger

    public init(database: Database, logger: Logger = Logger(label: "touchbase.webhooks")) {
        self.database = database
        self.logger = logger
    }

    /// The wait after the `attempts`-th failed try.
    public static func delay(afterAttempt attempts: Int) -> TimeInterval {
        min(maxDelay, 5 * pow(2, Double(max(0, attempts - 1))))
    }

    struct Claimed: Sendable {
        let id: UUID
        let webhookID: UUID
        let url: String
        let secret: String
        let eventType: String
        let payload: JSONValue
        let messageID: String
        let createdAt: Date
        let attempts: Int
    }

    /// Delivers every delivery due at `now` (read once, at the start), a batch at a time, until none is due (or
    /// `maxBatches` ran).
    public func deliverDue(now: @Sendable () -> Date = { Date() }, maxBatches: Int = 20) async throws -> Report {
        var report = Report()
        // What is due as of the run's start: a delivery tried in this run is not tried again in it.
        let due = now()
        for _ in 0..<maxBatches {
            // Leased from the clock as it is now: a long run's later batches are not claimed already expired.
            let claimed = try await claim(now: due, leaseFrom: max(due, now()))
            if claimed.isEmpty { break }
            var down: [UUID: (until: Date, why: String)] = [:]
            for delivery in claimed {
                if let (until, why) = down[delivery.webhookID] {
                    try await postpone(delivery, until: until, why: why)
                    continue
                }
                let outcome = try await deliver(delivery, now: now())
                switch outcome {
                case .delivered: report.delivered += 1
                case .retrying(let until, let why, let unreachable):
                    report.retrying += 1
                    if unreachable { down[delivery.webhookID] = (until, why) }
                case .failed: report.failed += 1
                }
            }
        }
        return report
    }

    func claim(now: Date, leaseFrom: Date) async throws -> [Claimed] {
        let d = database.dialect
        let at = d.bind(.string(Timestamp.format(now)), as: .timestamp)
        let leased = d.bind(.string(Timestamp.format(leaseFrom.addingTimeInterval(lease))), as: .timestamp)
        let active = database.engine == .postgres ? "w.active" : "w.active = 1"
        let lock = database.engine == .postgres ? " FOR UPDATE OF wd SKIP LOCKED" : ""
        let batch = batch
        return try await database.transaction { sql in
            let rows = try await sql.raw("""
                SELECT wd.id, wd.webhook_id, wd.event_type, wd.payload, wd.message_id, wd.created_at, wd.attempts, w.url, s.secret
                FROM webhook_deliveries wd JOIN webhooks w ON w.id = wd.webhook_id JOIN webhook_secrets s ON s.webhook_id = w.id
                WHERE wd.status = 'pending' AND wd.next_attempt_at <= \(at) AND \(unsafeRaw: active)
                ORDER BY wd.next_attempt_at LIMIT \(unsafeRaw: String(batch))\(unsafeRaw: lock)
                """).all()
            var out: [Claimed] = []
            for row in rows {
                guard let id = try d.decode(row, "id", as: .uuid).stringValue.flatMap(UUID.init(uuidString:)),
                      let webhook = try d.decode(row, "webhook_id", as: .uuid).stringValue.flatMap(UUID.init(uuidString:))
                else { continue }
                let created = try d.decode(row, "created_at", as: .timestamp).stringValue.flatMap(Timestamp.parse) ?? now
                out.append(Claimed(
                    id: id, webhookID: webhook, url: try row.decode(column: "url", as: String.self), secret: try row.decode(column: "secret", as: String.self),
                    eventType: try row.decode(column: "event_type", as: String.self), payload: try d.decode(row, "payload", as: .jsonObject),
                    messageID: try row.decode(column: "message_id", as: String?.self) ?? "msg_" + id.lowercased, createdAt: created,
                    attempts: try row.decode(column: "attempts", as: Int.self)))
            }
            if !out.isEmpty {
                try await sql.raw("UPDATE webhook_deliveries SET next_attempt_at = \(leased) WHERE id IN (" + d.list(out.map(\.id)) + ")").run()
            }
            return out
        }
    }

    enum Outcome {
        case delivered
        case retrying(until: Date, why: String, unreachable: Bool)
        case failed
    }

    /// The body a receiver gets: `{"type", "timestamp", "data"}`, `data` typed by the table's description (booleans,
    /// numbers and UTC times alike on both engines).
    public static func body(type: String, occurredAt: Date, payload: JSONValue) -> [UInt8] {
        let entity = WebhookEvent.named(type).flatMap { event in Entities.stored.first { $0.table == event.table } }
        var data: [String: JSONValue] = [:]
        for (key, value) in payload.objectValue ?? [:] {
            data[key] = entity?.field(key).map { normalized(value, as: $0.type) } ?? value
        }
        let envelope: JSONValue = ["type": .string(type), "timestamp": .string(Timestamp.format(occurredAt)), "data": .object(data)]
        return Array(envelope.serialized.utf8)
    }

    static func normalized(_ value: JSONValue, as type: FieldType) -> JSONValue {
        switch (type, value) {
        case (_, .null): return .null
        case (.boolean, .int(let n)): return .bool(n != 0)
        case (.timestamp, .string(let s)): return Timestamp.parse(s).map { .string(Timestamp.format($0)) } ?? value
        case (.decimal, .string(let s)): return Double(s).map { .double($0) } ?? value
        case (.decimal, .int(let n)): return .double(Double(n))
        case (.jsonObject, .string(let s)), (.jsonArray, .string(let s)): return (try? JSONValue.parse(s)) ?? value
        default: return value
        }
    }

    func deliver(_ delivery: Claimed, now: Date) async throws -> Outcome {
        let body = Self.body(type: delivery.eventType, occurredAt: delivery.createdAt, payload: delivery.payload)
        let timestamp = Int(now.timeIntervalSince1970)
        guard let signature = WebhookSignature.sign(secret: delivery.secret, id: delivery.messageID, timestamp: timestamp, body: body) else {
            return try await record(delivery, now: now, status: nil, answer: nil, error: "the webhook's secret cannot be read: rotate it")
        }
        let headers = [("webhook-id", delivery.messageID), ("webhook-timestamp", String(timestamp)), ("webhook-signature", signature)]
        do {
            let answer = try await http.post(delivery.url, headers: headers, body: body)
            if (200..<300).contains(answer.status) {
                return try await record(delivery, now: now, status: answer.status, answer: answer.body, error: nil)
            }
            return try await record(delivery, now: now, status: answer.status, answer: answer.body, error: "the receiver answered \(answer.status)")
        } catch DomainError.unavailable {
            return try await record(delivery, now: now, status: nil, answer: nil, error: "no answer within \(http.timeout)", unreachable: true)
        } catch let error as DomainError {
            return try await record(delivery, now: now, status: nil, answer: nil, error: error.message, unreachable: true)
        } catch {
            return try await record(delivery, now: now, status: nil, answer: nil, error: Self.describe(error), unreachable: true)
        }
    }

    static func describe(_ error: any Error) -> String {
        if let io = error as? IOError { return "could not connect: \(io.description)" }
        if error is NIOConnectionError { return "could not connect (\(error))" }
        return "\(error)"
    }

    func record(_ delivery: Claimed, now: Date, status: Int?, answer: String?, error: String?, unreachable: Bool = false) async throws -> Outcome {
        let d = database.dialect
        let at = d.bind(.string(Timestamp.format(now)), as: .timestamp)
        let attempts = delivery.attempts + 1
        let statusSQL = status.map { String($0) } ?? "NULL"
        if error == nil {
            try await database.transaction { sql in
                try await sql.raw("""
                    UPDATE webhook_deliveries SET status = 'delivered', attempts = \(unsafeRaw: String(attempts)), last_attempt_at = \(at),
                    delivered_at = \(at), response_status = \(unsafeRaw: statusSQL), response_body = \(bind: answer), error = NULL,
                    next_attempt_at = NULL, updated_at = \(at) WHERE id = \(d.bind(delivery.id))
                    """).run()
                // The receiver answers again: what waits for it goes now.
                try await sql.raw("""
                    UPDATE webhook_deliveries SET next_attempt_at = \(at) WHERE webhook_id = \(d.bind(delivery.webhookID))
                    AND status = 'pending' AND attempts > 0 AND next_attempt_at > \(at)
                    """).run()
            }
            Telemetry.webhookDelivery("delivered")
            return .delivered
        }
        let giveUp = now.timeIntervalSince(delivery.createdAt) >= Self.giveUpAfter
        let next = now.addingTimeInterval(Self.delay(afterAttempt: attempts))
        let why = error ?? ""
        try await database.transaction { sql in
            try await sql.raw("""
                UPDATE webhook_deliveries SET status = \(bind: giveUp ? "failed" : "pending"), attempts = \(unsafeRaw: String(attempts)),
                last_attempt_at = \(at), response_status = \(unsafeRaw: statusSQL), response_body = \(bind: answer), error = \(bind: why),
                next_attempt_at = \(giveUp ? SQLRaw("NULL") as any SQLExpression : d.bind(.string(Timestamp.format(next)), as: .timestamp)), updated_at = \(at)
                WHERE id = \(d.bind(delivery.id))
                """).run()
        }
        if giveUp {
            Telemetry.webhookDelivery("failed")
            logger.warning("webhook delivery \(delivery.id.lowercased) (\(delivery.eventType)) failed for good after \(attempts) attempts: \(why)")
            return .failed
        }
        Telemetry.webhookDelivery("retrying")
        return .retrying(until: next, why: why, unreachable: unreachable)
    }

    /// Another delivery to a receiver that could not be reached a moment ago waits as long as that one, untried.
    func postpone(_ delivery: Claimed, until: Date, why: String) async throws {
        let d = database.dialect
        try await database.withConnection { sql in
            try await sql.raw("""
                UPDATE webhook_deliveries SET next_attempt_at = \(d.bind(.string(Timestamp.format(until)), as: .timestamp)),
                error = \(bind: "not tried: the receiver could not be reached just before (\(why))") WHERE id = \(d.bind(delivery.id))
                """).run()
        }
    }
}
