import Foundation

/// A sequence step's subject or body with merge fields: `{{first_name}}`, `{{company.name}}`, `{{title}}`,
/// `{{sender.first_name}}`, `{{colleague.first_name}}`, `{{colleague.title}}`, … (seed 000's relationship-aware
/// messages: "Sue, your colleague Dr. XYZ asked about…"). Parsed once, checked against the fields that exist when a
/// step is saved, and rendered per contact at send time. A field with no value stops the render with its name, so
/// that nothing is ever sent as "Hi ,"; `{{first_name | there}}` gives a fallback for when it is empty.
public struct MergeTemplate: Sendable, Hashable {
    /// The fields a template may use, by group: the contact's own, its company's, the sender's and the colleague's.
    public static let fields: [String: [String]] = [
        "": ["first_name", "last_name", "full_name", "title", "email", "department", "seniority_level", "city", "country"],
        "company": ["name", "domain", "industry", "city", "country"],
        "sender": ["first_name", "last_name", "full_name", "email", "title", "signature"],
        "colleague": ["first_name", "last_name", "full_name", "title"],
    ]

    public enum Piece: Sendable, Hashable {
        case text(String)
        case field(name: String, fallback: String?)
    }

    public let source: String
    public let pieces: [Piece]

    /// A problem in a template or a render: what is wrong and where (`{{compnay.name}}` at character 12).
    public struct Problem: Error, Sendable, Hashable, CustomStringConvertible {
        public let message: String
        public init(message: String) { self.message = message }
        public var description: String { message }
    }

    public init(_ source: String) throws(Problem) {
        self.source = source
        var pieces: [Piece] = []
        var rest = Substring(source)
        var offset = 0
        while let open = rest.range(of: "{{") {
            if open.lowerBound > rest.startIndex { pieces.append(.text(String(rest[..<open.lowerBound]))) }
            let at = offset + rest.distance(from: rest.startIndex, to: open.lowerBound)
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw Problem(message: "a merge field opened at character \(at + 1) is not closed with }}")
            }
            let inner = rest[open.upperBound..<close.lowerBound]
            let parts = inner.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false)
            let name = parts[0].trimmingCharacters(in: .whitespaces).lowercased()
            let fallback = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : nil
            guard Self.known(name) else {
                throw Problem(message: "{{\(inner)}} at character \(at + 1) is not a merge field; use one of \(Self.allNames.joined(separator: ", "))")
            }
            pieces.append(.field(name: name, fallback: fallback.flatMap { $0.isEmpty ? nil : $0 }))
            offset = at + rest.distance(from: open.lowerBound, to: close.upperBound)
            rest = rest[close.upperBound...]
        }
        if !rest.isEmpty { pieces.append(.text(String(rest))) }
        self.pieces = pieces
    }

    public static var allNames: [String] {
        fields.sorted { $0.key < $1.key }.flatMap { group, names in names.map { group.isEmpty ? $0 : "\(group).\($0)" } }
    }

    static func known(_ name: String) -> Bool {
        let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
        if parts.count == 1 { return fields[""]!.contains(parts[0]) }
        return fields[parts[0]]?.contains(parts[1]) ?? false
    }

    /// The fields the template uses, in order, each once.
    public var fieldNames: [String] {
        var seen = Set<String>()
        return pieces.compactMap { if case .field(let name, _) = $0, seen.insert(name).inserted { return name } else { return nil } }
    }

    /// Whether the template needs a colleague (the step cannot be rendered for a contact with none engaged).
    public var needsColleague: Bool { fieldNames.contains { $0.hasPrefix("colleague.") } }

    /// The text with every field filled from `values` (keys as in the template: `first_name`, `company.name`, …).
    /// A field that is missing or blank, with no fallback, is a `Problem` naming every such field.
    public func render(_ values: [String: String]) throws(Problem) -> String {
        var out = ""
        var missing: [String] = []
        for piece in pieces {
            switch piece {
            case .text(let text): out += text
            case .field(let name, let fallback):
                let value = values[name]?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
                if !value.isEmpty {
                    out += value
                } else if let fallback {
                    out += fallback
                } else if !missing.contains(name) {
                    missing.append(name)
                }
            }
        }
        guard missing.isEmpty else {
            throw Problem(message: "no value for \(missing.map { "{{\($0)}}" }.joined(separator: ", ")): the step is not sent")
        }
        return out
    }
}
