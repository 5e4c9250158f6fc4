import { Injectable } from '@nestjs/common';
import { DelayedError, RateLimitError, UnrecoverableError, type Job } from 'bullmq';
import { Counter, Histogram } from 'prom-client';
import type { Outcome } from '../sync/outcome';
import { MetricsRegistry } from './webhook-metrics';

/**
 * What one processing attempt ended in. `delayed` = parked for a 429 (no attempt spent), `paused` = held back
 * for rejected credentials, `retried` = will run again with backoff, `failed` = a dead letter.
 */
export type JobAttemptOutcome = 'completed' | 'skipped' | 'delayed' | 'paused' | 'retried' | 'failed';

/** Reads what the error policy threw (see delivery/job-policy.ts) as BullMQ will act on it. */
export function attemptOutcomeOf(thrown: unknown, job: Pick<Job, 'attemptsMade' | 'opts'>): JobAttemptOutcome {
  if (thrown instanceof DelayedError) return 'delayed';
  if (thrown instanceof RateLimitError) return 'paused';
  if (thrown instanceof UnrecoverableError) return 'failed';
  return job.attemptsMade + 1 < (job.opts.attempts ?? 1) ? 'retried' : 'failed';
}

export const successOutcomeOf = (o: Outcome): JobAttemptOutcome => (o.outcome === 'skipped' ? 'skipped' : 'completed');

@Injectable()
export class JobMetrics {
  private readonly jobs: Counter<'queue' | 'outcome'>;
  private readonly duration: Histogram<'queue' | 'name'>;

  constructor(metrics: MetricsRegistry) {
    this.jobs = new Counter({
      name: 'kis_jobs_total',
      help: 'Job attempts by queue and outcome (completed, skipped, retried, delayed for a 429, paused, failed)',
      labelNames: ['queue', 'outcome'],
      registers: [metrics.registry],
    });
    this.duration = new Histogram({
      name: 'kis_job_duration_seconds',
      help: 'Processing time of one job attempt, by queue and job name',
      labelNames: ['queue', 'name'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [metrics.registry],
    });
  }

  /** Starts timing an attempt; call the returned function once with how it ended. */
  start(job: Pick<Job, 'queueName' | 'name'>): (outcome: JobAttemptOutcome) => void {
    const stop = this.duration.startTimer({ queue: job.queueName, name: job.name });
    return (outcome) => {
      stop();
      this.jobs.inc({ queue: job.queueName, outcome });
    };
  }
}
