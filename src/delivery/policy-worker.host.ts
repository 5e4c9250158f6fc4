import { BeforeApplicationShutdown, Inject, Logger, Optional } from '@nestjs/common';
import { OnWorkerEvent, WorkerHost } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import { attemptOutcomeOf, JobMetrics, successOutcomeOf } from '../metrics/job-metrics';
import type { Outcome } from '../sync/outcome';
import { ApiPauseRegistry } from './api-pause';
import type { ApiName } from './errors';
import { errorListener } from './error-log';
import { skipForgottenUser } from './forgotten-user';
import { applyErrorPolicy } from './job-policy';

/** A processor whose failures all go through the one error policy, and whose successes lift API pauses. */
export abstract class PolicyWorkerHost extends WorkerHost implements BeforeApplicationShutdown {
  protected abstract readonly apis: ApiName[];
  protected readonly logger = new Logger(this.constructor.name);
  /** A property, not a constructor argument: processors need not pass it on, and unit tests may leave it out. */
  @Optional() @Inject(JobMetrics) private readonly jobMetrics?: JobMetrics;

  private workerErrors?: (err: Error) => void;

  constructor(private readonly pauses: ApiPauseRegistry) {
    super();
  }

  /** A worker's connection errors (a Redis outage, the app closing mid-reconnect): logged, rate-limited, never raw. */
  @OnWorkerEvent('error')
  onWorkerError(err: Error): void {
    this.workerErrors ??= errorListener(`worker ${this.worker.name}`, this.logger);
    this.workerErrors(err);
  }

  /** `token` is the job's lock: a handler that parks its own job (moveToDelayed) needs it. */
  protected abstract handle(job: Job, token?: string): Promise<Outcome>;

  /**
   * Shutdown, as /health/ready turns 503: take no more jobs and let the active ones finish (main.ts bounds the
   * wait). HTTP closes only afterwards, so webhooks still arriving meanwhile are stored for the next process.
   */
  async beforeApplicationShutdown(): Promise<void> {
    const started = Date.now();
    await this.worker.close();
    this.logger.log(`${this.worker.name}: worker drained in ${Date.now() - started} ms`);
  }

  async process(job: Job, token?: string): Promise<Outcome> {
    const ctx = { jobId: job.id, job: job.name, queue: job.queueName, attempt: job.attemptsMade + 1, requestId: job.data?.requestId };
    const done = this.jobMetrics?.start(job) ?? (() => undefined);
    try {
      const outcome = await this.handle(job, token).catch(skipForgottenUser);
      await this.pauses.resume(this.apis);
      done(successOutcomeOf(outcome));
      this.logger.log({ ...ctx, ...outcome }, `job ${job.name} ${outcome.outcome}`);
      return outcome;
    } catch (err) {
      this.logger.warn({ ...ctx, err: (err as Error).message, error: (err as Error).name }, `job ${job.name} failed`);
      return await applyErrorPolicy(err, job, this.worker, token, {
        onAuthFailure: (api, msg) => this.pauses.pause(api, msg),
        authPauseMs: this.pauses.pauseMs,
      }).catch((thrown: unknown) => {
        done(attemptOutcomeOf(thrown, job));
        throw thrown;
      });
    }
  }
}
