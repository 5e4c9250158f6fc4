import { getQueueToken } from '@nestjs/bullmq';
import { Logger, type Provider } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { MAINTENANCE_QUEUE } from '../maintenance/maintenance.queue';
import { QUEUES } from '../sync/jobs';
import { errorListener } from './error-log';

/** Every queue BullModule.registerQueue creates in app.module.ts and maintenance.providers.ts. */
const QUEUE_NAMES: string[] = [...Object.values(QUEUES), MAINTENANCE_QUEUE];

export const QUEUE_ERROR_LOG = Symbol('QUEUE_ERROR_LOG');

/**
 * An 'error' listener on every queue, in every role, from the moment the queue exists. A queue reports its own
 * connection's errors (ECONNREFUSED through a Redis outage) and its job scheduler's ("Connection is closed" when the
 * app closes while the scheduler still connects); workers have theirs in PolicyWorkerHost.
 */
export const queueErrorLogProvider: Provider = {
  provide: QUEUE_ERROR_LOG,
  inject: QUEUE_NAMES.map((name) => getQueueToken(name)),
  useFactory: (...queues: Queue[]) => {
    const logger = new Logger('QueueConnection');
    for (const queue of queues) queue.on('error', errorListener(`queue ${queue.name}`, logger));
    return queues.map((q) => q.name);
  },
};
