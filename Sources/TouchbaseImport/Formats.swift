import Foundation
import TouchbaseDomain

/// The spreadsheet layouts Touchbase reads without flags.
public enum ImportFormat: String, Sendable, CaseIterable {
    case apollo, hubspot, linkedin, generic

    static func key(_ header: String) -> String {
        header.trimmed.lowercased()
    }

    /// Recognises a layout from its header row.
    public static func detect(_ headers: [String]) -> ImportFormat {
        let keys = Set(headers.map(key))
        if keys.contains("person linkedin url") || keys.contains("apollo contact id") || keys.contains("apollo account id")
            || (keys.contains("email status") && keys.contains("seniority"))
        {
            return .apollo
        }
        if keys.contains("connected on") { return .linkedin }
        if keys.contains("record id") || keys.contains("company domain name") || keys.contains("email address") && keys.contains("job title") {
            return .hubspot
        }
        return .generic
    }

    /// Header (lowercased) → the row key the promotion understands: a field name, or `company_*` for the
    /// contact's company, or `email_status` for the verification.
    public func columns(for kind: String) -> [String: String] {
        switch (self, kind) {
        case (.apollo, _):
            return [
                "first name": "first_name", "last name": "last_name", "title": "title", "company": "company_name",
                "company name": "company_name", "company name for emails": "company_name", "email": "email",
                "email status": "email_status", "seniority": "seniority_level", "departments": "department",
                "person linkedin url": "linkedin_url", "website": "company_website", "company linkedin url": "company_linkedin_url",
                "# employees": "company_employee_count", "industry": "company_industry", "city": "city", "state": "state",
                "country": "country", "mobile phone": "phone", "work direct phone": "phone", "corporate phone": "phone",
                "company city": "company_city", "company country": "company_country",
            ]
        case (.hubspot, "companies"):
            return [
                "company name": "name", "name": "name", "company domain name": "domain", "domain": "domain",
                "industry": "industry", "number of employees": "employee_count", "city": "city", "state/region": "state_region",
                "country/region": "country", "website url": "website_url", "linkedin company page": "linkedin_company_url",
                "phone number": "phone", "annual revenue": "annual_revenue",
            ]
        case (.hubspot, _):
            return [
                "first name": "first_name", "last name": "last_name", "email": "email", "email address": "email",
                "job title": "title", "company name": "company_name", "company domain name": "company_domain",
                "phone number": "phone", "mobile phone number": "phone", "city": "city", "state/region": "state",
                "country/region": "country", "linkedin url": "linkedin_url",
            ]
        case (.linkedin, _):
            return [
                "first name": "first_name", "last name": "last_name", "email address": "email", "company": "company_name",
                "position": "title", "url": "linkedin_url", "profile url": "linkedin_url",
            ]
        case (.generic, _):
            return [:]
        }
    }

    /// Apollo's seniority words in ours.
    public static func seniority(_ raw: String) -> String? {
        switch key(raw).replacing("-", with: "_").replacing(" ", with: "_") {
        case "c_suite", "c_level", "owner", "founder", "partner", "cxo": return "c-level"
        case "vp", "vice_president": return "vp"
        case "head", "director": return "director"
        case "manager": return "manager"
        case "senior", "entry", "intern", "individual_contributor", "ic": return "individual_contributor"
        default: return Vocabulary.seniority.contains(key(raw)) ? key(raw) : nil
        }
    }

    /// Apollo's email status words in our verification colours.
    public static func emailStatus(_ raw: String) -> String? {
        switch key(raw) {
        case "verified", "valid", "green": return "green"
        case "likely to engage", "guessed", "extrapolated", "catch-all", "accept_all", "accept all", "risky", "yellow": return "yellow"
        case "bounced", "invalid", "red": return "red"
        case "unavailable", "unverified", "unknown", "gray", "grey": return "gray"
        default: return nil
        }
    }
}
