import Foundation

/// Who made a tracking hit, as far as it can be told: a person (`human`), a mail provider fetching images for its
/// users (`privacy_proxy`: Apple Mail Privacy Protection, Gmail's, Outlook's and Yahoo's image proxies), or a machine
/// following links (`scanner`: security gateways that click every link on arrival). Only human hits count as opens
/// and clicks; the others are kept and counted apart. Each label comes with its reason.
public enum TrackingLabel {
    public struct Hit: Sendable, Hashable {
        /// `open` or `click`.
        public var kind: String
        public var method: String
        public var userAgent: String?
        public var ip: String?
        /// Seconds between the send and the hit.
        public var secondsSinceSend: Double
        /// The link hit is the hidden honeypot (no person can see it).
        public var honeypot: Bool = false
        /// The message's links (not counting the honeypot) and how many of them were hit, this one included, within
        /// `burst` seconds of each other.
        public var links: Int = 0
        public var linksHitInBurst: Int = 0
        /// A honeypot hit on the same message within `burst` seconds: the same machine is at work.
        public var honeypotHitInBurst: Bool = false

        public init(kind: String, method: String, userAgent: String?, ip: String?, secondsSinceSend: Double) {
            self.kind = kind
            self.method = method
            self.userAgent = userAgent
            self.ip = ip
            self.secondsSinceSend = secondsSinceSend
        }
    }

    /// How close together the hits of one scanner come (every link of a message within this many seconds).
    public static let burst: Double = 10

    /// User agents of link scanners and fetchers that no person uses to read mail.
    public static let scannerAgents = [
        "barracuda", "mimecast", "proofpoint", "symantec", "forcepoint", "trendmicro", "sophos", "fortiguard", "cisco ironport",
        "safelinks", "bingpreview", "python-requests", "python-urllib", "curl/", "wget/", "go-http-client", "okhttp", "java/",
        "libwww-perl", "headlesschrome", "phantomjs", "bot", "crawler", "spider", "scanner",
    ]

    /// The label and why: `scanner` first (a scanner that fetches images looks like a proxy), then `privacy_proxy`,
    /// else `human`.
    public static func label(_ hit: Hit, scannerWindow: Double = 60) -> (label: String, reason: String) {
        let agent = (hit.userAgent ?? "").lowercased()
        if hit.honeypot { return ("scanner", "the hidden link no person can see was followed") }
        if hit.method == "HEAD" { return ("scanner", "a HEAD request: a link checker, not a reader") }
        if let known = scannerAgents.first(where: { agent.contains($0) }) {
            return ("scanner", "the user agent is a known scanner or fetcher ('\(known)')")
        }
        if hit.kind == "click" {
            if hit.secondsSinceSend < scannerWindow {
                return ("scanner", "clicked \(Int(hit.secondsSinceSend.rounded(.down))) s after the send (under \(Int(scannerWindow)) s)")
            }
            if hit.honeypotHitInBurst { return ("scanner", "the hidden link of the same message was followed within \(Int(burst)) s") }
            if hit.links >= 2 && hit.linksHitInBurst >= hit.links {
                return ("scanner", "every link of the message (\(hit.links)) was hit within \(Int(burst)) s")
            }
        }
        if hit.kind == "open" {
            if agent.contains("googleimageproxy") || agent.contains("ggpht.com") { return ("privacy_proxy", "Gmail's image proxy fetched it") }
            if agent.contains("yahoomailproxy") { return ("privacy_proxy", "Yahoo's image proxy fetched it") }
            if agent.contains("outlookimageproxy") || agent.contains("ms-office-image-proxy") || agent.contains("office365imageproxy") {
                return ("privacy_proxy", "Outlook's image proxy fetched it")
            }
            if let ip = hit.ip, ip.hasPrefix("17.") { return ("privacy_proxy", "from Apple's network (17.0.0.0/8): Mail Privacy Protection prefetch") }
            if agent == "mozilla/5.0" { return ("privacy_proxy", "the bare 'Mozilla/5.0' agent of Apple Mail Privacy Protection") }
        }
        return ("human", hit.kind == "open" ? "opened by a mail client" : "clicked by a browser")
    }
}
