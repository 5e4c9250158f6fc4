import { HttpService } from '@nestjs/axios';
import axios from 'axios';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiMetrics, apiCall, statusClass } from './api-metrics';
import { MetricsRegistry } from './webhook-metrics';

describe('statusClass', () => {
  it('groups statuses, and calls without an answer are network', () => {
    expect([200, 204, 301, 400, 429, 500, 503].map(statusClass)).toEqual(['2xx', '2xx', '3xx', '4xx', '4xx', '5xx', '5xx']);
    expect(statusClass(undefined)).toBe('network');
  });
});

describe('ApiMetrics', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      res.statusCode = Number(req.url?.slice(1)) || 200;
      res.end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it('counts labelled calls by status class, 429s apart, and ignores unlabelled ones', async () => {
    const registry = new MetricsRegistry();
    const http = new HttpService(axios.create({ validateStatus: () => true }));
    new ApiMetrics(registry, http);
    await http.axiosRef.get(`${base}/200`, apiCall('iterable', 'users/update'));
    await http.axiosRef.get(`${base}/429`, apiCall('iterable', 'users/update'));
    await http.axiosRef.get(`${base}/503`, apiCall('kommo', 'GET /leads/:id'));
    await http.axiosRef.get(`${base}/200`);
    const closedPort = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as AddressInfo).port;
        s.close(() => resolve(port));
      });
    });
    await expect(http.axiosRef.get(`http://127.0.0.1:${closedPort}/`, apiCall('kommo', 'POST /leads/notes'))).rejects.toThrow();

    const text = await registry.registry.metrics();
    const calls = text.split('\n').filter((l) => l.startsWith('kis_api_calls_total{'));
    expect(calls.sort()).toEqual([
      'kis_api_calls_total{api="iterable",endpoint="users/update",status_class="2xx"} 1',
      'kis_api_calls_total{api="iterable",endpoint="users/update",status_class="4xx"} 1',
      'kis_api_calls_total{api="kommo",endpoint="GET /leads/:id",status_class="5xx"} 1',
      'kis_api_calls_total{api="kommo",endpoint="POST /leads/notes",status_class="network"} 1',
    ]);
    expect(text).toContain('kis_api_rate_limited_total{api="iterable",endpoint="users/update"} 1');
    expect(text).not.toContain('kis_api_rate_limited_total{api="kommo"');
  });

  it('records rate-limiter waits in seconds', async () => {
    const registry = new MetricsRegistry();
    const metrics = new ApiMetrics(registry, new HttpService(axios.create()));
    metrics.rateLimitWait('kommo', 0);
    metrics.rateLimitWait('kommo', 300);
    const text = await registry.registry.metrics();
    expect(text).toContain('kis_rate_limit_wait_seconds_count{limit="kommo"} 2');
    expect(text).toContain('kis_rate_limit_wait_seconds_sum{limit="kommo"} 0.3');
    expect(text).toContain('kis_rate_limit_wait_seconds_bucket{le="0.25",limit="kommo"} 1');
  });
});
