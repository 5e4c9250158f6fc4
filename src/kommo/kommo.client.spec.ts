import { createServer } from 'node:net';
import { HttpService } from '@nestjs/axios';
import axios from 'axios';
import Redis from 'ioredis';
import { KommoSimulator } from '../../test/simulators/kommo.simulator';
import type { AppConfig } from '../config/config';
import { ApiAuthError, PermanentApiError, RateLimitedError, TransientApiError } from '../delivery/errors';
import { RateLimiter } from '../delivery/rate-limit';
import { mainContactId } from './kommo-fields';
import { KommoTokenSource } from './kommo-token.source';
import { KommoClient } from './kommo.client';

/** The client against the Kommo simulator over real HTTP, with the real Redis-backed limiter. */

const TOKEN = 'kommo-secret-token-7f3a';
const runId = `kommo-client-spec-${process.pid}-${Date.now()}`;
let limiterN = 0;

function configFor(baseUrl: string): AppConfig {
  return {
    port: 0,
    redisUrl: '',
    queuePrefix: runId,
    role: 'all',
    logLevel: 'silent',
    // High enough that pacing never slows the suite; the simulator still sees one request per call.
    kommo: { baseUrl, accessToken: TOKEN, webhookToken: 'hook', ratePerSecond: 200 },
    iterable: { baseUrl: 'http://127.0.0.1:9', apiKey: 'k', webhookSecret: 's', limits: {} },
    jobs: { attempts: 3, backoffMs: 10 },
    secrets: [TOKEN],
  };
}

class SwitchingTokenSource extends KommoTokenSource {
  token = TOKEN;
  next?: string;
  unauthorized = 0;
  override async accessToken() {
    return this.token;
  }
  override async onUnauthorized() {
    this.unauthorized++;
    if (!this.next) return false;
    this.token = this.next;
    return true;
  }
}

async function failure(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: Error) => e,
  );
}

describe('KommoClient', () => {
  const sim = new KommoSimulator({ token: TOKEN, ratePerSecond: 1000, retryAfterSeconds: 2 });
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  let config: AppConfig;
  let limiter: RateLimiter;
  let tokens: SwitchingTokenSource;
  let client: KommoClient;
  const build = (cfg = config, lim = limiter) => new KommoClient(cfg, new HttpService(axios.create()), lim, tokens);
  const unreachable = async () => build(configFor(`http://127.0.0.1:${await closedPort()}`), new RateLimiter(redis, `${runId}-x`));

  beforeAll(async () => {
    config = configFor(await sim.start());
    sim.addPipeline({ id: 10, name: 'Sales', statuses: [{ id: 1001, name: 'New' }, { id: 1002, name: 'Negotiation' }] });
    sim.addLossReason({ id: 7, name: 'Too expensive' });
    const anna = sim.addContact({ id: 21, name: 'Anna', emails: [{ value: 'anna@example.com', enum_code: 'WORK' }] });
    sim.addContact({ id: 22, name: 'Anna (old)', emails: [{ value: 'ANNA@Example.com ', enum_code: 'PRIV' }] });
    sim.addContact({ id: 23, name: 'Other Anna', emails: [{ value: 'anna@other.org', enum_code: 'WORK' }] });
    const company = sim.addCompany({ id: 31, name: 'Acme' });
    const contacts = [{ id: 22, is_main: false }, { id: anna, is_main: true }];
    sim.addLead({ id: 500, name: 'Lost deal', status_id: 143, pipeline_id: 10, loss_reason_id: 7, company_id: company, contacts });
    for (let id = 1; id <= 300; id++) sim.addLead({ id, name: `Deal ${id}`, status_id: 1001, pipeline_id: 10 });
  });
  afterAll(async () => {
    await sim.stop();
    await redis.quit();
  });
  beforeEach(() => {
    sim.reset();
    sim.setToken(TOKEN);
    limiter = new RateLimiter(redis, `${runId}-${limiterN++}`);
    tokens = new SwitchingTokenSource(config);
    client = build();
  });

  it('reads a lead with its contacts, loss reason and stage names', async () => {
    const lead = await client.getLead(500);
    expect(mainContactId(lead)).toBe(21);
    expect(await client.lossReasonName(lead)).toBe('Too expensive');
    expect(await client.lossReasonName({ ...lead, _embedded: {} })).toBe('Too expensive');
    expect(await client.stageName(10, 143)).toEqual({ pipelineName: 'Sales', stageName: 'Closed - lost' });
    expect(await client.stageName(10, 1002)).toEqual({ pipelineName: 'Sales', stageName: 'Negotiation' });
    expect((await client.getCompany(31)).name).toBe('Acme');
    expect(sim.callsTo('GET', '/api/v4/leads/pipelines')).toHaveLength(1);
  });

  it('reloads pipelines once for an unknown stage, not on every lookup', async () => {
    expect(await client.stageName(10, 4242)).toEqual({ pipelineName: 'Sales', stageName: undefined });
    expect(await client.stageName(10, 4242)).toEqual({ pipelineName: 'Sales', stageName: undefined });
    expect(sim.callsTo('GET', '/api/v4/leads/pipelines')).toHaveLength(2);
  });

  it('turns 204 No Content into empty lists', async () => {
    expect(await client.getLeads([99999])).toEqual([]);
    expect(await client.findContactsByEmail('nobody@nowhere.io')).toEqual([]);
    expect(sim.calls.map((c) => c.status)).toEqual([204, 204]);
  });

  it("keeps only exact (case-insensitive) EMAIL matches from Kommo's fuzzy search", async () => {
    const contacts = await client.findContactsByEmail(' Anna@Example.com ');
    expect(contacts.map((c) => c.id).sort()).toEqual([21, 22]);
    expect(contacts.find((c) => c.id === 21)?._embedded?.leads).toEqual([expect.objectContaining({ id: 500 })]);
    expect(sim.calls[0].query).toMatchObject({ query: 'Anna@Example.com', with: 'leads', limit: '250' });
  });

  it('reads 300 leads in two calls of at most 250 ids', async () => {
    const ids = Array.from({ length: 300 }, (_, i) => i + 1);
    const leads = await client.getLeads([...ids, 1, 2]);
    expect(leads.map((l) => l.id).sort((a, b) => a - b)).toEqual(ids);
    const calls = sim.callsTo('GET', '/api/v4/leads');
    expect(calls.map((c) => (c.query.filter as { id: string[] }).id.length)).toEqual([250, 50]);
  });

  it('pages leads filtered by status in every pipeline', async () => {
    const page = await client.listLeads({ statusIds: [1001], limit: 100 });
    expect([page.leads.length, page.hasNext]).toEqual([100, true]);
    const last = await client.listLeads({ statusIds: [1001], limit: 100, page: 3 });
    expect([last.leads.length, last.hasNext]).toEqual([100, false]);
    expect((await client.listLeads({ statusIds: [143] })).leads.map((l) => l.id)).toEqual([500]);
  });

  it('adds notes in calls of 50 and returns their ids in order', async () => {
    const notes = Array.from({ length: 120 }, (_, i) => ({ entityId: (i % 3) + 1, text: `note ${i}` }));
    const ids = await client.addNotes('leads', notes);
    expect(sim.callsTo('POST', '/api/v4/leads/notes').map((c) => (c.body as unknown[]).length)).toEqual([50, 50, 20]);
    const stored = sim.notes('leads');
    expect(ids).toEqual(stored.slice(-120).map((n) => n.id));
    expect(stored.slice(-120).map((n) => n.params.text)).toEqual(notes.map((n) => n.text));
  });

  it('adds contact tags without replacing the existing ones', async () => {
    await client.addContactTags(23, ['vip']);
    await client.addContactTags(23, ['iterable-unsubscribed', 'vip']);
    expect(sim.contactTags(23)).toEqual(['vip', 'iterable-unsubscribed']);
  });

  it("maps a 400 problem+json to PermanentApiError with Kommo's own words", async () => {
    const err = await failure(client.addNotes('leads', [{ entityId: 424242, text: 'hello' }]));
    expect(err).toBeInstanceOf(PermanentApiError);
    expect(err).toMatchObject({ status: 400, code: 'NotFound' });
    expect(err.message).toBe('Request validation failed (entity_id: Entity not found)');
  });

  it('maps 500 to TransientApiError and 429 to RateLimitedError, slowing every process down', async () => {
    const pushBack = jest.spyOn(limiter, 'pushBack');
    sim.failNext({ method: 'GET', pathPrefix: '/api/v4/leads' }, [500, 429]);
    expect(await failure(client.getLead(500))).toMatchObject({ name: 'TransientApiError', status: 500 });
    const limited = await failure(client.getLead(500));
    expect(limited).toBeInstanceOf(RateLimitedError);
    expect(limited).toMatchObject({ retryAfterMs: 2000, endpoint: 'GET /leads' });
    expect(pushBack).toHaveBeenCalledWith('kommo', 2000);
  });

  it("maps nginx's HTML 403 and a 401 to ApiAuthError", async () => {
    sim.failNext({ pathPrefix: '/api/v4/contacts' }, [403]);
    expect(await failure(client.getContact(21))).toMatchObject({ name: 'ApiAuthError', status: 403, message: '403 Forbidden' });
    sim.setToken('revoked-and-replaced');
    const err = await failure(client.getContact(21));
    expect(err).toBeInstanceOf(ApiAuthError);
    expect(err).toMatchObject({ status: 401, message: 'Invalid user name or password' });
    expect(tokens.unauthorized).toBe(1);
  });

  it('retries a 401 once when the token source has a fresh token', async () => {
    sim.setToken('fresh-token');
    tokens.next = 'fresh-token';
    expect((await client.getContact(21)).id).toBe(21);
    expect(sim.calls.map((c) => c.status)).toEqual([401, 200]);
  });

  it('rejects invalid ids before calling Kommo, and maps network errors to TransientApiError', async () => {
    for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 60]) {
      expect(await failure(client.getLead(bad))).toMatchObject({ name: 'PermanentApiError', status: 400 });
    }
    expect(await failure(client.getLeads([1, -2]))).toBeInstanceOf(PermanentApiError);
    expect(sim.calls).toHaveLength(0);
    const err = await failure((await unreachable()).getLead(1));
    expect(err).toBeInstanceOf(TransientApiError);
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('never puts the token into an error', async () => {
    const errors: Error[] = [];
    // 429 last: its push-back would hold the next call for retry_after.
    for (const status of [400, 401, 403, 404, 500, 429]) {
      sim.failNext({}, [status]);
      errors.push(await failure(client.getLead(500)));
    }
    errors.push(await failure((await unreachable()).getLead(1)));
    for (const e of errors) {
      expect(`${e.message} ${JSON.stringify(e)} ${e.stack}`).not.toContain(TOKEN);
    }
  });
});

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
