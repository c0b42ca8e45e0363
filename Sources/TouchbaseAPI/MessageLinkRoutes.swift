import Foundation
import Hummingbird
import TouchbaseDomain
import TouchbaseStore

/// The public links of a sent message, answered without a token or a cookie:
/// - `GET /u/{token}`: a page that asks to confirm; it never unsubscribes by itself (scanners fetch links);
/// - `POST /u/{token}` with `List-Unsubscribe=One-Click` (RFC 8058, what mail clients' unsubscribe buttons send, and
///   the page's button): do-not-contact at once and every enrolment stopped;
/// - `GET|HEAD /t/o/{token}`: the open pixel; `GET|HEAD /t/c/{token}/{n}`: a click, redirected to the message's n-th
///   link only (no open redirect). Every hit is recorded raw and labelled; an unknown token or link records nothing.
enum MessageLinkRoutes {
    static let paths: [(String, HTTPRequest.Method)] = [
        ("/u/{token}", .get), ("/u/{token}", .post), ("/t/o/{token}", .get), ("/t/o/{token}", .head),
        ("/t/c/{token}/{link}", .get), ("/t/c/{token}/{link}", .head),
    ]

    /// A transparent 1×1 GIF.
    static let pixel: [UInt8] = [
        0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0x21, 0xf9, 0x04,
        0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
    ]

    static func register(on router: Router<AppRequestContext>, database: Database) {
        let links = MessageLinkRepository(database: database)
        router.get("/u/{token}") { _, context in
            let token = context.parameters.get("token") ?? ""
            guard let send = try await links.send(token: token) else { return notFound() }
            let to = send.string("recipient").map(mask) ?? "this address"
            return page("Unsubscribe", """
                <h1>Unsubscribe</h1>
                <p>Stop all email to <strong>\(to.htmlEscaped)</strong> from this sender?</p>
                <form method="post" action="/u/\(token.htmlEscaped)">
                <input type="hidden" name="List-Unsubscribe" value="One-Click">
                <button type="submit">Unsubscribe</button>
                </form>
                <p class="quiet">Nothing changes until you press the button.</p>
                """)
        }
        router.post("/u/{token}") { request, context in
            let token = context.parameters.get("token") ?? ""
            var request = request
            let body = String(buffer: try await request.collectBody(upTo: 4_096))
            guard body.split(separator: "&").contains(where: { $0.trimmingCharacters(in: .whitespacesAndNewlines) == "List-Unsubscribe=One-Click" }) else {
                return page("Unsubscribe", "<h1>Unsubscribe</h1><p>The request did not say <code>List-Unsubscribe=One-Click</code>; nothing was changed.</p>", status: .badRequest)
            }
            guard let done = try await links.unsubscribe(token: token) else { return notFound() }
            return page("Unsubscribed", """
                <h1>You are unsubscribed</h1>
                <p><strong>\((done.email.map(mask) ?? "This address").htmlEscaped)</strong> will get no more email from this sender.</p>
                """)
        }
        for method in [HTTPRequest.Method.get, .head] {
            router.on("/t/o/{token}", method: method) { request, context in
                _ = try await links.record(
                    token: context.parameters.get("token") ?? "", link: nil, method: method.rawValue, ip: ip(context),
                    userAgent: request.headers[.userAgent])
                var response = Response(status: .ok, headers: [.contentType: "image/gif", .cacheControl: "no-store, private"],
                                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: pixel)))
                if method == .head { response.body = ResponseBody() }
                return response
            }
            router.on("/t/c/{token}/{link}", method: method) { request, context in
                guard let link = context.parameters.get("link").flatMap(Int.init),
                      let hit = try await links.record(
                          token: context.parameters.get("token") ?? "", link: link, method: method.rawValue, ip: ip(context),
                          userAgent: request.headers[.userAgent])
                else { return notFound() }
                guard let url = hit.url else { return page("Link", "<p>This link goes nowhere.</p>") }
                return Response(status: .found, headers: [.location: url, .cacheControl: "no-store, private"])
            }
        }
    }

    static func ip(_ context: AppRequestContext) -> String? {
        guard let address = context.remoteAddress else { return nil }
        return address.ipAddress
    }

    /// `s***@example.com`: enough for the recipient to recognise, not enough for anyone else to learn.
    static func mask(_ email: String) -> String {
        let parts = email.split(separator: "@", maxSplits: 1)
        guard parts.count == 2, let first = parts[0].first else { return email }
        return "\(first)***@\(parts[1])"
    }

    static func notFound() -> Response {
        page("Not found", "<h1>Link not found</h1><p>This link is not one Touchbase sent, or it has been mistyped.</p>", status: .notFound)
    }

    static func page(_ title: String, _ body: String, status: HTTPResponse.Status = .ok) -> Response {
        let html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="robots" content="noindex"><title>\(title.htmlEscaped)</title>
            <style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1f2937}
            h1{font-size:1.5rem}button{font:inherit;padding:.5rem 1.25rem;border:0;border-radius:.375rem;background:#1d4ed8;color:#fff;cursor:pointer}
            .quiet{color:#6b7280;font-size:.875rem}</style></head>
            <body>
            \(body)
            </body></html>
            """
        return Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store, private"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }
}
