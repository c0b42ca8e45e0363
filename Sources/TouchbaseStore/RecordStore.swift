import Foundation
import SQLKit
import TouchbaseDomain

/// A page of a list: the records and the cursor of the next page, if there is one.
public struct Page: Sendable {
    public let records: [Record]
    public let nextCursor: String?
}

/// What a list asks for: equality filters on fields, an optional full-text query, a page size and a cursor.
public struct ListQuery: Sendable {
    public var filters: [String: JSONValue]
    public var search: String?
    /// `custom_fields` keys and the text their value must equal (`?custom.apollo_stage=Cold`).
    public var custom: [String: String] = [:]
    public var limit: Int
    public var cursor: UUID?

    public static let defaultLimit = 50
    public static let maxLimit = 500
    /// Rows a page of a list examines at most when its filters have no index to walk (see `RecordStore.list`).
    public static let defaultScanBudget = 10_000
    public var scanBudget = ListQuery.defaultScanBudget
    /// Newest first (id descending), the cursor going back; a full-text search keeps its index's order.
    public var descending = false

    public init(
        filters: [String: JSONValue] = [:], search: String? = nil, custom: [String: String] = [:], limit: Int = defaultLimit, cursor: UUID? = nil
    ) {
        self.filters = filters
        self.custom = custom
        self.search = search
        self.limit = limit
        self.cursor = cursor
    }
}

/// Create, read, update, delete and list for any described entity. The per-entity repositories and the
/// API's resources are all built on this one piece; no table has hand-written CRUD.
public struct RecordStore: Sendable {
    public let database: Database

    public init(database: Database) { self.database = database }

    var dialect: Dialect { database.dialect }

    func selectList(_ entity: Entity) -> String {
        database.selectLists[entity.table] ?? dialect.selectList(entity)
    }

    // MARK: create

    /// Validates `input` and inserts it; returns the stored row with the database's defaults and triggers applied.
    public func create(_ entity: Entity, _ input: [String: JSONValue]) async throws -> Record {
        let values = try entity.validate(input, mode: .create)
        return try await database.transaction { sql in
            try await insert(entity, values, on: sql)
        }
    }

    /// Inserts already-validated values on a connection (inside the caller's transaction).
    public func insert(_ entity: Entity, _ values: [String: JSONValue], on sql: any SQLDatabase) async throws -> Record {
        try await checkReferences(entity, values, on: sql)
        var (values, secrets) = Self.takingSecrets(entity, values)
        let id = values["id"]?.stringValue ?? UUIDv7.make().lowercased
        values["id"] = .string(id)
        let fields = entity.fields.filter { values[$0.name] != nil }
        do {
            try await sql.insert(into: entity.table)
                .columns(fields.map(\.name))
                .values(fields.map { dialect.bind(values[$0.name]!, as: $0.type) })
                .run()
        } catch {
            throw StoreErrors.translate(error)
        }
        try await keep(secrets, of: id, on: sql)
        guard let record = try await fetch(entity, UUID(uuidString: id)!, on: sql) else {
            throw DomainError.notFound(entity: entity.singular, id: id)
        }
        return record
    }

    /// Bound values per statement of a multi-row insert (both engines take more: SQLite 32,766, PostgreSQL 65,535).
    static let maxBinds = 30_000

    /// Inserts many validated rows, each with its `id`; omitted fields take the database's defaults. On PostgreSQL
    /// the rows are copied (see `copyMany`); on SQLite they go in multi-row `INSERT`s, as many rows a statement as
    /// the binds allow, each statement holding rows that give the same fields (SQLite has no `DEFAULT` in a
    /// values list). References are not checked first: a missing one fails with the engine's foreign-key error.
    public func insertMany(_ entity: Entity, _ rows: [[String: JSONValue]], on sql: any SQLDatabase) async throws {
        if dialect.engine == .postgres, try await copyMany(entity, rows, on: sql) { return }
        var groups: [[String]: [[String: JSONValue]]] = [:]
        var order: [[String]] = []
        for row in rows {
            let names = entity.fields.map(\.name).filter { row[$0] != nil }
            if groups[names] == nil { order.append(names) }
            groups[names, default: []].append(row)
        }
        for names in order {
            let group = groups[names]!
            let types = names.map { entity.field($0)!.type }
            let perStatement = max(1, Self.maxBinds / max(names.count, 1))
            var start = 0
            while start < group.count {
                var builder = sql.insert(into: entity.table).columns(names)
                for row in group[start..<min(start + perStatement, group.count)] {
                    builder = builder.values(zip(names, types).map { dialect.bind(row[$0.0]!, as: $0.1) })
                }
                start += perStatement
                do {
                    try await builder.run()
                } catch {
                    throw StoreErrors.translate(error)
                }
            }
        }
    }

    /// A 422 naming the field when a referenced row does not exist (clearer than the engine's foreign-key error).
    func checkReferences(_ entity: Entity, _ values: [String: JSONValue], on sql: any SQLDatabase) async throws {
        var issues: [FieldIssue] = []
        for field in entity.fields {
            guard let target = field.references, let value = values[field.name], let text = value.stringValue,
                let id = UUID(uuidString: text)
            else { continue }
            let found = try await sql.raw("SELECT 1 AS one FROM \(ident: target) WHERE id = \(dialect.bind(id))").first()
            if found == nil {
                let singular = Entities.named(target)?.singular ?? target
                issues.append(FieldIssue(field: field.name, message: "no \(singular) with id \(text)"))
            }
        }
        if !issues.isEmpty { throw DomainError.validation(issues) }
    }

    // MARK: read

    public func get(_ entity: Entity, _ id: UUID) async throws -> Record {
        try await database.withConnection { sql in
            guard let record = try await fetch(entity, id, on: sql) else {
                throw DomainError.notFound(entity: entity.singular, id: id.lowercased)
            }
            return record
        }
    }

    public func exists(_ entity: Entity, _ id: UUID) async throws -> Bool {
        try await database.withConnection { sql in
            try await sql.raw("SELECT 1 AS one FROM \(ident: entity.table) WHERE id = \(dialect.bind(id))").first() != nil
        }
    }

    public func fetch(_ entity: Entity, _ id: UUID, on sql: any SQLDatabase) async throws -> Record? {
        let query = SQLQueryString("SELECT \(unsafeRaw: selectList(entity)) FROM \(ident: entity.table) WHERE id = \(dialect.bind(id))")
        return try await sql.raw(query).first().map { try dialect.record($0, entity) }
    }

    /// Records matching every `field = value` condition, in `order` (default: id, which is creation order).
    public func select(
        _ entity: Entity, where conditions: [(String, JSONValue)] = [], order: String? = nil, limit: Int? = nil,
        on sql: (any SQLDatabase)? = nil
    ) async throws -> [Record] {
        var query = SQLQueryString("SELECT \(unsafeRaw: selectList(entity)) FROM \(ident: entity.table) t WHERE 1 = 1")
        query += equalities(entity, conditions)
        query += SQLQueryString(" ORDER BY \(unsafeRaw: order ?? "t.id")")
        if let limit { query += " LIMIT \(literal: limit)" }
        let finalQuery = query
        let run: @Sendable (any SQLDatabase) async throws -> [Record] = { sql in
            try await sql.raw(finalQuery).all().map { try dialect.record($0, entity) }
        }
        if let sql { return try await run(sql) }
        return try await database.withConnection(run)
    }

    /// The records whose `column` is one of `values` (in no particular order).
    public func select(_ entity: Entity, whereIn column: String, _ values: [JSONValue]) async throws -> [Record] {
        guard let field = entity.field(column), !values.isEmpty else { return [] }
        var query = SQLQueryString("SELECT \(unsafeRaw: selectList(entity)) FROM \(ident: entity.table) t WHERE t.\(ident: column) IN (")
        for (i, value) in values.enumerated() {
            if i > 0 { query += ", " }
            query += SQLQueryString("\(dialect.bind(value, as: field.type))")
        }
        query += ")"
        let finalQuery = query
        let dialect = dialect
        return try await database.withConnection { sql in try await sql.raw(finalQuery).all().map { try dialect.record($0, entity) } }
    }

    /// The records with these ids, by lowercase id, read 200 at a time (ids not found are left out).
    public func records(_ entity: Entity, ids: some Sequence<String>) async throws -> [String: Record] {
        var out: [String: Record] = [:]
        let unique = Array(Set(ids.map { $0.lowercased() }))
        for start in stride(from: 0, to: unique.count, by: 200) {
            for record in try await select(entity, whereIn: "id", unique[start..<min(start + 200, unique.count)].map { .string($0) }) {
                out[record.id.lowercased] = record
            }
        }
        return out
    }

    /// ` AND t.field = value` for each condition; emails and domains compare case-insensitively (their unique
    /// indexes are on `lower(…)`, which serves these lookups too).
    func equalities(_ entity: Entity, _ conditions: [(String, JSONValue)]) -> SQLQueryString {
        var sql = SQLQueryString("")
        for (name, value) in conditions {
            guard let field = entity.field(name) else { continue }
            if value.isNull {
                sql += " AND t.\(ident: name) IS NULL"
            } else if field.normalization == .email || field.normalization == .domain {
                // The unique index is partial (WHERE col IS NOT NULL): say so, or the planner cannot use it.
                sql += " AND t.\(ident: name) IS NOT NULL AND lower(t.\(ident: name)) = lower(\(dialect.bind(value, as: field.type)))"
            } else if field.readRule != nil {
                sql += " AND \(unsafeRaw: dialect.readExpression(field, prefix: "t.")) = \(dialect.bind(value, as: field.type))"
            } else {
                sql += " AND t.\(ident: name) = \(dialect.bind(value, as: field.type))"
            }
        }
        return sql
    }

    /// Whether a filter on `field` is served by an index on its key (a reference or a unique field): the list then
    /// reads only the rows with that key. Other filters are checked on a bounded walk (see `list`).
    public static func isKeyFilter(_ field: Field) -> Bool {
        field.references != nil || field.unique || field.normalization == .email || field.normalization == .domain || field.name == "id"
    }

    /// One page of a list, in keyset order after `cursor` (never an OFFSET):
    /// - no filter: a walk of the primary key, `limit` rows from the cursor;
    /// - a filter on a key (`isKeyFilter`): that key's rows by its index, the other filters checked on them, by id;
    /// - a full-text query: on SQLite a walk of the FTS index in its own (row) order with the limit pushed into it;
    ///   on PostgreSQL the GIN index, by id;
    /// - only filters on columns without a key index (and custom fields): a bounded walk — at most
    ///   `ListQuery.scanBudget` (10,000) rows of the walk are examined per page, so a page may hold fewer than `limit`
    ///   records while `next_cursor` still points on.
    public func list(_ entity: Entity, _ q: ListQuery, on connection: (any SQLDatabase)? = nil) async throws -> Page {
        let limit = min(max(q.limit, 1), ListQuery.maxLimit)
        let filters = q.filters.sorted(by: { $0.key < $1.key }).map { ($0.key, $0.value) }
        var residual = SQLQueryString("")
        residual += equalities(entity, filters)
        for (key, value) in q.custom.sorted(by: { $0.key < $1.key }) {
            residual += " AND \(dialect.customFieldCondition(key: key, value: value, alias: "t"))"
        }
        let keyed = filters.contains { entity.field($0.0).map(Self.isKeyFilter) ?? false }
        let hasResidual = !filters.isEmpty || !q.custom.isEmpty
        let table = SQLQueryString("\(ident: entity.table)")
        let select = SQLQueryString("SELECT \(unsafeRaw: selectList(entity)) FROM ")
        var query: SQLQueryString
        /// For a bounded walk: the id of the last row its window examined, with the number it examined (`n`).
        var window: SQLQueryString?
        if let text = q.search, !entity.searchFields.isEmpty {
            // A query with no word to search for (`q="`, an emoji) finds nothing, not everything.
            guard let condition = dialect.searchCondition(entity, query: text, alias: "t") else { return Page(records: [], nextCursor: nil) }
            if dialect.engine == .sqlite, let match = dialect.ftsMatch(text) {
                let fts = SQLQueryString("\(ident: entity.table + "_fts")")
                var inner = SQLQueryString("SELECT rowid FROM ") + fts + " WHERE " + fts + " MATCH \(bind: match)"
                if let cursor = q.cursor { inner += SQLQueryString(" AND rowid > (SELECT rowid FROM ") + table + " WHERE id = \(dialect.bind(cursor)))" }
                // Only the page's rows when nothing else filters; every match when a key does; a bounded window otherwise.
                let innerLimit = !hasResidual ? limit + 1 : (keyed ? Int(Int32.max) : q.scanBudget)
                inner += " ORDER BY rowid LIMIT \(literal: innerLimit)"
                query = select + table + " t WHERE t.rowid IN (" + inner + ")" + residual + " ORDER BY t.rowid LIMIT \(literal: limit + 1)"
                if hasResidual && !keyed {
                    window = SQLQueryString("SELECT t.id, count(*) OVER () AS n FROM ") + table + " t WHERE t.rowid IN (" + inner
                        + ") ORDER BY t.rowid DESC LIMIT 1"
                }
            } else {
                query = select + table + " t WHERE " + SQLQueryString("\(condition)") + residual
                if let cursor = q.cursor { query += " AND t.id > \(dialect.bind(cursor))" }
                query += " ORDER BY t.id LIMIT \(literal: limit + 1)"
            }
        } else if hasResidual && !keyed {
            let (after, order, back) = q.descending ? ("<", "DESC", "ASC") : (">", "ASC", "DESC")
            var walk = SQLQueryString("SELECT * FROM ") + table + " w"
            if let cursor = q.cursor { walk += " WHERE w.id \(unsafeRaw: after) \(dialect.bind(cursor))" }
            walk += " ORDER BY w.id \(unsafeRaw: order) LIMIT \(literal: q.scanBudget)"
            query = select + "(" + walk + ") t WHERE 1 = 1" + residual + " ORDER BY t.id \(unsafeRaw: order) LIMIT \(literal: limit + 1)"
            window = SQLQueryString("SELECT t.id, count(*) OVER () AS n FROM (") + walk + ") t ORDER BY t.id \(unsafeRaw: back) LIMIT 1"
        } else {
            let (after, order) = q.descending ? ("<", " DESC") : (">", "")
            query = select + table + " t WHERE 1 = 1" + residual
            if let cursor = q.cursor { query += " AND t.id \(unsafeRaw: after) \(dialect.bind(cursor))" }
            // A key's rows are found by its index and sorted (`+t.id` keeps SQLite from walking the primary key instead).
            query += SQLQueryString(" ORDER BY \(unsafeRaw: keyed && dialect.engine == .sqlite ? "+t.id" : "t.id")\(unsafeRaw: order) LIMIT \(literal: limit + 1)")
        }
        let finalQuery = query
        let finalWindow = window
        let read: @Sendable (any SQLDatabase) async throws -> Page = { sql in
            let rows = try await sql.raw(finalQuery).all().map { try dialect.record($0, entity) }
            let page = Array(rows.prefix(limit))
            if rows.count > limit { return Page(records: page, nextCursor: page.last?.string("id")) }
            // A bounded walk that examined its whole budget goes on after the last row it examined.
            if let finalWindow, let last = try await sql.raw(finalWindow).first(), try last.decode(column: "n", as: Int.self) >= q.scanBudget,
                let examined = try dialect.decode(last, "id", as: .uuid).stringValue
            {
                return Page(records: page, nextCursor: examined)
            }
            return Page(records: page, nextCursor: nil)
        }
        if let connection { return try await read(connection) }
        return try await database.withConnection(read)
    }

    // MARK: secrets

    /// `values` with the secret of each field that keeps it apart (`Field.secret`, a URL's password) taken out by the
    /// field's normalisation, and the secrets taken (an empty one removes the stored one); the flag says whether one is kept.
    static func takingSecrets(_ entity: Entity, _ values: [String: JSONValue]) -> ([String: JSONValue], [(Field, String)]) {
        var values = values
        var secrets: [(Field, String)] = []
        for field in entity.fields {
            guard let secret = field.secret, case .string(let text)? = values[field.name],
                  let (stored, taken) = field.normalization?.splittingSecret(text)
            else { continue }
            values[field.name] = .string(stored)
            if let password = taken {
                secrets.append((field, password))
                values[secret.flag] = .bool(!password.isEmpty)
            }
        }
        return (values, secrets)
    }

    /// Stores (or, when empty, removes) the passwords taken from a row's URLs, in the caller's transaction.
    func keep(_ secrets: [(Field, String)], of id: String, on sql: any SQLDatabase) async throws {
        for (field, password) in secrets {
            guard let table = field.secret?.table else { continue }
            let owner = dialect.bind(.string(id), as: .uuid)
            if password.isEmpty {
                try await sql.raw("DELETE FROM \(ident: table) WHERE owner_id = \(owner) AND field = \(bind: field.name)").run()
            } else {
                try await sql.raw(
                    """
                    INSERT INTO \(ident: table) (owner_id, field, secret) VALUES (\(owner), \(bind: field.name), \(bind: password))
                    ON CONFLICT (owner_id, field) DO UPDATE SET secret = excluded.secret
                    """
                ).run()
            }
        }
    }

    /// A URL field of a row with its password put back, to connect with; nil when the row or the field is missing.
    /// Only the sending code calls this: no face returns it.
    public func urlWithSecret(_ entity: Entity, _ id: UUID, field name: String) async throws -> String? {
        guard let field = entity.field(name), let table = field.secret?.table else { return nil }
        return try await database.withConnection { sql in
            let row = try await sql.raw(
                """
                SELECT t.\(ident: name) AS url, s.secret FROM \(ident: entity.table) t
                LEFT JOIN \(ident: table) s ON s.owner_id = t.id AND s.field = \(bind: name)
                WHERE t.id = \(dialect.bind(id))
                """
            ).first()
            guard let row, let text = try row.decode(column: "url", as: String?.self) else { return nil }
            return field.normalization?.joiningSecret(text, try row.decode(column: "secret", as: String?.self))
        }
    }

    // MARK: update and delete

    /// Validates `patch` and applies it; returns the stored row after the database's triggers.
    public func update(_ entity: Entity, _ id: UUID, _ patch: [String: JSONValue]) async throws -> Record {
        let values = try entity.validate(patch, mode: .update)
        return try await database.transaction { sql in
            try await apply(entity, id, values, on: sql)
        }
    }

    /// Applies validated values to one row on a connection (inside the caller's transaction).
    public func apply(_ entity: Entity, _ id: UUID, _ values: [String: JSONValue], on sql: any SQLDatabase) async throws -> Record {
        if try await sql.raw("SELECT 1 AS one FROM \(ident: entity.table) WHERE id = \(dialect.bind(id))").first() == nil {
            throw DomainError.notFound(entity: entity.singular, id: id.lowercased)
        }
        try await checkReferences(entity, values, on: sql)
        let (split, secrets) = Self.takingSecrets(entity, values)
        let values = try await completingNameKey(entity, id, split, on: sql)
        try await keep(secrets, of: id.lowercased, on: sql)
        if !values.isEmpty {
            var builder = sql.update(entity.table)
            for field in entity.fields where values[field.name] != nil {
                builder = builder.set(SQLIdentifier(field.name), to: dialect.bind(values[field.name]!, as: field.type))
            }
            let updated: [any SQLRow]
            do {
                updated = try await builder.where(SQLIdentifier("id"), .equal, dialect.bind(id)).returning("id").all()
            } catch {
                throw StoreErrors.translate(error)
            }
            if updated.isEmpty { throw DomainError.notFound(entity: entity.singular, id: id.lowercased) }
        }
        guard let record = try await fetch(entity, id, on: sql) else {
            throw DomainError.notFound(entity: entity.singular, id: id.lowercased)
        }
        return record
    }

    /// Sets validated fields of a row on a connection, without reading it back (bulk work).
    public func update(_ entity: Entity, _ id: UUID, _ values: [String: JSONValue], on sql: any SQLDatabase) async throws {
        guard !values.isEmpty else { return }
        let values = try await completingNameKey(entity, id, values, on: sql)
        var builder = sql.update(entity.table)
        for field in entity.fields where values[field.name] != nil {
            builder = builder.set(SQLIdentifier(field.name), to: dialect.bind(values[field.name]!, as: field.type))
        }
        do {
            try await builder.where(SQLIdentifier("id"), .equal, dialect.bind(id)).run()
        } catch {
            throw StoreErrors.translate(error)
        }
    }

    /// `values` with the name key worked out when they change only some of the names it is made from (the others
    /// are read from the stored row).
    func completingNameKey(_ entity: Entity, _ id: UUID, _ values: [String: JSONValue], on sql: any SQLDatabase) async throws
        -> [String: JSONValue]
    {
        guard entity.nameKeyNeedsStored(values), let rule = entity.nameKey else { return values }
        var sources: [String: JSONValue] = [:]
        let columns = rule.sources.map { "t.\($0)" }.joined(separator: ", ")
        if let row = try await sql.raw("SELECT \(unsafeRaw: columns) FROM \(ident: entity.table) t WHERE t.id = \(dialect.bind(id))").first() {
            for source in rule.sources {
                if let text = try row.decode(column: source, as: String?.self) { sources[source] = .string(text) }
            }
        }
        for source in rule.sources where values[source] != nil { sources[source] = values[source] }
        var values = values
        values["name_key"] = .string(rule.key(sources))
        return values
    }

    public func delete(_ entity: Entity, _ id: UUID) async throws {
        try await database.transaction { sql in
            let deleted: [any SQLRow]
            do {
                deleted = try await sql.delete(from: entity.table).where(SQLIdentifier("id"), .equal, dialect.bind(id))
                    .returning("id").all()
            } catch {
                throw StoreErrors.translate(error)
            }
            if deleted.isEmpty { throw DomainError.notFound(entity: entity.singular, id: id.lowercased) }
        }
    }
}
