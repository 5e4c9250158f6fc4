import type Redis from 'ioredis';

/** Iterable counts users/forget calls per project over 24 hours. */
export const QUOTA_WINDOW_MS = 24 * 3600_000;

/**
 * A sliding 24 h window in a sorted set (score = when): drop what left the window, then either take a slot or
 * answer how long until the oldest one frees. Redis's clock, so every replica counts the same.
 * ARGV: now ms, window ms, limit, member. Returns 0 when taken, else the wait in ms.
 */
const TAKE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(1, tonumber(oldest[2]) + tonumber(ARGV[2]) - tonumber(ARGV[1]))
end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 0
`;

export class ForgetQuotaExceededError extends Error {
  override name = 'ForgetQuotaExceededError';
  constructor(
    readonly limit: number,
    readonly retryAfterMs: number,
  ) {
    super(
      `GDPR forget quota reached: Iterable accepts ${limit} users/forget calls per 24 hours and this project has used them all. ` +
        `The next one frees in ${describeWait(retryAfterMs)}; retry then (or set GDPR_MODE=delete, which has no daily cap but does not block future data collection).`,
    );
  }
}

/** The daily users/forget allowance, shared by every replica through Redis. */
export class ForgetQuota {
  constructor(
    private readonly redis: () => Promise<Redis>,
    private readonly key: string,
    private readonly limit: number,
  ) {}

  /** Takes one call of the allowance for `member`, or throws ForgetQuotaExceededError. */
  async take(member: string): Promise<void> {
    const client = await this.redis();
    const [s, us] = await client.time();
    const now = Number(s) * 1000 + Math.floor(Number(us) / 1000);
    const wait = Number(await client.eval(TAKE, 1, this.key, now, QUOTA_WINDOW_MS, this.limit, member));
    if (wait > 0) throw new ForgetQuotaExceededError(this.limit, wait);
  }

  /** Gives a taken call back (the request was not stored after all). */
  async release(member: string): Promise<void> {
    await (await this.redis()).zrem(this.key, member);
  }
}

function describeWait(ms: number): string {
  const minutes = Math.ceil(ms / 60_000);
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
