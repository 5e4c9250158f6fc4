import { KommoSimulator } from './kommo.simulator';

/** The simulator must hold clients to the same behaviour as Kommo, or the client specs prove nothing. */
describe('KommoSimulator', () => {
  const sim = new KommoSimulator({ ratePerSecond: 100 });
  let base = '';
  const auth = { authorization: 'Bearer kommo-test-token' };
  const get = (path: string, headers: Record<string, string> = auth) => fetch(`${base}/api/v4${path}`, { headers });
  const json = (res: Response): Promise<any> => res.json();

  beforeAll(async () => {
    base = await sim.start();
    sim.addPipeline({ id: 10, name: 'Sales', statuses: [{ id: 1001, name: 'New' }] });
    const anna = sim.addContact({ name: 'Anna', emails: [{ value: 'anna@example.com', enum_code: 'WORK' }] });
    sim.addContact({ name: 'Anna B', emails: [{ value: 'Anna@other.org', enum_code: 'PRIV' }] });
    sim.addContact({ name: 'Bob', phones: [{ value: '+15550001', enum_code: 'WORK' }] });
    sim.addLead({ id: 500, name: 'Deal', status_id: 1001, pipeline_id: 10, contacts: [{ id: anna, is_main: true }] });
  });
  afterAll(() => sim.stop());
  beforeEach(() => {
    sim.reset();
    sim.setRate(100);
    sim.setToken('kommo-test-token');
  });

  it('answers 204 with an empty body when a list has no results', async () => {
    const res = await get('/leads?filter[id][]=999');
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    const found = await get('/leads?filter[id][0]=500&with=contacts');
    expect((await json(found))._embedded.leads[0]._embedded.contacts[0]).toMatchObject({ is_main: true });
  });

  it('searches contacts fuzzily: the same local part on another domain matches too', async () => {
    const res = await get('/contacts?query=anna%40example.com&with=leads');
    const names = (await json(res))._embedded.contacts.map((c: { name: string }) => c.name);
    expect(names.sort()).toEqual(['Anna', 'Anna B']);
    const bob = await json(await get('/contacts?query=5550001'));
    expect(bob._embedded.contacts[0].custom_fields_values[0]).toMatchObject({ field_code: 'PHONE', field_type: 'multitext' });
  });

  it('answers 429 problem+json with retry_after past the per-second rate, and counts it', async () => {
    sim.setRate(2);
    const responses = await Promise.all([1, 2, 3].map(() => get('/leads/500')));
    const limited = responses.find((r) => r.status === 429)!;
    expect(limited.headers.get('content-type')).toContain('application/problem+json');
    expect(await json(limited)).toMatchObject({ status: 429, title: 'Too Many Requests', retry_after: 1 });
    expect(sim.stats).toEqual({ requests: 3, rateLimited: 1, maxPerSecond: 3 });
  });

  it('requires the Bearer token, and stops accepting a revoked one', async () => {
    const anonymous = await get('/leads/500', {});
    expect(anonymous.status).toBe(401);
    expect(await json(anonymous)).toMatchObject({ title: 'Unauthorized', detail: 'Invalid user name or password' });
    sim.setToken('rotated');
    expect((await get('/leads/500')).status).toBe(401);
    expect((await get('/leads/500', { authorization: 'Bearer rotated' })).status).toBe(200);
  });

  it('rotates OAuth refresh tokens and keeps the old one until the new one is used', async () => {
    sim.enableOAuth({ clientId: 'c', clientSecret: 's', refreshToken: 'r0' });
    const refresh = (token: string) =>
      fetch(`${base}/oauth2/access_token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client_id: 'c', client_secret: 's', grant_type: 'refresh_token', refresh_token: token }),
      });
    const first = await json(await refresh('r0'));
    expect((await get('/leads/500', { authorization: `Bearer ${first.access_token}` })).status).toBe(200);
    expect((await refresh('r0')).status).toBe(200);
    const latest = sim.oauthState.refreshToken!;
    expect((await refresh(latest)).status).toBe(200);
    expect((await refresh('r0')).status).toBe(400);
  });

  it('validates note batches and injects faults in order', async () => {
    const headers = { ...auth, 'content-type': 'application/json' };
    const post = (body: unknown) => fetch(`${base}/api/v4/leads/notes`, { method: 'POST', headers, body: JSON.stringify(body) });
    const bad = await post([{ entity_id: 999, note_type: 'common', params: { text: 'x' } }]);
    expect((await json(bad))['validation-errors'][0].errors[0]).toMatchObject({ path: 'entity_id' });
    const ok = await json(await post([{ entity_id: 500, note_type: 'common', params: { text: 'hello' } }]));
    expect(ok._embedded.notes[0]).toMatchObject({ entity_id: 500, request_id: '0' });
    expect(sim.notes('leads', 500).map((n) => n.params.text)).toEqual(['hello']);

    sim.failNext({ pathPrefix: '/api/v4/leads' }, [403, 500]);
    const blocked = await get('/leads/500');
    expect([blocked.status, await blocked.text()]).toEqual([403, expect.stringContaining('<title>403 Forbidden</title>')]);
    expect(await json(await get('/leads/500'))).toMatchObject({ status: 500, trace_id: expect.any(String) });
    expect((await get('/leads/500')).status).toBe(200);
  });

  it('lists notes by entity ids, type and update time, oldest first; 204 when none match', async () => {
    const now = Math.floor(Date.now() / 1000);
    const old = sim.addNote({ entity: 'leads', entityId: 700, text: 'old', createdAt: now - 3600 });
    const fresh = sim.addNote({ entity: 'leads', entityId: 700, text: 'fresh' });
    sim.addNote({ entity: 'leads', entityId: 702, text: 'another lead' });
    sim.addNote({ entity: 'contacts', entityId: 700, text: 'on a contact' });
    const list = await json(await get(`/leads/notes?filter[entity_id][]=700&filter[entity_id][]=701&filter[note_type]=common&filter[updated_at][from]=${now - 60}`));
    expect(list._embedded.notes).toEqual([
      expect.objectContaining({ id: fresh, entity_id: 700, note_type: 'common', params: { text: 'fresh' }, created_at: expect.any(Number), updated_at: expect.any(Number) }),
    ]);
    const ofLead = await json(await get('/leads/700/notes?filter[note_type][]=common&limit=250'));
    expect(ofLead._embedded.notes.map((n: { id: number }) => n.id)).toEqual([old, fresh]);
    const none = await get(`/leads/notes?filter[entity_id][]=700&filter[updated_at][from]=${now + 60}`);
    expect([none.status, await none.text()]).toEqual([204, '']);
  });

  it('can carry out a write and lose its answer (a proxy timeout): 504, the note exists', async () => {
    sim.loseAnswerNext({ method: 'POST', pathPrefix: '/api/v4/leads/notes' });
    const headers = { ...auth, 'content-type': 'application/json' };
    const body = JSON.stringify([{ entity_id: 500, note_type: 'common', params: { text: 'lost answer' } }]);
    const post = () => fetch(`${base}/api/v4/leads/notes`, { method: 'POST', headers, body });
    const lost = await post();
    expect([lost.status, await lost.text()]).toEqual([504, expect.stringContaining('<title>504 Gateway Timeout</title>')]);
    expect((await post()).status).toBe(200);
    expect(sim.notes('leads', 500).filter((n) => n.text === 'lost answer')).toHaveLength(2);
  });
});
