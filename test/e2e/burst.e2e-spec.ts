import { Harness, kommoForm, startHarness, statusEntry, waitFor } from '../support/harness';

const PIPELINE = { id: 7101, name: 'Sales', statuses: [{ id: 401, name: 'Negotiation' }] };
const DEALS = 300;
const DELIVERIES = 3;
const WORKFLOW = 5561;

/**
 * A manager moves 300 deals to Won at once. One call per read would be ≥ 3 Kommo calls per deal (≥ 2 min at
 * 7 req/s); shared batch reads and note writes must make it a fraction of a call per deal, under the limit.
 */
describe('Won burst under Kommo 7 req/s', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ ITERABLE_ONBOARDING_WORKFLOW_ID: String(WORKFLOW) });
    h.kommo.addPipeline(PIPELINE);
  });
  afterAll(() => h.close());

  it('syncs 300 Won deals from 3 deliveries with < 0.2 Kommo calls per deal, no 429, one note each', async () => {
    const leadIds: number[] = [];
    for (let i = 0; i < DEALS; i++) {
      const contact = h.kommo.addContact({ name: `Client ${i}`, first_name: `Client${i}`, emails: [{ value: `burst-${i}@example.com`, enum_code: 'WORK' }] });
      const company = i % 2 ? h.kommo.addCompany({ name: `Company ${i}` }) : undefined;
      const id = h.kommo.addLead({ name: `Deal ${i}`, price: 1000 + i, status_id: 142, pipeline_id: PIPELINE.id, contacts: [{ id: contact, is_main: true }], company_id: company, updated_at: 1790001000 });
      leadIds.push(id);
    }
    h.kommo.reset();
    const perDelivery = DEALS / DELIVERIES;
    const bodies = Array.from({ length: DELIVERIES }, (_, d) => {
      const entries = leadIds.slice(d * perDelivery, (d + 1) * perDelivery).map((id, i) => statusEntry(i, { id, status_id: 142, pipeline_id: PIPELINE.id, old_status_id: 401, updated_at: 1790001000 }));
      return kommoForm(Object.assign({ 'account[id]': 1 }, ...entries));
    });
    const started = Date.now();
    // One after another, as Kommo sends them: stored jobs are processed at once, in this same process.
    for (const body of bodies) expect((await h.postKommo(body)).status).toBe(200);

    const notes = () => h.kommo.notes('leads').filter((n) => leadIds.includes(n.entity_id));
    await waitFor('300 Won notes', () => notes().length >= DEALS, 40_000);
    const seconds = (Date.now() - started) / 1000;

    const byLead = new Map(notes().map((n) => [n.entity_id, n.text]));
    expect(byLead.size).toBe(DEALS);
    expect(notes()).toHaveLength(DEALS);
    expect([...byLead.values()].every((t) => t === 'Iterable: user updated, onboarding workflow triggered (plan: none)')).toBe(true);
    const profiles = h.iterable.calls.filter((c) => c.path === '/api/users/update' && c.status === 200);
    expect(new Set(profiles.map((c) => (c.body as { email: string }).email)).size).toBe(DEALS);
    const companyNames = profiles.map((c) => (c.body as { dataFields: { companyName?: string } }).dataFields.companyName).filter(Boolean);
    expect(companyNames).toHaveLength(DEALS / 2);

    const { requests, rateLimited, maxPerSecond } = h.kommo.stats;
    // Measured 23–41 calls (0.08–0.14 per deal) in 4–8 s; one by one would be 3.5 per deal (lead, contact, note, half
    // a company). Batches are never full here: whatever the first jobs find in the queue goes out alone.
    expect(requests / DEALS).toBeLessThan(0.2);
    expect(rateLimited).toBe(0);
    expect(maxPerSecond).toBeLessThanOrEqual(7);
    expect(seconds).toBeLessThan(30);
  }, 60_000);
});
