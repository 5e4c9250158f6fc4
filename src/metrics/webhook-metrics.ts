import { Injectable } from '@nestjs/common';
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';

/** The process's Prometheus registry (one per app instance, so tests can run several apps in one process). */
@Injectable()
export class MetricsRegistry {
  readonly registry = new Registry();
  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}

@Injectable()
export class WebhookMetrics {
  private readonly webhooks: Counter<'source' | 'outcome'>;

  constructor(metrics: MetricsRegistry) {
    this.webhooks = new Counter({
      name: 'kis_webhooks_total',
      help: 'Webhook deliveries by source (kommo, iterable) and outcome',
      labelNames: ['source', 'outcome'],
      registers: [metrics.registry],
    });
  }

  count(source: 'kommo' | 'iterable', outcome: string): void {
    this.webhooks.inc({ source, outcome });
  }
}
