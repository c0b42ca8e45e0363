import Foundation
import SQLKit
import TouchbaseDomain

/// A raw row read as a company: its known fields and the key it is matched on.
struct CompanyDraft: Sendable {
    var values: [String: JSONValue]
    /// The values validated as a new company and as a fill of a stored one, worked out with the draft (off the
    /// database's path when an importer prepares the next batch).
    let asNew: Result<[String: JSONValue], DomainError>
    let asFill: Result<[String: JSONValue], DomainError>

    init(_ row: [String: JSONValue]) {
        var values = IntakeRepository.fields(Entities.companies, row)
        if values["name"] == nil, let name = row["company_name"] { values["name"] = name }
        if values["website_url"] == nil, let site = row["website"] { values["website_url"] = site }
        if values["domain"] == nil, let site = values["website_url"]?.stringValue, let domain = try? Field.normalize(site, .domain) {
            values["domain"] = .string(domain)
        }
        // A free-mail or ISP domain names no company: such a company is matched on its name.
        if let raw = values["domain"]?.stringValue, FreeMail.contains((try? Field.normalize(raw, .domain)) ?? raw.lowercased()) {
            values["domain"] = nil
        }
        self.values = values
        asNew = Result { () throws(DomainError) in try Entities.companies.validate(values, mode: .create) }
        asFill = Result { () throws(DomainError) in try Entities.companies.validate(values, mode: .update) }
    }

    /// The normalised domain; a company without one is matched on its name key among companies without a domain.
    var keys: [String] {
        if let raw = values["domain"]?.stringValue { return ["domain:" + ((try? Field.normalize(raw, .domain)) ?? raw.lowercased())] }
        if let name = values["name"]?.stringValue { return ["name:" + NameKey.company(name)] }
        return []
    }

    /// The keys a stored company is found by.
    static func keys(stored values: [String: JSONValue]) -> [String] {
        if let domain = values["domain"]?.stringValue { return ["domain:" + domain.lowercased()] }
        if let key = values["name_key"]?.stringValue { return ["name:" + key] }
        if let name = values["name"]?.stringValue { return ["name:" + NameKey.company(name)] }
        return []
    }
}

/// A raw row read as a contact: its fields (validated for a create), the company it belongs to, its verification
/// colour and the keys it is matched on.
struct ContactDraft: Sendable {
    var values: [String: JSONValue]
    var company: CompanyDraft?
    var emailStatus: String?

    init(_ row: [String: JSONValue]) throws(DomainError) {
        var values = IntakeRepository.fields(Entities.contacts, row)
        if values["first_name"] == nil, let full = row["full_name"]?.stringValue?.trimmed, !full.isEmpty {
            let parts = full.split(separator: " ", maxSplits: 1).map(String.init)
            values["first_name"] = .string(parts[0])
            if parts.count > 1 { values["last_name"] = .string(parts[1]) }
        }
        // Validated before any company is touched, so a bad row creates nothing.
        values = try Entities.contacts.validate(values, mode: .create)
        if values["company_id"] == nil {
            // The company's own website or domain column wins; then the row's company name; an email domain names
            // the company only when the row has neither and it is not a free-mail or ISP domain.
            var companyRow: [String: JSONValue] = [:]
            if let d = row["company_domain"] ?? row["domain"] { companyRow["domain"] = d }
            if let w = row["company_website"] ?? row["website"] { companyRow["website_url"] = w }
            if let name = row["company_name"] ?? row["company"] { companyRow["name"] = name }
            if companyRow["domain"] == nil, companyRow["website_url"] == nil, companyRow["name"] == nil,
                let email = values["email"]?.stringValue, let at = email.firstIndex(of: "@")
            {
                let domain = String(email[email.index(after: at)...])
                if !FreeMail.contains(domain) { companyRow["domain"] = .string(domain) }
            }
            for (key, value) in row where key.hasPrefix("company_") && !["company_id", "company_name", "company_domain", "company_website"].contains(key) {
                let field = String(key.dropFirst("company_".count))
                companyRow[field == "linkedin_url" ? "linkedin_company_url" : field] = value
            }
            if companyRow["name"] == nil, let domain = companyRow["domain"]?.stringValue ?? companyRow["website_url"]?.stringValue,
                let normal = try? Field.normalize(domain, .domain), !FreeMail.contains(normal)
            {
                companyRow["name"] = .string(normal)
            }
            if companyRow["name"] != nil { company = CompanyDraft(companyRow) }
        }
        if let status = row["email_status"]?.stringValue, status != "gray", Vocabulary.emailStatus.contains(status) {
            emailStatus = status
        }
        self.values = values
    }

    /// Email first, then LinkedIn URL; a contact with neither is matched on its name at the same company, among
    /// contacts that have neither either.
    var keys: [String] { Self.keys(stored: values) }

    static func keys(stored values: [String: JSONValue]) -> [String] {
        var keys: [String] = []
        if let email = values["email"]?.stringValue { keys.append("email:" + email.lowercased()) }
        if let url = values["linkedin_url"]?.stringValue { keys.append("linkedin:" + url) }
        if keys.isEmpty {
            let key = values["name_key"]?.stringValue ?? NameKey.person(values["first_name"]?.stringValue, values["last_name"]?.stringValue)
            keys.append("person:\(values["company_id"]?.stringValue ?? "-")|\(key)")
        }
        return keys
    }
}

/// The rows of one entity a batch has seen: stored records it read and new ones it will insert, found by their
/// match keys, with the empty fields each later row fills.
struct BatchRecords {
    let entity: Entity
    let keysOf: ([String: JSONValue]) -> [String]
    private(set) var values: [[String: JSONValue]] = []
    private(set) var isNew: [Bool] = []
    private(set) var patches: [Int: [String: JSONValue]] = [:]
    private var index: [String: Int] = [:]

    init(entity: Entity, keys: @escaping ([String: JSONValue]) -> [String]) {
        self.entity = entity
        keysOf = keys
    }

    /// Adds a stored record (found by a lookup) or a new one; returns its position.
    @discardableResult
    mutating func add(_ record: [String: JSONValue], new: Bool) -> Int {
        let position = values.count
        values.append(record)
        isNew.append(new)
        for key in keysOf(record) where index[key] == nil { index[key] = position }
        return position
    }

    func find(_ keys: [String]) -> Int? {
        for key in keys { if let found = index[key] { return found } }
        return nil
    }

    func id(_ position: Int) -> String { values[position]["id"]?.stringValue ?? "" }

    /// Fills the record's empty fields from `validated` (never blanking a stored value); true when any changed.
    mutating func fill(_ position: Int, _ validated: [String: JSONValue]) -> Bool {
        var changed: [String: JSONValue] = [:]
        for (key, value) in validated where !value.isNull {
            let current = values[position][key] ?? (isNew[position] ? entity.field(key)?.defaultValue ?? .null : .null)
            let empty = current.isNull || current == .string("") || current == .array([]) || current == .object([:])
            if empty && value != current { changed[key] = value }
        }
        guard !changed.isEmpty else { return false }
        set(position, changed)
        return true
    }

    /// Sets fields on a record, to be inserted with it or written as one update of the stored row.
    mutating func set(_ position: Int, _ changed: [String: JSONValue]) {
        values[position].merge(changed) { _, new in new }
        if !isNew[position] { patches[position, default: [:]].merge(changed) { _, new in new } }
        for key in keysOf(values[position]) where index[key] == nil { index[key] = position }
    }

    /// The new records, in the order they were added.
    var inserts: [[String: JSONValue]] { zip(values, isNew).filter(\.1).map(\.0) }
}

/// Raw rows read into drafts, ready to promote. Reading is pure work (field coercion, validation, the company a
/// contact row names), so an importer can prepare the next batch while the database writes the one before.
public struct PreparedRows: Sendable {
    public let kind: String
    let companies: [CompanyDraft]
    let contacts: [Result<ContactDraft, DomainError>]

    /// Reads `rows` as companies, or as contacts when `kind` is "contacts".
    public init(kind: String, rows: [[String: JSONValue]]) {
        self.kind = kind
        if kind == "contacts" {
            companies = []
            contacts = rows.map { row in Result { () throws(DomainError) in try ContactDraft(row) } }
        } else {
            companies = rows.map(CompanyDraft.init)
            contacts = []
        }
    }

    private init(kind: String, companies: [CompanyDraft], contacts: [Result<ContactDraft, DomainError>]) {
        self.kind = kind
        self.companies = companies
        self.contacts = contacts
    }

    public var count: Int { kind == "contacts" ? contacts.count : companies.count }

    /// The one row at `index`, for promoting rows one by one.
    func row(_ index: Int) -> PreparedRows {
        kind == "contacts"
            ? PreparedRows(kind: kind, companies: [], contacts: [contacts[index]])
            : PreparedRows(kind: kind, companies: [companies[index]], contacts: [])
    }
}

extension IntakeRepository {
    /// Rows per lookup statement.
    static let lookupChunk = 500

    /// Promotes rows as one set: reads every stored match in a few `IN (…)` lookups, decides each row in memory
    /// exactly as promoting the rows one after another would, then writes the new rows with multi-row inserts and
    /// each touched stored row with one update. Rows that fail validation are reported and change nothing.
    func promoteBatch(_ prepared: PreparedRows, onConflict: OnConflict, on sql: any SQLDatabase) async throws
        -> [Result<Outcome, DomainError>]
    {
        if prepared.kind == "contacts" { return try await promoteContacts(prepared.contacts, onConflict: onConflict, on: sql) }
        var results: [Result<Outcome, DomainError>] = []
        var companies = try await resolveCompanies(prepared.companies, onConflict: onConflict, on: sql)
        for outcome in companies.outcomes { results.append(outcome.map(\.1)) }
        try await write(&companies.records, on: sql)
        return results
    }

    /// Finds or plans each company; the outcome carries the company's position in the returned records.
    func resolveCompanies(_ drafts: [CompanyDraft?], onConflict: OnConflict, on sql: any SQLDatabase) async throws
        -> (records: BatchRecords, outcomes: [Result<(Int, Outcome), DomainError>])
    {
        var records = BatchRecords(entity: Entities.companies, keys: CompanyDraft.keys(stored:))
        let keys = drafts.compactMap { $0?.keys.first }
        let domains = Set(keys.filter { $0.hasPrefix("domain:") }.map { String($0.dropFirst(7)) })
        let names = Set(keys.filter { $0.hasPrefix("name:") }.map { String($0.dropFirst(5)) })
        let fields = Set(drafts.flatMap { $0?.values.keys.map { $0 } ?? [] } + ["domain", "name", "name_key"])
        for record in try await lookup(Entities.companies, "lower(t.domain)", Array(domains), "t.domain IS NOT NULL", fields: fields, on: sql) {
            records.add(record.values, new: false)
        }
        for record in try await lookup(Entities.companies, "t.name_key", Array(names), "t.domain IS NULL", fields: fields, on: sql) {
            records.add(record.values, new: false)
        }
        var outcomes: [Result<(Int, Outcome), DomainError>] = []
        for draft in drafts {
            guard let draft else {
                outcomes.append(.failure(.badRequest("no company")))
                continue
            }
            do {
                outcomes.append(.success(try plan(draft.keys, asNew: draft.asNew, asFill: draft.asFill, in: &records, onConflict: onConflict)))
            } catch {
                outcomes.append(.failure(error))
            }
        }
        return (records, outcomes)
    }

    /// Decides one row against the records seen so far: a new record, a fill of the one it matches, or nothing.
    /// `asNew` and `asFill` are the row's values validated for a create and for an update.
    func plan(
        _ keys: [String], asNew: Result<[String: JSONValue], DomainError>, asFill: @autoclosure () -> Result<[String: JSONValue], DomainError>,
        in records: inout BatchRecords, onConflict: OnConflict
    ) throws(DomainError) -> (Int, Outcome) {
        guard let match = records.find(keys) else {
            var valid = try asNew.get()
            valid["id"] = .string(UUIDv7.make().lowercased)
            return (records.add(valid, new: true), .inserted)
        }
        if onConflict == .skip { return (match, .skipped) }
        return (match, records.fill(match, try asFill().get()) ? .updated : .skipped)
    }

    func promoteContacts(_ drafts: [Result<ContactDraft, DomainError>], onConflict: OnConflict, on sql: any SQLDatabase) async throws
        -> [Result<Outcome, DomainError>]
    {
        var drafts = drafts
        // Companies first: a contact row's company is found or created (always filling, as a company row would).
        var companies = try await resolveCompanies(drafts.map { (try? $0.get())?.company }, onConflict: .update, on: sql)
        for (i, draft) in drafts.enumerated() {
            guard case .success(var contact) = draft, contact.company != nil else { continue }
            switch companies.outcomes[i] {
            case .success(let (position, _)): contact.values["company_id"] = .string(companies.records.id(position))
            case .failure(let error): drafts[i] = .failure(error); continue
            }
            drafts[i] = .success(contact)
        }
        var contacts = BatchRecords(entity: Entities.contacts, keys: ContactDraft.keys(stored:))
        let keys = drafts.flatMap { (try? $0.get())?.keys ?? [] }
        func values(_ prefix: String) -> [String] { Set(keys.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }).sorted() }
        let nameKeys = Set(drafts.compactMap { (try? $0.get()).flatMap { $0.keys.first?.hasPrefix("person:") == true ? $0.values["name_key"]?.stringValue : nil } })
        var seen = Set<String>()
        let fields = Set(
            drafts.flatMap { (try? $0.get())?.values.keys.map { $0 } ?? [] }
                + ["email", "linkedin_url", "first_name", "last_name", "company_id", "email_status", "name_key"])
        let found =
            try await lookup(Entities.contacts, "lower(t.email)", values("email:"), "t.email IS NOT NULL", fields: fields, on: sql)
            + lookup(Entities.contacts, "t.linkedin_url", values("linkedin:"), "t.linkedin_url IS NOT NULL", fields: fields, on: sql)
            + lookup(Entities.contacts, "t.name_key", nameKeys.sorted(), "t.email IS NULL AND t.linkedin_url IS NULL", fields: fields, on: sql)
        for record in found where seen.insert(record.string("id") ?? "").inserted { contacts.add(record.values, new: false) }

        var results: [Result<Outcome, DomainError>] = []
        for draft in drafts {
            guard case .success(let contact) = draft else {
                if case .failure(let error) = draft { results.append(.failure(error)) }
                continue
            }
            do {
                var (position, outcome) = try plan(
                    contact.keys, asNew: .success(contact.values),
                    asFill: Result { () throws(DomainError) in try Entities.contacts.validate(contact.values, mode: .update) },
                    in: &contacts, onConflict: onConflict)
                // An export's verification colour is recorded when it tells more than gray, and only over gray.
                if let status = contact.emailStatus, outcome != .skipped || onConflict == .update,
                    (contacts.values[position]["email_status"]?.stringValue ?? "gray") == "gray"
                {
                    contacts.set(position, ["email_status": .string(status), "email_checked_at": .string(Timestamp.format(Date()))])
                    if outcome == .skipped { outcome = .updated }
                }
                results.append(.success(outcome))
            } catch {
                results.append(.failure(error))
            }
        }
        try await write(&companies.records, on: sql)
        try await write(&contacts, on: sql)
        return results
    }

    /// Stored records whose `expression` is one of `keys` (and that meet `condition`), in a few `IN (…)` queries.
    /// Only the fields in `fields` (and the id) are read: what matching and filling need.
    func lookup(_ entity: Entity, _ expression: String, _ keys: [String], _ condition: String, fields: Set<String>, on sql: any SQLDatabase)
        async throws -> [Record]
    {
        guard !keys.isEmpty else { return [] }
        var out: [Record] = []
        let dialect = store.dialect
        let entity = Entity(
            table: entity.table, singular: entity.singular, schemaName: entity.schemaName, summary: entity.summary,
            fields: entity.fields.filter { $0.name == "id" || fields.contains($0.name) })
        var start = 0
        while start < keys.count {
            let chunk = keys[start..<min(start + Self.lookupChunk, keys.count)]
            start += Self.lookupChunk
            var query = SQLQueryString(
                "SELECT \(unsafeRaw: dialect.selectList(entity)) FROM \(ident: entity.table) t WHERE \(unsafeRaw: condition) AND \(unsafeRaw: expression) IN (")
            for (i, key) in chunk.enumerated() { query += i == 0 ? "\(bind: key)" : ", \(bind: key)" }
            query += ")"
            let final = query
            out += try await sql.raw(final).all().map { try dialect.record($0, entity) }
        }
        return out
    }

    /// Inserts the batch's new records and applies its fills.
    func write(_ records: inout BatchRecords, on sql: any SQLDatabase) async throws {
        try await store.insertMany(records.entity, records.inserts, on: sql)
        for (position, patch) in records.patches.sorted(by: { $0.key < $1.key }) {
            guard let id = UUID(uuidString: records.id(position)) else { continue }
            try await store.update(records.entity, id, patch, on: sql)
        }
    }
}
