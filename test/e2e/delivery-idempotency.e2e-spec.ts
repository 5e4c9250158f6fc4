import { accepted, change, leadNotes, prepare, queueOf, seedLead, WON_ENV, WORKFLOW, LIST } from '../support/delivery-fixtures';
import { Harness, json, kommoForm, startHarness, waitFor } from '../support/harness';

describe('delivery: at least once in, exactly once out', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(WON_ENV);
    prepare(h);
  });
  afterAll(() => h.close());

  it('three copies of one Won delivery at the same instant: one of each side effect; a late copy changes nothing', async () => {
    const email = 'twice@acme.io';
    const leadId = seedLead(h, email);
    const body = kommoForm({ ...change(0, leadId, 1790001000), 'account[id]': 1 });

    const answers = await Promise.all([1, 2, 3].map(async () => {
      const res = await h.postKommo(body);
      expect(res.status).toBe(200);
      return json(res);
    }));
    const sum = (k: 'enqueued' | 'duplicate') => answers.reduce((n, a) => n + a[k], 0);
    expect({ enqueued: sum('enqueued'), duplicate: sum('duplicate') }).toEqual({ enqueued: 1, duplicate: 2 });

    await waitFor('the Won job to complete', async () => (await queueOf(h).getJobCounts('completed')).completed === 1);
    const effects = () => ({
      customerUpdates: accepted(h, 'users/update').filter((b) => b.email === email && b.dataFields.isCustomer === true).length,
      dealWon: h.iterable.events('deal_won').filter((e) => e.email === email).map((e) => e.writes),
      triggers: h.iterable.triggers().filter((t) => t.email === email && t.workflowId === WORKFLOW).length,
      subscribes: accepted(h, 'lists/subscribe').filter((b) => b.listId === LIST && b.subscribers[0].email === email).length,
      notes: leadNotes(h, leadId),
    });
    const once = { customerUpdates: 1, dealWon: [1], triggers: 1, subscribes: 1, notes: ['Iterable: user updated, onboarding workflow triggered (plan: none)'] };
    expect(effects()).toEqual(once);

    const late = await h.postKommo(body);
    expect(await json(late)).toEqual({ enqueued: 0, duplicate: 1, ignored: 0 });
    const counts = await queueOf(h).getJobCounts('completed', 'waiting', 'active', 'delayed', 'failed');
    expect(counts).toMatchObject({ completed: 1, waiting: 0, active: 0, delayed: 0, failed: 0 });
    expect(effects()).toEqual(once);
  });
});
