import type Redis from 'ioredis';
import { DEAD_LETTER_KEEP_SECONDS } from '../../delivery/queue-config';
import type { KommoLead } from '../../kommo/kommo.types';

/** The first job to ask holds the Won; its own retries and replays hold it again. Returns the holder's job id. */
const CLAIM = `
local holder = redis.call('GET', KEYS[1])
if holder then return holder end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return ARGV[1]
`;

/**
 * One set of Won side effects (journey, list, note, `deal_won`) per Won of a lead. Job ids dedupe deliveries of one
 * webhook, but the same Won can arrive as two different jobs: Kommo's account webhook and a Digital Pipeline webhook
 * (other fields, no timestamp), or the reconciler's catch-up and the webhook that came late after all, with another
 * old status. Both jobs read the lead's `closed_at` from the API, so (lead id, closed_at) names the Won itself.
 * Kept as long as a dead letter can be replayed: replaying the holder runs its effects, not a second copy's.
 */
export class WonTransitionGuard {
  constructor(
    private readonly redis: () => Promise<Redis>,
    private readonly prefix: string,
  ) {}

  /** The id of another job that holds this Won, or undefined when `jobId` holds it (or Kommo gave no closed_at). */
  async duplicateOf(lead: KommoLead, jobId: string): Promise<string | undefined> {
    if (!lead.closed_at) return undefined;
    const client = await this.redis();
    const key = `${this.prefix}:won:${lead.id}:${lead.closed_at}`;
    const holder = String(await client.eval(CLAIM, 1, key, jobId, DEAD_LETTER_KEEP_SECONDS));
    return holder === jobId ? undefined : holder;
  }
}
