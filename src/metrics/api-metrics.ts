import { HttpService } from '@nestjs/axios';
import { Injectable } from '@nestjs/common';
import { isAxiosError, type AxiosResponse } from 'axios';
import { Counter, Histogram } from 'prom-client';
import type { ApiName } from '../delivery/errors';
import { MetricsRegistry } from './webhook-metrics';

/** Which API and low-cardinality endpoint (ids replaced, e.g. `GET /leads/:id`) a request is for. */
export interface ApiCallLabel {
  api: ApiName;
  endpoint: string;
}

declare module 'axios' {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  interface AxiosRequestConfig<D = any, P = any> {
    /** Set by the transports; read by ApiMetrics' interceptor. Requests without it are not counted. */
    apiCall?: ApiCallLabel;
  }
}

/** Spread into an axios request config: `{ ...apiCall('kommo', c.endpoint), method, url, … }`. */
export const apiCall = (api: ApiName, endpoint: string): { apiCall: ApiCallLabel } => ({ apiCall: { api, endpoint } });

export type StatusClass = '2xx' | '3xx' | '4xx' | '5xx' | 'network';

export function statusClass(status: number | undefined): StatusClass {
  if (status === undefined || status < 200 || status >= 600) return 'network';
  return `${Math.floor(status / 100)}xx` as StatusClass;
}

/**
 * API call counters, fed by an interceptor on the app's own axios instance (HttpModule.register gives each app
 * one), so the transports only label their requests: clients built in unit tests without it count nothing.
 */
@Injectable()
export class ApiMetrics {
  private readonly calls: Counter<'api' | 'endpoint' | 'status_class'>;
  private readonly rateLimited: Counter<'api' | 'endpoint'>;
  private readonly waits: Histogram<'limit'>;

  constructor(metrics: MetricsRegistry, http: HttpService) {
    const registers = [metrics.registry];
    this.calls = new Counter({
      name: 'kis_api_calls_total',
      help: 'Kommo and Iterable API calls by api, endpoint and status class (2xx/4xx/5xx/network)',
      labelNames: ['api', 'endpoint', 'status_class'],
      registers,
    });
    this.rateLimited = new Counter({
      name: 'kis_api_rate_limited_total',
      help: '429 answers by api and endpoint',
      labelNames: ['api', 'endpoint'],
      registers,
    });
    this.waits = new Histogram({
      name: 'kis_rate_limit_wait_seconds',
      help: 'Time API calls waited for a slot of the shared rate limiter, by limit (kommo, iterable:<endpoint>)',
      labelNames: ['limit'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    http.axiosRef.interceptors.response.use(
      (res: AxiosResponse) => {
        if (res.config.apiCall) this.count(res.config.apiCall, res.status);
        return res;
      },
      (err: unknown) => {
        if (isAxiosError(err) && err.config?.apiCall) this.count(err.config.apiCall, err.response?.status);
        return Promise.reject(err);
      },
    );
  }

  count({ api, endpoint }: ApiCallLabel, status: number | undefined): void {
    this.calls.inc({ api, endpoint, status_class: statusClass(status) });
    if (status === 429) this.rateLimited.inc({ api, endpoint });
  }

  rateLimitWait(limit: string, waitedMs: number): void {
    this.waits.observe({ limit }, waitedMs / 1000);
  }
}
