import { Injectable } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { ioredisOf } from '../delivery/redis';
import { JobRequest, QUEUES, QUEUE_OF, QueueName } from './jobs';

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
 * Stores webhook events as jobs. Job ids are derived from the event, so BullMQ itself refuses a second copy
 * (also when two copies race); the EXISTS pre-check only tells the caller how many were duplicates.
 */
@Injectable()
export class JobProducer {
  private readonly queues: Record<QueueName, Queue>;

  constructor(
    @InjectQueue(QUEUES.kommoToIterable) kommoToIterable: Queue,
    @InjectQueue(QUEUES.iterableToKommo) iterableToKommo: Queue,
  ) {
    this.queues = { [QUEUES.kommoToIterable]: kommoToIterable, [QUEUES.iterableToKommo]: iterableToKommo };
  }

  /**
   * Resolves only once every job is in Redis; rejects (→ 503) at once when Redis is not connected, or after
   * STORE_TIMEOUT_MS. A store that completes after the timeout is harmless: the re-delivery is a duplicate.
   */
  async enqueue(requests: JobRequest[]): Promise<EnqueueResult> {
    const client = await ioredisOf(this.queues[QUEUES.kommoToIterable]);
    if (client.status !== 'ready') throw new StorageUnavailableError(`Redis connection is ${client.status}`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StorageUnavailableError(`Redis did not answer within ${STORE_TIMEOUT_MS} ms`)), STORE_TIMEOUT_MS);
    });
    try {
      return await Promise.race([this.store(requests), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async store(requests: JobRequest[]): Promise<EnqueueResult> {
    const result: EnqueueResult = { enqueued: 0, duplicate: 0 };
    const byQueue = new Map<QueueName, JobRequest[]>();
    for (const r of requests) byQueue.set(QUEUE_OF[r.name], [...(byQueue.get(QUEUE_OF[r.name]) ?? []), r]);
    for (const [name, reqs] of byQueue) {
      const queue = this.queues[name];
      const unique = [...new Map(reqs.map((r) => [r.jobId, r])).values()];
      const client = await ioredisOf(queue);
      const exists = await client.pipeline(unique.map((r) => ['exists', queue.toKey(r.jobId)])).exec();
      const fresh = unique.filter((_, i) => exists?.[i]?.[1] === 0);
      if (exists?.some(([err]) => err)) throw exists.find(([err]) => err)![0];
      if (fresh.length) await queue.addBulk(fresh.map((r) => ({ name: r.name, data: r.data, opts: { jobId: r.jobId } })));
      result.enqueued += fresh.length;
      result.duplicate += reqs.length - fresh.length;
    }
    return result;
  }

  queue(name: QueueName): Queue {
    return this.queues[name];
  }
}
