import Foundation
import NIOSSL
import SQLKit
import TouchbaseDomain
import TouchbaseMail
import TouchbaseStore

/// How a message leaves: SMTP in production and in the tests (against a real server on loopback).
public protocol MailTransport: Sendable {
    /// Sends `message` through the server of `smtpURL` (with its password) and returns the server's acceptance. A
    /// `MailError` is the server's or the connection's answer; any other error (the task cancelled at shutdown) leaves
    /// the send in flight, to be found uncertain.
    func send(smtpURL: String, helo: String, from: String, to: [String], message: [UInt8]) async throws -> SMTPReply
}

/// The SMTP client of TouchbaseMail, certificates verified against the system's roots and `caFile`'s.
public struct SMTPTransport: MailTransport {
    public var caFile: String?
    public init(caFile: String? = nil) { self.caFile = caFile }

    public func send(smtpURL: String, helo: String, from: String, to: [String], message: [UInt8]) async throws -> SMTPReply {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile { tls.additionalTrustRoots = [.file(caFile)] }
        let client = SMTPClient(endpoint: try SMTPEndpoint(url: smtpURL), heloName: helo, tls: tls)
        return try await client.send(from: from, to: to, message: message).reply
    }
}

/// Runs the sequences' due steps: each active enrolment whose next run has come is claimed in a transaction (on
/// PostgreSQL `FOR UPDATE SKIP LOCKED`, so runners racing never take the same one), its step worked out at that
/// instant — the delay in business days, the send window in the contact's zone (the sequence's as fallback), the
/// mailbox's caps — and then sent, made a task, or left waiting with why and until when. A send is written
/// `sending` and committed before the SMTP transaction; the server's acceptance and the touchpoint are committed
/// together after it, so an interruption between the two leaves a send that the next run marks `uncertain` (never
/// sent again). 4xx replies are retried with backoff; a 5xx stops the enrolment with the server's reply.
public struct SequenceRunner: Sendable {
    public let database: Database
    let store: RecordStore
    let transport: any MailTransport
    /// The address the unsubscribe links point to (`https://touchbase.example.com`), without a trailing slash.
    public let publicURL: String
    /// How long a send may be in flight before a later run calls it uncertain (real time: it is about processes).
    public let lease: TimeInterval

    public static let maxAttempts = 6

    public init(database: Database, transport: any MailTransport = SMTPTransport(), publicURL: String, lease: TimeInterval = 300) {
        self.database = database
        store = RecordStore(database: database)
        self.transport = transport
        self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        self.lease = lease
    }

    /// The runner as the environment sets it up: `TOUCHBASE_PUBLIC_URL` (where /u/TOKEN links point; default
    /// http://127.0.0.1:8080), `TOUCHBASE_SEND_LEASE_SECONDS` (how long a send may be in flight before it is called
    /// uncertain; default 300) and `TOUCHBASE_SMTP_CA_FILE` (certificates to trust besides the system's).
    public static func fromEnvironment(
        database: Database, environment: [String: String] = ProcessInfo.processInfo.environment, publicURL fallback: String = "http://127.0.0.1:8080"
    ) -> SequenceRunner {
        let lease = environment["TOUCHBASE_SEND_LEASE_SECONDS"].flatMap(TimeInterval.init).map { max(1, $0) } ?? 300
        return SequenceRunner(
            database: database, transport: SMTPTransport(caFile: environment["TOUCHBASE_SMTP_CA_FILE"]),
            publicURL: environment["TOUCHBASE_PUBLIC_URL"] ?? fallback, lease: lease)
    }

    /// What one run did, one item per enrolment it looked at.
    public struct Item: Sendable {
        public let enrollmentID: UUID
        public let contactID: UUID?
        public let step: Int
        /// sent, delayed, task, paused, stopped, finished, retrying, failed, uncertain or skipped.
        public let action: String
        public let detail: String
        public let until: Date?

        public var json: JSONValue {
            [
                "enrollment_id": .string(enrollmentID.lowercased), "contact_id": contactID.map { .string($0.lowercased) } ?? .null,
                "step": .int(Int64(step)), "action": .string(action), "detail": .string(detail),
                "until": until.map { .string(Timestamp.format($0)) } ?? .null,
            ]
        }
    }

    /// What a run may do with an enrolment, in the order reports list them.
    public static let actions = ["sent", "delayed", "task", "paused", "stopped", "finished", "retrying", "failed", "uncertain", "skipped"]

    public struct Report: Sendable {
        public var items: [Item] = []
        public func count(_ action: String) -> Int { items.filter { $0.action == action }.count }
        public var json: JSONValue {
            var counts: [String: JSONValue] = [:]
            for action in SequenceRunner.actions {
                counts[action] = .int(Int64(count(action)))
            }
            return ["counts": .object(counts), "items": .array(items.map(\.json))]
        }
    }

    /// Everything due as of `now`, each enrolment at most once (one step a run), up to `limit` enrolments.
    public func runDue(now: Date = Date(), limit: Int = 500) async throws -> Report {
        var report = Report()
        report.items += try await markUncertain()
        try await resumePaused(now: now)
        var seen: [UUID] = []
        var unreachable = Set<UUID>()
        while seen.count < limit {
            guard let claimed = try await claim(now: now, excluding: seen, unreachable: unreachable) else { break }
            seen.append(claimed.enrollmentID)
            switch claimed {
            case .done(let item):
                report.items.append(item)
            case .send(let pending):
                let item = try await deliver(pending, now: now)
                // A server that cannot be reached is not tried again for every other message of this run.
                if item.action == "retrying", item.detail.contains("could not reach") { unreachable.insert(pending.mailboxID) }
                report.items.append(item)
            }
        }
        return report
    }

    // MARK: recovery

    /// Sends still `sending` after their lease: the process that sent them died between the SMTP exchange and its
    /// commit, or during it. They are `uncertain`, and their enrolments wait for a person (no next run).
    func markUncertain() async throws -> [Item] {
        let d = database.dialect
        let realNow = d.bind(.string(Timestamp.format(Date())), as: .timestamp)
        return try await database.transaction { sql in
            let rows = try await sql.raw(
                "SELECT id, enrollment_id, contact_id, step_position FROM sends WHERE state = 'sending' AND next_attempt_at <= \(realNow)"
            ).all()
            var items: [Item] = []
            for row in rows {
                let id = try d.decode(row, "id", as: .uuid).stringValue.flatMap(UUID.init(uuidString:))!
                let enrollment = try d.decode(row, "enrollment_id", as: .uuid).stringValue.flatMap(UUID.init(uuidString:))!
                let contact = try d.decode(row, "contact_id", as: .uuid).stringValue.flatMap(UUID.init(uuidString:))
                let step = try row.decode(column: "step_position", as: Int.self)
                let why = "step \(step)'s send is uncertain: it was interrupted after it started, and the server may have taken it. "
                    + "It is not sent again by itself: check the mailbox's Sent folder, then resolve it (resolve_send: sent or not_sent)."
                try await sql.raw("UPDATE sends SET state = 'uncertain', next_attempt_at = NULL WHERE id = \(d.bind(id))").run()
                try await sql.raw(
                    "UPDATE enrollments SET next_run_at = NULL, waiting_reason = \(bind: why) WHERE id = \(d.bind(enrollment)) AND state = 'active'"
                ).run()
                items.append(Item(enrollmentID: enrollment, contactID: contact, step: step, action: "uncertain", detail: why, until: nil))
                Telemetry.send("uncertain")
            }
            return items
        }
    }

    /// Paused enrolments whose pause has run out are active again, due at once.
    func resumePaused(now: Date) async throws {
        let d = database.dialect
        let at = d.bind(.string(Timestamp.format(now)), as: .timestamp)
        try await database.withConnection { sql in
            try await sql.raw(
                "UPDATE enrollments SET state = 'active', paused_until = NULL, next_run_at = \(at), waiting_reason = NULL WHERE state = 'paused' AND paused_until <= \(at)"
            ).run()
        }
    }

    // MARK: claiming and deciding

    enum Claimed: Sendable {
        case done(Item)
        case send(PendingSend)

        var enrollmentID: UUID {
            switch self {
            case .done(let item): item.enrollmentID
            case .send(let pending): pending.enrollmentID
            }
        }
    }

    /// A message committed as `sending`, to be handed to the server.
    struct PendingSend: Sendable {
        let sendID: UUID
        let enrollmentID: UUID
        let contactID: UUID
        let mailboxID: UUID
        let draftID: UUID?
        let step: Int
        let nextStep: Int?
        let attempts: Int
        let from: String
        let helo: String
        let to: String
        let subject: String
        let text: String
        let messageID: String
        let bytes: [UInt8]
    }

    /// The next due enrolment, locked, with what its step does now; nil when nothing (else) is due.
    func claim(now: Date, excluding seen: [UUID], unreachable: Set<UUID> = []) async throws -> Claimed? {
        let d = database.dialect
        let engine = database.engine
        let at = d.bind(.string(Timestamp.format(now)), as: .timestamp)
        return try await database.transaction { sql in
            var query = SQLQueryString("SELECT id FROM enrollments WHERE state = 'active' AND next_run_at <= \(at)")
            if !seen.isEmpty { query = query + " AND id NOT IN (" + d.list(seen) + ")" }
            query = query + " ORDER BY next_run_at, id LIMIT 1"
            if engine == .postgres { query = query + " FOR UPDATE SKIP LOCKED" }
            guard let row = try await sql.raw(query).first(),
                  let id = try d.decode(row, "id", as: .uuid).stringValue.flatMap(UUID.init(uuidString:)),
                  let enrollment = try await store.fetch(Entities.enrollments, id, on: sql)
            else { return nil }
            return try await decide(enrollment, now: now, unreachable: unreachable, on: sql)
        }
    }

    /// What the enrolment's current step does at `now`, written in the claiming transaction.
    func decide(_ enrollment: Record, now: Date, unreachable: Set<UUID> = [], on sql: any SQLDatabase) async throws -> Claimed {
        let id = enrollment.id
        let contactID = enrollment.uuid("contact_id")
        func done(_ action: String, _ step: Int, _ detail: String, until: Date? = nil, _ changes: [String: JSONValue]) async throws -> Claimed {
            if !changes.isEmpty { try await store.update(Entities.enrollments, id, changes, on: sql) }
            return .done(Item(enrollmentID: id, contactID: contactID, step: step, action: action, detail: detail, until: until))
        }
        func wait(_ step: Int, until: Date, _ why: String) async throws -> Claimed {
            try await done("delayed", step, why, until: until, ["next_run_at": .string(Timestamp.format(until)), "waiting_reason": .string(why)])
        }
        func pause(_ step: Int, _ why: String) async throws -> Claimed {
            try await done("paused", step, why, ["state": "paused", "paused_until": .null, "waiting_reason": .string(why)])
        }
        guard let sequence = try await store.fetch(Entities.sequences, enrollment.uuid("sequence_id")!, on: sql),
              let contact = try await store.fetch(Entities.contacts, contactID!, on: sql)
        else { return try await done("skipped", enrollment.int("current_step"), "the sequence or the contact is gone", [:]) }
        let steps = try await store.select(Entities.sequenceSteps, where: [("sequence_id", .string(sequence.id.lowercased))], on: sql)
            .sorted { $0.int("position") < $1.int("position") }
        let current = enrollment.int("current_step")
        guard sequence.string("status") == "active" else {
            let why = "the sequence is \(sequence.string("status") ?? "not active"): only an active sequence sends"
            return try await wait(current, until: now.addingTimeInterval(3_600), why)
        }
        guard let step = steps.first(where: { $0.int("position") >= current }) else {
            return try await done("finished", current, "no step after \(current - 1): the sequence is done", ["state": "finished", "waiting_reason": .null])
        }
        let position = step.int("position")
        let nextStep = steps.first { $0.int("position") > position }?.int("position")
        var changes: [String: JSONValue] = position == current ? [:] : ["current_step": .int(Int64(position))]
        // The delay counts from the step before (or the enrolment); a step moved on by a completed task counts from now.
        let anchor: Date
        if let last = enrollment.string("last_step_at").flatMap(Timestamp.parse) {
            anchor = last
        } else if position == steps.first?.int("position") {
            anchor = enrollment.string("created_at").flatMap(Timestamp.parse) ?? now
        } else {
            anchor = now
            changes["last_step_at"] = .string(Timestamp.format(now))
        }
        if !changes.isEmpty { try await store.update(Entities.enrollments, id, changes, on: sql) }
        let zoneName = contact.string("time_zone") ?? sequence.string("time_zone") ?? "UTC"
        let zone = TimeZone(identifier: zoneName) ?? TimeZone(identifier: "UTC")!
        let window = try Self.window(sequence)
        let delay = step.int("delay_days")
        let earliest = window.adding(businessDays: delay, to: anchor, in: zone)
        let kind = step.string("kind") ?? "auto_email"
        if kind != "auto_email" {
            return try await task(enrollment, step, kind: kind, due: max(earliest, now), zone: zone, on: sql)
        }
        // An email goes in the window, in the recipient's zone.
        let opening = window.nextOpening(atOrAfter: max(earliest, now), in: zone)
        if opening > now {
            let why = earliest > now && opening == earliest
                ? "step \(position) waits \(delay) business day\(delay == 1 ? "" : "s") after the step before"
                : "outside the send window (\(window.summary) \(zoneName)): next opening \(SendWindow.localTime(opening, in: zone, "EEE yyyy-MM-dd HH:mm xxx"))"
            return try await wait(position, until: opening, why)
        }
        guard let mailboxID = enrollment.uuid("mailbox_id") ?? sequence.uuid("mailbox_id"),
              let mailbox = try await store.fetch(Entities.mailboxes, mailboxID, on: sql)
        else { return try await pause(position, "no mailbox to send from: set the sequence's mailbox_id, then resume") }
        guard mailbox.string("status") == "active" else {
            return try await wait(position, until: now.addingTimeInterval(3_600), "the mailbox \(mailbox.string("email") ?? "") is paused")
        }
        guard let email = contact.string("email") else {
            return try await pause(position, "the contact has no email address: add one, then resume")
        }
        if unreachable.contains(mailboxID) {
            return try await wait(position, until: now.addingTimeInterval(300), "the mailbox's SMTP server could not be reached in this run: tried again in 5 minutes")
        }
        if let (until, why) = try await capped(mailbox, recipientDomain: Self.domain(of: email), now: now, on: sql) {
            return try await wait(position, until: until, why)
        }
        // A send already made for this step: in flight elsewhere, retried now, or never again.
        let existing = try await store.select(
            Entities.sends, where: [("enrollment_id", .string(id.lowercased)), ("step_position", .int(Int64(position)))], order: "t.id", on: sql
        ).first
        if let existing, existing.string("state") != "retrying" {
            let state = existing.string("state") ?? ""
            return try await done("skipped", position, "step \(position) already has a send (\(state)): it is not sent again", [
                "next_run_at": .null, "waiting_reason": .string("step \(position)'s send is \(state); not sent again"),
            ])
        }
        // The message, rendered for this contact and checked before it can go; a retry sends the draft it made.
        let sameThread = step.bool("same_thread") && position != steps.first?.int("position")
        let rendered: (subject: String, text: String)
        let draft: Record
        if let earlier = try await existing?.uuid("message_draft_id").asyncFlatMap({ try await store.fetch(Entities.messageDrafts, $0, on: sql) }) {
            draft = earlier
            rendered = (earlier.string("subject_line") ?? "", earlier.string("body") ?? "")
        } else {
            do {
                rendered = try await render(step, group: enrollment.string("ab_group"), contact: contact, mailbox: mailbox, enrollmentID: id, on: sql)
            } catch let problem as MergeTemplate.Problem {
                return try await pause(position, "step \(position): \(problem.message)")
            }
            var company: Record?
            if let companyID = contact.uuid("company_id") { company = try await store.fetch(Entities.companies, companyID, on: sql) }
            let flags = DraftQC.check(
                subject: rendered.subject, body: rendered.text, channel: "email", touchType: sameThread ? "reply_draft" : "email",
                firstName: contact.string("first_name"), companyName: company?.string("name"))
            draft = try await store.insert(Entities.messageDrafts, try Entities.messageDrafts.validate([
                "contact_id": .string(contact.id.lowercased), "channel": "email", "touch_number": position <= 20 ? .int(Int64(position)) : .null,
                "touch_type": sameThread ? "reply_draft" : "email", "subject_line": .string(rendered.subject), "body": .string(rendered.text),
                "ab_group": enrollment["ab_group"],
            ], mode: .create), on: sql)
            try await store.update(Entities.messageDrafts, draft.id, [
                "qc_passed": .bool(flags.isEmpty), "qc_flags": .array(flags.map(\.json)), "approval_status": flags.isEmpty ? "ready" : "draft",
            ], on: sql)
            if !flags.isEmpty {
                return try await pause(position, "step \(position) did not pass QC (draft \(draft.id.lowercased)): \(flags.map(\.message).joined(separator: "; "))")
            }
        }
        // The send, committed before the server sees it.
        let sender = mailbox.string("email")!
        let senderDomain = Self.domain(of: sender)
        let thread = sameThread ? try await threadIDs(id, before: position, on: sql) : []
        let messageID = existing?.string("message_id") ?? MailMessage.newMessageID(domain: senderDomain)
        let token = existing?.string("token") ?? Self.newToken()
        let links = Self.links(in: rendered.text)
        var message = MailMessage(
            from: try MailAddress(sender, name: mailbox.string("display_name")), to: [try MailAddress(email, name: contact.string("full_name"))],
            subject: rendered.subject, text: rendered.text,
            html: Self.html(rendered.text, links: links, tracking: mailbox.bool("tracking") ? (publicURL, token) : nil), messageID: messageID, date: now)
        message.inReplyTo = thread.last
        message.references = thread
        // A reply address (replies@in.example) becomes replies+TOKEN@in.example: a reply threads by it even when
        // the client drops In-Reply-To.
        if let reply = mailbox.string("reply_address"), let at = reply.firstIndex(of: "@") {
            message.replyTo = try? MailAddress(String(reply[..<at]) + "+" + token + String(reply[at...]), name: mailbox.string("display_name"))
        }
        // The same bytes on a retry: the boundary is the send's own (its token is in the message anyway).
        message.boundary = "tb-" + token
        message.headers = [
            ("List-Unsubscribe", "<\(publicURL)/u/\(token)>, <mailto:\(sender)?subject=unsubscribe>"),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ]
        let leaseEnd = Timestamp.format(Date().addingTimeInterval(lease))
        let sendID: UUID
        let attempts: Int
        if let existing {
            sendID = existing.id
            attempts = existing.int("attempts") + 1
            try await store.update(Entities.sends, sendID, [
                "state": "sending", "attempts": .int(Int64(attempts)), "next_attempt_at": .string(leaseEnd), "sent_at": .string(Timestamp.format(now)),
                "subject": .string(rendered.subject), "links": .array(links.map { .string($0) }),
            ], on: sql)
        } else {
            attempts = 1
            sendID = try await store.insert(Entities.sends, [
                "enrollment_id": .string(id.lowercased), "step_position": .int(Int64(position)), "contact_id": .string(contact.id.lowercased),
                "mailbox_id": .string(mailboxID.lowercased), "state": "sending", "message_id": .string(messageID), "token": .string(token),
                "recipient": .string(email), "recipient_domain": .string(Self.domain(of: email)), "subject": .string(rendered.subject),
                "ab_group": enrollment["ab_group"], "attempts": 1, "sent_at": .string(Timestamp.format(now)), "next_attempt_at": .string(leaseEnd),
                "links": .array(links.map { .string($0) }), "message_draft_id": .string(draft.id.lowercased),
            ], on: sql).id
        }
        try await store.update(Entities.enrollments, id, [
            "next_run_at": .string(Timestamp.format(now.addingTimeInterval(lease))), "waiting_reason": .string("step \(position) is being sent"),
        ], on: sql)
        return .send(PendingSend(
            sendID: sendID, enrollmentID: id, contactID: contact.id, mailboxID: mailboxID, draftID: draft.id, step: position, nextStep: nextStep,
            attempts: attempts, from: sender, helo: senderDomain, to: email, subject: rendered.subject, text: rendered.text,
            messageID: messageID, bytes: message.rendered()))
    }

    /// A manual step: a follow-up due on its local date; completing or skipping it moves the enrolment on.
    func task(_ enrollment: Record, _ step: Record, kind: String, due: Date, zone: TimeZone, on sql: any SQLDatabase) async throws -> Claimed {
        let position = step.int("position")
        let dueDate = SendWindow.localDate(due, in: zone)
        let channel: JSONValue = ["call": "call", "linkedin": "linkedin", "manual_email": "email"][kind].map { .string($0) } ?? .null
        let existing = try await store.select(
            Entities.followups, where: [("enrollment_id", .string(enrollment.id.lowercased)), ("step_position", .int(Int64(position)))],
            order: "t.id", on: sql
        ).first
        let followup: Record
        if let existing {
            followup = existing
        } else {
            followup = try await store.insert(Entities.followups, try Entities.followups.validate([
                "contact_id": enrollment["contact_id"], "touch_number": position <= 20 ? .int(Int64(position)) : .null, "channel": channel,
                "due_date": .string(dueDate), "enrollment_id": .string(enrollment.id.lowercased), "step_position": .int(Int64(position)),
            ], mode: .create), on: sql)
        }
        let label = kind.replacingOccurrences(of: "_", with: " ")
        let why = "waiting for the \(label) task due \(dueDate) (follow-up \(followup.id.lowercased)) to be completed or skipped"
        try await store.update(Entities.enrollments, enrollment.id, ["next_run_at": .null, "waiting_reason": .string(why)], on: sql)
        return .done(Item(enrollmentID: enrollment.id, contactID: enrollment.uuid("contact_id"), step: position, action: "task", detail: why, until: nil))
    }

    // MARK: delivering

    /// Hands a committed send to the server and records what came of it.
    func deliver(_ pending: PendingSend, now: Date) async throws -> Item {
        let url = try await store.urlWithSecret(Entities.mailboxes, pending.mailboxID, field: "smtp_url") ?? ""
        let reply: SMTPReply
        do {
            reply = try await transport.send(smtpURL: url, helo: pending.helo, from: pending.from, to: [pending.to], message: pending.bytes)
        } catch let error as MailError {
            return try await recordFailure(pending, error, now: now)
        }
        try await recordSent(pending, reply: reply.description, now: now)
        let next = pending.nextStep.map { "; step \($0) next" } ?? "; the sequence is done"
        return Item(enrollmentID: pending.enrollmentID, contactID: pending.contactID, step: pending.step, action: "sent",
                    detail: "<\(pending.messageID)> to \(pending.to): \(reply)\(next)", until: nil)
    }

    func recordSent(_ pending: PendingSend, reply: String, now: Date) async throws {
        let at = JSONValue.string(Timestamp.format(now))
        try await database.transaction { sql in
            let touch = try await store.insert(Entities.touchpoints, try Entities.touchpoints.validate([
                "contact_id": .string(pending.contactID.lowercased), "channel": "email", "direction": "outbound", "subject": .string(pending.subject),
                "content": .string(pending.text), "sent_at": at, "outcome": "sent", "message_draft_id": pending.draftID.map { .string($0.lowercased) } ?? .null,
                "touch_number": pending.step <= 20 ? .int(Int64(pending.step)) : .null,
                "metadata": [
                    "message_id": .string(pending.messageID), "send_id": .string(pending.sendID.lowercased),
                    "enrollment_id": .string(pending.enrollmentID.lowercased), "step_position": .int(Int64(pending.step)),
                ],
            ], mode: .create), on: sql)
            try await store.update(Entities.sends, pending.sendID, [
                "state": "sent", "smtp_reply": .string(reply), "sent_at": at, "next_attempt_at": .null, "touchpoint_id": .string(touch.id.lowercased),
            ], on: sql)
            if let draft = pending.draftID { try await store.update(Entities.messageDrafts, draft, ["approval_status": "sent"], on: sql) }
            var moves: [String: JSONValue] = ["last_step_at": at, "waiting_reason": .null]
            if let next = pending.nextStep {
                moves["current_step"] = .int(Int64(next))
                moves["next_run_at"] = at
            } else {
                moves["state"] = "finished"
            }
            // A reply or an unsubscribe may have stopped it meanwhile: only an open enrolment moves.
            let d = database.dialect
            var update = sql.update("enrollments")
            for (key, value) in moves { update = update.set(SQLIdentifier(key), to: d.bind(value, as: Entities.enrollments.field(key)!.type)) }
            try await update.where(SQLIdentifier("id"), .equal, d.bind(pending.enrollmentID))
                .where(SQLRaw("state IN ('active','paused')")).run()
        }
        Telemetry.send("sent")
    }

    func recordFailure(_ pending: PendingSend, _ error: MailError, now: Date) async throws -> Item {
        let d = database.dialect
        let reply: String
        let said: String
        if case .rejected(_, let r) = error {
            reply = r.description
            said = "the server answered \(r)"
        } else {
            reply = error.description
            if case .connection = error { said = "could not reach the server (\(error))" } else { said = "\(error)" }
        }
        func item(_ action: String, _ detail: String, until: Date? = nil) -> Item {
            Telemetry.send(action)
            return Item(enrollmentID: pending.enrollmentID, contactID: pending.contactID, step: pending.step, action: action, detail: detail, until: until)
        }
        if case .outcomeUnknown = error {
            let why = "step \(pending.step)'s send is uncertain (\(error)): it is not sent again by itself; check the Sent folder, then resolve it (resolve_send: sent or not_sent)"
            try await database.transaction { sql in
                try await store.update(Entities.sends, pending.sendID, ["state": "uncertain", "smtp_reply": .string(reply), "next_attempt_at": .null], on: sql)
                try await sql.raw("UPDATE enrollments SET next_run_at = NULL, waiting_reason = \(bind: why) WHERE id = \(d.bind(pending.enrollmentID)) AND state = 'active'").run()
            }
            return item("uncertain", why)
        }
        if error.isTransient && pending.attempts < Self.maxAttempts {
            let retry = now.addingTimeInterval(300 * pow(2, Double(pending.attempts - 1)))
            let why = "step \(pending.step): \(said); try \(pending.attempts + 1) of \(Self.maxAttempts) at \(Timestamp.format(retry))"
            try await database.transaction { sql in
                try await store.update(Entities.sends, pending.sendID, [
                    "state": "retrying", "smtp_reply": .string(reply), "next_attempt_at": .string(Timestamp.format(retry)),
                ], on: sql)
                try await sql.raw(
                    "UPDATE enrollments SET next_run_at = \(d.bind(.string(Timestamp.format(retry)), as: .timestamp)), waiting_reason = \(bind: why) WHERE id = \(d.bind(pending.enrollmentID)) AND state = 'active'"
                ).run()
            }
            return item("retrying", why, until: retry)
        }
        let why = "step \(pending.step) failed: \(error)"
        try await database.transaction { sql in
            try await store.update(Entities.sends, pending.sendID, ["state": "failed", "smtp_reply": .string(reply), "next_attempt_at": .null], on: sql)
            try await sql.raw(
                "UPDATE enrollments SET state = 'stopped', stop_reason = 'failed', waiting_reason = \(bind: why) WHERE id = \(d.bind(pending.enrollmentID)) AND state IN ('active','paused')"
            ).run()
        }
        return item("failed", why)
    }

    /// A person's word on an uncertain send: `sent` records it as sent (its touchpoint, the enrolment moved on), as
    /// the server's acceptance would have; `not_sent` lets the runner send it again (the same Message-ID, so a copy
    /// that did arrive is one message to the recipient's client). Only an uncertain send can be resolved.
    public func resolve(send id: UUID, sent: Bool, now: Date = Date()) async throws -> Record {
        let send = try await store.get(Entities.sends, id)
        guard send.string("state") == "uncertain" else {
            throw DomainError.refused("The send is \(send.string("state") ?? "unknown"): only an uncertain send is resolved by hand.")
        }
        let enrollmentID = send.uuid("enrollment_id")!
        if sent {
            guard let enrollment = try await store.select(Entities.enrollments, where: [("id", .string(enrollmentID.lowercased))]).first else {
                throw DomainError.refused("The send's enrollment is gone.")
            }
            let draft = try await send.uuid("message_draft_id").asyncFlatMap { try await store.select(Entities.messageDrafts, where: [("id", .string($0.lowercased))]).first }
            let steps = try await store.select(Entities.sequenceSteps, where: [("sequence_id", enrollment["sequence_id"])], order: "t.position")
            let position = send.int("step_position")
            try await recordSent(PendingSend(
                sendID: id, enrollmentID: enrollmentID, contactID: send.uuid("contact_id")!, mailboxID: send.uuid("mailbox_id") ?? id,
                draftID: draft?.id, step: position, nextStep: steps.first { $0.int("position") > position }?.int("position"),
                attempts: send.int("attempts"), from: "", helo: "", to: send.string("recipient") ?? "", subject: send.string("subject") ?? "",
                text: draft?.string("body") ?? "", messageID: send.string("message_id") ?? "", bytes: []
            ), reply: "resolved by hand: sent", now: send.string("sent_at").flatMap(Timestamp.parse) ?? now)
        } else {
            let d = database.dialect
            try await database.transaction { sql in
                try await store.update(Entities.sends, id, [
                    "state": "retrying", "smtp_reply": "resolved by hand: not sent", "next_attempt_at": .string(Timestamp.format(now)),
                ], on: sql)
                try await sql.raw(
                    "UPDATE enrollments SET next_run_at = \(d.bind(.string(Timestamp.format(now)), as: .timestamp)), waiting_reason = NULL WHERE id = \(d.bind(enrollmentID)) AND state = 'active'"
                ).run()
            }
        }
        return try await store.get(Entities.sends, id)
    }

    // MARK: pieces

    static func window(_ sequence: Record) throws -> SendWindow {
        do throws(SendWindow.Problem) {
            return try SendWindow(sequence: sequence.json)
        } catch {
            throw DomainError.invalid("send_days", error.message)
        }
    }

    static func domain(of email: String) -> String { String(email.split(separator: "@").last ?? "").lowercased() }

    static func newToken() -> String {
        (0..<4).map { _ in String(format: "%08x", UInt32.random(in: .min ... .max)) }.joined()
    }

    /// When a send to `recipientDomain` through `mailbox` may go if a cap holds it now, and why.
    func capped(_ mailbox: Record, recipientDomain: String, now: Date, on sql: any SQLDatabase) async throws -> (Date, String)? {
        let d = database.dialect
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC")!
        let dayStart = utc.startOfDay(for: now)
        let nextDay = utc.date(byAdding: .day, value: 1, to: dayStart)!
        let m = d.bind(mailbox.id)
        let counted = "state IN ('sent','sending','uncertain')"
        func count(_ extra: SQLQueryString, from: Date, to: Date) async throws -> (Int, Date?) {
            let query = SQLQueryString("SELECT count(*) AS n, min(sent_at) AS first FROM sends WHERE mailbox_id = \(m) AND \(unsafeRaw: counted) AND sent_at >= \(d.bind(.string(Timestamp.format(from)), as: .timestamp)) AND sent_at < \(d.bind(.string(Timestamp.format(to)), as: .timestamp))") + extra
            guard let row = try await sql.raw(query).first() else { return (0, nil) }
            return (try row.decode(column: "n", as: Int.self), try d.decode(row, "first", as: .timestamp).stringValue.flatMap(Timestamp.parse))
        }
        let email = mailbox.string("email") ?? ""
        let (today, _) = try await count("", from: dayStart, to: nextDay)
        if today >= mailbox.int("daily_limit") {
            return (nextDay, "the mailbox \(email) has sent its \(mailbox.int("daily_limit")) messages today (UTC): next send after midnight UTC")
        }
        let (minute, first) = try await count("", from: now.addingTimeInterval(-60), to: now.addingTimeInterval(0.001))
        if minute >= mailbox.int("per_minute_limit"), let first {
            return (first.addingTimeInterval(60), "the mailbox \(email) has sent \(minute) messages in the last minute (limit \(mailbox.int("per_minute_limit")))")
        }
        let (toDomain, _) = try await count(" AND recipient_domain = \(bind: recipientDomain)", from: dayStart, to: nextDay)
        if toDomain >= mailbox.int("per_domain_daily_limit") {
            return (nextDay, "\(toDomain) messages went to \(recipientDomain) today (limit \(mailbox.int("per_domain_daily_limit")) a domain a day): next after midnight UTC")
        }
        return nil
    }

    /// The Message-IDs of the enrolment's emails before `position`, oldest first (In-Reply-To is the last).
    func threadIDs(_ enrollment: UUID, before position: Int, on sql: any SQLDatabase) async throws -> [String] {
        try await store.select(Entities.sends, where: [("enrollment_id", .string(enrollment.lowercased)), ("state", "sent")], order: "t.step_position", on: sql)
            .filter { $0.int("step_position") < position }.compactMap { $0.string("message_id") }
    }

    /// The step's subject and text for the contact, from its variant for group B when it has one.
    func render(_ step: Record, group: String?, contact: Record, mailbox: Record, enrollmentID: UUID, on sql: any SQLDatabase) async throws
        -> (subject: String, text: String)
    {
        var subjectSource = step.string("subject")
        var bodySource = step.string("body") ?? ""
        if group == "B", let variant = step["variants"].arrayValue?.first?.objectValue {
            subjectSource = variant["subject"]?.stringValue ?? subjectSource
            bodySource = variant["body"]?.stringValue ?? bodySource
        }
        let subjectTemplate = try subjectSource.flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : try MergeTemplate($0) }
        let bodyTemplate = try MergeTemplate(bodySource)
        let needsColleague = (subjectTemplate?.needsColleague ?? false) || bodyTemplate.needsColleague
        let values = try await mergeValues(contact: contact, mailbox: mailbox, needsColleague: needsColleague, on: sql)
        var text = try bodyTemplate.render(values)
        if let signature = mailbox.string("signature"), !signature.isEmpty, !bodyTemplate.fieldNames.contains("sender.signature") {
            text += "\n\n-- \n" + signature
        }
        if let subjectTemplate { return (try subjectTemplate.render(values), text) }
        // A step in the thread without a subject of its own answers the first one's (as sent: literal text).
        guard step.bool("same_thread"), let previous = try await threadSubject(enrollmentID, on: sql) else {
            throw MergeTemplate.Problem(message: "the step has no subject")
        }
        return (previous.lowercased().hasPrefix("re:") ? previous : "Re: " + previous, text)
    }

    func threadSubject(_ enrollment: UUID, on sql: any SQLDatabase) async throws -> String? {
        try await store.select(Entities.sends, where: [("enrollment_id", .string(enrollment.lowercased)), ("state", "sent")], order: "t.step_position", on: sql)
            .first?.string("subject")
    }

    /// The values the merge fields read: the contact's, its company's, the sender's, and the strongest related
    /// colleague already engaged (a reply, or engagement above zero), when the template needs one.
    func mergeValues(contact: Record, mailbox: Record, needsColleague: Bool, on sql: any SQLDatabase) async throws -> [String: String] {
        var values: [String: String] = [:]
        for name in MergeTemplate.fields[""]! { values[name] = contact.string(name) }
        if let companyID = contact.uuid("company_id"), let company = try await store.fetch(Entities.companies, companyID, on: sql) {
            for name in MergeTemplate.fields["company"]! { values["company.\(name)"] = company.string(name) }
        }
        let display = mailbox.string("display_name")?.trimmingCharacters(in: .whitespaces) ?? ""
        let words = display.split(separator: " ").map(String.init)
        values["sender.first_name"] = words.first
        values["sender.last_name"] = words.count > 1 ? words.dropFirst().joined(separator: " ") : nil
        values["sender.full_name"] = display.isEmpty ? nil : display
        values["sender.email"] = mailbox.string("email")
        values["sender.title"] = mailbox.string("title")
        values["sender.signature"] = mailbox.string("signature")
        if needsColleague, let colleague = try await strongestColleague(of: contact, on: sql) {
            for name in MergeTemplate.fields["colleague"]! { values["colleague.\(name)"] = colleague.string(name) }
        }
        return values
    }

    func strongestColleague(of contact: Record, on sql: any SQLDatabase) async throws -> Record? {
        let d = database.dialect
        let me = d.bind(contact.id)
        let rows = try await sql.raw(
            """
            SELECT b.id AS colleague_id, coalesce(r1.strength, r2.strength) AS strength, b.engagement_score
            FROM relationships r0
            JOIN contacts b ON b.id = CASE WHEN r0.contact_id_1 = \(me) THEN r0.contact_id_2 ELSE r0.contact_id_1 END
            LEFT JOIN relationships r1 ON r1.id = r0.id AND r1.contact_id_1 = \(me)
            LEFT JOIN relationships r2 ON r2.id = r0.id AND r2.contact_id_2 = \(me)
            WHERE (r0.contact_id_1 = \(me) OR r0.contact_id_2 = \(me))
              AND (b.engagement_score > 0 OR EXISTS (SELECT 1 FROM replies rp WHERE rp.contact_id = b.id))
              AND b.do_not_contact = \(d.bind(.bool(false), as: .boolean))
            """
        ).all()
        let rank = ["strong": 3, "medium": 2, "weak": 1]
        let best = try rows.map { row in
            (id: try d.decode(row, "colleague_id", as: .uuid).stringValue ?? "", strength: rank[try row.decode(column: "strength", as: String?.self) ?? ""] ?? 0,
             score: try row.decode(column: "engagement_score", as: Int?.self) ?? 0)
        }.sorted { ($0.strength, $0.score, $1.id) > ($1.strength, $1.score, $0.id) }.first
        guard let best, let id = UUID(uuidString: best.id) else { return nil }
        return try await store.fetch(Entities.contacts, id, on: sql)
    }

    static let urlPattern = try! NSRegularExpression(pattern: #"https?://[^\s<>"']+"#)

    /// The URLs of a text, in order, each once (trailing punctuation is the sentence's, not the URL's).
    static func links(in text: String) -> [String] {
        var seen: [String] = []
        for range in urlRanges(text) where !seen.contains(String(text[range])) { seen.append(String(text[range])) }
        return seen
    }

    static func urlRanges(_ text: String) -> [Range<String.Index>] {
        urlPattern.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap { match in
            guard var range = Range(match.range, in: text) else { return nil }
            while range.upperBound > range.lowerBound, ".,;:!?)]".contains(text[text.index(before: range.upperBound)]) {
                range = range.lowerBound..<text.index(before: range.upperBound)
            }
            return range
        }
    }

    /// The text as HTML: escaped, paragraphs at blank lines, line breaks kept, its URLs as links. With `tracking`
    /// (the public address and the send's token), each link goes through our redirect (`/t/c/TOKEN/N`, N from 1 in
    /// the order of `links`), a hidden honeypot link (`/t/c/TOKEN/0`, which no person can see) catches scanners and a
    /// pixel (`/t/o/TOKEN`) counts opens.
    static func html(_ text: String, links: [String], tracking: (base: String, token: String)?) -> String {
        let text = text.replacingOccurrences(of: "\r\n", with: "\n")
        var body = ""
        var at = text.startIndex
        for range in urlRanges(text) {
            body += String(text[at..<range.lowerBound]).htmlEscaped
            let url = String(text[range])
            let href = tracking.map { "\($0.base)/t/c/\($0.token)/\((links.firstIndex(of: url) ?? 0) + 1)" } ?? url
            body += "<a href=\"\(href.htmlEscaped)\">\(url.htmlEscaped)</a>"
            at = range.upperBound
        }
        body += String(text[at...]).htmlEscaped
        let paragraphs = body.components(separatedBy: "\n\n").map { "<p>" + $0.replacingOccurrences(of: "\n", with: "<br>\n") + "</p>" }
        var html = "<!DOCTYPE html>\n<html><body>\n" + paragraphs.joined(separator: "\n") + "\n"
        if let tracking {
            html += "<a href=\"\(tracking.base)/t/c/\(tracking.token)/0\" style=\"display:none\" aria-hidden=\"true\" tabindex=\"-1\"></a>\n"
            html += "<img src=\"\(tracking.base)/t/o/\(tracking.token)\" width=\"1\" height=\"1\" alt=\"\" style=\"display:block;border:0\">\n"
        }
        return html + "</body></html>\n"
    }
}

extension Optional {
    /// The wrapped value through an async transform that may itself give nothing.
    func asyncFlatMap<T>(_ transform: (Wrapped) async throws -> T?) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
