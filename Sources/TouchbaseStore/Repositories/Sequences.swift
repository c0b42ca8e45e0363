import SQLKit
import Foundation
import TouchbaseDomain

/// Enrolling contacts in sequences and moving enrolments by hand (stop, pause, resume). The rules that refuse an
/// enrolment (do-not-contact, exclusivity, one open enrolment per contact and sequence) and keep its state moving
/// forward are the database's (migration 0022), so every face and plain SQL meet them; this names each refusal.
public struct SequenceRepository: StoreBacked {
    public let store: RecordStore
    public init(database: Database) { store = RecordStore(database: database) }

    /// The most contacts one call enrols.
    public static let maxEnrolments = 500

    /// One contact's outcome: the enrolment made, or why it was refused.
    public struct Outcome: Sendable {
        public let contactID: String
        public let enrollment: Record?
        public let refusal: DomainError?

        public var json: JSONValue {
            var object: [String: JSONValue] = ["contact_id": .string(contactID), "enrolled": .bool(enrollment != nil)]
            object["enrollment"] = enrollment?.json ?? .null
            object["refused"] = refusal.map { .string($0.message) } ?? .null
            return .object(object)
        }
    }

    /// Enrols each contact (given, or the contacts matching `filters`) in the sequence, due at once: when the first
    /// step runs is worked out at send time from the window. A contact that cannot be enrolled is reported with why;
    /// the others are enrolled. An archived sequence enrols nobody.
    public func enroll(sequence sequenceID: UUID, contacts given: [UUID]?, filters: [String: JSONValue]?, at now: Date = Date()) async throws -> [Outcome] {
        let sequence = try await store.get(Entities.sequences, sequenceID)
        if sequence["status"] == "archived" {
            throw DomainError.refused("The sequence '\(sequence["name"].stringValue ?? "")' is archived: it enrols nobody.")
        }
        let contacts = try await resolve(given, filters)
        let steps = try await store.select(Entities.sequenceSteps, whereIn: "sequence_id", [.string(sequenceID.lowercased)])
        let split = steps.contains { ($0["variants"].arrayValue?.isEmpty == false) }
        var outcomes: [Outcome] = []
        for contact in contacts {
            var values: [String: JSONValue] = [
                "sequence_id": .string(sequenceID.lowercased), "contact_id": .string(contact.lowercased),
                "next_run_at": .string(Timestamp.format(now)),
            ]
            if split { values["ab_group"] = .string(Self.group(of: contact)) }
            do {
                let made = try await store.create(Entities.enrollments, values)
                outcomes.append(Outcome(contactID: contact.lowercased, enrollment: made, refusal: nil))
            } catch {
                let refusal = try Self.refusal(error, contact: contact)
                outcomes.append(Outcome(contactID: contact.lowercased, enrollment: nil, refusal: refusal))
            }
        }
        return outcomes
    }

    /// Why one contact was not enrolled; an error that is not about the contact (the database away) is thrown.
    static func refusal(_ error: any Error, contact: UUID) throws -> DomainError {
        guard let refusal = StoreErrors.translate(error) as? DomainError else { throw error }
        if case .unavailable = refusal { throw refusal }
        if case .validation(let issues) = refusal, issues.map(\.field).contains("reference") {
            return .notFound(entity: "contact", id: contact.lowercased)
        }
        return refusal
    }

    /// The A/B group of a contact: fixed by its id, so enrolling again gives the same group.
    static func group(of contact: UUID) -> String {
        contact.uuid.15 & 1 == 0 ? "A" : "B"
    }

    private func resolve(_ given: [UUID]?, _ filters: [String: JSONValue]?) async throws -> [UUID] {
        if let given {
            guard given.count <= Self.maxEnrolments else {
                throw DomainError.invalid("contact_ids", "at most \(Self.maxEnrolments) contacts a call; got \(given.count)")
            }
            var seen = Set<UUID>()
            return given.filter { seen.insert($0).inserted }
        }
        guard let filters, !filters.isEmpty else {
            throw DomainError.invalid("contact_ids", "give contact_ids or filters (exact contact fields, such as {\"company_id\": …})")
        }
        var query = ListQuery(limit: Self.maxEnrolments)
        var issues: [FieldIssue] = []
        for (key, value) in filters {
            guard let field = Entities.contacts.field(key), !field.type.isJSON else {
                issues.append(FieldIssue(field: "filters.\(key)", message: "is not a field of contact to filter on"))
                continue
            }
            do throws(FieldProblem) { query.filters[key] = try field.check(value) } catch {
                issues.append(FieldIssue(field: "filters.\(key)", message: error.message))
            }
        }
        if !issues.isEmpty { throw DomainError.validation(issues) }
        let page = try await store.list(Entities.contacts, query)
        if page.nextCursor != nil {
            throw DomainError.invalid("filters", "match more than \(Self.maxEnrolments) contacts: narrow them, or enrol in several calls with contact_ids")
        }
        return page.records.map(\.id)
    }

    /// A sequence, its steps in order and its enrolments counted by state.
    public func overview(_ id: UUID) async throws -> JSONValue {
        let sequence = try await store.get(Entities.sequences, id)
        let steps = try await store.select(Entities.sequenceSteps, whereIn: "sequence_id", [.string(id.lowercased)])
            .sorted { ($0["position"].intValue ?? 0) < ($1["position"].intValue ?? 0) }
        let counted = try await counts([id])[id.lowercased] ?? [:]
        return [
            "sequence": sequence.json, "steps": .array(steps.map(\.json)), "enrollments": counted["enrollments"] ?? [:],
            "sends": counted["sends"] ?? [:], "tracking": try await MessageLinkRepository(database: database).counts(sequence: id),
        ]
    }

    /// Per sequence (by lowercase id): `steps` (how many), `enrollments` by state and `sends` by state, every state
    /// present — three grouped reads however many sequences.
    public func counts(_ ids: [UUID]) async throws -> [String: [String: JSONValue]] {
        guard !ids.isEmpty else { return [:] }
        let d = dialect
        let list = d.list(ids)
        let queries: [(String, SQLQueryString)] = [
            ("enrollments", "SELECT sequence_id, state, count(*) AS n FROM enrollments WHERE sequence_id IN (" + list + ") GROUP BY sequence_id, state"),
            ("sends", "SELECT e.sequence_id, s.state, count(*) AS n FROM sends s JOIN enrollments e ON e.id = s.enrollment_id WHERE e.sequence_id IN (" + list + ") GROUP BY e.sequence_id, s.state"),
            ("steps", "SELECT sequence_id, 'steps' AS state, count(*) AS n FROM sequence_steps WHERE sequence_id IN (" + list + ") GROUP BY sequence_id"),
        ]
        var out: [String: [String: JSONValue]] = [:]
        let blank: [String: JSONValue] = [
            "enrollments": .object(Dictionary(uniqueKeysWithValues: Vocabulary.enrollmentState.map { ($0, JSONValue.int(0)) })),
            "sends": .object(Dictionary(uniqueKeysWithValues: Vocabulary.sendState.map { ($0, JSONValue.int(0)) })), "steps": .int(0),
        ]
        for id in ids { out[id.lowercased] = blank }
        for (key, query) in queries {
            let rows = try await database.withConnection { sql in try await sql.raw(query).all() }
            for row in rows {
                guard let id = try d.decode(row, "sequence_id", as: .uuid).stringValue?.lowercased() else { continue }
                let n = JSONValue.int(try row.decode(column: "n", as: Int64.self))
                if key == "steps" {
                    out[id]?["steps"] = n
                } else {
                    var states = out[id]?[key]?.objectValue ?? [:]
                    states[try row.decode(column: "state", as: String.self)] = n
                    out[id]?[key] = .object(states)
                }
            }
        }
        return out
    }

    /// Stops an enrolment by hand (or for `reason`); one already finished or stopped is returned as it is.
    public func stop(_ id: UUID, reason: String = "manual") async throws -> Record {
        let current = try await store.get(Entities.enrollments, id)
        if current["state"] == "finished" || current["state"] == "stopped" { return current }
        return try await store.update(Entities.enrollments, id, ["state": "stopped", "stop_reason": .string(reason)])
    }

    /// Pauses an active enrolment, until a time or until resumed.
    public func pause(_ id: UUID, until: Date?) async throws -> Record {
        let current = try await store.get(Entities.enrollments, id)
        guard current["state"] == "active" || current["state"] == "paused" else {
            throw DomainError.refused("The enrollment is \(current["state"].stringValue ?? "ended"): only an active one can be paused.")
        }
        return try await store.update(Entities.enrollments, id, [
            "state": "paused", "paused_until": until.map { .string(Timestamp.format($0)) } ?? .null,
        ])
    }

    /// Resumes a paused enrolment: its next step is due at once (the send window decides when it goes).
    public func resume(_ id: UUID, at now: Date = Date()) async throws -> Record {
        let current = try await store.get(Entities.enrollments, id)
        guard current["state"] == "paused" || current["state"] == "active" else {
            throw DomainError.refused("The enrollment is \(current["state"].stringValue ?? "ended"): only a paused one can be resumed.")
        }
        if current["state"] == "active" { return current }
        return try await store.update(Entities.enrollments, id, [
            "state": "active", "paused_until": .null, "next_run_at": .string(Timestamp.format(now)),
        ])
    }

    /// A sequence's board for the web page: each step with the people at it and what it has sent, the next `days`
    /// local days by step (how many enrolments come due each day, in the sequence's zone; `waiting` those waiting for a
    /// task or a person, `later` beyond), the enrolments that wait or are paused with why, the stop reasons, the A/B
    /// split (enrolled, sent, replied per group, with the experiment statistics' verdict on replies) and the tracking
    /// hits by label.
    public func board(_ id: UUID, from now: Date = Date(), days: Int = 10) async throws -> JSONValue {
        let overview = try await overview(id)
        let d = database.dialect
        let zone = TimeZone(identifier: overview["sequence"]?["time_zone"]?.stringValue ?? "UTC") ?? TimeZone(identifier: "UTC")!
        func localDay(_ date: Date) -> String { SendWindow.localDate(date, in: zone) }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let dayList = (0..<days).map { localDay(calendar.date(byAdding: .day, value: $0, to: now)!) }
        let rows = try await database.withConnection { sql in
            try await sql.raw(
                """
                SELECT e.id, e.contact_id, e.state, e.stop_reason, e.current_step, e.next_run_at, e.waiting_reason, e.ab_group,
                    c.full_name, c.email,
                    (SELECT count(*) FROM sends s WHERE s.enrollment_id = e.id AND s.state = 'sent') AS sent,
                    (SELECT count(*) FROM replies r WHERE r.contact_id = e.contact_id AND r.created_at >= e.created_at) AS replied
                FROM enrollments e JOIN contacts c ON c.id = e.contact_id
                WHERE e.sequence_id = \(d.bind(id)) ORDER BY e.id LIMIT 20000
                """
            ).all()
        }
        struct Row { let id, contact, state, name: String; let stop: String?; let step: Int; let next: Date?; let why: String?; let group: String?; let sent, replied: Int }
        let enrolments: [Row] = try rows.map { row in
            Row(
                id: try d.decode(row, "id", as: .uuid).stringValue ?? "", contact: try d.decode(row, "contact_id", as: .uuid).stringValue ?? "",
                state: try row.decode(column: "state", as: String.self),
                name: try row.decode(column: "full_name", as: String?.self) ?? (try row.decode(column: "email", as: String?.self) ?? ""),
                stop: try row.decode(column: "stop_reason", as: String?.self), step: try row.decode(column: "current_step", as: Int.self),
                next: try d.decode(row, "next_run_at", as: .timestamp).stringValue.flatMap(Timestamp.parse),
                why: try row.decode(column: "waiting_reason", as: String?.self), group: try row.decode(column: "ab_group", as: String?.self),
                sent: try row.decode(column: "sent", as: Int.self), replied: try row.decode(column: "replied", as: Int.self))
        }
        let sendRows = try await database.withConnection { sql in
            try await sql.raw(
                "SELECT s.step_position, s.state, count(*) AS n FROM sends s JOIN enrollments e ON e.id = s.enrollment_id WHERE e.sequence_id = \(d.bind(id)) GROUP BY s.step_position, s.state"
            ).all()
        }
        var sendsByStep: [Int: [String: Int64]] = [:]
        for row in sendRows {
            sendsByStep[try row.decode(column: "step_position", as: Int.self), default: [:]][try row.decode(column: "state", as: String.self)] = try row.decode(column: "n", as: Int64.self)
        }
        let steps = (overview["steps"]?.arrayValue ?? []).map { step -> JSONValue in
            let position = Int(step["position"]?.intValue ?? 0)
            let here = enrolments.filter { $0.step == position && ($0.state == "active" || $0.state == "paused") }
            var grid: [JSONValue] = dayList.map { day in .int(Int64(here.filter { $0.state == "active" && $0.next.map(localDay) == day }.count)) }
            let overdue = here.filter { $0.state == "active" && ($0.next.map { localDay($0) < dayList[0] } ?? false) }.count
            grid[0] = .int((grid[0].intValue ?? 0) + Int64(overdue))
            var out = step.objectValue ?? [:]
            out["at_step"] = .int(Int64(here.count))
            out["grid"] = .array(grid)
            out["waiting"] = .int(Int64(here.filter { $0.state == "active" && $0.next == nil }.count))
            out["paused"] = .int(Int64(here.filter { $0.state == "paused" }.count))
            out["later"] = .int(Int64(here.filter { $0.state == "active" && ($0.next.map { localDay($0) > dayList[days - 1] } ?? false) }.count))
            out["sends"] = .object((sendsByStep[position] ?? [:]).mapValues { .int($0) })
            return .object(out)
        }
        let waiting: [JSONValue] = enrolments.filter { ($0.state == "active" || $0.state == "paused") && $0.why != nil }
            .sorted { ($0.next ?? .distantFuture) < ($1.next ?? .distantFuture) }.prefix(100).map { row in
                [
                    "enrollment_id": .string(row.id), "contact_id": .string(row.contact), "name": .string(row.name), "state": .string(row.state),
                    "step": .int(Int64(row.step)), "until": row.next.map { .string(Timestamp.format($0)) } ?? .null, "reason": .string(row.why ?? ""),
                ]
            }
        var stops: [String: Int64] = [:]
        for row in enrolments where row.state == "stopped" { stops[row.stop ?? "manual", default: 0] += 1 }
        let split = (overview["steps"]?.arrayValue ?? []).contains { ($0["variants"]?.arrayValue?.isEmpty == false) }
        var ab: JSONValue = .null
        if split {
            let groups = ["A", "B"].map { g -> GroupCounts in
                let members = enrolments.filter { $0.group == g }
                return GroupCounts(group: g, prospects: members.count, sent: members.filter { $0.sent > 0 }.count,
                                   replies: members.filter { $0.sent > 0 && $0.replied > 0 }.count, meetings: 0, opportunities: 0)
            }
            let verdict = ExperimentVerdict(groups: groups, metric: "replies")
            ab = [
                "groups": .array(groups.map { g in
                    ["group": .string(g.group), "enrolled": .int(Int64(g.prospects)), "sent": .int(Int64(g.sent)), "replied": .int(Int64(g.replies)),
                     "reply_rate": g.sent > 0 ? .double(Double(g.replies) / Double(g.sent)) : .null]
                }),
                "verdict": .string(verdict.label), "p_value": verdict.pValue.map { .double($0) } ?? .null, "method": verdict.method.map { .string($0) } ?? .null,
                "needed": .object(verdict.needed.mapValues { .int(Int64($0)) }), "minimum_sent": .int(Int64(verdict.minimumSent)),
            ]
        }
        var out = overview.objectValue ?? [:]
        out["steps"] = .array(steps)
        out["days"] = .array(dayList.map { .string($0) })
        out["waiting"] = .array(waiting)
        out["stops"] = .object(stops.mapValues { .int($0) })
        out["ab"] = ab
        return .object(out)
    }
}
