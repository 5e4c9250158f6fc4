import { performance } from 'node:perf_hooks';
import type Redis from 'ioredis';

/**
 * A shared, Redis-backed pacer (GCRA): each call reserves the next free slot, spaced 1/rate apart, so no
 * sliding one-second window ever holds more than `rate` calls, whichever process makes them. Fixed-window
 * counters (the usual library approach) let 2× the rate through at a window edge, which Kommo answers with
 * 429s and, repeated, an IP block.
 */
const RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1]) * tonumber(redis.call('HGET', KEYS[2], 'factor') or '1')
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
redis.call('SET', KEYS[1], tat + interval, 'PX', math.ceil(tat + interval - now) + 1000)
return tat - now
`;
const PUSH_BACK = `
local until_ms = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < until_ms then redis.call('SET', KEYS[1], until_ms, 'PX', math.ceil(until_ms - now) + 1000) end
local slowed_at = tonumber(redis.call('HGET', KEYS[2], 'at') or '0')
if now - slowed_at >= until_ms - now then
  local factor = math.min(tonumber(redis.call('HGET', KEYS[2], 'factor') or '1') * 2, tonumber(ARGV[3]))
  redis.call('HSET', KEYS[2], 'factor', factor, 'at', now)
end
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return 0
`;

/**
 * After a 429 the far side's limit is evidently below ours (another integration on the account, a plan change):
 * waiting out `retry_after` and resuming at full rate hits it again, in lockstep, forever. So each 429 burst also
 * halves the rate (at most 16×), and the full rate comes back once no 429 has been seen for a while.
 */
const MAX_SLOWDOWN = 16;
const SLOWDOWN_MS = 30_000;

/** 10% headroom: the far side counts arrivals, not our send times, and arrival times jitter with the network. */
const HEADROOM = 1.1;
/**
 * A caller whose event loop was busy when its slot came (a burst of jobs parsing big answers) would send late, right
 * before the next caller's punctual send: two arrivals closer than the limit allows, seen as 8 per second at Kommo.
 * Past this lateness the slot is given up and a new one taken at the end of the queue (a wasted slot, not a 429).
 */
const LATE_MS = 20;
const MAX_RESERVATIONS = 4;

export class RateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    /** Sees every wait (0 included), e.g. for a metric; the limiter works without it. */
    private readonly onWait: (key: string, waitedMs: number) => void = () => undefined,
  ) {}

  /** Waits until a call to `key` may go out at `perSecond`; returns the milliseconds waited. */
  async acquire(key: string, perSecond: number): Promise<number> {
    const interval = (1000 / perSecond) * HEADROOM;
    const started = performance.now();
    for (let reservation = 1; ; reservation++) {
      // Redis's clock inside the script: "now" is when the slot is taken, however long the call took to get there.
      const asked = performance.now();
      const wait = Math.max(0, Number(await this.redis.eval(RESERVE, 2, this.key(key), this.slowKey(key), interval)));
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const late = performance.now() - asked - wait;
      if (late <= LATE_MS || reservation >= MAX_RESERVATIONS) break;
    }
    const waited = Math.round(performance.now() - started);
    this.onWait(key, waited);
    return waited;
  }

  /**
   * After a 429: nobody calls `key` again before `ms` from now, and then at a reduced rate (the whole fleet slows
   * down, not one job). The 429s of one burst count once: only the first within `ms` of the last slows it further.
   */
  async pushBack(key: string, ms: number): Promise<void> {
    const now = await this.nowMs();
    await this.redis.eval(PUSH_BACK, 2, this.key(key), this.slowKey(key), now + ms, now, MAX_SLOWDOWN, SLOWDOWN_MS);
  }

  private key(k: string): string {
    return `${this.prefix}:ratelimit:${k}`;
  }

  private slowKey(k: string): string {
    return `${this.prefix}:ratelimit:${k}:slowdown`;
  }

  /** Redis's clock, not ours: processes on different hosts must agree on "now". */
  private async nowMs(): Promise<number> {
    const [s, us] = await this.redis.time();
    return Number(s) * 1000 + Math.floor(Number(us) / 1000);
  }
}
