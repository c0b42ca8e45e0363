import Foundation
import NIOSSL
import TouchbaseMail

#if canImport(Glibc)
    import Glibc
#endif

/// A real SMTP server on loopback (`Tests/peers/smtp_server.py`, PyPI aiosmtpd), or a deliberately broken one.
/// Needs `TOUCHBASE_TEST_SMTP_PYTHON`: a Python that has `aiosmtpd` (`.ci/run` makes one).
/// Unchecked: its process and pipe are only touched to stop it, from the test that started it.
public struct SMTPPeer: @unchecked Sendable {
    public static let python = ProcessInfo.processInfo.environment["TOUCHBASE_TEST_SMTP_PYTHON"]
    public static let skipped = "TOUCHBASE_TEST_SMTP_PYTHON names no Python with PyPI aiosmtpd: skipped"
    public static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("peers/smtp_server.py").path

    let process: Process
    let input: Pipe
    public let port: Int
    public let directory: URL

    /// Starts the server in `mode` and waits for its port.
    public static func start(_ mode: String) throws -> SMTPPeer {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tb-smtp-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python!)
        process.arguments = [script, mode, directory.path]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        var seen = Data()
        let reader = output.fileHandleForReading
        while !seen.contains(UInt8(ascii: "\n")) {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            seen += chunk
        }
        let line = String(decoding: seen, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard line.hasPrefix("READY "), let port = Int(line.dropFirst(6)) else {
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "smtp_server.py \(mode) did not start: \(line)"])
        }
        return SMTPPeer(process: process, input: input, port: port, directory: directory)
    }

    /// Closes its standard input (it exits on that); one still running 10 s later is killed, so that a stuck peer
    /// cannot hold the test run (a wait on it once never returned).
    public func stop() {
        try? input.fileHandleForWriting.close()
        for _ in 0..<200 where process.isRunning { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }

    /// The messages received so far: the bytes of DATA and what the server noted of the envelope.
    public func received() throws -> [(bytes: [UInt8], envelope: [String: Any])] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".eml") }.sorted()
        return try names.map { name in
            let bytes = try [UInt8](Data(contentsOf: directory.appendingPathComponent(name)))
            let json = try Data(contentsOf: directory.appendingPathComponent(name.replacingOccurrences(of: ".eml", with: ".json")))
            return (bytes, try JSONSerialization.jsonObject(with: json) as? [String: Any] ?? [:])
        }
    }

    /// A client that trusts the server's self-signed certificate.
    public func client(_ url: String) throws -> SMTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        let cert = directory.appendingPathComponent("cert.pem").path
        if FileManager.default.fileExists(atPath: cert) { tls.trustRoots = .file(cert) }
        return SMTPClient(endpoint: try SMTPEndpoint(url: url), heloName: "touchbase.test", tls: tls, replyTimeout: 10)
    }
}

