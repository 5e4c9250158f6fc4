import { Queue } from 'bullmq';
import { redisConnection } from '../../src/delivery/redis';
import { Harness, json, kommoForm, REDIS_URL, SECRETS, startHarness, statusEntry, waitFor } from '../support/harness';

const AUTH = `Basic ${Buffer.from(`admin:${SECRETS.adminPassword}`).toString('base64')}`;
const PIPELINE = { id: 9001, name: 'Sales', statuses: [{ id: 501, name: 'Qualified' }] };

const forget = (h: Harness, body: unknown, auth = AUTH) =>
  fetch(`${h.url}/admin/gdpr/forget`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
const leadNotes = (h: Harness, leadId: number) => h.kommo.notes('leads', leadId).map((n) => n.text);

const queues: Queue[] = [];
function queueOf(h: Harness, name: string): Queue {
  const queue = new Queue(name, { connection: redisConnection(REDIS_URL), prefix: h.config.queuePrefix });
  queues.push(queue);
  return queue;
}
afterAll(() => Promise.all(queues.map((q) => q.close())));

function seedClient(h: Harness, email: string, status = 501): number {
  const contact = h.kommo.addContact({ name: 'Gina Dorf', first_name: 'Gina', last_name: 'Dorf', emails: [{ value: email, enum_code: 'WORK' }] });
  return h.kommo.addLead({ name: 'Gina deal', price: 900, status_id: status, pipeline_id: PIPELINE.id, contacts: [{ id: contact, is_main: true }] });
}

describe('GDPR forget', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ GDPR_FORGET_DAILY_LIMIT: '2' });
    h.kommo.addPipeline(PIPELINE);
  });
  afterAll(() => h.close());

  it('validates the request: 400 for a bad email or body, 401 without credentials', async () => {
    for (const body of [{ email: 'not-an-email' }, {}, { email: 'a@b.io', extra: 1 }, ['a@b.io']]) {
      const res = await forget(h, body);
      expect(res.status).toBe(400);
      expect((await json(res)).message).toMatch(/email|object|extra/);
    }
    expect((await forget(h, { email: 'a@b.io' }, 'Basic bm86bm8=')).status).toBe(401);
  });

  it('forgets the user in Iterable, notes it on the deal; a later Won does not recreate the profile and is skipped', async () => {
    const email = 'gina@forget.io';
    const leadId = seedClient(h, email);
    // The profile exists before the request, as it would for a customer.
    await fetch(`${h.iterable.baseUrl}/users/update`, {
      method: 'POST',
      headers: { 'api-key': SECRETS.iterableKey, 'content-type': 'application/json' },
      body: JSON.stringify({ email, dataFields: { firstName: 'Gina' } }),
    });
    expect(h.iterable.user(email)).toBeDefined();

    const res = await forget(h, { email: 'Gina@Forget.io' });
    expect(res.status).toBe(202);
    expect(await json(res)).toMatchObject({ jobId: expect.any(String), mode: 'forget', duplicate: false });
    await waitFor('the GDPR note', () => leadNotes(h, leadId).length > 0);
    expect(leadNotes(h, leadId)).toEqual(['Iterable: client data forgotten (GDPR request)']);
    expect(h.iterable.isForgotten(email)).toBe(true);
    expect(h.iterable.user(email)).toBeUndefined();
    expect(h.iterable.calls.filter((c) => c.path === '/api/users/forget').map((c) => c.body)).toEqual([{ email }]);

    h.kommo.updateLead(leadId, { status_id: 142, updated_at: 1790000500 });
    await h.postKommo(kommoForm(statusEntry(0, { id: leadId, status_id: 142, pipeline_id: PIPELINE.id, old_status_id: 501, updated_at: 1790000500 })));
    const won = (await waitFor('the Won job to complete', async () => {
      const job = await queueOf(h, 'kommo-to-iterable').getJob(`lead-${leadId}-501-142-1790000500`);
      return job?.finishedOn ? job : undefined;
    }))!;
    expect(won.failedReason).toBeUndefined();
    expect(won.returnvalue).toEqual({ outcome: 'skipped', reason: expect.stringMatching(/^forgotten user \(GDPR\): .*409/) });
    expect(h.iterable.user(email)).toBeUndefined();
    expect(h.iterable.calls.filter((c) => c.path === '/api/users/update' && (c.body as { email: string }).email === email).map((c) => c.status)).toEqual([200, 409]);
    expect(h.iterable.events('deal_won')).toEqual([]);
    expect(leadNotes(h, leadId)).toEqual(['Iterable: client data forgotten (GDPR request)']);
  });

  it('answers 429 with a clear message once the daily forget allowance is used', async () => {
    expect((await forget(h, { email: 'second@forget.io' })).status).toBe(202);
    const over = await forget(h, { email: 'third@forget.io' });
    expect(over.status).toBe(429);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(23 * 3600);
    expect((await json(over)).message).toMatch(/^GDPR forget quota reached: Iterable accepts 2 users\/forget calls per 24 hours/);
    await waitFor('the second forget', () => h.iterable.isForgotten('second@forget.io'));
    expect(h.iterable.isForgotten('third@forget.io')).toBe(false);
  });
});

describe('GDPR delete mode', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ GDPR_MODE: 'delete', GDPR_FORGET_DAILY_LIMIT: '1' });
    h.kommo.addPipeline(PIPELINE);
  });
  afterAll(() => h.close());

  it('deletes the profile (no daily cap), notes it; an unknown user counts as deleted', async () => {
    const leadId = seedClient(h, 'del@delete.io');
    for (const email of ['del@delete.io', 'ghost@delete.io']) expect((await forget(h, { email })).status).toBe(202);
    await waitFor('the delete note', () => leadNotes(h, leadId).length > 0);
    expect(leadNotes(h, leadId)).toEqual(['Iterable: client data deleted (GDPR request)']);
    await waitFor('both deletes', () => h.iterable.calls.filter((c) => c.method === 'DELETE').length === 2);
    expect(h.iterable.calls.filter((c) => c.method === 'DELETE').map((c) => c.path).sort()).toEqual(['/api/users/del%40delete.io', '/api/users/ghost%40delete.io']);
    expect(h.iterable.calls.filter((c) => c.path === '/api/users/forget')).toEqual([]);
    // Completed jobs are removed (no email kept), so an empty queue with no failures means both succeeded.
    const gdpr = queueOf(h, 'gdpr');
    await waitFor('both GDPR jobs to complete', async () => Object.values(await gdpr.getJobCounts()).every((n) => n === 0));
  });
});
