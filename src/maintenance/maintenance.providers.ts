import { HttpService } from '@nestjs/axios';
import { BullModule } from '@nestjs/bullmq';
import type { Provider } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/config';
import { RateLimiter } from '../delivery/rate-limit';
import { KommoHttp } from '../kommo/kommo-http';
import { KommoTokenSource } from '../kommo/kommo-token.source';
import { KommoWebhooks } from '../kommo/kommo-webhooks';
import { KommoWebhookCheckProcessor } from './kommo-webhook-check.processor';
import { KommoWebhookStatus } from './kommo-webhook.status';
import { MAINTENANCE_QUEUE } from './maintenance.queue';

export const maintenanceQueue = BullModule.registerQueue({ name: MAINTENANCE_QUEUE });

/** The status is read by every role (health, metrics); the check itself runs in worker roles only. */
export function maintenanceProviders(runsWorkers: boolean): Provider[] {
  return [
    KommoWebhookStatus,
    ...(runsWorkers
      ? [
          {
            provide: KommoWebhooks,
            inject: [APP_CONFIG, HttpService, RateLimiter, KommoTokenSource],
            useFactory: (config: AppConfig, http: HttpService, limiter: RateLimiter, tokens: KommoTokenSource) =>
              new KommoWebhooks(new KommoHttp(config, http, limiter, tokens)),
          },
          KommoWebhookCheckProcessor,
        ]
      : []),
  ];
}
