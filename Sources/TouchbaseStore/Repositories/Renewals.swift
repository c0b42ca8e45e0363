import Foundation
import SQLKit
import TouchbaseDomain

/// Renewal windows and the signals they raise (seed 004).
public struct RenewalRepository: StoreBacked {
    public let store: RecordStore
    public init(database: Database) { store = RecordStore(database: database) }

    public static let nextRenewals = Entity(
        table: "next_renewals", singular: "renewal", schemaName: "NextRenewal",
        summary: "A company's next renewal date and campaign window start (seed 004's vw_next_renewal).",
        fields: [
            Field("company_id", .uuid), Field("company_name", .text), Field("renewal_month", .integer),
            Field("renewal_notice_window_days", .integer), Field("next_renewal_date", .date), Field("campaign_window_start", .date),
        ])

    public static let dueRenewals = Entity(
        table: "due_renewals", singular: "renewal", schemaName: "DueRenewal",
        summary: "A company in its renewal window (seed 004's vw_due_renewals_ready).",
        fields: nextRenewals.fields + [Field("has_green_contact", .boolean)])

    /// The signal the scan raises when a renewal's campaign window opens.
    public static let windowSignal = "renewal_window_open_120d"

    /// A page of renewals: the rows, and where to go on from when there may be more (`month:company id`).
    public struct Page: Sendable {
        public let rows: [Record]
        public let nextCursor: String?
    }

    /// How many renewals in their window one page of the due list looks at, at most, for those with a green slot
    /// contact: when few have one, the page stops there and says where to go on from, so that it answers in
    /// milliseconds whatever the size (a bounded scan, as documented for the lists).
    public static let dueScanBudget = 1_000

    /// The next renewals (or those due with a green slot contact) in date order, then company id.
    public func renewals(due: Bool, limit: Int = 500) async throws -> [Record] {
        try await page(due: due, limit: limit).rows
    }

    /// The next renewals (or those due with a green slot contact) in date order, then company id, from `cursor`. A
    /// renewal's date is the first of its company's `renewal_month`, so the order is the months from the next
    /// first-of-month on: the views are read one month at a time (`renewal_month = m ORDER BY company_id`, a walk of
    /// `ix_companies_renewal_order`) until `limit` rows are found, instead of computing every company's date and
    /// sorting them all. For the due list, a month is skipped when no company's notice window reaches back to today
    /// (the month's largest window, one seek in `ix_companies_renewal_notice`), and at most `budget` renewals in their
    /// window are looked at a page.
    public func page(due: Bool, limit: Int = 500, cursor: String? = nil, budget: Int = dueScanBudget) async throws -> Page {
        var from: (month: Int, after: String)?
        if let cursor {
            let parts = cursor.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, let m = Int(parts[0]), (1...12).contains(m), UUID(uuidString: parts[1]) != nil else {
                throw DomainError.invalid("cursor", "is not a renewals cursor (the next_cursor of the previous page)")
            }
            from = (m, parts[1].lowercased())
        }
        let today = try await database.withConnection { [dialect] sql in
            try await sql.raw(SQLQueryString("SELECT CAST(\(unsafeRaw: dialect.today) AS TEXT) AS d")).first()?.decode(column: "d", as: String.self)
        }
        guard let today, let (year, month, day) = Self.parts(today) else {
            // Not a date this code can read: the views whole, in their own order.
            return Page(rows: try await store.view(
                due ? Self.dueRenewals : Self.nextRenewals,
                where: due ? "has_green_contact = \(dialect.bind(.bool(true), as: .boolean))" : "1 = 1", order: "next_renewal_date, company_id",
                limit: limit), nextCursor: nil)
        }
        var months = Self.monthOrder(month: month, day: day)
        if let from, let i = months.firstIndex(of: from.month) { months = Array(months[i...]) }
        var rows: [Record] = []
        var examined = 0
        for m in months {
            let inMonth: SQLQueryString = "renewal_month = \(dialect.bind(.int(Int64(m)), as: .integer))"
            var after = from?.month == m ? from?.after : nil
            if !due {
                var condition = inMonth
                if let after { condition += " AND company_id > \(dialect.bind(.string(after), as: .uuid))" }
                rows += try await store.view(Self.nextRenewals, where: condition, order: "company_id", limit: limit - rows.count)
                if rows.count >= limit { return Page(rows: rows, nextCursor: rows.last?.string("company_id").map { "\(m):\($0)" }) }
                continue
            }
            // The renewal in month m is on the 1st of m this year, or next year once that day has passed.
            let renewal = Self.date(year: (m > month || (m == month && day == 1)) ? year : year + 1, month: m)
            let lead = Self.days(from: Self.date(year: year, month: month, day: day), to: renewal)
            let widest = try await database.withConnection { sql in
                try await sql.raw(SQLQueryString("SELECT max(renewal_notice_window_days) AS n FROM companies WHERE ") + inMonth)
                    .first()?.decode(column: "n", as: Int?.self)
            }
            guard let widest, widest >= lead else { continue }
            // The month's renewals whose window is open, walked in company order a chunk at a time; which of them have
            // a green slot contact is one lookup by the chunk's ids (the view's EXISTS, left to the planner, may hash
            // every green contact in the database instead).
            while true {
                if examined >= budget { return Page(rows: rows, nextCursor: after.map { "\(m):\($0)" }) }
                var window: SQLQueryString = inMonth + " AND \(unsafeRaw: dialect.today) >= campaign_window_start"
                if let after { window += " AND company_id > \(dialect.bind(.string(after), as: .uuid))" }
                let size = min(200, budget - examined)
                let chunk = try await store.view(Self.nextRenewals, where: window, order: "company_id", limit: size)
                let green = try await greenSlotCompanies(chunk.compactMap { $0.string("company_id") })
                for row in chunk {
                    guard let id = row.string("company_id") else { continue }
                    examined += 1
                    after = id
                    guard green.contains(id.lowercased()) else { continue }
                    var values = row.values
                    values["has_green_contact"] = .bool(true)
                    rows.append(Record(entity: Self.dueRenewals, values: values))
                    if rows.count >= limit { return Page(rows: rows, nextCursor: "\(m):\(id)") }
                }
                if chunk.count < size { break }
            }
        }
        return Page(rows: rows, nextCursor: nil)
    }

    /// Which of `companies` have a CEO, CFO or HR slot held by a contact whose email is green (lower-case ids).
    func greenSlotCompanies(_ companies: [String]) async throws -> Set<String> {
        guard !companies.isEmpty else { return [] }
        let ids = SQLList(companies.map { dialect.bind(.string($0), as: .uuid) })
        let query: SQLQueryString = """
            SELECT DISTINCT s.company_id FROM company_slots s JOIN contacts p ON p.id = s.contact_id
            WHERE s.company_id IN (\(ids)) AND p.email_status = 'green'
            """
        return try await database.withConnection { [dialect] sql in
            Set(try await sql.raw(query).all().compactMap { try dialect.decode($0, "company_id", as: .uuid).stringValue?.lowercased() })
        }
    }

    /// The months in the order of their next renewal date, seen on `day` of `month`: the current month first only on
    /// its first day (a renewal falls on the 1st), otherwise last (next year's).
    static func monthOrder(month: Int, day: Int) -> [Int] {
        let start = day == 1 ? month : month + 1
        return (0..<12).map { (start - 1 + $0) % 12 + 1 }
    }

    static func parts(_ date: String) -> (Int, Int, Int)? {
        let p = date.prefix(10).split(separator: "-").compactMap { Int($0) }
        return p.count == 3 ? (p[0], p[1], p[2]) : nil
    }

    static func date(year: Int, month: Int, day: Int = 1) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.date(from: DateComponents(year: year, month: month, day: day))!
    }

    static func days(from: Date, to: Date) -> Int { Int((to.timeIntervalSince(from) / 86_400).rounded()) }

    /// Raises `renewal_window_open_120d` once per company and renewal whose campaign window has opened.
    public func scanSignals() async throws -> [Record] {
        let open = try await store.view(Self.dueRenewals, where: "1 = 1", order: "company_id")
        var created: [Record] = []
        for r in open {
            guard let company = r.uuid("company_id"), let date = r.string("next_renewal_date") else { continue }
            let key = "renewal_window_open_120d:\(company.lowercased):\(date)"
            if try await !store.select(Entities.signals, where: [("dedupe_key", .string(key))], limit: 1).isEmpty { continue }
            do {
                created.append(try await store.create(Entities.signals, [
                    "company_id": .string(company.lowercased), "signal_type": .string(Self.windowSignal), "dedupe_key": .string(key),
                    "description": .string("Renewal on \(date): the campaign window opened on \(r.string("campaign_window_start") ?? "")."),
                    "payload": ["renewal_date": .string(date), "campaign_window_start": r["campaign_window_start"],
                                "renewal_notice_window_days": r["renewal_notice_window_days"]],
                ]))
            } catch DomainError.conflict {
                continue  // raised by a concurrent scan
            }
        }
        return created
    }
}
