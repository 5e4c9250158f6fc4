import type { DefaultJobOptions } from 'bullmq';
import type { AppConfig } from '../config/config';
import { BACKOFF_TYPE } from './job-policy';

/** Completed jobs are kept this long: their ids are the dedup record for re-delivered webhooks (Kommo retries for hours). */
export const DEDUP_WINDOW_SECONDS = 25 * 3600;
/** Failed jobs are the dead letters. */
export const DEAD_LETTER_KEEP_SECONDS = 30 * 24 * 3600;

export function defaultJobOptions(config: AppConfig): DefaultJobOptions {
  return {
    attempts: config.jobs.attempts,
    backoff: { type: BACKOFF_TYPE, delay: config.jobs.backoffMs },
    removeOnComplete: { age: DEDUP_WINDOW_SECONDS },
    removeOnFail: { age: DEAD_LETTER_KEEP_SECONDS },
  };
}
