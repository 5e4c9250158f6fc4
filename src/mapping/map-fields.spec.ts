import { parseSyncConfig } from '../config/sync-config';
import type { FieldMapping } from '../config/sync-config.types';
import type { KommoCompany, KommoContact, KommoLead } from '../kommo/kommo.types';
import { mapFields, sourcesNeeded, type MappingInput } from './map-fields';

function mappings(yaml: string): FieldMapping[] {
  const r = parseSyncConfig(`fields:\n${yaml}`);
  if (!('config' in r)) throw new Error(r.problems.join('\n'));
  return r.config.fields;
}

const lead: MappingInput['lead'] = {
  id: 501,
  name: 'Acme renewal',
  price: 12000,
  status_id: 142,
  pipeline_id: 7001,
  responsible_user_id: 10072086,
  created_at: 1789000000,
  updated_at: 1790000000,
  closed_at: 1790000000,
  custom_fields_values: [
    { field_id: 11, field_name: 'Industry', field_type: 'select', values: [{ value: 'Retail', enum_id: 3 }] },
    { field_id: 12, field_name: 'Modules', field_type: 'multiselect', values: [{ value: 'CRM', enum_id: 4 }, { value: 'Email', enum_id: 5 }] },
    { field_id: 13, field_name: 'Seats', field_type: 'numeric', values: [{ value: '25' }] },
    { field_id: 14, field_name: 'Renewal', field_type: 'date', values: [{ value: 1800000000 }] },
    { field_id: 15, field_name: 'Trial', field_type: 'checkbox', values: [{ value: true }] },
    { field_id: 16, field_name: 'utm_source', field_code: 'UTM_SOURCE', field_type: 'tracking_data', values: [{ value: 'google' }] },
  ],
  _embedded: { tags: [{ id: 1, name: 'vip' }, { id: 2, name: 'upsell' }] },
} as KommoLead;
const contact = {
  id: 601,
  name: 'Ana Lima',
  updated_at: 1,
  custom_fields_values: [
    { field_id: 2, field_code: 'PHONE', field_type: 'multitext', values: [{ value: '+34 911', enum_code: 'WORK' }, { value: '+34 600', enum_code: 'MOB' }] },
  ],
} as KommoContact;
const company = { id: 701, name: 'Acme', custom_fields_values: [{ field_id: 3, field_code: 'WEB', values: [{ value: 'acme.io' }] }] } as KommoCompany;

describe('mapFields', () => {
  it('maps lead select, multiselect, numeric, date and checkbox fields to their declared JSON types', () => {
    const m = mappings(`
  - { to: industry, type: string, field_id: 11 }
  - { to: modules, type: "string[]", field_id: 12 }
  - { to: seats, type: number, field_id: 13 }
  - { to: renewalDate, type: date, field_id: 14 }
  - { to: hasTrial, type: boolean, field_id: 15 }
  - { to: firstModule, type: string, field_id: 12 }
`);
    expect(mapFields(m, { lead })).toEqual({
      dataFields: { industry: 'Retail', modules: ['CRM', 'Email'], seats: 25, renewalDate: '2027-01-15 08:00:00 +00:00', hasTrial: true, firstModule: 'CRM' },
      dropped: [],
    });
  });

  it('reads the main contact and the company by field_code, with an enum_code filter for tagged values', () => {
    const m = mappings(`
  - { to: phones, type: "string[]", entity: contact, field_code: PHONE }
  - { to: mobile, type: string, entity: contact, field_code: phone, enum_code: mob }
  - { to: website, type: string, entity: company, field_code: WEB }
`);
    expect(mapFields(m, { lead, contact, company }).dataFields).toEqual({ phones: ['+34 911', '+34 600'], mobile: '+34 600', website: 'acme.io' });
    expect(mapFields(m, { lead }).dataFields).toEqual({});
  });

  it('maps built-ins: tags, responsible user, pipeline, price, dates, UTM fields', () => {
    const m = mappings(`
  - { to: dealTags, type: "string[]", builtin: tags }
  - { to: firstTag, type: string, builtin: tags }
  - { to: ownerId, type: number, builtin: responsible_user_id }
  - { to: pipelineId, type: string, builtin: pipeline_id }
  - { to: pipeline, type: string, builtin: pipeline_name }
  - { to: dealName, type: string, builtin: lead_name }
  - { to: amount, type: number, builtin: price }
  - { to: createdOn, type: date, builtin: created_at }
  - { to: closedTs, type: number, builtin: closed_at }
  - { to: utmSource, type: string, builtin: utm_source }
  - { to: utmMedium, type: string, builtin: utm_medium }
`);
    expect(mapFields(m, { lead, pipelineName: 'B2C' }).dataFields).toEqual({
      dealTags: ['vip', 'upsell'],
      firstTag: 'vip',
      ownerId: 10072086,
      pipelineId: '7001',
      pipeline: 'B2C',
      dealName: 'Acme renewal',
      amount: 12000,
      createdOn: '2026-09-10 00:26:40 +00:00',
      closedTs: 1790000000,
      utmSource: 'google',
    });
  });

  it('leaves out a value that cannot be coerced and reports it, keeping the rest', () => {
    const bad = { ...lead, custom_fields_values: [{ field_id: 13, values: [{ value: 'lots' }] }, { field_id: 11, values: [{ value: 'Retail' }] }] } as KommoLead;
    const m = mappings(`
  - { to: seats, type: number, field_id: 13 }
  - { to: industry, type: string, field_id: 11 }
  - { to: industryFlag, type: boolean, field_id: 11 }
`);
    expect(mapFields(m, { lead: bad })).toEqual({
      dataFields: { industry: 'Retail' },
      dropped: [
        { field: 'seats', reason: '"lots" is not a number' },
        { field: 'industryFlag', reason: '"Retail" is not a boolean (expected true/false, 1/0, yes/no)' },
      ],
    });
  });

  it('says which extra Kommo reads a mapping needs', () => {
    expect(sourcesNeeded(mappings('  - { to: a, type: string, field_id: 1 }'))).toEqual({ company: false, pipelineName: false });
    expect(sourcesNeeded(mappings('  - { to: a, type: string, entity: company, field_id: 1 }\n  - { to: b, type: string, builtin: pipeline_name }'))).toEqual({
      company: true,
      pipelineName: true,
    });
  });
});
