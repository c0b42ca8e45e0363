import Foundation
import Testing
import TouchbaseDomain

@Suite("JSON text")
struct JSONTests {
    @Test("parses every kind of value, escapes and surrogate pairs", arguments: [
        (#"{"a":[1,-2,3.5,1e3,-0,true,false,null],"b":{"c":"d"}}"#,
         JSONValue.object(["a": [1, -2, 3.5, 1000.0, 0, true, false, nil], "b": ["c": "d"]])),
        (#" "tab\there \"quoted\" back\\slash \/ \b\f\n\r" "#, JSONValue.string("tab\there \"quoted\" back\\slash / \u{8}\u{C}\n\r")),
        (#""\u00e9\u0130\ud83d\ude00 plain é İ 😀""#, JSONValue.string("éİ😀 plain é İ 😀")),
        ("[]", JSONValue.array([])),
        ("{}", JSONValue.object([:])),
        (#"{"k":1,"k":2}"#, JSONValue.object(["k": 2])),
        ("9223372036854775807", JSONValue.int(Int64.max)),
        ("9223372036854775808", JSONValue.double(9_223_372_036_854_775_808)),
        ("\n\r\t 42 \n", JSONValue.int(42)),
    ])
    func parses(text: String, expected: JSONValue) throws {
        let value = try JSONValue.parse(text)
        #expect(value == expected)
        #expect(try JSONValue.parse(Data(text.utf8)) == expected)
        // What is written reads back the same.
        #expect(try JSONValue.parse(value.serialized) == value)
    }

    @Test("refuses what is not exactly one JSON value", arguments: [
        "", " ", "{nope", "[1,]", "{\"a\":1,}", "[1 2]", "01", "1.", ".5", "-", "1e", "+1", "tru", "nulls", "\"open",
        "\"tab\tinside\"", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "1e400", "NaN",
        "{\"a\" 1}", "{1:2}", "[1]]", "\u{FEFF}{}", "'a'",
    ])
    func refuses(text: String) {
        #expect(throws: DomainError.self) { try JSONValue.parse(text) }
    }

    @Test("refuses bytes that are not UTF-8 and nesting deeper than 512")
    func refusesBytesAndDepth() throws {
        #expect(throws: DomainError.self) { try JSONValue.parse(Data([0x22, 0xC3, 0x28, 0x22])) }
        #expect(throws: DomainError.self) { try JSONValue.parse(String(repeating: "[", count: 100_000)) }
        let deep = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        #expect(throws: Never.self) { try JSONValue.parse(deep) }
        #expect(throws: DomainError.self) { try JSONValue.parse("[" + deep + "]") }
    }

    @Test("writes strings escaped only where JSON needs it, keys sorted")
    func writes() throws {
        let value = JSONValue.object(["b": "line\nbreak \"q\" \\ \u{1} é 😀", "a": [1, 2.5, nil, true]])
        #expect(value.serialized == #"{"a":[1,2.5,null,true],"b":"line\nbreak \"q\" \\ \u0001 é 😀"}"#)
        #expect(JSONValue.string("plain").serialized == #""plain""#)
        #expect(JSONValue.string("").serialized == #""""#)
        #expect(JSONValue.string("end\"").serialized == #""end\"""#)
    }

    /// Python's `json` module, when the machine has it, reads what we write and writes what we read.
    @Test("agrees with Python's json module on a mixed document")
    func agreesWithPython() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") else { return }
        let text = #"{"name":"Zoë \"Z\" Ünal","tags":["a\\b","\u0007",""],"n":[0,-1,1.25,12345678901234],"o":{"x":null,"y":false}}"#
        let ours = try JSONValue.parse(text).serialized
        let script = "import json,sys; v=json.loads(sys.stdin.read()); print(json.dumps(v, sort_keys=True, separators=(',',':'), ensure_ascii=False))"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(ours.utf8))
        try input.fileHandleForWriting.close()
        let theirs = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(try JSONValue.parse(theirs) == JSONValue.parse(text))
        #expect(theirs.trimmingCharacters(in: .newlines) == ours)
    }
}
