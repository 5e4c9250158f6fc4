import { change, completedJobs, deadLetters, prepare, seedLead } from '../support/delivery-fixtures';
import { KommoSimulator } from '../simulators/kommo.simulator';
import { Harness, json, kommoForm, SECRETS, startHarness, waitFor } from '../support/harness';

const DEALS = 12;

describe('delivery: Kommo tighter than configured', () => {
  let h: Harness;
  beforeAll(async () => {
    const kommo = new KommoSimulator({ token: SECRETS.kommoToken, retryAfterSeconds: 1 });
    h = await startHarness({ KOMMO_RATE_LIMIT_PER_SECOND: '7' }, { kommo });
    prepare(h);
    h.kommo.setRate(3);
  });
  afterAll(() => h.close());

  it('answers 429s at 3 req/s while the service sends 7: everything still lands, nothing dead-lettered, no attempt spent', async () => {
    const leads = Array.from({ length: DEALS }, (_, i) => seedLead(h, `tight-${i}@acme.io`));
    const res = await h.postKommo(kommoForm(Object.assign({}, ...leads.map((id, i) => change(i, id, 1790006000)))));
    expect(await json(res)).toEqual({ enqueued: DEALS, duplicate: 0, ignored: 0 });

    await waitFor(`${DEALS} Won notes`, () => leads.every((id) => h.kommo.notes('leads', id).length > 0), 50_000);
    expect(h.kommo.stats.rateLimited).toBeGreaterThan(0);
    expect(leads.map((id) => h.kommo.notes('leads', id).length)).toEqual(leads.map(() => 1));
    expect(h.iterable.events('deal_won').filter((e) => e.email?.startsWith('tight-'))).toHaveLength(DEALS);

    const completed = await completedJobs(h, DEALS);
    expect(completed).toHaveLength(DEALS);
    expect(await deadLetters(h)).toEqual([]);
    expect(Math.max(...completed.map((j) => j.attemptsMade))).toBeLessThanOrEqual(1);
  }, 60_000);
});
