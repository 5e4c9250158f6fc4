import { Harness, json, startHarness, waitFor } from '../support/harness';
import { RedisServer } from '../support/redis-server';
import { noteTally, seedWonLeads, WON_NOTE, wonDelivery } from '../support/won-deals';

/**
 * A Redis of the test's own, taken through a bad day: down while the service starts, up, hanging, killed, back.
 * Never 2xx for an event that was not stored; 503 in time for Kommo's 2 s timeout; recovery without a restart.
 */
describe('Redis outage at the edge', () => {
  let redis: RedisServer;
  let h: Harness;
  let refused: { leadId: number; email: string };

  beforeAll(async () => {
    redis = await RedisServer.start();
    await redis.kill();
    h = await startHarness({ REDIS_URL: redis.url });
  });
  afterAll(async () => {
    await h?.close();
    await redis?.kill();
  });

  const ready = () => fetch(`${h.url}/health/ready`);
  async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
    const t0 = performance.now();
    const out = await fn();
    return [out, performance.now() - t0];
  }

  /** Both webhooks and the readiness probe while Redis is unreachable; returns how long each answer took. */
  async function expectUnavailable(leadId: number, email: string): Promise<number[]> {
    const [kommo, kommoMs] = await timed(() => h.postKommo(wonDelivery([leadId])));
    expect(kommo.status).toBe(503);
    const [iterable, iterableMs] = await timed(() => h.postIterable({ email, eventName: 'emailUnSubscribe', dataFields: {} }));
    expect(iterable.status).toBe(503);
    const [probe, readyMs] = await timed(ready);
    expect(probe.status).toBe(503);
    expect((await json(probe)).error.redis.status).toBe('down');
    expect((await fetch(`${h.url}/health/live`)).status).toBe(200);
    return [kommoMs, iterableMs, readyMs].map(Math.round);
  }

  async function expectWonSynced(leadId: number, email: string): Promise<void> {
    const res = await h.postKommo(wonDelivery([leadId]));
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ enqueued: 1, duplicate: 0, ignored: 0 });
    await waitFor('the Won note', () => noteTally(h.kommo, [leadId]).leadsWithNote === 1, 15_000);
    expect(h.kommo.notes('leads', leadId).map((n) => n.text)).toEqual([WON_NOTE]);
    expect(h.iterable.user(email)?.dataFields).toMatchObject({ isCustomer: true, crmDealId: String(leadId) });
  }

  it('Redis down as the service starts: 503s on the timeout (the connection is not even open), live 200', async () => {
    [refused] = seedWonLeads(h.kommo, 'start', 1);
    const [kommoMs, iterableMs, readyMs] = await expectUnavailable(refused.leadId, refused.email);
    for (const ms of [kommoMs, iterableMs, readyMs]) expect(ms).toBeLessThan(1500);
    console.info(`Redis down at startup: Kommo 503 in ${kommoMs} ms, Iterable 503 in ${iterableMs} ms, ready 503 in ${readyMs} ms`);
  });

  it('Redis comes up: ready without a restart, and Kommo\'s retry of the refused delivery is stored and synced', async () => {
    await redis.restart();
    const [, readyMs] = await timed(() => waitFor('ready', async () => (await ready()).status === 200, 15_000));
    // enqueued, not duplicate: the refused store did not complete behind the 503 once the connection opened
    await expectWonSynced(refused.leadId, refused.email);
    console.info(`Redis up after starting without it: ready after ${Math.round(readyMs)} ms`);
  });

  it('Redis hanging (CLIENT PAUSE): 503 after ~1 s; the late store makes Kommo\'s retry a duplicate, one note', async () => {
    const [deal] = seedWonLeads(h.kommo, 'hang', 1);
    const admin = redis.client();
    try {
      await admin.call('CLIENT', 'PAUSE', '2500', 'ALL');
      const [res, ms] = await timed(() => h.postKommo(wonDelivery([deal.leadId])));
      expect(res.status).toBe(503);
      expect(ms).toBeGreaterThanOrEqual(900);
      expect(ms).toBeLessThan(1500);
      console.info(`hanging Redis: Kommo webhook answered 503 in ${Math.round(ms)} ms`);
    } finally {
      admin.disconnect();
    }
    // The store was queued on the connection and went through once Redis answered: Kommo's retry is a duplicate.
    await waitFor('the Won note', () => noteTally(h.kommo, [deal.leadId]).leadsWithNote === 1);
    const retry = await h.postKommo(wonDelivery([deal.leadId]));
    expect(retry.status).toBe(200);
    expect(await json(retry)).toEqual({ enqueued: 0, duplicate: 1, ignored: 0 });
    expect(h.kommo.notes('leads', deal.leadId).map((n) => n.text)).toEqual([WON_NOTE]);
  });

  it('Redis killed: both webhooks answer 503 within a second, ready is 503 naming redis, live stays 200', async () => {
    await redis.kill();
    const [deal] = seedWonLeads(h.kommo, 'down', 1);
    const [kommoMs, iterableMs, readyMs] = await expectUnavailable(deal.leadId, deal.email);
    expect(kommoMs).toBeLessThan(1000);
    expect(iterableMs).toBeLessThan(1000);
    expect(readyMs).toBeLessThan(1500);
    console.info(`Redis killed: Kommo 503 in ${kommoMs} ms, Iterable 503 in ${iterableMs} ms, ready 503 in ${readyMs} ms`);
  });

  it('Redis back on the same port: ready again within seconds, and a new Won is stored and synced end to end', async () => {
    await redis.restart();
    const t0 = performance.now();
    await waitFor('ready 200 after the restart', async () => (await ready()).status === 200, 15_000);
    const readyMs = performance.now() - t0;
    const [deal] = seedWonLeads(h.kommo, 'back', 1);
    await expectWonSynced(deal.leadId, deal.email);
    console.info(`Redis restarted: ready after ${Math.round(readyMs)} ms, new Won synced after ${Math.round(performance.now() - t0)} ms`);
  });
});
