/// Words in a text: runs of characters between blanks (spaces, tabs, line breaks). The database's
/// `word_count` follows the same rule (`PipelineRulesTests` checks it on both engines).
public enum WordCount {
    public static func of(_ text: String) -> Int {
        // "\r\n" is one Character in Swift, so it is named too.
        text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }).count
    }
}
