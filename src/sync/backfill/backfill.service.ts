import { Injectable } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { randomBytes } from 'node:crypto';
import { OPS_JOBS, QUEUES, type BackfillRun, type BackfillStats } from '../jobs';
import { NO_STATS } from './backfill-run';

/** BullMQ deduplication id: while a backfill is waiting, running or parked, adding another returns it instead. */
const ONE_AT_A_TIME = 'backfill-run';

export interface BackfillStatus {
  backfillId: string;
  /** BullMQ state: waiting, active, delayed (parked or backing off), completed, failed */
  state: string;
  since?: string;
  /** the next Kommo page to read */
  page: number;
  stats: BackfillStats;
  createdAt: string;
  finishedAt?: string;
  /** the outcome when completed, the last error otherwise */
  result?: string;
  error?: string;
}

/** Starts backfills and reports on them; the work itself is BackfillProcessor's, in worker roles. */
@Injectable()
export class BackfillService {
  constructor(@InjectQueue(QUEUES.backfill) private readonly queue: Queue) {}

  /** `started: false` when one is already under way: `backfillId` is that one. */
  async start(since?: string): Promise<{ backfillId: string; started: boolean }> {
    const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
    const backfillId = `backfill-${stamp}-${randomBytes(3).toString('hex')}`;
    const data: BackfillRun = { backfillId, ...(since ? { since } : {}), page: 1, stats: { ...NO_STATS } };
    const job = await this.queue.add(OPS_JOBS.backfillRun, data, { jobId: backfillId, deduplication: { id: ONE_AT_A_TIME } });
    return { backfillId: String(job.id), started: job.id === backfillId };
  }

  async status(backfillId: string): Promise<BackfillStatus | undefined> {
    const job = await this.queue.getJob(backfillId);
    if (!job || job.name !== OPS_JOBS.backfillRun) return undefined;
    const data = job.data as BackfillRun;
    const progress = typeof job.progress === 'object' ? (job.progress as Partial<BackfillStats>) : {};
    const result = (job.returnvalue as { detail?: string } | null)?.detail;
    return {
      backfillId,
      state: await job.getState(),
      ...(data.since ? { since: data.since } : {}),
      page: data.page,
      stats: { ...NO_STATS, ...data.stats, ...pickStats(progress) },
      createdAt: new Date(job.timestamp).toISOString(),
      ...(job.finishedOn ? { finishedAt: new Date(job.finishedOn).toISOString() } : {}),
      ...(result ? { result } : {}),
      ...(job.failedReason ? { error: job.failedReason } : {}),
    };
  }
}

function pickStats(p: Partial<BackfillStats>): Partial<BackfillStats> {
  const keys = Object.keys(NO_STATS) as (keyof BackfillStats)[];
  return Object.fromEntries(keys.filter((k) => typeof p[k] === 'number').map((k) => [k, p[k]]));
}
