import { randomBytes } from 'node:crypto';
import { admin } from '../support/delivery-fixtures';
import { Harness, SECRETS, startHarness } from '../support/harness';

const FORM = 'application/x-www-form-urlencoded';

describe('delivery: hostile input gets a 4xx, never a 5xx', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  const kommo = (body: string | Buffer, type = FORM) =>
    fetch(`${h.url}/webhooks/kommo/${SECRETS.webhookToken}`, { method: 'POST', headers: { 'content-type': type }, body });
  const iterable = (body: string | Buffer, type = 'application/json') =>
    fetch(`${h.url}/webhooks/iterable`, { method: 'POST', headers: { 'content-type': type, authorization: SECRETS.iterableSecret }, body });
  // Reads of particular leads (one by id, or a filter[id] batch); the reconciler's scan by date is not one.
  const leadReads = () => h.kommo.calls.filter((c) => /^\/api\/v4\/leads\/\d/.test(c.path) || (c.query.filter as { id?: unknown } | undefined)?.id);
  const lead = (id: string) => `leads[status][0][id]=${encodeURIComponent(id)}&leads[status][0][status_id]=142&leads[status][0][pipeline_id]=1`;

  it('a body over 1 MiB: 413 on both webhooks', async () => {
    const big = 'x'.repeat(1024 * 1024 + 10);
    expect((await kommo(`leads[status][0][id]=${big}`)).status).toBe(413);
    expect((await iterable(JSON.stringify({ email: 'a@b.io', eventName: 'emailBounce', pad: big }))).status).toBe(413);
  });

  it('lead ids that are not positive integers: 400 before any Kommo call', async () => {
    for (const id of ['1e3', '-5', '99999999999999999999', '0', '1.5', ' 7', '0x1F', '12abc', '']) {
      expect([id, (await kommo(lead(id))).status]).toEqual([id, 400]);
    }
    expect(leadReads()).toEqual([]);
  });

  it('deep and huge bracket bodies: 400, not 5xx', async () => {
    const deep = `leads[status][0]${'[a]'.repeat(200)}=1`;
    const wide = Array.from({ length: 20_001 }, (_, i) => `leads[status][${i}][id]=${i + 1}`).join('&');
    const nested = `leads[status][0][id][0][0][0]=1&leads[status][0][status_id]=142&leads[status][0][pipeline_id]=1`;
    const proto = `leads[status][__proto__][id]=1&leads[status][0][__proto__][status_id]=142`;
    for (const [what, body] of Object.entries({ deep, wide, nested, proto })) {
      expect([what, (await kommo(body)).status]).toEqual([what, 400]);
    }
  });

  it('Iterable bodies that are JSON but not an event: 400', async () => {
    for (const body of ['[]', 'null', '"x"', '5', '{"eventName":5}', '{"eventName":"emailBounce","email":{"$gt":""}}', '{not json']) {
      expect([body, (await iterable(body)).status]).toEqual([body, 400]);
    }
  });

  it('random bytes as a form: 400', async () => {
    for (let i = 0; i < 5; i++) expect((await kommo(randomBytes(2048))).status).toBe(400);
  });

  it('a handful of other garbage: always below 500', async () => {
    const answers = await Promise.all([
      kommo(''),
      kommo('{"leads":{"status":[{"id":1}]}}', 'application/json'),
      kommo('leads[status][0][id]=1', 'text/plain'),
      kommo('%E0%A4%A&leads[status]=%'),
      kommo('account[id]=abc'),
      kommo('leads=1&leads[status][0][id]=2'),
      kommo(`leads[status][0][id]=1&leads[status][0][status_id]=142&leads[status][0][pipeline_id]=1&leads[status][0][updated_at]=${'9'.repeat(400)}`),
      iterable(''),
      iterable(randomBytes(512), 'application/octet-stream'),
      iterable('{"eventName":"emailUnSubscribe","email":"not-an-email"}'),
      iterable(JSON.stringify({ eventName: 'journeyMilestone', email: 'a@b.io', milestone: 'x', workflowId: -3 })),
      iterable('{"a":'.repeat(5000) + '1' + '}'.repeat(5000)),
      admin(h, '/admin/dead-letter?limit[]=1&limit[]=2'),
      admin(h, '/admin/dead-letter/replay', { method: 'POST', body: '{"limit":1e400}' }),
      fetch(`${h.url}/webhooks/kommo/${'x'.repeat(5000)}`, { method: 'POST', headers: { 'content-type': FORM }, body: 'a=1' }),
    ]);
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(statuses.filter((s) => s < 400)).toEqual([]);
    expect(leadReads()).toEqual([]);
  });
});
