import Foundation
import TouchbaseDomain

/// Runs work with a deadline. The answer is the work's, or `DomainError.unavailable` once the deadline passes — then
/// at once, even when the work is stuck in a call that does not notice cancellation (a query on a connection whose
/// server vanished); the work is cancelled and left to finish on its own.
public enum Deadline {
    public static func run<T: Sendable>(within limit: Duration, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        let race = Race<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                race.start(continuation)
                let worker = Task { race.finish(await Result(catching: { try await work() })) }
                let timer = Task {
                    try? await Task.sleep(for: limit)
                    if !Task.isCancelled,
                        race.finish(.failure(DomainError.unavailable("The request did not finish within \(limit); try again shortly.")))
                    {
                        worker.cancel()
                    }
                }
                race.onFinish { timer.cancel() }
            }
        } onCancel: {
            race.finish(.failure(CancellationError()))
        }
    }

    /// The first result wins; later ones are dropped.
    final class Race<T: Sendable>: @unchecked Sendable {
        private let lock = NSLock()
        private var continuation: CheckedContinuation<T, any Error>?
        private var done = false
        private var cleanup: (@Sendable () -> Void)?

        func start(_ continuation: CheckedContinuation<T, any Error>) {
            lock.lock()
            self.continuation = continuation
            lock.unlock()
        }

        func onFinish(_ action: @escaping @Sendable () -> Void) {
            lock.lock()
            let already = done
            if !already { cleanup = action }
            lock.unlock()
            if already { action() }
        }

        /// Resumes the waiting caller with `result` unless another result came first; true when this one won.
        @discardableResult
        func finish(_ result: Result<T, any Error>) -> Bool {
            lock.lock()
            guard !done, let continuation else {
                lock.unlock()
                return false
            }
            done = true
            self.continuation = nil
            let action = cleanup
            cleanup = nil
            lock.unlock()
            continuation.resume(with: result)
            action?()
            return true
        }
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
