import type { DefaultJobOptions } from 'bullmq';
import type { AppConfig } from '../config/config';
import { BACKOFF_TYPE } from './job-policy';

/** Completed jobs are kept this long: their ids are the dedup record for re-delivered webhooks (Kommo retries for hours). */
export const DEDUP_WINDOW_SECONDS = 25 * 3600;
/** Failed jobs are the dead letters. */
export const DEAD_LETTER_KEEP_SECONDS = 30 * 24 * 3600;

/**
 * Crash recovery (kill -9, OOM, lost node): a dead process's active jobs go back to waiting once their lock has
 * expired and a stalled check has seen them, at worst lockDuration + stalledInterval (~20 s) later. Locks are
 * renewed every lockDuration / 2, and our jobs wait on I/O, so only an event loop stalled for over 7 s could make
 * a live job look dead; BullMQ's 30 s defaults would just recover slower. The second tolerated stall covers a crash
 * after such a blip; a job that keeps killing its process ends in the dead letters instead of crash-looping.
 */
export const WORKER_RECOVERY = { lockDuration: 15_000, stalledInterval: 5_000, maxStalledCount: 2 } as const;

export function defaultJobOptions(config: AppConfig): DefaultJobOptions {
  return {
    attempts: config.jobs.attempts,
    backoff: { type: BACKOFF_TYPE, delay: config.jobs.backoffMs },
    removeOnComplete: { age: DEDUP_WINDOW_SECONDS },
    removeOnFail: { age: DEAD_LETTER_KEEP_SECONDS },
  };
}
