import { emailsOf, fieldValue, mainContactId, primaryEmail } from './kommo-fields';
import type { KommoCustomField, KommoLead } from './kommo.types';

const email = (values: { value: string; enum_code?: string }[]): KommoCustomField => ({
  field_id: 2161203,
  field_name: 'Email',
  field_code: 'EMAIL',
  field_type: 'multitext',
  values: values.map((v) => ({ ...v, enum_id: 4808283 })),
});
const phone: KommoCustomField = {
  field_id: 2161201,
  field_code: 'PHONE',
  field_type: 'multitext',
  values: [{ value: 'x@not-an-email-field.com', enum_code: 'WORK' }],
};

describe('emailsOf', () => {
  it('reads only EMAIL fields, trimmed, skipping blanks', () => {
    const contact = { custom_fields_values: [phone, email([{ value: ' a@x.com ', enum_code: 'PRIV' }, { value: '  ' }])] };
    expect(emailsOf(contact)).toEqual([{ value: 'a@x.com', enumCode: 'PRIV' }]);
  });

  it('copes with custom_fields_values: null (Kommo sends null, not [])', () => {
    expect(emailsOf({ custom_fields_values: null })).toEqual([]);
  });
});

describe('primaryEmail', () => {
  it('prefers the first WORK email over earlier ones', () => {
    const values = [{ value: 'me@home.org', enum_code: 'PRIV' }, { value: ' Work@Acme.com', enum_code: 'WORK' }];
    const contact = { custom_fields_values: [email(values)] };
    expect(primaryEmail(contact)).toBe('Work@Acme.com');
  });

  it('falls back to the first email, and to undefined when there is none', () => {
    expect(primaryEmail({ custom_fields_values: [email([{ value: 'b@y.com', enum_code: 'OTHER' }])] })).toBe('b@y.com');
    expect(primaryEmail({ custom_fields_values: [phone] })).toBeUndefined();
    expect(primaryEmail({ custom_fields_values: null })).toBeUndefined();
  });
});

describe('fieldValue', () => {
  const lead = {
    custom_fields_values: [
      { field_id: 11, field_type: 'select', values: [{ value: 'Growth', enum_id: 908107 }] },
      { field_id: 12, field_type: 'numeric', values: [{ value: 1000 }] },
      { field_id: 13, field_type: 'text', values: [{ value: null }] },
    ],
  };

  it('gives a select field its label and other fields their first value', () => {
    expect(fieldValue(lead, 11)).toBe('Growth');
    expect(fieldValue(lead, 12)).toBe(1000);
  });

  it('is undefined for a missing field, a null value, or no fields at all', () => {
    expect(fieldValue(lead, 99)).toBeUndefined();
    expect(fieldValue(lead, 13)).toBeUndefined();
    expect(fieldValue({ custom_fields_values: null }, 11)).toBeUndefined();
  });
});

describe('mainContactId', () => {
  const withContacts = (contacts?: { id: number; is_main: boolean }[]): Pick<KommoLead, '_embedded'> => ({
    _embedded: contacts ? { contacts } : {},
  });

  it('picks the contact flagged is_main, not the first one', () => {
    expect(mainContactId(withContacts([{ id: 1, is_main: false }, { id: 2, is_main: true }]))).toBe(2);
  });

  it('is undefined when no contact is main, or the lead has none', () => {
    expect(mainContactId(withContacts([{ id: 1, is_main: false }]))).toBeUndefined();
    expect(mainContactId(withContacts())).toBeUndefined();
    expect(mainContactId({})).toBeUndefined();
  });
});
