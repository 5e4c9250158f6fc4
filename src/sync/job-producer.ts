import { Injectable } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { ioredisOf } from '../delivery/redis';
import { EventQueueName, JobRequest, QUEUES, QUEUE_OF } from './jobs';
import { LeadStatusStore } from './reconcile/lead-status.store';

export interface EnqueueResult {
  enqueued: number;
  duplicate: number;
}

/** Kommo gives up after 2 s: a store that has not answered by then is reported as failed (503). */
const STORE_TIMEOUT_MS = 1000;

/**
 * Per job id: 0 = already stored (duplicate), 1 = claimed by this request (store it), 2 = another request claimed
 * it a moment ago and is storing it now. Atomic, so of copies arriving together exactly one stores.
 * KEYS: job key, claim key, job key, claim key, …; ARGV[1]: claim lifetime (ms).
 */
const CLAIM = `
local out = {}
for i = 1, #KEYS, 2 do
  if redis.call('EXISTS', KEYS[i]) == 1 then out[#out + 1] = 0
  elseif redis.call('SET', KEYS[i + 1], '1', 'NX', 'PX', ARGV[1]) then out[#out + 1] = 1
  else out[#out + 1] = 2 end
end
return out
`;
const CLAIM_MS = 5 * STORE_TIMEOUT_MS;

export class StorageUnavailableError extends Error {
  override name = 'StorageUnavailableError';
}

/**
 * Stores webhook events as jobs. Job ids are derived from the event, so BullMQ itself refuses a second copy
 * (also when two copies race); the claim only tells the caller how many were duplicates. A copy that lost the
 * claim answers only once the winner's job is in Redis: never 2xx for an event that might not be stored.
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
    for (const r of requests) byQueue.set(QUEUE_OF[r.name], [...(byQueue.get(QUEUE_OF[r.name]) ?? []), r]);
    for (const [name, reqs] of byQueue) {
      const queue = this.queues[name];
      const unique = [...new Map(reqs.map((r) => [r.jobId, r])).values()];
      const client = await ioredisOf(queue);
      const keys = unique.flatMap((r) => [queue.toKey(r.jobId), queue.toKey(`claim:${r.jobId}`)]);
      const verdicts = (await client.eval(CLAIM, keys.length, ...keys, CLAIM_MS)) as number[];
      const fresh = unique.filter((_, i) => verdicts[i] === 1);
      if (fresh.length) await queue.addBulk(fresh.map((r) => ({ name: r.name, data: r.data, opts: { jobId: r.jobId } })));
      // Recorded on storing, not processing: the reconciler must not re-enqueue a change still waiting in the queue.
      if (name === QUEUES.kommoToIterable) await this.leadStatuses.recordJobs(fresh);
      await this.untilStored(queue, unique.filter((_, i) => verdicts[i] === 2).map((r) => r.jobId));
      result.enqueued += fresh.length;
      result.duplicate += reqs.length - fresh.length;
    }
    return result;
  }

  /** Waits for jobs another request is storing right now; the caller's timeout turns a lost store into a 503. */
  private async untilStored(queue: Queue, jobIds: string[]): Promise<void> {
    const client = await ioredisOf(queue);
    const deadline = Date.now() + STORE_TIMEOUT_MS;
    while (jobIds.length && Date.now() < deadline) {
      const stored = (await client.exists(...jobIds.map((id) => queue.toKey(id)))) === jobIds.length;
      if (stored) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    if (jobIds.length) throw new StorageUnavailableError('a concurrent copy of this delivery was not stored in time');
  }

  queue(name: EventQueueName): Queue {
    return this.queues[name];
  }
}
