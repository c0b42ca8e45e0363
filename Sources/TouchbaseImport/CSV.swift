import Foundation

/// One record of a CSV file: its fields and the line it starts on (1-based, the header is line 1).
public struct CSVRecord: Sendable {
    public let line: Int
    public let fields: [String]
    /// Why the record could not be read (broken quoting), when it could not.
    public let error: String?
}

/// A streaming RFC 4180 reader: reads a file in 1 MiB chunks and yields one record at a time, so memory stays
/// flat whatever the file's size. Handles a UTF-8 byte-order mark, CRLF and LF line ends, quoted fields with
/// commas, doubled quotes and line breaks. A record with broken quoting (a quote inside an unquoted field,
/// text after a closing quote, a quote never closed) is returned with an `error` and the reader goes on
/// with the next line.
public final class CSVReader: Sequence, IteratorProtocol {
    private let handle: FileHandle?
    private var buffer: [UInt8] = []
    private var position = 0
    private var finished = false
    private var line = 1
    private var started = false
    /// Bytes consumed so far, for progress.
    public private(set) var bytesRead = 0

    public init(url: URL) throws {
        handle = try FileHandle(forReadingFrom: url)
    }

    /// Reads from memory (tests, HTTP bodies).
    public init(data: Data) {
        handle = nil
        buffer = Array(data)
        finished = true
    }

    deinit { try? handle?.close() }

    private func fill() -> Bool {
        guard !finished, let handle else { return false }
        let chunk = (try? handle.read(upToCount: 1 << 20)) ?? nil
        guard let chunk, !chunk.isEmpty else {
            finished = true
            return false
        }
        if position > 0 {
            buffer.removeFirst(position)
            position = 0
        }
        buffer.append(contentsOf: chunk)
        return true
    }

    private func peek() -> UInt8? {
        if position >= buffer.count && !fill() { return nil }
        return position < buffer.count ? buffer[position] : nil
    }

    private func take() -> UInt8? {
        guard let b = peek() else { return nil }
        position += 1
        bytesRead += 1
        return b
    }

    public func next() -> CSVRecord? {
        if !started {
            started = true
            if peek() == 0xEF {
                let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
                while position + 3 > buffer.count && fill() {}
                if Array(buffer[position..<Swift.min(position + 3, buffer.count)]) == bom {
                    position += 3
                    bytesRead += 3
                }
            }
        }
        guard peek() != nil else { return nil }
        let startLine = line
        var fields: [String] = []
        var field: [UInt8] = []
        var error: String?
        enum State { case start, unquoted, quoted, afterQuote }
        var state = State.start

        func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
        }

        while let b = take() {
            switch state {
            case .start, .unquoted:
                if b == 0x2C {  // ,
                    endField()
                    state = .start
                } else if b == 0x0A || b == 0x0D {  // end of record
                    if b == 0x0D, peek() == 0x0A { _ = take() }
                    line += 1
                    endField()
                    return CSVRecord(line: startLine, fields: fields, error: error)
                } else if b == 0x22 {  // "
                    if state == .start {
                        state = .quoted
                    } else {
                        error = error ?? "a quote inside an unquoted field"
                        field.append(b)
                    }
                } else {
                    field.append(b)
                    state = .unquoted
                }
            case .quoted:
                if b == 0x22 {
                    state = .afterQuote
                } else {
                    if b == 0x0A { line += 1 }
                    field.append(b)
                }
            case .afterQuote:
                if b == 0x22 {
                    field.append(b)
                    state = .quoted
                } else if b == 0x2C {
                    endField()
                    state = .start
                } else if b == 0x0A || b == 0x0D {
                    if b == 0x0D, peek() == 0x0A { _ = take() }
                    line += 1
                    endField()
                    return CSVRecord(line: startLine, fields: fields, error: error)
                } else {
                    error = error ?? "text after a closing quote"
                    field.append(b)
                    state = .unquoted
                }
            }
        }
        if state == .quoted { error = error ?? "a quoted field is never closed" }
        endField()
        return CSVRecord(line: startLine, fields: fields, error: error)
    }
}

/// Writes CSV fields, quoting where needed.
public enum CSVWriter {
    public static func line(_ fields: [String]) -> String {
        fields.map { f in
            f.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                ? "\"" + f.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : f
        }.joined(separator: ",") + "\n"
    }
}
