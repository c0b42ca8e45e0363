import Foundation
import TouchbaseDomain

/// The account's people as an SVG map: each person a node on a circle (decision makers larger), each relationship a
/// line whose width is its strength, labelled with its type. Coordinates are worked out here; the template draws
/// them with every name escaped.
enum RelationshipMap {
    static let width = 640.0, height = 420.0

    static func svg(people: [JSONValue], relationships: [JSONValue], limit: Int = 40) -> [String: Any] {
        let shown = Array(people.prefix(limit))
        let n = Double(max(shown.count, 1))
        let cx = width / 2, cy = height / 2, radius = shown.count <= 1 ? 0 : min(width, height) / 2 - 60
        var position: [String: (Double, Double)] = [:]
        var nodes: [[String: Any]] = []
        for (i, person) in shown.enumerated() {
            let angle = Double(i) / n * 2 * .pi - .pi / 2
            let x = (cx + radius * cos(angle)).rounded(), y = (cy + radius * sin(angle)).rounded()
            guard let id = person["id"]?.stringValue else { continue }
            position[id] = (x, y)
            let decision = person["is_decision_maker"]?.boolValue == true
            nodes.append([
                "id": id, "x": Int(x), "y": Int(y), "r": decision ? 16 : 11, "label": WebFace.name(person),
                "label_y": Int(y) + (decision ? 30 : 25), "kind": decision ? "decision" : (person["is_champion"]?.boolValue == true ? "champion" : "person"),
                "title": person["title"]?.stringValue ?? "",
            ])
        }
        var edges: [[String: Any]] = []
        for relationship in relationships {
            let a = relationship["contact_id"]?.stringValue ?? relationship["from_contact_id"]?.stringValue ?? ""
            let b = relationship["related_contact_id"]?.stringValue ?? relationship["to_contact_id"]?.stringValue ?? ""
            guard let (x1, y1) = position[a], let (x2, y2) = position[b], a != b else { continue }
            let strength: Double =
                switch relationship["strength"]?.stringValue {
                case "strong": 8
                case "medium": 5
                default: 2.5
                }
            edges.append([
                "x1": Int(x1), "y1": Int(y1), "x2": Int(x2), "y2": Int(y2), "mx": Int((x1 + x2) / 2), "my": Int((y1 + y2) / 2) - 4,
                "width": String(format: "%.1f", max(1, min(6, strength / 2))),
                "strength": relationship["strength"]?.stringValue ?? "",
                "type": (relationship["relationship_type"]?.stringValue ?? "").replacingOccurrences(of: "_", with: " "),
            ])
        }
        return [
            "nodes": nodes, "edges": edges, "width": Int(width), "height": Int(height), "has_people": !nodes.isEmpty,
            "more": people.count > limit ? people.count - limit : 0,
        ]
    }
}

/// A line diff between two texts (longest common subsequence), for a draft's versions.
enum TextDiff {
    static func lines(from old: String, to new: String) -> [[String: Any]] {
        let a = old.components(separatedBy: "\n"), b = new.components(separatedBy: "\n")
        guard a.count * b.count <= 250_000 else {
            return a.map { ["text": $0, "removed": true] } + b.map { ["text": $0, "added": true] }
        }
        var table = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in stride(from: a.count - 1, through: 0, by: -1) {
            for j in stride(from: b.count - 1, through: 0, by: -1) {
                table[i][j] = a[i] == b[j] ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
            }
        }
        var out: [[String: Any]] = []
        var i = 0, j = 0
        while i < a.count || j < b.count {
            if i < a.count, j < b.count, a[i] == b[j] {
                out.append(["text": a[i], "same": true]); i += 1; j += 1
            } else if j < b.count, i == a.count || table[i][j + 1] >= table[i + 1][j] {
                out.append(["text": b[j], "added": true]); j += 1
            } else {
                out.append(["text": a[i], "removed": true]); i += 1
            }
        }
        return out
    }
}

/// An experiment's groups as bars of their rate, each with its 95 % (Wilson) interval as an error bar.
enum ExperimentChart {
    static func svg(groups: [JSONValue], rateKey: String, countKey: String) -> [String: Any] {
        let width = 520.0, height = 260.0, left = 48.0, bottom = 30.0, top = 16.0
        let plot = height - bottom - top
        let intervals = groups.map { group -> (String, Double, Double, Double, Int, Int) in
            let n = Int(group["sent"]?.intValue ?? 0), x = Int(group[countKey]?.intValue ?? 0)
            let p = n > 0 ? Double(x) / Double(n) : 0
            let (lo, hi) = wilson(x, n)
            return (group["group"]?.stringValue ?? "?", p, lo, hi, x, n)
        }
        let top100 = max(0.05, (intervals.map(\.3).max() ?? 0) * 1.15)
        func y(_ v: Double) -> Int { Int((top + plot - v / top100 * plot).rounded()) }
        let slot = (width - left - 10) / Double(max(1, intervals.count))
        let bars = intervals.enumerated().map { i, g -> [String: Any] in
            let x = left + Double(i) * slot + slot * 0.25, w = slot * 0.5
            return [
                "x": Int(x), "w": Int(w), "y": y(g.1), "h": max(0, y(0) - y(g.1)), "cx": Int(x + w / 2), "lo": y(g.2), "hi": y(g.3),
                "label": "Group \(g.0)", "label_y": Int(height - 10), "value": String(format: "%.1f %% (%d of %d)", g.1 * 100, g.4, g.5),
                "value_y": max(12, y(g.3) - 6),
            ]
        }
        let ticks = (0...4).map { i -> [String: Any] in
            let v = top100 * Double(i) / 4
            return ["y": y(v), "text": String(format: "%.0f %%", v * 100), "x": Int(left - 6)]
        }
        return ["bars": bars, "ticks": ticks, "width": Int(width), "height": Int(height), "left": Int(left), "right": Int(width - 10), "base": y(0)]
    }

    /// The Wilson score interval of x successes in n trials at 95 %.
    static func wilson(_ x: Int, _ n: Int) -> (Double, Double) {
        guard n > 0 else { return (0, 0) }
        let z = 1.96, p = Double(x) / Double(n), nn = Double(n)
        let centre = (p + z * z / (2 * nn)) / (1 + z * z / nn)
        let half = z * ((p * (1 - p) + z * z / (4 * nn)) / nn).squareRoot() / (1 + z * z / nn)
        return (max(0, centre - half), min(1, centre + half))
    }
}

/// LLM cost per day as bars, newest on the right.
enum CostChart {
    static func svg(days: [JSONValue]) -> [String: Any] {
        let width = 640.0, height = 200.0, left = 52.0, bottom = 28.0, top = 12.0
        // The last 14 days, each its own slot (a day without calls is an empty one), so one day is not the whole width.
        let byDay = Dictionary(days.compactMap { row in row["key"]?.stringValue.map { ($0, row) } }, uniquingKeysWith: { a, _ in a })
        let today = Date()
        let rows: [JSONValue] = (0..<14).reversed().map { back in
            let key = Timestamp.formatDate(today.addingTimeInterval(-Double(back) * 86_400))
            return byDay[key] ?? ["key": .string(key), "cost": 0, "calls": 0]
        }
        let maxCost = max(0.01, rows.map { $0["cost"]?.doubleValue ?? 0 }.max() ?? 0)
        let plot = height - bottom - top
        let slot = (width - left - 8) / Double(max(1, rows.count))
        let bars = rows.enumerated().map { i, row -> [String: Any] in
            let cost = row["cost"]?.doubleValue ?? 0
            let h = cost / maxCost * plot
            return [
                "x": Int(left + Double(i) * slot + slot * 0.15), "w": max(2, Int(slot * 0.7)), "y": Int(top + plot - h), "h": max(0, Int(h)),
                "title": "\(row["key"]?.stringValue ?? ""): $\(String(format: "%.3f", cost)), \(row["calls"]?.intValue ?? 0) calls",
                "label": String((row["key"]?.stringValue ?? "").suffix(5)), "label_x": Int(left + Double(i) * slot + slot / 2), "label_y": Int(height - 8),
            ]
        }
        return [
            "bars": bars, "width": Int(width), "height": Int(height), "has_days": !days.isEmpty, "max": String(format: "$%.2f", maxCost),
            "top": Int(top), "base": Int(top + plot), "left": Int(left),
        ]
    }
}
