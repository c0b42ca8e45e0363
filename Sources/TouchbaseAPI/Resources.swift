import Foundation
import Hummingbird
import TouchbaseDomain
import TouchbaseService
import TouchbaseStore

/// The five CRUD endpoints of every described entity, derived from its description.
enum Resources {
    static let reservedQuery: Set<String> = ["limit", "cursor", "q"]

    /// Writes go through `writes`, so the rules that follow a write (`WriteRules`) are the same as on every face.
    static func endpoints(_ entity: Entity, store: RecordStore, writes: Writes) -> [Endpoint] {
        let base = "/api/v1/\(entity.path)"
        let name = entity.schemaName
        let tag = entity.table
        let idParam = Parameter.path("id", "The \(entity.singular)'s id.")
        var listParams: [Parameter] = [
            .query("limit", ["type": "integer", "minimum": 1, "maximum": .int(Int64(ListQuery.maxLimit)), "default": .int(Int64(ListQuery.defaultLimit))], "Page size."),
            .query("cursor", ["type": "string", "format": "uuid"], "The next_cursor of the previous page."),
        ]
        if !entity.searchFields.isEmpty {
            listParams.append(.query("q", ["type": "string"], "Full-text search over \(entity.searchFields.joined(separator: ", ")); each word matches as a prefix. The limit is pushed into the search: on SQLite pages come in the index's (insertion) order, on PostgreSQL in id order."))
        }
        for field in entity.fields where !field.type.isJSON {
            let how = RecordStore.isKeyFilter(field)
                ? "Served by its index."
                : "Not indexed: each page examines at most \(ListQuery.defaultScanBudget) \(entity.table) in id order, so a page may be short (even empty) while next_cursor goes on."
            listParams.append(.query(field.name, OpenAPI.fieldSchema(field, forFilter: true), "Only \(entity.table) whose \(field.name) equals this. \(how)"))
        }
        var endpoints = [
            Endpoint(
                .get, base, "list\(name)s", "List \(entity.table)", tag: tag, access: .read, parameters: listParams,
                response: OpenAPI.ref("\(name)Page"), problems: [400, 422]
            ) { request, _ in
                let page = try await store.list(entity, try listQuery(entity, request))
                return HTTP.page(page.records, nextCursor: page.nextCursor)
            },
            Endpoint(
                .post, base, "create\(name)", "Create a \(entity.singular)", tag: tag, access: .write,
                request: OpenAPI.ref("\(name)Create"), status: 201, response: OpenAPI.ref(name), problems: [400, 409, 422]
            ) { request, context in
                let record = try await writes.create(entity, try await HTTP.object(request, context: context))
                var response = HTTP.record(record, status: .created)
                response.headers[.location] = "\(base)/\(record.id.lowercased)"
                return response
            },
            Endpoint(
                .get, "\(base)/{id}", "get\(name)", "Get a \(entity.singular)", tag: tag, access: .read, parameters: [idParam],
                response: OpenAPI.ref(name), problems: [404]
            ) { _, context in
                HTTP.record(try await store.get(entity, try HTTP.id(context, entity: entity.singular)))
            },
            Endpoint(
                .patch, "\(base)/{id}", "update\(name)", "Change fields of a \(entity.singular)", tag: tag, access: .write,
                parameters: [idParam], request: OpenAPI.ref("\(name)Update"), response: OpenAPI.ref(name),
                problems: [400, 404, 409, 422]
            ) { request, context in
                let id = try HTTP.id(context, entity: entity.singular)
                let patch = try await HTTP.object(request, context: context)
                let record = try await writes.update(entity, id, patch)
                return HTTP.record(record)
            },
            Endpoint(
                .delete, "\(base)/{id}", "delete\(name)", "Delete a \(entity.singular) (and what depends on it)", tag: tag,
                access: .delete, parameters: [idParam], status: 204, problems: [404]
            ) { _, context in
                try await store.delete(entity, try HTTP.id(context, entity: entity.singular))
                return Response(status: .noContent)
            },
        ]
        if !entity.writable { endpoints = endpoints.filter { $0.method == .get } }
        return endpoints
    }

    /// Reads `limit`, `cursor`, `q` and field filters; an unknown filter is a 400, a bad value a 422.
    static func listQuery(_ entity: Entity, _ request: Request) throws -> ListQuery {
        var query = ListQuery(limit: try HTTP.limit(request))
        if let cursor = HTTP.query(request, "cursor") {
            guard let id = UUID(uuidString: cursor) else { throw DomainError.badRequest("The cursor '\(cursor)' is not one this API gave out.") }
            query.cursor = id
        }
        query.search = HTTP.query(request, "q").flatMap { $0.isEmpty ? nil : $0 }
        var issues: [FieldIssue] = []
        for (key, value) in request.uri.queryParameters {
            let name = String(key)
            if reservedQuery.contains(name) { continue }
            if name.hasPrefix("custom."), entity.field("custom_fields") != nil {
                let key = String(name.dropFirst("custom.".count))
                guard !key.isEmpty else { throw DomainError.badRequest("A custom filter names its key: ?custom.KEY=value.") }
                query.custom[key] = String(value)
                continue
            }
            guard let field = entity.field(name), !field.type.isJSON else {
                throw DomainError.badRequest("Unknown filter '\(name)': filter on a field of \(entity.singular).")
            }
            do {
                query.filters[name] = try field.parseFilter(String(value))
            } catch {
                issues.append(FieldIssue(field: name, message: error.message))
            }
        }
        if !issues.isEmpty { throw DomainError.validation(issues) }
        return query
    }
}
