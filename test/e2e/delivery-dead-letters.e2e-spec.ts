import { accepted, admin, adminAuth, change, deadLetters, leadNotes, prepare, queueOf, seedLead } from '../support/delivery-fixtures';
import { Harness, json, kommoForm, SECRETS, startHarness, waitFor } from '../support/harness';
import { QUEUES } from '../../src/sync/jobs';

describe('delivery: a permanent error is a dead letter at once, listed and replayable', () => {
  let h: Harness;
  let leadId: number;
  const email = 'rejected@acme.io';
  beforeAll(async () => {
    h = await startHarness({ JOB_ATTEMPTS: '5' });
    prepare(h);
  });
  afterAll(() => h.close());

  it('400 from users/update: failed after ONE attempt, with Iterable\'s message', async () => {
    h.iterable.failNext({ path: 'users/update' }, [400]);
    leadId = seedLead(h, email);
    await h.postKommo(kommoForm(change(0, leadId, 1790003000)));
    const job = (await waitFor('the dead letter', async () => (await deadLetters(h))[0]))!;
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toContain('Invalid parameters (injected)');
    expect(job.failedReason).toMatch(/^iterable 400 BadParams: users\/update 400/);
    expect(h.iterable.calls.filter((c) => c.path === '/api/users/update')).toHaveLength(1);
    expect(leadNotes(h, leadId)).toEqual([]);
  });

  it('GET /admin/dead-letter lists it: queue, job name, entity ids, last error, attempts, time', async () => {
    const res = await admin(h, '/admin/dead-letter');
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body).toEqual({
      total: 1,
      items: [
        {
          queue: QUEUES.kommoToIterable,
          jobId: expect.stringMatching(new RegExp(`^lead-${leadId}-`)),
          name: 'lead.won',
          entityIds: { leadId },
          lastError: expect.stringContaining('Invalid parameters (injected)'),
          attempts: 1,
          failedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        },
      ],
    });
    expect(Date.now() - Date.parse(body.items[0].failedAt)).toBeLessThan(60_000);
    for (const secret of Object.values(SECRETS)) expect(JSON.stringify(body)).not.toContain(secret);
  });

  it('filters by queue, job name and time window, and bounds the list', async () => {
    // A second dead letter, in the other queue: Kommo refuses the note for an Iterable unsubscribe.
    h.kommo.addContact({ name: 'Una', emails: [{ value: 'una@acme.io', enum_code: 'WORK' }] });
    h.kommo.failNext({ method: 'POST', pathPrefix: '/api/v4/contacts/notes' }, [400]);
    await h.postIterable({ email: 'una@acme.io', eventName: 'emailUnSubscribe', dataFields: { createdAt: '2026-01-01 10:00:00 +00:00' } });
    await waitFor('two dead letters', async () => (await deadLetters(h)).length === 2);

    const list = async (qs: string) => json(await admin(h, `/admin/dead-letter${qs}`));
    const names = (body: { items: { name: string }[] }) => body.items.map((i) => i.name);
    expect(names(await list(''))).toEqual(['iterable.email-unsubscribed', 'lead.won']);
    expect(await list(`?queue=${QUEUES.iterableToKommo}`)).toMatchObject({ total: 1, items: [{ entityIds: { email: 'una@acme.io' } }] });
    expect(names(await list('?name=lead.won'))).toEqual(['lead.won']);
    expect(await list(`?since=${new Date(Date.now() + 60_000).toISOString()}`)).toEqual({ total: 0, items: [] });
    expect(await list('?until=2020-01-01T00:00:00Z')).toEqual({ total: 0, items: [] });
    expect(await list('?limit=1')).toMatchObject({ total: 2, items: [{ name: 'iterable.email-unsubscribed' }] });
  });

  it('refuses bad filters with 400 and everything without credentials with 401', async () => {
    for (const qs of ['?limit=0', '?limit=1001', '?limit=abc', '?queue=nope', '?since=yesterday', '?colour=red']) {
      expect([qs, (await admin(h, `/admin/dead-letter${qs}`)).status]).toEqual([qs, 400]);
    }
    const replay = (body: unknown) => admin(h, '/admin/dead-letter/replay', { method: 'POST', body });
    for (const body of [[], '"all"', 5, { limit: '5' }, { limit: -1 }, { queue: 7 }, { naem: 'lead.won' }, { since: '2026-02-30' }, '{bad json']) {
      expect([body, (await replay(body)).status]).toEqual([body, 400]);
    }
    expect((await fetch(`${h.url}/admin/dead-letter`)).status).toBe(401);
    expect((await admin(h, '/admin/dead-letter/replay', { method: 'POST', body: {}, auth: adminAuth('wrong') })).status).toBe(401);
    expect(await deadLetters(h)).toHaveLength(2);
  });

  it('replay by job name after the fix: the Won job runs again and syncs; the other dead letter stays', async () => {
    const res = await admin(h, '/admin/dead-letter/replay', { method: 'POST', body: { name: 'lead.won', limit: 10 } });
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ replayed: 1, skipped: 0, remaining: 0 });

    await waitFor('the Won note after replay', () => leadNotes(h, leadId).length > 0);
    expect(leadNotes(h, leadId)).toEqual(['Iterable: user updated (plan: none)']);
    expect(accepted(h, 'users/update').filter((b) => b.email === email)).toHaveLength(1);
    const done = (await waitFor('completed', async () => (await queueOf(h).getCompleted()).find((j) => j.data.leadId === leadId)))!;
    expect(done.returnvalue).toMatchObject({ outcome: 'synced' });
    expect(done.attemptsMade).toBe(1);
    expect((await deadLetters(h)).map((j) => j.name)).toEqual(['iterable.email-unsubscribed']);
  });

  it('exists only where admin is configured and the role serves HTTP', async () => {
    const envs: Record<string, string>[] = [{ ADMIN_USERNAME: '', ADMIN_PASSWORD: '' }, { ROLE: 'worker' }];
    for (const env of envs) {
      const other = await startHarness(env);
      try {
        // Closing an app whose BullMQ job schedulers are still connecting ends in an unhandled 'error' (reported).
        await waitFor('the other app to be ready', async () => (await fetch(`${other.url}/health/ready`)).status === 200);
        expect([env, (await admin(other, '/admin/dead-letter')).status]).toEqual([env, 404]);
      } finally {
        await other.close();
      }
    }
  });

  it('replay is bounded by limit and reports what is left', async () => {
    const res = await admin(h, '/admin/dead-letter/replay', { method: 'POST', body: { limit: 1, queue: QUEUES.kommoToIterable } });
    expect(await json(res)).toEqual({ replayed: 0, skipped: 0, remaining: 0 });
    const all = await admin(h, '/admin/dead-letter/replay', { method: 'POST', body: { since: '2020-01-01T00:00:00Z', limit: 1 } });
    expect(await json(all)).toEqual({ replayed: 1, skipped: 0, remaining: 0 });
    await waitFor('the unsubscribe note after replay', () => h.kommo.notes('contacts').length === 1);
    expect(h.kommo.notes('contacts')[0].text).toBe('Iterable: client unsubscribed from email mailing');
  });
});
