import Foundation

/// Mail domains anyone can sign up for: a contact's company is never derived from, or matched on, one of these.
/// The list is data (`free-mail-domains.txt` in this target's resources): one domain a line, `#` comments.
public enum FreeMail {
    public static let domains: Set<String> = {
        guard let url = Bundle.module.url(forResource: "free-mail-domains", withExtension: "txt"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else { return [] }
        return parse(text)
    }()

    static func parse(_ text: String) -> Set<String> {
        Set(text.split(whereSeparator: \.isNewline).compactMap { line in
            let word = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
            return word.isEmpty ? nil : word
        })
    }

    /// Whether `domain` (normalised, lowercase) is a free-mail or ISP domain, or a subdomain of one.
    public static func contains(_ domain: String) -> Bool {
        var d = Substring(domain.lowercased())
        while true {
            if domains.contains(String(d)) { return true }
            guard let dot = d.firstIndex(of: ".") else { return false }
            d = d[d.index(after: dot)...]
            if !d.contains(".") { return false }
        }
    }
}
