import { Queue } from 'bullmq';
import { redisConnection } from '../../src/delivery/redis';
import { QUEUES } from '../../src/sync/jobs';
import { Harness, joinHarness, json, kommoForm, REDIS_URL, startHarness, statusEntry } from '../support/harness';

const LEADS = [9101, 9102, 9103, 9104, 9105];
const AT = 1790002000;

/** ROLE=api: jobs stay waiting, so what the webhooks stored can be counted. */
describe('ingest: one transaction per delivery stores, counts duplicates and records lead statuses', () => {
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

  it('12 copies of a 5-lead delivery at once, split over two processes: 5 enqueued, 55 duplicates, 5 jobs', async () => {
    const body = delivery(LEADS, 142, 301);
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? b : a).postKommo(body)));
    expect(answers.map((r) => r.status)).toEqual(answers.map(() => 200));
    const bodies = await Promise.all(answers.map((r) => json(r)));
    const sum = (k: 'enqueued' | 'duplicate') => bodies.reduce((n, x) => n + x[k], 0);
    expect({ enqueued: sum('enqueued'), duplicate: sum('duplicate') }).toEqual({ enqueued: 5, duplicate: 55 });
    expect(await queue.getWaitingCount()).toBe(5);
    expect(await Promise.all(LEADS.map(recorded))).toEqual(LEADS.map(() => `142:${AT}`));
    // copies inside one delivery count as duplicates too
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
