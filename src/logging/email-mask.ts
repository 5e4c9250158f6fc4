/** pino's numeric level for info. */
const INFO = 30;
/** Also the percent-encoded form: addresses travel in URLs (Iterable's `users/{email}`). */
const EMAIL = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*(@|%40)((?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,})/g;
const LEVEL = /"level":(\d+)/;

/** `ana.lima@acme.io` → `a***@acme.io`: the domain still tells which client, the person stays out of the logs. */
export function maskEmails(text: string): string {
  return text.replace(EMAIL, '$1***$2$3');
}

/**
 * Masks the addresses in one pino JSON line unless it is below info: info and above are what gets shipped and
 * kept; debug lines are opt-in (LOG_LEVEL=debug) and carry the full address. A line without a level is masked.
 */
export function maskEmailsAtInfo(line: string): string {
  const level = LEVEL.exec(line);
  return level && Number(level[1]) < INFO ? line : maskEmails(line);
}
