import { PROCESSORS } from '../../src/sync/processors';
import { Harness, joinHarness, json, kommoForm, SECRETS, startHarness, statusEntry, waitFor } from '../support/harness';

const PIPELINE = { id: 7201, name: 'Sales', statuses: [{ id: 321, name: 'Qualified' }] };
const DEALS = 3;
const basic = `Basic ${Buffer.from(`admin:${SECRETS.adminPassword}`).toString('base64')}`;

/** One Prometheus series' value, or undefined when the scrape lacks it. */
async function series(h: Harness, name: string): Promise<number | undefined> {
  const text = await (await fetch(`${h.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe('roles: an api process stores, a worker process on the same Redis and prefix drains', () => {
  let api: Harness;
  let worker: Harness | undefined;
  const leads: number[] = [];

  beforeAll(async () => {
    api = await startHarness({ ROLE: 'api' });
    api.kommo.addPipeline(PIPELINE);
    for (let i = 0; i < DEALS; i++) {
      const contact = api.kommo.addContact({ name: `C ${i}`, emails: [{ value: `role${i}@acme.io`, enum_code: 'WORK' }] });
      leads.push(api.kommo.addLead({ name: `Deal ${i}`, price: 100, status_id: 142, pipeline_id: PIPELINE.id, contacts: [{ id: contact, is_main: true }] }));
    }
  });
  afterAll(async () => {
    await worker?.close();
    await api.close();
  });

  it('ROLE=api alone stores webhooks and processes nothing', async () => {
    const fields = leads.reduce((all, id, i) => ({ ...all, ...statusEntry(i, { id, status_id: 142, pipeline_id: PIPELINE.id }) }), {});
    const res = await api.postKommo(kommoForm(fields));
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ enqueued: DEALS, duplicate: 0, ignored: 0 });

    const ready = await fetch(`${api.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect((await json(ready)).info.workers).toEqual({ status: 'up', role: 'api', workers: 0 });

    expect(await series(api, 'kis_queue_jobs{queue="kommo-to-iterable",state="waiting"}')).toBe(DEALS);
    expect(await series(api, 'kis_queue_jobs{queue="kommo-to-iterable",state="active"}')).toBe(0);
    expect(await series(api, 'kis_queue_oldest_waiting_age_seconds{queue="kommo-to-iterable"}')).toBeGreaterThan(0);
    expect(api.kommo.calls).toHaveLength(0);
    expect(api.iterable.calls).toHaveLength(0);
    expect(api.logs.join('')).not.toMatch(/"job":"lead\.won"/);
  });

  it('adding a ROLE=worker process drains the queue: every deal synced', async () => {
    worker = await joinHarness(api, { role: 'worker' });
    await waitFor('a Won note on every deal', () => leads.every((id) => api.kommo.notes('leads', id).length === 1));
    expect(leads.map((id) => api.kommo.notes('leads', id).length)).toEqual(leads.map(() => 1));
    expect(api.iterable.users().map((u) => u.email).sort()).toEqual(['role0@acme.io', 'role1@acme.io', 'role2@acme.io']);

    await waitFor('completed jobs counted', async () => (await series(worker!, 'kis_jobs_total{queue="kommo-to-iterable",outcome="completed"}')) === DEALS);
    expect(await series(api, 'kis_queue_jobs{queue="kommo-to-iterable",state="waiting"}')).toBe(0);
    expect(await series(api, 'kis_queue_jobs{queue="kommo-to-iterable",state="completed"}')).toBe(DEALS);
    expect(await series(api, 'kis_queue_oldest_waiting_age_seconds{queue="kommo-to-iterable"}')).toBe(0);
    expect(await series(api, 'kis_jobs_total{queue="kommo-to-iterable",outcome="completed"}')).toBeUndefined();
  });

  it('ROLE=worker serves health and metrics, but no webhook routes and no admin', async () => {
    const w = worker!;
    const ready = await fetch(`${w.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect((await json(ready)).info.workers).toEqual({ status: 'up', running: PROCESSORS.length });

    expect((await w.postKommo(kommoForm(statusEntry(0, { id: leads[0], status_id: 142, pipeline_id: PIPELINE.id })))).status).toBe(404);
    expect((await w.postIterable({ email: 'role0@acme.io', eventName: 'emailUnSubscribe', dataFields: {} })).status).toBe(404);
    for (const path of ['/admin/queues', '/admin/queues/api/queues', '/admin/dead-letter']) {
      expect([path, (await fetch(`${w.url}${path}`, { headers: { authorization: basic } })).status]).toEqual([path, 404]);
    }
    expect((await fetch(`${api.url}/admin/queues`, { headers: { authorization: basic } })).status).toBe(200);
  });
});
