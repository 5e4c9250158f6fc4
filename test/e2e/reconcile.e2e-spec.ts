import { Queue } from 'bullmq';
import { redisConnection } from '../../src/delivery/redis';
import { Harness, json, kommoForm, REDIS_URL, startHarness, statusEntry, waitFor } from '../support/harness';

const PIPELINE = { id: 7101, name: 'Sales', statuses: [{ id: 601, name: 'Qualified' }, { id: 602, name: 'Proposal' }] };
const WORKFLOW = 5551;
const WON_NOTE = 'Iterable: user updated, onboarding workflow triggered (plan: none)';

interface Report { changes: number; enqueued: number; duplicate: number }

describe('reconciliation', () => {
  let h: Harness;
  let reconcileQueue: Queue;
  beforeAll(async () => {
    h = await startHarness({ RECONCILE_INTERVAL_MS: '1000', ITERABLE_ONBOARDING_WORKFLOW_ID: String(WORKFLOW) });
    h.kommo.addPipeline(PIPELINE);
    reconcileQueue = new Queue('reconcile', { connection: redisConnection(REDIS_URL), prefix: h.config.queuePrefix });
  });
  afterAll(async () => {
    await reconcileQueue.close();
    await h.close();
  });

  const seedLead = (email: string) => {
    const contact = h.kommo.addContact({ name: email, emails: [{ value: email, enum_code: 'WORK' }] });
    return h.kommo.addLead({ name: email, price: 500, status_id: 601, pipeline_id: PIPELINE.id, contacts: [{ id: contact, is_main: true }] });
  };
  const move = (id: number, from: number, to: number, at: number) => {
    h.kommo.updateLead(id, { status_id: to, updated_at: at });
    return statusEntry(0, { id, status_id: to, pipeline_id: PIPELINE.id, old_status_id: from, updated_at: at });
  };
  const notes = (leadId: number) => h.kommo.notes('leads', leadId).map((n) => n.text);
  /** Runs that started at or after `since` (ms) and completed, with what each found. */
  const runsSince = async (since: number): Promise<Report[]> =>
    (await reconcileQueue.getCompleted()).filter((j) => (j.processedOn ?? 0) >= since).map((j) => j.progress as unknown as Report);

  it('syncs a status change that had no webhook, ignores one that had, and a late webhook of the found change is a duplicate', async () => {
    const missed = seedLead('missed@reconcile.io');
    const delivered = seedLead('delivered@reconcile.io');
    const t = Math.floor(Date.now() / 1000);
    // Both leads are seen in Proposal, through webhooks.
    for (const id of [missed, delivered]) expect((await h.postKommo(kommoForm(move(id, 601, 602, t)))).status).toBe(200);
    await waitFor('both stage changes', () => h.iterable.events('crm_stage_changed').length === 2);

    // Held while the leads move, so no run sees a lead between its move and its webhook.
    await reconcileQueue.pause();
    await waitFor('no run in progress', async () => (await reconcileQueue.getActiveCount()) === 0);
    const webhook = move(delivered, 602, 142, t + 2);
    expect(await json(await h.postKommo(kommoForm(webhook)))).toMatchObject({ enqueued: 1 });
    const lateWebhook = move(missed, 602, 142, t + 1);
    const movedAt = Date.now();
    await reconcileQueue.resume();

    await waitFor('the Won found by reconciliation', () => notes(missed).includes(WON_NOTE));
    await waitFor('the Won delivered by webhook', () => notes(delivered).includes(WON_NOTE));
    const runs = (await waitFor('two reconciliation runs after the moves', async () => {
      const done = await runsSince(movedAt);
      return done.length >= 2 ? done : undefined;
    }))!;
    expect(runs.reduce((n, r) => n + r.changes, 0)).toBe(1);
    expect(runs.reduce((n, r) => n + r.enqueued, 0)).toBe(1);

    // Kommo retries late: the same change (same lead, stages and updated_at) is the job reconciliation stored.
    expect(await json(await h.postKommo(kommoForm(lateWebhook)))).toEqual({ enqueued: 0, duplicate: 1, ignored: 0 });

    const won = h.iterable.events('deal_won');
    expect(won.map((e) => [e.email, e.createdAt, e.writes]).sort()).toEqual([
      ['delivered@reconcile.io', t + 2, 1],
      ['missed@reconcile.io', t + 1, 1],
    ]);
    expect(h.iterable.triggers().map((x) => x.email).sort()).toEqual(['delivered@reconcile.io', 'missed@reconcile.io']);
    expect(notes(missed)).toEqual([WON_NOTE]);
    expect(h.iterable.user('missed@reconcile.io')?.dataFields).toMatchObject({ isCustomer: true, crmDealId: String(missed) });
  });
});
