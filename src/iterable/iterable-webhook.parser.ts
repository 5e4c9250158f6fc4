import { createHash } from 'node:crypto';
import type { IterableEventData, IterableJobName, JobRequest } from '../sync/jobs';

/**
 * Iterable system webhooks (`{email, eventName, dataFields, userId?}`, one per request) and journey webhooks
 * (`{email, eventName: "journeyMilestone", milestone, workflowId?, workflowName?}`), fact sheet §5–§6.
 */

/** Narrower than JobRequest, so callers read `data.email` without a cast. */
export type IterableJobRequest = Extract<JobRequest, { name: IterableJobName }>;

export type IterableParseResult = { kind: 'job'; job: IterableJobRequest } | { kind: 'ignored'; eventName: string };

/** The body cannot be understood: answer 400 with this message. */
export class IterableWebhookError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IterableWebhookError';
  }
}

type Json = Record<string, unknown>;

const SMS_STOP_WORDS = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT']);
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const MAX_DEPTH = 64;

export function parseIterableWebhook(body: unknown, receivedAt: Date, requestId?: string): IterableParseResult {
  if (!isObject(body)) throw new IterableWebhookError('body must be a JSON object');
  const eventName = body.eventName;
  if (typeof eventName !== 'string' || eventName.trim() === '') throw new IterableWebhookError('eventName must be a string');
  const fields = dataFieldsOf(body);
  const topEmail = nonEmpty(body, 'email', 'email');
  const lowerName = eventName.trim().toLowerCase();

  const name = jobNameFor(lowerName, fields);
  // Unsynced events may come from userId-only users: they are acknowledged, never refused for lacking an email.
  if (!name) return { kind: 'ignored', eventName };

  const email = normalizeEmail(topEmail ?? nonEmpty(fields, 'email', 'dataFields.email'));
  const { createdAt, messageId } = fields;
  if (messageId != null && typeof messageId !== 'string' && typeof messageId !== 'number') {
    throw new IterableWebhookError('dataFields.messageId must be a string');
  }
  const base: IterableEventData = {
    email,
    eventName,
    occurredAt: occurredAt(createdAt, receivedAt),
    ...(requestId !== undefined && { requestId }),
    receivedAt: receivedAt.toISOString(),
  };
  const job = buildJob(name, base, body, fields);
  const identity =
    messageId != null || createdAt != null
      ? [lowerName, email, String(messageId ?? ''), String(createdAt ?? ''), ...detailOf(job, fields)]
      : // A journey webhook has neither: the whole body is the identity, so only a re-delivery collides.
        [lowerName, email, canonicalJson(body, 0)];
  job.jobId = `it-${createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 32)}`;
  return { kind: 'job', job };
}

function jobNameFor(lowerName: string, fields: Json): IterableJobName | undefined {
  switch (lowerName) {
    case 'emailunsubscribe':
    case 'hostedunsubscribeclick':
      return 'iterable.email-unsubscribed';
    case 'smsunsubscribe':
      return 'iterable.sms-unsubscribed';
    case 'smsreceived': {
      const text = optionalString(fields, 'smsMessage', 'dataFields.smsMessage');
      return text !== undefined && SMS_STOP_WORDS.has(text.trim().toUpperCase()) ? 'iterable.sms-unsubscribed' : undefined;
    }
    case 'emailbounce':
      return 'iterable.email-bounced';
    case 'emailcomplaint':
      return 'iterable.email-complained';
    case 'inappclick':
      return 'iterable.inapp-clicked';
    case 'journeymilestone':
      return 'iterable.journey-milestone';
    default:
      return undefined;
  }
}

function buildJob(name: IterableJobName, base: IterableEventData, body: Json, fields: Json): IterableJobRequest {
  switch (name) {
    case 'iterable.email-bounced': {
      // recipientState is what Iterable documents; bounceType is what older integrations send.
      const reason =
        nonEmpty(fields, 'recipientState', 'dataFields.recipientState') ??
        nonEmpty(fields, 'bounceType', 'dataFields.bounceType') ??
        nonEmpty(body, 'bounceType', 'bounceType');
      return { name, data: { ...base, reason: reason ?? 'unknown' }, jobId: '' };
    }
    case 'iterable.inapp-clicked': {
      // A button label reads better in a CRM note than the URL behind it.
      const target =
        nonEmpty(fields, 'buttonIdentifier', 'dataFields.buttonIdentifier') ??
        nonEmpty(fields, 'clickedUrl', 'dataFields.clickedUrl') ??
        nonEmpty(fields, 'url', 'dataFields.url');
      return { name, data: { ...base, target: target ?? 'unknown' }, jobId: '' };
    }
    case 'iterable.journey-milestone':
      return { name, data: { ...base, ...milestoneOf(body, fields) }, jobId: '' };
    default:
      return { name, data: base, jobId: '' };
  }
}

/** Journey bodies are hand-written in the tile: the fields may sit at the top level or under dataFields. */
function milestoneOf(body: Json, fields: Json): { milestone: string; workflowId?: number; workflowName?: string } {
  const source = (key: string): [Json, string, string] =>
    body[key] != null ? [body, key, key] : [fields, key, `dataFields.${key}`];
  const milestone = nonEmpty(...source('milestone'));
  if (milestone === undefined) throw new IterableWebhookError('milestone must be a non-empty string');
  const [idHolder, , idPath] = source('workflowId');
  const workflowId = workflowIdOf(idHolder.workflowId, idPath);
  const workflowName = nonEmpty(...source('workflowName'));
  return {
    milestone,
    ...(workflowId !== undefined && { workflowId }),
    ...(workflowName !== undefined && { workflowName }),
  };
}

/** Handlebars renders an unknown merge field as "": that means absent, not malformed. */
function workflowIdOf(value: unknown, path: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'string' && /^\s*\d{1,15}\s*$/.test(value) ? Number(value) : value;
  if (typeof n === 'number' && Number.isSafeInteger(n) && n > 0) return n;
  throw new IterableWebhookError(`${path} must be a positive integer`);
}

function detailOf(job: IterableJobRequest, fields: Json): unknown[] {
  const data = job.data as unknown as Json;
  return [...['reason', 'target', 'milestone', 'workflowId'].map((k) => data[k] ?? ''), fields.smsMessage ?? ''];
}

/** Webhooks send `2020-03-20 23:34:15 +00:00`; ISO and unix numbers are accepted too. Unreadable → receipt time. */
function occurredAt(value: unknown, receivedAt: Date): number {
  const fallback = Math.floor(receivedAt.getTime() / 1000);
  if (value === undefined || value === null || value === '') return fallback;
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? unixSeconds(value) : fallback;
  if (typeof value !== 'string') throw new IterableWebhookError('dataFields.createdAt must be a date string or unix seconds');
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return unixSeconds(Number(text));
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(text);
  if (!m) return fallback;
  const zone = !m[3] || m[3].toUpperCase() === 'Z' ? 'Z' : `${m[3].slice(0, 3)}:${m[3].slice(-2)}`;
  const ms = Date.parse(`${m[1]}T${m[2]}${zone}`);
  return Number.isNaN(ms) ? fallback : Math.floor(ms / 1000);
}

/** Some senders use milliseconds; no real event is dated after the year 33658 in seconds. */
function unixSeconds(n: number): number {
  return Math.floor(n > 1e12 ? n / 1000 : n);
}

function normalizeEmail(value: string | undefined): string {
  if (value === undefined || value.trim() === '') throw new IterableWebhookError('email (or dataFields.email) is required');
  const email = value.trim().toLowerCase();
  if (email.length > 254 || !EMAIL.test(email)) throw new IterableWebhookError('email must be an email address');
  return email;
}

function dataFieldsOf(body: Json): Json {
  const value = body.dataFields;
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw new IterableWebhookError('dataFields must be an object');
  return value;
}

function optionalString(holder: Json, key: string, path: string): string | undefined {
  const value = holder[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new IterableWebhookError(`${path} must be a string`);
  return value;
}

function nonEmpty(holder: Json, key: string, path: string): string | undefined {
  const value = optionalString(holder, key, path)?.trim();
  return value ? value : undefined;
}

/** Sorted keys, so the same body always hashes the same whatever order the sender wrote it in. */
function canonicalJson(value: unknown, depth: number): string {
  if (depth > MAX_DEPTH) throw new IterableWebhookError('body is nested too deeply');
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v, depth + 1)).join(',')}]`;
  if (isObject(value)) {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k], depth + 1)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
