import type { FieldType } from '../config/sync-config.types';
import { iterableDate } from '../iterable/iterable-format';

/**
 * Iterable fixes a field's type on the first value it sees and rejects every later write of another type, so a
 * mapped value goes out as its declared type or not at all. Kommo is loose: the API and webhooks send numbers
 * as strings, dates as unix seconds, checkboxes as true, "1" or "0".
 */

export type MappedValue = string | number | boolean | string[];
export type Coerced = { ok: true; value: MappedValue } | { ok: false; reason: string };

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);
/** ISO 8601 date or date-time, and Iterable's own `YYYY-MM-DD HH:MM:SS +00:00`; no time zone means UTC. */
const ISO_DATE = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(Z|[+-]\d{2}:?\d{2})?)?$/i;
/** Unix seconds reach year 5138 before 1e11; a number that large is milliseconds. */
const MS_THRESHOLD = 1e11;

/**
 * A field's raw values (in Kommo's order) as the declared type: scalar types take the first value, `string[]`
 * takes them all. Undefined when there is nothing to send (no value, or only blanks).
 */
export function coerce(values: readonly unknown[], type: FieldType): Coerced | undefined {
  const present = values.filter((v) => v !== null && v !== undefined && !(typeof v === 'string' && v.trim() === ''));
  if (!present.length) return undefined;
  if (type === 'string[]') {
    const items = present.map(toText);
    const bad = items.findIndex((s) => s === undefined);
    if (bad >= 0) return fail(`${show(present[bad])} cannot be a string in a list`);
    return { ok: true, value: items as string[] };
  }
  return SCALAR[type](present[0]);
}

const SCALAR: Record<Exclude<FieldType, 'string[]'>, (v: unknown) => Coerced> = {
  string: (v) => {
    const s = toText(v);
    return s === undefined ? fail(`${show(v)} is not a string`) : { ok: true, value: s };
  },
  number: (v) => {
    const n = toNumber(v);
    return n === undefined ? fail(`${show(v)} is not a number`) : { ok: true, value: n };
  },
  boolean: (v) => {
    if (typeof v === 'boolean') return { ok: true, value: v };
    const s = typeof v === 'number' || typeof v === 'string' ? String(v).trim().toLowerCase() : '';
    if (TRUE.has(s)) return { ok: true, value: true };
    if (FALSE.has(s)) return { ok: true, value: false };
    return fail(`${show(v)} is not a boolean (expected true/false, 1/0, yes/no)`);
  },
  date: (v) => {
    const d = toDate(v);
    return d === undefined ? fail(`${show(v)} is not a date (expected unix seconds or an ISO 8601 date)`) : { ok: true, value: iterableDate(d) };
  },
};

function toText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean') return String(v);
  return undefined;
}

function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v !== 'string' || !NUMBER.test(v.trim())) return undefined;
  const n = Number(v.trim());
  return Number.isFinite(n) ? n : undefined;
}

function toDate(v: unknown): Date | undefined {
  const n = toNumber(v);
  let date: Date | undefined;
  if (n !== undefined) date = new Date(Math.abs(n) >= MS_THRESHOLD ? n : n * 1000);
  else if (typeof v === 'string') {
    const m = ISO_DATE.exec(v.trim());
    if (m) date = new Date(`${m[1]}T${m[2] ?? '00:00:00'}${normalizeZone(m[3])}`);
  }
  // Iterable's format has four year digits; outside them the text would not be a date to Iterable.
  if (!date || Number.isNaN(date.getTime())) return undefined;
  const year = date.getUTCFullYear();
  return year >= 1 && year <= 9999 ? date : undefined;
}

function normalizeZone(zone: string | undefined): string {
  if (!zone || zone.toUpperCase() === 'Z') return 'Z';
  return zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
}

function fail(reason: string): Coerced {
  return { ok: false, reason };
}

/** The offending value in a log line, cut short: it is customer data. */
function show(v: unknown): string {
  const text = typeof v === 'number' ? String(v) : (JSON.stringify(v) ?? String(v));
  return text.length > 40 ? `${text.slice(0, 37)}…` : text;
}
