import Foundation
import HTTPTypes
import Hummingbird
import Logging
import TouchbaseDomain
import TouchbaseImport
import TouchbaseService
import TouchbaseStore

typealias Operation = TouchbaseService.Operation

/// The web UI: pages at `/` rendered on the server, signed in with a session cookie, every form carrying the
/// session's CSRF token. Pages read through the operations (and the record store, as the API's lists do); every form
/// that writes runs an operation of the catalogue (`POST /do/{operation}`), checked by its fields and audited as
/// `user:<name>`.
public struct WebFace: Sendable {
    let catalogue: Catalogue
    let store: RecordStore
    let writes: Writes
    let sessions: WebSessionStore
    let users: UserStore
    let tokens: TokenStore
    let views: Views
    let logger: Logger
    /// Where uploads from the imports page run (the server's runner); without it the page says imports are off.
    let importJobs: ImportJobs?
    let maxUpload: Int

    public init(
        database: Database, catalogue: Catalogue, imports: ImportJobs? = nil, maxUpload: Int = 1 << 30, logger: Logger = Logger(label: "touchbase.web")
    ) throws {
        importJobs = imports
        self.maxUpload = maxUpload
        self.catalogue = catalogue
        store = RecordStore(database: database)
        writes = Writes(database: database)
        sessions = WebSessionStore(database: database)
        users = UserStore(database: database)
        tokens = TokenStore(database: database)
        views = try Views.load()
        self.logger = logger
    }

    static let cookie = "tb_session"
    static let loginCookie = "tb_login"
    static let noticeCookie = "tb_notice"

    /// One page or form target: its method, its path (`:name` for a parameter), and what answers it — a page needs a
    /// signed-in session (without one the browser is sent to sign in and brought back); an open route checks its own.
    struct Route: Sendable {
        enum Answer: Sendable {
            case page(@Sendable (Request, WebSession, [String: String]) async throws -> Response)
            case open(@Sendable (Request, [String: String]) async throws -> Response)
        }
        let method: HTTPRequest.Method
        let path: String
        let answer: Answer
    }

    /// Every route of the web UI, the one list the router is built from.
    var table: [Route] {
        func page(_ path: String, _ body: @escaping @Sendable (Request, WebSession, [String: String]) async throws -> Response) -> Route {
            Route(method: .get, path: path, answer: .page(body))
        }
        func open(_ method: HTTPRequest.Method, _ path: String, _ body: @escaping @Sendable (Request, [String: String]) async throws -> Response) -> Route {
            Route(method: method, path: path, answer: .open(body))
        }
        return [
            open(.get, "/static/:file") { _, p in try self.asset(p["file"] ?? "") },
            open(.get, "/login") { request, _ in try await self.loginPage(request, error: nil) },
            open(.post, "/login") { request, _ in try await self.signIn(request) },
            open(.post, "/logout") { request, _ in try await self.signOut(request) },
            page("/") { request, session, _ in try await self.today(request, session) },
            page("/companies") { request, session, _ in try await self.companies(request, session) },
            page("/companies/:id") { request, session, p in try await self.company(request, session, id: p["id"] ?? "") },
            page("/contacts/:id") { request, session, p in try await self.contact(request, session, id: p["id"] ?? "") },
            page("/audit/:table/:id") { request, session, p in try await self.audit(request, session, table: p["table"] ?? "", id: p["id"] ?? "") },
            page("/batches") { request, session, _ in try await self.batches(request, session) },
            page("/batches/:id") { request, session, p in try await self.batch(request, session, id: p["id"] ?? "") },
            page("/experiments/:id") { request, session, p in try await self.experiment(request, session, id: p["id"] ?? "") },
            page("/sequences") { request, session, _ in try await self.sequences(request, session) },
            page("/sequences/:id") { request, session, p in try await self.sequence(request, session, id: p["id"] ?? "") },
            page("/inbound") { request, session, _ in try await self.inbound(request, session) },
            page("/inbound/:id") { request, session, p in try await self.inboundMessage(request, session, id: p["id"] ?? "") },
            page("/queues") { request, session, _ in try await self.queues(request, session) },
            page("/renewals") { request, session, _ in try await self.renewals(request, session) },
            page("/intake") { request, session, _ in try await self.intake(request, session) },
            page("/data-quality") { request, session, _ in try await self.dataQuality(request, session) },
            page("/imports") { request, session, _ in try await self.imports(request, session) },
            open(.post, "/imports") { request, _ in try await self.upload(request) },
            page("/imports/:id") { request, session, p in try await self.importJob(request, session, id: p["id"] ?? "") },
            page("/imports/:id/errors") { request, session, p in try await self.importErrors(request, session, id: p["id"] ?? "") },
            page("/agents") { request, session, _ in try await self.agents(request, session) },
            page("/agent-runs/:id") { request, session, p in try await self.agentRun(request, session, id: p["id"] ?? "") },
            page("/do/:operation") { request, session, p in
                try await self.operationForm(request, session, name: p["operation"] ?? "", values: Form.query(request), issues: [])
            },
            open(.post, "/do/:operation") { request, p in
                guard let session = try await self.session(request) else { return Self.redirect("/login") }
                return try await self.run(request, session, name: p["operation"] ?? "")
            },
        ]
    }

    /// The routes as the router's 404/405 answers name them (`{name}` for a parameter).
    public var routes: [(path: String, method: HTTPRequest.Method)] {
        table.map { route in
            let path = route.path.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
            return ("/" + path, route.method)
        }
    }

    public func register<Context: RequestContext>(on router: Router<Context>) {
        for route in table {
            let names = route.path.split(separator: "/").filter { $0.hasPrefix(":") }.map { String($0.dropFirst()) }
            router.on(RouterPath(route.path), method: route.method) { request, context in
                var params: [String: String] = [:]
                for name in names { params[name] = context.parameters.get(name) ?? "" }
                return await self.guarded(request) {
                    switch route.answer {
                    case .open(let answer):
                        return try await answer(request, params)
                    case .page(let answer):
                        guard let session = try await self.session(request) else {
                            let next = request.uri.path == "/" ? "" : "?next=" + Form.escape(request.uri.string)
                            return Self.redirect("/login" + next)
                        }
                        return try await answer(request, session, params)
                    }
                }
            }
        }
    }

    // MARK: sessions

    func session(_ request: Request) async throws -> WebSession? {
        guard let secret = Cookies.value(request, Self.cookie) else { return nil }
        return try await sessions.find(secret)
    }

    /// Answers every error as a page: a missing record 404, a refusal 403, bad input 400/409/422, anything else 500
    /// (logged; the page says only that it failed).
    func guarded(_ request: Request, _ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch let error as DomainError {
            let status: HTTPResponse.Status =
                switch error {
                case .notFound: .notFound
                case .badRequest: .badRequest
                case .validation: .unprocessableContent
                case .conflict: .conflict
                case .refused: .unprocessableContent
                case .unavailable: .serviceUnavailable
                }
            return errorPage(request, status: status, message: error.message)
        } catch let error as WebError {
            return errorPage(request, status: error.status, message: error.message)
        } catch {
            let translated = StoreErrors.translate(error)
            if let domain = translated as? DomainError, !(domain.message.isEmpty) {
                return errorPage(request, status: .unprocessableContent, message: domain.message)
            }
            logger.error("web \(request.method) \(request.uri.path): \(String(reflecting: error))")
            return errorPage(request, status: .internalServerError, message: "Something went wrong on the server; it is in the log.")
        }
    }

    func errorPage(_ request: Request, status: HTTPResponse.Status, message: String) -> Response {
        let html = views.page(
            "error", title: "\(status.code) \(status.reasonPhrase)",
            model: ["status": Int(status.code), "reason": status.reasonPhrase, "message": message], chrome: Chrome.anonymous)
        return Self.html(html, status: status)
    }

    // MARK: sign-in

    func loginPage(_ request: Request, error: String?, email: String = "", status: HTTPResponse.Status = .ok) async throws -> Response {
        let csrf = WebSessionStore.random(16)
        let next = Form.localPath(Form.query(request)["next"]) ?? "/"
        var model: [String: Any] = ["csrf": csrf, "next": next, "email": email]
        if let error { model["error"] = error }
        var response = Self.html(views.page("login", title: "Sign in", model: model, chrome: Chrome.anonymous), status: status)
        response.headers[values: .setCookie].append(Cookies.set(Self.loginCookie, csrf, request: request, maxAge: 3600))
        return response
    }

    /// Signs in with an API token, or an email and password; a new session replaces the browser's old one.
    func signIn(_ request: Request) async throws -> Response {
        let form = try await Form.body(request)
        guard let expected = Cookies.value(request, Self.loginCookie), form["_csrf"] == expected else {
            throw WebError(.forbidden, "The sign-in form had expired or came from another site; sign in again.")
        }
        let next = Form.localPath(form["next"]) ?? "/"
        let token = form["token"]?.trimmed ?? ""
        let email = form["email"]?.trimmed ?? ""
        var started: (secret: String, session: WebSession)?
        if !token.isEmpty {
            guard let found = try await tokens.authenticate(token) else {
                return try await loginPage(request, error: "That API token is unknown or revoked.", status: .unauthorized)
            }
            started = try await sessions.start(token: found)
        } else if !email.isEmpty {
            guard let user = try await users.verify(email: email, password: form["password"] ?? "") else {
                return try await loginPage(request, error: "The email or the password is wrong.", email: email, status: .unauthorized)
            }
            started = try await sessions.start(user: user)
        }
        guard let started else { return try await loginPage(request, error: "Give an API token, or an email and a password.", status: .unprocessableContent) }
        if let old = Cookies.value(request, Self.cookie) { try? await sessions.end(old) }
        var response = Self.redirect(next)
        response.headers[values: .setCookie].append(Cookies.set(Self.cookie, started.secret, request: request, maxAge: Int(WebSessionStore.lifetime)))
        response.headers[values: .setCookie].append(Cookies.clear(Self.loginCookie, request: request))
        return response
    }

    func signOut(_ request: Request) async throws -> Response {
        let form = try await Form.body(request)
        if let secret = Cookies.value(request, Self.cookie), let session = try await sessions.find(secret) {
            guard form["_csrf"] == session.csrf else { throw WebError(.forbidden, "The form's CSRF token is missing or stale; reload the page.") }
            try await sessions.end(secret)
        }
        var response = Self.redirect("/login")
        response.headers[values: .setCookie].append(Cookies.clear(Self.cookie, request: request))
        return response
    }

    // MARK: running operations from forms

    /// Runs the operation a form names with the form's fields: the CSRF token and the role are checked first; bad
    /// values bring the form back with each message beside its field; success goes back to the page the form was on.
    func run(_ request: Request, _ session: WebSession, name: String) async throws -> Response {
        let form = try await Form.body(request)
        guard form["_csrf"] == session.csrf else { throw WebError(.forbidden, "The form's CSRF token is missing or stale; reload the page and try again.") }
        guard let operation = catalogue[name] else { throw DomainError.notFound(entity: "operation", id: name) }
        guard session.role.allows(operation.access) else {
            throw WebError(.forbidden, "Your role (\(session.role.rawValue)) may not \(operation.title.lowercased()).")
        }
        let raw = Form.arguments(operation, form)
        do {
            let output = try await AuditContext.$actor.withValue("user:\(session.actor)") { try await operation.run(raw) }
            let back = Form.localPath(form["_back"]) ?? Self.defaultBack(operation, output)
            var response = Self.redirect(back)
            response.headers[values: .setCookie].append(Cookies.set(Self.noticeCookie, Form.escape(Self.notice(operation, form)), request: request, maxAge: 60))
            return response
        } catch let error as DomainError {
            let issues: [FieldIssue]
            switch error {
            case .validation(let list): issues = list
            default: issues = [FieldIssue(field: "", message: error.message)]
            }
            var values = form
            values.removeValue(forKey: "_csrf")
            return try await operationForm(request, session, name: name, values: values, issues: issues, status: .unprocessableContent)
        }
    }

    static func notice(_ operation: Operation, _ form: [String: String]) -> String {
        form["_done"].flatMap { $0.isEmpty ? nil : $0 } ?? "\(operation.title): done."
    }

    /// Where a form without `_back` returns: the record it made or changed.
    static func defaultBack(_ operation: Operation, _ output: Output) -> String {
        if case .record(let record) = output {
            if record.entity.table == "companies" { return "/companies/\(record.id.lowercased)" }
            if record.entity.table == "contacts" { return "/contacts/\(record.id.lowercased)" }
            if let contact = record.string("contact_id") { return "/contacts/\(contact)" }
        }
        return "/"
    }

    // MARK: responses

    static func html(_ body: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                HTTPField.Name("Content-Security-Policy")!: "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'",
                HTTPField.Name("X-Content-Type-Options")!: "nosniff", HTTPField.Name("Referrer-Policy")!: "same-origin",
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    func asset(_ name: String) throws -> Response {
        let types = ["css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8", "svg": "image/svg+xml"]
        let ext = (name as NSString).pathExtension
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." }), !name.hasPrefix("."), let type = types[ext],
            let url = Bundle.module.url(forResource: "Static/" + name, withExtension: nil), let data = try? Data(contentsOf: url)
        else { throw WebError(.notFound, "No such file.") }
        return Response(
            status: .ok, headers: [.contentType: type, .cacheControl: "public, max-age=300"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The notice a form left for the next page (shown once).
    static func notice(_ request: Request) -> String? {
        Cookies.value(request, noticeCookie).flatMap { $0.removingPercentEncoding }
    }
}

/// An error a page answers with its own status.
struct WebError: Error {
    let status: HTTPResponse.Status
    let message: String
    init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }
}

/// Cookies: read from the request, written HttpOnly and SameSite=Lax, Secure when the request came over TLS (a proxy's
/// `X-Forwarded-Proto: https`).
enum Cookies {
    static func value(_ request: Request, _ name: String) -> String? {
        for header in request.headers[values: .cookie] {
            for part in header.split(separator: ";") {
                let pair = part.split(separator: "=", maxSplits: 1)
                if pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces) == name { return String(pair[1]).trimmed }
            }
        }
        return nil
    }

    static func secure(_ request: Request) -> Bool {
        request.uri.scheme == .https || request.headers[HTTPField.Name("X-Forwarded-Proto")!]?.lowercased() == "https"
    }

    static func set(_ name: String, _ value: String, request: Request, maxAge: Int) -> String {
        "\(name)=\(value); Path=/; Max-Age=\(maxAge); HttpOnly; SameSite=Lax" + (secure(request) ? "; Secure" : "")
    }

    static func clear(_ name: String, request: Request) -> String {
        "\(name)=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax" + (secure(request) ? "; Secure" : "")
    }
}
