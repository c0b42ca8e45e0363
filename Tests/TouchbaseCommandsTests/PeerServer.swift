import Foundation
import Testing
import TouchbaseStore

#if canImport(Glibc)
    import Glibc
#endif

/// Real programs for the peer tests: `touchbase serve` on a free port, and any program run to its end.
enum Peers {
    /// A script of `Tests/peers/`.
    static func script(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("peers/\(name)").path
    }

    /// Starts `touchbase serve` on `location` (a few ports are tried) and waits until `/health` answers.
    static func serve(_ location: DatabaseLocation, environment: [String: String]? = nil) async throws -> (process: Process, port: Int) {
        for _ in 0..<5 {
            let port = Int.random(in: 20_000...40_000)
            let process = Process()
            process.executableURL = ResumeTests.program
            process.arguments = ["serve", "--database", ResumeTests.argument(location), "--port", String(port)]
            if let environment { process.environment = environment }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            var ready = false
            for _ in 0..<100 where process.isRunning && !ready {
                try await Task.sleep(for: .milliseconds(100))
                ready = (try? String(contentsOf: URL(string: "http://127.0.0.1:\(port)/health")!, encoding: .utf8))?.contains("ok") == true
            }
            if ready { return (process, port) }
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
        }
        throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "touchbase serve did not start"])
    }

    /// Stops a server with SIGTERM and returns its exit status.
    static func stop(_ process: Process) -> Int32 {
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Runs a program to its end (at most `limit`) and returns its exit status with its standard output, and standard
    /// error when `errors` is set.
    static func run(
        _ program: String, _ arguments: [String], environment: [String: String]? = nil, limit: Duration = .seconds(120), errors: Bool = false
    ) async throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = errors ? out : FileHandle.nullDevice
        try process.run()
        let watchdog = Task {
            try await Task.sleep(for: limit)
            if process.isRunning { process.terminate() }
        }
        let printed = await withCheckedContinuation { (done: CheckedContinuation<String, Never>) in
            DispatchQueue.global().async {
                let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                process.waitUntilExit()
                done.resume(returning: text)
            }
        }
        watchdog.cancel()
        return (process.terminationStatus, printed)
    }
}
