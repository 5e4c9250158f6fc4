import { ConfigError, loadConfig } from './config';

const base = {
  KOMMO_BASE_URL: 'https://acme.kommo.com',
  KOMMO_ACCESS_TOKEN: 'token',
  KOMMO_WEBHOOK_TOKEN: 'a-webhook-token-of-length',
  ITERABLE_API_KEY: 'key',
  ITERABLE_WEBHOOK_SECRET: 'secret-123',
};

describe('loadConfig', () => {
  it('applies SPEC defaults', () => {
    const c = loadConfig(base);
    expect(c).toMatchObject({ port: 3000, redisUrl: 'redis://127.0.0.1:6379', queuePrefix: 'kis', role: 'all', logLevel: 'info' });
    expect(c.kommo.ratePerSecond).toBe(7);
    expect(c.iterable.baseUrl).toBe('https://api.iterable.com/api');
    expect(c.iterable.limits['users/update']).toBe(500);
    expect(c.jobs).toEqual({ attempts: 12, backoffMs: 5000 });
    expect(c.admin).toBeUndefined();
  });

  it.each([
    ['KOMMO_WEBHOOK_TOKEN', undefined],
    ['ITERABLE_API_KEY', undefined],
    ['ITERABLE_WEBHOOK_SECRET', undefined],
    ['KOMMO_BASE_URL', 'acme.kommo.com'],
    ['PORT', 'eighty'],
    ['ROLE', 'both'],
    ['REDIS_URL', 'http://localhost'],
    ['JOB_ATTEMPTS', '0'],
    ['KOMMO_ACCOUNT_ID', '-4'],
  ])('names %s when it is bad or missing', (name, value) => {
    expect(() => loadConfig({ ...base, [name]: value })).toThrow(new RegExp(`${name}:`));
  });

  it('requires a Kommo token or a full OAuth set, naming what is missing', () => {
    const { KOMMO_ACCESS_TOKEN: _, ...noToken } = base;
    expect(() => loadConfig({ ...noToken, KOMMO_CLIENT_ID: 'id' })).toThrow(/KOMMO_CLIENT_SECRET, KOMMO_REDIRECT_URI, KOMMO_REFRESH_TOKEN/);
    const oauth = loadConfig({
      ...noToken,
      KOMMO_CLIENT_ID: 'id',
      KOMMO_CLIENT_SECRET: 'cs',
      KOMMO_REDIRECT_URI: 'https://example.com/cb',
      KOMMO_REFRESH_TOKEN: 'rt',
    });
    expect(oauth.kommo.oauth).toEqual({ clientId: 'id', clientSecret: 'cs', redirectUri: 'https://example.com/cb', refreshToken: 'rt' });
  });

  it('reports every problem at once, as a ConfigError', () => {
    try {
      loadConfig({ PORT: '0' });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      for (const v of ['PORT', 'KOMMO_BASE_URL', 'KOMMO_WEBHOOK_TOKEN', 'ITERABLE_API_KEY']) expect((err as Error).message).toContain(v);
    }
  });

  it('takes per-endpoint Iterable limits and lists the secrets to keep out of logs', () => {
    const c = loadConfig({ ...base, ITERABLE_RATE_LIMIT_USERS__BULK_UPDATE: '2', ADMIN_USERNAME: 'a', ADMIN_PASSWORD: 'password1' });
    expect(c.iterable.limits['users/bulkUpdate']).toBe(2);
    expect(c.secrets).toEqual(expect.arrayContaining(['token', 'a-webhook-token-of-length', 'key', 'secret-123', 'password1']));
    expect(() => loadConfig({ ...base, ITERABLE_RATE_LIMIT_EVENTS__TRACK: 'fast' })).toThrow(/ITERABLE_RATE_LIMIT_EVENTS__TRACK/);
    expect(() => loadConfig({ ...base, ADMIN_USERNAME: 'a' })).toThrow(/ADMIN_PASSWORD/);
  });
});

describe('loadConfig: reconciliation and GDPR', () => {
  it('defaults: reconcile every 10 minutes, forget mode, 1000 forgets a day', () => {
    const c = loadConfig(base);
    expect(c.reconcile).toEqual({ intervalMs: 600_000 });
    expect(c.gdpr).toEqual({ mode: 'forget', forgetDailyLimit: 1000 });
  });

  it('takes RECONCILE_INTERVAL_MS=0 as off, GDPR_MODE=delete and a lower forget allowance', () => {
    const c = loadConfig({ ...base, RECONCILE_INTERVAL_MS: '0', GDPR_MODE: 'delete', GDPR_FORGET_DAILY_LIMIT: '50' });
    expect(c.reconcile).toEqual({ intervalMs: 0 });
    expect(c.gdpr).toEqual({ mode: 'delete', forgetDailyLimit: 50 });
  });

  it.each([
    ['RECONCILE_INTERVAL_MS', '500', /RECONCILE_INTERVAL_MS: must be 0 \(off\) or at least 1000 ms/],
    ['RECONCILE_INTERVAL_MS', 'often', /RECONCILE_INTERVAL_MS/],
    ['GDPR_MODE', 'erase', /GDPR_MODE: .*forget, delete/],
    ['GDPR_FORGET_DAILY_LIMIT', '5000', /GDPR_FORGET_DAILY_LIMIT/],
  ])('refuses %s=%s, naming it', (name, value, message) => {
    expect(() => loadConfig({ ...base, [name]: value })).toThrow(message);
  });
});
