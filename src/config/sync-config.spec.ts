import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './config';
import { loadSyncConfig, parseSyncConfig } from './sync-config';

const problems = (yaml: string): string[] => {
  const r = parseSyncConfig(yaml);
  if ('config' in r) throw new Error('expected problems');
  return r.problems;
};
const field = (to: unknown, more = 'type: string\n    field_id: 11') => `fields:\n  - to: ${JSON.stringify(to)}\n    ${more}\n`;

describe('mapping file validation', () => {
  it('accepts the commented example shipped at the repo root', () => {
    const r = loadSyncConfig(join(__dirname, '../../sync-config.example.yml'));
    if (!('config' in r)) throw new Error(r.problems.join('\n'));
    expect(r.config.fields.length).toBeGreaterThan(10);
    expect(r.config.fields).toContainEqual({ to: 'mobilePhone', type: 'string', source: { kind: 'custom', entity: 'contact', fieldCode: 'PHONE', enumCode: 'MOB' } });
    expect(r.config.fields).toContainEqual({ to: 'utmSource', type: 'string', source: { kind: 'custom', entity: 'lead', fieldCode: 'UTM_SOURCE' } });
    expect(r.config.pipelines[7002]).toEqual({ onboardingWorkflowId: 6002, customersListId: null, stageEvents: [301, 302] });
    expect(r.config.notes.wonWithWorkflow).toContain('{plan}');
  });

  it('an empty file is valid and changes nothing', () => {
    expect(parseSyncConfig('')).toEqual({ config: { fields: [], stageEvents: 'all', pipelines: {}, notes: {} } });
  });

  it('names the path, the line and the reason of an unknown type', () => {
    expect(problems('fields:\n  - to: seats\n    type: int\n    field_id: 5\n')).toEqual([
      'fields[0].type (line 3): unknown type "int" (expected one of string, number, boolean, date, string[])',
    ]);
  });

  it('refuses duplicate targets and names the first one', () => {
    const yaml = 'fields:\n  - { to: seats, type: number, field_id: 1 }\n  - { to: seats, type: string, field_id: 2 }\n';
    expect(problems(yaml)).toEqual(['fields[1].to (line 3): duplicate target "seats" (also fields[0].to)']);
  });

  it.each([
    ['plan', '"plan" is reserved: the built-in Won/Lost sync writes it'],
    ['isCustomer', '"isCustomer" is reserved: the built-in Won/Lost sync writes it'],
    ['email', '"email" is reserved: the built-in Won/Lost sync writes it'],
    ['signupDate', '"signupDate" is reserved: Iterable maintains it'],
  ])('refuses the reserved target %s', (to, message) => {
    expect(problems(field(to))).toEqual([`fields[0].to (line 2): ${message}`]);
  });

  it.each([
    ['is all digits, which Iterable refuses', '12345'],
    ['starts with "_", which Iterable refuses', '_secret'],
    ['contains "," or "#", which Iterable refuses', 'a,b'],
    ['contains "," or "#", which Iterable refuses', 'tier#2'],
    ['contains "." (a nested field), which this mapping does not support: use a flat name', 'company.size'],
    ['is empty', ''],
    ['has leading or trailing spaces (Iterable names are space-sensitive)', ' seats'],
    ['is longer than 128 characters', 'x'.repeat(129)],
  ])('refuses a name that %s', (reason, to) => {
    expect(problems(field(to))).toEqual([`fields[0].to (line 2): ${JSON.stringify(to)} ${reason}`]);
  });

  it('accepts a 128-character name', () => {
    expect('config' in parseSyncConfig(field('x'.repeat(128)))).toBe(true);
  });

  it('checks sources: exactly one, a known built-in, a type that fits it, a known entity', () => {
    expect(problems(field('a', 'type: string'))).toEqual(['fields[0] (line 2): needs a source: field_id, field_code or builtin']);
    expect(problems(field('a', 'type: string\n    field_id: 1\n    field_code: X'))).toEqual(['fields[0] (line 2): give only one of field_id, field_code']);
    expect(problems(field('a', 'type: string\n    builtin: owner'))[0]).toMatch(/^fields\[0\]\.builtin \(line 4\): unknown built-in "owner" \(expected one of tags, /);
    expect(problems(field('a', 'type: boolean\n    builtin: created_at'))).toEqual(['fields[0].type (line 3): built-in created_at cannot be sent as boolean (use date or number)']);
    expect(problems(field('a', 'type: string\n    entity: deal\n    field_id: 1'))).toEqual(['fields[0].entity (line 4): unknown entity "deal" (expected one of lead, contact, company)']);
    expect(problems(field('a', 'type: string\n    field_id: -4'))).toEqual(['fields[0].field_id (line 4): must be a positive integer, got -4']);
  });

  it('reports misspelt keys instead of ignoring them', () => {
    expect(problems(field('a', 'type: string\n    feild_id: 1\n    field_id: 2'))).toEqual([
      'fields[0].feild_id (line 4): unknown key (expected one of to, type, entity, field_id, field_code, enum_code, builtin)',
    ]);
    expect(problems('fieldz: []\n')[0]).toMatch(/^fieldz \(line 1\): unknown key/);
  });

  it('checks pipelines, stage events and note templates', () => {
    const yaml = [
      'pipelines:',
      '  7001:',
      '    onboarding_workflow_id: abc',
      '    stage_events: [301, Negotiation]',
      '  b2b:',
      '    customers_list_id: 5',
      'notes:',
      '  won_with_workflow: "Iterable: {plann}"',
      '  no_email: "sin email {plan}"',
      '  goodbye: "adiós"',
    ].join('\n');
    expect(problems(yaml)).toEqual([
      'pipelines.7001.onboarding_workflow_id (line 3): must be a positive integer id, got "abc"',
      'pipelines.7001.stage_events (line 4): must be all, none or a list of status ids, got [301,"Negotiation"]',
      'pipelines.b2b (line 6): "b2b" is not a pipeline id (a positive integer)',
      'notes.won_with_workflow (line 8): unknown placeholder {plann} (this note can use {plan})',
      'notes.no_email (line 9): unknown placeholder {plan} (this note takes no placeholders)',
      expect.stringMatching(/^notes\.goodbye \(line 10\): unknown note \(expected one of won_with_workflow, .*journey_milestone.*\)$/),
    ]);
  });

  it('reports YAML syntax errors with their position', () => {
    expect(problems('fields:\n  - to: a\n  - to: b\nfields: []\n')).toEqual(['line 4, column 1: Map keys must be unique']);
  });
});

describe('loadConfig with SYNC_CONFIG_PATH', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kis-sync-config-'));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const env = {
    KOMMO_BASE_URL: 'https://acme.kommo.com',
    KOMMO_ACCESS_TOKEN: 'token',
    KOMMO_WEBHOOK_TOKEN: 'a-webhook-token-of-length',
    ITERABLE_API_KEY: 'key',
    ITERABLE_WEBHOOK_SECRET: 'secret-123',
  };

  it('throws a ConfigError naming SYNC_CONFIG_PATH, the file, the path in it and the reason', () => {
    const path = file('bad.yml', 'fields:\n  - to: plan\n    type: text\n    field_id: 9\n');
    const load = () => loadConfig({ ...env, SYNC_CONFIG_PATH: path });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(`SYNC_CONFIG_PATH (${path}): fields[0].to (line 2): "plan" is reserved`);
    expect(load).toThrow(`SYNC_CONFIG_PATH (${path}): fields[0].type (line 3): unknown type "text"`);
  });

  it('names a missing file', () => {
    expect(() => loadConfig({ ...env, SYNC_CONFIG_PATH: join(dir, 'nope.yml') })).toThrow(/SYNC_CONFIG_PATH \(.*nope\.yml\): cannot read the file \(ENOENT\)/);
  });

  it('exposes the mapping; environment variables win over the file, the file fills what they leave unset', () => {
    const path = file('ok.yml', 'plan_field_id: 11\ncompany_field_id: 12\nonboarding_workflow_id: 13\ncustomers_list_id: 14\n');
    const fromFile = loadConfig({ ...env, SYNC_CONFIG_PATH: path });
    expect(fromFile.mapping).toMatchObject({ fields: [], stageEvents: 'all' });
    expect(fromFile.kommo).toMatchObject({ planFieldId: 11, companyFieldId: 12 });
    expect(fromFile.iterable).toMatchObject({ onboardingWorkflowId: 13, customersListId: 14 });
    const overridden = loadConfig({
      ...env,
      SYNC_CONFIG_PATH: path,
      KOMMO_PLAN_FIELD_ID: '21',
      KOMMO_COMPANY_FIELD_ID: '22',
      ITERABLE_ONBOARDING_WORKFLOW_ID: '23',
      ITERABLE_CUSTOMERS_LIST_ID: '24',
    });
    expect(overridden.kommo).toMatchObject({ planFieldId: 21, companyFieldId: 22 });
    expect(overridden.iterable).toMatchObject({ onboardingWorkflowId: 23, customersListId: 24 });
  });

  it('leaves mapping undefined without SYNC_CONFIG_PATH', () => {
    expect(loadConfig(env).mapping).toBeUndefined();
  });
});
