import Foundation

/// Tool calls per token per minute: a token bucket per key that refills continuously.
public actor RateLimiter {
    public nonisolated let perMinute: Int
    let clock: @Sendable () -> Date
    var buckets: [String: (tokens: Double, at: Date)] = [:]

    /// `clock` tells the time (tests pass a fixed one).
    public init(perMinute: Int, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.perMinute = max(1, perMinute)
        self.clock = clock
    }

    /// nil when the call may go ahead; otherwise the seconds to wait.
    public func take(_ key: String) -> Double? {
        let now = clock()
        let capacity = Double(perMinute)
        let rate = capacity / 60
        var bucket = buckets[key] ?? (capacity, now)
        bucket.tokens = min(capacity, bucket.tokens + now.timeIntervalSince(bucket.at) * rate)
        bucket.at = now
        if bucket.tokens >= 1 {
            bucket.tokens -= 1
            buckets[key] = bucket
            return nil
        }
        buckets[key] = bucket
        return (1 - bucket.tokens) / rate
    }
}
