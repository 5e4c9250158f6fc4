import { Inject, OnApplicationBootstrap } from '@nestjs/common';
import { InjectQueue, Processor } from '@nestjs/bullmq';
import { UnrecoverableError, type Job, type Queue } from 'bullmq';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { ApiPauseRegistry } from '../../delivery/api-pause';
import type { ApiName } from '../../delivery/errors';
import { BACKOFF_TYPE, backoffStrategy } from '../../delivery/job-policy';
import { PolicyWorkerHost } from '../../delivery/policy-worker.host';
import { DEAD_LETTER_KEEP_SECONDS } from '../../delivery/queue-config';
import { ioredisOf } from '../../delivery/redis';
import { KommoClient } from '../../kommo/kommo.client';
import { JobProducer } from '../job-producer';
import { OPS_JOBS, QUEUES } from '../jobs';
import { synced, type Outcome } from '../outcome';
import { LeadStatusStore } from './lead-status.store';
import { reconcile } from './reconciler';

/** Scheduler id: one per deployment (prefix), however many workers upsert it. */
const SCHEDULER_ID = 'reconcile';

/**
 * Runs the reconciliation (reconciler.ts) on a BullMQ job scheduler every RECONCILE_INTERVAL_MS. Worker roles
 * only: each replica upserts the same scheduler, and BullMQ hands each run to one of them.
 */
@Processor(QUEUES.reconcile, { concurrency: 1, settings: { backoffStrategy } })
export class ReconcileProcessor extends PolicyWorkerHost implements OnApplicationBootstrap {
  protected readonly apis: ApiName[] = ['kommo'];

  constructor(
    pauses: ApiPauseRegistry,
    private readonly kommo: KommoClient,
    private readonly producer: JobProducer,
    private readonly statuses: LeadStatusStore,
    @InjectQueue(QUEUES.reconcile) private readonly queue: Queue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super(pauses);
  }

  /** Not awaited: a Redis outage at boot must not block startup (the next boot schedules again). */
  onApplicationBootstrap() {
    const every = this.config.reconcile?.intervalMs ?? 0;
    const scheduled = every
      ? this.queue.upsertJobScheduler(SCHEDULER_ID, { every }, {
          name: OPS_JOBS.reconcileRun,
          opts: {
            attempts: 3,
            backoff: { type: BACKOFF_TYPE, delay: this.config.jobs.backoffMs },
            removeOnComplete: { count: 100 },
            removeOnFail: { age: DEAD_LETTER_KEEP_SECONDS },
          },
        })
      : this.queue.removeJobScheduler(SCHEDULER_ID);
    scheduled.catch((err: Error) => this.logger.error(`could not (un)schedule reconciliation: ${err.message}`));
  }

  protected async handle(job: Job): Promise<Outcome> {
    if (job.name !== OPS_JOBS.reconcileRun) throw new UnrecoverableError(`unknown job name ${job.name} on ${QUEUES.reconcile}`);
    const report = await reconcile(
      {
        kommo: this.kommo,
        statuses: this.statuses,
        producer: this.producer,
        redis: await ioredisOf(this.queue),
        checkpointKey: `${this.config.queuePrefix}:reconcile:checkpoint`,
        intervalMs: this.config.reconcile?.intervalMs ?? 0,
        onPage: (r) => job.updateProgress({ ...r }),
      },
      String(job.id),
    );
    const { checked, changes, enqueued, duplicate, firstSeen } = report;
    return synced(`${checked} leads checked since ${new Date(report.from * 1000).toISOString()}: ${changes} missed changes (${enqueued} enqueued, ${duplicate} already queued), ${firstSeen} first seen`);
  }
}
