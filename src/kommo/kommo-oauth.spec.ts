import { HttpService } from '@nestjs/axios';
import axios from 'axios';
import Redis from 'ioredis';
import { KommoSimulator } from '../../test/simulators/kommo.simulator';
import { ApiAuthError } from '../delivery/errors';
import { KommoOAuth, OAuthSettings } from './kommo-oauth';

/** Several KommoOAuth instances on one prefix stand for several processes; the simulator rotates like Kommo. */

const CLIENT = { clientId: 'client-1', clientSecret: 'client-secret-1', redirectUri: 'https://sync.example.com/oauth' };
const runId = `kommo-oauth-spec-${process.pid}-${Date.now()}`;

describe('KommoOAuth', () => {
  const sim = new KommoSimulator();
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const http = new HttpService(axios.create());
  let base: string;
  let prefix: string;
  let n = 0;

  const proc = (refreshToken = 'rt-0', settings: Partial<OAuthSettings> = {}) =>
    new KommoOAuth(base, { ...CLIENT, refreshToken, ...settings }, http, async () => redis, prefix);
  const tokenCalls = () => sim.callsTo('POST', '/oauth2/access_token');
  const stored = async () => JSON.parse((await redis.get(`${prefix}:kommo-oauth`)) ?? 'null');

  beforeAll(async () => {
    base = await sim.start();
  });
  beforeEach(() => {
    prefix = `${runId}-${++n}`;
    sim.enableOAuth({ ...CLIENT, refreshToken: 'rt-0' });
    sim.reset();
  });
  afterAll(async () => {
    await sim.stop();
    const keys = await redis.keys(`${runId}-*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('refreshes once, stores both tokens, and other processes reuse them', async () => {
    const first = await proc().accessToken();
    expect(tokenCalls()).toHaveLength(1);
    expect(await proc().accessToken()).toBe(first);
    expect(tokenCalls()).toHaveLength(1);
    const record = await stored();
    expect(record).toMatchObject({ accessToken: first, refreshToken: sim.oauthState.refreshToken });
    expect(record.expiresAt).toBeGreaterThan(Date.now() + 23 * 3600_000);
    expect(tokenCalls()[0].body).toEqual({ client_id: 'client-1', client_secret: 'client-secret-1', grant_type: 'refresh_token', refresh_token: 'rt-0', redirect_uri: CLIENT.redirectUri });
  });

  it('many callers in two processes at once: one refresh call', async () => {
    const a = proc();
    const b = proc();
    const tokens = await Promise.all([a, b, a, b, b].map((p) => p.accessToken()));
    expect(new Set(tokens).size).toBe(1);
    expect(tokenCalls()).toHaveLength(1);
  });

  it('refreshes ahead of expiry with the stored (rotated) refresh token', async () => {
    const old = await proc().accessToken();
    const rotated = sim.oauthState.refreshToken;
    await redis.set(`${prefix}:kommo-oauth`, JSON.stringify({ ...(await stored()), expiresAt: Date.now() + 4 * 60_000 }));
    const fresh = await proc().accessToken();
    expect(fresh).not.toBe(old);
    expect(tokenCalls().map((c) => (c.body as { refresh_token: string }).refresh_token)).toEqual(['rt-0', rotated]);
  });

  it('a 401 refreshes only while the failed token is still the current one', async () => {
    const a = proc();
    const b = proc();
    const failed = await a.accessToken();
    sim.expireAccessTokens();
    expect(await Promise.all([a.onUnauthorized(failed), b.onUnauthorized(failed)])).toEqual([true, true]);
    expect(tokenCalls()).toHaveLength(2); // the first obtain, then one refresh for both processes
    const current = await a.accessToken();
    expect(await b.accessToken()).toBe(current);
    expect(await proc().onUnauthorized(failed)).toBe(true);
    expect(tokenCalls()).toHaveLength(2);
  });

  it('a refused refresh token: ApiAuthError naming no token, and no process sends it again', async () => {
    sim.enableOAuth({ ...CLIENT, refreshToken: 'rt-other' });
    const err = await proc().accessToken().catch((e: Error) => e);
    expect(err).toBeInstanceOf(ApiAuthError);
    expect((err as Error).message).toMatch(/Kommo refused the OAuth refresh \(Token has been revoked\); re-authorize/);
    expect((err as Error).message).not.toMatch(/rt-0|client-secret/);
    await expect(proc().accessToken()).rejects.toBeInstanceOf(ApiAuthError);
    expect(tokenCalls()).toHaveLength(1);
    // Re-authorizing and setting a new KOMMO_REFRESH_TOKEN starts a new chain.
    await expect(proc('rt-other').accessToken()).resolves.toMatch(/^kommo-at-/);
    expect(tokenCalls()).toHaveLength(2);
  });

  it('a Kommo outage on the token endpoint is transient, not a credential problem', async () => {
    sim.failNext({ pathPrefix: '/oauth2/' }, [503]);
    await expect(proc().accessToken()).rejects.toMatchObject({ name: 'TransientApiError', status: 503 });
    await expect(proc().accessToken()).resolves.toMatch(/^kommo-at-/);
  });
});
