import Foundation
import Hummingbird
import TouchbaseDomain
import TouchbaseImport
import TouchbaseService
import TouchbaseStore

extension Routes {
    /// `POST /api/v1/imports` (a CSV body, or multipart with a file part) starts the same import as
    /// `touchbase import`, as a job; the job is read back with the `imports` resource and its refused rows as CSV.
    /// Uploads larger than `maxUpload` bytes are refused with 413 (read up to the limit, then dropped).
    static func imports(database: Database, jobs: ImportJobs, maxUpload: Int) -> [Endpoint] {
        let store = RecordStore(database: database)
        let text: JSONValue = ["type": "string"]
        return [
            Endpoint(
                .post, "/api/v1/imports", "createImport",
                "Import a CSV of companies or contacts as a job (same rules as `touchbase import`); poll the job for progress",
                tag: "imports", access: .write,
                parameters: [
                    Parameter(name: "kind", location: "query", required: true, schema: ["type": "string", "enum": ["companies", "contacts"]], summary: "What the rows are."),
                    .query("format", ["type": "string", "enum": ["apollo", "hubspot", "linkedin", "salesforce", "generic"]], "The layout (default: detected from the header row)."),
                    .query("encoding", ["type": "string"], "The file's text encoding: utf-8, utf-16le, utf-16be, windows-1252, iso-8859-1 or macintosh (default: detected)."),
                    .query("skip_lines", ["type": "integer", "minimum": 0], "Lines before the header row (default: the header row is found past a preamble)."),
                    .query("max_errors", ["type": "integer", "minimum": 1], "Stop after this many refused rows; the rows before stay in."),
                    .query("file_name", text, "The file's name, recorded on the job (multipart uploads give their own)."),
                    .query("on_conflict", ["type": "string", "enum": ["update", "skip"]], "update (default: fill empty fields, never blank a stored one) or skip."),
                    .query("dry_run", ["type": "boolean"], "Validate every row, write nothing."),
                    .query("map", text, "Header=field mappings, comma-separated (e.g. Job Level=seniority_level); Header=- ignores a column."),
                ],
                requestContent: [
                    "required": true,
                    "content": [
                        "text/csv": ["schema": ["type": "string"]],
                        "multipart/form-data": ["schema": ["type": "object", "properties": ["file": ["type": "string", "format": "binary"]], "required": ["file"]]],
                    ],
                ],
                status: 202, response: OpenAPI.ref("ImportJob"), problems: [400, 413, 415, 422]
            ) { request, _ in
                let tooLarge = Problem(
                    status: .contentTooLarge, title: "Content Too Large",
                    detail: "The upload is larger than this server's limit of \(ByteCount.text(maxUpload)) (TOUCHBASE_MAX_UPLOAD); split the file, or import it with 'touchbase import' on the server.")
                if let declared = request.headers[.contentLength].flatMap(Int.init), declared > maxUpload { throw tooLarge }
                let options = try importOptions(request)
                let contentType = request.headers[.contentType] ?? "text/csv"
                let boundary = Multipart.boundary(contentType)
                let media = contentType.split(separator: ";").first.map { $0.trimmed.lowercased() } ?? ""
                guard boundary != nil || ["text/csv", "application/csv", "text/plain", "application/octet-stream", "application/vnd.ms-excel"].contains(media) else {
                    throw Problem(status: .unsupportedMediaType, title: "Unsupported Media Type", detail: "Send the CSV as text/csv, or as the 'file' part of multipart/form-data; got \(contentType).")
                }
                let upload = try await jobs.receive(request.body, boundary: boundary, maxUpload: maxUpload, tooLarge: tooLarge)
                let fileName = upload.fileName ?? HTTP.query(request, "file_name") ?? "upload.csv"
                let job = try await jobs.start(id: upload.id, upload: upload.file, fileName: fileName, options: options, actor: AuditContext.actor)
                var response = HTTP.record(job, status: .accepted)
                response.headers[.location] = "/api/v1/imports/\(upload.id.lowercased)"
                return response
            },
            Endpoint(
                .get, "/api/v1/imports/{id}/errors", "getImportErrors",
                "The rows an import refused, as CSV: line, reason, then the row as it was read", tag: "imports", access: .read,
                parameters: [.path("id", "The import's id.")], problems: [404]
            ) { _, context in
                let id = try HTTP.id(context, entity: "import")
                guard try await store.exists(Entities.importJobs, id) else { throw DomainError.notFound(entity: "import", id: id.lowercased) }
                let file = jobs.errorsFile(id)
                let body = (try? String(contentsOf: file, encoding: .utf8)) ?? "line,reason\n"
                return HTTP.text(body, contentType: "text/csv; charset=utf-8")
            },
            Endpoint(
                .delete, "/api/v1/imports/{id}", "undoImport",
                "Undo an import: remove the rows it created and put back what it changed (from the audit log); 409 when later writes touched them",
                tag: "imports", access: .write, parameters: [.path("id", "The import's id.")],
                status: 200, response: OpenAPI.ref("ImportJob"), problems: [404, 409]
            ) { _, context in
                let id = try HTTP.id(context, entity: "import")
                _ = try await jobs.undo(id)
                return HTTP.record(try await store.get(Entities.importJobs, id), status: .ok)
            },
        ] + Resources.endpoints(Entities.importJobs, store: store, writes: Writes(database: database))
    }

    /// The import's options from the query string, or a 422 naming the bad one.
    static func importOptions(_ request: Request) throws -> ImportOptions {
        guard let kind = HTTP.query(request, "kind") else { throw DomainError.invalid("kind", "is required: companies or contacts") }
        guard ["companies", "contacts"].contains(kind) else { throw DomainError.invalid("kind", "must be companies or contacts; got '\(kind)'") }
        var format: ImportFormat?
        if let text = HTTP.query(request, "format") {
            guard let f = ImportFormat(rawValue: text) else { throw DomainError.invalid("format", "must be apollo, hubspot, linkedin, salesforce or generic; got '\(text)'") }
            format = f
        }
        var encoding: TextEncoding?
        if let text = HTTP.query(request, "encoding") {
            guard let e = TextEncoding(name: text) else { throw DomainError.invalid("encoding", "must be \(TextEncoding.names); got '\(text)'") }
            encoding = e
        }
        func count(_ name: String, minimum: Int) throws -> Int? {
            guard let text = HTTP.query(request, name) else { return nil }
            guard let n = Int(text), n >= minimum else { throw DomainError.invalid(name, "must be an integer of at least \(minimum); got '\(text)'") }
            return n
        }
        let skipLines = try count("skip_lines", minimum: 0)
        let maxErrors = try count("max_errors", minimum: 1)
        let conflict = HTTP.query(request, "on_conflict") ?? "update"
        guard let onConflict = IntakeRepository.OnConflict(rawValue: conflict) else { throw DomainError.invalid("on_conflict", "must be update or skip; got '\(conflict)'") }
        var mappings: [String: String] = [:]
        for (key, value) in request.uri.queryParameters where key == "map" {
            for pair in String(value).split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).trimmed }
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { throw DomainError.invalid("map", "takes Header=field; got '\(pair)'") }
                mappings[parts[0]] = parts[1]
            }
        }
        return ImportOptions(
            kind: kind, format: format, mappings: mappings, onConflict: onConflict, dryRun: try HTTP.bool(request, "dry_run", default: false),
            encoding: encoding, skipLines: skipLines, maxErrors: maxErrors)
    }
}
