import { Inject } from '@nestjs/common';
import { InjectQueue, OnWorkerEvent, Processor } from '@nestjs/bullmq';
import { DelayedError, UnrecoverableError, type Job, type Queue } from 'bullmq';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { ApiPauseRegistry } from '../../delivery/api-pause';
import type { ApiName } from '../../delivery/errors';
import { backoffStrategy } from '../../delivery/job-policy';
import { PolicyWorkerHost } from '../../delivery/policy-worker.host';
import { ioredisOf } from '../../delivery/redis';
import { IterableClient } from '../../iterable/iterable.client';
import { KommoClient } from '../../kommo/kommo.client';
import { OPS_JOBS, QUEUES, WON_STATUS_ID, type BackfillRun, type BackfillUserFailed } from '../jobs';
import { CustomerStateGuard } from '../kommo-to-iterable/customer-state';
import { skipped, synced, type Outcome } from '../outcome';
import { profilesForPage, type PageDeps } from './backfill-page';
import { runBackfill } from './backfill-run';
import type { PushResult } from './bulk-push';

/**
 * Runs backfills (one long `backfill.run` job with checkpoints, see backfill-run.ts) and their dead letters
 * (`backfill.user-failed`, one per profile Iterable refused). A closing worker parks the run at the next page
 * instead of holding shutdown for minutes; a crashed one leaves it to stalled-job recovery (up to 5 times).
 */
@Processor(QUEUES.backfill, { concurrency: 4, maxStalledCount: 5, settings: { backoffStrategy } })
export class BackfillProcessor extends PolicyWorkerHost {
  protected readonly apis: ApiName[] = ['kommo', 'iterable'];
  private readonly pageDeps: PageDeps;
  private closing = false;

  constructor(
    pauses: ApiPauseRegistry,
    private readonly kommo: KommoClient,
    private readonly iterable: IterableClient,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectQueue(QUEUES.backfill) private readonly queue: Queue,
  ) {
    super(pauses);
    const customerState = new CustomerStateGuard(() => ioredisOf(queue), config.queuePrefix);
    this.pageDeps = { kommo, config, customerState };
  }

  @OnWorkerEvent('closing')
  onClosing() {
    this.closing = true;
  }

  protected handle(job: Job, token?: string): Promise<Outcome> {
    switch (job.name) {
      case OPS_JOBS.backfillRun:
        return this.run(job as Job<BackfillRun>, token);
      case OPS_JOBS.backfillUserFailed:
        return this.userFailed(job as Job<BackfillUserFailed>);
      default:
        throw new UnrecoverableError(`unknown job name ${job.name} on ${QUEUES.backfill}`);
    }
  }

  private async run(job: Job<BackfillRun>, token?: string): Promise<Outcome> {
    const deps = { ...this.pageDeps, iterable: this.iterable, logger: this.logger, stopping: () => this.closing, deadLetter: this.deadLetter };
    const startedAt = Date.now();
    if ((await runBackfill(job, deps)) === 'stopped') {
      // Back to the queue without spending an attempt: the next worker (this one restarted, or a replica) resumes.
      await job.moveToDelayed(Date.now(), token);
      throw new DelayedError(`backfill ${job.data.backfillId} paused for shutdown; resumes at page ${job.data.page}`);
    }
    const { pages, leads, users, failed, skipped: skips } = job.data.stats;
    const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
    return synced(`backfill ${job.data.backfillId}: ${leads} won deals in ${pages} pages, ${users} profiles pushed, ${failed} failed, ${skips} skipped (last run ${seconds} s)`);
  }

  private readonly deadLetter = async (job: Job<BackfillRun>, failed: PushResult['failed']): Promise<void> => {
    if (!failed.length) return;
    const { backfillId } = job.data;
    await this.queue.addBulk(
      failed.map(({ profile, reason }) => ({
        name: OPS_JOBS.backfillUserFailed,
        data: { backfillId, leadId: profile.leadId, email: profile.email, reason } satisfies BackfillUserFailed,
        // Per backfill and lead: a page redone after a restart does not report the same profile twice.
        opts: { jobId: `${backfillId}-lead-${profile.leadId}`, attempts: 1 },
      })),
    );
  };

  /** First run: fail with the reason (a dead letter). Replayed: sync that one deal again, as the backfill would. */
  private async userFailed(job: Job<BackfillUserFailed>): Promise<Outcome> {
    const { leadId, email, reason } = job.data;
    if (!job.data.reported) {
      await job.updateData({ ...job.data, reported: true });
      throw new UnrecoverableError(`lead ${leadId} (${email}): ${reason}`);
    }
    const lead = await this.kommo.getLead(leadId);
    if (lead.status_id !== WON_STATUS_ID) return skipped(`lead ${leadId} is no longer Won (status ${lead.status_id})`);
    const [profile] = (await profilesForPage([lead], this.pageDeps)).profiles;
    if (!profile) return skipped(`lead ${leadId}: no email on the main contact, or a newer Won/Lost was applied`);
    await this.iterable.updateUser({ email: profile.email, dataFields: profile.dataFields });
    return synced(`lead ${leadId} re-synced for ${profile.email}`);
  }
}
