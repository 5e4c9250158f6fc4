import { PassThrough } from 'node:stream';
import { runBackfillCli } from '../../src/cli/backfill';
import { Harness, joinHarness, json, SECRETS, startHarness, waitFor } from '../support/harness';

const AUTH = `Basic ${Buffer.from(`admin:${SECRETS.adminPassword}`).toString('base64')}`;
const PIPELINES = [
  { id: 8001, name: 'Sales', statuses: [{ id: 401, name: 'New' }] },
  { id: 8002, name: 'Renewals', statuses: [{ id: 402, name: 'Open' }] },
];
/** Closed a day ago and after: in the past whatever the machine's clock says. */
const BASE = Math.floor(Date.now() / 1000) - 86_400;

function seed(h: Harness, won: number, opts: { badIndex?: number; extras?: boolean } = {}): { emails: string[]; bad?: string } {
  PIPELINES.forEach((p) => h.kommo.addPipeline(p));
  const emails: string[] = [];
  for (let i = 0; i < won; i++) {
    const email = `won${i}@backfill.io`;
    const contact = h.kommo.addContact({ name: `First${i} Last${i}`, first_name: `First${i}`, last_name: `Last${i}`, emails: [{ value: email, enum_code: 'WORK' }] });
    // A price Kommo would never send, standing in for any profile whose field type Iterable already fixed otherwise.
    const price = i === opts.badIndex ? ('n/a' as unknown as number) : 1000 + i;
    h.kommo.addLead({ name: `Deal ${i}`, price, status_id: 142, pipeline_id: PIPELINES[i % 2].id, contacts: [{ id: contact, is_main: true }], closed_at: BASE + i, updated_at: BASE + i });
    emails.push(email);
  }
  if (opts.extras) {
    const other = h.kommo.addContact({ name: 'Not won', emails: [{ value: 'open@backfill.io', enum_code: 'WORK' }] });
    for (const status of [401, 143]) h.kommo.addLead({ name: 'Open deal', status_id: status, pipeline_id: 8001, contacts: [{ id: other, is_main: true }] });
    const noEmail = h.kommo.addContact({ name: 'No Email' });
    for (const i of [0, 1]) h.kommo.addLead({ name: 'No email deal', status_id: 142, pipeline_id: 8002, contacts: [{ id: noEmail, is_main: true }], closed_at: BASE + 900 + i, updated_at: BASE + 900 + i });
  }
  return { emails, bad: opts.badIndex === undefined ? undefined : emails[opts.badIndex] };
}

const post = (h: Harness, body: unknown, auth = AUTH) =>
  fetch(`${h.url}/admin/backfill`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
const status = async (h: Harness, id: string) => json(await fetch(`${h.url}/admin/backfill/${id}`, { headers: { authorization: AUTH } }));
const finished = (h: Harness, id: string) => waitFor(`backfill ${id} to finish`, async () => {
  const s = await status(h, id);
  return s.state === 'completed' || s.state === 'failed' ? s : undefined;
}, 40_000);
const leadPages = (h: Harness) => h.kommo.callsTo('GET', '/api/v4/leads').filter((c) => c.path === '/api/v4/leads' && (c.query.filter as { statuses?: unknown })?.statuses).map((c) => Number(c.query.page));

describe('backfill', () => {
  let h: Harness;
  let seeded: ReturnType<typeof seed>;
  beforeAll(async () => {
    h = await startHarness();
    seeded = seed(h, 600, { badIndex: 300, extras: true });
  });
  afterAll(() => h.close());

  it('refuses bad input with 400 and strangers with 401', async () => {
    for (const body of [{ since: 'yesterday' }, { since: '2999-01-01' }, { from: '2025-01-01' }, '[1]', '"x"']) {
      const res = await post(h, body);
      expect(res.status).toBe(400);
      expect((await json(res)).message).toMatch(/since|from|object/);
    }
    expect((await post(h, {}, 'Basic bm9wZTpub3Bl')).status).toBe(401);
    expect((await fetch(`${h.url}/admin/backfill/nope`, { headers: { authorization: AUTH } })).status).toBe(404);
  });

  it('pushes 600 Won deals with bulkUpdate, dead-letters the one profile Iterable refuses, and refuses a second run meanwhile', async () => {
    const started = await post(h, {});
    expect(started.status).toBe(202);
    const { backfillId } = await json(started);
    const again = await post(h, {});
    expect(again.status).toBe(409);
    expect(await json(again)).toMatchObject({ backfillId });

    const done = await finished(h, backfillId);
    expect(done).toMatchObject({ state: 'completed', page: 4, stats: { pages: 3, leads: 602, users: 599, failed: 1, skipped: 2 } });

    const customers = h.iterable.users().filter((u) => u.dataFields.isCustomer === true);
    expect(customers).toHaveLength(599);
    expect(h.iterable.user(seeded.bad!)).toBeUndefined();
    expect(h.iterable.user('open@backfill.io')).toBeUndefined();
    expect(h.iterable.user('won7@backfill.io')!.dataFields).toEqual({
      email: 'won7@backfill.io',
      firstName: 'First7',
      lastName: 'Last7',
      crmDealId: expect.stringMatching(/^\d+$/),
      dealValue: 1007,
      wonAt: new Date((BASE + 7) * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' +00:00'),
      isCustomer: true,
    });

    const deadLetters = async () => json(await fetch(`${h.url}/admin/dead-letter?queue=backfill`, { headers: { authorization: AUTH } }));
    const { items } = await deadLetters();
    expect(items.map((d: { name: string; entityIds: unknown }) => [d.name, d.entityIds])).toEqual([['backfill.user-failed', { leadId: expect.any(Number), email: seeded.bad }]]);
    expect(items[0].lastError).toMatch(/RequestFieldsTypesMismatched.*dealValue/);

    // Kommo: per page one list and one contacts call (pipelines are cached); never over 7/s.
    expect(leadPages(h)).toEqual([1, 2, 3]);
    expect(h.kommo.callsTo('GET', '/api/v4/contacts')).toHaveLength(3);
    expect(h.kommo.stats.rateLimited).toBe(0);
    expect(h.kommo.stats.maxPerSecond).toBeLessThanOrEqual(7);
    // Iterable: one call per page, plus the halving that isolated the bad profile (2 per level, 250 → 1).
    const bulk = h.iterable.calls.filter((c) => c.path === '/api/users/bulkUpdate');
    expect(bulk.length).toBeLessThanOrEqual(3 + 2 * 8);
    expect(Math.max(...bulk.map((c) => (c.body as { users: unknown[] }).users.length))).toBeLessThanOrEqual(250);
    expect(h.iterable.stats()['users/bulkUpdate']).toMatchObject({ rateLimited: 0 });
    expect(h.iterable.stats()['users/bulkUpdate'].maxInWindow).toBeLessThanOrEqual(5);
  });

  it('a dead letter replayed after the data is fixed in Kommo syncs that deal', async () => {
    const [dead] = (await json(await fetch(`${h.url}/admin/dead-letter?queue=backfill`, { headers: { authorization: AUTH } }))).items;
    h.kommo.updateLead(dead.entityIds.leadId, { price: 1300, closed_at: BASE + 300, updated_at: BASE + 300 });
    const replay = await fetch(`${h.url}/admin/dead-letter/replay`, { method: 'POST', headers: { authorization: AUTH, 'content-type': 'application/json' }, body: JSON.stringify({ queue: 'backfill' }) });
    expect(await json(replay)).toMatchObject({ replayed: 1 });
    await waitFor('the re-synced profile', () => h.iterable.user(seeded.bad!));
    expect(h.iterable.user(seeded.bad!)!.dataFields).toMatchObject({ dealValue: 1300, isCustomer: true, crmDealId: String(dead.entityIds.leadId) });
  });

  it('npm run backfill: starts one with --since and follows it to the end', async () => {
    const lines: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(`ERR ${l}`) };
    const env = { ADMIN_USERNAME: 'admin', ADMIN_PASSWORD: SECRETS.adminPassword };
    const since = new Date((BASE + 500) * 1000).toISOString();
    const code = await runBackfillCli(['--url', h.url, '--since', since], env, io, { stream: new PassThrough(), pollMs: 50 });
    expect(lines.join('\n')).toMatch(/started[\s\S]*: 102 won deals in 1 pages, 100 profiles pushed, 0 failed, 2 skipped/);
    expect(code).toBe(0);
    expect(await runBackfillCli(['--url', h.url, '--since', 'soon'], env, io)).toBe(2);
  });
});

describe('backfill across a restart', () => {
  let api: Harness;
  beforeAll(async () => {
    api = await startHarness({ ROLE: 'api' });
    seed(api, 1000);
    // Slow enough that the first worker is still mid-way when it is stopped.
    api.kommo.setLatency(150);
  });
  afterAll(() => api.close());

  it('a worker that shuts down mid-way parks the run; the next worker resumes at its checkpoint, reading no page twice', async () => {
    const first = await joinHarness(api, { role: 'worker' });
    const { backfillId } = await json(await post(api, {}));
    await waitFor('the first page pushed', async () => (await status(api, backfillId)).page >= 2);
    await first.close();
    const parked = await status(api, backfillId);
    // Parked, not failed or stalled: back in the queue with its checkpoint, no attempt spent.
    expect(parked).toMatchObject({ state: expect.stringMatching(/^(delayed|waiting)$/) });
    expect(parked.page).toBeGreaterThanOrEqual(2);
    expect(parked.page).toBeLessThanOrEqual(4);

    const second = await joinHarness(api, { role: 'worker' });
    try {
      const done = await finished(api, backfillId);
      expect(done).toMatchObject({ state: 'completed', stats: { pages: 4, leads: 1000, users: 1000, failed: 0 } });
      expect(leadPages(api)).toEqual([1, 2, 3, 4]);
      expect(h2Users(api)).toBe(1000);
    } finally {
      await second.close();
    }
  });
});

const h2Users = (h: Harness) => h.iterable.users().filter((u) => u.dataFields.isCustomer === true).length;
