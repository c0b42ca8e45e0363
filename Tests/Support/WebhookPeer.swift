import Foundation
import TouchbaseDomain

#if canImport(Glibc)
    import Glibc
#endif

/// `Tests/peers/webhook_receiver.py`: a receiver on loopback that checks signatures with Python's own hmac.
public final class WebhookReceiverPeer: @unchecked Sendable {
    public let directory: URL
    public private(set) var process: Process?
    public private(set) var port = 0

    public init() throws {
        directory = URL(fileURLWithPath: NSTemporaryDirectory() + "touchbase-webhooks-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    public var url: String { "http://127.0.0.1:\(port)/hooks/touchbase?source=test" }

    /// Starts it (on its earlier port when it ran before: a receiver back after an outage).
    public func start() async throws {
        try? FileManager.default.removeItem(at: directory.appendingPathComponent("port"))
        let process = Process()
        // Debian's own Python (only its standard library is used), not a shim that would stand between us and it.
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("peers/webhook_receiver.py").path
        process.arguments = [script, directory.path] + (port > 0 ? [String(port)] : [])
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        self.process = process
        for _ in 0..<100 {
            if let text = try? String(contentsOf: directory.appendingPathComponent("port"), encoding: .utf8), let p = Int(text) {
                port = p
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "the webhook receiver did not start"])
    }

    /// Stops it as a crash would (SIGKILL: a child of the test process may not hear SIGTERM).
    public func stop() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    public func set(_ name: String, _ value: String) throws {
        try value.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    public var received: [JSONValue] {
        let text = (try? String(contentsOf: directory.appendingPathComponent("received.jsonl"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONValue.parse(String($0)) }
    }

    public func events(_ type: String) -> [JSONValue] { received.filter { $0["body"]?["type"]?.stringValue == type } }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }
}

