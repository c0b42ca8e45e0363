import Foundation
import MCP
import TouchbaseDomain

extension JSONValue {
    /// The MCP SDK's value as ours (a string the SDK read as a data URL is a string again).
    public init(_ value: MCP.Value) {
        switch value {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(Int64(i))
        case .double(let d): self = .double(d)
        case .string(let s): self = .string(s)
        case .data(let mimeType, let data): self = .string("data:\(mimeType ?? "");base64,\(data.base64EncodedString())")
        case .array(let items): self = .array(items.map { JSONValue($0) })
        case .object(let fields): self = .object(fields.mapValues { JSONValue($0) })
        }
    }
}

extension MCP.Value {
    public init(_ json: JSONValue) {
        switch json {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(Int(i))
        case .double(let d): self = .double(d)
        case .string(let s): self = .string(s)
        case .array(let items): self = .array(items.map { MCP.Value($0) })
        case .object(let fields): self = .object(fields.mapValues { MCP.Value($0) })
        }
    }
}

/// Keeps what a tool returns within what a model's context can take: long texts are cut with a note, and a list
/// that would still be too long loses rows from its end, with a note saying how many.
public enum Bounded {
    /// The longest text kept whole, in characters.
    public static let textLimit = 2_000
    /// The most characters a result's JSON may take.
    public static let outputLimit = 60_000

    public static func cut(_ value: JSONValue, textLimit: Int = textLimit) -> JSONValue {
        switch value {
        case .string(let s) where s.count > textLimit:
            return .string(String(s.prefix(textLimit)) + "… [cut: \(s.count) characters in all; the full text is in the record]")
        case .array(let items): return .array(items.map { cut($0, textLimit: textLimit) })
        case .object(let fields): return .object(fields.mapValues { cut($0, textLimit: textLimit) })
        default: return value
        }
    }

    /// The value cut to fit, and its JSON text.
    public static func fit(_ value: JSONValue) -> (JSONValue, String) {
        var value = cut(value)
        var text = value.serialized
        guard text.count > outputLimit, case .object(var fields) = value, case .array(var rows)? = fields["data"] else {
            return (value, text)
        }
        let total = rows.count
        while text.count > outputLimit && rows.count > 1 {
            rows.removeLast(max(1, rows.count / 4))
            fields["data"] = .array(rows)
            fields["truncated"] = .string("\(rows.count) of \(total) rows shown to keep the answer short; ask for fewer with limit or narrow the filters.")
            value = .object(fields)
            text = value.serialized
        }
        return (value, text)
    }
}
