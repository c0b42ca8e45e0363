import Foundation
import Hummingbird
import TouchbaseDomain
import TouchbaseStore

/// Inbound email: the list by status (what waits to be assigned first), and one message with its thread — what it
/// answers, the reply recorded for it, what it set off — with assign and reclassify.
extension WebFace {
    static let inboundTabs: [(String, String)] = [("unmatched", "To assign"), ("processed", "Processed"), ("unparsed", "Unreadable"), ("ignored", "Our own"), ("", "All")]

    func inbound(_ request: Request, _ session: WebSession) async throws -> Response {
        let query = Form.query(request)
        let status = query["status"] ?? "unmatched"
        var args: [String: JSONValue] = ["limit": 100]
        if !status.isEmpty {
            guard Vocabulary.inboundStatus.contains(status) else { throw DomainError.invalid("status", "must be one of \(Vocabulary.inboundStatus.joined(separator: ", "))") }
            args["status"] = .string(status)
        }
        if let cursor = query["cursor"] { args["cursor"] = .string(cursor) }
        let page = try await read("list_inbound", args)
        let rows = (page["data"]?.arrayValue ?? []).map(Self.inboundRow)
        let next = page["next_cursor"]?.stringValue.map { "/inbound?status=\(status)&cursor=\($0)" }
        let model: [String: Any] = [
            "tabs": Self.inboundTabs.map { ["status": $0.0, "label": $0.1, "current": $0.0 == status] }, "rows": rows, "next": next ?? Blank(),
            "assigning": status == "unmatched",
        ]
        return render(request, session, "inbound", title: "Inbound email", current: "/inbound", model: model)
    }

    static func inboundRow(_ row: JSONValue) -> [String: Any] {
        var item = Mustached.value(row) as? [String: Any] ?? [:]
        item["kind_label"] = Text.words(row["kind"]?.stringValue ?? "message")
        item["when"] = Text.when(row["received_at"]?.stringValue)
        item["from"] = row["from_name"]?.stringValue.map { "\($0) <\(row["from_address"]?.stringValue ?? "")>" } ?? row["from_address"]?.stringValue ?? "(no sender)"
        item["excerpt"] = Text.short(row["reply_text"]?.stringValue ?? row["body_text"]?.stringValue, 220)
        item["effect_list"] = (row["effects"]?.arrayValue ?? []).compactMap(\.stringValue)
        item["has_effects"] = !(row["effects"]?.arrayValue ?? []).isEmpty
        return item
    }

    func inboundMessage(_ request: Request, _ session: WebSession, id text: String) async throws -> Response {
        let id = try Self.uuid(text, "inbound message")
        let detail = try await read("get_inbound_message", ["inbound_message_id": .string(id.lowercased)])
        let message = detail["message"] ?? .null
        var model = Self.inboundRow(message)
        model["headers"] = (message["headers"]?.arrayValue ?? []).compactMap { pair -> [String: Any]? in
            guard let items = pair.arrayValue, items.count == 2, let name = items[0].stringValue, let value = items[1].stringValue,
                ["from", "to", "cc", "reply-to", "subject", "date", "message-id", "in-reply-to", "references", "auto-submitted", "return-path", "content-type"].contains(name.lowercased())
            else { return nil }
            return ["name": name, "value": value]
        }
        model["notes_list"] = (message["notes"]?.arrayValue ?? []).compactMap(\.stringValue)
        model["has_notes"] = !(message["notes"]?.arrayValue ?? []).isEmpty
        if let contact = detail["contact"], !contact.isNull {
            model["contact_name"] = Self.name(contact)
            model["contact_id"] = contact["id"]?.stringValue ?? ""
        }
        if let reply = detail["reply"], !reply.isNull {
            var r = Mustached.value(reply) as? [String: Any] ?? [:]
            r["intent_label"] = Text.words(reply["intent"]?.stringValue)
            r["confidence"] = reply["intent_confidence"]?.doubleValue.map { "\(Int(($0 * 100).rounded())) %" } ?? ""
            r["others"] = Vocabulary.intent.filter { $0 != reply["intent"]?.stringValue }.map { ["intent": $0, "label": Text.words($0)] }
            model["reply"] = r
        }
        if let send = detail["send"], !send.isNull { model["send"] = Mustached.value(send) }
        if let touch = detail["touchpoint"], !touch.isNull {
            var t = Mustached.value(touch) as? [String: Any] ?? [:]
            t["sent"] = Text.when(touch["sent_at"]?.stringValue ?? touch["created_at"]?.stringValue)
            model["touch"] = t
        }
        model["unmatched"] = message["status"]?.stringValue == "unmatched"
        return render(request, session, "inbound_message", title: message["subject"]?.stringValue ?? "Inbound message", current: "/inbound", model: model)
    }
}
