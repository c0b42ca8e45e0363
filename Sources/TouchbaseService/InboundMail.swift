import Crypto
import Foundation
import SQLKit
import TouchbaseDomain
import TouchbaseMail
import TouchbaseStore

/// Email taken in (issue 15): every way in (`POST /api/v1/inbound-messages`, `touchbase inbound`, a maildir) lands
/// here. A message is stored with its raw bytes, read (`MIMEParser`), told apart (`InboundAnalysis`), threaded to what
/// it answers and acted on — in one transaction, so that a message is either taken with everything it set off or not
/// at all. The same message (its Message-ID, else a hash of its bytes) is taken once, however often it comes.
public struct InboundMail: Sendable {
    public let database: Database
    let store: RecordStore
    /// Bytes of a message kept at most (`TOUCHBASE_MAX_MESSAGE`); a larger one is kept cut and stored `unparsed`.
    public let maxMessage: Int
    public static let defaultMaxMessage = 25 * 1024 * 1024
    /// Text kept in the row (the raw message has it all).
    static let maxText = 1_000_000

    public init(database: Database, maxMessage: Int = InboundMail.defaultMaxMessage) {
        self.database = database
        store = RecordStore(database: database)
        self.maxMessage = maxMessage
    }

    /// `TOUCHBASE_MAX_MESSAGE` in bytes (`25MB`, `26214400`), else 25 MiB.
    public static func fromEnvironment(database: Database, environment: [String: String] = ProcessInfo.processInfo.environment) -> InboundMail {
        let max = environment["TOUCHBASE_MAX_MESSAGE"].flatMap(ByteCount.parse) ?? defaultMaxMessage
        return InboundMail(database: database, maxMessage: max)
    }

    public struct Outcome: Sendable {
        public let record: Record
        /// The message had been taken before: nothing was done again.
        public let duplicate: Bool
    }

    /// Takes a message in. `size` is its whole size when `bytes` is only its beginning (a message over the limit).
    public func ingest(_ bytes: [UInt8], source: String, size: Int? = nil, now: Date = Date()) async throws -> Outcome {
        let size = size ?? bytes.count
        let kept = Array(bytes.prefix(maxMessage))
        var parsed: ParsedMail?
        var failure: String?
        if size > maxMessage {
            failure = "the message is \(ByteCount.text(size)), over this server's limit of \(ByteCount.text(maxMessage)) (TOUCHBASE_MAX_MESSAGE): its first \(ByteCount.text(maxMessage)) are kept, unread"
        } else {
            do { parsed = try MIMEParser.parse(kept) } catch { failure = error.reason }
        }
        let key: String
        if let id = parsed?.messageID?.lowercased(), (3...250).contains(id.count) {
            key = id
        } else {
            key = "sha256:" + SHA256.hash(data: kept).map { String(format: "%02x", $0) }.joined()
        }
        if let existing = try await store.select(Entities.inboundMessages, where: [("dedup_key", .string(key))], limit: 1).first {
            return Outcome(record: existing, duplicate: true)
        }
        var values: [String: JSONValue] = [
            "dedup_key": .string(key), "source": .string(source), "size_bytes": .int(Int64(size)), "status": "unparsed",
            "received_at": .string(Timestamp.format(now)),
        ]
        var analysis: InboundAnalysis?
        if let parsed {
            let a = InboundAnalysis.analyze(parsed, receivedAt: parsed.date.map { min($0, now) } ?? now)
            analysis = a
            values.merge(Self.columns(parsed, a)) { _, new in new }
        } else {
            values["reason"] = .string(failure ?? "could not be read")
            if let text = String(validating: kept.prefix(Self.maxText), as: UTF8.self) { values["body_text"] = .string(text) }
        }
        // A NUL byte is text no column takes (and PostgreSQL's text cannot hold): a hostile or binary message keeps
        // its raw bytes, its readable columns lose it.
        let final = values.mapValues(Self.withoutNUL)
        let parsedMail = parsed
        let found = analysis
        do {
            let record = try await database.transaction { sql in
                let row = try await store.insert(Entities.inboundMessages, final, on: sql)
                try await sql.raw("INSERT INTO inbound_message_raw (inbound_message_id, raw) VALUES (\(database.dialect.bind(row.id)), \(bind: Data(kept)))").run()
                guard let parsedMail, let found else { return row }
                let match = try await self.match(parsedMail, found, on: sql)
                return try await self.act(row, parsedMail, found, match, now: now, on: sql)
            }
            Telemetry.inbound(kind: record.string("kind"), status: record.string("status") ?? "unparsed")
            return Outcome(record: record, duplicate: false)
        } catch let error as DomainError {
            // Two deliveries of one message at once: the second finds the first's row.
            if case .conflict = error, let existing = try await store.select(Entities.inboundMessages, where: [("dedup_key", .string(key))], limit: 1).first {
                return Outcome(record: existing, duplicate: true)
            }
            throw error
        }
    }

    static func withoutNUL(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let s) where s.contains("\u{0}"): return .string(s.replacingOccurrences(of: "\u{0}", with: ""))
        case .array(let items): return .array(items.map(withoutNUL))
        case .object(let fields): return .object(fields.mapValues(withoutNUL))
        default: return value
        }
    }

    static func columns(_ mail: ParsedMail, _ a: InboundAnalysis) -> [String: JSONValue] {
        func cut(_ s: String) -> String { s.count > maxText ? String(s.prefix(maxText)) : s }
        var v: [String: JSONValue] = [
            "kind": .string(a.kind.rawValue), "reason": .string(a.reason), "subject": .string(String(mail.subject.prefix(1_000))),
            "to_addresses": .array((mail.to + mail.cc).map { .string($0.address.lowercased()) }),
            "thread_ids": .array(a.originalMessageIDs.prefix(50).map { .string($0) }),
            "headers": mail.headers.json, "body_text": .string(cut(mail.text)), "reply_text": .string(cut(a.replyText)),
            "notes": .array(mail.notes.map { .string($0) }),
        ]
        if let id = mail.messageID { v["message_id"] = .string(String(id.prefix(250))) }
        if let from = mail.from {
            v["from_address"] = .string(from.address.lowercased())
            if let name = from.name { v["from_name"] = .string(name) }
        }
        if let date = mail.date { v["sent_at"] = .string(Timestamp.format(date)) }
        if let b = a.bounce {
            v["bounce_type"] = .string(b.hard ? "hard" : "soft")
            if let s = b.status { v["bounce_status"] = .string(s) }
            if let r = b.recipient { v["bounced_recipient"] = .string(r.lowercased()) }
            if let d = b.diagnostic { v["diagnostic"] = .string(String(d.prefix(2_000))) }
        }
        return v
    }

    // MARK: - Threading

    struct Match: Sendable {
        var by: String?
        var own = false
        var mailbox: UUID?
        var send: Record?
        var contact: UUID?
        var conversation: UUID?
        var touchpoint: UUID?
        var enrollment: UUID?
        var why = ""
    }

    /// What a message answers: our Message-IDs in its threading headers (or in a report's attached original), then our
    /// reply address's token, then a report's recipient, then the sender among contacts with an open conversation.
    /// Mail from one of our mailboxes is ours, never a reply.
    func match(_ mail: ParsedMail, _ a: InboundAnalysis, assigning assigned: UUID? = nil, on sql: any SQLDatabase) async throws -> Match {
        let d = database.dialect
        var m = Match()
        let from = mail.from?.address.lowercased() ?? ""
        // Our mailboxes among the addresses the message names (a reply+TOKEN@ address by its part before the plus),
        // found by their indexes.
        var named = Set([from].filter { !$0.isEmpty } + mail.recipients)
        for address in named { if let base = Self.withoutTag(address) { named.insert(base) } }
        var list = SQLQueryString("")
        for (i, address) in named.sorted().enumerated() { list += i == 0 ? "\(bind: address)" : ", \(bind: address)" }
        let mailboxes = named.isEmpty ? [] : try await sql.raw(
            "SELECT id, lower(email) AS email, lower(reply_address) AS reply FROM mailboxes WHERE lower(email) IN (\(list)) OR (reply_address IS NOT NULL AND lower(reply_address) IN (\(list)))"
        ).all().map {
            (id: try $0.decode(column: "id", as: UUID.self), email: try $0.decode(column: "email", as: String.self), reply: try $0.decode(column: "reply", as: String?.self))
        }
        if let own = mailboxes.first(where: { $0.email == from || $0.reply == from }), assigned == nil {
            m.own = true
            m.mailbox = own.id
            m.why = "sent from our mailbox \(own.email)"
            return m
        }
        // Recipients: our mailbox, and a reply+TOKEN@ address.
        var token: String?
        for address in mail.recipients {
            if let box = mailboxes.first(where: { $0.email == address || $0.reply == address }) { m.mailbox = m.mailbox ?? box.id }
            guard let base = Self.withoutTag(address), let box = mailboxes.first(where: { $0.reply == base || $0.email == base }) else { continue }
            m.mailbox = box.id
            token = String(address[address.index(after: address.firstIndex(of: "+")!)..<address.firstIndex(of: "@")!])
        }
        if let assigned {
            m.contact = assigned
            m.by = "assigned"
        } else {
            let ids = a.originalMessageIDs
            if !ids.isEmpty {
                let sends = try await store.select(Entities.sends, whereIn: "message_id", ids.prefix(50).map { .string($0) })
                if let id = ids.first(where: { id in sends.contains { $0.string("message_id") == id } }), let send = sends.first(where: { $0.string("message_id") == id }) {
                    m.send = send
                    m.by = mail.inReplyTo.contains(id) ? "in_reply_to" : mail.references.contains(id) ? "references" : "report"
                }
            }
            if m.send == nil, let token, (20...64).contains(token.count), token.allSatisfy(\.isHexDigit) {
                if let send = try await store.select(Entities.sends, where: [("token", .string(token.lowercased()))], limit: 1, on: sql).first {
                    m.send = send
                    m.by = "reply_token"
                }
            }
            if let send = m.send {
                m.contact = send.uuid("contact_id")
                m.enrollment = send.uuid("enrollment_id")
                m.touchpoint = send.uuid("touchpoint_id")
            } else if [.bounce, .complaint].contains(a.kind), let recipient = a.reportedRecipient?.lowercased() {
                m.contact = try await contact(email: recipient, openConversation: false, on: sql)
                if m.contact != nil { m.by = "report" }
            } else if [.reply, .autoReply, .unsubscribe].contains(a.kind), !from.isEmpty {
                m.contact = try await self.contact(email: from, openConversation: a.kind != .unsubscribe, on: sql)
                if m.contact != nil { m.by = "sender" }
            }
        }
        guard let contactID = m.contact else {
            m.why = [
                a.originalMessageIDs.isEmpty ? "no In-Reply-To or References" : "none of its \(a.originalMessageIDs.count) Message-IDs is one we sent",
                token == nil ? nil : "its reply token is unknown",
                a.kind == .bounce || a.kind == .complaint
                    ? "no contact has the address \(a.reportedRecipient ?? "(none given)")"
                    : "no contact \(a.kind == .unsubscribe ? "" : "with an open conversation ")has the address \(from.isEmpty ? "(none)" : from)",
            ].compactMap { $0 }.joined(separator: "; ")
            return m
        }
        // The conversation and touch: the send's, else the contact's open conversation and its latest outbound touch.
        if let touch = m.touchpoint, let t = try await store.fetch(Entities.touchpoints, touch, on: sql) {
            m.conversation = t.uuid("conversation_id")
        } else {
            let c = d.bind(contactID)
            if let row = try await sql.raw("""
                SELECT t.id AS touch, t.conversation_id AS conversation FROM touchpoints t LEFT JOIN conversations v ON v.id = t.conversation_id
                WHERE t.contact_id = \(c) AND t.direction = 'outbound' AND (v.id IS NULL OR v.status IN ('active','paused','nurturing'))
                ORDER BY t.sent_at DESC, t.id DESC LIMIT 1
                """).first() {
                m.touchpoint = try row.decode(column: "touch", as: UUID.self)
                m.conversation = try row.decode(column: "conversation", as: UUID?.self)
            }
        }
        if m.enrollment == nil {
            m.enrollment = try await sql.raw(
                "SELECT id FROM enrollments WHERE contact_id = \(d.bind(contactID)) ORDER BY (CASE WHEN state IN ('active','paused') THEN 0 ELSE 1 END), id DESC LIMIT 1"
            ).first()?.decode(column: "id", as: UUID.self)
        }
        return m
    }

    /// `local@domain` for `local+tag@domain`; nil for an address without a tag.
    static func withoutTag(_ address: String) -> String? {
        guard let at = address.firstIndex(of: "@"), let plus = address[..<at].firstIndex(of: "+") else { return nil }
        return String(address[..<plus]) + String(address[at...])
    }

    /// The contact with an email (with an open conversation, when asked).
    public func contact(email: String, openConversation: Bool) async throws -> UUID? {
        try await database.withConnection { sql in try await contact(email: email, openConversation: openConversation, on: sql) }
    }

    func contact(email: String, openConversation: Bool, on sql: any SQLDatabase) async throws -> UUID? {
        // Open: a conversation not closed, won or lost, or an enrolment still running.
        let open = openConversation
            ? " AND (EXISTS (SELECT 1 FROM conversations v WHERE v.contact_id = c.id AND v.status IN ('active','paused','nurturing')) OR EXISTS (SELECT 1 FROM enrollments e WHERE e.contact_id = c.id AND e.state IN ('active','paused')))" : ""
        return try await sql.raw("SELECT c.id FROM contacts c WHERE lower(c.email) = \(bind: email.lowercased())\(unsafeRaw: open) ORDER BY c.id LIMIT 1")
            .first()?.decode(column: "id", as: UUID.self)
    }

    // MARK: - What a message sets off

    func act(_ row: Record, _ mail: ParsedMail, _ a: InboundAnalysis, _ m: Match, assignedBy: String? = nil, now: Date, on sql: any SQLDatabase) async throws -> Record {
        let d = database.dialect
        var v: [String: JSONValue] = ["status": "unmatched"]
        var effects: [String] = []
        func link(_ name: String, _ id: UUID?) { if let id { v[name] = .string(id.lowercased) } }
        link("mailbox_id", m.mailbox)
        if m.own {
            v["status"] = "ignored"
            v["kind"] = "own"
            v["reason"] = .string("\(m.why): a copy of our own mail (a synced Sent folder), never a reply")
            return try await store.apply(Entities.inboundMessages, row.id, v, on: sql)
        }
        guard let contactID = m.contact else {
            v["reason"] = .string("\(a.reason); unmatched: \(m.why)")
            return try await store.apply(Entities.inboundMessages, row.id, v, on: sql)
        }
        v["status"] = "processed"
        if let by = m.by { v["matched_by"] = .string(by) }
        if let assignedBy { v["assigned_by"] = .string(assignedBy) }
        link("contact_id", contactID)
        link("conversation_id", m.conversation)
        link("touchpoint_id", m.touchpoint)
        link("enrollment_id", m.enrollment)
        link("send_id", m.send?.id)
        let c = d.bind(contactID)
        let at = mail.date.map { min($0, now) } ?? now
        func openEnrollments() async throws -> [UUID] {
            try await sql.raw("SELECT id FROM enrollments WHERE contact_id = \(c) AND state IN ('active','paused')").all().map { try $0.decode(column: "id", as: UUID.self) }
        }
        func stopped(_ before: [UUID]) async throws {
            guard !before.isEmpty else { return }
            var list = SQLQueryString("")
            for (i, id) in before.enumerated() { list += i == 0 ? "\(d.bind(id))" : ", \(d.bind(id))" }
            for r in try await sql.raw("SELECT stop_reason FROM enrollments WHERE id IN (\(list)) AND state = 'stopped'").all() {
                effects.append("enrolment stopped (\(try r.decode(column: "stop_reason", as: String?.self) ?? "stopped"))")
            }
        }
        func doNotContact(_ why: String, reason: String) async throws {
            let before = try await openEnrollments()
            try await sql.raw(
                "UPDATE enrollments SET state = 'stopped', stop_reason = \(bind: reason), waiting_reason = \(bind: why) WHERE contact_id = \(c) AND state IN ('active','paused')"
            ).run()
            _ = try await store.apply(Entities.contacts, contactID, ["do_not_contact": .bool(true), "dnc_reason": .string(why)], on: sql)
            effects.append("contact set do-not-contact (\(why))")
            try await stopped(before)
        }
        switch a.kind {
        case .reply:
            let intent = ReplyIntent.classify(a.replyText.isEmpty ? mail.text : a.replyText, receivedAt: at)
            var reply: [String: JSONValue] = [
                "contact_id": .string(contactID.lowercased), "channel": "email", "intent": .string(intent.intent),
                "summary": .string(ReplyIntent.summary(a.replyText.isEmpty ? mail.subject : a.replyText)),
                "raw_text": .string(String(mail.text.prefix(Self.maxText))), "reply_text": .string(String(a.replyText.prefix(Self.maxText))),
                "intent_confidence": .double(intent.confidence), "classified_by": "rules", "replied_at": .string(Timestamp.format(at)),
            ]
            if let t = m.touchpoint { reply["touchpoint_id"] = .string(t.lowercased) }
            if let name = intent.referralName { reply["referral_name"] = .string(name) }
            if let title = intent.referralTitle { reply["referral_title"] = .string(title) }
            if let email = intent.referralEmail { reply["referral_email"] = .string(email) }
            if let on = intent.followUpOn {
                reply["follow_up_days"] = .int(Int64(max(1, min(365, Int((on.timeIntervalSince(TextDates.utc.startOfDay(for: at)) / 86_400).rounded())))))
            }
            let before = try await openEnrollments()
            let saved = try await store.insert(Entities.replies, try Entities.replies.validate(reply, mode: .create), on: sql)
            v["reply_id"] = .string(saved.id.lowercased)
            effects.append("reply recorded: \(intent.intent) (\(Int(intent.confidence * 100)) %, rules: \(intent.reason))")
            if let t = m.touchpoint, let touch = try await store.fetch(Entities.touchpoints, t, on: sql), touch["replied_at"].isNull {
                _ = try await store.apply(Entities.touchpoints, t, [
                    "replied_at": .string(Timestamp.format(at)), "response": .string(String(a.replyText.prefix(10_000))),
                ], on: sql)
                effects.append("touchpoint marked replied")
            }
            try await stopped(before)
            if intent.intent == "referral", let name = intent.referralName {
                let referred = try await sql.raw(
                    "SELECT CASE WHEN r.contact_id_1 = \(c) THEN r.contact_id_2 ELSE r.contact_id_1 END AS other FROM relationships r WHERE (r.contact_id_1 = \(c) OR r.contact_id_2 = \(c)) AND r.relationship_type = 'referred_by' ORDER BY r.created_at DESC LIMIT 1"
                ).first()?.decode(column: "other", as: UUID.self)
                if let referred {
                    effects.append("referred contact \(name)\(intent.referralTitle.map { " (\($0))" } ?? "") linked (referred_by)")
                    if let email = intent.referralEmail, let other = try await store.fetch(Entities.contacts, referred, on: sql), other["email"].isNull,
                        try await contact(email: email, openConversation: false, on: sql) == nil
                    {
                        _ = try await store.apply(Entities.contacts, referred, ["email": .string(email)], on: sql)
                        effects.append("referred contact's email set to \(email)")
                    }
                }
            }
            if intent.intent == "not_now" {
                let on = intent.followUpOn ?? TextDates.utc.date(byAdding: .day, value: 30, to: at)!
                let day = String(Timestamp.format(on).prefix(10))
                _ = try await store.insert(Entities.followups, try Entities.followups.validate([
                    "contact_id": .string(contactID.lowercased), "due_date": .string(day), "channel": "email",
                ], mode: .create), on: sql)
                effects.append("follow-up scheduled on \(day)")
            }
        case .autoReply:
            let until = a.returnDate.map(TextDates.businessDay(after:)) ?? TextDates.utc.date(byAdding: .day, value: 7, to: TextDates.utc.startOfDay(for: at))!
            let day = String(Timestamp.format(until).prefix(10))
            let why = a.returnDate == nil ? "an auto-reply named no return date: waits seven days, to \(day)" : "out of office: back by \(day)"
            let paused = try await sql.raw(
                "UPDATE enrollments SET state = 'paused', paused_until = \(d.bind(.string(Timestamp.format(until)), as: .timestamp)), waiting_reason = \(bind: why) WHERE contact_id = \(c) AND state = 'active' RETURNING id"
            ).all().count
            v["paused_until"] = .string(Timestamp.format(until))
            effects.append(paused > 0 ? "enrolment paused until \(day) (\(why))" : "no active enrolment to pause (\(why))")
        case .bounce:
            let b = a.bounce ?? InboundAnalysis.Bounce(hard: true)
            var hard = b.hard
            if !hard {
                let soft = try await sql.raw(
                    "SELECT count(*) AS n FROM inbound_messages WHERE contact_id = \(c) AND bounce_type = 'soft' AND id <> \(d.bind(row.id))"
                ).first()?.decode(column: "n", as: Int.self) ?? 0
                if soft + 1 >= 3 {
                    hard = true
                    effects.append("third soft bounce for this contact: taken as hard")
                } else {
                    effects.append("soft bounce recorded (\(b.status ?? "4.0.0")): the sequence goes on by its own rules")
                }
            }
            if hard {
                if let t = m.touchpoint {
                    let before = try await openEnrollments()
                    _ = try await store.apply(Entities.touchpoints, t, ["outcome": "bounced"], on: sql)
                    effects.append("touchpoint marked bounced")
                    try await stopped(before)
                }
                let before = try await openEnrollments()
                let source = "bounce \(b.status ?? "5.0.0"): \(b.diagnostic ?? a.reason)"
                _ = try await store.apply(Entities.contacts, contactID, [
                    "email_status": "red", "email_source_url": .string(String(source.prefix(1_000))), "email_checked_at": .string(Timestamp.format(now)),
                ], on: sql)
                effects.append("email status red (\(b.status ?? "5.0.0"))")
                try await stopped(before)
            }
        case .complaint:
            try await doNotContact("complaint (abuse report) received \(String(Timestamp.format(now).prefix(10)))", reason: "do_not_contact")
        case .unsubscribe:
            try await doNotContact("unsubscribed by email (mailto:) \(String(Timestamp.format(now).prefix(10)))", reason: "unsubscribed")
        }
        v["effects"] = .array(effects.map { .string($0) })
        return try await store.apply(Entities.inboundMessages, row.id, v, on: sql)
    }

    // MARK: - A person's word

    /// An unmatched message assigned to a contact by a person: threaded to the contact's open conversation and acted on
    /// as if it had matched. Only an unmatched message can be assigned.
    public func assign(_ id: UUID, contact: UUID, by actor: String, now: Date = Date()) async throws -> Record {
        let row = try await store.get(Entities.inboundMessages, id)
        guard row.string("status") == "unmatched" else {
            throw DomainError.conflict(field: "inbound_message_id", detail: "only an unmatched message can be assigned; this one is \(row.string("status") ?? "?")")
        }
        _ = try await store.get(Entities.contacts, contact)
        let d = database.dialect
        return try await database.transaction { sql in
            guard let data = try await sql.raw("SELECT raw FROM inbound_message_raw WHERE inbound_message_id = \(d.bind(id))").first()?
                .decode(column: "raw", as: Data.self)
            else { throw DomainError.notFound(entity: "inbound message", id: id.lowercased) }
            let mail = try MIMEParser.parse([UInt8](data))
            let a = InboundAnalysis.analyze(mail, receivedAt: mail.date.map { min($0, now) } ?? now)
            let m = try await match(mail, a, assigning: contact, on: sql)
            return try await act(row, mail, a, m, assignedBy: actor, now: now, on: sql)
        }
    }

    /// The raw message as it came (cut at the limit for one that was larger).
    public func raw(_ id: UUID) async throws -> [UInt8] {
        _ = try await store.get(Entities.inboundMessages, id)
        let d = database.dialect
        let data = try await database.withConnection { sql in
            try await sql.raw("SELECT raw FROM inbound_message_raw WHERE inbound_message_id = \(d.bind(id))").first()?.decode(column: "raw", as: Data.self)
        }
        return [UInt8](data ?? Data())
    }
}

