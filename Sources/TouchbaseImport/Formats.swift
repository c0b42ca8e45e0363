import Foundation
import TouchbaseDomain

/// The export layouts Touchbase reads without flags. Each names the columns it knows, in a fixed order of
/// precedence per target: when several columns feed one field (Apollo's `Company Name`, `Company` and
/// `Company Name for Emails`; HubSpot's two `Phone Number` columns) the first non-empty one in that order wins, and
/// among columns with the same header the leftmost. Columns a layout does not know are matched by the common
/// spellings (`generic`), then by field name; a column matched only by name feeds a vocabulary field only with a
/// value that fits it. Whatever maps to no field is kept in `custom_fields` under its header as written.
public enum ImportFormat: String, Sendable, CaseIterable {
    case apollo, hubspot, linkedin, salesforce, generic

    /// A header as it is compared: lowercased, letters and digits only (`Record ID - Contact` → `recordidcontact`).
    public static func key(_ header: String) -> String {
        String(String.UnicodeScalarView(header.lowercased().unicodeScalars.filter { $0.properties.isAlphabetic || ("0"..."9").contains($0) }))
    }

    /// The value of `contacts.source` for rows of this layout.
    public var source: String { self == .generic ? "csv" : rawValue }

    /// Recognises a layout from its header row.
    public static func detect(_ headers: [String]) -> ImportFormat {
        let keys = Set(headers.map(key))
        func has(_ any: String...) -> Bool { any.contains(where: keys.contains) }
        if has("personlinkedinurl", "apollocontactid", "apolloaccountid", "companynameforemails") || (has("emailstatus") && has("seniority")) {
            return .apollo
        }
        if has("connectedon") { return .linkedin }
        if has("recordidcontact", "recordid", "lifecyclestage", "contactowner", "associatedcompany", "companydomainname")
            || (has("emailaddress") && has("jobtitle") && !has("accountname"))
        {
            return .hubspot
        }
        if has("accountname", "accountid", "mailingcity", "mailingcountry", "mailingstate", "leadsource") {
            return .salesforce
        }
        return .generic
    }

    /// Target → header keys, in precedence order. A target is a field name, `company_*` for the contact's company,
    /// `email_status`, `full_name`, `city`/`state`/`country`, or `apollo_stage`/`lifecycle_stage` (translated).
    public func columns(for kind: String) -> [(String, [String])] {
        switch (self, kind) {
        case (.apollo, "companies"):
            return [
                ("name", ["company", "companyname", "companynameforemails"]), ("website_url", ["website"]),
                ("linkedin_company_url", ["companylinkedinurl"]), ("employee_count", ["employees"]), ("industry", ["industry"]),
                ("phone", ["companyphone", "phone"]), ("city", ["companycity", "city"]), ("state_region", ["companystate", "state"]),
                ("country", ["companycountry", "country"]), ("annual_revenue", ["annualrevenue"]),
            ]
        case (.apollo, _):
            return [
                ("first_name", ["firstname"]), ("last_name", ["lastname"]), ("title", ["title"]),
                ("company_name", ["companyname", "company", "companynameforemails"]), ("email", ["email"]),
                ("email_status", ["emailstatus"]), ("seniority_level", ["seniority"]), ("department", ["departments"]),
                ("linkedin_url", ["personlinkedinurl"]), ("company_website", ["website"]),
                ("company_linkedin_url", ["companylinkedinurl"]), ("company_employee_count", ["employees"]),
                ("company_industry", ["industry"]), ("city", ["city"]), ("state", ["state"]), ("country", ["country"]),
                ("phone", ["workdirectphone", "mobilephone", "corporatephone", "homephone", "otherphone"]),
                ("company_city", ["companycity"]), ("company_country", ["companycountry"]), ("apollo_stage", ["stage"]),
            ]
        case (.hubspot, "companies"):
            return [
                ("name", ["companyname", "name"]), ("domain", ["companydomainname", "domain"]), ("industry", ["industry"]),
                ("employee_count", ["numberofemployees"]), ("city", ["city"]), ("state_region", ["stateregion"]),
                ("country", ["countryregion"]), ("website_url", ["websiteurl"]), ("linkedin_company_url", ["linkedincompanypage"]),
                ("phone", ["phonenumber"]), ("annual_revenue", ["annualrevenue"]),
            ]
        case (.hubspot, _):
            return [
                ("first_name", ["firstname"]), ("last_name", ["lastname"]), ("email", ["email", "emailaddress"]),
                ("title", ["jobtitle"]), ("company_name", ["companyname", "associatedcompany", "company"]),
                ("company_domain", ["companydomainname"]), ("company_website", ["websiteurl", "website"]),
                ("phone", ["phonenumber", "mobilephonenumber"]), ("city", ["city"]), ("state", ["stateregion"]),
                ("country", ["countryregion"]), ("linkedin_url", ["linkedinurl"]), ("lifecycle_stage", ["lifecyclestage"]),
            ]
        case (.linkedin, _):
            return [
                ("first_name", ["firstname"]), ("last_name", ["lastname"]), ("email", ["emailaddress"]),
                ("company_name", ["company"]), ("title", ["position"]), ("linkedin_url", ["url", "profileurl"]),
            ]
        case (.salesforce, "companies"):
            return [
                ("name", ["accountname", "name"]), ("website_url", ["website"]), ("industry", ["industry"]),
                ("employee_count", ["numberofemployees", "employees"]), ("phone", ["phone"]), ("annual_revenue", ["annualrevenue"]),
                ("city", ["billingcity"]), ("state_region", ["billingstate", "billingstateprovince"]), ("country", ["billingcountry"]),
            ]
        case (.salesforce, _):
            return [
                ("first_name", ["firstname"]), ("last_name", ["lastname"]), ("email", ["email"]), ("title", ["title"]),
                ("company_name", ["accountname"]), ("phone", ["phone", "mobilephone", "mobile"]), ("department", ["department"]),
                ("city", ["mailingcity"]), ("state", ["mailingstate", "mailingstateprovince"]), ("country", ["mailingcountry"]),
                ("company_website", ["accountwebsite", "website"]),
            ]
        case (.generic, "companies"):
            return [
                ("name", ["name", "companyname", "company", "accountname", "organization", "organisation"]),
                ("domain", ["domain", "companydomain"]), ("website_url", ["website", "websiteurl", "url", "companywebsite"]),
                ("industry", ["industry"]), ("employee_count", ["employees", "employeecount", "numberofemployees", "headcount"]),
                ("linkedin_company_url", ["linkedin", "linkedinurl", "companylinkedinurl"]), ("phone", ["phone", "phonenumber"]),
                ("city", ["city"]), ("country", ["country"]), ("annual_revenue", ["annualrevenue", "revenue"]),
            ]
        case (.generic, _):
            return [
                ("first_name", ["firstname", "givenname", "first", "forename"]),
                ("last_name", ["lastname", "surname", "familyname", "last"]), ("full_name", ["fullname", "name", "contactname"]),
                ("email", ["email", "emailaddress", "workemail", "businessemail", "email1"]),
                ("company_name", ["companyname", "company", "organization", "organisation", "accountname", "employer"]),
                ("title", ["jobtitle", "title", "position"]),
                ("phone", ["phone", "phonenumber", "workphone", "mobile", "mobilephone", "telephone", "tel"]),
                ("linkedin_url", ["linkedinurl", "linkedin", "linkedinprofile", "linkedinprofileurl", "profileurl"]),
                ("company_website", ["website", "companywebsite", "websiteurl"]), ("company_domain", ["domain", "companydomain"]),
                ("city", ["city"]), ("state", ["state", "region", "province"]), ("country", ["country"]),
                ("department", ["department"]), ("seniority_level", ["seniority", "senioritylevel"]),
            ]
        }
    }

    /// Words that stand for no value in exports ("N/A", "null", Salesforce's "[not provided]", …).
    public static func isPlaceholder(_ value: String) -> Bool {
        guard value.utf8.count <= 14 else { return false }
        switch value.lowercased() {
        case "null", "none", "nil", "n/a", "na", "n.a.", "#n/a", "-", "--", "—", "?", "[not provided]", "not provided", "unknown",
            "(none)", "(blank)", "undefined", "[none]":
            return true
        default: return false
        }
    }

    /// Apollo's seniority words in ours.
    public static func seniority(_ raw: String) -> String? {
        switch raw.trimmed.lowercased().replacing("-", with: "_").replacing(" ", with: "_") {
        case "c_suite", "c_level", "owner", "founder", "partner", "cxo": return "c-level"
        case "vp", "vice_president": return "vp"
        case "head", "director": return "director"
        case "manager": return "manager"
        case "senior", "entry", "intern", "individual_contributor", "ic": return "individual_contributor"
        default: return Vocabulary.seniority.contains(raw.trimmed.lowercased()) ? raw.trimmed.lowercased() : nil
        }
    }

    /// Export email statuses in our verification colours.
    public static func emailStatus(_ raw: String) -> String? {
        switch raw.trimmed.lowercased() {
        case "verified", "valid", "green", "deliverable": return "green"
        case "likely to engage", "guessed", "extrapolated", "catch-all", "catch all", "accept_all", "accept all", "risky", "yellow":
            return "yellow"
        case "bounced", "invalid", "red", "email no longer verified", "no longer verified", "undeliverable", "hard bounce": return "red"
        case "unavailable", "unverified", "unknown", "gray", "grey", "pending manual fulfillment", "user managed": return "gray"
        default: return nil
        }
    }

    /// Apollo's contact stages in our pipeline stages (and do-not-contact); nil for a stage that says nothing of
    /// ours (Bad Data, Changed Job), which is kept in `custom_fields`.
    public static func apolloStage(_ raw: String) -> [String: JSONValue]? {
        switch raw.trimmed.lowercased() {
        case "cold", "new": return ["stage": "new"]
        case "approaching": return ["stage": "sent"]
        case "replied", "interested": return ["stage": "replied"]
        case "not interested": return ["stage": "closed"]
        case "unresponsive": return ["stage": "dormant"]
        case "do not contact": return ["do_not_contact": .bool(true), "dnc_reason": "Apollo stage: Do Not Contact"]
        default: return nil
        }
    }

    /// HubSpot's lifecycle stages in our pipeline stages.
    public static func lifecycleStage(_ raw: String) -> [String: JSONValue]? {
        switch key(raw) {
        case "subscriber", "lead", "marketingqualifiedlead", "mql": return ["stage": "new"]
        case "salesqualifiedlead", "sql": return ["stage": "researched"]
        case "opportunity": return ["stage": "opportunity"]
        case "customer", "evangelist": return ["stage": "closed"]
        default: return nil
        }
    }
}
