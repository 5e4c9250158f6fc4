import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KommoCustomField } from '../../src/kommo/kommo.types';
import { QUEUES } from '../../src/sync/jobs';
import { Harness, kommoForm, startHarness, statusEntry, waitFor } from '../support/harness';

const B2C = { id: 7201, name: 'B2C', statuses: [{ id: 301, name: 'Trial' }, { id: 302, name: 'Checkout' }] };
const B2B = { id: 7202, name: 'B2B', statuses: [{ id: 311, name: 'Demo' }] };
const PARTNERS = { id: 7203, name: 'Partners', statuses: [{ id: 321, name: 'Intro' }] };
const F = { plan: 900101, industry: 910001, modules: 910002, renewal: 910003, seats: 910004, trial: 910005 };

const MAPPING = `
plan_field_id: ${F.plan}
fields:
  - { to: industry, type: string, field_id: ${F.industry} }
  - { to: modules, type: "string[]", field_id: ${F.modules} }
  - { to: renewalDate, type: date, field_id: ${F.renewal} }
  - { to: seats, type: number, field_id: ${F.seats} }
  - { to: hasTrial, type: boolean, field_id: ${F.trial} }
  - { to: mobilePhone, type: string, entity: contact, field_code: PHONE, enum_code: MOB }
  - { to: salesPipeline, type: string, builtin: pipeline_name }
pipelines:
  ${B2C.id}: { onboarding_workflow_id: 6001, customers_list_id: 8001, stage_events: [301] }
  ${B2B.id}: { onboarding_workflow_id: 6002 }
notes:
  won_with_workflow: "Iterable: usuario actualizado, flujo de bienvenida iniciado (plan: {plan})"
  no_email: "Iterable: no sincronizado - el contacto principal de este trato no tiene email"
  email_bounced: "Iterable: el email rebotó ({reason}) - verifique la dirección"
`;

type Raw = { industry?: string; modules?: string[]; renewal?: number | string; seats?: number | string; trial?: boolean | string };

function fields(raw: Raw): KommoCustomField[] {
  const one = (field_id: number, field_type: string, value: unknown) => ({ field_id, field_type, values: [{ value }] }) as KommoCustomField;
  const out = [one(F.plan, 'select', 'growth')];
  if (raw.industry) out.push(one(F.industry, 'select', raw.industry));
  if (raw.modules) out.push({ field_id: F.modules, field_type: 'multiselect', values: raw.modules.map((value, i) => ({ value, enum_id: 50 + i })) });
  if (raw.renewal !== undefined) out.push(one(F.renewal, 'date', raw.renewal));
  if (raw.seats !== undefined) out.push(one(F.seats, 'numeric', raw.seats));
  if (raw.trial !== undefined) out.push(one(F.trial, 'checkbox', raw.trial));
  return out;
}

describe('Mapping file: typed extra fields, per-pipeline journeys, stage filter, note language', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kis-mapping-e2e-'));
  let h: Harness;
  let at = 1790000000;

  beforeAll(async () => {
    writeFileSync(join(dir, 'sync-config.yml'), MAPPING);
    h = await startHarness({ SYNC_CONFIG_PATH: join(dir, 'sync-config.yml'), ITERABLE_ONBOARDING_WORKFLOW_ID: '5551', ITERABLE_CUSTOMERS_LIST_ID: '7771' });
    for (const p of [B2C, B2B, PARTNERS]) h.kommo.addPipeline(p);
    for (const list of [8001, 7771]) h.iterable.addList(list);
  });
  afterAll(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const sent = (path: string): any[] => h.iterable.calls.filter((c) => c.path === `/api/${path}` && c.status === 200).map((c) => c.body);
  const leadNotes = (id: number) => h.kommo.notes('leads', id).map((n) => n.text);

  function seedLead(email: string | undefined, raw: Raw, pipeline = B2C, status = 142) {
    const contact = h.kommo.addContact({
      name: 'Ana Lima',
      first_name: 'Ana',
      last_name: 'Lima',
      emails: email ? [{ value: email, enum_code: 'WORK' }] : [],
      phones: [{ value: '+34 911 000 222', enum_code: 'WORK' }, { value: '+34 600 000 111', enum_code: 'MOB' }],
    });
    at += 100;
    const leadId = h.kommo.addLead({
      name: 'Deal',
      price: 9900,
      status_id: status,
      pipeline_id: pipeline.id,
      contacts: [{ id: contact, is_main: true }],
      custom_fields_values: fields(raw),
      updated_at: at,
      closed_at: at,
    });
    return { leadId, entry: (i: number, statusId = status) => statusEntry(i, { id: leadId, status_id: statusId, pipeline_id: pipeline.id, old_status_id: 301, updated_at: at }) };
  }

  async function won(email: string | undefined, raw: Raw, pipeline = B2C) {
    const { leadId, entry } = seedLead(email, raw, pipeline);
    expect((await h.postKommo(kommoForm(entry(0)))).status).toBe(200);
    await waitFor(`the Won note on lead ${leadId}`, () => leadNotes(leadId).length > 0);
    return leadId;
  }

  it('sends select, multiselect, date, numeric and checkbox fields with their declared JSON types; a second update is accepted', async () => {
    const first = await won('typed@acme.io', { industry: 'Retail', modules: ['CRM', 'Email'], renewal: 1800000000, seats: '25', trial: true });
    expect(sent('users/update')).toContainEqual({
      email: 'typed@acme.io',
      dataFields: {
        firstName: 'Ana',
        lastName: 'Lima',
        plan: 'growth',
        crmDealId: String(first),
        dealValue: 9900,
        wonAt: expect.stringMatching(/^2026-09-21 \d\d:\d\d:\d\d \+00:00$/),
        isCustomer: true,
        industry: 'Retail',
        modules: ['CRM', 'Email'],
        renewalDate: '2027-01-15 08:00:00 +00:00',
        seats: 25,
        hasTrial: true,
        mobilePhone: '+34 600 000 111',
        salesPipeline: 'B2C',
      },
    });
    expect(h.iterable.fieldTypes()).toMatchObject({ industry: 'string', modules: 'array', renewalDate: 'date', seats: 'long', hasTrial: 'boolean' });

    // Kommo's other spellings of the same types: a fractional number, "0" for a checkbox, a date as a string.
    await won('typed@acme.io', { industry: 'Health', modules: ['SMS'], renewal: '1810000000', seats: '40.5', trial: '0' });
    expect(h.iterable.calls.filter((c) => c.path === '/api/users/update' && c.status !== 200)).toEqual([]);
    expect(h.iterable.user('typed@acme.io')?.dataFields).toMatchObject({
      industry: 'Health',
      modules: ['SMS'],
      renewalDate: '2027-05-11 01:46:40 +00:00',
      seats: 40.5,
      hasTrial: false,
    });
  });

  it('leaves out a value that cannot be coerced, reports it in the log and the metric, and sends the rest', async () => {
    const leadId = await won('dropped@acme.io', { industry: 'Retail', seats: 'lots', trial: '1' });
    const body = sent('users/update').find((b) => b.email === 'dropped@acme.io');
    expect(body.dataFields).toMatchObject({ crmDealId: String(leadId), industry: 'Retail', hasTrial: true, isCustomer: true });
    expect(body.dataFields).not.toHaveProperty('seats');
    expect(h.logs.join('')).toContain('mapped field seats left out of the Iterable update: \\"lots\\" is not a number');
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).toContain('kis_mapping_dropped_total{field="seats"} 1');
    expect(metrics).toContain('kis_mapping_dropped_total{field="industry"} 0');
  });

  it("starts each pipeline's own workflow and list; a pipeline without its own gets the environment's", async () => {
    const leads = [seedLead('b2c@acme.io', {}, B2C), seedLead('b2b@acme.io', {}, B2B), seedLead('partner@acme.io', {}, PARTNERS)];
    await h.postKommo(kommoForm(Object.assign({}, ...leads.map((l, i) => l.entry(i)))));
    await waitFor('three Won notes', () => leads.every((l) => leadNotes(l.leadId).length > 0));
    const triggers = sent('workflows/triggerWorkflow').filter((b) => /^(b2c|b2b|partner)@/.test(b.email));
    expect(triggers.map((b) => [b.email, b.workflowId]).sort()).toEqual([
      ['b2b@acme.io', 6002],
      ['b2c@acme.io', 6001],
      ['partner@acme.io', 5551],
    ]);
    expect(h.iterable.subscriptions(8001).map((s) => s.email)).toContain('b2c@acme.io');
    expect(h.iterable.subscriptions(7771).map((s) => s.email).sort()).toEqual(['b2b@acme.io', 'partner@acme.io']);
  });

  it('tracks crm_stage_changed only for the configured stages', async () => {
    const tracked = seedLead('stages@acme.io', {}, B2C, 301);
    const untracked = seedLead('stages@acme.io', {}, B2C, 302);
    await h.postKommo(kommoForm({ ...tracked.entry(0), ...untracked.entry(1) }));
    await waitFor('crm_stage_changed for stage 301', () => sent('events/track').some((b) => b.eventName === 'crm_stage_changed' && b.dataFields.deal_id === tracked.leadId));
    const queue = h.app.get<Queue>(getQueueToken(QUEUES.kommoToIterable));
    const done = await waitFor('the stage-302 job', async () => (await queue.getJobs(['completed'])).find((j) => j.data.leadId === untracked.leadId));
    expect(done?.returnvalue).toEqual({ outcome: 'skipped', reason: `stage 302 of pipeline ${B2C.id} is not tracked (stage_events in the mapping file)` });
    expect(sent('events/track').filter((b) => b.dataFields.deal_id === untracked.leadId)).toEqual([]);
  });

  it('writes notes in the configured language, and the defaults for notes left unconfigured', async () => {
    const wonLead = await won('notas@acme.io', {});
    expect(leadNotes(wonLead)).toEqual(['Iterable: usuario actualizado, flujo de bienvenida iniciado (plan: growth)']);
    const noEmail = await won(undefined, {});
    expect(leadNotes(noEmail)).toEqual(['Iterable: no sincronizado - el contacto principal de este trato no tiene email']);

    const event = (eventName: string, extra: Record<string, unknown>) => ({
      email: 'notas@acme.io',
      eventName,
      dataFields: { email: 'notas@acme.io', createdAt: '2026-11-20 10:15:00 +00:00', messageId: `m-${eventName}`, campaignId: 12, ...extra },
    });
    expect((await h.postIterable(event('emailBounce', { recipientState: 'HardBounce' }))).status).toBe(200);
    expect((await h.postIterable(event('emailComplaint', {}))).status).toBe(200);
    await waitFor('two Iterable notes', () => leadNotes(wonLead).length === 3);
    expect(leadNotes(wonLead).slice(1).sort()).toEqual(['Iterable: client marked the email as spam', 'Iterable: el email rebotó (HardBounce) - verifique la dirección']);
  });
});
