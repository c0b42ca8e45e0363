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
        let repository = SequenceRepository(database: store.database)
        var rows: [[String: Any]] = []
        for sequence in sequences {
            let overview = try await repository.overview(sequence.id)
            var row = Mustached.record(sequence)
            row["steps"] = overview["steps"]?.arrayValue?.count ?? 0
            for state in Vocabulary.enrollmentState { row[state] = overview["enrollments"]?[state].map(Mustached.value) ?? 0 }
            row["sent"] = overview["sends"]?["sent"].map(Mustached.value) ?? 0
            rows.append(row)
        }
        return render(request, session, "sequences", title: "Sequences", current: "/sequences", model: ["sequences": rows])
    }

    func sequence(_ request: Request, _ session: WebSession, id text: String) async throws -> Response {
        let id = try Self.uuid(text, "sequence")
        let board = try await SequenceRepository(database: store.database).board(id)
        let sequence = board["sequence"] ?? .null
        let zone = TimeZone(identifier: sequence["time_zone"]?.stringValue ?? "UTC") ?? TimeZone(identifier: "UTC")!
        let days = (board["days"]?.arrayValue ?? []).compactMap(\.stringValue)
        let dayNames = days.map { day -> [String: Any] in
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX")
            f.timeZone = zone
            f.dateFormat = "yyyy-MM-dd"
            let date = f.date(from: day) ?? Date()
            f.dateFormat = "EEE d"
            return ["label": f.string(from: date), "date": day]
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
            item["until_local"] = row["until"]?.stringValue.flatMap(Timestamp.parse).map { Self.localTime($0, zone) } ?? "—"
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

    static func window(_ sequence: JSONValue) -> String {
        let names = ["", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        let days = (sequence["send_days"]?.arrayValue ?? []).compactMap { $0.intValue.map(Int.init) }.sorted().compactMap { (1...7).contains($0) ? names[$0] : nil }
        return String(format: "%@ %02d:00–%02d:00 %@", days.joined(separator: " "), Int(sequence["start_hour"]?.intValue ?? 9),
                      Int(sequence["end_hour"]?.intValue ?? 17), sequence["time_zone"]?.stringValue ?? "UTC")
    }

    static func localTime(_ date: Date, _ zone: TimeZone) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = zone
        f.dateFormat = "EEE d MMM HH:mm"
        return f.string(from: date)
    }
}
