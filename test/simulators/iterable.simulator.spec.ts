import { IterableSimulator } from './iterable.simulator';

const KEY = 'iterable-test-key';
const sim = new IterableSimulator();
let base: string;

async function call(method: string, path: string, body?: unknown, key = KEY) {
  const res = await fetch(`${base}/${path}`, {
    method,
    headers: { 'Api-Key': key, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, headers: res.headers };
}
const post = (path: string, body: unknown, key?: string) => call('POST', path, body, key);

beforeAll(async () => {
  base = await sim.start();
});
afterAll(() => sim.stop());
beforeEach(() => {
  sim.reset();
  sim.setLimit('users/update', 500);
});

it('serves under /api and refuses a wrong key with BadApiKey', async () => {
  expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api$/);
  const r = await post('users/update', { email: 'a@example.com', dataFields: {} }, 'wrong');
  expect(r.status).toBe(401);
  expect(r.json).toEqual({ msg: 'Invalid API key', code: 'BadApiKey', params: { endpoint: '/api/users/update' } });
  expect(sim.users()).toEqual([]);
});

describe('field types', () => {
  it('fixes a field type on first write and refuses another type later', async () => {
    expect((await post('users/update', { email: 'a@example.com', dataFields: { dealValue: 1000, wonAt: '2026-11-26 10:00:00 +00:00' } })).status).toBe(200);
    const r = await post('users/update', { email: 'b@example.com', dataFields: { dealValue: '1000' } });
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('RequestFieldsTypesMismatched');
    expect(r.json.params.validationErrors.dealValue).toMatchObject({ incomingTypes: ['string', 'keyword'], expectedType: 'long', _type: 'UnexpectedType' });
    expect(sim.user('b@example.com')).toBeUndefined();

    const date = await post('users/update', { email: 'a@example.com', dataFields: { wonAt: '2026-11-26T10:00:00Z' } });
    expect(date.json.params.validationErrors.wonAt.expectedType).toBe('date');
    expect((await call('GET', 'users/getFields')).json.fields).toMatchObject({ dealValue: 'long', wonAt: 'date', email: 'string' });
  });

  it('fails a whole bulkUpdate on one mismatch, but reports bad emails and forgotten users per item', async () => {
    await post('users/update', { email: 'a@example.com', dataFields: { isCustomer: true } });
    const mixed = await post('users/bulkUpdate', { users: [{ email: 'ok@example.com', dataFields: { plan: 'x' } }, { email: 'b@example.com', dataFields: { isCustomer: 'yes' } }] });
    expect(mixed.status).toBe(400);
    expect(mixed.json.code).toBe('RequestFieldsTypesMismatched');
    expect(sim.user('ok@example.com')).toBeUndefined();

    await post('users/forget', { email: 'gone@example.com' });
    const r = await post('users/bulkUpdate', {
      users: [
        { email: 'ok@example.com', dataFields: { plan: 'growth' } },
        { email: 'not-an-email', dataFields: {} },
        { email: 'gone@example.com', dataFields: {} },
      ],
    });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ successCount: 1, failCount: 2, createdFields: ['plan'] });
    expect(Object.keys(r.json.failedUpdates)).toHaveLength(10);
    expect(r.json.failedUpdates).toMatchObject({ invalidEmails: ['not-an-email'], forgottenEmails: ['gone@example.com'] });

    const big = await post('users/bulkUpdate', { users: Array.from({ length: 1001 }, (_, i) => ({ email: `u${i}@example.com` })) });
    expect(big.json.code).toBe('BatchTooLarge');
  });
});

describe('events', () => {
  it('updates an event with a known id instead of duplicating it', async () => {
    const ev = { email: 'a@example.com', eventName: 'deal_won', id: 'won-1', createdAt: 1795687200, dataFields: { deal_id: '1', value: 10 } };
    const first = await post('events/track', ev);
    expect(first.json).toEqual({ msg: 'Event with id: won-1 tracked.', code: 'Success', params: { id: 'won-1' } });
    await post('events/track', { ...ev, dataFields: { deal_id: '1', value: 20 } });
    const stored = sim.events('deal_won');
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ id: 'won-1', writes: 2, dataFields: { value: 20 }, createdAt: 1795687200 });
  });

  it('holds bodies to the Swagger spec: createdAt must be a number, eventName is required', async () => {
    const r = await post('events/track', { email: 'a@example.com', eventName: 'x', createdAt: '2026-11-26' });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ msg: '[/api/events/track] Invalid JSON body', code: 'BadJsonBody' });
    expect(r.json.params['obj.createdAt']).toMatch(/integer/);
    expect((await post('events/track', { email: 'a@example.com' })).json.params).toHaveProperty(['obj.eventName']);
    expect((await post('events/track', '{not json')).json.code).toBe('BadJsonBody');
    expect((await post('events/track', { eventName: 'x' })).status).toBe(400);
    expect(sim.events()).toEqual([]);
  });

  it('drops trackBulk events of unknown users into notFoundEmails', async () => {
    await post('users/update', { email: 'a@example.com', dataFields: {} });
    const r = await post('events/trackBulk', { events: [{ email: 'a@example.com', eventName: 'e' }, { email: 'who@example.com', eventName: 'e' }] });
    expect(r.json).toMatchObject({ successCount: 1, failCount: 1, failedUpdates: { notFoundEmails: ['who@example.com'] } });
  });
});

it('answers 429 in plain text without Retry-After once the sliding window is full', async () => {
  sim.setLimit('users/update', 2);
  const statuses = [];
  for (let i = 0; i < 3; i++) statuses.push(await post('users/update', { email: 'a@example.com', dataFields: {} }));
  expect(statuses.map((s) => s.status)).toEqual([200, 200, 429]);
  expect(statuses[2].text).toBe('Rate limit exceeded. Please try again later.');
  expect(statuses[2].headers.get('content-type')).toMatch(/^text\/plain/);
  expect(statuses[2].headers.get('retry-after')).toBeNull();
  expect(sim.stats()['users/update']).toEqual({ count: 3, rateLimited: 1, maxInWindow: 3 });
});

it('answers an unknown list with HTTP 400 whose code is Success, and subscribes to a known one', async () => {
  const bad = await post('lists/subscribe', { listId: 999, subscribers: [{ email: 'a@example.com' }] });
  expect(bad.status).toBe(400);
  expect(bad.json).toEqual({ msg: 'error.lists.invalidListId(999)', code: 'Success', params: { projectId: 1, listId: 999 } });

  sim.addList(7);
  const ok = await post('lists/subscribe', { listId: 7, subscribers: [{ email: 'A@example.com' }] });
  expect(ok.json).toMatchObject({ successCount: 1, failCount: 0 });
  expect(sim.subscriptions(7)).toEqual([{ listId: 7, email: 'a@example.com' }]);
});

it('forgets a user: profile gone, later writes 409 ForgottenUserError', async () => {
  await post('users/update', { email: 'a@example.com', dataFields: { plan: 'growth' } });
  expect((await post('users/forget', { email: 'a@example.com' })).status).toBe(200);
  expect(sim.user('a@example.com')).toBeUndefined();
  const r = await post('users/update', { email: 'a@example.com', dataFields: { plan: 'growth' } });
  expect(r.status).toBe(409);
  expect(r.json.code).toBe('ForgottenUserError');
  expect((await call('GET', 'users/getByEmail?email=a%40example.com')).json).toEqual({});
});

it('deletes by URL-encoded email and refuses an unknown one with BadParams', async () => {
  await post('users/update', { email: 'a+b@example.com', dataFields: {} });
  expect((await call('GET', 'users/getByEmail?email=a%2Bb%40example.com')).json.user.email).toBe('a+b@example.com');
  expect((await call('DELETE', 'users/a%2Bb%40example.com')).status).toBe(200);
  const again = await call('DELETE', 'users/a%2Bb%40example.com');
  expect(again.json).toMatchObject({ code: 'BadParams', params: null });
});

it('records triggers and requires an integer workflowId', async () => {
  expect((await post('workflows/triggerWorkflow', { workflowId: '5', email: 'a@example.com' })).json.code).toBe('BadJsonBody');
  await post('workflows/triggerWorkflow', { workflowId: 5, email: 'a@example.com' });
  expect(sim.triggers()).toMatchObject([{ workflowId: 5, email: 'a@example.com' }]);
});

it('injects faults in order for matching requests only, without side effects', async () => {
  sim.failNext({ method: 'POST', path: '/api/users/update' }, [500, 503, 429, 400]);
  const body = { email: 'a@example.com', dataFields: {} };
  const got = [];
  for (let i = 0; i < 5; i++) got.push(await post('users/update', body));
  expect(got.map((r) => r.status)).toEqual([500, 503, 429, 400, 200]);
  expect(got[0].json.code).toBe('GenericError');
  expect(got[1].json).toBeUndefined();
  expect(got[2].text).toBe('Rate limit exceeded. Please try again later.');
  expect(got[3].json).toEqual({ msg: expect.any(String), code: 'BadParams', params: null });
  expect(sim.calls.map((c) => c.status)).toEqual([500, 503, 429, 400, 200]);
  expect(sim.calls[0]).toMatchObject({ method: 'POST', path: '/api/users/update', body });
  expect(sim.users()).toHaveLength(1);
});
