import type { Job } from 'bullmq';
import { change, PIPELINE, prepare, queueOf, seedLead } from '../support/delivery-fixtures';
import { Harness, json, kommoForm, startHarness, waitFor } from '../support/harness';

describe('delivery: a late, older event never overwrites newer state', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    prepare(h);
  });
  afterAll(() => h.close());

  const finished = (leadId: number, statusId: number, changedAt: number): Promise<Job> =>
    waitFor(`the job of lead ${leadId} → ${statusId} at ${changedAt}`, async () => {
      const jobs = await queueOf(h).getCompleted();
      return jobs.find((j) => j.data.leadId === leadId && j.data.statusId === statusId && j.data.changedAt === changedAt);
    }) as Promise<Job>;

  async function deliver(leadId: number, statusId: number, updatedAt: number): Promise<Job> {
    const res = await h.postKommo(kommoForm(change(0, leadId, updatedAt, statusId)));
    expect(await json(res)).toEqual({ enqueued: 1, duplicate: 0, ignored: 0 });
    return finished(leadId, statusId, updatedAt);
  }

  it('stale Won after Lost (the lead is Lost in Kommo now): the Won is skipped, isCustomer stays false', async () => {
    const email = 'won-then-lost@acme.io';
    const leadId = seedLead(h, email, 143, { lossReason: 51, updatedAt: 1790004200 });

    const lost = await deliver(leadId, 143, 1790004200);
    expect(lost.returnvalue).toMatchObject({ outcome: 'synced' });
    const staleWon = await deliver(leadId, 142, 1790004100);

    expect(staleWon.returnvalue).toEqual({ outcome: 'skipped', reason: expect.stringContaining('stale') });
    expect(h.iterable.user(email)?.dataFields.isCustomer).toBe(false);
    expect(h.iterable.events('deal_won').filter((e) => e.email === email)).toEqual([]);
    expect(h.kommo.notes('leads', leadId)).toEqual([]);
  });

  it('two deals of one contact: a Won older than the Lost already applied is skipped by the per-person guard', async () => {
    const email = 'two-deals@acme.io';
    const wonLead = seedLead(h, email, 142, { updatedAt: 1790004300 });
    const lostContact = h.kommo.addContact({ name: email, emails: [{ value: email, enum_code: 'WORK' }] });
    const lostLead = h.kommo.addLead({
      name: 'second deal',
      status_id: 143,
      pipeline_id: PIPELINE.id,
      contacts: [{ id: lostContact, is_main: true }],
      loss_reason_id: 51,
      updated_at: 1790004400,
      closed_at: 1790004400,
    });

    await deliver(lostLead, 143, 1790004400);
    // Each lead is in the state its event names, so only the order guard can tell that this Won is older.
    const lateWon = await deliver(wonLead, 142, 1790004300);

    expect(lateWon.returnvalue).toEqual({ outcome: 'skipped', reason: expect.stringMatching(/newer Won\/Lost/) });
    expect(h.iterable.user(email)?.dataFields.isCustomer).toBe(false);

    // A Won newer than the Lost does apply (the deal was reopened and won again: a new closed_at, a Won of its own).
    h.kommo.updateLead(wonLead, { closed_at: 1790004500, updated_at: 1790004500 });
    const freshWon = await deliver(wonLead, 142, 1790004500);
    expect(freshWon.returnvalue).toMatchObject({ outcome: 'synced' });
    expect(h.iterable.user(email)?.dataFields.isCustomer).toBe(true);
  });
});
