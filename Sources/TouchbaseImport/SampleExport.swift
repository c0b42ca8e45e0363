import Foundation
import TouchbaseDomain

/// Writes a deterministic Apollo-style contacts export of any size, for benchmarks and tests: each company
/// appears on about ten rows, and the same seed gives the same file.
public enum SampleExport {
    public static let apolloHeader = [
        "First Name", "Last Name", "Title", "Company Name", "Email", "Email Status", "Seniority", "Departments",
        "Person Linkedin Url", "Website", "Company Linkedin Url", "# Employees", "Industry", "City", "State", "Country",
    ]

    static let titles: [(String, String, String)] = [
        ("Chief Executive Officer", "c_suite", "Executive"), ("VP Engineering", "vp", "Engineering"),
        ("Director of QA", "director", "Engineering"), ("QA Manager", "manager", "Engineering"),
        ("Head of People", "head", "Human Resources"), ("Software Engineer", "senior", "Engineering"),
        ("Chief Financial Officer", "c_suite", "Finance"), ("Account Executive", "entry", "Sales"),
    ]
    static let statuses = ["Verified", "Verified", "Likely to engage", "Unavailable", "Guessed"]
    static let places = [("Berlin", "Berlin", "Germany"), ("Austin", "Texas", "United States"), ("Lyon", "Auvergne", "France"), ("Leeds", "England", "United Kingdom")]

    /// Writes `rows` data rows (plus the header) to `url`, with one company per `rowsPerCompany` rows.
    public static func writeApollo(rows: Int, rowsPerCompany: Int = 10, seed: UInt64 = 1, to url: URL) throws {
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        var rng = SplitMix64(seed: seed)
        func pick<T>(_ list: [T]) -> T { list[Int(rng.next() % UInt64(list.count))] }
        var out = CSVWriter.line(apolloHeader)
        let companies = max(1, rows / max(rowsPerCompany, 1))
        for i in 0..<rows {
            let c = i % companies
            let company = "\(DemoGenerator.words[c % DemoGenerator.words.count]) \(DemoGenerator.suffixes[(c / 12) % DemoGenerator.suffixes.count]) \(c)"
            let domain = company.lowercased().replacingOccurrences(of: " ", with: "-") + ".example"
            let first = pick(DemoGenerator.firstNames)
            let last = pick(DemoGenerator.lastNames)
            let (title, seniority, department) = titles[i % titles.count]
            let (city, state, country) = places[c % places.count]
            out += CSVWriter.line([
                first, last, title, company, "\(first).\(last).\(i)@\(domain)".lowercased(), pick(statuses), seniority, department,
                "http://www.linkedin.com/in/\(first.lowercased())-\(last.lowercased())-\(i)", "https://www.\(domain)",
                "http://www.linkedin.com/company/\(domain.split(separator: ".")[0])", String(10 + (c * 37) % 5000),
                DemoGenerator.industries[c % DemoGenerator.industries.count], city, state, country,
            ])
            if out.utf8.count > 1 << 20 {
                try handle.write(contentsOf: Data(out.utf8))
                out = ""
            }
        }
        try handle.write(contentsOf: Data(out.utf8))
    }
}
