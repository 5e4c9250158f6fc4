import { randomBytes } from 'node:crypto';
import { FieldTypes, type TypeMismatch } from './iterable-field-types';

/** What one simulated Iterable project holds, and the reply helpers its endpoints share. */
export type Fields = Record<string, unknown>;

export interface SimUser {
  email: string;
  userId?: string;
  dataFields: Fields;
  profileUpdatedAt: string;
}
export interface SimEvent {
  id: string;
  eventName: string;
  email?: string;
  userId?: string;
  createdAt: number;
  dataFields: Fields;
  campaignId?: number;
  templateId?: number;
  /** How many requests wrote this id: more than 1 means a retry updated it (and did not duplicate it). */
  writes: number;
}
export interface SimTrigger {
  workflowId: number;
  email?: string;
  userId?: string;
  listId?: number;
  dataFields?: Fields;
  at: number;
}
export interface Reply {
  status: number;
  body: unknown;
}
/** Identifies a user the way an email-based project does: email wins, a userId must already exist. */
export interface Identity {
  email?: string;
  userId?: string;
}

export const PROJECT_ID = 1;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export class IterableSimState {
  readonly users = new Map<string, SimUser>();
  /** Lower-cased emails and `id:<userId>` of GDPR-forgotten users. */
  readonly forgotten = new Set<string>();
  readonly events = new Map<string, SimEvent>();
  readonly triggers: SimTrigger[] = [];
  readonly lists = new Set<number>();
  readonly subscriptions = new Map<number, Set<string>>();
  userFields = systemUserFields();
  eventFields = new FieldTypes('event');

  clear(): void {
    this.users.clear();
    this.forgotten.clear();
    this.events.clear();
    this.triggers.length = 0;
    this.subscriptions.clear();
    this.userFields = systemUserFields();
    this.eventFields = new FieldTypes('event');
  }

  byUserId(userId: string): SimUser | undefined {
    return [...this.users.values()].find((u) => u.userId === userId);
  }

  isForgotten(who: Identity): boolean {
    return (who.email !== undefined && this.forgotten.has(who.email)) || (who.userId !== undefined && this.forgotten.has(`id:${who.userId}`));
  }

  upsertUser(email: string, dataFields: Fields | undefined, opts: { userId?: string; mergeNested?: boolean } = {}): SimUser {
    const user = this.users.get(email) ?? { email, dataFields: {}, profileUpdatedAt: '' };
    for (const [k, v] of Object.entries(dataFields ?? {})) {
      const old = user.dataFields[k];
      const nested = opts.mergeNested && isObject(old) && isObject(v);
      user.dataFields[k] = nested ? { ...old, ...v } : v;
    }
    if (opts.userId) user.userId = opts.userId;
    user.dataFields.email = email;
    user.profileUpdatedAt = iterableNow();
    this.users.set(email, user);
    return user;
  }

  deleteUser(email: string): void {
    this.users.delete(email);
    for (const [id, e] of this.events) if (e.email === email) this.events.delete(id);
    for (const members of this.subscriptions.values()) members.delete(email);
  }
}

/** Fields every profile has from the start, as getFields lists them. */
function systemUserFields(): FieldTypes {
  return new FieldTypes('user', new Map([['email', 'string'], ['userId', 'string'], ['profileUpdatedAt', 'date'], ['signupDate', 'date']]));
}

function isObject(v: unknown): v is Fields {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function iterableNow(): string {
  return new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' +00:00');
}

export function newId(): string {
  return randomBytes(16).toString('hex');
}

export function ok(body: unknown = { msg: '', code: 'Success', params: null }): Reply {
  return { status: 200, body };
}

export function fail(status: number, code: string, msg: string, params: unknown = null): Reply {
  return { status, body: { msg, code, params } };
}

export function typeMismatch(errors: Record<string, TypeMismatch>): Reply | undefined {
  const names = Object.keys(errors);
  if (!names.length) return undefined;
  const msg = `Project ${PROJECT_ID}: The request does not have the same data types as the existing fields: ${names.join(', ')}`;
  return fail(400, 'RequestFieldsTypesMismatched', msg, { validationErrors: errors });
}

export function validEmail(email: string): boolean {
  return EMAIL.test(email);
}

/**
 * Resolves `email`/`userId` (email wins, as in email-based projects) to a lower-cased email key. A Reply
 * comes back instead when the request cannot name a user.
 */
export function identify(s: IterableSimState, b: { email?: string; userId?: string }): Identity | Reply {
  if (b.email !== undefined) {
    if (!validEmail(b.email)) return fail(400, 'InvalidEmailAddressError', `Invalid email: ${b.email}`);
    return { email: b.email.toLowerCase(), userId: b.userId };
  }
  if (b.userId !== undefined) {
    const user = s.byUserId(b.userId);
    if (user) return { email: user.email, userId: b.userId };
    if (s.forgotten.has(`id:${b.userId}`)) return { userId: b.userId };
    return fail(400, 'UnknownUserIdError', `No user exists with userId: ${b.userId}`);
  }
  return fail(400, 'BadParams', 'Either email or userId must be provided', null);
}

export function isReply(x: Identity | Reply): x is Reply {
  return 'status' in x;
}

/** The per-item failure lists of `UserBulkUpdateListResponse`. */
export const FAILED_USER_LISTS = [
  'conflictEmails',
  'conflictUserIds',
  'forgottenEmails',
  'forgottenUserIds',
  'invalidDataEmails',
  'invalidDataUserIds',
  'invalidEmails',
  'invalidUserIds',
  'notFoundEmails',
  'notFoundUserIds',
] as const;
export type FailedList = (typeof FAILED_USER_LISTS)[number];

/** Why one item of a bulk call fails on its own (never fails the batch), or undefined when it is fine. */
export function itemFailure(s: IterableSimState, item: { email?: string; userId?: string }, mustExist: boolean): FailedList | undefined {
  if (item.email !== undefined) {
    if (!validEmail(item.email)) return 'invalidEmails';
    const email = item.email.toLowerCase();
    if (s.forgotten.has(email)) return 'forgottenEmails';
    return mustExist && !s.users.has(email) ? 'notFoundEmails' : undefined;
  }
  if (item.userId === undefined || item.userId === '') return 'invalidUserIds';
  if (s.forgotten.has(`id:${item.userId}`)) return 'forgottenUserIds';
  return s.byUserId(item.userId) ? undefined : 'notFoundUserIds';
}
