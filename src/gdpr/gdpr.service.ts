import { Inject, Injectable } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { createHash, randomUUID } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '../config/config';
import { ioredisOf } from '../delivery/redis';
import { OPS_JOBS, QUEUES, type GdprForget } from '../sync/jobs';
import { ForgetQuota } from './forget-quota';

export interface GdprRequestResult {
  jobId: string;
  mode: GdprForget['mode'];
  /** the same email is already being processed: that job is the answer */
  duplicate: boolean;
}

/**
 * Accepts GDPR requests: checks the daily forget allowance, then stores a durable job (GdprProcessor does the
 * Iterable call and the Kommo note). The email is in the job while it runs, and removed with it on completion.
 */
@Injectable()
export class GdprService {
  private readonly quota: ForgetQuota;
  private readonly mode: GdprForget['mode'];

  constructor(
    @InjectQueue(QUEUES.gdpr) private readonly queue: Queue,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.mode = config.gdpr?.mode ?? 'forget';
    this.quota = new ForgetQuota(() => ioredisOf(queue), `${config.queuePrefix}:gdpr:forget-quota`, config.gdpr?.forgetDailyLimit ?? 1000);
  }

  /** Throws ForgetQuotaExceededError when a forget would go over Iterable's daily cap. */
  async request(rawEmail: string): Promise<GdprRequestResult> {
    const email = rawEmail.trim().toLowerCase();
    const jobId = `gdpr-${randomUUID()}`;
    const counted = this.mode === 'forget';
    if (counted) await this.quota.take(jobId);
    try {
      const data: GdprForget = { email, mode: this.mode, requestedAt: new Date().toISOString() };
      const job = await this.queue.add(OPS_JOBS.gdprForget, data, {
        jobId,
        // Two requests for one email while the first is pending are one request (and one call of the allowance).
        deduplication: { id: createHash('sha256').update(email).digest('hex') },
        removeOnComplete: true,
      });
      const duplicate = job.id !== jobId;
      if (duplicate && counted) await this.quota.release(jobId);
      return { jobId: String(job.id), mode: this.mode, duplicate };
    } catch (err) {
      if (counted) await this.quota.release(jobId).catch(() => undefined);
      throw err;
    }
  }
}
