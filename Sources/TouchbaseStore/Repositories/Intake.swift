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
        try await promoteBatch(PreparedRows(kind: kind, rows: [row]), onConflict: onConflict, on: sql)[0].get()
    }

    /// Promotes many rows in one transaction (see `promote(kind:rows:onConflict:on:)`).
    public func promote(kind: String, rows: [[String: JSONValue]], onConflict: OnConflict = .update) async throws
        -> [Result<Outcome, DomainError>]
    {
        try await promote(PreparedRows(kind: kind, rows: rows), onConflict: onConflict)
    }

    /// Promotes rows read beforehand (see `PreparedRows`) in one transaction.
    public func promote(_ prepared: PreparedRows, onConflict: OnConflict = .update) async throws -> [Result<Outcome, DomainError>] {
        try await store.database.transaction { sql in try await promote(prepared, onConflict: onConflict, on: sql) }
    }

    /// Promotes many rows inside the caller's transaction, as one set: a few lookups, multi-row inserts, one update per
    /// touched row. A row that fails validation is reported with its index and changes nothing. Should the database
    /// refuse the set (a constraint no lookup foresaw), it is undone and the rows go in one by one, each in a
    /// savepoint, so the refused row alone is reported and the others commit.
    public func promote(kind: String, rows: [[String: JSONValue]], onConflict: OnConflict = .update, on sql: any SQLDatabase)
        async throws -> [Result<Outcome, DomainError>]
    {
        try await promote(PreparedRows(kind: kind, rows: rows), onConflict: onConflict, on: sql)
    }

    func promote(_ prepared: PreparedRows, onConflict: OnConflict, on sql: any SQLDatabase) async throws -> [Result<Outcome, DomainError>] {
        try await sql.raw("SAVEPOINT touchbase_batch").run()
        do {
            let results = try await promoteBatch(prepared, onConflict: onConflict, on: sql)
            try await sql.raw("RELEASE SAVEPOINT touchbase_batch").run()
            return results
        } catch {
            try await sql.raw("ROLLBACK TO SAVEPOINT touchbase_batch").run()
            try await sql.raw("RELEASE SAVEPOINT touchbase_batch").run()
            guard let domain = StoreErrors.translate(error) as? DomainError else { throw error }
            if prepared.count == 1 { return [.failure(domain)] }
        }
        var results: [Result<Outcome, DomainError>] = []
        for index in 0..<prepared.count {
            try await sql.raw("SAVEPOINT touchbase_row").run()
            do {
                results.append(try await promoteBatch(prepared.row(index), onConflict: onConflict, on: sql)[0])
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
                if s.trimmed.isEmpty { continue }
                out[key] = field.coerce(text: s)
                continue
            }
            if value.isNull { continue }
            out[key] = value
        }
        return out
    }
}
