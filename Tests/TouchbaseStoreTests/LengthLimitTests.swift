import Foundation
import SQLKit
import Testing
import TouchbaseDomain
import TouchbaseStore
import TouchbaseTestSupport

@Suite("Lengths fit what both engines index")
struct LengthLimitTests {
    @Test("every text a B-tree index holds is limited to Field.keyTextLimit bytes", arguments: TestEngine.all)
    func indexedText(engine: TestEngine) async throws {
        try await engine.withDatabase { db in
            let query = db.engine == .sqlite
                ? "SELECT tbl_name AS t, sql AS d FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
                : "SELECT tablename AS t, indexdef AS d FROM pg_indexes WHERE schemaname = current_schema() AND indexdef NOT LIKE '% USING gin %'"
            let indexes = try await db.withConnection { sql in
                try await sql.raw(SQLQueryString(query)).all().map {
                    (try $0.decode(column: "t", as: String.self), try $0.decode(column: "d", as: String.self))
                }
            }
            var checked = 0
            for (table, definition) in indexes {
                guard let entity = Entities.named(table), entity.writable, let open = definition.firstIndex(of: "(") else { continue }
                let keyPart = definition[open...].components(separatedBy: " WHERE ")[0]
                let words = Set(keyPart.split(whereSeparator: { !$0.isLetter && !$0.isNumber && $0 != "_" }).map(String.init))
                for field in entity.fields where field.type == .text && field.vocabulary == nil && field.isWritable && words.contains(field.name) {
                    checked += 1
                    #expect(field.maxBytes <= Field.keyTextLimit, "\(table).\(field.name) is in \(definition) but takes \(field.maxBytes) bytes")
                }
            }
            #expect(checked >= 8)
        }
    }

    @Test("a value over the limit is refused with the field named; one at the limit is stored")
    func limits() throws {
        let name = Entities.companies.field("name")!
        #expect(throws: FieldProblem.self) { try name.check(.string(String(repeating: "é", count: 1_001))) }
        #expect(try name.check(.string(String(repeating: "é", count: 1_000))) == .string(String(repeating: "é", count: 1_000)))
        #expect(Entities.touchpoints.field("content")!.maxBytes == Field.textLimit)
        let key = NameKey.Rule.company.key(["name": .string(String(repeating: "ﷺ", count: 600))])
        #expect(key.utf8.count <= Field.keyTextLimit)
    }
}
