// Column notation and DDL helpers for Postgres migrations from 0003 on.
// Frozen: a change here would change migrations that have shipped; add a new helper instead.

enum PostgresDDL {
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
            case .text(let n): return "\(n) text"
            case .vocab(let n, let words, let d):
                return "\(n) text" + (d.map { " NOT NULL DEFAULT '\($0)'" } ?? "") + check(n, "\(n) IN (\(inList(words)))")
            case .int(let n, let d, let lo, let hi):
                var conds: [String] = []
                if let lo { conds.append("\(n) >= \(lo)") }
                if let hi { conds.append("\(n) <= \(hi)") }
                return "\(n) integer" + (d.map { " NOT NULL DEFAULT \($0)" } ?? "")
                    + (conds.isEmpty ? "" : check(n, conds.joined(separator: " AND ")))
            case .real(let n, let lo): return "\(n) numeric(18,2)" + (lo.map { check(n, "\(n) >= \($0)") } ?? "")
            case .bool(let n, let d): return "\(n) boolean NOT NULL DEFAULT \(d)"
            case .ts(let n, let dn): return "\(n) timestamptz" + (dn ? " DEFAULT now()" : "")
            case .date(let n, let dt): return "\(n) date" + (dt ? " DEFAULT current_date" : "")
            case .json(let n, let array, let nullable):
                let kind = array ? "array" : "object"
                if nullable { return "\(n) jsonb" + check(n, "\(n) IS NULL OR jsonb_typeof(\(n)) = '\(kind)'") }
                return "\(n) jsonb NOT NULL DEFAULT '\(array ? "[]" : "{}")'::jsonb" + check(n, "jsonb_typeof(\(n)) = '\(kind)'")
            case .ref(let n, let target, let required, let cascade):
                return "\(n) uuid" + (required ? " NOT NULL" : "") + " REFERENCES \(target) (id) ON DELETE \(cascade ? "CASCADE" : "SET NULL")"
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
        let body = (["id uuid PRIMARY KEY DEFAULT touchbase_uuid_v7()"] + cols.map { $0.ddl(name) }
            + ["created_at timestamptz NOT NULL DEFAULT now()", "updated_at timestamptz NOT NULL DEFAULT now()"] + extra)
            .joined(separator: ",\n    ")
        let writable = cols.compactMap(\.name)
        return [
            "CREATE TABLE \(name) (\n    \(body)\n)",
            """
            CREATE TRIGGER \(name)_updated_at BEFORE UPDATE OF \(writable.joined(separator: ", ")) ON \(name)
            FOR EACH ROW EXECUTE FUNCTION touchbase_touch_updated_at()
            """,
        ]
    }

    static func addColumns(_ table: String, _ cols: [Col]) -> [String] {
        cols.map { "ALTER TABLE \(table) ADD COLUMN \($0.ddl(table))" }
    }

    static let channelList = ["email", "sms", "call", "linkedin", "mail", "whatsapp", "meeting"]

    /// The updated_at triggers of 0001 are rebuilt to cover the columns 0003 adds.
    static func retouch(_ table: String, _ columns: [String]) -> [String] {
        [
            "DROP TRIGGER \(table)_updated_at ON \(table)",
            """
            CREATE TRIGGER \(table)_updated_at BEFORE UPDATE OF \(columns.joined(separator: ", ")) ON \(table)
            FOR EACH ROW EXECUTE FUNCTION touchbase_touch_updated_at()
            """,
        ]
    }

}
