import Foundation
import Logging
import ServiceLifecycle
import TouchbaseStore

/// The one place long work runs: a `Service` in the server's `ServiceGroup`, started after the migrations and
/// stopped on SIGTERM before the database pool closes. Jobs run one at a time, in the order they were submitted.
///
/// On a graceful shutdown the runner takes no new job and cancels the one in flight; that job's own code decides
/// what cancellation means (an import records itself `queued` again and keeps its upload, so the next start resumes
/// it). Jobs submitted but not started stay as their owners recorded them (`queued`).
public final class JobRunner: Service, Sendable {
    public struct Job: Sendable {
        public let name: String
        public let work: @Sendable () async -> Void

        public init(name: String, work: @escaping @Sendable () async -> Void) {
            self.name = name
            self.work = work
        }
    }

    private let jobs: AsyncStream<Job>
    private let continuation: AsyncStream<Job>.Continuation
    private let logger: Logger

    public init(logger: Logger) {
        (jobs, continuation) = AsyncStream.makeStream(of: Job.self)
        self.logger = logger
    }

    /// Queues `job`; it runs once the runner is running and the jobs before it are done.
    public func submit(_ job: Job) {
        Telemetry.jobsQueued.increment()
        continuation.yield(job)
    }

    public func run() async throws {
        let jobs = self.jobs
        let logger = self.logger
        await cancelWhenGracefulShutdown {
            for await job in jobs {
                Telemetry.jobsQueued.decrement()
                Telemetry.jobsRunning.increment()
                logger.info("job \(job.name) started")
                await job.work()
                Telemetry.jobsRunning.decrement()
                if Task.isCancelled {
                    Telemetry.job(outcome: "interrupted")
                    logger.notice("job \(job.name) interrupted by shutdown")
                    break
                }
                Telemetry.job(outcome: "finished")
                logger.info("job \(job.name) finished")
            }
        }
    }
}
