import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A PostgreSQL server of a test's own, on loopback in a temporary directory, from Debian's binaries: a primary made
/// with initdb, or a streaming replica of one made with pg_basebackup. Run as the `postgres` user when the tests run
/// as root (PostgreSQL refuses root).
public final class PostgresCluster: @unchecked Sendable {
    public let directory: URL
    public let port: Int
    let bin: URL

    /// Debian's PostgreSQL binaries (the newest version there), or nil.
    public static var binaries: URL? {
        let root = URL(fileURLWithPath: "/usr/lib/postgresql")
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []).compactMap(Int.init).sorted()
        guard let newest = versions.last else { return nil }
        let bin = root.appendingPathComponent("\(newest)/bin")
        return FileManager.default.isExecutableFile(atPath: bin.appendingPathComponent("pg_basebackup").path) ? bin : nil
    }

    public var url: String { "postgres://postgres@127.0.0.1:\(port)/postgres" }

    init(bin: URL, port: Int) throws {
        self.bin = bin
        self.port = port
        directory = URL(fileURLWithPath: NSTemporaryDirectory() + "touchbase-pg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        if getuid() == 0 { try Self.run("/usr/bin/chown", ["-R", "postgres", directory.path]) }
    }

    /// Runs a program to its end with posix_spawn and waitpid (not Foundation's Process, whose wait never ended once
    /// pg_ctl had left a server running behind it); its standard error goes to a file, quoted when it fails.
    static func run(_ program: String, _ arguments: [String], asPostgres: Bool = false) throws {
        let argv = asPostgres && getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--", program] + arguments : [program] + arguments
        let errors = NSTemporaryDirectory() + "touchbase-pg-run-\(UUID().uuidString).txt"
        FileManager.default.createFile(atPath: errors, contents: nil)
        if getuid() == 0 { chmod(errors, 0o666) }
        defer { try? FileManager.default.removeItem(atPath: errors) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, errors, O_WRONLY | O_APPEND, 0)
        var pid: pid_t = 0
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { for a in cArgs { free(a) } }
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, cArgs, environ)
        guard spawned == 0 else {
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "could not start \(argv[0]): errno \(spawned)"])
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let exited = (status & 0x7f) == 0 && ((status >> 8) & 0xff) == 0
        guard exited else {
            let said = (try? String(contentsOfFile: errors, encoding: .utf8)) ?? ""
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "\(argv.joined(separator: " ")) failed: \(said)"])
        }
    }

    var data: String { directory.appendingPathComponent("data").path }

    /// A new primary, started.
    public static func primary() throws -> PostgresCluster {
        guard let bin = binaries else { throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "no PostgreSQL binaries"]) }
        let cluster = try PostgresCluster(bin: bin, port: Int.random(in: 41_000...49_000))
        try run(bin.appendingPathComponent("initdb").path, ["-D", cluster.data, "-A", "trust", "-U", "postgres", "--no-sync"], asPostgres: true)
        try cluster.start()
        return cluster
    }

    /// A streaming replica of `primary` (pg_basebackup -R), started: it replays the primary's WAL as it comes.
    public static func replica(of primary: PostgresCluster) throws -> PostgresCluster {
        let cluster = try PostgresCluster(bin: primary.bin, port: primary.port + 1)
        try run(
            primary.bin.appendingPathComponent("pg_basebackup").path,
            ["-h", "127.0.0.1", "-p", String(primary.port), "-U", "postgres", "-D", cluster.data, "-R", "-X", "stream", "--no-sync"], asPostgres: true)
        try cluster.start()
        return cluster
    }

    func start() throws {
        try Self.run(
            bin.appendingPathComponent("pg_ctl").path,
            ["-D", data, "-l", directory.appendingPathComponent("log").path, "-w", "start", "-o",
             "-c listen_addresses=127.0.0.1 -p \(port) -k \(directory.path) -c fsync=off -c synchronous_commit=off -c max_connections=100"],
            asPostgres: true)
    }

    public func stop() {
        try? Self.run(bin.appendingPathComponent("pg_ctl").path, ["-D", data, "-m", "immediate", "-w", "stop"], asPostgres: true)
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }
}
