import { Harness, kommoForm, SECRETS, startHarness, statusEntry, waitFor } from '../support/harness';
import { dumpPrefix, leakedSecrets } from '../support/secret-scan';
import { PIPELINE, seedWonLeads, WON_NOTE, wonDelivery } from '../support/won-deals';

const basic = (password: string) => `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;

/** A day of traffic, good and bad, at debug level: no configured secret may reach a log line or Redis. */
describe('no secrets in logs', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ LOG_LEVEL: 'debug' }, undefined, (config) => {
      config.jobs.authPauseMs = 200;
    });
  });
  afterAll(() => h.close());

  const leadNotes = (leadId: number) => h.kommo.notes('leads', leadId).map((n) => n.text);

  it('Won, Lost, stage change, unsubscribe, retries, rejected credentials and admin calls leave no secret behind', async () => {
    const [won, lost, moved, unsubscribed] = seedWonLeads(h.kommo, 'logs', 4);
    h.kommo.addLossReason({ id: 61, name: 'No budget' });
    h.kommo.updateLead(lost.leadId, { status_id: 143, loss_reason_id: 61 });
    h.kommo.updateLead(moved.leadId, { status_id: PIPELINE.statuses[0].id });

    // Won whose profile update fails once with a 500: retried, then synced
    h.iterable.failNext({ path: 'users/update' }, [500]);
    expect((await h.postKommo(wonDelivery([won.leadId]))).status).toBe(200);
    await h.postKommo(kommoForm(statusEntry(0, { id: lost.leadId, status_id: 143, pipeline_id: PIPELINE.id, old_status_id: 142, updated_at: 1790000100 })));
    await h.postKommo(kommoForm(statusEntry(0, { id: moved.leadId, status_id: PIPELINE.statuses[0].id, pipeline_id: PIPELINE.id, old_status_id: 142, updated_at: 1790000100 })));
    // the Kommo token rejected once (401) on the unsubscribe's note: paused, then resumed
    h.kommo.failNext({ method: 'POST', pathPrefix: '/api/v4/leads/notes' }, [401]);
    const unsub = await h.postIterable({ email: unsubscribed.email, eventName: 'emailUnSubscribe', dataFields: {} }, `Bearer ${SECRETS.iterableSecret}`);
    expect(unsub.status).toBe(200);

    // refused and malformed requests, on the secret path too
    expect((await h.postKommo(wonDelivery([won.leadId]), 'wrong-token-0123456789abcdef')).status).toBe(401);
    expect((await h.postKommo('leads[status][0][id]=abc&leads[status][0][status_id]=142')).status).toBe(400);
    expect((await h.postKommo('x='.padEnd(2 * 1024 * 1024, 'y'))).status).toBe(413);
    expect((await h.postIterable({ email: 'a@b.c', eventName: 'emailBounce' }, 'Bearer wrong-secret')).status).toBe(401);
    expect((await h.postIterable('{not json')).status).toBe(400);
    expect((await fetch(`${h.url}/admin/queues`, { headers: { authorization: basic('wrong-password') } })).status).toBe(401);
    expect((await fetch(`${h.url}/admin/queues`, { headers: { authorization: basic(SECRETS.adminPassword) } })).status).toBe(200);
    expect((await fetch(`${h.url}/admin/queues/api/queues`, { headers: { authorization: basic(SECRETS.adminPassword) } })).status).toBe(200);
    expect((await fetch(`${h.url}/webhooks/kommo/${SECRETS.webhookToken}/extra?token=${SECRETS.webhookToken}`, { method: 'POST' })).status).toBe(404);

    await waitFor('the Won note', () => leadNotes(won.leadId).length === 1);
    expect(leadNotes(won.leadId)).toEqual([WON_NOTE]);
    await waitFor('deal_lost and crm_stage_changed', () => h.iterable.events('deal_lost').length === 1 && h.iterable.events('crm_stage_changed').length === 1);
    await waitFor('the unsubscribe note after the 401 pause', () => leadNotes(unsubscribed.leadId).includes('Iterable: client unsubscribed from email mailing'));
    await waitFor('the 401 logged', () => h.logs.some((l) => /credentials rejected/.test(l)));
    const ready = await (await fetch(`${h.url}/health/ready`)).text();
    const metrics = await (await fetch(`${h.url}/metrics`)).text();

    const logs = h.logs.join('');
    // the scan only means something if the session was logged in detail
    expect(logs).toMatch(/kommo webhook stored/);
    expect(logs).toMatch(/iterable webhook stored/);
    expect(logs).toMatch(/job lead.won failed/);
    expect(leakedSecrets(logs)).toEqual([]);
    expect(leakedSecrets(ready + metrics)).toEqual([]);
    expect(leakedSecrets(await dumpPrefix(h.redis, h.config.queuePrefix))).toEqual([]);
  });
});
