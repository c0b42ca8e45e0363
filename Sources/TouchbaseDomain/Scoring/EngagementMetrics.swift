/// Raw engagement counts over a set of touchpoints.
public struct EngagementCounts: Sendable, Hashable {
    public var total = 0
    public var outbound = 0
    public var inbound = 0
    public var emailsSent = 0
    public var delivered = 0
    public var opened = 0
    public var clicked = 0
    public var replied = 0
    public var bounced = 0

    public init(
        total: Int = 0, outbound: Int = 0, inbound: Int = 0, emailsSent: Int = 0, delivered: Int = 0, opened: Int = 0,
        clicked: Int = 0, replied: Int = 0, bounced: Int = 0
    ) {
        self.total = total
        self.outbound = outbound
        self.inbound = inbound
        self.emailsSent = emailsSent
        self.delivered = delivered
        self.opened = opened
        self.clicked = clicked
        self.replied = replied
        self.bounced = bounced
    }
}

/// Engagement rates of a conversation (seed 000's `get_conversation_engagement_metrics`).
///
/// Rates are percentages of outbound touchpoints, rounded to one decimal as seed 000 prints them
/// (`f"{open_rate:.1f}%"`): `open_rate = 100 × opened / outbound`, likewise click, reply and bounce.
/// With no outbound touchpoint every rate is 0.
public struct EngagementMetrics: Sendable, Hashable, Codable {
    public let totalTouchpoints: Int
    public let outbound: Int
    public let inbound: Int
    public let emailsSent: Int
    public let delivered: Int
    public let opened: Int
    public let clicked: Int
    public let replied: Int
    public let bounced: Int
    public let openRate: Double
    public let clickRate: Double
    public let replyRate: Double
    public let bounceRate: Double

    public init(_ c: EngagementCounts) {
        totalTouchpoints = c.total
        outbound = c.outbound
        inbound = c.inbound
        emailsSent = c.emailsSent
        delivered = c.delivered
        opened = c.opened
        clicked = c.clicked
        replied = c.replied
        bounced = c.bounced
        openRate = Self.percent(c.opened, of: c.outbound)
        clickRate = Self.percent(c.clicked, of: c.outbound)
        replyRate = Self.percent(c.replied, of: c.outbound)
        bounceRate = Self.percent(c.bounced, of: c.outbound)
    }

    /// `100 × part / whole`, rounded half away from zero to one decimal; 0 when `whole` is 0.
    public static func percent(_ part: Int, of whole: Int) -> Double {
        guard whole > 0 else { return 0 }
        return (Double(part) * 1000 / Double(whole)).rounded() / 10
    }

    public var json: JSONValue {
        [
            "total_touchpoints": .int(Int64(totalTouchpoints)), "outbound": .int(Int64(outbound)),
            "inbound": .int(Int64(inbound)), "emails_sent": .int(Int64(emailsSent)),
            "delivered": .int(Int64(delivered)), "opened": .int(Int64(opened)), "clicked": .int(Int64(clicked)),
            "replied": .int(Int64(replied)), "bounced": .int(Int64(bounced)), "open_rate": .double(openRate),
            "click_rate": .double(clickRate), "reply_rate": .double(replyRate), "bounce_rate": .double(bounceRate),
        ]
    }
}
