import Foundation
import SQLKit
import TouchbaseDomain

/// What the links in a sent message do: `/u/TOKEN` unsubscribes, `/t/o/TOKEN` (the pixel) and `/t/c/TOKEN/N` (the
/// redirect) record tracking hits, each stored raw and labelled (`TrackingLabel`). A token is the send's own, random
/// and unguessable; nothing else in a link says who the recipient is.
public struct MessageLinkRepository: StoreBacked {
    public let store: RecordStore
    public init(database: Database) { store = RecordStore(database: database) }

    /// The send a token names; nil for an unknown or malformed token.
    public func send(token: String) async throws -> Record? {
        guard (20...64).contains(token.count), token.allSatisfy({ $0.isHexDigit }) else { return nil }
        return try await store.select(Entities.sends, where: [("token", .string(token.lowercased()))], limit: 1).first
    }

    public struct Unsubscribed: Sendable {
        public let contactID: UUID
        public let email: String?
        /// How many open enrolments it stopped.
        public let stopped: Int
    }

    /// The recipient of the send is do-not-contact from now on, and every open enrolment of theirs is stopped as
    /// `unsubscribed`, in one transaction (so no step can go out between the two). Audited as `unsubscribe:<send id>`.
    /// Saying it twice changes nothing more.
    public func unsubscribe(token: String) async throws -> Unsubscribed? {
        guard let send = try await send(token: token), let contactID = send.uuid("contact_id") else { return nil }
        let d = database.dialect
        let contact = d.bind(contactID)
        return try await AuditContext.$actor.withValue("unsubscribe:\(send.id.lowercased)") {
            try await database.transaction { sql in
                let stopped = try await sql.raw(
                    "UPDATE enrollments SET state = 'stopped', stop_reason = 'unsubscribed', waiting_reason = 'the contact unsubscribed' WHERE contact_id = \(contact) AND state IN ('active','paused') RETURNING id"
                ).all().count
                try await sql.raw(
                    "UPDATE contacts SET do_not_contact = \(d.bind(.bool(true), as: .boolean)) WHERE id = \(contact) AND do_not_contact = \(d.bind(.bool(false), as: .boolean))"
                ).run()
                let email = try await sql.raw("SELECT email FROM contacts WHERE id = \(contact)").first()?.decode(column: "email", as: String?.self)
                return Unsubscribed(contactID: contactID, email: email, stopped: stopped)
            }
        }
    }

    public struct Hit: Sendable {
        public let label: String
        public let reason: String
        /// Where a click goes (nil for an open, the honeypot, or a link the message did not contain).
        public let url: String?
    }

    /// Records a hit on the send of `token`: an open (`link` nil) or a click on link `link` (1… in the message's
    /// order, 0 the honeypot). Nil when the token or the link is unknown (nothing is recorded, nothing redirected).
    /// A human hit sets the touchpoint's `opened_at` / `clicked_at` if unset; when a burst shows a scanner at work
    /// (every link within seconds, or the honeypot), the burst's earlier hits are labelled scanner too and the
    /// touchpoint's times are worked out again from the human hits left.
    public func record(
        token: String, link: Int?, method: String, ip: String?, userAgent: String?, at now: Date = Date()
    ) async throws -> Hit? {
        guard let send = try await send(token: token) else { return nil }
        var scannerWindow = 60.0
        if let mailbox = send.uuid("mailbox_id") {
            scannerWindow = try await database.withConnection { sql in
                Double(try await store.fetch(Entities.mailboxes, mailbox, on: sql)?.int("scanner_window_seconds") ?? 60)
            }
        }
        let window = scannerWindow
        let links = (send["links"].arrayValue ?? []).compactMap(\.stringValue)
        if let link, link < 0 || link > links.count { return nil }
        let url = link.flatMap { $0 >= 1 ? links[$0 - 1] : nil }
        let kind = link == nil ? "open" : "click"
        let sentAt = send.string("sent_at").flatMap(Timestamp.parse) ?? now
        let d = database.dialect
        let cleanMethod = ["GET", "HEAD", "POST"].contains(method) ? method : "GET"
        let recorded = try await database.transaction { sql in
            var hit = TrackingLabel.Hit(kind: kind, method: cleanMethod, userAgent: userAgent, ip: ip, secondsSinceSend: now.timeIntervalSince(sentAt))
            hit.honeypot = link == 0
            hit.links = links.count
            var burstIDs: [UUID] = []
            if kind == "click" {
                let since = d.bind(.string(Timestamp.format(now.addingTimeInterval(-TrackingLabel.burst))), as: .timestamp)
                let rows = try await sql.raw(
                    "SELECT id, link FROM tracking_events WHERE send_id = \(d.bind(send.id)) AND kind = 'click' AND occurred_at >= \(since)"
                ).all()
                var hitLinks = Set<Int>([link ?? 0])
                for row in rows {
                    let other = try row.decode(column: "link", as: Int?.self) ?? 0
                    hitLinks.insert(other)
                    if let id = try d.decode(row, "id", as: .uuid).stringValue.flatMap(UUID.init(uuidString:)) { burstIDs.append(id) }
                }
                hit.honeypotHitInBurst = hitLinks.contains(0)
                hit.linksHitInBurst = hitLinks.filter { $0 >= 1 }.count
            }
            let (label, reason) = TrackingLabel.label(hit, scannerWindow: window)
            _ = try await store.insert(Entities.trackingEvents, [
                "send_id": .string(send.id.lowercased), "contact_id": send["contact_id"], "kind": .string(kind),
                "link": link.map { .int(Int64($0)) } ?? .null, "url": url.map { .string($0) } ?? .null, "method": .string(cleanMethod),
                "ip": ip.map { .string(String($0.prefix(64))) } ?? .null, "user_agent": userAgent.map { .string(String($0.prefix(500))) } ?? .null,
                "label": .string(label), "reason": .string(reason), "occurred_at": .string(Timestamp.format(now)),
            ], on: sql)
            let relabel = label == "scanner" && kind == "click" && !burstIDs.isEmpty && (hit.honeypot || hit.honeypotHitInBurst
                || (hit.links >= 2 && hit.linksHitInBurst >= hit.links))
            if relabel {
                try await sql.raw(
                    "UPDATE tracking_events SET label = 'scanner', reason = \(bind: "part of a burst in which \(reason)") WHERE label <> 'scanner' AND id IN (" + d.list(burstIDs) + ")"
                ).run()
            }
            if let touchpoint = send.uuid("touchpoint_id"), label == "human" || relabel {
                try await retime(touchpoint, send: send.id, on: sql)
            }
            return Hit(label: label, reason: reason, url: url)
        }
        Telemetry.trackingHit(kind: kind, label: recorded.label)
        return recorded
    }

    /// The touchpoint's opened_at and clicked_at from the send's human hits: the first human open (or click, which
    /// opens too) and the first human click.
    func retime(_ touchpoint: UUID, send: UUID, on sql: any SQLDatabase) async throws {
        let d = database.dialect
        let row = try await sql.raw(
            """
            SELECT min(occurred_at) AS opened, min(CASE WHEN kind = 'click' THEN occurred_at END) AS clicked
            FROM tracking_events WHERE send_id = \(d.bind(send)) AND label = 'human'
            """
        ).first()
        let opened = try row.map { try d.decode($0, "opened", as: .timestamp) } ?? .null
        let clicked = try row.map { try d.decode($0, "clicked", as: .timestamp) } ?? .null
        try await store.update(Entities.touchpoints, touchpoint, ["opened_at": opened, "clicked_at": clicked], on: sql)
    }

    /// Hits on a sequence's sends by kind and label: `{open: {human: n, privacy_proxy: n, scanner: n}, click: {…}}`,
    /// and the sends that a human opened or clicked (what the engagement rates count).
    public func counts(sequence: UUID) async throws -> JSONValue {
        let d = database.dialect
        return try await database.withConnection { sql in
            let rows = try await sql.raw(
                """
                SELECT te.kind, te.label, count(*) AS n, count(DISTINCT te.send_id) AS sends
                FROM tracking_events te JOIN sends s ON s.id = te.send_id JOIN enrollments e ON e.id = s.enrollment_id
                WHERE e.sequence_id = \(d.bind(sequence)) GROUP BY te.kind, te.label
                """
            ).all()
            var out: [String: [String: JSONValue]] = [:]
            for kind in ["open", "click"] {
                out[kind] = Dictionary(uniqueKeysWithValues: Vocabulary.trackingLabel.map { ($0, JSONValue.int(0)) })
                out[kind]!["human_sends"] = .int(0)
            }
            for row in rows {
                let kind = try row.decode(column: "kind", as: String.self), label = try row.decode(column: "label", as: String.self)
                out[kind]?[label] = .int(try row.decode(column: "n", as: Int64.self))
                if label == "human" { out[kind]?["human_sends"] = .int(try row.decode(column: "sends", as: Int64.self)) }
            }
            return .object(out.mapValues { .object($0) })
        }
    }
}
