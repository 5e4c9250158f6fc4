import { Inject, Injectable } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import type { ChainableCommander } from 'ioredis';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { ioredisOf } from '../../delivery/redis';
import { QUEUES, type JobRequest, type LeadStatusChange } from '../jobs';

export interface SeenStatus {
  statusId: number;
  /** unix seconds of the change it came from */
  at: number;
}

/**
 * Writes `status:at` per lead unless a newer change is already recorded: a late re-delivery of an old event
 * must not make the reconciler think the lead moved back. KEYS[1]: the hash; KEYS[1 + n], when given: entry n's job,
 * whose entry is skipped if the job is already stored (it was recorded then). ARGV: lead id, status, at, lead id, …
 */
const RECORD = `
for n = 1, #ARGV / 3 do
  local i = n * 3 - 2
  if not KEYS[n + 1] or redis.call('EXISTS', KEYS[n + 1]) == 0 then
    local cur = redis.call('HGET', KEYS[1], ARGV[i])
    local curAt = cur and tonumber(string.match(cur, ':(%-?%d+)$')) or -1
    if tonumber(ARGV[i + 2]) >= curAt then redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1] .. ':' .. ARGV[i + 2]) end
  end
end
return 0
`;

/**
 * The last status the service saw for each lead, recorded when a status job is stored (webhook or reconciler):
 * the reconciler compares Kommo's current status with it to find changes whose webhook never came. One hash,
 * one field per lead (~40 bytes), kept without expiry: an old lead that moves again must still be recognised.
 */
@Injectable()
export class LeadStatusStore {
  private readonly key: string;

  constructor(
    @InjectQueue(QUEUES.kommoToIterable) private readonly queue: Queue,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.key = `${config.queuePrefix}:lead-status`;
  }

  /**
   * Queues on `tx`, ahead of the jobs' adds, the record of the status jobs among `requests` (others are ignored)
   * whose job is not stored yet: in one transaction with the adds, so a copy of a delivery stored at the same moment
   * by another request neither records twice nor misses the record.
   */
  recordUnstored(tx: ChainableCommander, requests: JobRequest[]): void {
    const jobs = requests.filter((r): r is JobRequest & { data: LeadStatusChange } => 'leadId' in r.data && 'statusId' in r.data);
    if (!jobs.length) return;
    const args = jobs.flatMap(({ data: c }) => [c.leadId, c.statusId, c.changedAt ?? Math.floor(Date.parse(c.receivedAt) / 1000)]);
    tx.eval(RECORD, 1 + jobs.length, this.key, ...jobs.map((r) => this.queue.toKey(r.jobId)), ...args);
  }

  async record(entries: { leadId: number; statusId: number; at: number }[]): Promise<void> {
    if (!entries.length) return;
    const client = await ioredisOf(this.queue);
    await client.eval(RECORD, 1, this.key, ...entries.flatMap((e) => [e.leadId, e.statusId, e.at]));
  }

  /** What was last seen for each lead, in order; undefined for a lead never seen. */
  async lastSeen(leadIds: number[]): Promise<(SeenStatus | undefined)[]> {
    if (!leadIds.length) return [];
    const client = await ioredisOf(this.queue);
    const raw = await client.hmget(this.key, ...leadIds.map(String));
    return raw.map((v) => {
      const m = v ? /^(\d+):(-?\d+)$/.exec(v) : null;
      return m ? { statusId: Number(m[1]), at: Number(m[2]) } : undefined;
    });
  }
}
