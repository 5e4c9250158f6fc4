/**
 * What an API call's failure means for the job that made it. API clients throw only these; one policy
 * (`job-policy.ts`) turns them into BullMQ behaviour.
 */
export type ApiName = 'kommo' | 'iterable';

/** Retry with backoff: 5xx, 408, timeouts, network errors. */
export class TransientApiError extends Error {
  constructor(readonly api: ApiName, readonly status: number | undefined, message: string) {
    super(message);
    this.name = 'TransientApiError';
  }
}

/** 429: wait `retryAfterMs` (or backoff when the API gives none) without spending an attempt. */
export class RateLimitedError extends Error {
  constructor(readonly api: ApiName, readonly endpoint: string, readonly retryAfterMs: number | undefined) {
    super(`${api} rate limited on ${endpoint}`);
    this.name = 'RateLimitedError';
  }
}

/** 401/403: bad or revoked credentials, or an IP block. Pause the API's work instead of burning jobs. */
export class ApiAuthError extends Error {
  constructor(readonly api: ApiName, readonly status: number, message: string) {
    super(message);
    this.name = 'ApiAuthError';
  }
}

/** Any other 4xx: retrying cannot help. Carries the API's own message. */
export class PermanentApiError extends Error {
  constructor(readonly api: ApiName, readonly status: number, message: string, readonly code?: string) {
    super(message);
    this.name = 'PermanentApiError';
  }
}

/** Maps an HTTP status to the error class that describes it (undefined status = network error / timeout). */
export function errorForStatus(
  api: ApiName,
  endpoint: string,
  status: number | undefined,
  message: string,
  retryAfterMs?: number,
  code?: string,
): Error {
  if (status === undefined || status >= 500 || status === 408) return new TransientApiError(api, status, message);
  if (status === 429) return new RateLimitedError(api, endpoint, retryAfterMs);
  if (status === 401 || status === 403) return new ApiAuthError(api, status, message);
  return new PermanentApiError(api, status, message, code);
}
