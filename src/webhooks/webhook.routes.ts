import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { IterableWebhookController } from './iterable-webhook.controller';
import { KommoWebhookController } from './kommo-webhook.controller';

/**
 * The two webhooks as plain Fastify routes: Nest's router and its per-request layers were a third of an ingest's CPU
 * (`npm run bench`). The controllers stay Nest providers (config, JobProducer, metrics, logger). Must run before the
 * app is initialised; body parsers, limits (413) and the not-found handler are the instance's, as for Nest's routes.
 */
export function mountWebhookRoutes(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  const kommo = app.get(KommoWebhookController);
  const iterable = app.get(IterableWebhookController);
  // Fastify fixes a route's error handler when it registers the route, before Nest sets its own at init: look it up
  // per error instead, so that a thrown HttpException, a body error or a bug get the same answer as on Nest's routes.
  const errorHandler = (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => fastify.errorHandler(err, req, reply);
  fastify.post<{ Params: { token: string } }>('/webhooks/kommo/:token', { errorHandler }, (req, reply) =>
    // Nest's route did not match an empty token
    req.params.token === '' ? reply.callNotFound() : kommo.receive(req.params.token, req),
  );
  fastify.post('/webhooks/iterable', { errorHandler }, (req) => iterable.receive(req));
}
