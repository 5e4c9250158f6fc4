import { DelayedError, Job, MinimalJob, UnrecoverableError, Worker } from 'bullmq';
import { ApiAuthError, ApiName, PermanentApiError, RateLimitedError } from './errors';

/** Cap of the exponential backoff: an outage of hours still gets a try every 10 minutes. */
export const BACKOFF_CAP_MS = 10 * 60_000;
/** Back-off custom strategy name, stored in each job's options. */
export const BACKOFF_TYPE = 'jittered-exponential';
/** How long a worker holds off after 401/403 before probing the API again with the next job. */
export const AUTH_PAUSE_MS = 30_000;

/** Exponential backoff with "equal jitter": half fixed, half random, so a fleet of retries spreads out. */
export function backoffDelay(attemptsMade: number, baseMs: number, random: () => number = Math.random): number {
  const exp = Math.min(BACKOFF_CAP_MS, baseMs * 2 ** Math.max(0, attemptsMade - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}

/** BullMQ worker setting: computes the delay for jobs whose backoff type is ours. */
export function backoffStrategy(attemptsMade: number, type?: string, _err?: Error, job?: MinimalJob): number {
  if (type !== BACKOFF_TYPE) return 0;
  const base = (job?.opts.backoff as { delay?: number } | undefined)?.delay ?? 5000;
  return backoffDelay(attemptsMade, base);
}

export interface PolicyHooks {
  /** 401/403 from an API: its work is paused until a call succeeds again. */
  onAuthFailure(api: ApiName, message: string): Promise<void>;
  /** how long the worker holds off before the next job probes the API again */
  authPauseMs: number;
}

/**
 * The one place where a failed job's error becomes BullMQ behaviour:
 * - 429: back to the delayed set for the wait the API asked for, no attempt spent;
 * - 401/403: the worker holds off and the job returns to the queue, no attempt spent (never burn the backlog);
 * - other 4xx: UnrecoverableError, straight to the failed set (dead letters) with the API's message;
 * - everything else: rethrown, so BullMQ retries with our backoff until attempts run out.
 */
export async function applyErrorPolicy(err: unknown, job: Job, worker: Worker, token: string | undefined, hooks: PolicyHooks): Promise<never> {
  if (err instanceof RateLimitedError) {
    const wait = err.retryAfterMs ?? backoffDelay(1, 1000);
    await job.moveToDelayed(Date.now() + wait, token);
    throw new DelayedError(`${err.message}; retrying in ${wait} ms`);
  }
  if (err instanceof ApiAuthError) {
    await hooks.onAuthFailure(err.api, err.message);
    await worker.rateLimit(hooks.authPauseMs);
    throw Worker.RateLimitError();
  }
  if (err instanceof PermanentApiError) {
    throw new UnrecoverableError(`${err.api} ${err.status}${err.code ? ` ${err.code}` : ''}: ${err.message}`);
  }
  throw err;
}
