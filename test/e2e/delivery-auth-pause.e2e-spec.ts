import { change, completedJobs, deadLetters, leadNotes, prepare, queueOf, seedLead } from '../support/delivery-fixtures';
import { Harness, json, kommoForm, SECRETS, startHarness, waitFor } from '../support/harness';

const DEALS = 3;

describe('delivery: a revoked Kommo token pauses work instead of burning it', () => {
  let h: Harness;
  beforeAll(async () => {
    // Re-probe every 300 ms instead of every 30 s, so the test sees several probes and the resume quickly.
    h = await startHarness({}, undefined, (config) => {
      config.jobs.authPauseMs = 300;
    });
    prepare(h);
  });
  afterAll(() => h.close());

  const ready = async () => {
    const res = await fetch(`${h.url}/health/ready`);
    return { status: res.status, body: await json(res) };
  };

  it('401s: no dead letter, ready 503 naming kommo; the old token back: everything lands, ready 200', async () => {
    h.kommo.setToken('rotated-elsewhere');
    const leads = Array.from({ length: DEALS }, (_, i) => seedLead(h, `revoked-${i}@acme.io`));
    const res = await h.postKommo(kommoForm(Object.assign({}, ...leads.map((id, i) => change(i, id, 1790007000)))));
    expect(await json(res)).toEqual({ enqueued: DEALS, duplicate: 0, ignored: 0 });

    const paused = await waitFor('ready to report the pause', async () => {
      const r = await ready();
      return r.status === 503 && r.body.error?.apis ? r : undefined;
    });
    expect(paused!.body.error.apis).toMatchObject({ status: 'down', paused: { kommo: expect.any(String) } });
    expect(JSON.stringify(paused!.body)).not.toContain(SECRETS.kommoToken);

    // Several probes answered 401 and still nothing failed: the backlog waits.
    await waitFor('three rejected probes', () => h.kommo.calls.filter((c) => c.status === 401).length >= 3);
    expect(await deadLetters(h)).toEqual([]);
    const waiting = await queueOf(h).getJobCounts('completed', 'failed');
    expect(waiting).toEqual({ completed: 0, failed: 0 });
    expect(leads.flatMap((id) => leadNotes(h, id))).toEqual([]);

    h.kommo.setToken(SECRETS.kommoToken);
    await waitFor('every Won note', () => leads.every((id) => leadNotes(h, id).length === 1));
    await waitFor('ready 200 again', async () => (await ready()).status === 200);
    const completed = await completedJobs(h, DEALS);
    expect(await deadLetters(h)).toEqual([]);
    expect(completed.map((j) => j.returnvalue.outcome)).toEqual(leads.map(() => 'synced'));
    expect(Math.max(...completed.map((j) => j.attemptsMade))).toBeLessThanOrEqual(1);
  });
});
