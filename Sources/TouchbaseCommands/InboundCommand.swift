import ArgumentParser
import Foundation
import TouchbaseDomain
import TouchbaseService
import TouchbaseStore

/// `touchbase inbound FILE.eml… | - | --maildir DIR`
public struct InboundCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "inbound",
        abstract: "Take in raw email (replies, auto-replies, bounces, complaints, unsubscribes): from files, standard input, or a maildir.",
        discussion: """
            Each message is stored with its raw bytes, read, threaded to what it answers (our Message-IDs in In-Reply-To \
            and References, a reply+TOKEN@ address, a report's original, else the sender's open conversation) and acted on: \
            a reply is recorded with its intent, an out-of-office pauses the enrolment to the day it names, a hard bounce \
            turns the email red, a complaint or an unsubscribe sets do-not-contact. The same message (by Message-ID, else \
            a hash) is taken once, however often it comes. A message that cannot be read is stored unparsed, with the \
            reason, never dropped. '-' reads one message from standard input, so an MTA can pipe to it (Postfix: \
            `replies: "|touchbase inbound -"` in aliases) or fetchmail/getmail can deliver a mailbox to it (`mda \
            "touchbase inbound -"`). --maildir DIR takes every message in DIR/new once and moves it to DIR/cur. Writes are \
            audited as cli:inbound. Exit status 0; 75 (EX_TEMPFAIL, so an MTA tries again later) when a message could not \
            be stored.
            """)

    @OptionGroup public var global: GlobalOptions
    @Argument(help: ArgumentHelp("Message files (.eml), or - for standard input.", valueName: "file")) public var files: [String] = []
    @Option(help: ArgumentHelp("Take the new messages of this maildir (DIR/new → DIR/cur).", valueName: "dir")) public var maildir: String?
    @Flag(help: "Print each result as a JSON line.") public var json = false

    public init() {}

    public func validate() throws {
        if files.isEmpty && maildir == nil { throw ValidationError("give message files, '-' for standard input, or --maildir DIR") }
        if !files.isEmpty && maildir != nil { throw ValidationError("give files or --maildir, not both") }
        for file in files where file != "-" && !FileManager.default.fileExists(atPath: file) {
            throw ValidationError("\(file): no such file")
        }
        if let maildir {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: maildir + "/new", isDirectory: &isDir), isDir.boolValue else {
                throw ValidationError("--maildir \(maildir): not a maildir (it has no new/ directory)")
            }
        }
    }

    public func run() async throws {
        let settings = try Settings.read(global, defaultLevel: "warning")
        let failures = try await Runtime.withDatabase(settings, logger: Runtime.logger(settings)) { database in
            try await Migrator(database: database).upgradeAll()
            let inbound = InboundMail.fromEnvironment(database: database)
            var failures = 0
            var items: [(name: String, url: URL?)] = files.map { ($0, $0 == "-" ? nil : URL(fileURLWithPath: $0)) }
            if let maildir {
                let new = URL(fileURLWithPath: maildir).appendingPathComponent("new")
                let names = try FileManager.default.contentsOfDirectory(atPath: new.path).filter { !$0.hasPrefix(".") }.sorted()
                items = names.map { ("new/\($0)", new.appendingPathComponent($0)) }
                if names.isEmpty && !json { print("\(maildir): no new messages") }
            }
            for item in items {
                do {
                    let (bytes, size) = try Self.read(item.url, max: inbound.maxMessage)
                    let outcome = try await AuditContext.$actor.withValue("cli:inbound") {
                        try await inbound.ingest(bytes, source: maildir == nil ? "cli" : "maildir", size: size)
                    }
                    if let maildir, let url = item.url {
                        // Maildir: a message seen moves to cur/ with the info suffix ":2," (and keeps its unique name).
                        let base = url.lastPathComponent.split(separator: ":").first.map(String.init) ?? url.lastPathComponent
                        let target = URL(fileURLWithPath: maildir).appendingPathComponent("cur").appendingPathComponent(base + ":2,S")
                        try? FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                        try FileManager.default.moveItem(at: url, to: target)
                    }
                    print(json ? Self.json(item.name, outcome).serialized : Self.line(item.name, outcome))
                } catch {
                    failures += 1
                    FileHandle.standardError.write(Data("\(item.name): not stored: \(error)\n".utf8))
                }
            }
            return failures
        }
        if failures > 0 { throw ExitCode(75) }
    }

    /// A message's bytes (at most `max`) and its whole size.
    static func read(_ url: URL?, max: Int) throws -> ([UInt8], Int) {
        let handle = url.map { try? FileHandle(forReadingFrom: $0) } ?? FileHandle.standardInput
        guard let handle else { throw ValidationError("\(url?.path ?? "-"): cannot be read") }
        var bytes: [UInt8] = []
        var size = 0
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            size += chunk.count
            if bytes.count < max { bytes += chunk.prefix(max - bytes.count) }
        }
        if url != nil { try? handle.close() }
        return (bytes, size)
    }

    static func line(_ name: String, _ outcome: InboundMail.Outcome) -> String {
        let r = outcome.record
        if outcome.duplicate { return "\(name): already taken in (\(r.id.lowercased)); nothing done again" }
        var text = "\(name): \(r.string("status") ?? "?") \(r.string("kind") ?? "message")"
        if let from = r.string("from_address") { text += " from \(from)" }
        if let by = r.string("matched_by") { text += ", matched by \(by)" }
        text += " (\(r.id.lowercased))"
        let effects = (r["effects"].arrayValue ?? []).compactMap(\.stringValue)
        if !effects.isEmpty { text += "\n  " + effects.joined(separator: "\n  ") }
        if ["unmatched", "unparsed", "ignored"].contains(r.string("status") ?? ""), let reason = r.string("reason") { text += "\n  " + reason }
        return text
    }

    static func json(_ name: String, _ outcome: InboundMail.Outcome) -> JSONValue {
        ["file": .string(name), "duplicate": .bool(outcome.duplicate), "message": outcome.record.json]
    }
}
