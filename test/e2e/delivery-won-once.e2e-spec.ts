import type { Job } from 'bullmq';
import { accepted, change, deadLetters, LIST, PIPELINE, prepare, queueOf, seedLead, WON_ENV, WORKFLOW } from '../support/delivery-fixtures';
import { Harness, json, kommoForm, startHarness, statusEntry, waitFor } from '../support/harness';

const WON_NOTE = 'Iterable: user updated, onboarding workflow triggered (plan: none)';

/**
 * One Won, two jobs: webhook job ids differ when the same Won comes by two paths (an account webhook and a Digital
 * Pipeline webhook, or the reconciler's catch-up and a late webhook with another old status). The Won's effects are
 * claimed per (lead, closed_at), so the second job completes as a skipped duplicate.
 */
describe('delivery: one set of Won effects per Won, whichever paths deliver it', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(WON_ENV);
    prepare(h);
  });
  afterAll(() => h.close());

  function effects(email: string, leadId: number) {
    return {
      triggers: h.iterable.triggers().filter((t) => t.email === email && t.workflowId === WORKFLOW).length,
      subscribes: accepted(h, 'lists/subscribe').filter((b) => b.listId === LIST && b.subscribers[0].email === email).length,
      dealWon: accepted(h, 'events/track').filter((e) => e.eventName === 'deal_won' && e.email === email).length,
      notes: h.kommo.notes('leads', leadId).map((n) => n.text),
    };
  }
  const once = { triggers: 1, subscribes: 1, dealWon: 1, notes: [WON_NOTE] };

  async function jobsOf(leadId: number, count: number): Promise<Job[]> {
    let jobs: Job[] = [];
    await waitFor(`${count} completed jobs of lead ${leadId}`, async () => {
      jobs = (await queueOf(h).getCompleted(0, -1)).filter((j) => j.data.leadId === leadId);
      return jobs.length === count;
    });
    return jobs;
  }

  /** The one synced job, and the skipped one naming it. */
  function expectOneHolder(jobs: Job[]): void {
    const synced = jobs.filter((j) => j.returnvalue.outcome === 'synced');
    expect(synced).toHaveLength(1);
    const other = jobs.find((j) => j !== synced[0])!;
    expect(other.returnvalue).toEqual({ outcome: 'skipped', reason: expect.stringContaining(`duplicate of job ${synced[0].id}`) });
  }

  it('an account webhook (with updated_at) and a Digital Pipeline webhook (5 fields, no timestamp) at once: effects once', async () => {
    const email = 'two-paths@acme.io';
    const leadId = seedLead(h, email);
    const account = kommoForm({ ...change(0, leadId, 1790004000), 'account[id]': 1 });
    const digitalPipeline = kommoForm({
      ...statusEntry(0, { id: leadId, status_id: 142, pipeline_id: PIPELINE.id, old_status_id: PIPELINE.statuses[0].id }),
      'leads[status][0][old_pipeline_id]': PIPELINE.id,
      'account[id]': 1,
      'account[subdomain]': 'acme',
    });
    const answers = await Promise.all([account, digitalPipeline].map(async (body) => json(await h.postKommo(body))));
    expect(answers).toEqual([{ enqueued: 1, duplicate: 0, ignored: 0 }, { enqueued: 1, duplicate: 0, ignored: 0 }]);

    const jobs = await jobsOf(leadId, 2);
    expect(jobs.map((j) => j.id).sort()).toEqual([`lead-${leadId}-401-142-1790004000`, `lead-${leadId}-401-142-x`]);
    expectOneHolder(jobs);
    expect(effects(email, leadId)).toEqual(once);
    expect(await deadLetters(h)).toEqual([]);
  });

  it('the reconciler\'s catch-up, then the late webhook with another old status: the late one changes nothing', async () => {
    const email = 'late-hook@acme.io';
    const leadId = seedLead(h, email);
    // what reconciliation enqueues: the status last seen as the old one, the lead's updated_at as the time
    const caughtUp = kommoForm(statusEntry(0, { id: leadId, status_id: 142, pipeline_id: PIPELINE.id, old_status_id: 7, updated_at: 1790004100 }));
    expect(await json(await h.postKommo(caughtUp))).toMatchObject({ enqueued: 1 });
    await jobsOf(leadId, 1);
    // same updated_at (the lead was not edited since), so the order guard alone would let it through
    const late = kommoForm(change(0, leadId, 1790004100));
    expect(await json(await h.postKommo(late))).toMatchObject({ enqueued: 1 });

    expectOneHolder(await jobsOf(leadId, 2));
    expect(effects(email, leadId)).toEqual(once);
  });

  it('a deal reopened and won again (a new closed_at) gets its effects again', async () => {
    const email = 'won-twice@acme.io';
    const leadId = seedLead(h, email, 142, { updatedAt: 1790004200 });
    await h.postKommo(kommoForm(change(0, leadId, 1790004200)));
    await jobsOf(leadId, 1);
    h.kommo.updateLead(leadId, { closed_at: 1790009200, updated_at: 1790009200 });
    await h.postKommo(kommoForm(change(0, leadId, 1790009200)));

    const jobs = await jobsOf(leadId, 2);
    expect(jobs.map((j) => j.returnvalue.outcome)).toEqual(['synced', 'synced']);
    expect(effects(email, leadId)).toEqual({ triggers: 2, subscribes: 2, dealWon: 2, notes: [WON_NOTE, WON_NOTE] });
  });
});
