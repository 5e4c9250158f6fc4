import { HttpService } from '@nestjs/axios';
import { Inject, Injectable } from '@nestjs/common';
import type { AxiosResponse, Method } from 'axios';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { TransientApiError, errorForStatus } from '../delivery/errors';
import { RateLimiter } from '../delivery/rate-limit';
import { apiCall } from '../metrics/api-metrics';
import type {
  BulkListResponse,
  DataFields,
  IterableApiResponse,
  ListSubscribeRequest,
  TrackEventRequest,
  TriggerWorkflowRequest,
  UserUpdateRequest,
} from './iterable.types';

const TIMEOUT_MS = 10_000;
/** Iterable sends no Retry-After; one second lets its per-second window roll over. */
const DEFAULT_429_PAUSE_MS = 1000;

/**
 * One method per Iterable endpoint the service uses. Success is decided by HTTP status alone: Iterable has
 * answered 4xx with `"code":"Success"` and 429 with plain text. Failures are thrown as the typed errors of
 * `delivery/errors.ts`; `endpoint` names (e.g. 'users/update') are the keys of `config.iterable.limits`.
 */
@Injectable()
export class IterableClient {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly http: HttpService,
    private readonly limiter: RateLimiter,
  ) {}

  updateUser(req: UserUpdateRequest): Promise<IterableApiResponse> {
    return this.send('users/update', 'POST', req).then(apiResponse);
  }

  trackEvent(req: TrackEventRequest): Promise<IterableApiResponse> {
    return this.send('events/track', 'POST', req).then(apiResponse);
  }

  triggerWorkflow(req: TriggerWorkflowRequest): Promise<IterableApiResponse> {
    return this.send('workflows/triggerWorkflow', 'POST', req).then(apiResponse);
  }

  /** HTTP 200 even when subscribers fail: callers must read `failCount`/`failedUpdates`. */
  subscribeToList(req: ListSubscribeRequest): Promise<BulkListResponse> {
    return this.send('lists/subscribe', 'POST', req).then((r) => bulkResponse('lists/subscribe', r));
  }

  /** ≤1000 users / 4 MB per call; HTTP 200 even when users fail: callers must read `failedUpdates`. */
  bulkUpdateUsers(users: { email: string; dataFields: DataFields }[]): Promise<BulkListResponse> {
    return this.send('users/bulkUpdate', 'POST', { users }).then((r) => bulkResponse('users/bulkUpdate', r));
  }

  /** GDPR: deletes the profile and blocks future collection for the email. */
  forgetUser(email: string): Promise<IterableApiResponse> {
    return this.send('users/forget', 'POST', { email }).then(apiResponse);
  }

  /** Deletes the profile only; Iterable answers 400 BadParams for an unknown user. */
  deleteUser(email: string): Promise<IterableApiResponse> {
    return this.send('users/delete', 'DELETE', undefined, `/users/${encodeURIComponent(email)}`).then(apiResponse);
  }

  async getFields(): Promise<Record<string, string>> {
    const r = await this.send('users/getFields', 'GET');
    const fields = (r.json as { fields?: unknown } | undefined)?.fields;
    if (!fields || typeof fields !== 'object') throw unreadable('users/getFields', r);
    return fields as Record<string, string>;
  }

  private async send(endpoint: string, method: Method, data?: unknown, url = '/' + endpoint): Promise<Answer> {
    const key = 'iterable:' + endpoint;
    const limit = this.config.iterable.limits[endpoint];
    if (limit) await this.limiter.acquire(key, limit);
    let res: AxiosResponse<unknown>;
    try {
      res = await this.http.axiosRef.request({
        ...apiCall('iterable', endpoint),
        baseURL: this.config.iterable.baseUrl,
        url,
        method,
        data,
        headers: { 'Api-Key': this.config.iterable.apiKey, 'Content-Type': 'application/json' },
        validateStatus: () => true,
        timeout: TIMEOUT_MS,
        responseType: 'text',
        transformResponse: (r: unknown) => r,
      });
    } catch (e) {
      const err = e as { code?: string; message?: string };
      throw errorForStatus('iterable', endpoint, undefined, this.redact(`${endpoint}: ${[err.code, err.message].filter(Boolean).join(' ')}`));
    }
    const text = typeof res.data === 'string' ? res.data : '';
    const answer: Answer = { status: res.status, text, json: parseJson(text) };
    if (res.status >= 200 && res.status < 300) return answer;

    const retryAfterMs = parseRetryAfter(res.headers['retry-after']);
    if (res.status === 429) {
      // The 429 is what the job must see; a failed slowdown (Redis hiccup) costs at most another 429.
      await this.limiter.pushBack(key, retryAfterMs ?? DEFAULT_429_PAUSE_MS).catch(() => undefined);
    }
    const body = answer.json as Partial<IterableApiResponse> | undefined;
    const apiMsg = typeof body?.msg === 'string' && body.msg ? body.msg : snippet(text) || `HTTP ${res.status}`;
    const code = typeof body?.code === 'string' ? body.code : undefined;
    throw errorForStatus('iterable', endpoint, res.status, this.redact(`${endpoint} ${res.status}: ${apiMsg}`), retryAfterMs, code);
  }

  /** An API might echo a header back in an error; the key must never reach a log or a dead letter. */
  private redact(message: string): string {
    const key = this.config.iterable.apiKey;
    return key ? message.split(key).join('[redacted]') : message;
  }
}

interface Answer {
  status: number;
  text: string;
  json: unknown;
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

function snippet(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 200);
}

/** Seconds or an HTTP date, per RFC 9110; undefined when absent or unreadable. */
function parseRetryAfter(header: unknown): number | undefined {
  if (typeof header !== 'string' || !header.trim()) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** A 2xx already took effect: an unreadable body must not make the caller retry (and e.g. re-trigger a journey). */
function apiResponse(r: Answer): IterableApiResponse {
  const body = r.json as Partial<IterableApiResponse> | undefined;
  if (body && typeof body.code === 'string') return body as IterableApiResponse;
  return { msg: snippet(r.text), code: 'Success', params: null };
}

/** Bulk calls are upserts, so when their counts cannot be read, retrying is the safe answer. */
function bulkResponse(endpoint: string, r: Answer): BulkListResponse {
  const body = r.json as Partial<BulkListResponse> | undefined;
  if (typeof body?.successCount === 'number' && typeof body.failCount === 'number') return body as BulkListResponse;
  throw unreadable(endpoint, r);
}

function unreadable(endpoint: string, r: Answer): TransientApiError {
  return new TransientApiError('iterable', r.status, `${endpoint} ${r.status}: unreadable response: ${snippet(r.text)}`);
}
