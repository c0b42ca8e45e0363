import Foundation
import NIOCore
import PostgresKit
import SQLKit
import TouchbaseDomain

/// PostgreSQL's bulk path: rows written with `COPY … FROM STDIN` (text format) on the connection of the caller's
/// transaction. The server reads a COPY stream much faster than it parses a multi-row `INSERT` with thousands of
/// parameters, and the client only writes text. Triggers fire as for an `INSERT` (row triggers per row, statement
/// triggers once per COPY), and a refused row refuses the whole COPY with the engine's usual error.
extension RecordStore {
    /// Bytes sent per write: small enough that the server inserts rows while the client still encodes the rest.
    static let copyChunk = 1 << 16

    /// Copies `rows` into the entity's table, or returns false when `sql` is not a PostgreSQL connection.
    func copyMany(_ entity: Entity, _ rows: [[String: JSONValue]], on sql: any SQLDatabase) async throws -> Bool {
        guard let session = sql as? PostgresSession else { return false }
        guard !rows.isEmpty else { return true }
        // A COPY cannot say DEFAULT for one row: a column the database may fill with a default other than NULL is
        // only listed for rows that give it, so rows are copied in groups by which of those columns they give.
        let defaulted = Set(entity.fields.filter(\.databaseMayDefault).map(\.name))
        var groups: [[String]: [[String: JSONValue]]] = [:]
        var order: [[String]] = []
        for row in rows {
            let key = row.keys.filter(defaulted.contains).sorted()
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(row)
        }
        for key in order {
            let group = groups[key]!
            var given = Set<String>()
            for row in group { given.formUnion(row.keys) }
            let fields = entity.fields.filter { given.contains($0.name) }
            do {
                try await session.connection.copyFrom(table: entity.table, columns: fields.map(\.name), logger: database.logger) { writer in
                    var buffer = ByteBuffer()
                    buffer.reserveCapacity(Self.copyChunk + 4096)
                    for row in group {
                        for (i, field) in fields.enumerated() {
                            if i > 0 { buffer.writeInteger(UInt8(ascii: "\t")) }
                            Self.writeCopyText(row[field.name] ?? .null, as: field.type, to: &buffer)
                        }
                        buffer.writeInteger(UInt8(ascii: "\n"))
                        if buffer.readableBytes >= Self.copyChunk {
                            try await writer.write(buffer)
                            buffer.clear()
                        }
                    }
                    if buffer.readableBytes > 0 { try await writer.write(buffer) }
                }
            } catch {
                throw StoreErrors.translate(error)
            }
        }
        return true
    }

    /// One value in COPY's text format, read as `Dialect.bind` binds it: NULL as `\N`, backslash, tab, newline and
    /// carriage return escaped.
    static func writeCopyText(_ value: JSONValue, as type: FieldType, to buffer: inout ByteBuffer) {
        if value.isNull {
            buffer.writeStaticString("\\N")
            return
        }
        let text: String
        switch type {
        case .uuid:
            text = value.stringValue.flatMap { UUID(uuidString: $0)?.lowercased } ?? value.stringValue ?? ""
        case .timestamp:
            text = value.stringValue.flatMap { Timestamp.parse($0).map(Timestamp.format) } ?? value.stringValue ?? ""
        case .jsonObject, .jsonArray:
            text = value.serialized
        case .boolean:
            text = (value.boolValue ?? false) ? "t" : "f"
        case .integer:
            text = String(value.intValue ?? 0)
        case .decimal:
            text = String(value.doubleValue ?? 0)
        default:
            text = value.stringValue ?? value.serialized
        }
        var plain = true
        for byte in text.utf8 where byte == UInt8(ascii: "\\") || byte == 9 || byte == 10 || byte == 13 {
            plain = false
            break
        }
        if plain {
            buffer.writeString(text)
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
            case 9: buffer.writeStaticString("\\t")
            case 10: buffer.writeStaticString("\\n")
            case 13: buffer.writeStaticString("\\r")
            default: buffer.writeInteger(byte)
            }
        }
    }
}
