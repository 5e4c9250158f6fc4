import { performance } from 'node:perf_hooks';

/** Rate limits, per-endpoint statistics and injected faults of the Iterable simulator. */
export interface EndpointStats {
  /** Requests that reached the endpoint, whatever the answer. */
  count: number;
  /** 429 answers (limit exceeded or injected). */
  rateLimited: number;
  /** Most requests that arrived within any 1000 ms: compare with the limit to see whether a client paced itself. */
  maxInWindow: number;
}

export interface FaultMatcher {
  method?: string;
  /** '/api/users/update', 'users/update', 'users/{email}', or a RegExp tested against the full path. */
  path?: string | RegExp;
}

export interface FaultReply {
  status: number;
  body: unknown;
  contentType: string;
}

/** Iterable's documented per-project limits (requests per second). */
export const DEFAULT_LIMITS: Record<string, number> = {
  'users/update': 500,
  'events/track': 2000,
  'users/bulkUpdate': 5,
  'events/trackBulk': 10,
  'users/forget': 3,
};

const WINDOW_MS = 1000;
export const RATE_LIMIT_TEXT = 'Rate limit exceeded. Please try again later.';

/** Keeps only the times inside the last window ending at `now`. */
function prune(times: number[], now: number): void {
  while (times.length && times[0] <= now - WINDOW_MS) times.shift();
}

export function endpointKey(p: string): string {
  return p.replace(/^\/+/, '').replace(/^api\//, '');
}

export class SimTraffic {
  private readonly limits = new Map(Object.entries(DEFAULT_LIMITS));
  private readonly arrivals = new Map<string, number[]>();
  private readonly admitted = new Map<string, number[]>();
  private readonly stats = new Map<string, EndpointStats>();
  private faults: { matcher: FaultMatcher; statuses: number[] }[] = [];

  setLimit(p: string, perSecond: number | null): void {
    if (perSecond === null || !Number.isFinite(perSecond)) this.limits.delete(endpointKey(p));
    else this.limits.set(endpointKey(p), perSecond);
  }

  failNext(matcher: FaultMatcher, statuses: number[]): void {
    this.faults.push({ matcher, statuses: [...statuses] });
  }

  /** Counts an arrival and tracks the busiest window (arrivals, so over-sending shows even when refused). */
  arrive(key: string): void {
    const now = performance.now();
    const s = this.statsOf(key);
    const times = this.arrivals.get(key) ?? [];
    this.arrivals.set(key, times);
    prune(times, now);
    times.push(now);
    s.count++;
    s.maxInWindow = Math.max(s.maxInWindow, times.length);
  }

  /** Sliding 1000 ms window over admitted requests; false means answer 429. */
  admit(key: string): boolean {
    const limit = this.limits.get(key);
    if (limit === undefined) return true;
    const now = performance.now();
    const times = this.admitted.get(key) ?? [];
    this.admitted.set(key, times);
    prune(times, now);
    if (times.length >= limit) return false;
    times.push(now);
    return true;
  }

  /** The injected status for this request, if a pending fault matches it. */
  takeFault(method: string, fullPath: string, key: string): number | undefined {
    const i = this.faults.findIndex((f) => matches(f.matcher, method, fullPath, key));
    if (i < 0) return undefined;
    const fault = this.faults[i];
    const status = fault.statuses.shift();
    if (!fault.statuses.length) this.faults.splice(i, 1);
    return status;
  }

  answered(key: string, status: number): void {
    if (status === 429) this.statsOf(key).rateLimited++;
  }

  snapshot(): Record<string, EndpointStats> {
    return Object.fromEntries([...this.stats].map(([k, v]) => [k, { ...v }]));
  }

  /** Forgets traffic and pending faults; keeps configured limits. */
  clear(): void {
    this.arrivals.clear();
    this.admitted.clear();
    this.stats.clear();
    this.faults = [];
  }

  private statsOf(key: string): EndpointStats {
    let s = this.stats.get(key);
    if (!s) this.stats.set(key, (s = { count: 0, rateLimited: 0, maxInWindow: 0 }));
    return s;
  }
}

function matches(m: FaultMatcher, method: string, fullPath: string, key: string): boolean {
  if (m.method && m.method.toUpperCase() !== method) return false;
  if (m.path === undefined) return true;
  if (m.path instanceof RegExp) return m.path.test(fullPath);
  return m.path === fullPath || endpointKey(m.path) === endpointKey(fullPath) || endpointKey(m.path) === key;
}

/** What Iterable (or the load balancer in front of it) answers for an injected status. */
export function faultReply(status: number): FaultReply {
  const json = (code: string, msg: string, params: unknown = null) => ({
    status,
    body: { msg, code, params },
    contentType: 'application/json; charset=utf-8',
  });
  const text = (body: string) => ({ status, body, contentType: 'text/plain; charset=utf-8' });
  if (status === 429) return text(RATE_LIMIT_TEXT);
  if (status === 503 || status === 502 || status === 504) return text('Service Temporarily Unavailable');
  if (status === 400) return json('BadParams', 'Invalid parameters (injected)');
  if (status === 401) return json('BadApiKey', 'Invalid API key');
  if (status === 409) return json('ForgottenUserError', 'Contact is GDPR forgotten (injected)');
  if (status === 404) return json('NotFound', 'Not found (injected)');
  return json('GenericError', `Internal error (injected ${status})`);
}
