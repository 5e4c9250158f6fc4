import { Inject, Injectable } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { ioredisOf } from '../../delivery/redis';
import { QUEUES, type JobRequest } from '../jobs';

export interface SeenStatus {
  statusId: number;
  /** unix seconds of the change it came from */
  at: number;
}

/**
 * Lua: writes `status:at` for a lead unless a newer change is already recorded: a late re-delivery of an old event
 * must not make the reconciler think the lead moved back. Shared with JobProducer's store script.
 */
export const RECORD_STATUS_LUA = `
local function recordStatus(hash, lead, status, at)
  local cur = redis.call('HGET', hash, lead)
  local curAt = cur and tonumber(string.match(cur, ':(%-?%d+)$')) or -1
  if tonumber(at) >= curAt then redis.call('HSET', hash, lead, status .. ':' .. at) end
end
`;

/** KEYS[1]: the hash. ARGV: lead id, status, at, lead id, … */
const RECORD = `${RECORD_STATUS_LUA}
for i = 1, #ARGV, 3 do recordStatus(KEYS[1], ARGV[i], ARGV[i + 1], ARGV[i + 2]) end
return 0
`;

/** A status job's `[lead id, status id, at]` for RECORD_STATUS_LUA; `['', '', '']` for other jobs. */
export function statusEntryOf({ data }: JobRequest): (string | number)[] {
  if (!('leadId' in data)) return ['', '', ''];
  return [data.leadId, data.statusId, data.changedAt ?? Math.floor(Date.parse(data.receivedAt) / 1000)];
}

/**
 * The last status the service saw for each lead, recorded when a status job is stored (webhook or reconciler):
 * the reconciler compares Kommo's current status with it to find changes whose webhook never came. One hash,
 * one field per lead (~40 bytes), kept without expiry: an old lead that moves again must still be recognised.
 */
@Injectable()
export class LeadStatusStore {
  /** the hash, also written by JobProducer's store script */
  readonly key: string;

  constructor(
    @InjectQueue(QUEUES.kommoToIterable) private readonly queue: Queue,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.key = `${config.queuePrefix}:lead-status`;
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
