import { HttpService } from '@nestjs/axios';
import axios from 'axios';
import Redis from 'ioredis';
import { KommoSimulator } from '../../test/simulators/kommo.simulator';
import type { AppConfig } from '../config/config';
import { PermanentApiError, TransientApiError } from '../delivery/errors';
import { RateLimiter } from '../delivery/rate-limit';
import { KommoTokenSource } from './kommo-token.source';
import { KommoClient } from './kommo.client';

/** Concurrent jobs share Kommo calls: the client against the simulator over real HTTP, with the real Redis limiter. */

const TOKEN = 'kommo-batching-token';
const runId = `kommo-batching-spec-${process.pid}-${Date.now()}`;
let limiterN = 0;

function configFor(baseUrl: string, ratePerSecond: number): AppConfig {
  return {
    port: 0,
    redisUrl: '',
    queuePrefix: runId,
    role: 'all',
    logLevel: 'silent',
    kommo: { baseUrl, accessToken: TOKEN, webhookToken: 'hook', ratePerSecond },
    iterable: { baseUrl: 'http://127.0.0.1:9', apiKey: 'k', webhookSecret: 's', limits: {} },
    jobs: { attempts: 3, backoffMs: 10 },
    secrets: [TOKEN],
  };
}

const settle = <T>(p: Promise<T>): Promise<T | Error> => p.catch((e: Error) => e);

describe('KommoClient batching across jobs', () => {
  const sim = new KommoSimulator({ token: TOKEN, ratePerSecond: 1000 });
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  let baseUrl: string;
  const build = (ratePerSecond = 200) => {
    const config = configFor(baseUrl, ratePerSecond);
    return new KommoClient(config, new HttpService(axios.create()), new RateLimiter(redis, `${runId}-${limiterN++}`), new KommoTokenSource(config));
  };

  beforeAll(async () => {
    baseUrl = await sim.start();
    sim.addPipeline({ id: 10, name: 'Sales', statuses: [{ id: 1001, name: 'New' }] });
    for (let id = 1; id <= 300; id++) {
      sim.addContact({ id: 10_000 + id, name: `Client ${id}`, emails: [{ value: `c${id}@example.com`, enum_code: 'WORK' }] });
      sim.addCompany({ id: 20_000 + id, name: `Company ${id}` });
      sim.addLead({ id, name: `Deal ${id}`, status_id: 142, pipeline_id: 10, contacts: [{ id: 10_000 + id, is_main: true }], company_id: 20_000 + id });
    }
  });
  afterAll(async () => {
    await sim.stop();
    const keys = await redis.keys(`${runId}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });
  beforeEach(() => {
    sim.reset();
    sim.setLatency(0);
  });

  it('100 concurrent getLead calls share one Kommo call, each caller getting its own lead', async () => {
    const client = build();
    const ids = Array.from({ length: 100 }, (_, i) => i + 1);
    const leads = await Promise.all(ids.map((id) => client.getLead(id)));
    expect(leads.map((l) => l.id)).toEqual(ids);
    expect(leads[41]._embedded?.contacts).toEqual([expect.objectContaining({ id: 10_042, is_main: true })]);
    const calls = sim.callsTo('GET', '/api/v4/leads');
    expect(calls).toHaveLength(1);
    expect(calls[0].query).toMatchObject({ with: 'contacts,loss_reason', limit: '250' });
    expect((calls[0].query.filter as { id: string[] }).id).toHaveLength(100);
  });

  it('contacts and companies batch the same way, and concurrent lookups of one id share a slot', async () => {
    const client = build();
    const ids = Array.from({ length: 60 }, (_, i) => i + 1);
    const [contacts, companies] = await Promise.all([
      Promise.all([...ids, 1, 2].map((id) => client.getContact(10_000 + id))),
      Promise.all(ids.map((id) => client.getCompany(20_000 + id))),
    ]);
    expect(contacts.map((c) => c.id)).toEqual([...ids, 1, 2].map((id) => 10_000 + id));
    expect(companies[59].name).toBe('Company 60');
    expect(sim.callsTo('GET', '/api/v4/contacts')).toHaveLength(1);
    expect(sim.callsTo('GET', '/api/v4/contacts')[0].query).toMatchObject({ with: 'leads' });
    expect((sim.callsTo('GET', '/api/v4/contacts')[0].query.filter as { id: string[] }).id).toHaveLength(60);
    expect(sim.callsTo('GET', '/api/v4/companies')).toHaveLength(1);
  });

  it('a lead missing from the batch (deleted) fails only its own caller, with a 404', async () => {
    const client = build();
    const results = await Promise.all([5, 999_999, 6].map((id) => settle(client.getLead(id))));
    expect(results[0]).toMatchObject({ id: 5 });
    expect(results[2]).toMatchObject({ id: 6 });
    expect(results[1]).toBeInstanceOf(PermanentApiError);
    expect(results[1]).toMatchObject({ status: 404, message: 'Kommo lead 999999 not found' });
    expect(sim.callsTo('GET', '/api/v4/leads')).toHaveLength(1);
    expect(await client.getLeads([7, 999_999])).toEqual([expect.objectContaining({ id: 7 })]);
  });

  it('a failed batch call fails every caller with the typed error', async () => {
    const client = build();
    sim.failNext({ method: 'GET', pathPrefix: '/api/v4/contacts' }, [502]);
    const results = await Promise.all([10_001, 10_002, 10_003].map((id) => settle(client.getContact(id))));
    for (const r of results) expect(r).toMatchObject({ name: 'TransientApiError', status: 502 });
    expect(results[0]).toBeInstanceOf(TransientApiError);
  });

  it("notes of 60 jobs go out in two array POSTs (50 + 10), each job getting its own note's id", async () => {
    const client = build();
    const jobs = Array.from({ length: 60 }, (_, i) => ({ entityId: i + 1, text: `Won note for deal ${i + 1}` }));
    const ids = await Promise.all(jobs.map((n) => client.addNotes('leads', [n])));
    expect(sim.callsTo('POST', '/api/v4/leads/notes').map((c) => (c.body as unknown[]).length)).toEqual([50, 10]);
    const stored = new Map(sim.notes('leads').map((n) => [n.id, n]));
    jobs.forEach((job, i) => {
      expect(ids[i]).toHaveLength(1);
      expect(stored.get(ids[i][0])).toMatchObject({ entity_id: job.entityId, text: job.text });
    });
  });

  it('one bad note in a batch fails alone; the 49 good ones are written with far fewer calls than one each', async () => {
    const client = build();
    const jobs = Array.from({ length: 50 }, (_, i) => ({ entityId: i === 17 ? 424_242 : i + 1, text: `note ${i}` }));
    const results = await Promise.all(jobs.map((n) => settle(client.addNotes('leads', [n]))));
    expect(results[17]).toBeInstanceOf(PermanentApiError);
    expect(results[17]).toMatchObject({ status: 400, message: 'Request validation failed (entity_id: Entity not found)' });
    const written = sim.notes('leads').filter((n) => n.text.startsWith('note '));
    expect(written.map((n) => n.text).sort()).toEqual(jobs.filter((_, i) => i !== 17).map((n) => n.text).sort());
    results.forEach((r, i) => {
      if (i !== 17) expect(written.find((n) => n.id === (r as number[])[0])?.text).toBe(`note ${i}`);
    });
    // 1 failed batch, then halves down to the bad note: 1 + 2·⌈log2 50⌉ at most.
    expect(sim.callsTo('POST', '/api/v4/leads/notes').length).toBeLessThanOrEqual(13);
  });

  it('60 re-runs looking for their notes share two listings, each seeing its own lead\'s notes since its own time', async () => {
    const client = build();
    const now = Math.floor(Date.now() / 1000);
    for (let id = 101; id <= 160; id++) {
      sim.addNote({ entity: 'leads', entityId: id, text: `old ${id}`, createdAt: now - 600 });
      sim.addNote({ entity: 'leads', entityId: id, text: `fresh ${id}`, createdAt: now - 5 });
    }
    // every other job's first attempt was 20 minutes ago: it also sees the old note
    const since = (id: number) => (id % 2 ? now - 60 : now - 1200);
    const found = await Promise.all(Array.from({ length: 60 }, (_, i) => client.notesSince('leads', 101 + i, since(101 + i))));
    found.forEach((notes, i) => {
      const id = 101 + i;
      expect(notes.map((n) => n.params?.text)).toEqual(id % 2 ? [`fresh ${id}`] : [`old ${id}`, `fresh ${id}`]);
    });
    const calls = sim.callsTo('GET', '/api/v4/leads/notes');
    expect(calls).toHaveLength(2);
    expect(calls[0].query).toMatchObject({ filter: { note_type: ['common'], updated_at: { from: String(now - 1200) } }, limit: '250' });
    expect((calls[0].query.filter as { entity_id: string[] }).entity_id).toHaveLength(50);
  });

  it('a lone call when idle goes out at once (within the batching window)', async () => {
    const client = build();
    const started = Date.now();
    await client.getLead(3);
    expect(sim.calls[0].at - started).toBeLessThan(50);
  });

  it('work arriving while a batch is out rides in the next call instead of one call each', async () => {
    sim.setLatency(150);
    const client = build();
    const pending: Promise<unknown>[] = [];
    for (let id = 1; id <= 20; id++) {
      pending.push(client.getLead(id));
      await new Promise((r) => setTimeout(r, 15));
    }
    await Promise.all(pending);
    // The first id leaves alone after the window; the 19 arriving over the next ~300 ms wait for it and share calls.
    expect(sim.callsTo('GET', '/api/v4/leads').length).toBeLessThanOrEqual(3);
  });

  it('at 7 req/s, 300 deals read lead + contact + company and write a note in a handful of calls', async () => {
    sim.setRate(7);
    const client = build(7);
    try {
      const dealIds = Array.from({ length: 300 }, (_, i) => i + 1);
      await Promise.all(
        dealIds.map(async (id) => {
          const lead = await client.getLead(id);
          await client.getContact(lead._embedded!.contacts![0].id);
          await client.getCompany(lead._embedded!.companies![0].id);
          await client.addNotes('leads', [{ entityId: id, text: `synced ${id}` }]);
        }),
      );
      expect(sim.stats.rateLimited).toBe(0);
      expect(sim.stats.maxPerSecond).toBeLessThanOrEqual(7);
      // 2 calls each for leads, contacts and companies (250 + 50), 6 for notes (50 each).
      expect(sim.stats.requests).toBeLessThanOrEqual(14);
    } finally {
      sim.setRate(1000);
    }
  });
});
