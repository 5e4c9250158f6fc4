import { createHash } from 'node:crypto';

/**
 * Iterable's own date format (`profileUpdatedAt`, `signupDate`): profile fields sent this way are typed
 * `date` and usable in segment date filters; ISO strings would fix the field as a plain string forever.
 * A number is unix seconds.
 */
export function iterableDate(d: Date | number): string {
  const date = typeof d === 'number' ? new Date(d * 1000) : d;
  return date.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, ' +00:00');
}

/**
 * A deterministic event id: a retried `events/track` with the same id updates the event instead of adding a
 * second one. Hashed so any inputs fit Iterable's 512-byte cap; joined with a unit separator so ('a:b','c')
 * and ('a','b:c') differ while 123 and '123' (a deal id from JSON or from a form) stay the same.
 */
export function eventId(...parts: (string | number)[]): string {
  return createHash('sha256').update(parts.map(String).join('\u001f')).digest('hex').slice(0, 64);
}
