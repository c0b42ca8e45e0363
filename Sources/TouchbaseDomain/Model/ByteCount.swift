import Foundation

/// Byte counts as people write them: `1 GiB`, `512 MiB`, `10 KiB`, `900 bytes`.
public enum ByteCount {
    public static func text(_ bytes: Int) -> String {
        for (unit, size) in [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] where bytes >= size && bytes % size == 0 {
            return "\(bytes / size) \(unit)"
        }
        return "\(bytes) bytes"
    }

    /// Reads `1073741824`, `1G`, `1GiB`, `512M`, `512MB`, `64k` (powers of 1024); nil for anything else.
    public static func parse(_ text: String) -> Int? {
        let t = text.trimmed.lowercased().replacingOccurrences(of: " ", with: "")
        let units: [(String, Int)] = [("gib", 1 << 30), ("gb", 1 << 30), ("g", 1 << 30), ("mib", 1 << 20), ("mb", 1 << 20), ("m", 1 << 20),
                                      ("kib", 1 << 10), ("kb", 1 << 10), ("k", 1 << 10), ("b", 1)]
        for (suffix, size) in units where t.hasSuffix(suffix) {
            guard let n = Int(t.dropLast(suffix.count)), n > 0, n <= Int.max / size else { return nil }
            return n * size
        }
        guard let n = Int(t), n > 0 else { return nil }
        return n
    }
}
