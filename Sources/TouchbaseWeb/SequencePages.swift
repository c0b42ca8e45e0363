import Foundation
import Hummingbird
import TouchbaseDomain
import TouchbaseService
import TouchbaseStore

/// Sequences: the list, and a sequence's board — its steps by the coming days with the people at each, what waits
/// and why, stop reasons, the A/B split with its verdict, and tracking by label.
extension WebFace {
    func sequences(_ request: Request, _ session: WebSession) async throws -> Response {
        let sequences = try await store.select(Entities.sequences, order: "t.id DESC", limit: 200)
        let counts = try await SequenceRepository(database: store.database).counts(sequences.map(\.id))
        let rows = sequences.map { sequence -> [String: Any] in
            let counted = counts[sequence.id.lowercased] ?? [:]
            var row = Mustached.record(sequence)
            row["steps"] = counted["steps"].map(Mustached.value) ?? 0
            for state in Vocabulary.enrollmentState { row[state] = counted["enrollments"]?[state].map(Mustached.value) ?? 0 }
            row["sent"] = counted["sends"]?["sent"].map(Mustached.value) ?? 0
            return row
        }
        return render(request, session, "sequences", title: "Sequences", current: "/sequences", model: ["sequences": rows])
    }

    func sequence(_ request: Request, _ session: WebSession, id text: String) async throws -> Response {
        let id = try Self.uuid(text, "sequence")
        let board = try await SequenceRepository(database: store.database).board(id)
        let sequence = board["sequence"] ?? .null
        let zone = TimeZone(identifier: sequence["time_zone"]?.stringValue ?? "UTC") ?? TimeZone(identifier: "UTC")!
        let days = (board["days"]?.arrayValue ?? []).compactMap(\.stringValue)
        // Each local day's label from its noon there (never on the wrong side of midnight).
        let dayNames = days.map { day -> [String: Any] in
            let noon = (Timestamp.parse(day + "T12:00:00Z") ?? Date()).addingTimeInterval(-Double(zone.secondsFromGMT()))
            return ["label": SendWindow.localTime(noon, in: zone, "EEE d"), "date": day]
        }
        let steps = (board["steps"]?.arrayValue ?? []).map { step -> [String: Any] in
            var row = Mustached.value(step) as? [String: Any] ?? [:]
            row["kind_label"] = Text.words(step["kind"]?.stringValue)
            let delay = step["delay_days"]?.intValue ?? 0
            row["delay"] = delay > 0 ? "+\(delay) business day\(delay == 1 ? "" : "s")" : Blank()
            row["cells"] = (step["grid"]?.arrayValue ?? []).map { n -> [String: Any] in
                let count = n.intValue ?? 0
                return ["count": count, "busy": count > 0]
            }
            row["sent"] = step["sends"]?["sent"].map(Mustached.value) ?? 0
            row["trouble"] = ["retrying", "failed", "uncertain"].compactMap { state -> [String: Any]? in
                guard let n = step["sends"]?[state]?.intValue, n > 0 else { return nil }
                return ["state": state, "count": n]
            }
            return row
        }
        let waiting = (board["waiting"]?.arrayValue ?? []).map { row -> [String: Any] in
            var item = Mustached.value(row) as? [String: Any] ?? [:]
            item["until_local"] = row["until"]?.stringValue.flatMap(Timestamp.parse).map { SendWindow.localTime($0, in: zone, "EEE d MMM HH:mm") } ?? "—"
            item["paused"] = row["state"] == "paused"
            return item
        }
        var model: [String: Any] = [
            "sequence": Mustached.value(sequence), "steps": steps, "days": dayNames, "waiting": waiting,
            "enrollments": Mustached.value(board["enrollments"] ?? .null), "sends": Mustached.value(board["sends"] ?? .null),
            "stops": (board["stops"]?.objectValue ?? [:]).sorted { $0.key < $1.key }.map { ["reason": Text.words($0.key), "count": Form.display($0.value)] },
            "tracking": Mustached.value(board["tracking"] ?? .null),
            "window": Self.window(sequence),
        ]
        if let mailbox = sequence["mailbox_id"]?.stringValue.flatMap(UUID.init(uuidString:)) {
            model["mailbox"] = try await store.select(Entities.mailboxes, where: [("id", .string(mailbox.lowercased))]).first?.string("email") ?? ""
        }
        if let ab = board["ab"], ab != .null {
            let label = ab["verdict"]?.stringValue ?? "insufficient_data"
            model["ab"] = [
                "groups": (ab["groups"]?.arrayValue ?? []).map { g -> [String: Any] in
                    var row = Mustached.value(g) as? [String: Any] ?? [:]
                    row["rate"] = Self.percent(g["reply_rate"])
                    return row
                },
                "verdict_text": label.hasPrefix("winner_")
                    ? "Group \(label.dropFirst(7)) wins on replies: the difference is significant (p < 0.05) and both groups have enough sends."
                    : label == "inconclusive"
                        ? "Inconclusive: both groups have enough sends, but the difference in replies could be chance (p ≥ 0.05)."
                        : "Not enough sends yet: each group needs \(ab["minimum_sent"]?.intValue ?? 30) before a verdict.",
                "p_value": ab["p_value"].map(Mustached.value) ?? Blank(), "method": Text.words(ab["method"]?.stringValue),
            ] as [String: Any]
        }
        return render(request, session, "sequence", title: sequence["name"]?.stringValue ?? "Sequence", current: "/sequences", model: model)
    }

    /// `Mon Tue Wed Thu Fri 09:00–17:00 America/New_York`.
    static func window(_ sequence: JSONValue) -> String {
        ((try? SendWindow(sequence: sequence))?.summary ?? "no send window") + " " + (sequence["time_zone"]?.stringValue ?? "UTC")
    }
}
