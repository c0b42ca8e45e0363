import Foundation
import Testing
import TouchbaseDomain

@Suite("Outreach scoring and statistics")
struct OutreachScoringTests {
    let profile = ICPProfile(
        exactTitles: ["Director of QA"], primaryTitles: ["qa", "quality"], secondaryTitles: ["engineering"],
        topVerticals: ["FinTech"], adjacentVerticals: ["SaaS"], sweetSpot: 200...2000, acceptable: 50...10000,
        seniorityMap: [:], qaOwnershipKeywords: ["qa", "test"], version: "v1")

    func subject(title: String?, seniority: String? = nil, industry: String? = nil, employees: Int? = nil, intent: Bool = false)
        -> ICPSubject
    {
        ICPSubject(title: title, personaType: nil, seniority: seniority, industry: industry, subIndustry: nil, employeeCount: employees, buyerIntent: intent)
    }

    @Test("title match: exact 3, primary 2, secondary 1, none 0", arguments: [
        ("Director of QA", 3), ("director of qa", 3), ("Head of Quality", 2), ("VP Engineering", 1), ("CFO", 0), (nil as String?, 0),
    ])
    func titles(title: String?, expected: Int) {
        #expect(ICPScore(profile: profile, subject: subject(title: title)).titleMatch == expected)
    }

    @Test("size fit by headcount", arguments: [(800, 2), (200, 2), (2001, 1), (50, 1), (49, 0), (20000, 0)])
    func size(employees: Int, expected: Int) {
        #expect(ICPScore(profile: profile, subject: subject(title: nil, employees: employees)).companySizeFit == expected)
    }

    @Test("the composite is the sum of its columns, 0 to 12")
    func composite() {
        let best = ICPScore(profile: profile, subject: subject(title: "Director of QA", seniority: "director", industry: "fintech", employees: 500, intent: true))
        let parts: [Int] = [best.titleMatch, best.verticalMatch, best.companySizeFit, best.seniorityFit, best.buyerIntentBonus]
        #expect(parts == [3, 2, 2, 2, 2])
        #expect(best.softwareQAConfirmed)
        #expect(best.total == 12)
        let none = ICPScore(profile: profile, subject: subject(title: nil))
        #expect(none.total == 0)
        let adjacent = ICPScore(profile: profile, subject: subject(title: "Engineering Manager", seniority: "manager", industry: "SaaS"))
        #expect(adjacent.verticalMatch == 1 && adjacent.seniorityFit == 1 && adjacent.titleMatch == 1)
    }

    @Test("priority buckets the ICP total and adds recent hire and signals, capped at 5", arguments: [
        (nil as Int?, false, 0, 3), (0, false, 0, 1), (5, false, 0, 2), (6, false, 0, 3), (10, false, 0, 4), (12, false, 0, 5),
        (6, true, 0, 4), (6, true, 2, 5), (12, true, 1, 5),
    ])
    func priority(icp: Int?, hired: Bool, signals: Int, expected: Int) {
        #expect(Priority(icpTotal: icp, recentlyHired: hired, activeSignals: signals).score == expected)
    }

    @Test("word counts split on blanks", arguments: [("", 0), ("  ", 0), ("one", 1), ("Hi  there,\nfriend\t!", 4)])
    func words(text: String, expected: Int) {
        #expect(WordCount.of(text) == expected)
    }

    @Test("QC flags each problem")
    func qc() {
        let good = "Hi Maya, PayFlow ships weekly and " + Array(repeating: "word", count: 60).joined(separator: " ")
        #expect(DraftQC.check(subject: "Releases at PayFlow", body: good, channel: "email", touchType: "email", firstName: "Maya", companyName: "PayFlow").isEmpty)
        func codes(_ subject: String?, _ body: String, channel: String = "email", type: String? = "email") -> [String] {
            DraftQC.check(subject: subject, body: body, channel: channel, touchType: type, firstName: "Maya", companyName: "PayFlow").map(\.code)
        }
        #expect(codes("Hi", "Hi Maya") == ["too_short"])
        #expect(codes("Hi", good + " " + Array(repeating: "more", count: 120).joined(separator: " ")) == ["too_long"])
        #expect(codes("Hi {{company}}", good) == ["unfilled_placeholder"])
        #expect(codes("Hi", good.replacingOccurrences(of: "Maya", with: "there").replacingOccurrences(of: "PayFlow", with: "you")) == ["no_personal_reference"])
        #expect(codes("Hi", good + " act now, it is free") == ["spam_words"])
        #expect(codes("Hi", good + " https://a.io https://b.io http://c.io") == ["too_many_links"])
        #expect(codes(String(repeating: "s", count: 61), good) == ["subject_too_long"])
        #expect(codes(nil, good) == ["missing_subject"])
        #expect(codes("Hi", "Freedom for Maya", channel: "linkedin", type: nil) == ["too_short"])
        // The messages read as English: "an email", "a connection request".
        func message(_ body: String, channel: String, type: String?) -> String? {
            DraftQC.check(subject: "Hi", body: body, channel: channel, touchType: type, firstName: "Maya", companyName: "PayFlow").first?.message
        }
        #expect(message("Hi Maya", channel: "email", type: "email") == "2 words; an email needs at least 50")
        #expect(message("Hi Maya", channel: "linkedin", type: "connection_request")?.contains("; a connection request needs at least") == true)
    }

    @Test("two-proportion test: p-value and interval")
    func proportion() throws {
        let t = try #require(ProportionTest(successes1: 16, trials1: 40, successes2: 4, trials2: 40))
        #expect(abs(t.z - 3.0984) < 0.001)
        #expect(abs(t.pValue - 0.001946) < 0.00001)
        #expect(t.significant)
        #expect(t.lower > 0 && t.upper < 1)
        let even = try #require(ProportionTest(successes1: 5, trials1: 40, successes2: 4, trials2: 40))
        #expect(!even.significant)
        #expect(ProportionTest(successes1: 0, trials1: 0, successes2: 1, trials2: 2) == nil)
        let none = try #require(ProportionTest(successes1: 0, trials1: 10, successes2: 0, trials2: 10))
        #expect(none.pValue == 1)
    }

    @Test("a verdict names the better group only when significant")
    func verdict() {
        let a = GroupCounts(group: "A", prospects: 40, sent: 40, replies: 4, meetings: 0, opportunities: 0)
        let b = GroupCounts(group: "B", prospects: 40, sent: 40, replies: 16, meetings: 1, opportunities: 0)
        #expect(ExperimentVerdict(groups: [a, b], metric: "replies").winner == "B")
        #expect(ExperimentVerdict(groups: [a, b], metric: "meetings").winner == nil)
        #expect(ExperimentVerdict(groups: [a], metric: "replies").winner == nil)
    }

    @Test("three prospects a group never make a winner: Fisher's exact test and a minimum sample")
    func smallSamples() {
        // 3 of 3 against 0 of 3: a z-test says p = 0.014; Fisher's exact test says p = 0.1, and 3 sends are too few.
        let a = GroupCounts(group: "A", prospects: 3, sent: 3, replies: 3, meetings: 0, opportunities: 0)
        let b = GroupCounts(group: "B", prospects: 3, sent: 3, replies: 0, meetings: 0, opportunities: 0)
        let verdict = ExperimentVerdict(groups: [a, b], metric: "replies")
        #expect(verdict.method == "fisher_exact" && abs((verdict.pValue ?? 0) - 0.1) < 1e-9)
        #expect(verdict.winner == nil && verdict.label == "insufficient_data" && verdict.needed == ["A": 27, "B": 27])
        // The textbook table: 1 of 10 against 11 of 14 (Fisher's tea-style example), p = 0.0028.
        #expect(abs(FisherExactTest(successes1: 1, trials1: 10, successes2: 11, trials2: 14).pValue - 0.002759) < 1e-5)
        #expect(ExperimentVerdict(groups: [a, b], metric: "replies", minimumSent: 3).winner == nil)  // p = 0.1 is not significant
    }

    @Test("group assignment is balanced and reproducible")
    func assignment() {
        let items = Array(0..<11)
        let first = GroupAssignment.assign(items, groups: ["A", "B", "C"], seed: 42)
        let second = GroupAssignment.assign(items, groups: ["A", "B", "C"], seed: 42)
        #expect(first.map(\.1) == second.map(\.1) && first.map(\.0) == second.map(\.0))
        let sizes = ["A", "B", "C"].map { g in first.filter { $0.1 == g }.count }
        #expect(sizes.max()! - sizes.min()! <= 1)
        #expect(Set(first.map(\.0)) == Set(items))
        let other = GroupAssignment.assign(items, groups: ["A", "B", "C"], seed: 43)
        #expect(other.map(\.0) != first.map(\.0))
    }
}

@Suite("Merge templates")
struct MergeTemplateTests {
    @Test("fields fill from the contact, company, sender and colleague; a fallback covers a blank")
    func render() throws {
        let t = try MergeTemplate("Hi {{first_name}}, your colleague {{ colleague.first_name }} ({{colleague.title}}) at {{company.name}} asked me to reach out. {{sender.first_name}}")
        #expect(t.fieldNames == ["first_name", "colleague.first_name", "colleague.title", "company.name", "sender.first_name"])
        #expect(t.needsColleague)
        let text = try t.render([
            "first_name": "Sue", "colleague.first_name": "Dr. Xu", "colleague.title": "CMO", "company.name": "Acme", "sender.first_name": "Rob",
        ])
        #expect(text == "Hi Sue, your colleague Dr. Xu (CMO) at Acme asked me to reach out. Rob")
        #expect(try MergeTemplate("Hi {{first_name | there}},").render(["first_name": "  "]) == "Hi there,")
        #expect(try MergeTemplate("no fields at all").render([:]) == "no fields at all")
        #expect(!(try MergeTemplate("{{title}}").needsColleague))
    }

    @Test("a missing or blank value stops the render naming every such field: never 'Hi ,'")
    func missing() throws {
        let t = try MergeTemplate("Hi {{first_name}}, about {{company.name}} and {{first_name}}")
        #expect(throws: MergeTemplate.Problem(message: "no value for {{first_name}}, {{company.name}}: the step is not sent")) {
            try t.render(["first_name": " ", "company.name": ""])
        }
    }

    @Test("an unknown field or an unclosed one is refused where it stands")
    func refused() {
        #expect(throws: MergeTemplate.Problem.self) { try MergeTemplate("Hi {{compnay.name}}") }
        do {
            _ = try MergeTemplate("Hi {{compnay.name}}")
        } catch {
            #expect(error.message.hasPrefix("{{compnay.name}} at character 4 is not a merge field"))
        }
        do {
            _ = try MergeTemplate("ok {{first_name}} then {{title")
        } catch {
            #expect(error.message == "a merge field opened at character 24 is not closed with }}")
        }
    }
}

@Suite("Send windows")
struct SendWindowTests {
    static func utc(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }
    static let berlin = TimeZone(identifier: "Europe/Berlin")!
    static let newYork = TimeZone(identifier: "America/New_York")!

    @Test("inside the window a send goes now; before it, at the opening; after it, at the next business day's opening")
    func openings() {
        let w = SendWindow.businessHours
        // Wednesday 2026-03-04: 10:00 Berlin is 09:00 UTC.
        #expect(w.nextOpening(atOrAfter: Self.utc("2026-03-04T09:00:00Z"), in: Self.berlin) == Self.utc("2026-03-04T09:00:00Z"))
        #expect(w.nextOpening(atOrAfter: Self.utc("2026-03-04T05:00:00Z"), in: Self.berlin) == Self.utc("2026-03-04T08:00:00Z"))
        // Friday 18:00 Berlin waits for Monday 09:00.
        #expect(w.nextOpening(atOrAfter: Self.utc("2026-03-06T17:00:00Z"), in: Self.berlin) == Self.utc("2026-03-09T08:00:00Z"))
        // The same instant is a different local day in New York: Friday 12:00 there, inside the window.
        #expect(w.nextOpening(atOrAfter: Self.utc("2026-03-06T17:00:00Z"), in: Self.newYork) == Self.utc("2026-03-06T17:00:00Z"))
        // 17:00 is closed (the end is exclusive).
        #expect(w.nextOpening(atOrAfter: Self.utc("2026-03-04T16:00:00Z"), in: Self.berlin) == Self.utc("2026-03-05T08:00:00Z"))
    }

    @Test("09:00 local stays 09:00 local across daylight saving (Berlin on 2026-03-29, New York on 2026-03-08)")
    func daylightSaving() {
        let w = SendWindow.businessHours
        // Friday 2026-03-27 after hours → Monday 2026-03-30 09:00 CEST = 07:00 UTC (it was 08:00 UTC the week before).
        #expect(w.nextOpening(atOrAfter: Self.utc("2026-03-27T18:00:00Z"), in: Self.berlin) == Self.utc("2026-03-30T07:00:00Z"))
        // New York: Friday 2026-03-06 after hours (EST) → Monday 2026-03-09 09:00 EDT = 13:00 UTC.
        #expect(w.nextOpening(atOrAfter: Self.utc("2026-03-07T01:00:00Z"), in: Self.newYork) == Self.utc("2026-03-09T13:00:00Z"))
        // Two business days after Friday 10:00 CET is Tuesday 10:00 CEST.
        #expect(w.adding(businessDays: 2, to: Self.utc("2026-03-27T09:00:00Z"), in: Self.berlin) == Self.utc("2026-03-31T08:00:00Z"))
    }

    @Test("business days skip weekends and holidays; a window on other days counts those")
    func businessDays() throws {
        let w = try SendWindow(days: [1, 2, 3, 4, 5], start: 540, end: 1020, holidays: ["2026-12-24", "2026-12-25"])
        // Wednesday 2026-12-23 10:00 Berlin + 1 business day: Thursday and Friday are holidays, so Monday the 28th.
        #expect(w.adding(businessDays: 1, to: Self.utc("2026-12-23T09:00:00Z"), in: Self.berlin) == Self.utc("2026-12-28T09:00:00Z"))
        #expect(w.nextOpening(atOrAfter: Self.utc("2026-12-24T09:00:00Z"), in: Self.berlin) == Self.utc("2026-12-28T08:00:00Z"))
        #expect(w.adding(businessDays: 0, to: Self.utc("2026-12-24T09:00:00Z"), in: Self.berlin) == Self.utc("2026-12-24T09:00:00Z"))
        let weekends = try SendWindow(days: [6, 7], start: 600, end: 720)
        #expect(weekends.nextOpening(atOrAfter: Self.utc("2026-03-04T09:00:00Z"), in: TimeZone(identifier: "UTC")!) == Self.utc("2026-03-07T10:00:00Z"))
    }

    @Test("a window that cannot be is refused with the field at fault", arguments: [
        (Set<Int>(), 540, 1020, Set<String>(), "days"), ([8], 540, 1020, [], "days"), ([1], 1020, 540, [], "hours"),
        ([1], 0, 1441, [], "hours"), ([1], 540, 1020, ["24.12.2026"], "holidays"),
    ] as [(Set<Int>, Int, Int, Set<String>, String)])
    func refused(days: Set<Int>, start: Int, end: Int, holidays: Set<String>, field: String) {
        do {
            _ = try SendWindow(days: days, start: start, end: end, holidays: holidays)
            Issue.record("accepted")
        } catch {
            #expect(error.field == field)
        }
    }
}
