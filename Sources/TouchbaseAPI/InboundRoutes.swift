import Foundation
import Hummingbird
import TouchbaseDomain
import TouchbaseService
import TouchbaseStore

extension Routes {
    /// `POST /api/v1/inbound-messages` takes one raw message (`message/rfc822`, what mail providers' inbound webhooks
    /// send) and answers with what became of it: 201 when it is new, 200 when it had been taken before. A message
    /// over `TOUCHBASE_MAX_MESSAGE` is kept cut and stored `unparsed`, never refused, so a provider does not retry it
    /// for ever. `GET /api/v1/inbound-messages/{id}/raw` gives the message back as it came.
    static func inbound(database: Database) -> [Endpoint] {
        let inbound = InboundMail.fromEnvironment(database: database)
        let store = RecordStore(database: database)
        var ingest = Endpoint(
                .post, "/api/v1/inbound-messages", "ingestInboundMessage",
                "Take in one raw email (a reply, an auto-reply, a bounce, a complaint, an unsubscribe): parsed, threaded to what it answers and acted on; the same message twice is taken once",
                tag: "inbound_messages", access: .write,
                parameters: [],
                requestContent: [
                    "required": true,
                    "content": ["message/rfc822": ["schema": ["type": "string"]], "application/octet-stream": ["schema": ["type": "string", "format": "binary"]]],
                ],
                status: 201, response: OpenAPI.ref("InboundMessage"), problems: [400, 415]
            ) { request, _ in
                let contentType = request.headers[.contentType] ?? "message/rfc822"
                let media = contentType.split(separator: ";").first.map { $0.trimmed.lowercased() } ?? ""
                guard ["message/rfc822", "message/global", "text/plain", "application/octet-stream"].contains(media) else {
                    throw Problem(status: .unsupportedMediaType, title: "Unsupported Media Type", detail: "Send the raw message as message/rfc822; got \(contentType).")
                }
                var bytes: [UInt8] = []
                var size = 0
                for try await chunk in request.body {
                    size += chunk.readableBytes
                    if bytes.count < inbound.maxMessage { bytes += chunk.readableBytesView.prefix(inbound.maxMessage - bytes.count) }
                }
                guard size > 0 else { throw DomainError.badRequest("The request needs a body: the raw message (headers, an empty line, the body).") }
                let outcome = try await inbound.ingest(bytes, source: "api", size: size)
                var response = HTTP.record(outcome.record, status: outcome.duplicate ? .ok : .created)
                response.headers[.location] = "/api/v1/inbound-messages/\(outcome.record.id.lowercased)"
                return response
            }
        ingest.otherSuccess = [200: "The message had been taken before (the same Message-ID, or the same bytes): its first row; nothing was done again."]
        var raw = Endpoint(
                .get, "/api/v1/inbound-messages/{id}/raw", "getInboundMessageRaw", "The message as it came, as message/rfc822",
                tag: "inbound_messages", access: .read, parameters: [.path("id", "The inbound message's id.")],
                problems: [404]
            ) { _, context in
                let id = try HTTP.id(context, entity: "inbound message")
                _ = try await store.get(Entities.inboundMessages, id)
                let bytes = try await inbound.raw(id)
                return Response(status: .ok, headers: [.contentType: "message/rfc822"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
            }
        raw.successContent = ["message/rfc822": ["schema": ["type": "string"]]]
        return [ingest, raw]
    }
}
