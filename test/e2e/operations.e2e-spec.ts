import { Harness, json, SECRETS, startHarness } from '../support/harness';

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

describe('operations endpoints', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('live and ready answer 200 with named checks', async () => {
    expect((await fetch(`${h.url}/health/live`)).status).toBe(200);
    const ready = await fetch(`${h.url}/health/ready`);
    expect(ready.status).toBe(200);
    const report = await json(ready);
    expect(Object.keys(report.info)).toEqual(expect.arrayContaining(['redis', 'workers', 'apis', 'lifecycle']));
  });

  it('Bull Board sits behind Basic auth', async () => {
    const none = await fetch(`${h.url}/admin/queues`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect((await fetch(`${h.url}/admin/queues`, { headers: { authorization: basic('admin', 'nope') } })).status).toBe(401);
    const page = await fetch(`${h.url}/admin/queues`, { headers: { authorization: basic('admin', SECRETS.adminPassword) } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/html/);
    const api = await fetch(`${h.url}/admin/queues/api/queues`, { headers: { authorization: basic('admin', SECRETS.adminPassword) } });
    const names = (await json(api)).queues.map((q: { name: string }) => q.name);
    expect(names).toEqual(expect.arrayContaining(['kommo-to-iterable', 'iterable-to-kommo']));
  });

  it('metrics count webhooks by source and outcome', async () => {
    await h.postIterable({ email: 'm@x.io', eventName: 'emailOpen', dataFields: {} });
    const text = await (await fetch(`${h.url}/metrics`)).text();
    expect(text).toMatch(/kis_webhooks_total\{source="iterable",outcome="ignored"\} 1/);
    expect(text).toMatch(/process_resident_memory_bytes/);
  });
});
