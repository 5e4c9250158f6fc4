import type { Job } from 'bullmq';
import { accepted, change, deadLetters, leadNotes, PIPELINE, prepare, queueOf, seedLead, WON_ENV } from '../support/delivery-fixtures';
import { Harness, json, kommoForm, startHarness, waitFor } from '../support/harness';

const WON_NOTE = 'Iterable: user updated, onboarding workflow triggered (plan: none)';
const NOTE_POSTS = { method: 'POST', pathPrefix: '/api/v4/leads/notes' };

/**
 * The Won note is marked pending on the job before its POST: a retry or a re-run after a crash that finds it pending
 * looks for it at Kommo (GET /leads/notes) instead of writing a second one. Without a pending step, no lookup.
 */
describe('delivery: one Kommo note when the write\'s answer is lost or its process died', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(WON_ENV);
    prepare(h);
  });
  afterAll(() => h.close());

  const lookups = () => h.kommo.callsTo('GET', '/api/v4/leads/notes').length;
  const notePosts = (leadId: number) =>
    h.kommo.callsTo('POST', '/api/v4/leads/notes').filter((c) => (c.body as { entity_id: number }[]).some((n) => n.entity_id === leadId));

  async function completed(jobId: string): Promise<Job> {
    const job = await waitFor(`job ${jobId} to complete`, async () => (await queueOf(h).getCompleted()).find((j) => j.id === jobId));
    return job!;
  }

  async function won(email: string, updatedAt: number): Promise<{ leadId: number; job: Job }> {
    const leadId = seedLead(h, email);
    const res = await h.postKommo(kommoForm(change(0, leadId, updatedAt)));
    expect(await json(res)).toEqual({ enqueued: 1, duplicate: 0, ignored: 0 });
    return { leadId, job: await completed(`lead-${leadId}-${PIPELINE.statuses[0].id}-142-${updatedAt}`) };
  }

  it('a Won with no trouble writes its note without reading any note from Kommo', async () => {
    const before = lookups();
    const { leadId, job } = await won('plain@acme.io', 1790003000);
    expect(job.attemptsMade).toBe(1);
    expect(leadNotes(h, leadId)).toEqual([WON_NOTE]);
    expect(lookups()).toBe(before);
    expect(job.data.pending).toBeUndefined();
    expect(job.data.done).toEqual(['profile', 'event', 'workflow', 'list', 'note']);
  });

  it('Kommo writes the note but the answer is lost (504): the retry finds it there and writes no second one', async () => {
    h.kommo.loseAnswerNext(NOTE_POSTS, 504);
    const before = lookups();
    const { leadId, job } = await won('lost-answer@acme.io', 1790003100);
    expect(job.attemptsMade).toBe(2);
    expect(notePosts(leadId).map((c) => c.status)).toEqual([504]);
    expect(leadNotes(h, leadId)).toEqual([WON_NOTE]);
    expect(lookups()).toBe(before + 1);
    expect(h.iterable.triggers().filter((t) => t.email === 'lost-answer@acme.io')).toHaveLength(1);
  });

  it('the proxy fails the POST before Kommo sees it (504): the retry finds no note and writes it once', async () => {
    h.kommo.failNext(NOTE_POSTS, [504]);
    const { leadId, job } = await won('not-written@acme.io', 1790003200);
    expect(job.attemptsMade).toBe(2);
    expect(notePosts(leadId).map((c) => c.status)).toEqual([504, 200]);
    expect(leadNotes(h, leadId)).toEqual([WON_NOTE]);
  });

  it('a job a dead process left with the note pending: the note it wrote counts, one from an earlier Won does not', async () => {
    const now = Math.floor(Date.now() / 1000);
    const crashed = (leadId: number) => ({
      leadId,
      statusId: 142,
      pipelineId: PIPELINE.id,
      oldStatusId: PIPELINE.statuses[0].id,
      changedAt: 1790003300,
      receivedAt: new Date().toISOString(),
      done: ['profile', 'event', 'workflow', 'list'],
      pending: { note: Date.now() - 5000 },
    });
    // the dead process's POST reached Kommo a second after the marker
    const landed = seedLead(h, 'landed@acme.io');
    h.kommo.addNote({ entity: 'leads', entityId: landed, text: WON_NOTE, createdAt: now - 4 });
    // the same text on the same deal, from a Won two days ago (reopened and won again since)
    const earlier = seedLead(h, 'won-again@acme.io');
    h.kommo.addNote({ entity: 'leads', entityId: earlier, text: WON_NOTE, createdAt: now - 2 * 86400 });

    await queueOf(h).add('lead.won', crashed(landed), { jobId: `crashed-${landed}` });
    await queueOf(h).add('lead.won', crashed(earlier), { jobId: `crashed-${earlier}` });
    const [a, b] = [await completed(`crashed-${landed}`), await completed(`crashed-${earlier}`)];

    expect([a.returnvalue.outcome, b.returnvalue.outcome]).toEqual(['synced', 'synced']);
    expect(notePosts(landed)).toHaveLength(0);
    expect(leadNotes(h, landed)).toEqual([WON_NOTE]);
    expect(notePosts(earlier)).toHaveLength(1);
    expect(leadNotes(h, earlier)).toEqual([WON_NOTE, WON_NOTE]);
    // steps already done were not repeated
    expect(accepted(h, 'users/update').filter((u) => ['landed@acme.io', 'won-again@acme.io'].includes(u.email))).toEqual([]);
    expect(await deadLetters(h)).toEqual([]);
  });
});
