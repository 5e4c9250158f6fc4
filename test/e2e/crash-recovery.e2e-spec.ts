import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { redisOptionsFromUrl } from '../../src/delivery/redis';
import { QUEUES } from '../../src/sync/jobs';
import { IterableSimulator } from '../simulators/iterable.simulator';
import { KommoSimulator } from '../simulators/kommo.simulator';
import { json, REDIS_URL, SECRETS, waitFor } from '../support/harness';
import { deletePrefix, serviceEnv, ServiceProcess, startServiceProcess } from '../support/process-harness';
import { leakedSecrets } from '../support/secret-scan';
import { noteTally, seedWonLeads, WON_NOTE, wonDelivery } from '../support/won-deals';

const DEALS = 100;

/** The service as an OS process, killed with SIGKILL mid-work: every deal still lands, each with one note. */
describe('crash: kill -9 with deals in flight', () => {
  const kommo = new KommoSimulator({ token: SECRETS.kommoToken, ratePerSecond: 1000 });
  const iterable = new IterableSimulator({ apiKey: SECRETS.iterableKey });
  const prefix = `kis-crash-${randomBytes(4).toString('hex')}`;
  const redis = new Redis(REDIS_URL);
  const queue = new Queue(QUEUES.kommoToIterable, { connection: redisOptionsFromUrl(REDIS_URL), prefix });
  const children: ServiceProcess[] = [];
  let env: Record<string, string>;

  beforeAll(async () => {
    const [kommoUrl, iterableUrl] = [await kommo.start(), await iterable.start()];
    // The limit is not under test here: a fast Kommo keeps the run short; Iterable's latency keeps jobs in flight.
    env = { ...serviceEnv({ kommoUrl, iterableUrl, prefix }), KOMMO_RATE_LIMIT_PER_SECOND: '1000', LOG_LEVEL: 'debug' };
    iterable.setLatency(200);
  });
  afterAll(async () => {
    for (const c of children) await c.stop();
    await queue.close();
    await deletePrefix(redis, prefix);
    redis.disconnect();
    await kommo.stop();
    await iterable.stop();
  });

  async function start(): Promise<ServiceProcess> {
    const child = await startServiceProcess(env);
    children.push(child);
    return child;
  }

  it(`${DEALS} Won deals, SIGKILL while jobs are active, a new process: all ${DEALS} synced`, async () => {
    const deals = seedWonLeads(kommo, 'crash', DEALS);
    const ids = deals.map((d) => d.leadId);
    // Slow Kommo answers, so the kill can catch a note POST that Kommo carries out after the process is gone.
    kommo.setLatency(300);
    const first = await start();
    const res = await fetch(`${first.url}/webhooks/kommo/${SECRETS.webhookToken}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: wonDelivery(ids),
    });
    expect(await json(res)).toEqual({ enqueued: DEALS, duplicate: 0, ignored: 0 });

    const inFlight = await waitFor('a POST of 10+ notes in flight', () =>
      kommo.callsTo('POST', '/api/v4/leads/notes').find((c) => c.status === 0 && Array.isArray(c.body) && c.body.length >= 10),
    );
    first.signal('SIGKILL');
    const killedAt = performance.now();
    expect((await first.exited).signal).toBe('SIGKILL');
    kommo.setLatency(0);
    // Kommo carries out a request whose client has gone: those notes exist, but the dead process never recorded them.
    const landing = (inFlight!.body as { entity_id: number }[]).map((n) => n.entity_id);
    await waitFor('the notes of the POST in flight at the kill', () => noteTally(kommo, landing).leadsWithNote === landing.length);
    const notesAtKill = noteTally(kommo, ids).leadsWithNote;
    const orphaned = await queue.getActiveCount();
    expect(notesAtKill).toBeLessThan(DEALS);
    // jobs the dead process held: still "active" in Redis, locked by nobody
    expect(orphaned).toBeGreaterThan(0);

    const second = await start();
    const restartedAt = performance.now();
    await waitFor(`all ${DEALS} deals synced`, () => noteTally(kommo, ids).leadsWithNote === DEALS, 45_000);
    const syncedAt = performance.now();
    await waitFor('every job completed', async () => (await queue.getJobCounts('completed')).completed === DEALS, 10_000);
    expect(await queue.getJobCounts('active', 'wait', 'delayed', 'failed')).toEqual({ active: 0, wait: 0, delayed: 0, failed: 0 });

    expect(new Set(kommo.notes('leads').filter((n) => ids.includes(n.entity_id)).map((n) => n.text))).toEqual(new Set([WON_NOTE]));
    for (const d of deals) expect(iterable.user(d.email)?.dataFields).toMatchObject({ isCustomer: true, crmDealId: String(d.leadId) });
    // A note whose call was in flight at the kill is found at Kommo by the re-run (pending step), not written again.
    const { duplicates } = noteTally(kommo, ids);
    expect(duplicates).toBe(0);
    const lookups = kommo.callsTo('GET', '/api/v4/leads/notes').length;
    expect(lookups).toBeGreaterThan(0);
    expect(leakedSecrets(first.output + second.output)).toEqual([]);
    console.info(
      `crash: killed with ${orphaned} active jobs (${notesAtKill}/${DEALS} notes once the POST in flight landed); second process ready ` +
        `${Math.round(restartedAt - killedAt)} ms after the kill; all ${DEALS} synced ` +
        `${Math.round(syncedAt - restartedAt)} ms after it was ready (${Math.round(syncedAt - killedAt)} ms after the kill); ` +
        `${landing.length} notes landed after the kill, duplicate notes: ${duplicates}; note lookups by re-runs: ${lookups} GET /leads/notes`,
    );
  });
});
