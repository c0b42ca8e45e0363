import Foundation
import SQLKit
import TouchbaseDomain

/// The outcome of promoting an intake load.
public struct PromotionResult: Sendable {
    public var inserted = 0
    public var updated = 0
    public var skipped = 0
    public var failed = 0
    public var errors: [(row: Int, reason: String)] = []

    public var json: JSONValue {
        [
            "inserted": .int(Int64(inserted)), "updated": .int(Int64(updated)), "skipped": .int(Int64(skipped)),
            "failed": .int(Int64(failed)),
            "errors": .array(errors.map { ["row": .int(Int64($0.row)), "reason": .string($0.reason)] }),
        ]
    }
}

/// Promotes staged raw rows (seed 004's intake.raw_loads) into companies and contacts.
///
/// Each row is validated like an API write (unknown columns are ignored; `company_name`, `website` and
/// `full_name` are understood). Companies are matched on their normalised domain, contacts on email
/// (case-insensitively) and then LinkedIn URL; a contact row's company is found or created from `company_domain`,
/// its email's domain or `company_name`. A match only has its empty fields filled, never a stored value
/// blanked, so promoting the same load again changes nothing. Rows commit together, each in a savepoint: a bad
/// row is undone alone and reported, and the others go in.
public struct IntakeRepository: Sendable {
    public let store: RecordStore
    public init(database: Database) { store = RecordStore(database: database) }

    /// What to do when a row matches a stored record.
    public enum OnConflict: String, Sendable { case update, skip }

    /// What promoting one row did.
    public enum Outcome: Sendable { case inserted, updated, skipped }

    /// Promotes one raw row into companies or contacts (see the type's description), in its own transaction.
    public func promote(kind: String, row: [String: JSONValue], onConflict: OnConflict = .update) async throws -> Outcome {
        try await store.database.transaction { sql in try await promote(kind: kind, row: row, onConflict: onConflict, on: sql) }
    }

    /// Promotes one raw row on a connection, inside the caller's transaction.
    public func promote(kind: String, row: [String: JSONValue], onConflict: OnConflict = .update, on sql: any SQLDatabase)
        async throws -> Outcome
    {
        kind == "contacts"
            ? try await promoteContact(row, onConflict: onConflict, on: sql)
            : try await promoteCompany(row, onConflict: onConflict, on: sql).outcome
    }

    /// Promotes many rows in one transaction; each row sits in a savepoint, so a bad row is undone alone and
    /// reported with its index while the others commit together.
    public func promote(kind: String, rows: [[String: JSONValue]], onConflict: OnConflict = .update) async throws
        -> [Result<Outcome, DomainError>]
    {
        try await store.database.transaction { sql in
            var results: [Result<Outcome, DomainError>] = []
            for row in rows {
                try await sql.raw("SAVEPOINT touchbase_row").run()
                do {
                    results.append(.success(try await promote(kind: kind, row: row, onConflict: onConflict, on: sql)))
                    try await sql.raw("RELEASE SAVEPOINT touchbase_row").run()
                } catch {
                    try await sql.raw("ROLLBACK TO SAVEPOINT touchbase_row").run()
                    try await sql.raw("RELEASE SAVEPOINT touchbase_row").run()
                    guard let domain = StoreErrors.translate(error) as? DomainError else { throw error }
                    results.append(.failure(domain))
                }
            }
            return results
        }
    }

    public func promote(loadID: UUID) async throws -> PromotionResult {
        let load = try await store.get(Entities.intakeLoads, loadID)
        let rows = load["rows"].arrayValue ?? []
        let kind = load.string("kind") ?? "companies"
        var result = PromotionResult()
        var objects: [(Int, [String: JSONValue])] = []
        for (index, raw) in rows.enumerated() {
            if case .object(let object) = raw {
                objects.append((index + 1, object))
            } else {
                result.failed += 1
                result.errors.append((index + 1, "the row is not a JSON object"))
            }
        }
        for (row, outcome) in zip(objects.map(\.0), try await promote(kind: kind, rows: objects.map(\.1))) {
            switch outcome {
            case .success(.inserted): result.inserted += 1
            case .success(.updated): result.updated += 1
            case .success(.skipped): result.skipped += 1
            case .failure(let error):
                result.failed += 1
                result.errors.append((row, error.message))
            }
        }
        result.errors.sort { $0.row < $1.row }
        let summary = result.json
        _ = try await store.database.transaction { sql in
            try await store.apply(
                Entities.intakeLoads, loadID,
                ["status": "promoted", "result": summary, "promoted_at": .string(Timestamp.format(Date()))], on: sql)
        }
        return result
    }

    /// The fields a dry run validates for a row.
    public static func fieldsForDryRun(_ entity: Entity, _ row: [String: JSONValue]) -> [String: JSONValue] { fields(entity, row) }

    /// Known fields of an entity from a raw row; blanks count as absent and text is read as the field's type.
    static func fields(_ entity: Entity, _ row: [String: JSONValue]) -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for (key, value) in row {
            guard let field = entity.field(key), field.access == .writable else { continue }
            if case .string(let s) = value {
                if s.trimmingCharacters(in: .whitespaces).isEmpty { continue }
                out[key] = field.coerce(text: s)
                continue
            }
            if value.isNull { continue }
            out[key] = value
        }
        return out
    }

    /// Inserts the row, or fills the empty fields of the record it matches.
    func upsert(_ entity: Entity, _ values: [String: JSONValue], match: Record?, onConflict: OnConflict, on sql: any SQLDatabase) async throws
        -> (Record, Outcome)
    {
        guard let match else {
            return (try await store.insert(entity, try entity.validate(values, mode: .create), on: sql), .inserted)
        }
        if onConflict == .skip { return (match, .skipped) }
        let validated = try entity.validate(values, mode: .update)
        var fill: [String: JSONValue] = [:]
        for (key, value) in validated {
            let current = match[key]
            let empty = current.isNull || current == .string("") || current == .array([]) || current == .object([:])
            if empty && !value.isNull && value != current { fill[key] = value }
        }
        if fill.isEmpty { return (match, .skipped) }
        let final = fill
        let record = try await store.apply(entity, match.id, final, on: sql)
        return (record, .updated)
    }

    func promoteCompany(_ row: [String: JSONValue], onConflict: OnConflict = .update, on sql: any SQLDatabase) async throws
        -> (record: Record, outcome: Outcome)
    {
        var values = Self.fields(Entities.companies, row)
        if values["name"] == nil, let name = row["company_name"] { values["name"] = name }
        if values["website_url"] == nil, let site = row["website"] { values["website_url"] = site }
        if values["domain"] == nil, let site = values["website_url"]?.stringValue, let domain = try? Field.normalize(site, .domain) {
            values["domain"] = .string(domain)
        }
        var match: Record?
        if let domain = values["domain"]?.stringValue {
            let normalized = (try? Field.normalize(domain, .domain)) ?? domain
            match = try await store.select(Entities.companies, where: [("domain", .string(normalized))], limit: 1, on: sql).first
        }
        return try await upsert(Entities.companies, values, match: match, onConflict: onConflict, on: sql)
    }

    func promoteContact(_ row: [String: JSONValue], onConflict: OnConflict = .update, on sql: any SQLDatabase) async throws -> Outcome {
        var values = Self.fields(Entities.contacts, row)
        if values["first_name"] == nil, let full = row["full_name"]?.stringValue?.trimmingCharacters(in: .whitespaces), !full.isEmpty {
            let parts = full.split(separator: " ", maxSplits: 1).map(String.init)
            values["first_name"] = .string(parts[0])
            if parts.count > 1 { values["last_name"] = .string(parts[1]) }
        }
        // Validate before touching companies, so a bad row creates nothing.
        _ = try Entities.contacts.validate(values, mode: .create)
        if values["company_id"] == nil {
            var companyRow: [String: JSONValue] = [:]
            if let d = row["company_domain"] ?? row["domain"] { companyRow["domain"] = d }
            if let w = row["company_website"] ?? row["website"] { companyRow["website_url"] = w }
            if companyRow["domain"] == nil, companyRow["website_url"] == nil, let email = values["email"]?.stringValue,
                let at = email.firstIndex(of: "@")
            {
                companyRow["domain"] = .string(String(email[email.index(after: at)...]))
            }
            if let name = row["company_name"] ?? row["company"] { companyRow["name"] = name }
            for (key, value) in row where key.hasPrefix("company_") && !["company_id", "company_name", "company_domain", "company_website"].contains(key) {
                let field = String(key.dropFirst("company_".count))
                companyRow[field == "linkedin_url" ? "linkedin_company_url" : field] = value
            }
            if companyRow["name"] == nil, let domain = companyRow["domain"]?.stringValue { companyRow["name"] = .string(domain) }
            if companyRow["name"] != nil {
                let (company, _) = try await promoteCompany(companyRow, on: sql)
                values["company_id"] = .string(company.id.lowercased)
            }
        }
        var match: Record?
        if let email = values["email"]?.stringValue, let normalized = try? Field.normalize(email, .email) {
            match = try await store.select(Entities.contacts, where: [("email", .string(normalized))], limit: 1, on: sql).first
        }
        if match == nil, let url = values["linkedin_url"]?.stringValue, let normalized = try? Field.normalize(url, .url) {
            match = try await store.select(Entities.contacts, where: [("linkedin_url", .string(normalized))], limit: 1, on: sql).first
        }
        let (contact, outcome) = try await upsert(Entities.contacts, values, match: match, onConflict: onConflict, on: sql)
        // A verification colour in the row (an export's email status) is recorded when it tells more than gray.
        // Like any other field, it only fills a blank: a stored colour other than gray is kept.
        if let status = row["email_status"]?.stringValue, status != "gray", contact.string("email_status") == "gray",
            outcome != .skipped || onConflict == .update
        {
            _ = try await store.apply(
                Entities.contacts, contact.id, ["email_status": .string(status), "email_checked_at": .string(Timestamp.format(Date()))],
                on: sql)
            return outcome == .skipped ? .updated : outcome
        }
        return outcome
    }
}
