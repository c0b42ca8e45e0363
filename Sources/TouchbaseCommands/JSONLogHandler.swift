import Foundation
import Logging
import TouchbaseDomain

/// `--log-format json`: one JSON object a line on standard error — `time` (UTC, ISO 8601 with milliseconds),
/// `level`, `label`, `message`, `source`, then the metadata (`request_id`, …) as string fields — for a log shipper to
/// read without a pattern.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    let write: @Sendable (String) -> Void

    init(label: String, metadataProvider: Logger.MetadataProvider? = nil, write: @escaping @Sendable (String) -> Void = JSONLogHandler.standardError) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.write = write
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields: [String: JSONValue] = [
            "time": .string(Timestamp.format(Date())), "level": .string(event.level.rawValue), "label": .string(label),
            "message": .string(event.message.description), "source": .string(event.source),
        ]
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { _, new in new } }
        if let extra = event.metadata { all.merge(extra) { _, new in new } }
        for (key, value) in all where fields[key] == nil { fields[key] = .string(value.description) }
        write(JSONValue.object(fields).serialized + "\n")
    }

    private static let lock = NSLock()
    /// Whole lines, one writer at a time, so that lines of two threads never interleave.
    static let standardError: @Sendable (String) -> Void = { line in
        lock.withLock { FileHandle.standardError.write(Data(line.utf8)) }
    }
}

/// How logs are written: `text` (swift-log's stream format) or `json` (`JSONLogHandler`).
enum LogFormat: String, CaseIterable, Sendable {
    case text, json
}
