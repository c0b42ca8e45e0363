import Foundation
import TouchbaseDomain

/// One record of a CSV file: its fields and the line it starts on (1-based, the header is line 1).
public struct CSVRecord: Sendable {
    public let line: Int
    public let fields: [String]
    /// Why the record could not be read (broken quoting, bytes the file's encoding cannot decode), when it could not.
    public let error: String?
}

/// A streaming RFC 4180 reader: reads a file in 1 MiB chunks, transcodes them to UTF-8 (the encoding is detected
/// from the first chunk unless given: see `TextEncoding.detect`) and yields one record at a time, so memory stays
/// flat whatever the file's size. Handles a byte-order mark, CRLF and LF line ends, quoted fields with commas,
/// doubled quotes and line breaks. A record with broken quoting (a quote inside an unquoted field, text after a
/// closing quote, a quote never closed) or with bytes that do not decode is returned with an `error` and the reader
/// goes on with the next line.
public final class CSVReader: Sequence, IteratorProtocol {
    private let handle: FileHandle?
    private var pending: [UInt8]?
    private var buffer: [UInt8] = []
    private var position = 0
    private var finished = false
    private var line = 1
    private var transcoder: Transcoder
    private var rawRead = 0
    private var produced = 0
    private var consumed = 0
    /// The encoding the file is read in.
    public let encoding: TextEncoding
    /// Whether `encoding` was worked out from the bytes (not given).
    public let detected: Bool

    /// Bytes of the file consumed so far (for progress; estimated through the transcoding).
    public var bytesRead: Int { produced == 0 ? 0 : Int(Double(consumed) * Double(rawRead) / Double(produced)) }

    public convenience init(url: URL, encoding: TextEncoding? = nil) throws {
        let handle = try FileHandle(forReadingFrom: url)
        let first = Array((try handle.read(upToCount: 1 << 20)) ?? Data())
        self.init(handle: handle, first: first, complete: first.count < 1 << 20, encoding: encoding)
    }

    /// Reads from memory (tests, HTTP bodies).
    public convenience init(data: Data, encoding: TextEncoding? = nil) {
        self.init(handle: nil, first: Array(data), complete: true, encoding: encoding)
    }

    /// `first`: the file's first bytes (all of them when `handle` is nil), from which the encoding is detected.
    private init(handle: FileHandle?, first: [UInt8], complete: Bool, encoding: TextEncoding?) {
        self.handle = handle
        let (found, bom) = TextEncoding.detect(first, complete: complete)
        self.encoding = encoding ?? found
        self.detected = encoding == nil
        transcoder = Transcoder(self.encoding)
        let skip = (encoding == nil || encoding == found) ? bom : 0
        rawRead = skip
        pending = Array(first.dropFirst(skip))
    }

    deinit { try? handle?.close() }

    private func fill() -> Bool {
        guard !finished else { return false }
        var raw: [UInt8]
        if let first = pending {
            raw = first
            pending = nil
        } else {
            raw = Array(((try? handle?.read(upToCount: 1 << 20)) ?? nil) ?? Data())
        }
        let last = raw.isEmpty
        if position > 0 {
            buffer.removeFirst(position)
            position = 0
        }
        let before = buffer.count
        rawRead += raw.count
        transcoder.feed(raw, into: &buffer, final: last)
        produced += buffer.count - before
        if last { finished = true }
        return buffer.count > before || (!last && fill())
    }

    private func peek() -> UInt8? {
        if position >= buffer.count && !fill() { return nil }
        return position < buffer.count ? buffer[position] : nil
    }

    private func take() -> UInt8? {
        guard let b = peek() else { return nil }
        position += 1
        consumed += 1
        return b
    }

    public func next() -> CSVRecord? {
        guard peek() != nil else { return nil }
        let startLine = line
        var fields: [String] = []
        var field: [UInt8] = []
        var error: String?
        enum State { case start, unquoted, quoted, afterQuote }
        var state = State.start
        let encoding = self.encoding

        func endField() {
            if let text = String(validating: field, as: UTF8.self) {
                fields.append(text)
            } else {
                error = error ?? "column \(fields.count + 1) has bytes that are not \(encoding.rawValue) text (give the file's encoding with --encoding)"
                fields.append(String(decoding: field, as: UTF8.self))
            }
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
                        error = error ?? "broken quoting: a quote inside an unquoted field"
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
                    error = error ?? "broken quoting: text after a closing quote"
                    field.append(b)
                    state = .unquoted
                }
            }
        }
        if state == .quoted { error = error ?? "broken quoting: a quoted field is never closed" }
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
