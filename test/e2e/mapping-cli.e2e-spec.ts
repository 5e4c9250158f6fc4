import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { runMappingCheck } from '../../src/cli/mapping-check';
import { runMappingPreview } from '../../src/cli/mapping-preview';
import { IterableSimulator } from '../simulators/iterable.simulator';
import { KommoSimulator } from '../simulators/kommo.simulator';
import { REDIS_URL, SECRETS } from '../support/harness';

const PIPELINE = { id: 7301, name: 'B2C', statuses: [{ id: 331, name: 'Trial' }] };
const F = { plan: 920001, industry: 920002, seats: 920003, trial: 920004 };
const MAPPING = `
plan_field_id: ${F.plan}
fields:
  - { to: industry, type: string, field_id: ${F.industry} }
  - { to: seats, type: number, field_id: ${F.seats} }
  - { to: hasTrial, type: boolean, field_id: ${F.trial} }
  - { to: salesPipeline, type: string, builtin: pipeline_name }
pipelines:
  ${PIPELINE.id}: { onboarding_workflow_id: 6101, customers_list_id: 8101 }
notes:
  won_with_workflow: "Iterable: usuario actualizado (plan: {plan})"
`;

describe('mapping:preview and mapping:check', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kis-mapping-cli-'));
  const kommo = new KommoSimulator({ token: SECRETS.kommoToken });
  const iterable = new IterableSimulator({ apiKey: SECRETS.iterableKey });
  const prefix = `kis-test-cli-${randomBytes(4).toString('hex')}`;
  const redis = new Redis(REDIS_URL);
  let env: Record<string, string>;
  let good: number;
  let noEmail: number;

  beforeAll(async () => {
    writeFileSync(join(dir, 'good.yml'), MAPPING);
    writeFileSync(join(dir, 'bad.yml'), 'fields:\n  - { to: dealValue, type: money, field_id: 1 }\n');
    env = {
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      KOMMO_BASE_URL: await kommo.start(),
      KOMMO_ACCESS_TOKEN: SECRETS.kommoToken,
      KOMMO_WEBHOOK_TOKEN: SECRETS.webhookToken,
      ITERABLE_BASE_URL: await iterable.start(),
      ITERABLE_API_KEY: SECRETS.iterableKey,
      ITERABLE_WEBHOOK_SECRET: SECRETS.iterableSecret,
      SYNC_CONFIG_PATH: join(dir, 'good.yml'),
    };
    kommo.addPipeline(PIPELINE);
    const lead = (email: string | undefined) =>
      kommo.addLead({
        name: 'Preview deal',
        price: 4900,
        status_id: 142,
        pipeline_id: PIPELINE.id,
        closed_at: 1790000000,
        contacts: [{ id: kommo.addContact({ name: 'Eva Ruiz', first_name: 'Eva', last_name: 'Ruiz', emails: email ? [{ value: email }] : [] }), is_main: true }],
        custom_fields_values: [
          { field_id: F.plan, field_type: 'select', values: [{ value: 'starter', enum_id: 1 }] },
          { field_id: F.industry, field_type: 'select', values: [{ value: 'Retail', enum_id: 2 }] },
          { field_id: F.seats, field_type: 'numeric', values: [{ value: '12' }] },
          { field_id: F.trial, field_type: 'checkbox', values: [{ value: true }] },
        ],
      });
    good = lead('eva@shop.io');
    noEmail = lead(undefined);
  });
  afterAll(async () => {
    await kommo.stop();
    await iterable.stop();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  function capture() {
    const out: string[] = [];
    const err: string[] = [];
    return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
  }

  it('preview prints the exact requests a Won would send, and sends nothing', async () => {
    const { io, out, err } = capture();
    expect(await runMappingPreview(['--lead', String(good), '--json'], env, io)).toBe(0);
    expect(err).toEqual([]);
    const printed = JSON.parse(out.join('\n'));
    expect(printed.requests).toEqual([
      {
        method: 'POST',
        path: '/api/users/update',
        body: {
          email: 'eva@shop.io',
          dataFields: {
            firstName: 'Eva',
            lastName: 'Ruiz',
            plan: 'starter',
            crmDealId: String(good),
            dealValue: 4900,
            wonAt: '2026-09-21 14:13:20 +00:00',
            isCustomer: true,
            industry: 'Retail',
            seats: 12,
            hasTrial: true,
            salesPipeline: 'B2C',
          },
        },
      },
      {
        method: 'POST',
        path: '/api/events/track',
        body: { email: 'eva@shop.io', eventName: 'deal_won', id: expect.any(String), createdAt: 1790000000, dataFields: { deal_id: good, plan: 'starter', value: 4900 } },
      },
      { method: 'POST', path: '/api/workflows/triggerWorkflow', body: { workflowId: 6101, email: 'eva@shop.io', dataFields: { deal_id: good, plan: 'starter' } } },
      { method: 'POST', path: '/api/lists/subscribe', body: { listId: 8101, subscribers: [{ email: 'eva@shop.io' }] } },
    ]);
    expect(printed.note).toBe('Iterable: usuario actualizado (plan: starter)');
    expect(iterable.calls).toEqual([]);
    expect(kommo.calls.filter((c) => c.method !== 'GET')).toEqual([]);

    const text = capture();
    expect(await runMappingPreview(['--lead', String(good)], env, text.io)).toBe(0);
    const lines = text.out.join('\n');
    expect(lines).toContain(`POST /api/users/update\n{\n  "email": "eva@shop.io",`);
    expect(lines).toContain('"seats": 12,');
    expect(lines).toContain('# then a note on the lead in Kommo: Iterable: usuario actualizado (plan: starter)');
  });

  it('preview exits 1 with the reason for a lead without email, an invalid mapping or an unknown lead; 2 without --lead', async () => {
    const a = capture();
    expect(await runMappingPreview(['--lead', String(noEmail)], env, a.io)).toBe(1);
    expect(a.err.join('\n')).toContain(`lead ${noEmail}: its main contact has no email`);
    expect(a.out).toEqual([]);

    const b = capture();
    expect(await runMappingPreview(['--lead', String(good)], { ...env, SYNC_CONFIG_PATH: join(dir, 'bad.yml') }, b.io)).toBe(1);
    expect(b.err.join('\n')).toContain(`SYNC_CONFIG_PATH (${join(dir, 'bad.yml')}): fields[0].to (line 2): "dealValue" is reserved`);
    expect(b.err.join('\n')).toContain('fields[0].type (line 2): unknown type "money"');

    const c = capture();
    expect(await runMappingPreview(['--lead', '999999'], env, c.io)).toBe(1);
    expect(c.err.join('\n')).toMatch(/lead 999999: .*not found/i);
    expect(c.err.join('\n')).not.toContain(SECRETS.kommoToken);

    expect(await runMappingPreview([], env, capture().io)).toBe(2);
  });

  it('`npm run mapping:preview` exits 1 for a lead without email', async () => {
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = execFile('npm', ['run', '--silent', 'mapping:preview', '--', '--lead', String(noEmail)], { env: { ...process.env, ...env }, cwd: join(__dirname, '../..') }, (e, _out, stderr) =>
        resolve({ code: e ? ((e as { code?: number }).code ?? null) : 0, stderr }),
      );
      child.stdin?.end();
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('its main contact has no email');
  });

  it('check reports fields whose declared type differs from the one Iterable fixed', async () => {
    // Fix the types as an earlier, careless integration would have: seats as text.
    const res = await fetch(`${env.ITERABLE_BASE_URL}/users/update`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'api-key': SECRETS.iterableKey },
      body: JSON.stringify({ email: 'old@shop.io', dataFields: { seats: '12', hasTrial: false, dealValue: 10 } }),
    });
    expect(res.status).toBe(200);
    const { io, out } = capture();
    expect(await runMappingCheck(env, io)).toBe(1);
    const lines = out.join('\n');
    expect(lines).toMatch(/^MISMATCH {2}seats +number +mapped +Iterable: string\. Iterable will reject every users\/update carrying seats/m);
    expect(lines).toMatch(/^ok {8}hasTrial +boolean +mapped +Iterable: boolean$/m);
    expect(lines).toMatch(/^ok {8}dealValue +number +built-in +Iterable: long$/m);
    expect(lines).toMatch(/^new {7}industry +string +mapped +not in Iterable yet/m);
    expect(lines).toContain('13 fields: 2 ok, 10 new, 1 mismatched');

    const clean = capture();
    expect(await runMappingCheck({ ...env, SYNC_CONFIG_PATH: '' }, clean.io)).toBe(0);
    expect(clean.out.join('\n')).toContain('9 fields: 1 ok, 8 new, 0 mismatched');
  });
});
