import { Inject } from '@nestjs/common';
import { InjectQueue, Processor } from '@nestjs/bullmq';
import { UnrecoverableError, type Job, type Queue } from 'bullmq';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { ApiPauseRegistry } from '../../delivery/api-pause';
import type { ApiName } from '../../delivery/errors';
import { backoffStrategy } from '../../delivery/job-policy';
import { WORKER_RECOVERY } from '../../delivery/queue-config';
import { PolicyWorkerHost } from '../../delivery/policy-worker.host';
import { ioredisOf } from '../../delivery/redis';
import { IterableClient } from '../../iterable/iterable.client';
import { KommoClient } from '../../kommo/kommo.client';
import { dropReporter } from '../../mapping/drop-reporter';
import { MappingMetrics } from '../../metrics/mapping-metrics';
import { JobOf, KommoJobName, QUEUES } from '../jobs';
import type { Outcome } from '../outcome';
import { CustomerStateGuard } from './customer-state';
import type { KommoToIterableDeps } from './deps';
import { handleLost } from './lost.handler';
import { handleStageChange } from './stage.handler';
import { WonTransitionGuard } from './won-transition';
import { handleWon } from './won.handler';

// Jobs waiting on Kommo are what fills a shared batch (kommo-batch-loader.ts): 500 = two full `filter[id][]` reads,
// ten note POSTs. At 250 a 1,000-deal burst needed ~70 Kommo calls, at 500 ~50.
// Iterable's per-endpoint limits (users/update 500/s, events/track 2000/s) stay far above what 7 Kommo req/s feed.
@Processor(QUEUES.kommoToIterable, { concurrency: 500, ...WORKER_RECOVERY, settings: { backoffStrategy } })
export class KommoToIterableProcessor extends PolicyWorkerHost {
  protected readonly apis: ApiName[] = ['kommo', 'iterable'];
  private readonly deps: KommoToIterableDeps;

  constructor(
    pauses: ApiPauseRegistry,
    kommo: KommoClient,
    iterable: IterableClient,
    @Inject(APP_CONFIG) config: AppConfig,
    @InjectQueue(QUEUES.kommoToIterable) queue: Queue,
    mappingMetrics: MappingMetrics,
  ) {
    super(pauses);
    const redis = () => ioredisOf(queue);
    const customerState = new CustomerStateGuard(redis, config.queuePrefix);
    const wonTransitions = new WonTransitionGuard(redis, config.queuePrefix);
    this.deps = { kommo, iterable, config, customerState, wonTransitions, reportDropped: dropReporter(this.logger, mappingMetrics) };
  }

  protected handle(job: Job): Promise<Outcome> {
    const name = job.name as KommoJobName;
    switch (name) {
      case 'lead.won':
        return handleWon(job as Job<JobOf<'lead.won'>>, this.deps);
      case 'lead.lost':
        return handleLost(job as Job<JobOf<'lead.lost'>>, this.deps);
      case 'lead.stage-changed':
        return handleStageChange(job as Job<JobOf<'lead.stage-changed'>>, this.deps);
      default: {
        const unknown: never = name;
        throw new UnrecoverableError(`unknown job name ${String(unknown)} on ${QUEUES.kommoToIterable}`);
      }
    }
  }
}
