import { KommoTokenSource } from '../../src/kommo/kommo-token.source';
import { Harness, joinHarness, json, kommoForm, startHarness, statusEntry, waitFor } from '../support/harness';
import { KommoSimulator } from '../simulators/kommo.simulator';

/** Kommo OAuth 2.0: only a refresh token in the environment; rotated tokens shared through Redis. */

const PIPELINE = { id: 7101, name: 'Sales', statuses: [{ id: 401, name: 'Negotiation' }] };
const CLIENT = { clientId: 'kommo-client-id', clientSecret: 'kommo-client-secret-value' };
const FIRST_REFRESH_TOKEN = 'kommo-refresh-token-from-env';
const OAUTH_ENV = {
  KOMMO_ACCESS_TOKEN: '',
  KOMMO_CLIENT_ID: CLIENT.clientId,
  KOMMO_CLIENT_SECRET: CLIENT.clientSecret,
  KOMMO_REDIRECT_URI: 'https://sync.example.com/oauth/callback',
  KOMMO_REFRESH_TOKEN: FIRST_REFRESH_TOKEN,
};

const refreshTokensSent = (kommo: KommoSimulator) =>
  kommo.callsTo('POST', '/oauth2/access_token').map((c) => (c.body as { refresh_token: string }).refresh_token);
const apiUnauthorized = (kommo: KommoSimulator) => kommo.calls.filter((c) => c.path.startsWith('/api/v4/') && c.status === 401).length;

/** A Won lead with a main contact; resolves once its note is in Kommo (the last step of a synced Won). */
async function syncWon(h: Harness, email: string): Promise<void> {
  const contact = h.kommo.addContact({ name: 'Client', first_name: 'Client', emails: [{ value: email, enum_code: 'WORK' }] });
  const leadId = h.kommo.addLead({ name: 'Deal', price: 100, status_id: 142, pipeline_id: PIPELINE.id, contacts: [{ id: contact, is_main: true }] });
  const res = await h.postKommo(kommoForm(statusEntry(0, { id: leadId, status_id: 142, pipeline_id: PIPELINE.id, updated_at: 1790000000 })));
  expect(res.status).toBe(200);
  await waitFor(`the Won note on lead ${leadId}`, () => h.kommo.notes('leads', leadId).length > 0);
  expect(h.iterable.calls.some((c) => c.path === '/api/users/update' && (c.body as { email?: string }).email === email)).toBe(true);
}

describe('Kommo OAuth', () => {
  /** Takes webhooks only: the worker processes below are the ones that talk to Kommo. */
  let intake: Harness;
  const workers: Harness[] = [];
  const worker = async () => {
    const w = await joinHarness(intake, { role: 'worker' });
    workers.push(w);
    return w;
  };
  const stop = async (w: Harness) => {
    workers.splice(workers.indexOf(w), 1);
    await w.close();
  };
  const running = async () => workers[workers.length - 1] ?? worker();

  beforeAll(async () => {
    const kommo = new KommoSimulator();
    kommo.enableOAuth({ ...CLIENT, refreshToken: FIRST_REFRESH_TOKEN });
    kommo.addPipeline(PIPELINE);
    intake = await startHarness({ ...OAUTH_ENV, ROLE: 'api' }, { kommo });
  });
  afterAll(async () => {
    for (const w of workers) await w.close();
    await intake.close();
  });

  it('starts with only a refresh token; after a restart the rotated token from Redis is used and the first is spent', async () => {
    const first = await worker();
    await syncWon(intake, 'first@acme.io');
    expect(refreshTokensSent(intake.kommo)).toEqual([FIRST_REFRESH_TOKEN]);
    const rotated = intake.kommo.oauthState.refreshToken!;
    expect(JSON.stringify(first.logs)).not.toMatch(/kommo-(at|rt)-[0-9a-f]{24}/);
    const metrics = await (await fetch(`${first.url}/metrics`)).text();
    expect(metrics).toMatch(/kis_api_calls_total\{api="kommo",endpoint="POST \/oauth2\/access_token",status_class="2xx"\} 1$/m);
    await stop(first);

    // A new process, same environment and QUEUE_PREFIX; its stored access token has lapsed meanwhile.
    intake.kommo.expireAccessTokens();
    await worker();
    await syncWon(intake, 'second@acme.io');
    expect(refreshTokensSent(intake.kommo)).toEqual([FIRST_REFRESH_TOKEN, rotated]);

    // Kommo keeps a refresh token valid only until its successor is used: the env value is spent now.
    const reuse = await fetch(`${intake.kommo.baseUrl}/oauth2/access_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret, grant_type: 'refresh_token', refresh_token: FIRST_REFRESH_TOKEN, redirect_uri: OAUTH_ENV.KOMMO_REDIRECT_URI }),
    });
    expect({ status: reuse.status, body: await json(reuse) }).toMatchObject({ status: 400, body: { hint: 'Token has been revoked' } });
  });

  it('an access token rejected mid-run: one 401, exactly one refresh, then synced', async () => {
    await running();
    await syncWon(intake, 'warm-up@acme.io');
    const refreshes = intake.kommo.oauthState.refreshes;
    const unauthorized = apiUnauthorized(intake.kommo);
    intake.kommo.expireAccessTokens();
    await syncWon(intake, 'third@acme.io');
    expect(intake.kommo.oauthState.refreshes - refreshes).toBe(1);
    expect(apiUnauthorized(intake.kommo) - unauthorized).toBe(1);
  });

  it('two processes refreshing at once make one refresh call', async () => {
    const [a, b] = [await running(), await worker()];
    const tokensA = a.app.get(KommoTokenSource);
    const tokensB = b.app.get(KommoTokenSource);
    const current = await tokensA.accessToken();
    expect(await tokensB.accessToken()).toBe(current);
    const refreshes = intake.kommo.oauthState.refreshes;
    intake.kommo.expireAccessTokens();
    expect(await Promise.all([tokensA.onUnauthorized(current), tokensB.onUnauthorized(current)])).toEqual([true, true]);
    expect(intake.kommo.oauthState.refreshes - refreshes).toBe(1);
    expect(await tokensB.accessToken()).toBe(await tokensA.accessToken());
    await syncWon(intake, 'fourth@acme.io');
    expect(intake.kommo.oauthState.refreshes - refreshes).toBe(1);
  });
});

describe('Kommo OAuth with a revoked refresh token', () => {
  let h: Harness;
  beforeAll(async () => {
    const kommo = new KommoSimulator();
    kommo.enableOAuth({ ...CLIENT, refreshToken: 'a-refresh-token-kommo-never-issued' });
    kommo.addPipeline(PIPELINE);
    // A short pause, so closing does not wait out the 30 s production pause of the worker.
    h = await startHarness(OAUTH_ENV, { kommo }, (config) => (config.jobs.authPauseMs = 300));
  });
  afterAll(() => h.close());

  it('pauses Kommo work and turns ready to 503 after one refusal; no process asks again', async () => {
    const contact = h.kommo.addContact({ name: 'C', emails: [{ value: 'c@acme.io', enum_code: 'WORK' }] });
    const leadId = h.kommo.addLead({ name: 'D', status_id: 142, pipeline_id: PIPELINE.id, contacts: [{ id: contact, is_main: true }] });
    await h.postKommo(kommoForm(statusEntry(0, { id: leadId, status_id: 142, pipeline_id: PIPELINE.id })));
    const report = await waitFor('ready to turn 503', async () => {
      const res = await fetch(`${h.url}/health/ready`);
      return res.status === 503 ? json(res) : undefined;
    });
    expect(report.error.apis.paused.kommo).toMatch(/^Kommo refused the .*OAuth refresh.*re-authorize/);
    const other = await joinHarness(h, {});
    await expect(other.app.get(KommoTokenSource).accessToken()).rejects.toMatchObject({ name: 'ApiAuthError' });
    await other.close();
    expect(refreshTokensSent(h.kommo)).toEqual([FIRST_REFRESH_TOKEN]);
    expect(h.kommo.notes('leads', leadId)).toHaveLength(0);
    expect(JSON.stringify(report)).not.toContain(FIRST_REFRESH_TOKEN);
  });
});
