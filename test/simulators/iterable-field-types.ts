/**
 * Iterable fixes a data field's type on the first value it sees, per project (user fields) or per event
 * name (event fields), and rejects later writes of another type. This is the simulator's memory of that.
 */
export interface TypeMismatch {
  incomingTypes: string[];
  expectedType: string;
  category: 'user' | 'event';
  offendingValue: unknown;
  _type: 'UnexpectedType';
}

const ITERABLE_DATE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \+00:00$/;

/** Iterable's name for a value's type; null has none (it neither fixes nor breaks a field). */
export function iterableType(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return ITERABLE_DATE.test(v) ? 'date' : 'string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'long' : 'double';
  if (typeof v === 'boolean') return 'boolean';
  if (Array.isArray(v)) return 'array';
  return 'object';
}

/** Types Iterable accepts into a field of `expected` (a date string is still a string; any number is a number). */
function compatible(expected: string, incoming: string): boolean {
  if (expected === incoming) return true;
  if (expected === 'string' && incoming === 'date') return true;
  return (expected === 'long' || expected === 'double') && (incoming === 'long' || incoming === 'double');
}

function incomingTypes(t: string): string[] {
  return t === 'string' ? ['string', 'keyword'] : [t];
}

/** Flattens nested objects the way Iterable names nested fields: `address.city`. */
function flatten(fields: Record<string, unknown>, prefix = ''): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const [k, v] of Object.entries(fields)) {
    out.push([prefix + k, v]);
    if (iterableType(v) === 'object') out.push(...flatten(v as Record<string, unknown>, `${prefix}${k}.`));
  }
  return out;
}

export class FieldTypes {
  constructor(
    private readonly category: 'user' | 'event',
    readonly types = new Map<string, string>(),
  ) {}

  /** A scratch copy: a bulk call checks every item against it so one bad item fails the whole batch. */
  clone(): FieldTypes {
    return new FieldTypes(this.category, new Map(this.types));
  }

  mismatches(fields: Record<string, unknown> | undefined, ns = ''): Record<string, TypeMismatch> {
    const out: Record<string, TypeMismatch> = {};
    for (const [name, value] of flatten(fields ?? {})) {
      const incoming = iterableType(value);
      const expected = this.types.get(ns + name);
      if (!incoming || !expected || compatible(expected, incoming)) continue;
      out[name] = {
        incomingTypes: incomingTypes(incoming),
        expectedType: expected,
        category: this.category,
        offendingValue: value,
        _type: 'UnexpectedType',
      };
    }
    return out;
  }

  /** Records the types of fields seen for the first time; returns their names (Iterable's `createdFields`). */
  record(fields: Record<string, unknown> | undefined, ns = ''): string[] {
    const created: string[] = [];
    for (const [name, value] of flatten(fields ?? {})) {
      const t = iterableType(value);
      if (!t || this.types.has(ns + name)) continue;
      this.types.set(ns + name, t);
      created.push(name);
    }
    return created;
  }

  toObject(): Record<string, string> {
    return Object.fromEntries(this.types);
  }
}
