import { Injectable } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import { Job, type IRedisTransaction, type Queue } from 'bullmq';
import { ioredisOf } from '../delivery/redis';
import { EventQueueName, JobRequest, QUEUES, QUEUE_OF } from './jobs';
import { LeadStatusStore } from './reconcile/lead-status.store';

export interface EnqueueResult {
  enqueued: number;
  duplicate: number;
}

/** Kommo gives up after 2 s: a store that has not answered by then is reported as failed (503). */
const STORE_TIMEOUT_MS = 1000;

export class StorageUnavailableError extends Error {
  override name = 'StorageUnavailableError';
}

/**
 * Stores webhook events as jobs. Job ids are derived from the event, so BullMQ itself refuses a second copy; each
 * store is one MULTI (the duplicate count, the reconciler's record, the adds), one round trip, atomic against
 * copies of the same delivery stored at the same moment by other requests or processes: exactly one of them counts
 * a job as enqueued, and one that counts it as a duplicate knows it is already in Redis.
 */
@Injectable()
export class JobProducer {
  private readonly queues: Record<EventQueueName, Queue>;

  constructor(
    @InjectQueue(QUEUES.kommoToIterable) kommoToIterable: Queue,
    @InjectQueue(QUEUES.iterableToKommo) iterableToKommo: Queue,
    private readonly leadStatuses: LeadStatusStore,
  ) {
    this.queues = { [QUEUES.kommoToIterable]: kommoToIterable, [QUEUES.iterableToKommo]: iterableToKommo };
  }

  /**
   * Resolves only once every job is in Redis; rejects (→ 503) at once when Redis is not connected, or after
   * STORE_TIMEOUT_MS. A store that completes after the timeout is harmless: the re-delivery is a duplicate.
   */
  async enqueue(requests: JobRequest[]): Promise<EnqueueResult> {
    let timer: NodeJS.Timeout | undefined;
    let expired = false;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        expired = true;
        reject(new StorageUnavailableError(`Redis did not answer within ${STORE_TIMEOUT_MS} ms`));
      }, STORE_TIMEOUT_MS);
    });
    // The connection itself may still be opening (Redis down since startup): that wait is bounded too.
    const stored = ioredisOf(this.queues[QUEUES.kommoToIterable]).then((client) => {
      if (client.status !== 'ready') throw new StorageUnavailableError(`Redis connection is ${client.status}`);
      if (expired) throw new StorageUnavailableError('Redis connected after the request was answered');
      return this.store(requests);
    });
    try {
      return await Promise.race([stored, timeout]);
    } finally {
      clearTimeout(timer);
      stored.catch(() => undefined);
    }
  }

  private async store(requests: JobRequest[]): Promise<EnqueueResult> {
    const result: EnqueueResult = { enqueued: 0, duplicate: 0 };
    const byQueue = new Map<EventQueueName, JobRequest[]>();
    for (const r of requests) {
      const name = QUEUE_OF[r.name];
      const list = byQueue.get(name);
      if (list) list.push(r);
      else byQueue.set(name, [r]);
    }
    for (const [name, reqs] of byQueue) {
      const queue = this.queues[name];
      const unique = reqs.length === 1 ? reqs : [...new Map(reqs.map((r) => [r.jobId, r])).values()];
      const tx = (await ioredisOf(queue)).multi();
      tx.exists(...unique.map((r) => queue.toKey(r.jobId)));
      // Recorded on storing, not processing: the reconciler must not re-enqueue a change still waiting in the queue.
      if (name === QUEUES.kommoToIterable) this.leadStatuses.recordUnstored(tx, unique);
      // What queue.addBulk does, on our transaction instead of its pipeline (as FlowProducer adds jobs). The client
      // is BullMQ's ioredis proxy, whose multi() is a BullMQ transaction; results and errors come from exec().
      const opts = queue.defaultJobOptions;
      for (const r of unique) void new Job(queue, r.name, r.data, { ...opts, jobId: r.jobId }, r.jobId).addJob(tx as unknown as IRedisTransaction);
      const replies = await tx.exec();
      if (!replies) throw new StorageUnavailableError('the store transaction was aborted');
      for (const [err] of replies) if (err) throw err;
      const fresh = unique.length - (replies[0][1] as number);
      result.enqueued += fresh;
      result.duplicate += reqs.length - fresh;
    }
    return result;
  }

  queue(name: EventQueueName): Queue {
    return this.queues[name];
  }
}
