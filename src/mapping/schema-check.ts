import type { FieldMapping, FieldType } from '../config/sync-config.types';

/** The types the built-in Won/Lost sync writes (SPEC), checked alongside the mapped ones. */
export const BUILT_IN_TYPES: Record<string, FieldType> = {
  firstName: 'string',
  lastName: 'string',
  companyName: 'string',
  plan: 'string',
  crmDealId: 'string',
  dealValue: 'number',
  wonAt: 'date',
  isCustomer: 'boolean',
  churnedAt: 'date',
};

/**
 * Iterable's names (users/getFields) for what each declared type writes. Iterable types an array by its
 * elements, so a string list shows as `string`; some projects (and the simulator) report `array`.
 */
const ITERABLE_TYPES: Record<FieldType, string[]> = {
  string: ['string'],
  number: ['long', 'double'],
  boolean: ['boolean'],
  date: ['date'],
  'string[]': ['string', 'array'],
};

export interface FieldCheck {
  field: string;
  declared: FieldType;
  builtIn: boolean;
  /** Iterable's type; undefined when the project has no such field yet */
  iterable?: string;
  status: 'ok' | 'new' | 'mismatch';
}

/** Each built-in and mapped field against the project's fields: ok, new (created on first write) or mismatch. */
export function checkFieldTypes(mappings: readonly FieldMapping[], iterableFields: Record<string, string>): FieldCheck[] {
  const declared: [string, FieldType, boolean][] = [
    ...Object.entries(BUILT_IN_TYPES).map(([f, t]): [string, FieldType, boolean] => [f, t, true]),
    ...mappings.map((m): [string, FieldType, boolean] => [m.to, m.type, false]),
  ];
  return declared.map(([field, type, builtIn]) => {
    const iterable = Object.prototype.hasOwnProperty.call(iterableFields, field) ? iterableFields[field] : undefined;
    const status = iterable === undefined ? 'new' : ITERABLE_TYPES[type].includes(iterable.toLowerCase()) ? 'ok' : 'mismatch';
    return { field, declared: type, builtIn, iterable, status };
  });
}

/** What a mismatch means for the sync, in one line. */
export function mismatchConsequence(c: FieldCheck): string {
  if (c.declared === 'date' && c.iterable?.toLowerCase() === 'string') {
    return 'Iterable stores these dates as text: segment date filters will not work on it';
  }
  return `Iterable will reject every users/update carrying ${c.field} (RequestFieldsTypesMismatched)`;
}
