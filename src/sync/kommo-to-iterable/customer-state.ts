import type Redis from 'ioredis';

/**
 * Last applied Won/Lost change per email, so a late, older event never overwrites newer customer state
 * (a stale Won arriving after a Lost leaves isCustomer:false). Atomic compare-and-set in Redis.
 */
const CLAIM = `
local stored = tonumber(redis.call('GET', KEYS[1]) or '-1')
if stored > tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return 1
`;
const KEEP_SECONDS = 90 * 24 * 3600;

export class CustomerStateGuard {
  constructor(
    private readonly redis: () => Promise<Redis>,
    private readonly prefix: string,
  ) {}

  /** True when the change at `changedAt` (unix s) is not older than what was last applied for `email`. */
  async claim(email: string, changedAt: number): Promise<boolean> {
    const client = await this.redis();
    return (await client.eval(CLAIM, 1, `${this.prefix}:customer-state:${email}`, changedAt, KEEP_SECONDS)) === 1;
  }
}
