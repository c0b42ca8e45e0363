import Foundation
import Mustache
import TouchbaseDomain
import TouchbaseStore

/// The templates (package resources) and how page models become what they render. Every `{{value}}` is escaped for
/// HTML by mustache; the only unescaped value is a page's own rendered body inside the layout.
public struct Views: Sendable {
    let library: MustacheLibrary

    /// Loads every `.mustache` file of the package's Templates folder.
    public static func load() throws -> Views {
        guard let folder = Bundle.module.url(forResource: "Templates", withExtension: nil) else {
            throw DomainError.badRequest("The web templates are missing from the build.")
        }
        var templates: [String: MustacheTemplate] = [:]
        for file in try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil) where file.pathExtension == "mustache" {
            templates[file.deletingPathExtension().lastPathComponent] = try MustacheTemplate(string: String(contentsOf: file, encoding: .utf8))
        }
        return Views(library: MustacheLibrary(templates: templates))
    }

    /// A page: its body from `template` and `model`, inside the layout with the title, navigation and who is signed in.
    func page(_ template: String, title: String, model: [String: Any], chrome: [String: Any]) -> String {
        let body = library.render(model.merging(chrome) { mine, _ in mine }, withTemplate: template) ?? ""
        var layout = chrome
        layout["title"] = title
        layout["body"] = body
        return library.render(layout, withTemplate: "layout") ?? body
    }
}

/// A value a template shows as nothing and treats as false (a JSON null), so that `{{#email}}` of a contact without
/// one is not answered by an outer object's `email`.
struct Blank: MustacheCustomRenderable {
    var renderText: String { "" }
    var isNull: Bool { true }
}

/// JSON as mustache values: objects as dictionaries, nulls as `Blank`.
enum Mustached {
    static func value(_ json: JSONValue) -> Any {
        switch json {
        case .null: Blank()
        case .bool(let b): b
        case .int(let i): i
        case .double(let d): number(d)
        case .string(let s): s
        case .array(let a): a.map(value)
        case .object(let o): o.mapValues(value)
        }
    }

    /// `12`, `0.048`, `18400.5`: whole numbers without a point, others to at most 4 decimals.
    static func number(_ d: Double) -> String {
        guard d.isFinite else { return "" }
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        var text = String(format: "%.4f", d)
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }

    static func record(_ record: Record) -> [String: Any] { (value(record.json) as? [String: Any]) ?? [:] }

    static func records(_ records: [Record]) -> [[String: Any]] { records.map(record) }
}

/// Small text helpers for pages.
enum Text {
    /// `2026-12-02T09:30:00.000Z` as `2026-12-02 09:30`.
    static func when(_ value: String?) -> String {
        guard let value, !value.isEmpty else { return "" }
        if value.count >= 16, value.contains("T") { return value.prefix(10) + " " + value.dropFirst(11).prefix(5) }
        return value
    }

    /// `not_now` as `not now`.
    static func words(_ value: String?) -> String { (value ?? "").replacingOccurrences(of: "_", with: " ") }

    /// A URL a page may link to: http or https only (never `javascript:`).
    static func safeURL(_ value: String?) -> String? {
        guard let value = value?.trimmed, !value.isEmpty else { return nil }
        let lower = value.lowercased()
        if lower.hasPrefix("https://") || lower.hasPrefix("http://") { return value }
        if !lower.contains(":"), !lower.hasPrefix("/"), lower.contains(".") { return "https://" + value }
        return nil
    }

    static func short(_ value: String?, _ count: Int = 160) -> String {
        guard let value else { return "" }
        let flat = value.replacingOccurrences(of: "\n", with: " ")
        return flat.count > count ? String(flat.prefix(count - 1)) + "…" : flat
    }
}
