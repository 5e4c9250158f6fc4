/**
 * The ingest baseline: Fastify + BullMQ and nothing else. It parses the Kommo delivery with the service's own parser
 * and stores the same jobs (same queue, job ids and options) with one addBulk, so the bench's ratio is the cost of
 * everything else the service does per delivery: Nest, auth, logging, metrics, the duplicate count.
 * Prints `{"port":N}` once listening.
 */
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { Queue } from 'bullmq';
import { redisConnection } from '../src/delivery/redis';
import { DEAD_LETTER_KEEP_SECONDS, DEDUP_WINDOW_SECONDS } from '../src/delivery/queue-config';
import { parseKommoWebhook } from '../src/kommo/kommo-webhook.parser';
import { QUEUES } from '../src/sync/jobs';

async function main() {
  const queue = new Queue(QUEUES.kommoToIterable, {
    connection: redisConnection(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'),
    prefix: process.env.QUEUE_PREFIX ?? 'kis-bench-bare',
    defaultJobOptions: {
      attempts: 12,
      backoff: { type: 'exponential', delay: 5000 },
      removeOnComplete: { age: DEDUP_WINDOW_SECONDS },
      removeOnFail: { age: DEAD_LETTER_KEEP_SECONDS },
    },
  });
  const app = Fastify({ bodyLimit: 1024 * 1024 });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.post('/webhooks/kommo/:token', async (req) => {
    const requestId = String(req.headers['x-amocrm-requestid'] ?? randomUUID());
    const delivery = parseKommoWebhook(req.body as string, new Date(), requestId);
    await queue.addBulk(delivery.changes.map((c) => ({ name: c.name, data: c.data, opts: { jobId: c.jobId } })));
    return { enqueued: delivery.changes.length, duplicate: 0, ignored: delivery.ignored };
  });
  const shutdown = async () => {
    await app.close();
    await queue.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown());
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
}

void main();
