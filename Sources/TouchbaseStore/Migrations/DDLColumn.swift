import SQLKit

// `DDLColumn`, the column notation both dialects share, is declared where it shipped first: in migration 0022's file
// (Sequences0022.swift, frozen). Migrations from 0024 on list their tables once with it.

extension Migrations {
    /// SQLite audit triggers for `tables` as the schema stands (0005's generator, changed rows only) with each boolean
    /// column (a `col IN (0, 1)` check) written as JSON true/false, as PostgreSQL's `to_jsonb` writes it — what 0012
    /// and 0022 wrote for their own tables, for the tables of a later migration.
    static func sqliteAuditTriggers(jsonBooleans sql: any SQLDatabase, tables: [String], rollups: [String: [String]] = [:]) async throws -> [String] {
        var statements = try await sqliteAuditTriggers(sql, tables: tables, rollups: rollups, changesOnly: true)
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
}
