import Foundation
import Hummingbird
import TouchbaseDomain
import TouchbaseService
import TouchbaseStore

/// Forms: reading `application/x-www-form-urlencoded` bodies and query strings, and the inputs of an operation's
/// fields (the same fields its JSON Schema and its checks come from).
enum Form {
    static let bodyLimit = 1 << 20

    static func query(_ request: Request) -> [String: String] {
        decode(request.uri.query ?? "")
    }

    static func body(_ request: Request) async throws -> [String: String] {
        var request = request
        let buffer: ByteBuffer
        do { buffer = try await request.collectBody(upTo: bodyLimit) } catch {
            throw WebError(.contentTooLarge, "The form is larger than 1 MiB.")
        }
        return decode(String(decoding: buffer.readableBytesView, as: UTF8.self))
    }

    /// `a=1&b=two+words` as a dictionary (the last of a repeated name wins; `+` is a space).
    static func decode(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func clean(_ s: Substring) -> String { String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            guard let name = parts.first.map(clean), !name.isEmpty else { continue }
            out[name] = parts.count > 1 ? clean(parts[1]) : ""
        }
        return out
    }

    static let unreserved = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")

    static func escape(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? "" }

    /// A path on this site (`/companies/…`), never another site (`//evil`, `https://…`); nil otherwise.
    static func localPath(_ value: String?) -> String? {
        guard let value, value.hasPrefix("/"), !value.hasPrefix("//"), !value.hasPrefix("/\\"), !value.contains("\n"), !value.contains("\r")
        else { return nil }
        return value
    }

    /// The operation's arguments from a form: empty inputs are left out; numbers, booleans and dates are read by the
    /// field's type, JSON fields as JSON; names starting with `_` belong to the form itself.
    static func arguments(_ operation: Operation, _ form: [String: String]) -> [String: JSONValue] {
        let fields = Dictionary(uniqueKeysWithValues: operation.fields.map { ($0.name, $0) })
        var text: [String: String] = [:]
        var json: [String: JSONValue] = [:]
        for (name, value) in form where !name.hasPrefix("_") {
            let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            if let field = fields[name], field.type == .timestamp, trimmed == "now" {
                json[name] = .string(Timestamp.format(Date()))
                continue
            }
            if let field = fields[name], field.type.isJSON {
                json[name] = (try? JSONValue.parse(Data(trimmed.utf8))) ?? .string(trimmed)
            } else if let field = fields[name], field.type == .text {
                json[name] = .string(value)
            } else {
                text[name] = trimmed
            }
        }
        return operation.arguments(fromText: text).merging(json) { _, new in new }
    }

    /// The inputs of `fields` for a template: label, name, kind (select, textarea, checkbox, number, date, text),
    /// options, the value to show and the message of the field's problem.
    static func inputs(_ fields: [Field], values: [String: String], issues: [FieldIssue], hidden: Set<String> = [], required: Set<String>? = nil)
        -> [[String: Any]]
    {
        fields.map { field in
            let value = values[field.name] ?? field.defaultValue.map(display) ?? ""
            var input: [String: Any] = [
                "name": field.name, "label": label(field.name), "help": field.summary, "value": value, "required": required.map { $0.contains(field.name) } ?? field.required,
                "id": "f-" + field.name,
            ]
            if hidden.contains(field.name) { input["hidden"] = true }
            if let issue = issues.first(where: { $0.field == field.name }) { input["error"] = issue.message }
            if let vocabulary = field.vocabulary {
                input["select"] = true
                input["options"] = ([""] + vocabulary).map { ["value": $0, "text": $0.isEmpty ? "—" : Text.words($0), "selected": $0 == value] }
            } else if field.type == .boolean {
                input["select"] = true
                input["options"] = ["", "true", "false"].map { ["value": $0, "text": $0.isEmpty ? "—" : ($0 == "true" ? "yes" : "no"), "selected": $0 == value] }
            } else if field.type.isJSON || long.contains(field.name) {
                input["textarea"] = true
            } else {
                input["type"] =
                    switch field.type {
                    case .integer, .decimal: "number"
                    case .date: "date"
                    default: field.normalization == .email ? "email" : "text"
                    }
                if field.type == .decimal { input["step"] = "any" }
            }
            return input
        }
    }

    /// Fields whose text runs to paragraphs.
    static let long: Set<String> = ["body", "content", "raw_text", "summary", "notes", "response", "description", "findings", "pre_brief", "error_message"]

    static func display(_ value: JSONValue) -> String {
        switch value {
        case .null: ""
        case .string(let s): s
        case .bool(let b): b ? "true" : "false"
        default: value.serialized
        }
    }

    /// `touch_number` as `Touch number`.
    static func label(_ name: String) -> String {
        let words = name.replacingOccurrences(of: "_id", with: "").replacingOccurrences(of: "_", with: " ")
        return words.prefix(1).uppercased() + words.dropFirst()
    }
}
