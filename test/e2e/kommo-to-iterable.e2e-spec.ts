import { Harness, json, kommoForm, startHarness, statusEntry, waitFor } from '../support/harness';

const PIPELINE = { id: 7001, name: 'B2B sales', statuses: [{ id: 301, name: 'Qualified' }, { id: 302, name: 'Negotiation' }] };
const PLAN_FIELD = 900101;
const WORKFLOW = 5551;
const LIST = 7771;

describe('Kommo → Iterable', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({
      KOMMO_PLAN_FIELD_ID: String(PLAN_FIELD),
      ITERABLE_ONBOARDING_WORKFLOW_ID: String(WORKFLOW),
      ITERABLE_CUSTOMERS_LIST_ID: String(LIST),
    });
    h.kommo.addPipeline(PIPELINE);
    h.kommo.addLossReason({ id: 41, name: 'Too expensive' });
    h.iterable.addList(LIST);
  });
  afterAll(() => h.close());

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const iterableBodies = (path: string): any[] => h.iterable.calls.filter((c) => c.path === `/api/${path}` && c.status === 200).map((c) => c.body);
  const leadNotes = (leadId: number) => h.kommo.notes('leads', leadId).map((n: { text?: string; params?: { text: string } }) => n.text ?? n.params?.text);

  function seedLead(opts: { status: number; emails?: { value: string; enum_code: string }[]; lossReason?: number; price?: number }) {
    const main = h.kommo.addContact({ name: 'Ana Lima', first_name: 'Ana', last_name: 'Lima', emails: opts.emails ?? [{ value: 'ana@acme.io', enum_code: 'WORK' }] });
    const other = h.kommo.addContact({ name: 'Bo Other', first_name: 'Bo', last_name: 'Other', emails: [{ value: 'bo@acme.io', enum_code: 'WORK' }] });
    const company = h.kommo.addCompany({ name: 'Acme Ltd' });
    const leadId = h.kommo.addLead({
      name: 'Acme deal',
      price: opts.price ?? 12000,
      status_id: opts.status,
      pipeline_id: PIPELINE.id,
      contacts: [{ id: other, is_main: false }, { id: main, is_main: true }],
      company_id: company,
      loss_reason_id: opts.lossReason,
      closed_at: 1790000000,
      updated_at: 1790000000,
      custom_fields_values: [{ field_id: PLAN_FIELD, field_name: 'Plan', field_type: 'select', values: [{ value: 'growth', enum_id: 11 }] }],
    });
    return { leadId, main, other };
  }

  it('Won: profile, deal_won, onboarding journey, customers list, then a note on the deal', async () => {
    const { leadId } = seedLead({
      status: 142,
      emails: [
        { value: 'ana.private@mail.com', enum_code: 'PRIV' },
        { value: 'Ana@Acme.io', enum_code: 'WORK' },
      ],
    });
    const res = await h.postKommo(kommoForm({ ...statusEntry(0, { id: leadId, status_id: 142, pipeline_id: PIPELINE.id, old_status_id: 302, updated_at: 1790000000 }), 'account[id]': 1 }));
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ enqueued: 1, duplicate: 0, ignored: 0 });

    await waitFor('the Won note', () => leadNotes(leadId).length > 0);
    expect(leadNotes(leadId)).toEqual(['Iterable: user updated, onboarding workflow triggered (plan: growth)']);
    expect(iterableBodies('users/update')).toContainEqual({
      email: 'ana@acme.io',
      dataFields: {
        firstName: 'Ana',
        lastName: 'Lima',
        companyName: 'Acme Ltd',
        plan: 'growth',
        crmDealId: String(leadId),
        dealValue: 12000,
        wonAt: '2026-09-21 14:13:20 +00:00',
        isCustomer: true,
      },
    });
    const won = iterableBodies('events/track').find((b) => b.eventName === 'deal_won' && b.dataFields.deal_id === leadId);
    expect(won).toEqual({ email: 'ana@acme.io', eventName: 'deal_won', id: expect.any(String), createdAt: 1790000000, dataFields: { deal_id: leadId, plan: 'growth', value: 12000 } });
    expect(iterableBodies('workflows/triggerWorkflow')).toContainEqual({ workflowId: WORKFLOW, email: 'ana@acme.io', dataFields: { deal_id: leadId, plan: 'growth' } });
    expect(iterableBodies('lists/subscribe')).toContainEqual({ listId: LIST, subscribers: [{ email: 'ana@acme.io' }] });
    expect(JSON.stringify(h.iterable.calls)).not.toContain('bo@acme.io');
  });

  it('stage change: crm_stage_changed with stage and pipeline names', async () => {
    const { leadId } = seedLead({ status: 302 });
    await h.postKommo(kommoForm(statusEntry(0, { id: leadId, status_id: 302, pipeline_id: PIPELINE.id, old_status_id: 301, updated_at: 1790000100 })));
    const ev = await waitFor('crm_stage_changed', () => iterableBodies('events/track').find((b) => b.eventName === 'crm_stage_changed' && b.dataFields.deal_id === leadId));
    expect(ev).toEqual({
      email: 'ana@acme.io',
      eventName: 'crm_stage_changed',
      id: expect.any(String),
      createdAt: 1790000100,
      dataFields: { stage_id: 302, stage_name: 'Negotiation', deal_id: leadId, pipeline_id: PIPELINE.id, pipeline_name: 'B2B sales', old_stage_id: 301 },
    });
  });

  it('Lost: isCustomer off, churnedAt, and deal_lost with the loss reason name', async () => {
    const { leadId } = seedLead({ status: 143, lossReason: 41 });
    await h.postKommo(kommoForm(statusEntry(0, { id: leadId, status_id: 143, pipeline_id: PIPELINE.id, old_status_id: 302, updated_at: 1790000200 })));
    const ev = await waitFor('deal_lost', () => iterableBodies('events/track').find((b) => b.eventName === 'deal_lost' && b.dataFields.deal_id === leadId));
    expect(ev).toEqual({ email: 'ana@acme.io', eventName: 'deal_lost', id: expect.any(String), createdAt: 1790000200, dataFields: { deal_id: leadId, loss_reason: 'Too expensive' } });
    expect(iterableBodies('users/update')).toContainEqual({ email: 'ana@acme.io', dataFields: { isCustomer: false, churnedAt: '2026-09-21 14:13:20 +00:00' } });
  });

  it('one delivery with three leads of different outcomes, plus kinds that are not synced', async () => {
    const won = seedLead({ status: 142, emails: [{ value: 'three-won@acme.io', enum_code: 'WORK' }] }).leadId;
    const lost = seedLead({ status: 143, emails: [{ value: 'three-lost@acme.io', enum_code: 'WORK' }] }).leadId;
    const moved = seedLead({ status: 301, emails: [{ value: 'three-moved@acme.io', enum_code: 'WORK' }] }).leadId;
    const body = kommoForm({
      ...statusEntry(0, { id: won, status_id: 142, pipeline_id: PIPELINE.id, old_status_id: 302, updated_at: 1790000300 }),
      ...statusEntry(1, { id: lost, status_id: 143, pipeline_id: PIPELINE.id, old_status_id: 302, updated_at: 1790000300 }),
      ...statusEntry(2, { id: moved, status_id: 301, pipeline_id: PIPELINE.id, old_status_id: 302, updated_at: 1790000300 }),
      'task[add][0][id]': 5,
      'task[add][0][text]': 'call back',
      'account[id]': 1,
    });
    const res = await h.postKommo(body);
    expect(await json(res)).toEqual({ enqueued: 3, duplicate: 0, ignored: 1 });
    await waitFor('all three synced', () => {
      const names = iterableBodies('events/track').map((b) => `${b.eventName}:${b.email}`);
      return ['deal_won:three-won@acme.io', 'deal_lost:three-lost@acme.io', 'crm_stage_changed:three-moved@acme.io'].every((n) => names.includes(n));
    });
    await waitFor('won note', () => leadNotes(won).length === 1);
    expect(leadNotes(lost)).toEqual([]);
  });

  it('Won with no email on the main contact: no Iterable call, a note saying why', async () => {
    const { leadId } = seedLead({ status: 142, emails: [] });
    const before = h.iterable.calls.length;
    await h.postKommo(kommoForm(statusEntry(0, { id: leadId, status_id: 142, pipeline_id: PIPELINE.id, old_status_id: 302, updated_at: 1790000400 })));
    await waitFor('the no-email note', () => leadNotes(leadId).length > 0);
    expect(leadNotes(leadId)).toEqual(['Iterable: not synced - the main contact of this deal has no email address']);
    expect(h.iterable.calls.length).toBe(before);
  });

  it('refuses a wrong token (401) and garbage (400); acknowledges unsupported kinds (200, ignored)', async () => {
    expect((await h.postKommo('leads[status][0][id]=1', 'wrong-token-wrong-token')).status).toBe(401);
    const bad = await h.postKommo(kommoForm({ 'leads[status][0][id]': 'abc', 'leads[status][0][status_id]': 142, 'leads[status][0][pipeline_id]': 1 }));
    expect(bad.status).toBe(400);
    expect((await json(bad)).message).toMatch(/leads\[status\]\[0\]\[id\]/);
    const talk = await h.postKommo(kommoForm({ 'talk[add][0][talk_id]': 9, 'account[id]': 1 }));
    expect(talk.status).toBe(200);
    expect(await json(talk)).toEqual({ enqueued: 0, duplicate: 0, ignored: 1 });
  });

  it('refuses deliveries naming another account when KOMMO_ACCOUNT_ID is set', async () => {
    const strict = await startHarness({ KOMMO_ACCOUNT_ID: '32427762' });
    try {
      const res = await strict.postKommo(kommoForm({ ...statusEntry(0, { id: 5, status_id: 142, pipeline_id: 1 }), 'account[id]': 999 }));
      expect(res.status).toBe(403);
      const ok = await strict.postKommo(kommoForm({ 'talk[add][0][talk_id]': 9, 'account[id]': 32427762 }));
      expect(ok.status).toBe(200);
    } finally {
      await strict.close();
    }
  });
});
