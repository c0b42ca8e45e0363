// Migration 0021: the renewals lists walk one month of companies at a time in company order
// (`ix_companies_renewal_order`), and the due list skips a month at once when no company's notice window reaches back
// to today (`ix_companies_renewal_notice`: the month's widest window is one seek). Before, every read computed the
// next renewal date of every company and sorted them all (half a second at 100,000 companies).
// Companies with an empty CEO/CFO/HR slot are walked in company order (`ix_company_slots_empty`) by the data-quality
// page's count and sample, instead of reading every company or every empty slot. The renewal windows on Today are the
// signals of one type, newest first (`ix_signals_type`), not every signal walked back until enough are found.
// A shipped migration is never edited.

extension Migrations {
    static let renewalWalks0021: [String] = [
        // (renewal_month, id) serves every read the one-column index of 0006 served.
        "DROP INDEX ix_companies_renewal",
        "CREATE INDEX ix_companies_renewal_order ON companies (renewal_month, id) WHERE renewal_month IS NOT NULL",
        "CREATE INDEX ix_companies_renewal_notice ON companies (renewal_month, renewal_notice_window_days) WHERE renewal_month IS NOT NULL",
        "CREATE INDEX ix_company_slots_empty ON company_slots (company_id) WHERE contact_id IS NULL",
        "CREATE INDEX ix_signals_type ON signals (signal_type, id)",
    ]
}
