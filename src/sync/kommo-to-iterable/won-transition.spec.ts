import Redis from 'ioredis';
import type { KommoLead } from '../../kommo/kommo.types';
import { WonTransitionGuard } from './won-transition';

describe('WonTransitionGuard', () => {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const prefix = `won-transition-spec-${process.pid}-${Date.now()}`;
  const guard = new WonTransitionGuard(async () => redis, prefix);
  const lead = (closedAt: number | null) => ({ id: 42, closed_at: closedAt }) as KommoLead;

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it('the first job holds a Won; another job is its duplicate; the holder may claim it again (retry, replay)', async () => {
    expect(await guard.duplicateOf(lead(1790000000), 'job-a')).toBeUndefined();
    expect(await guard.duplicateOf(lead(1790000000), 'job-b')).toBe('job-a');
    expect(await guard.duplicateOf(lead(1790000000), 'job-a')).toBeUndefined();
    expect(await redis.ttl(`${prefix}:won:42:1790000000`)).toBeGreaterThan(29 * 24 * 3600);
  });

  it('a later Won of the same lead (reopened, won again) is a Won of its own; no closed_at means no guard', async () => {
    expect(await guard.duplicateOf(lead(1790009999), 'job-b')).toBeUndefined();
    expect(await guard.duplicateOf(lead(null), 'job-c')).toBeUndefined();
    expect(await guard.duplicateOf(lead(null), 'job-d')).toBeUndefined();
  });

  it('of jobs claiming one Won at the same instant, exactly one holds it', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `race-${i}`);
    const answers = await Promise.all(ids.map((id) => guard.duplicateOf(lead(1790005555), id)));
    const holders = ids.filter((_, i) => answers[i] === undefined);
    expect(holders).toHaveLength(1);
    expect(new Set(answers.filter(Boolean))).toEqual(new Set(holders));
  });
});
