import { BadRequestException, ForbiddenException, Inject, Injectable, Logger, ServiceUnavailableException, UnauthorizedException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '../config/config';
import { KommoWebhookError, parseKommoWebhook } from '../kommo/kommo-webhook.parser';
import { JobProducer } from '../sync/job-producer';
import { safeEqual } from './safe-equal';
import { WebhookMetrics } from '../metrics/webhook-metrics';

/**
 * Kommo account and Digital Pipeline webhooks. Answers within Kommo's 2 s: parse, store, reply. Anything not
 * stored gets a 503 so Kommo retries; well-formed kinds we do not sync get a 2xx (failures count towards
 * Kommo disabling the hook). Served at `POST /webhooks/kommo/:token` by webhook.routes.ts, not Nest's router.
 */
@Injectable()
export class KommoWebhookController {
  private readonly logger = new Logger(KommoWebhookController.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly producer: JobProducer,
    private readonly metrics: WebhookMetrics,
  ) {}

  async receive(token: string, req: FastifyRequest) {
    const outcome = (o: string) => this.metrics.count('kommo', o);
    if (!safeEqual(token, this.config.kommo.webhookToken)) {
      outcome('unauthorized');
      throw new UnauthorizedException('unknown webhook token');
    }
    const requestId = String(req.headers['x-amocrm-requestid'] ?? randomUUID());
    let delivery;
    try {
      delivery = parseKommoWebhook(typeof req.body === 'string' ? req.body : '', new Date(), requestId);
    } catch (err) {
      if (!(err instanceof KommoWebhookError)) throw err;
      outcome('invalid');
      throw new BadRequestException(err.message);
    }
    const expected = this.config.kommo.accountId;
    if (expected && delivery.account.id !== undefined && delivery.account.id !== expected) {
      outcome('forbidden');
      throw new ForbiddenException(`account ${delivery.account.id} is not the configured Kommo account`);
    }
    try {
      const { enqueued, duplicate } = await this.producer.enqueue(delivery.changes);
      outcome(enqueued ? 'enqueued' : duplicate ? 'duplicate' : 'ignored');
      this.logger.log({ requestId, enqueued, duplicate, ignored: delivery.ignored }, 'kommo webhook stored');
      return { enqueued, duplicate, ignored: delivery.ignored };
    } catch (err) {
      outcome('unavailable');
      this.logger.error({ requestId, err: (err as Error).message }, 'kommo webhook not stored: Redis unavailable');
      throw new ServiceUnavailableException('queue storage unavailable; retry later');
    }
  }
}
