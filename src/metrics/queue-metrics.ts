import { Injectable } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { Gauge } from 'prom-client';
import { ioredisOf } from '../delivery/redis';
import { QUEUES } from '../sync/jobs';
import { MetricsRegistry } from './webhook-metrics';

const STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;
/** A scrape must answer even when Redis does not: past this, queue gauges are left out of that scrape. */
export const QUEUE_SCRAPE_TIMEOUT_MS = 500;

/** Queue depth and the oldest waiting job's age, read from Redis on each scrape (so every replica reports the truth). */
@Injectable()
export class QueueMetrics {
  constructor(
    metrics: MetricsRegistry,
    @InjectQueue(QUEUES.kommoToIterable) kommoToIterable: Queue,
    @InjectQueue(QUEUES.iterableToKommo) iterableToKommo: Queue,
  ) {
    const queues = [kommoToIterable, iterableToKommo];
    new Gauge({
      name: 'kis_queue_jobs',
      help: 'Jobs per queue and state (waiting, active, delayed, failed = dead letters, completed = dedup window)',
      labelNames: ['queue', 'state'],
      registers: [metrics.registry],
      async collect() {
        this.reset();
        const all = await eachQueue(queues, (q) => q.getJobCounts(...STATES));
        for (const [queue, counts] of all) for (const state of STATES) this.set({ queue, state }, counts[state] ?? 0);
      },
    });
    new Gauge({
      name: 'kis_queue_oldest_waiting_age_seconds',
      help: 'Age of the oldest waiting job since it was stored (0 when none waits)',
      labelNames: ['queue'],
      registers: [metrics.registry],
      async collect() {
        this.reset();
        const all = await eachQueue(queues, async (q) => (await q.getJobs(['waiting'], 0, 0, true))[0]?.timestamp);
        for (const [queue, at] of all) this.set({ queue }, at ? Math.max(0, (Date.now() - at) / 1000) : 0);
      },
    });
  }
}

/**
 * Reads every queue, or none: on a Redis that is down or slow the gauges are left out of the scrape rather than
 * holding /metrics (a disconnected client would queue the commands until Redis returns).
 */
async function eachQueue<T>(queues: Queue[], read: (q: Queue) => Promise<T>): Promise<[string, T][]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<[string, T][]>((resolve) => {
    timer = setTimeout(() => resolve([]), QUEUE_SCRAPE_TIMEOUT_MS);
  });
  const readings = Promise.all(
    queues.map(async (q): Promise<[string, T]> => {
      const client = await ioredisOf(q);
      if (client.status !== 'ready') throw new Error(`Redis connection is ${client.status}`);
      return [q.name, await read(q)];
    }),
  ).catch((): [string, T][] => []);
  try {
    return await Promise.race([readings, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
