import Foundation
import SQLKit
import TouchbaseDomain

// Migration 0012: imports keep what they cannot map and match names the same way on both engines.
// - companies and contacts get `custom_fields` (a JSON object: an import's columns that map to no field, by header)
//   and `name_key` (the name as matched, worked out in Swift: NFKC, case folding, legal suffixes set aside), with
//   partial indexes for the rows matched on names (no domain; no email and no LinkedIn URL). The `lower(name)`
//   indexes of 0007 go: SQLite's lower() folds ASCII only, which made re-runs add companies such as
//   `Menderes Tekstil A.Ş.` again and again. Rows already stored get their key here (`backfill0012`).
// - a contact may be known by email or LinkedIn URL alone: `first_name` defaults to ''.
// - `contacts.source` also takes salesforce and csv; an import job may end `completed_with_errors` and records the
//   file's name and encoding, and can be undone (`undone`, `undone_at`); the audit rows an import wrote are
//   found by a partial index on `changed_by`.
// - SQLite's audit triggers write booleans as JSON true/false, as PostgreSQL's do (they wrote 0/1); on both engines
//   an update that moves only `name_key` is not audited (the names it comes from are).
// SQLite changes a CHECK or a DEFAULT by rewriting the table's stored definition (the procedure SQLite documents
// for changes that leave the stored rows valid: looser checks, new defaults), with `writable_schema` and a new
// schema version, in the migration's transaction.
// A shipped migration is never edited.

extension Migrations {
    static let columns0012 = ["custom_fields"]

    /// 0008's rollups, and `name_key`: worked out from the names, whose changes are audited already, so a write that
    /// moves only the key (this migration's backfill) leaves no audit row.
    static let rollupColumns0012: [String: [String]] = rollupColumns0008.merging(
        ["companies": ["total_contacts", "active_conversations", "name_key"], "contacts": ["total_touchpoints", "last_engaged_at", "name_key"]]
    ) { _, new in new }

    static let sqlite0012: [String] =
        SQLiteDDL.addColumns("companies", [.json("custom_fields"), .raw("name_key TEXT")])
        + SQLiteDDL.addColumns("contacts", [.json("custom_fields"), .raw("name_key TEXT")])
        + SQLiteDDL.addColumns("imports", [.raw("file_name TEXT"), .raw("encoding TEXT"), .raw("undone_at TEXT")])
        + [
            "DROP INDEX ix_companies__name_without_domain",
            "DROP INDEX ix_contacts__name_without_keys",
            "CREATE INDEX ix_companies__name_key ON companies (name_key) WHERE domain IS NULL",
            "CREATE INDEX ix_contacts__name_key ON contacts (name_key) WHERE email IS NULL AND linkedin_url IS NULL",
            "CREATE INDEX ix_audit_log__import ON audit_log (changed_by) WHERE changed_by LIKE 'import:%'",
        ]
        + SQLiteDDL.retouch("companies", companyColumns0001 + companyColumns0003 + companyColumns0006 + columns0012)
        + SQLiteDDL.retouch("contacts", contactColumns0001 + contactColumns0003 + contactColumns0006 + columns0012)

    static let postgres0012: [String] =
        PostgresDDL.addColumns("companies", [.json("custom_fields"), .raw("name_key text")])
        + PostgresDDL.addColumns("contacts", [.json("custom_fields"), .raw("name_key text")])
        + PostgresDDL.addColumns("imports", [.raw("file_name text"), .raw("encoding text"), .raw("undone_at timestamptz")])
        + [
            "DROP INDEX ix_companies__name_without_domain",
            "DROP INDEX ix_contacts__name_without_keys",
            "CREATE INDEX ix_companies__name_key ON companies (name_key) WHERE domain IS NULL",
            "CREATE INDEX ix_contacts__name_key ON contacts (name_key) WHERE email IS NULL AND linkedin_url IS NULL",
            "CREATE INDEX ix_audit_log__import ON audit_log (changed_by) WHERE changed_by LIKE 'import:%'",
            "CREATE INDEX ix_companies__custom_fields ON companies USING gin (custom_fields jsonb_path_ops)",
            "CREATE INDEX ix_contacts__custom_fields ON contacts USING gin (custom_fields jsonb_path_ops)",
            "ALTER TABLE contacts ALTER COLUMN first_name SET DEFAULT ''",
            "ALTER TABLE contacts DROP CONSTRAINT ck_contacts__source",
            "ALTER TABLE contacts ADD CONSTRAINT ck_contacts__source CHECK (source IN (\(PostgresDDL.inList(sources0012))))",
            "ALTER TABLE imports DROP CONSTRAINT ck_imports__status",
            "ALTER TABLE imports ADD CONSTRAINT ck_imports__status CHECK (status IN (\(PostgresDDL.inList(importStatus0012))))",
        ]
        + PostgresDDL.retouch("companies", companyColumns0001 + companyColumns0003 + companyColumns0006 + columns0012)
        + PostgresDDL.retouch("contacts", contactColumns0001 + contactColumns0003 + contactColumns0006 + columns0012)
        + ["companies", "contacts"].map { table in
            "SELECT touchbase_audit_triggers('\(table)', ARRAY[" + (rollupColumns0012[table] ?? []).map { "'\($0)'" }.joined(separator: ", ")
                + "]::text[])"
        }

    static let sources0012 = ["sales_nav", "apollo", "manual", "referral", "hubspot", "linkedin", "import", "api", "salesforce", "csv"]
    static let importStatus0012 = ["queued", "running", "completed", "completed_with_errors", "failed", "undone"]

    /// SQLite: the stored definitions rewritten (looser checks, a default), then every audit trigger written anew.
    static func sqliteFromSchema0012(_ sql: any SQLDatabase) async throws -> [String] {
        let oldSources = "source IN (\(SQLiteDDL.inList(Array(sources0012.prefix(8)))))"
        let newSources = "source IN (\(SQLiteDDL.inList(sources0012)))"
        let oldStatus = "status IN ('queued','running','completed','failed')"
        let newStatus = "status IN (\(SQLiteDDL.inList(importStatus0012)))"
        let version = try await sql.raw("PRAGMA schema_version").first()?.decode(column: "schema_version", as: Int.self) ?? 0
        func replace(_ table: String, _ old: String, _ new: String) -> String {
            "UPDATE sqlite_schema SET sql = replace(sql, '\(old.replacingOccurrences(of: "'", with: "''"))', '\(new.replacingOccurrences(of: "'", with: "''"))') "
                + "WHERE type = 'table' AND name = '\(table)' AND instr(sql, '\(old.replacingOccurrences(of: "'", with: "''"))') > 0"
        }
        // Each edit must find its text: a definition that does not hold it would leave the old rule in force.
        for (table, old) in [("contacts", oldSources), ("contacts", "first_name TEXT NOT NULL,"), ("imports", oldStatus)] {
            let ddl = try await sql.raw("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = \(bind: table)").first()?
                .decode(column: "sql", as: String.self) ?? ""
            guard ddl.contains(old) else { throw DomainError.badRequest("migration 0012: \(table)'s definition has no '\(old)'") }
        }
        return [
            "PRAGMA writable_schema = ON",
            replace("contacts", oldSources, newSources),
            replace("contacts", "first_name TEXT NOT NULL,", "first_name TEXT NOT NULL DEFAULT '',"),
            replace("imports", oldStatus, newStatus),
            "PRAGMA schema_version = \(version + 1)",
            "PRAGMA writable_schema = OFF",
        ]
            + (try await sqliteAuditTriggers0012(sql))
    }

    /// 0008's audit triggers (from 0005's frozen generator) with `name_key` among the rollups and each boolean column
    /// (a `col IN (0, 1)` check) written as JSON true/false, as PostgreSQL's `to_jsonb` writes it.
    static func sqliteAuditTriggers0012(_ sql: any SQLDatabase) async throws -> [String] {
        let tables = auditedTables0005 + auditedTables0006
        var statements = try await sqliteAuditTriggers(sql, tables: tables, rollups: rollupColumns0012, changesOnly: true)
        for table in tables {
            let ddl = try await sql.raw("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = \(bind: table)").first()?
                .decode(column: "sql", as: String.self) ?? ""
            let booleans = try await sql.raw("SELECT name FROM pragma_table_xinfo(\(bind: table))").all()
                .map { try $0.decode(column: "name", as: String.self) }.filter { ddl.contains("\($0) IN (0, 1)") }
            for i in statements.indices where statements[i].contains(" ON \(table) ") {
                for column in booleans {
                    for row in ["NEW", "OLD"] {
                        let json = "'\(column)', CASE WHEN \(row).\(column) IS NULL THEN NULL WHEN \(row).\(column) THEN json('true') ELSE json('false') END"
                        for end in [",", ")"] {
                            statements[i] = statements[i].replacingOccurrences(of: "'\(column)', \(row).\(column)\(end)", with: json + end)
                        }
                    }
                }
            }
        }
        return statements
    }

    /// Works out `name_key` for the companies and contacts stored before 0012, a thousand rows a statement.
    static func backfill0012(_ sql: any SQLDatabase, _ dialect: Dialect) async throws {
        for entity in [Entities.companies, Entities.contacts] {
            guard let rule = entity.nameKey else { continue }
            let columns = rule.sources.joined(separator: ", ")
            while true {
                let rows = try await sql.raw(
                    "SELECT id, \(unsafeRaw: columns) FROM \(ident: entity.table) WHERE name_key IS NULL ORDER BY id LIMIT 1000"
                ).all()
                if rows.isEmpty { break }
                for row in rows {
                    var values: [String: JSONValue] = [:]
                    for source in rule.sources {
                        if let text = try row.decode(column: source, as: String?.self) { values[source] = .string(text) }
                    }
                    let id = try dialect.engine == .postgres ? row.decode(column: "id", as: UUID.self).lowercased : row.decode(column: "id", as: String.self)
                    try await sql.raw(
                        "UPDATE \(ident: entity.table) SET name_key = \(bind: rule.key(values)) WHERE id = \(dialect.bind(.string(id), as: .uuid))"
                    ).run()
                }
            }
        }
    }
}
