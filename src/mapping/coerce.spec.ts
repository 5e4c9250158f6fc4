import { coerce } from './coerce';

const value = (values: unknown[], type: Parameters<typeof coerce>[1]) => {
  const r = coerce(values, type);
  if (!r?.ok) throw new Error(`expected a value, got ${JSON.stringify(r)}`);
  return r.value;
};
const reason = (values: unknown[], type: Parameters<typeof coerce>[1]) => {
  const r = coerce(values, type);
  if (!r || r.ok) throw new Error(`expected a drop, got ${JSON.stringify(r)}`);
  return r.reason;
};

describe('coerce', () => {
  it('sends nothing for no value, null or blanks, whatever the type', () => {
    for (const type of ['string', 'number', 'boolean', 'date', 'string[]'] as const) {
      expect(coerce([], type)).toBeUndefined();
      expect(coerce([null, undefined, '', '  '], type)).toBeUndefined();
    }
  });

  it('string: text as is, numbers and booleans as their text, the first value of several', () => {
    expect(value(['Retail'], 'string')).toBe('Retail');
    expect(value([' padded '], 'string')).toBe(' padded ');
    expect(value([42], 'string')).toBe('42');
    expect(value([true], 'string')).toBe('true');
    expect(value(['+34 600 1', '+34 600 2'], 'string')).toBe('+34 600 1');
    expect(reason([{ a: 1 }], 'string')).toBe('{"a":1} is not a string');
  });

  it('number: Kommo numbers-as-strings become JSON numbers; anything else is dropped', () => {
    expect(value(['25'], 'number')).toBe(25);
    expect(value([' 12.5 '], 'number')).toBe(12.5);
    expect(value(['-3'], 'number')).toBe(-3);
    expect(value(['1e3'], 'number')).toBe(1000);
    expect(value([7], 'number')).toBe(7);
    expect(reason(['lots'], 'number')).toBe('"lots" is not a number');
    expect(reason(['1,5'], 'number')).toBe('"1,5" is not a number');
    expect(reason(['12abc'], 'number')).toBe('"12abc" is not a number');
    expect(reason([true], 'number')).toBe('true is not a number');
    expect(reason([Number.NaN], 'number')).toBe('NaN is not a number');
  });

  it('boolean: true/false, Kommo checkbox "1"/"0", yes/no', () => {
    expect(value([true], 'boolean')).toBe(true);
    expect(value([false], 'boolean')).toBe(false);
    expect(value(['1'], 'boolean')).toBe(true);
    expect(value(['0'], 'boolean')).toBe(false);
    expect(value([1], 'boolean')).toBe(true);
    expect(value(['TRUE'], 'boolean')).toBe(true);
    expect(value(['no'], 'boolean')).toBe(false);
    expect(reason(['maybe'], 'boolean')).toBe('"maybe" is not a boolean (expected true/false, 1/0, yes/no)');
    expect(reason([2], 'boolean')).toMatch(/^2 is not a boolean/);
  });

  it("date: unix seconds (number or string), milliseconds and ISO 8601 → Iterable's date format", () => {
    expect(value([1790000000], 'date')).toBe('2026-09-21 14:13:20 +00:00');
    expect(value(['1790000000'], 'date')).toBe('2026-09-21 14:13:20 +00:00');
    expect(value([1790000000000], 'date')).toBe('2026-09-21 14:13:20 +00:00');
    expect(value(['2027-01-15'], 'date')).toBe('2027-01-15 00:00:00 +00:00');
    expect(value(['2027-01-15T10:30:00+02:00'], 'date')).toBe('2027-01-15 08:30:00 +00:00');
    expect(value(['2027-01-15 10:30'], 'date')).toBe('2027-01-15 10:30:00 +00:00');
    expect(value(['2027-01-15 10:30:00 +00:00'], 'date')).toBe('2027-01-15 10:30:00 +00:00');
    expect(value([-86400], 'date')).toBe('1969-12-31 00:00:00 +00:00');
    expect(reason(['next week'], 'date')).toBe('"next week" is not a date (expected unix seconds or an ISO 8601 date)');
    expect(reason(['2027-13-45'], 'date')).toMatch(/is not a date/);
    expect(reason([true], 'date')).toMatch(/is not a date/);
  });

  it('string[]: every value as a string (multiselect labels, several phones), or the whole field is dropped', () => {
    expect(value(['CRM', 'Email'], 'string[]')).toEqual(['CRM', 'Email']);
    expect(value(['solo'], 'string[]')).toEqual(['solo']);
    expect(value([1, '', 'b', null], 'string[]')).toEqual(['1', 'b']);
    expect(reason(['a', { nested: true }], 'string[]')).toBe('{"nested":true} cannot be a string in a list');
  });

  it('keeps customer data short in the reason', () => {
    expect(reason(['x'.repeat(100)], 'number')).toBe(`"${'x'.repeat(36)}… is not a number`);
  });
});
