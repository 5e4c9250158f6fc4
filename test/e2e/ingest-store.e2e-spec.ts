import { Queue } from 'bullmq';
import { redisConnection } from '../../src/delivery/redis';
import { QUEUES } from '../../src/sync/jobs';
import { Harness, joinHarness, json, kommoForm, REDIS_URL, startHarness, statusEntry } from '../support/harness';

const LEADS = [9101, 9102, 9103, 9104, 9105];
const AT = 1790002000;

/** ROLE=api: jobs stay waiting, so what the webhooks stored can be counted. */
describe('ingest: concurrent copies are stored once, counted once, and record lead statuses once', () => {
  let a: Harness;
  let b: Harness;
  let queue: Queue;
  beforeAll(async () => {
    a = await startHarness({ ROLE: 'api' });
    b = await joinHarness(a, { role: 'api' });
    queue = new Queue(QUEUES.kommoToIterable, { connection: redisConnection(REDIS_URL), prefix: a.config.queuePrefix });
  });
  afterAll(async () => {
    await queue.close();
    await b.close();
    await a.close();
  });

  const delivery = (leads: number[], statusId: number, oldStatusId: number, at = AT) =>
    kommoForm(leads.reduce((f, id, i) => ({ ...f, ...statusEntry(i, { id, status_id: statusId, pipeline_id: 1, old_status_id: oldStatusId, updated_at: at }) }), {}));
  const recorded = async (leadId: number) => a.redis.hget(`${a.config.queuePrefix}:lead-status`, String(leadId));

  // 5 leads go straight on the connection, 12 through a pipeline (JobProducer's DIRECT_MAX_JOBS)
  it.each([
    ['5-lead', LEADS],
    ['12-lead', Array.from({ length: 12 }, (_, i) => 9200 + i)],
  ])('12 copies of a %s delivery at once, over two processes: each lead enqueued once', async (_size, leads) => {
    const waiting = await queue.getWaitingCount();
    const body = delivery(leads, 142, 301);
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? b : a).postKommo(body)));
    expect(answers.map((r) => r.status)).toEqual(answers.map(() => 200));
    const bodies = await Promise.all(answers.map((r) => json(r)));
    const sum = (k: 'enqueued' | 'duplicate') => bodies.reduce((n, x) => n + x[k], 0);
    expect({ enqueued: sum('enqueued'), duplicate: sum('duplicate') }).toEqual({ enqueued: leads.length, duplicate: 11 * leads.length });
    expect((await queue.getWaitingCount()) - waiting).toBe(leads.length);
    expect(await Promise.all(leads.map(recorded))).toEqual(leads.map(() => `142:${AT}`));
  });

  it('copies inside one delivery count as duplicates', async () => {
    expect(await json(await a.postKommo(delivery([9106, 9106], 142, 301)))).toEqual({ enqueued: 1, duplicate: 1, ignored: 0 });
  });

  it('a late copy of a change is a duplicate and does not overwrite a later change of the same second', async () => {
    const [lead] = LEADS;
    // the lead moved on within the same second: Won, then back to a stage
    expect(await json(await a.postKommo(delivery([lead], 555, 142)))).toMatchObject({ enqueued: 1, duplicate: 0 });
    expect(await recorded(lead)).toBe(`555:${AT}`);
    expect(await json(await b.postKommo(delivery([lead], 142, 301)))).toMatchObject({ enqueued: 0, duplicate: 1 });
    expect(await recorded(lead)).toBe(`555:${AT}`);
  });
});
