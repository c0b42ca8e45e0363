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
