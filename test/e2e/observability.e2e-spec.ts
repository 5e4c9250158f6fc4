import { QUEUE_SCRAPE_TIMEOUT_MS } from '../../src/metrics/queue-metrics';
import { Harness, kommoForm, SECRETS, startHarness, statusEntry, waitFor } from '../support/harness';
import { RedisServer } from '../support/redis-server';

const PIPELINE = { id: 7101, name: 'Sales', statuses: [{ id: 311, name: 'Qualified' }] };

/** Prometheus text → `name{labels}` → value, for exact assertions on one series. */
async function scrape(h: Harness): Promise<Map<string, number>> {
  const res = await fetch(`${h.url}/metrics`);
  expect(res.status).toBe(200);
  const series = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    const m = /^(\w+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m) series.set(m[1], Number(m[2]));
  }
  return series;
}

/** Scrapes until `series` reaches `value`; returns that scrape. */
async function scrapeUntil(h: Harness, series: string, value: number): Promise<Map<string, number>> {
  let last = new Map<string, number>();
  await waitFor(`${series} = ${value}`, async () => (last = await scrape(h)).get(series) === value);
  return last;
}

describe('metrics and logs of a synced Won', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    h.kommo.addPipeline(PIPELINE);
  });
  afterAll(() => h.close());

  function seedWon(email: string): number {
    const contact = h.kommo.addContact({ name: 'Ana Lima', first_name: 'Ana', last_name: 'Lima', emails: [{ value: email, enum_code: 'WORK' }] });
    return h.kommo.addLead({ name: 'Deal', price: 900, status_id: 142, pipeline_id: PIPELINE.id, contacts: [{ id: contact, is_main: true }], updated_at: 1790000000 });
  }
  const postWon = (leadId: number, requestId: string) =>
    fetch(`${h.url}/webhooks/kommo/${SECRETS.webhookToken}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-amocrm-requestid': requestId },
      body: kommoForm(statusEntry(0, { id: leadId, status_id: 142, pipeline_id: PIPELINE.id, updated_at: 1790000000 })),
    });
  const notesOn = (leadId: number) => h.kommo.notes('leads', leadId).length;

  it('jobs, API calls by endpoint and status class, rate-limit waits, queue depth and job duration move', async () => {
    const leadId = seedWon('ana.lima@acme.io');
    expect((await postWon(leadId, 'kommo-req-1')).status).toBe(200);
    await waitFor('the Won note', () => notesOn(leadId) === 1);

    const m = await scrapeUntil(h, 'kis_jobs_total{queue="kommo-to-iterable",outcome="completed"}', 1);
    expect(m.get('kis_webhooks_total{source="kommo",outcome="enqueued"}')).toBe(1);
    expect(m.get('kis_api_calls_total{api="iterable",endpoint="users/update",status_class="2xx"}')).toBe(1);
    expect(m.get('kis_api_calls_total{api="iterable",endpoint="events/track",status_class="2xx"}')).toBe(1);
    const kommoCalls = [...m].filter(([k]) => k.startsWith('kis_api_calls_total{api="kommo"'));
    expect(kommoCalls.length).toBeGreaterThan(0);
    expect(kommoCalls.every(([k]) => k.includes('status_class="2xx"') && !/\d{3,}/.test(k.replace(/status_class="\dxx"/, '')))).toBe(true);
    const kommoApiRequests = h.kommo.calls.filter((c) => c.path.startsWith('/api/v4/')).length;
    expect(kommoCalls.reduce((n, [, v]) => n + v, 0)).toBe(kommoApiRequests);
    expect(m.get('kis_rate_limit_wait_seconds_count{limit="kommo"}')).toBe(kommoApiRequests);
    expect(m.get('kis_job_duration_seconds_count{queue="kommo-to-iterable",name="lead.won"}')).toBe(1);
    expect(m.get('kis_queue_jobs{queue="kommo-to-iterable",state="completed"}')).toBe(1);
    expect(m.get('kis_queue_jobs{queue="kommo-to-iterable",state="waiting"}')).toBe(0);
    expect(m.get('kis_queue_oldest_waiting_age_seconds{queue="kommo-to-iterable"}')).toBe(0);
    expect(m.has('process_resident_memory_bytes')).toBe(true);
  });

  it('a 429 delays the job without failing it, a 500 retries it, a 400 fails it; each is counted', async () => {
    h.iterable.failNext({ path: 'users/update' }, [429, 500]);
    const retried = seedWon('bo@acme.io');
    await postWon(retried, 'kommo-req-2');
    await waitFor('the Won note after a 429 and a 500', () => notesOn(retried) === 1);

    h.iterable.failNext({ path: 'users/update' }, [400]);
    const failed = seedWon('cy@acme.io');
    await postWon(failed, 'kommo-req-3');
    const m = await scrapeUntil(h, 'kis_jobs_total{queue="kommo-to-iterable",outcome="failed"}', 1);
    expect(m.get('kis_jobs_total{queue="kommo-to-iterable",outcome="delayed"}')).toBe(1);
    expect(m.get('kis_jobs_total{queue="kommo-to-iterable",outcome="retried"}')).toBe(1);
    expect(m.get('kis_jobs_total{queue="kommo-to-iterable",outcome="completed"}')).toBe(2);
    expect(m.get('kis_api_rate_limited_total{api="iterable",endpoint="users/update"}')).toBe(1);
    expect(m.get('kis_api_calls_total{api="iterable",endpoint="users/update",status_class="4xx"}')).toBe(2);
    expect(m.get('kis_api_calls_total{api="iterable",endpoint="users/update",status_class="5xx"}')).toBe(1);
    expect(m.get('kis_queue_jobs{queue="kommo-to-iterable",state="failed"}')).toBe(1);
    // Won 1, then 429 + 500 + success, then the 400
    expect(m.get('kis_job_duration_seconds_count{queue="kommo-to-iterable",name="lead.won"}')).toBe(5);
  });

  it('job lines carry the webhook request id, job id and attempt; emails are masked at info level', async () => {
    const lines = h.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    const won = lines.find((l) => l.requestId === 'kommo-req-1' && l.job === 'lead.won');
    expect(won).toMatchObject({ level: 30, jobId: expect.any(String), attempt: 1, outcome: 'synced', queue: 'kommo-to-iterable' });
    expect(won!.detail).toMatch(/for a\*\*\*@acme\.io$/);
    const attempts = lines.filter((l) => l.requestId === 'kommo-req-2' && l.job === 'lead.won').map((l) => l.attempt);
    expect(attempts).toEqual([1, 1, 2]);

    const contact = h.kommo.addContact({ name: 'Di', emails: [{ value: 'di@acme.io', enum_code: 'WORK' }] });
    expect(contact).toBeGreaterThan(0);
    expect((await h.postIterable({ email: 'di@acme.io', eventName: 'emailUnSubscribe', dataFields: {} })).status).toBe(200);
    await waitFor('the unsubscribe note', () => h.kommo.notes('contacts', contact).length === 1);
    const all = () => h.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    const stored = all().find((l) => l.msg === 'iterable webhook stored');
    const job = await waitFor('the job line', () => all().find((l) => l.job === 'iterable.email-unsubscribed' && l.jobId));
    expect(stored?.requestId).toEqual(expect.any(String));
    expect(job).toMatchObject({ requestId: stored!.requestId, jobId: expect.any(String), attempt: 1 });

    const text = h.logs.join('');
    for (const email of ['ana.lima@acme.io', 'bo@acme.io', 'cy@acme.io', 'di@acme.io']) expect(text).not.toContain(email);
    expect(text).toContain('b***@acme.io');
  });
});

describe('metrics with Redis hanging or down', () => {
  let redis: RedisServer;
  let h: Harness;
  beforeAll(async () => {
    redis = await RedisServer.start();
    h = await startHarness({ REDIS_URL: redis.url });
  });
  afterAll(async () => {
    await h?.close();
    await redis?.kill();
  });

  async function timedScrape(): Promise<[Map<string, number>, number]> {
    const t0 = performance.now();
    const m = await scrape(h);
    return [m, performance.now() - t0];
  }
  const hasQueueGauges = (m: Map<string, number>) => [...m.keys()].some((k) => k.startsWith('kis_queue_jobs{'));

  it('/metrics answers within the scrape timeout, leaving out only the queue gauges', async () => {
    expect(hasQueueGauges(await scrape(h))).toBe(true);

    const admin = redis.client();
    try {
      await admin.call('CLIENT', 'PAUSE', '2000', 'ALL');
      const [hung, ms] = await timedScrape();
      expect(ms).toBeLessThan(QUEUE_SCRAPE_TIMEOUT_MS + 400);
      expect(hasQueueGauges(hung)).toBe(false);
      expect(hung.has('process_resident_memory_bytes')).toBe(true);
    } finally {
      admin.disconnect();
    }

    await redis.kill();
    const [down, ms] = await timedScrape();
    expect(ms).toBeLessThan(QUEUE_SCRAPE_TIMEOUT_MS + 400);
    expect(hasQueueGauges(down)).toBe(false);
    expect(down.has('kis_webhooks_total{source="kommo",outcome="enqueued"}') || down.has('process_cpu_seconds_total')).toBe(true);

    await redis.restart();
    await waitFor('queue gauges back', async () => hasQueueGauges(await scrape(h)));
  });
});
