import { performance } from 'node:perf_hooks';

/** What reached the Kommo simulator: the call log, the rate window and its stats, and injected faults. */

export interface KommoCall {
  method: string;
  /** without the query string */
  path: string;
  query: Record<string, unknown>;
  body: unknown;
  status: number;
  at: number;
}

export interface KommoSimulatorStats {
  /** requests to /api/v4 */
  requests: number;
  /** of those, answered 429 (by the window or by failNext) */
  rateLimited: number;
  /** most /api/v4 requests that arrived within any 1000 ms */
  maxPerSecond: number;
}

export interface FaultMatcher {
  method?: string;
  pathPrefix?: string;
}

const WINDOW_MS = 1000;
export const isApiPath = (path: string): boolean => path.startsWith('/api/v4/');

export class KommoTraffic {
  readonly calls: KommoCall[] = [];
  stats: KommoSimulatorStats = { requests: 0, rateLimited: 0, maxPerSecond: 0 };
  private arrivals: number[] = [];
  private faults: { matcher: FaultMatcher; statuses: number[] }[] = [];
  private lostAnswers: { matcher: FaultMatcher; status: number }[] = [];

  /** Logs a request; an /api/v4 one also enters the sliding window, whose size at arrival is returned. */
  arrive(method: string, url: string, query: Record<string, unknown>): { call: KommoCall; inWindow: number } {
    const call: KommoCall = { method, path: url.split('?')[0], query, body: undefined, status: 0, at: Date.now() };
    this.calls.push(call);
    if (!isApiPath(call.path)) return { call, inWindow: 0 };
    const now = performance.now();
    while (this.arrivals.length && this.arrivals[0] <= now - WINDOW_MS) this.arrivals.shift();
    this.arrivals.push(now);
    this.stats.requests++;
    this.stats.maxPerSecond = Math.max(this.stats.maxPerSecond, this.arrivals.length);
    return { call, inWindow: this.arrivals.length };
  }

  failNext(matcher: FaultMatcher, statuses: number[]): void {
    if (statuses.length) this.faults.push({ matcher, statuses: [...statuses] });
  }

  /** The next matching request is carried out, but its client gets `status` instead of the answer. */
  loseAnswerNext(matcher: FaultMatcher, status: number): void {
    this.lostAnswers.push({ matcher, status });
  }

  /** The status that replaces a carried-out `call`'s answer, consuming it; undefined when its answer goes out. */
  takeLostAnswer(call: KommoCall): number | undefined {
    const i = this.lostAnswers.findIndex(({ matcher }) => matches(matcher, call));
    return i < 0 ? undefined : this.lostAnswers.splice(i, 1)[0].status;
  }

  /** The status the first matching fault prescribes for `call`, consuming it. */
  takeFault(call: KommoCall): number | undefined {
    const i = this.faults.findIndex(({ matcher }) => matches(matcher, call));
    if (i < 0) return undefined;
    const status = this.faults[i].statuses.shift();
    if (!this.faults[i].statuses.length) this.faults.splice(i, 1);
    return status;
  }

  reset(): void {
    this.calls.length = 0;
    this.stats = { requests: 0, rateLimited: 0, maxPerSecond: 0 };
    this.arrivals = [];
    this.faults = [];
    this.lostAnswers = [];
  }
}

function matches(m: FaultMatcher, call: KommoCall): boolean {
  return (!m.method || m.method.toUpperCase() === call.method) && (!m.pathPrefix || call.path.startsWith(m.pathPrefix));
}
