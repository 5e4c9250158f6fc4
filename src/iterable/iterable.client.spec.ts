import { HttpService } from '@nestjs/axios';
import axios, { type AxiosAdapter } from 'axios';
import Redis from 'ioredis';
import { IterableSimulator } from '../../test/simulators/iterable.simulator';
import type { AppConfig } from '../config/config';
import { ApiAuthError, PermanentApiError, RateLimitedError, TransientApiError } from '../delivery/errors';
import { RateLimiter } from '../delivery/rate-limit';
import { IterableClient } from './iterable.client';

const KEY = 'sim-key-5f1c0ffee';
const PREFIX = `test-iterable-client-${process.pid}-${Date.now()}`;
const sim = new IterableSimulator({ apiKey: KEY });
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const limiter = new RateLimiter(redis, PREFIX);
let config: AppConfig;

function configFor(baseUrl: string, apiKey = KEY, limits: Record<string, number> = {}): AppConfig {
  return {
    iterable: { baseUrl, apiKey, webhookSecret: 'w', limits },
    secrets: [apiKey],
  } as unknown as AppConfig;
}
const client = (c: Partial<AppConfig> = {}, http = new HttpService(axios.create())) => new IterableClient({ ...config, ...c }, http, limiter);
const reject = <T>(p: Promise<T>) => p.then(() => Promise.reject(new Error('expected a rejection')), (e: unknown) => e);
/** Answers every request with a canned response, for what the simulator never sends (Retry-After, odd 2xx). */
const canned = (status: number, data: string, headers: Record<string, string> = {}): HttpService =>
  new HttpService(axios.create({ adapter: (async (cfg) => ({ status, statusText: '', headers, data, config: cfg })) as AxiosAdapter }));

beforeAll(async () => {
  config = configFor(await sim.start());
});
afterAll(async () => {
  await sim.stop();
  const keys = await redis.keys(`${PREFIX}:*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});
beforeEach(() => sim.reset());

it('sends the Api-Key header and resolves with the API response on 2xx', async () => {
  const res = await client().updateUser({ email: 'a@example.com', dataFields: { plan: 'growth' } });
  expect(res.code).toBe('Success');
  expect(sim.user('a@example.com')?.dataFields.plan).toBe('growth');
  expect(await client().getFields()).toMatchObject({ plan: 'string' });
});

it('decides by HTTP status: a 400 whose code is "Success" is a PermanentApiError with the API message', async () => {
  const err = await reject(client().subscribeToList({ listId: 999, subscribers: [{ email: 'a@example.com' }] }));
  expect(err).toBeInstanceOf(PermanentApiError);
  expect(err).toMatchObject({ status: 400, code: 'Success' });
  expect((err as Error).message).toContain('error.lists.invalidListId(999)');
});

it('turns a plain-text 429 into RateLimitedError and pushes the endpoint back for everyone', async () => {
  sim.failNext({ path: 'users/update' }, [429]);
  const err = await reject(client().updateUser({ email: 'a@example.com', dataFields: {} }));
  expect(err).toBeInstanceOf(RateLimitedError);
  expect(err).toMatchObject({ api: 'iterable', endpoint: 'users/update', retryAfterMs: undefined });
  const [s] = await redis.time();
  expect(Number(await redis.get(`${PREFIX}:ratelimit:iterable:users/update`))).toBeGreaterThan(Number(s) * 1000 + 500);
});

it('honours a Retry-After header when one is present', async () => {
  const err = await reject(client({}, canned(429, '', { 'retry-after': '3' })).trackEvent({ email: 'a@example.com', eventName: 'e', id: 'x', createdAt: 1, dataFields: {} }));
  expect(err).toMatchObject({ endpoint: 'events/track', retryAfterMs: 3000 });
});

it('treats 5xx and network failures as transient', async () => {
  sim.failNext({ path: 'events/track' }, [500, 503]);
  const ev = { email: 'a@example.com', eventName: 'e', id: 'x', createdAt: 1, dataFields: {} };
  const e500 = await reject(client().trackEvent(ev));
  expect(e500).toBeInstanceOf(TransientApiError);
  expect(e500).toMatchObject({ status: 500 });
  expect(await reject(client().trackEvent(ev))).toMatchObject({ status: 503, message: expect.stringContaining('Service Temporarily Unavailable') });
  const down = await reject(client({ iterable: { ...config.iterable, baseUrl: 'http://127.0.0.1:1/api' } }).trackEvent(ev));
  expect(down).toBeInstanceOf(TransientApiError);
  expect(down).toMatchObject({ status: undefined });
});

it('turns 401 into ApiAuthError without the key in the message', async () => {
  const wrongKey = 'wrong-key-aa9d41';
  const err = await reject(client({ iterable: { ...config.iterable, apiKey: wrongKey } }).updateUser({ email: 'a@example.com', dataFields: {} }));
  expect(err).toBeInstanceOf(ApiAuthError);
  expect((err as Error).message).toContain('Invalid API key');
  expect((err as Error).message).not.toContain(wrongKey);
  const echoed = await reject(client({}, canned(403, `{"msg":"key ${KEY} revoked","code":"Forbidden"}`)).forgetUser('a@example.com'));
  expect((echoed as Error).message).not.toContain(KEY);
});

it('turns 409 on a forgotten user into PermanentApiError with status and code', async () => {
  await client().forgetUser('a@example.com');
  const err = await reject(client().updateUser({ email: 'a@example.com', dataFields: { plan: 'x' } }));
  expect(err).toBeInstanceOf(PermanentApiError);
  expect(err).toMatchObject({ status: 409, code: 'ForgottenUserError' });
});

it('URL-encodes the email when deleting', async () => {
  await client().updateUser({ email: 'a+b/c@example.com', dataFields: {} });
  await client().deleteUser('a+b/c@example.com');
  expect(sim.calls.at(-1)).toMatchObject({ method: 'DELETE', path: '/api/users/a%2Bb%2Fc%40example.com', status: 200 });
  expect(sim.users()).toEqual([]);
});

it('retries (rather than trusts) a bulk 2xx it cannot read, but never a single write that took effect', async () => {
  await expect(client({}, canned(200, '<html>ok</html>')).bulkUpdateUsers([])).rejects.toBeInstanceOf(TransientApiError);
  await expect(client({}, canned(200, '')).triggerWorkflow({ workflowId: 1, email: 'a@example.com' })).resolves.toMatchObject({ code: 'Success' });
});

it('paces an endpoint by its configured limit through the shared limiter', async () => {
  sim.setLimit('users/bulkUpdate', 4);
  const paced = client({ iterable: { ...config.iterable, limits: { 'users/bulkUpdate': 4 } } });
  const users = [{ email: 'a@example.com', dataFields: {} }];
  await Promise.all(Array.from({ length: 6 }, () => paced.bulkUpdateUsers(users)));
  expect(sim.stats()['users/bulkUpdate']).toMatchObject({ count: 6, rateLimited: 0 });
  expect(sim.stats()['users/bulkUpdate'].maxInWindow).toBeLessThanOrEqual(4);
});
