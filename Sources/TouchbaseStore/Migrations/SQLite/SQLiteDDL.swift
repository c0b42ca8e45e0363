// Column notation and DDL helpers for SQLite migrations from 0003 on.
// Frozen: a change here would change migrations that have shipped; add a new helper instead.

enum SQLiteDDL {
    static let uuid7 = """
        (lower(substr(printf('%012x', CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)), 1, 8) || '-' || \
        substr(printf('%012x', CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)), 9, 4) || '-7' || \
        substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (random() & 3), 1) || \
        substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))))
        """
    static let now = "(strftime('%Y-%m-%dT%H:%M:%fZ','now'))"
    static let nowExpr = "strftime('%Y-%m-%dT%H:%M:%fZ','now')"

    static func inList(_ words: [String]) -> String { words.map { "'\($0.replacingOccurrences(of: "'", with: "''"))'" }.joined(separator: ",") }

    /// Column definitions in a compact notation, expanded to SQLite DDL.
    enum Col {
        case text(String)
        case vocab(String, [String], default: String? = nil)
        case int(String, default: Int? = nil, min: Int? = nil, max: Int? = nil)
        case real(String, min: Double? = nil)
        case bool(String, default: Bool)
        case ts(String, defaultNow: Bool = false)
        case date(String, defaultToday: Bool = false)
        case json(String, array: Bool = false, nullable: Bool = false)
        case ref(String, String, required: Bool = false, cascade: Bool = true)
        case raw(String)

        func ddl(_ table: String) -> String {
            func check(_ name: String, _ cond: String) -> String { " CONSTRAINT ck_\(table)__\(name) CHECK (\(cond))" }
            switch self {
            case .text(let n): return "\(n) TEXT" + check(n, "instr(\(n), char(0)) = 0")
            case .vocab(let n, let words, let d):
                return "\(n) TEXT" + (d.map { " NOT NULL DEFAULT '\($0)'" } ?? "") + check(n, "\(n) IN (\(inList(words)))")
            case .int(let n, let d, let lo, let hi):
                var conds: [String] = []
                if let lo { conds.append("\(n) >= \(lo)") }
                if let hi { conds.append("\(n) <= \(hi)") }
                return "\(n) INTEGER" + (d.map { " NOT NULL DEFAULT \($0)" } ?? "")
                    + (conds.isEmpty ? "" : check(n, conds.joined(separator: " AND ")))
            case .real(let n, let lo): return "\(n) REAL" + (lo.map { check(n, "\(n) >= \($0)") } ?? "")
            case .bool(let n, let d): return "\(n) INTEGER NOT NULL DEFAULT \(d ? 1 : 0)" + check(n, "\(n) IN (0, 1)")
            case .ts(let n, let dn): return "\(n) TEXT" + (dn ? " DEFAULT \(now)" : "")
            case .date(let n, let dt): return "\(n) TEXT" + (dt ? " DEFAULT (date('now'))" : "")
            case .json(let n, let array, let nullable):
                let kind = array ? "array" : "object"
                if nullable { return "\(n) TEXT" + check(n, "\(n) IS NULL OR (json_valid(\(n)) AND json_type(\(n)) = '\(kind)')") }
                return "\(n) TEXT NOT NULL DEFAULT '\(array ? "[]" : "{}")'" + check(n, "json_valid(\(n)) AND json_type(\(n)) = '\(kind)'")
            case .ref(let n, let target, let required, let cascade):
                return "\(n) TEXT" + (required ? " NOT NULL" : "") + " REFERENCES \(target) (id) ON DELETE \(cascade ? "CASCADE" : "SET NULL")"
            case .raw(let s): return s
            }
        }

        var name: String? {
            switch self {
            case .text(let n), .vocab(let n, _, _), .int(let n, _, _, _), .real(let n, _), .bool(let n, _), .ts(let n, _),
                .date(let n, _), .json(let n, _, _), .ref(let n, _, _, _):
                return n
            case .raw(let s): return s.split(separator: " ").first.map(String.init)
            }
        }
    }

    static func table(_ name: String, _ cols: [Col], extra: [String] = []) -> [String] {
        let body = (["id TEXT PRIMARY KEY NOT NULL DEFAULT \(uuid7)"] + cols.map { $0.ddl(name) }
            + ["created_at TEXT NOT NULL DEFAULT \(now)", "updated_at TEXT NOT NULL DEFAULT \(now)"] + extra)
            .joined(separator: ",\n    ")
        let writable = cols.compactMap(\.name)
        return [
            "CREATE TABLE \(name) (\n    \(body)\n)",
            """
            CREATE TRIGGER \(name)_updated_at AFTER UPDATE OF \(writable.joined(separator: ", ")) ON \(name)
            WHEN NEW.updated_at IS OLD.updated_at
            BEGIN UPDATE \(name) SET updated_at = \(nowExpr) WHERE id = NEW.id; END
            """,
        ]
    }

    static func addColumns(_ table: String, _ cols: [Col]) -> [String] {
        cols.map { "ALTER TABLE \(table) ADD COLUMN \($0.ddl(table))" }
    }

    static let channels = ["email", "sms", "call", "linkedin", "mail", "whatsapp", "meeting"]

    /// The updated_at triggers of 0001 are rebuilt to cover the columns 0003 adds.
    static func retouch(_ table: String, _ columns: [String]) -> [String] {
        [
            "DROP TRIGGER \(table)_updated_at",
            """
            CREATE TRIGGER \(table)_updated_at AFTER UPDATE OF \(columns.joined(separator: ", ")) ON \(table)
            WHEN NEW.updated_at IS OLD.updated_at
            BEGIN UPDATE \(table) SET updated_at = \(nowExpr) WHERE id = NEW.id; END
            """,
        ]
    }

}
