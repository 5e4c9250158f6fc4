import { accepted, change, deadLetters, leadNotes, prepare, queueOf, seedLead, WON_ENV, WORKFLOW } from '../support/delivery-fixtures';
import { Harness, json, kommoForm, startHarness, waitFor } from '../support/harness';

describe('delivery: transient failures retry, and a retry repeats no completed side effect', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(WON_ENV);
    prepare(h);
  });
  afterAll(() => h.close());

  async function won(email: string, updatedAt: number) {
    const leadId = seedLead(h, email);
    const res = await h.postKommo(kommoForm(change(0, leadId, updatedAt)));
    expect(await json(res)).toEqual({ enqueued: 1, duplicate: 0, ignored: 0 });
    const job = await waitFor(`the Won job of ${email} to complete`, async () => {
      const [done] = (await queueOf(h).getCompleted()).filter((j) => j.data.leadId === leadId);
      return done;
    });
    return { leadId, job };
  }

  const customerUpdates = (email: string) => accepted(h, 'users/update').filter((b) => b.email === email && b.dataFields.isCustomer === true);

  it('users/update answers 500 twice, then succeeds: synced on the third attempt', async () => {
    h.iterable.failNext({ path: 'users/update' }, [500, 500]);
    const email = 'flaky@acme.io';
    const { leadId, job } = await won(email, 1790002000);

    expect(job.returnvalue).toEqual({ outcome: 'synced', detail: expect.stringContaining(email) });
    expect(job.attemptsMade).toBe(3);
    const tries = h.iterable.calls.filter((c) => c.path === '/api/users/update' && (c.body as { email?: string }).email === email);
    expect(tries.map((c) => c.status)).toEqual([500, 500, 200]);
    expect(h.iterable.user(email)?.dataFields).toMatchObject({ isCustomer: true, crmDealId: String(leadId) });
    expect(leadNotes(h, leadId)).toHaveLength(1);
  });

  it('503 on the workflow trigger after the profile update: the retry triggers once and repeats nothing else', async () => {
    h.iterable.failNext({ path: 'workflows/triggerWorkflow' }, [503]);
    const email = 'half-done@acme.io';
    const { leadId, job } = await won(email, 1790002100);

    expect(job.attemptsMade).toBe(2);
    const triggerCalls = h.iterable.calls.filter((c) => c.path === '/api/workflows/triggerWorkflow' && (c.body as { email?: string }).email === email);
    expect(triggerCalls.map((c) => c.status)).toEqual([503, 200]);
    expect(customerUpdates(email)).toHaveLength(1);
    expect(h.iterable.events('deal_won').filter((e) => e.email === email).map((e) => e.writes)).toEqual([1]);
    expect(h.iterable.triggers().filter((t) => t.email === email)).toEqual([expect.objectContaining({ workflowId: WORKFLOW })]);
    expect(accepted(h, 'lists/subscribe').filter((b) => b.subscribers[0].email === email)).toHaveLength(1);
    expect(leadNotes(h, leadId)).toEqual(['Iterable: user updated, onboarding workflow triggered (plan: none)']);
    expect(await deadLetters(h)).toEqual([]);
  });
});
