import type { FieldMapping } from '../config/sync-config.types';
import { checkFieldTypes, mismatchConsequence } from './schema-check';

const mapped = (to: string, type: FieldMapping['type']): FieldMapping => ({ to, type, source: { kind: 'custom', entity: 'lead', fieldId: 1 } });

describe('checkFieldTypes', () => {
  it.each([
    ['string', 'string', 'ok'],
    ['number', 'long', 'ok'],
    ['number', 'double', 'ok'],
    ['boolean', 'Boolean', 'ok'],
    ['date', 'date', 'ok'],
    ['string[]', 'string', 'ok'],
    ['string[]', 'array', 'ok'],
    ['number', 'string', 'mismatch'],
    ['string', 'date', 'mismatch'],
    ['date', 'string', 'mismatch'],
    ['boolean', 'long', 'mismatch'],
    ['string', 'object', 'mismatch'],
  ] as const)('declared %s vs Iterable %s → %s', (declared, iterable, status) => {
    const [check] = checkFieldTypes([mapped('f', declared)], { f: iterable }).filter((c) => !c.builtIn);
    expect(check).toEqual({ field: 'f', declared, builtIn: false, iterable, status });
  });

  it('checks the built-in fields too, and calls fields Iterable lacks new', () => {
    const checks = checkFieldTypes([], { dealValue: 'string', toString: 'string' });
    expect(checks.find((c) => c.field === 'dealValue')).toMatchObject({ builtIn: true, status: 'mismatch' });
    expect(checks.find((c) => c.field === 'wonAt')).toMatchObject({ builtIn: true, status: 'new', iterable: undefined });
  });

  it('says what a mismatch costs', () => {
    const [reject] = checkFieldTypes([mapped('seats', 'number')], { seats: 'string' }).filter((c) => !c.builtIn);
    expect(mismatchConsequence(reject)).toBe('Iterable will reject every users/update carrying seats (RequestFieldsTypesMismatched)');
    const [text] = checkFieldTypes([mapped('renewal', 'date')], { renewal: 'string' }).filter((c) => !c.builtIn);
    expect(mismatchConsequence(text)).toMatch(/segment date filters will not work/);
  });
});
