import { Logger } from '@nestjs/common';
import { WorkerHost } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import type { Outcome } from '../sync/outcome';
import { ApiPauseRegistry } from './api-pause';
import type { ApiName } from './errors';
import { applyErrorPolicy } from './job-policy';

/** A processor whose failures all go through the one error policy, and whose successes lift API pauses. */
export abstract class PolicyWorkerHost extends WorkerHost {
  protected abstract readonly apis: ApiName[];
  protected readonly logger = new Logger(this.constructor.name);

  constructor(private readonly pauses: ApiPauseRegistry) {
    super();
  }

  protected abstract handle(job: Job): Promise<Outcome>;

  async process(job: Job, token?: string): Promise<Outcome> {
    const ctx = { jobId: job.id, job: job.name, attempt: job.attemptsMade + 1, requestId: job.data?.requestId };
    try {
      const outcome = await this.handle(job);
      await this.pauses.resume(this.apis);
      this.logger.log({ ...ctx, ...outcome }, `job ${job.name} ${outcome.outcome}`);
      return outcome;
    } catch (err) {
      this.logger.warn({ ...ctx, err: (err as Error).message, error: (err as Error).name }, `job ${job.name} failed`);
      return applyErrorPolicy(err, job, this.worker, token, { onAuthFailure: (api, msg) => this.pauses.pause(api, msg) });
    }
  }
}
