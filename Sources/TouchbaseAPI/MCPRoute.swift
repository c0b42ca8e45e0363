import Foundation
import HTTPTypes
import Hummingbird
import MCP
import NIOCore
import TouchbaseDomain
import TouchbaseMCP
import TouchbaseStore

/// `/mcp`: the MCP server over Streamable HTTP. POST carries requests (answered as an event stream), DELETE ends the
/// session; GET (a stream the server would push on) is not offered: 405. The bearer token is the API's (401 without
/// one); a browser's `Origin` must be this server's host or a loopback one (403 otherwise), against DNS rebinding.
enum MCPRoute {
    static let path = "/mcp"

    static func register(on router: Router<AppRequestContext>, sessions: MCPHTTPSessions, authenticator: Authenticator) {
        for method in [HTTPRequest.Method.post, .delete] {
            router.on(RouterPath(path), method: method) { request, context in
                try checkOrigin(request)
                var context = context
                try await authenticator.check(request, &context, access: .read)
                let token = context.token!
                var headers: [String: String] = [:]
                for field in request.headers { headers[field.name.canonicalName] = field.value }
                var body: Data?
                if method == .post {
                    var request = request
                    let buffer = try await request.collectBody(upTo: context.maxUploadSize)
                    body = Data(buffer.readableBytesView)
                }
                let mcpRequest = MCP.HTTPRequest(method: method.rawValue, headers: headers, body: body, path: path)
                return response(await sessions.handle(mcpRequest, identity: MCPIdentity(name: token.name, role: token.role)))
            }
        }
        router.get(RouterPath(path)) { request, _ in
            try checkOrigin(request)
            var response = HTTP.json(
                ["jsonrpc": "2.0", "id": .null, "error": ["code": -32000, "message": "Method Not Allowed: this server does not push on a GET stream; POST requests to /mcp"]],
                status: .methodNotAllowed)
            response.headers[.allow] = "POST, DELETE"
            return response
        }
    }

    /// Refuses a browser page from another site (DNS rebinding): its Origin must name this host or a loopback one.
    static func checkOrigin(_ request: Request) throws {
        guard let origin = request.headers[.origin], origin != "null" else { return }
        guard let url = URL(string: origin), let host = url.host?.lowercased() else {
            throw Problem.forbidden("The Origin '\(origin)' is not one this server answers MCP requests from.")
        }
        let hostHeader = (request.head.authority ?? "").lowercased()
        let requestHost = hostHeader.hasPrefix("[") ? String(hostHeader.dropFirst().prefix { $0 != "]" }) : String(hostHeader.prefix { $0 != ":" })
        guard ["localhost", "127.0.0.1", "::1", "[::1]"].contains(host) || host == requestHost else {
            throw Problem.forbidden("The Origin '\(origin)' is not this server's: MCP requests from other sites' pages are refused.")
        }
    }

    static func response(_ mcp: MCP.HTTPResponse) -> Response {
        var headers = HTTPFields()
        for (name, value) in mcp.headers {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        let status = HTTPResponse.Status(code: mcp.statusCode)
        switch mcp {
        case .stream(let stream, _):
            return Response(status: status, headers: headers, body: ResponseBody { writer in
                for try await chunk in stream { try await writer.write(ByteBuffer(bytes: chunk)) }
                try await writer.finish(nil)
            })
        default:
            let data = mcp.bodyData ?? Data()
            return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        }
    }
}
