import { HttpService } from '@nestjs/axios';
import { AxiosResponse, isAxiosError, Method } from 'axios';
import * as qs from 'qs';
import { AppConfig } from '../config/config';
import { errorForStatus, PermanentApiError, TransientApiError } from '../delivery/errors';
import { RateLimiter } from '../delivery/rate-limit';
import { apiCall } from '../metrics/api-metrics';
import { KommoTokenSource } from './kommo-token.source';

const TIMEOUT_MS = 10_000;
const SNIPPET_CHARS = 300;
const QS = { arrayFormat: 'brackets', encodeValuesOnly: true } as const;

export interface KommoCall {
  method: Method;
  /** under /api/v4 */
  path: string;
  /** low-cardinality label for errors and metrics: ids replaced by `:id` */
  endpoint: string;
  query?: Record<string, unknown>;
  data?: unknown;
}

/**
 * KommoClient's transport. Every call waits for the fleet-wide Kommo rate slot first, and every failure leaves as
 * one of the typed errors of delivery/errors.ts carrying Kommo's own message, never the token.
 */
export class KommoHttp {
  constructor(
    private readonly config: AppConfig,
    private readonly http: HttpService,
    private readonly limiter: RateLimiter,
    private readonly tokens: KommoTokenSource,
  ) {}

  /** Body of a 2xx, or null for Kommo's 204 / empty answers; throws a typed error otherwise. */
  async call<T>(c: KommoCall): Promise<T | null> {
    for (let attempt = 1; ; attempt++) {
      await this.limiter.acquire('kommo', this.config.kommo.ratePerSecond);
      const token = await this.tokens.accessToken();
      const res = await this.send(c, token);
      if (res.status === 401 && attempt === 1 && (await this.tokens.onUnauthorized(token))) continue;
      return this.interpret<T>(c, res, token);
    }
  }

  private async send(c: KommoCall, token: string): Promise<AxiosResponse<string>> {
    try {
      return await this.http.axiosRef.request<string>({
        ...apiCall('kommo', c.endpoint),
        method: c.method,
        baseURL: `${this.config.kommo.baseUrl}/api/v4`,
        url: c.query ? `${c.path}?${qs.stringify(c.query, QS)}` : c.path,
        data: c.data,
        headers: { Authorization: `Bearer ${token}`, Accept: 'application/hal+json, application/json' },
        timeout: TIMEOUT_MS,
        validateStatus: () => true,
        // Raw text: 204s, nginx HTML pages and problem+json are told apart here, not by axios guessing.
        responseType: 'text',
        transformResponse: (d: unknown) => d,
      });
    } catch (e) {
      const reason = isAxiosError(e) ? [e.code, e.message].filter(Boolean).join(' ') : String(e);
      throw new TransientApiError('kommo', undefined, redact(`${c.endpoint}: ${reason}`, token));
    }
  }

  private async interpret<T>(c: KommoCall, res: AxiosResponse<string>, token: string): Promise<T | null> {
    const text = typeof res.data === 'string' ? res.data : '';
    const body = parseJson(text);
    if (res.status >= 200 && res.status < 300) {
      if (res.status === 204 || !text.trim()) return null;
      if (body === undefined) throw new TransientApiError('kommo', res.status, `${c.endpoint}: answer was not JSON`);
      return body as T;
    }
    const retryAfterMs = retryAfterMsOf(body, res.headers['retry-after']);
    // Slow every process down, not just this job: the limit is per account/IP and repeated 429s end in a block.
    if (res.status === 429) await this.limiter.pushBack('kommo', retryAfterMs ?? 1000);
    const { message, code } = describeFailure(res.status, body, text);
    throw errorForStatus('kommo', c.endpoint, res.status, redact(message, token), retryAfterMs, code);
  }
}

/** Ids go into URLs and query strings: anything but a positive safe integer is a bug upstream, not a Kommo call. */
export function positiveId(id: number): number {
  if (!Number.isSafeInteger(id) || id <= 0) throw new PermanentApiError('kommo', 400, `invalid Kommo id: ${String(id)}`);
  return id;
}

function parseJson(text: string): unknown {
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Kommo's own words for a failure: problem+json `detail` (else `title`), with the per-field validation errors of a
 * 400 appended, so a dead letter says what to fix. Blocked IPs get nginx HTML, not JSON: its title stands in.
 */
function describeFailure(status: number, body: unknown, text: string): { message: string; code?: string } {
  if (isRecord(body)) {
    const head = [body.detail, body.title, body.message, body.hint].find((v) => typeof v === 'string' && v.trim());
    const fieldErrors = (Array.isArray(body['validation-errors']) ? body['validation-errors'] : [])
      .flatMap((e: unknown) => (isRecord(e) && Array.isArray(e.errors) ? e.errors : []))
      .filter(isRecord);
    const details = fieldErrors
      .map((e) => [e.path, e.detail].filter((s) => typeof s === 'string' && s).join(': '))
      .filter(Boolean);
    const message = [head ?? `HTTP ${status}`, details.length ? `(${details.join('; ')})` : ''].filter(Boolean).join(' ');
    const code = fieldErrors.find((e) => typeof e.code === 'string')?.code as string | undefined;
    return { message: clip(message), code };
  }
  if (!text.trim()) return { message: `HTTP ${status}` };
  const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1];
  const plain = title ?? text.replace(/<[^>]*>/g, ' ');
  return { message: clip(plain.replace(/\s+/g, ' ').trim()) || `HTTP ${status}` };
}

/** `retry_after` is in seconds, in the 429 body (Kommo) or a Retry-After header (proxies); undefined when absent. */
function retryAfterMsOf(body: unknown, header: unknown): number | undefined {
  for (const v of [isRecord(body) ? body.retry_after : undefined, header]) {
    const seconds = typeof v === 'number' ? v : typeof v === 'string' && v.trim() ? Number(v) : NaN;
    if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  }
  return undefined;
}

/** A proxy or an API echoing the request must not carry the token into a log or a dead letter. */
function redact(message: string, secret: string): string {
  return secret ? message.split(secret).join('[redacted]') : message;
}

function clip(s: string): string {
  return s.length > SNIPPET_CHARS ? `${s.slice(0, SNIPPET_CHARS)}…` : s;
}

