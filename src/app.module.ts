import { DynamicModule, Module } from '@nestjs/common';
import { HttpModule } from '@nestjs/axios';
import { BullModule } from '@nestjs/bullmq';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import { BackfillController } from './admin/backfill.controller';
import { DeadLetterController } from './admin/dead-letter.controller';
import { GdprController } from './admin/gdpr.controller';
import { DeadLetterService } from './admin/dead-letter.service';
import { APP_CONFIG, AppConfig } from './config/config';
import { ApiPauseRegistry } from './delivery/api-pause';
import { defaultJobOptions } from './delivery/queue-config';
import { queueErrorLogProvider } from './delivery/queue-error-log.provider';
import { rateLimiterProviders } from './delivery/rate-limiter.provider';
import { redisConnection } from './delivery/redis';
import { GdprService } from './gdpr/gdpr.service';
import { HealthController } from './health/health.controller';
import { IterableClient } from './iterable/iterable.client';
import { KommoClient } from './kommo/kommo.client';
import { kommoTokenProviders } from './kommo/kommo-token.source';
import { loggerOptions } from './logging/logger.options';
import { maintenanceProviders, maintenanceQueue } from './maintenance/maintenance.providers';
import { MetricsController } from './metrics/metrics.controller';
import { METRICS_PROVIDERS } from './metrics/metrics.providers';
import { MappingMetrics } from './metrics/mapping-metrics';
import { BackfillService } from './sync/backfill/backfill.service';
import { JobProducer } from './sync/job-producer';
import { QUEUES } from './sync/jobs';
import { PROCESSORS } from './sync/processors';
import { LeadStatusStore } from './sync/reconcile/lead-status.store';
import { IterableWebhookController } from './webhooks/iterable-webhook.controller';
import { KommoWebhookController } from './webhooks/kommo-webhook.controller';

export interface AppOptions {
  /** where log lines go (tests capture them); stdout by default */
  logStream?: NodeJS.WritableStream;
}

/** Wiring only. The role decides which halves run: `api` takes webhooks, `worker` processes, `all` both. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, options: AppOptions = {}): DynamicModule {
    const takesWebhooks = config.role !== 'worker';
    const runsWorkers = config.role !== 'api';
    // Nest routes every controller listed: the admin API must be left out, not merely unguarded.
    const servesAdmin = takesWebhooks && Boolean(config.admin);
    const jobOptions = defaultJobOptions(config);
    return {
      module: AppModule,
      imports: [
        LoggerModule.forRoot(loggerOptions(config, options.logStream)),
        // an axios instance of this app's own: ApiMetrics' interceptor must not count another app's calls
        HttpModule.register({}),
        TerminusModule,
        BullModule.forRoot({ connection: redisConnection(config.redisUrl), prefix: config.queuePrefix }),
        BullModule.registerQueue(
          { name: QUEUES.kommoToIterable, defaultJobOptions: jobOptions },
          { name: QUEUES.iterableToKommo, defaultJobOptions: jobOptions },
          { name: QUEUES.backfill, defaultJobOptions: jobOptions },
          { name: QUEUES.reconcile, defaultJobOptions: jobOptions },
          { name: QUEUES.gdpr, defaultJobOptions: jobOptions },
        ),
        maintenanceQueue,
      ],
      controllers: [
        HealthController,
        MetricsController,
        ...(servesAdmin ? [DeadLetterController, BackfillController, GdprController] : []),
      ],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        ...rateLimiterProviders,
        queueErrorLogProvider,
        ...kommoTokenProviders,
        KommoClient,
        IterableClient,
        JobProducer,
        LeadStatusStore,
        ApiPauseRegistry,
        ...METRICS_PROVIDERS,
        MappingMetrics,
        // served as Fastify routes (app.factory.ts), not through Nest's router
        ...(takesWebhooks ? [KommoWebhookController, IterableWebhookController] : []),
        ...(runsWorkers ? PROCESSORS : []),
        ...maintenanceProviders(runsWorkers),
        ...(servesAdmin ? [DeadLetterService, BackfillService, GdprService] : []),
      ],
    };
  }
}
