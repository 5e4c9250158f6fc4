import { BadRequestException, Inject, Injectable, Logger, ServiceUnavailableException, UnauthorizedException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '../config/config';
import { IterableWebhookError, parseIterableWebhook } from '../iterable/iterable-webhook.parser';
import { WebhookMetrics } from '../metrics/webhook-metrics';
import { JobProducer } from '../sync/job-producer';
import { safeEqual } from './safe-equal';

/** Iterable sends `Authorization: <token>` for "Basic" and `<Scheme> <token>` otherwise: accept both. */
export function iterableAuthorized(header: string | undefined, secret: string): boolean {
  if (!header) return false;
  const value = header.trim();
  const token = /^(basic|bearer|oauth2?)\s+/i.test(value) ? value.replace(/^\S+\s+/, '') : value;
  return safeEqual(token, secret);
}

/** Iterable's system webhooks. Served at `POST /webhooks/iterable` by webhook.routes.ts, not Nest's router. */
@Injectable()
export class IterableWebhookController {
  private readonly logger = new Logger(IterableWebhookController.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly producer: JobProducer,
    private readonly metrics: WebhookMetrics,
  ) {}

  async receive(req: FastifyRequest) {
    const outcome = (o: string) => this.metrics.count('iterable', o);
    if (!iterableAuthorized(req.headers.authorization, this.config.iterable.webhookSecret)) {
      outcome('unauthorized');
      throw new UnauthorizedException('missing or wrong Authorization');
    }
    const requestId = randomUUID();
    let parsed;
    try {
      parsed = parseIterableWebhook(jsonBody(req.body), new Date(), requestId);
    } catch (err) {
      if (!(err instanceof IterableWebhookError)) throw err;
      outcome('invalid');
      throw new BadRequestException(err.message);
    }
    if (parsed.kind === 'ignored') {
      outcome('ignored');
      return { enqueued: 0, duplicate: 0, ignored: 1, eventName: parsed.eventName };
    }
    try {
      const { enqueued, duplicate } = await this.producer.enqueue([parsed.job]);
      outcome(enqueued ? 'enqueued' : 'duplicate');
      this.logger.log({ requestId, job: parsed.job.name, enqueued, duplicate }, 'iterable webhook stored');
      return { enqueued, duplicate, ignored: 0 };
    } catch (err) {
      outcome('unavailable');
      this.logger.error({ requestId, err: (err as Error).message }, 'iterable webhook not stored: Redis unavailable');
      throw new ServiceUnavailableException('queue storage unavailable; retry later');
    }
  }
}

/** Bodies of other content types arrive as strings (see app.factory.ts): they must still be JSON. */
function jsonBody(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  try {
    return JSON.parse(body);
  } catch {
    throw new IterableWebhookError('body is not JSON');
  }
}
