import { parse, type IParseOptions } from 'qs';
import { leadJobName, type JobRequest, type KommoJobName, type LeadStatusChange } from '../sync/jobs';

/**
 * Kommo account webhooks and Digital Pipeline webhooks: PHP-style bracket keys in a form body
 * (`leads[status][0][id]=…`), every value a string, several entity kinds and many entities per delivery.
 */

export interface KommoAccount {
  id?: number;
  subdomain?: string;
  baseUrl?: string;
}

/** A lead job: narrower than JobRequest, so callers read `data.leadId` without a cast. */
export type KommoJobRequest = Extract<JobRequest, { name: KommoJobName }>;

export interface KommoDelivery {
  account: KommoAccount;
  /** status changes that become jobs (one per lead event) */
  changes: KommoJobRequest[];
  /** well-formed entities of kinds we do not sync (tasks, talks, contacts, lead add/update/delete without a status change, …) */
  ignored: number;
}

/** The delivery cannot be understood: answer 400 with this message. */
export class KommoWebhookError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KommoWebhookError';
  }
}

const PARAMETER_LIMIT = 20000;

const QS_OPTIONS: IParseOptions = {
  depth: 10,
  parameterLimit: PARAMETER_LIMIT,
  arrayLimit: 1000,
  allowPrototypes: false,
  // Keeps each entry under its own index, so an error names the key Kommo actually sent.
  allowSparse: true,
  charset: 'utf-8',
  decodeDotInKeys: false,
};

/** Top-level keys of Kommo's entity events (fact sheet §1.2); companies arrive under `contacts`. */
const ENTITY_KINDS = new Set(['leads', 'contacts', 'companies', 'customers', 'task', 'tasks', 'talk', 'unsorted', 'message', 'catalogs']);
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const POSITIVE_INT = /^[1-9]\d{0,15}$/;

type Tree = Record<string, unknown>;

export function parseKommoWebhook(rawBody: string, receivedAt: Date, requestId?: string): KommoDelivery {
  const tree = parseForm(rawBody);
  const kinds = entries(tree).filter(([key]) => key !== 'account');
  const hasEntities = kinds.some(([key, value]) => ENTITY_KINDS.has(key) && isTree(value));
  if (!hasEntities && !Object.hasOwn(tree, 'account')) throw new KommoWebhookError('no Kommo entities in body');

  const account = parseAccount(tree.account);
  const changes: KommoJobRequest[] = [];
  let ignored = 0;
  for (const [kind, actions] of kinds) {
    if (!isTree(actions)) continue;
    // `leads=1&leads[status]…` makes qs mix index keys into the actions: their entries would be ignored unseen.
    if (ENTITY_KINDS.has(kind) && (Array.isArray(actions) || Object.keys(actions).some((k) => /^\d+$/.test(k)))) {
      throw new KommoWebhookError(`${kind} must be keyed by action, e.g. ${kind}[status][0][id]`);
    }
    for (const [action, list] of entries(actions)) {
      if (kind === 'leads' && action === 'status') {
        changes.push(...statusJobs(list, account, receivedAt, requestId));
      } else if (isTree(list)) {
        ignored += entries(list).length;
      }
    }
  }
  return { account, changes, ignored };
}

function parseForm(rawBody: string): Tree {
  if (typeof rawBody !== 'string' || rawBody.trim() === '') throw new KommoWebhookError('no Kommo entities in body');
  // qs would silently drop everything past the limit: refuse rather than lose leads.
  if (rawBody.split('&').length > PARAMETER_LIMIT) {
    throw new KommoWebhookError(`body has more than ${PARAMETER_LIMIT} parameters`);
  }
  return parse(rawBody, QS_OPTIONS) as Tree;
}

function parseAccount(value: unknown): KommoAccount {
  if (value === undefined) return {};
  if (!isTree(value) || Array.isArray(value)) throw new KommoWebhookError('account must be a bracketed object (account[id], …)');
  const account: KommoAccount = {};
  const id = field(value, 'id');
  if (id !== undefined) account.id = positiveInt(id, 'account[id]');
  const subdomain = field(value, 'subdomain');
  if (typeof subdomain === 'string' && subdomain.trim() !== '') account.subdomain = subdomain.trim();
  const links = field(value, '_links');
  const baseUrl = isTree(links) ? httpOrigin(field(links, 'self')) : undefined;
  if (baseUrl) account.baseUrl = baseUrl;
  return account;
}

function statusJobs(list: unknown, account: KommoAccount, receivedAt: Date, requestId?: string): KommoJobRequest[] {
  if (!isTree(list)) throw new KommoWebhookError('leads[status] must be a list of entries');
  return entries(list).map(([index, entry]) => {
    const path = `leads[status][${index}]`;
    if (!isTree(entry) || Array.isArray(entry)) throw new KommoWebhookError(`${path} must be an entry with fields`);
    const data = statusChange(entry, path, account, receivedAt, requestId);
    return { name: leadJobName(data.statusId), data, jobId: leadJobId(data) };
  });
}

function statusChange(entry: Tree, path: string, account: KommoAccount, receivedAt: Date, requestId?: string): LeadStatusChange {
  const required = (name: string) => positiveInt(field(entry, name), `${path}[${name}]`);
  const optional = (name: string) => optionalPositiveInt(field(entry, name), `${path}[${name}]`);
  const change: LeadStatusChange = {
    leadId: required('id'),
    statusId: required('status_id'),
    pipelineId: required('pipeline_id'),
    oldStatusId: optional('old_status_id'),
    oldPipelineId: optional('old_pipeline_id'),
    // updated_at is the v4 name; last_modified the v2 one Kommo still sends alongside it.
    changedAt: optional('updated_at') ?? optional('last_modified'),
    accountId: optional('account_id') ?? account.id,
    requestId,
    receivedAt: receivedAt.toISOString(),
  };
  return withoutUndefined(change);
}

/**
 * Same event, same id, so BullMQ drops a re-delivery. A DP webhook carries no timestamp: two real moves of
 * a lead between the same stages collide, and the second is taken for a re-delivery. The reconciler builds the
 * same id from the lead's `updated_at`, so a change it found and the late webhook of that change are one job.
 */
export function leadJobId(change: LeadStatusChange): string {
  return `lead-${change.leadId}-${change.oldStatusId ?? 'x'}-${change.statusId}-${change.changedAt ?? 'x'}`;
}

function positiveInt(value: unknown, key: string): number {
  if (typeof value === 'string' && POSITIVE_INT.test(value)) {
    const n = Number(value);
    if (Number.isSafeInteger(n)) return n;
  }
  throw new KommoWebhookError(`${key} must be a positive integer`);
}

/** Empty and `0` mean "none" (a lead created straight into a stage has no previous one). */
function optionalPositiveInt(value: unknown, key: string): number | undefined {
  if (value === undefined || value === '' || value === '0') return undefined;
  return positiveInt(value, key);
}

function httpOrigin(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

/** qs gives an array or, past arrayLimit or for odd indexes, an object: both are walked by numeric key. */
function entries(value: unknown): [string, unknown][] {
  if (!isTree(value)) return [];
  return Object.entries(value)
    .filter(([key]) => !UNSAFE_KEYS.has(key))
    .sort(([a], [b]) => numericOrder(a) - numericOrder(b) || (a < b ? -1 : a > b ? 1 : 0));
}

function numericOrder(key: string): number {
  return /^\d+$/.test(key) ? Number(key) : Number.MAX_VALUE;
}

function field(tree: Tree, name: string): unknown {
  return Object.hasOwn(tree, name) ? tree[name] : undefined;
}

function isTree(value: unknown): value is Tree {
  return typeof value === 'object' && value !== null;
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
