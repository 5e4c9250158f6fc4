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

/** main.ts's bound; docker-compose.yml's stop_grace_period (40 s) sits above it. */
const DRAIN_BOUND_MS = 25_000;
const IN_FLIGHT = 4;

/** The service as an OS process, stopped the way Docker and Kubernetes stop it: SIGTERM, then wait. */
describe('SIGTERM drain', () => {
  const kommo = new KommoSimulator({ token: SECRETS.kommoToken });
  const iterable = new IterableSimulator({ apiKey: SECRETS.iterableKey });
  const prefix = `kis-drain-${randomBytes(4).toString('hex')}`;
  const redis = new Redis(REDIS_URL);
  const queue = new Queue(QUEUES.kommoToIterable, { connection: redisOptionsFromUrl(REDIS_URL), prefix });
  let child: ServiceProcess | undefined;

  beforeAll(async () => {
    const [kommoUrl, iterableUrl] = [await kommo.start(), await iterable.start()];
    child = await startServiceProcess({ ...serviceEnv({ kommoUrl, iterableUrl, prefix }), LOG_LEVEL: 'debug' });
  });
  afterAll(async () => {
    await child?.stop();
    await queue.close();
    await deletePrefix(redis, prefix);
    redis.disconnect();
    await kommo.stop();
    await iterable.stop();
  });

  const postKommo = (url: string, body: string) =>
    fetch(`${url}/webhooks/kommo/${SECRETS.webhookToken}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });

  it('ready turns 503, no new job is taken, active jobs finish, exit 0 within the bound', async () => {
    const proc = child!;
    // each Won job makes two Iterable calls before its note: ~3 s of work in flight per job
    iterable.setLatency(1500);
    const deals = seedWonLeads(kommo, 'drain', IN_FLIGHT);
    const ids = deals.map((d) => d.leadId);
    expect(await json(await postKommo(proc.url, wonDelivery(ids)))).toEqual({ enqueued: IN_FLIGHT, duplicate: 0, ignored: 0 });
    await waitFor('every job active', async () => (await queue.getActiveCount()) === IN_FLIGHT);
    expect(noteTally(kommo, ids).leadsWithNote).toBe(0);

    proc.signal('SIGTERM');
    const t0 = performance.now();
    const notReady = await waitFor('ready 503', async () => {
      const res = await fetch(`${proc.url}/health/ready`);
      return res.status === 503 ? res : undefined;
    });
    const readyFlipMs = performance.now() - t0;
    expect((await json(notReady!)).error.lifecycle).toEqual({ status: 'down', message: 'shutting down' });

    // A webhook still routed here during the drain is stored for the next process, not taken by this one.
    const [late] = seedWonLeads(kommo, 'drain-late', 1);
    const lateRes = await postKommo(proc.url, wonDelivery([late.leadId], 1790000500));
    expect(await json(lateRes)).toEqual({ enqueued: 1, duplicate: 0, ignored: 0 });

    const exit = await proc.exited;
    const drainMs = exit.at - t0;
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(drainMs).toBeLessThan(DRAIN_BOUND_MS);

    expect(noteTally(kommo, ids)).toEqual({ leadsWithNote: IN_FLIGHT, duplicates: 0 });
    expect(new Set(kommo.notes('leads').filter((n) => ids.includes(n.entity_id)).map((n) => n.text))).toEqual(new Set([WON_NOTE]));
    expect(await queue.getJobCounts('active', 'completed', 'wait', 'failed')).toEqual({ active: 0, completed: IN_FLIGHT, wait: 1, failed: 0 });
    expect(iterable.user(late.email)).toBeUndefined();
    expect(proc.output).toMatch(/worker drained in \d+ ms/);
    expect(leakedSecrets(proc.output)).toEqual([]);
    console.info(`drain: ready 503 after ${Math.round(readyFlipMs)} ms, ${IN_FLIGHT} in-flight jobs finished and exit 0 after ${Math.round(drainMs)} ms (bound ${DRAIN_BOUND_MS} ms)`);
  });
});
