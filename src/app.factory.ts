import { NestFactory } from '@nestjs/core';
import { getQueueToken } from '@nestjs/bullmq';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import type { Queue } from 'bullmq';
import { basicAuthHook } from './admin/basic-auth';
import { mountBullBoard } from './admin/bull-board';
import { AppModule, AppOptions } from './app.module';
import { useEndingRedisClients } from './delivery/redis';
import type { AppConfig } from './config/config';
import { QUEUES } from './sync/jobs';
import { mountWebhookRoutes } from './webhooks/webhook.routes';

/** Webhook bodies: a Kommo delivery of 150 leads is ~150 KB; anything past 1 MiB is refused with 413. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/** Builds the application (not listening yet): used by main.ts, the demo and the e2e tests. */
export async function createApp(config: AppConfig, options: AppOptions = {}): Promise<NestFastifyApplication> {
  useEndingRedisClients();
  const adapter = new FastifyAdapter({ bodyLimit: BODY_LIMIT_BYTES, trustProxy: true });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, options), adapter, {
    bodyParser: false,
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  // exit 0 once drained; by default Nest re-raises the signal and the process ends as killed
  app.enableShutdownHooks([], { useProcessExit: true });

  const fastify = app.getHttpAdapter().getInstance();
  // Kommo's form body is parsed by our own parser (qs, with limits); other non-JSON bodies reach the
  // controllers as text so that they can answer 400 with a reason rather than 415.
  fastify.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  fastify.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  if (config.role !== 'worker') mountWebhookRoutes(app);
  if (config.admin && config.role !== 'worker') {
    fastify.addHook('onRequest', basicAuthHook(config.admin.username, config.admin.password));
    const queues = Object.values(QUEUES).map((q) => app.get<Queue>(getQueueToken(q)));
    await mountBullBoard(fastify, queues);
  }
  return app;
}
