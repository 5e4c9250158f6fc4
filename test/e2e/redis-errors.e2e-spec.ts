import { getQueueToken, WorkerHost } from '@nestjs/bullmq';
import type { Type } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { KommoWebhookCheckProcessor } from '../../src/maintenance/kommo-webhook-check.processor';
import { MAINTENANCE_QUEUE } from '../../src/maintenance/maintenance.queue';
import { QUEUES } from '../../src/sync/jobs';
import { PROCESSORS } from '../../src/sync/processors';
import { Harness, startHarness, waitFor } from '../support/harness';
import { RedisServer } from '../support/redis-server';
import { noteTally, seedWonLeads, wonDelivery } from '../support/won-deals';

const QUEUE_NAMES: string[] = [...Object.values(QUEUES), MAINTENANCE_QUEUE];
const WORKER_HOSTS: Type<WorkerHost>[] = [...PROCESSORS, KommoWebhookCheckProcessor];

/** What BullMQ and ioredis print when an 'error' event has no listener: console.error, or raw stderr writes. */
function captureRawOutput(): { lines: string[]; restore(): void } {
  const lines: string[] = [];
  const spies = (['error', 'warn'] as const).map((level) =>
    jest.spyOn(console, level).mockImplementation((...args: unknown[]) => void lines.push(`console.${level}: ${args.map(String).join(' ')}`)),
  );
  const write = process.stderr.write.bind(process.stderr);
  // Jest's own reporter writes here too: only error-looking output counts.
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    if (/error|ECONN|closed/i.test(String(chunk))) lines.push(`stderr: ${String(chunk)}`);
    return write(chunk, ...rest);
  }) as typeof process.stderr.write;
  return {
    lines,
    restore() {
      spies.forEach((s) => s.mockRestore());
      process.stderr.write = write;
    },
  };
}

type ErrorLine = { source: string; err: string; heldBack: number; msg: string; level: number };

/** The service's JSON log lines from the 'error' listeners (src/delivery/error-log.ts); every line must parse. */
function connectionErrorLines(h: Harness): ErrorLine[] {
  return h.logs
    .join('')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Partial<ErrorLine>)
    .filter((l): l is ErrorLine => typeof l.source === 'string' && typeof l.heldBack === 'number');
}

/**
 * A Redis of the test's own goes away and comes back under a running service, which is then closed: every queue and
 * worker reports its connection errors as rate-limited JSON log lines, nothing is printed raw, nothing crashes (an
 * unhandled 'error' event would be an uncaught exception, which fails the test in Jest).
 */
describe('Redis connection errors: JSON log lines, never raw, never fatal', () => {
  let redis: RedisServer;
  let h: Harness | undefined;
  let raw: ReturnType<typeof captureRawOutput>;

  beforeAll(async () => {
    redis = await RedisServer.start();
    raw = captureRawOutput();
    // a reconcile interval gives the reconcile queue a job scheduler, as in production
    h = await startHarness({ REDIS_URL: redis.url, RECONCILE_INTERVAL_MS: '60000' });
  });
  afterAll(async () => {
    raw.restore();
    await h?.close();
    await redis?.kill();
  });

  it('every queue and every worker of the app has an error listener', () => {
    for (const name of QUEUE_NAMES) expect([name, h!.app.get<Queue>(getQueueToken(name)).listenerCount('error')]).toEqual([name, 1]);
    for (const host of WORKER_HOSTS) {
      const worker = h!.app.get(host).worker;
      expect([worker.name, worker.listenerCount('error')]).toEqual([worker.name, 1]);
    }
  });

  it('Redis killed: each connection logs one JSON line while it keeps failing to reconnect; nothing raw', async () => {
    const app = h!;
    const [deal] = seedWonLeads(app.kommo, 'errors', 1);
    expect((await app.postKommo(wonDelivery([deal.leadId]))).status).toBe(200);
    await waitFor('the Won note (the rate limiter connection is open)', () => noteTally(app.kommo, [deal.leadId]).leadsWithNote === 1);

    const queue = app.app.get<Queue>(getQueueToken(QUEUES.kommoToIterable));
    let queueErrors = 0;
    queue.on('error', () => queueErrors++);
    await redis.kill();
    const sources = [...QUEUE_NAMES.map((q) => `queue ${q}`), ...QUEUE_NAMES.map((q) => `worker ${q}`), 'rate limiter connection'];
    await waitFor('a connection error line from every queue, worker and the rate limiter', () => {
      const seen = new Set(connectionErrorLines(app).map((l) => l.source));
      return sources.every((s) => seen.has(s));
    }).catch((err: Error) => {
      const seen = new Set(connectionErrorLines(app).map((l) => l.source));
      throw new Error(`${err.message}; none from ${sources.filter((s) => !seen.has(s)).join(', ')}`);
    });
    await waitFor('several failed reconnects of one queue', () => queueErrors >= 4);

    const lines = connectionErrorLines(app);
    const perSource = new Map<string, number>();
    for (const l of lines) perSource.set(l.source, (perSource.get(l.source) ?? 0) + 1);
    // once per 30 s per connection, however often it retries
    expect(perSource.get(`queue ${QUEUES.kommoToIterable}`)).toBe(1);
    expect(Math.max(...perSource.values())).toBe(1);
    expect(lines.every((l) => l.level === 50)).toBe(true);
    expect(raw.lines).toEqual([]);
    const kinds = [...new Set(lines.map((l) => l.err.replace(/\s*[\d.:]+$/, '')))].join(' | ');
    console.info(`Redis killed: ${queueErrors} errors on one queue, ${lines.length} log lines from ${perSource.size} connections (${kinds})`);
  });

  it('Redis back: ready again and a new Won syncs, without a restart; nothing raw', async () => {
    const app = h!;
    await redis.restart();
    await waitFor('ready 200', async () => (await fetch(`${app.url}/health/ready`)).status === 200);
    const [deal] = seedWonLeads(app.kommo, 'errors-back', 1);
    expect((await app.postKommo(wonDelivery([deal.leadId]))).status).toBe(200);
    await waitFor('the Won note', () => noteTally(app.kommo, [deal.leadId]).leadsWithNote === 1);
    expect(raw.lines).toEqual([]);
  });

  it('the app closed after the outage: no raw output, no crash', async () => {
    const app = h!;
    h = undefined;
    await app.close();
    expect(raw.lines).toEqual([]);
  });
});
