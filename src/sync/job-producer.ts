import { Injectable } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import { Job, type IRedisClient, type Queue } from 'bullmq';
import type Redis from 'ioredis';
import { ioredisOf } from '../delivery/redis';
import { EventQueueName, JobRequest, QUEUES, QUEUE_OF } from './jobs';
import { LeadStatusStore, RECORD_STATUS_LUA, statusEntryOf } from './reconcile/lead-status.store';

export interface EnqueueResult {
  enqueued: number;
  duplicate: number;
}

/** Kommo gives up after 2 s: a store that has not answered by then is reported as failed (503). */
const STORE_TIMEOUT_MS = 1000;

/**
 * Per job not stored yet, a claim (SET NX): of copies of a delivery stored at the same moment, by this process or
 * another, exactly one claims each job and counts it as enqueued; it also records the lead's status for the
 * reconciler. KEYS[1]: the lead-status hash; per job: its key, its claim key. ARGV[1]: claim lifetime (ms); per job:
 * lead id, status id, at ('' when not a status change). Returns how many jobs this call claimed.
 */
const CLAIM = `${RECORD_STATUS_LUA}
local claimed = 0
for i = 2, #KEYS, 2 do
  if redis.call('EXISTS', KEYS[i]) == 0 and redis.call('SET', KEYS[i + 1], '1', 'NX', 'PX', ARGV[1]) then
    claimed = claimed + 1
    local a = i * 3 / 2 - 1
    if ARGV[a] ~= '' then recordStatus(KEYS[1], ARGV[a], ARGV[a + 1], ARGV[a + 2]) end
  end
end
return claimed
`;
const CLAIM_COMMAND = 'kisClaimJobs';
const CLAIM_MS = 5 * STORE_TIMEOUT_MS;
/** Deliveries of up to this many jobs skip ioredis' Pipeline object (~50 µs to build: it copies BullMQ's 52 scripts). */
const DIRECT_MAX_JOBS = 8;

type ClaimCommand = { [CLAIM_COMMAND]: (...args: (string | number)[]) => Promise<number> };

export class StorageUnavailableError extends Error {
  override name = 'StorageUnavailableError';
}

/**
 * Stores webhook events as jobs. Job ids are derived from the event, so BullMQ itself refuses a second copy. One
 * round trip: the claim script and BullMQ's adds go out together, in this order, so a copy that lost a claim has
 * its own add run after it and answers only once the job is in Redis, whoever stored it.
 */
@Injectable()
export class JobProducer {
  private readonly queues: Record<EventQueueName, Queue>;
  private readonly clients = new Map<EventQueueName, Redis>();

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
  enqueue(requests: JobRequest[]): Promise<EnqueueResult> {
    return new Promise((resolve, reject) => {
      let expired = false;
      const timer = setTimeout(() => {
        expired = true;
        reject(new StorageUnavailableError(`Redis did not answer within ${STORE_TIMEOUT_MS} ms`));
      }, STORE_TIMEOUT_MS);
      this.store(requests, () => expired).then(
        (result) => {
          clearTimeout(timer);
          resolve(result);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    });
  }

  private async store(requests: JobRequest[], expired: () => boolean): Promise<EnqueueResult> {
    const result: EnqueueResult = { enqueued: 0, duplicate: 0 };
    // Nothing to store still needs Redis up: the caller answers 503 for every delivery while it is down.
    const byQueue = new Map<EventQueueName, JobRequest[]>(requests.length ? [] : [[QUEUES.kommoToIterable, []]]);
    for (const r of requests) {
      const name = QUEUE_OF[r.name];
      const list = byQueue.get(name);
      if (list) list.push(r);
      else byQueue.set(name, [r]);
    }
    for (const [name, reqs] of byQueue) {
      const queue = this.queues[name];
      // The connection itself may still be opening (Redis down since startup): the caller's timeout bounds that wait.
      const client = this.clients.get(name) ?? (await this.connect(name));
      if (client.status !== 'ready') throw new StorageUnavailableError(`Redis connection is ${client.status}`);
      if (expired()) throw new StorageUnavailableError('Redis connected after the request was answered');
      if (!reqs.length) continue;
      const unique = reqs.length === 1 ? reqs : [...new Map(reqs.map((r) => [r.jobId, r])).values()];
      const fresh = await this.add(client, queue, unique);
      result.enqueued += fresh;
      result.duplicate += reqs.length - fresh;
    }
    return result;
  }

  /** Claims and adds `jobs` (unique ids); resolves to how many this call claimed. */
  private async add(client: Redis, queue: Queue, jobs: JobRequest[]): Promise<number> {
    const keys = [this.leadStatuses.key];
    const args: (string | number)[] = [CLAIM_MS];
    for (const r of jobs) {
      keys.push(queue.toKey(r.jobId), queue.toKey(`claim:${r.jobId}`));
      args.push(...statusEntryOf(r));
    }
    // What queue.addBulk does, without its pipeline when the delivery is small (the client is BullMQ's ioredis proxy).
    const batch = jobs.length > DIRECT_MAX_JOBS ? client.pipeline() : undefined;
    const target = (batch ?? client) as unknown as IRedisClient & ClaimCommand;
    const claimed = target[CLAIM_COMMAND](keys.length, ...keys, ...args);
    const opts = queue.defaultJobOptions;
    const adds = jobs.map((r) => new Job(queue, r.name, r.data, { ...opts, jobId: r.jobId }, r.jobId).addJob(target));
    if (!batch) return (await Promise.all([claimed, ...adds]))[0];
    const replies = (await batch.exec()) ?? [];
    for (const [err] of replies) if (err) throw err;
    return replies[0][1] as number;
  }

  /** A queue's connection, once open (BullMQ keeps the same client across reconnects), with the claim script. */
  private async connect(name: EventQueueName): Promise<Redis> {
    const client = await ioredisOf(this.queues[name]);
    if (!(CLAIM_COMMAND in client)) client.defineCommand(CLAIM_COMMAND, { lua: CLAIM });
    this.clients.set(name, client);
    return client;
  }

  queue(name: EventQueueName): Queue {
    return this.queues[name];
  }
}
