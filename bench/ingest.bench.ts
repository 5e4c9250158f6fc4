import autocannon from 'autocannon';
import { cpuSecondsOf, dropPrefix, freePort, memoryOf, sampleRss, SECRETS, serviceEnv, startNode, statusDelivery, uniquePrefix, untilHttpOk, until } from './bench-support';

/**
 * (a) webhook ingest of the service (ROLE=api, so no processing competes) against the bare Fastify + BullMQ endpoint,
 * same Redis, same machine, same run; (d) the service's RSS under that load. Every request is a new lead, so every
 * delivery is stored (duplicates would only be counted). The service runs at its default LOG_LEVEL (info): its line
 * per delivery is part of what it promises operators, so part of its cost.
 */

const CONNECTIONS = 20;
const WARMUP_SECONDS = 3;
/** More, shorter rounds: a 2-core machine shared with other work moves single rounds by ±40 %. */
const ROUNDS = Number(process.env.BENCH_INGEST_ROUNDS ?? 5);

export interface LoadFigures {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  non2xx: number;
  errors: number;
  /** CPU the server process spent per request: steadier than req/s on a machine shared with other work */
  cpuMsPerRequest: number;
}

export interface IngestFigures {
  connections: number;
  seconds: number;
  rounds: { bare: LoadFigures[]; service: LoadFigures[] };
  /** the median round of each */
  bare: LoadFigures;
  service: LoadFigures;
  throughputRatio: number;
  cpuPerRequestRatio: number;
  p99Ratio: number;
  serviceRss: { idleMiB: number; underLoadMaxMiB: number; peakMiB: number };
}

let leadId = 50_000_000;
const nextBody = () => statusDelivery([{ id: leadId++, statusId: 142, pipelineId: 7001, oldStatusId: 301, updatedAt: 1790000000 }]);

async function load(url: string, seconds: number, pid: number): Promise<LoadFigures> {
  const cpuBefore = cpuSecondsOf(pid);
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        setupRequest: (req) => ({ ...req, body: nextBody() }),
      },
    ],
  });
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    cpuMsPerRequest: ((cpuSecondsOf(pid) - cpuBefore) * 1000) / Math.max(result.requests.total, 1),
  };
}

interface Target {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

async function startBare(): Promise<Target> {
  const prefix = uniquePrefix('bare');
  const child = startNode(['-r', 'ts-node/register/transpile-only', 'bench/bare-endpoint.ts'], { QUEUE_PREFIX: prefix, TS_NODE_TRANSPILE_ONLY: 'true' });
  const port = await until('the bare endpoint', () => Number(/"port":(\d+)/.exec(child.output.join(''))?.[1]), 60_000);
  const stop = async () => {
    await child.stop();
    await dropPrefix(prefix);
  };
  return { url: `http://127.0.0.1:${port}/webhooks/kommo/${SECRETS.webhookToken}`, pid: child.proc.pid!, stop };
}

async function startService(): Promise<Target> {
  const prefix = uniquePrefix('api');
  const port = await freePort();
  // The Kommo and Iterable URLs are never called in ROLE=api; they only have to be valid.
  const env = serviceEnv(prefix, { ROLE: 'api', PORT: String(port), LOG_LEVEL: process.env.BENCH_INGEST_LOG_LEVEL ?? 'info', KOMMO_BASE_URL: 'http://127.0.0.1:9', ITERABLE_BASE_URL: 'http://127.0.0.1:9/api' });
  const child = startNode(['dist/main.js'], env);
  const stop = async () => {
    await child.stop();
    await dropPrefix(prefix);
  };
  await untilHttpOk(child, `http://127.0.0.1:${port}/health/live`).catch(async (e: Error) => {
    await stop();
    throw e;
  });
  return { url: `http://127.0.0.1:${port}/webhooks/kommo/${SECRETS.webhookToken}`, pid: child.proc.pid!, stop };
}

/** Round with the median throughput: one noisy round (other work on the machine) does not decide the figures. */
function median(rounds: LoadFigures[]): LoadFigures {
  return [...rounds].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond)[Math.floor(rounds.length / 2)];
}

/** Median of the per-round ratios: each pair of rounds ran back to back, so load drifting in between cancels out. */
function pairedRatio(service: LoadFigures[], bare: LoadFigures[], of: (r: LoadFigures) => number): number {
  const ratios = service.map((s, i) => of(s) / Math.max(of(bare[i]), 1e-9)).sort((x, y) => x - y);
  return ratios[Math.floor(ratios.length / 2)];
}

/**
 * Both servers run side by side and take turns (bare then service, then service then bare, …), so drifting load
 * from elsewhere on the machine hits both alike; `seconds` per server is split into ROUNDS rounds.
 */
export async function benchIngest(seconds: number): Promise<IngestFigures> {
  const bare = await startBare();
  try {
    const service = await startService();
    try {
      await load(bare.url, WARMUP_SECONDS, bare.pid);
      await load(service.url, WARMUP_SECONDS, service.pid);
      const idleMiB = memoryOf(service.pid).rssMiB;
      const rounds = { bare: [] as LoadFigures[], service: [] as LoadFigures[] };
      const sampler = sampleRss(service.pid);
      for (let i = 0; i < ROUNDS; i++) {
        for (const side of i % 2 ? (['service', 'bare'] as const) : (['bare', 'service'] as const)) {
          const target = side === 'bare' ? bare : service;
          rounds[side].push(await load(target.url, seconds / ROUNDS, target.pid));
        }
      }
      const serviceRss = { idleMiB, underLoadMaxMiB: sampler.stop(), peakMiB: memoryOf(service.pid).peakMiB };
      const [b, s] = [median(rounds.bare), median(rounds.service)];
      const cpu = (r: LoadFigures[]) => r.reduce((n, x) => n + x.cpuMsPerRequest * x.requests, 0) / r.reduce((n, x) => n + x.requests, 0);
      return {
        connections: CONNECTIONS,
        seconds,
        rounds,
        bare: b,
        service: s,
        throughputRatio: pairedRatio(rounds.service, rounds.bare, (r) => r.requestsPerSecond),
        cpuPerRequestRatio: cpu(rounds.service) / cpu(rounds.bare),
        p99Ratio: pairedRatio(rounds.service, rounds.bare, (r) => Math.max(r.p99Ms, 1)),
        serviceRss,
      };
    } finally {
      await service.stop();
    }
  } finally {
    await bare.stop();
  }
}
