import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { getQueueToken } from '@nestjs/bullmq';
import { Job, type Queue } from 'bullmq';
import { APP_CONFIG, AppConfig } from '../config/config';
import { ioredisOf } from '../delivery/redis';
import { QUEUES } from '../sync/jobs';
import type { DeadLetterFilter } from './dead-letter.dto';

export interface DeadLetter {
  queue: string;
  jobId: string;
  name: string;
  entityIds: { leadId?: number; email?: string };
  lastError: string;
  attempts: number;
  failedAt: string;
}

export interface ReplayResult {
  replayed: number;
  /** matched but no longer replayable (replayed or removed by someone else meanwhile) */
  skipped: number;
  /** matched but left in the dead letters by the limit */
  remaining: number;
}

interface Match {
  queue: Queue;
  id: string;
  failedAt: number;
}

const PAGE = 1000;

/**
 * Dead letters are BullMQ's `failed` set: a job lands there only once it is final (attempts exhausted or an
 * UnrecoverableError), and stays 30 days (removeOnFail). Nothing is copied elsewhere, so Bull Board shows the same.
 */
@Injectable()
export class DeadLetterService implements OnModuleInit {
  private readonly logger = new Logger(DeadLetterService.name);
  private queues: Queue[] = [];

  constructor(
    private readonly moduleRef: ModuleRef,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Every queue of the contract: a queue added to QUEUES has its dead letters listed without a change here. */
  onModuleInit() {
    this.queues = Object.values(QUEUES).map((name) => this.moduleRef.get<Queue>(getQueueToken(name), { strict: false }));
  }

  /** Newest first; `total` counts every match, `items` at most `limit` of them. */
  async list(filter: DeadLetterFilter): Promise<{ total: number; items: DeadLetter[] }> {
    const matches = await this.match(filter);
    const jobs = await Promise.all(matches.slice(0, filter.limit).map((m) => Job.fromId(m.queue, m.id).then((job) => ({ m, job }))));
    const items = jobs.filter(({ job }) => job?.id).map(({ m, job }) => this.describe(m, job!));
    return { total: matches.length, items };
  }

  /** Back to waiting under the same id, attempts reset; step progress kept, so done side effects stay done. */
  async replay(filter: DeadLetterFilter): Promise<ReplayResult> {
    const matches = await this.match(filter);
    const batch = matches.slice(0, filter.limit);
    let replayed = 0;
    for (const m of batch) {
      const job = await Job.fromId(m.queue, m.id);
      try {
        if (!job?.id) continue;
        await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
        replayed++;
      } catch {
        // Not in the failed set any more: replayed concurrently (Bull Board, another replica) or removed.
      }
    }
    const result = { replayed, skipped: batch.length - replayed, remaining: matches.length - batch.length };
    this.logger.log({ ...result, filter }, 'dead letters replayed');
    return result;
  }

  private async match(filter: DeadLetterFilter): Promise<Match[]> {
    const min = filter.since ? Date.parse(filter.since) : '-inf';
    const max = filter.until ? Date.parse(filter.until) : '+inf';
    const queues = this.queues.filter((q) => !filter.queue || q.name === filter.queue);
    const all: Match[] = [];
    for (const queue of queues) all.push(...(await this.matchIn(queue, min, max, filter.name)));
    return all.sort((a, b) => b.failedAt - a.failedAt);
  }

  /** The failed set is scored by failure time, so the window is one range query; names come from the job hashes. */
  private async matchIn(queue: Queue, min: number | string, max: number | string, name?: string): Promise<Match[]> {
    const client = await ioredisOf(queue);
    const out: Match[] = [];
    for (let offset = 0; ; offset += PAGE) {
      const flat = await client.zrevrangebyscore(queue.keys.failed, max, min, 'WITHSCORES', 'LIMIT', offset, PAGE);
      const page: Match[] = [];
      for (let i = 0; i < flat.length; i += 2) page.push({ queue, id: flat[i], failedAt: Number(flat[i + 1]) });
      if (name !== undefined && page.length) {
        const names = await client.pipeline(page.map((m) => ['hget', queue.toKey(m.id), 'name'])).exec();
        out.push(...page.filter((_, i) => names?.[i]?.[1] === name));
      } else {
        out.push(...page);
      }
      if (page.length < PAGE) return out;
    }
  }

  /** Entity ids and the API's message only: job data is not echoed, and any configured secret is masked. */
  private describe(m: Match, job: Job): DeadLetter {
    const data = (job.data ?? {}) as { leadId?: unknown; email?: unknown };
    const entityIds = {
      ...(typeof data.leadId === 'number' ? { leadId: data.leadId } : {}),
      ...(typeof data.email === 'string' ? { email: data.email } : {}),
    };
    return {
      queue: m.queue.name,
      jobId: String(job.id),
      name: job.name,
      entityIds,
      lastError: this.redact(job.failedReason ?? ''),
      attempts: job.attemptsMade,
      failedAt: new Date(job.finishedOn ?? m.failedAt).toISOString(),
    };
  }

  private redact(text: string): string {
    return this.config.secrets.reduce((t, s) => t.split(s).join('[redacted]'), text);
  }
}
