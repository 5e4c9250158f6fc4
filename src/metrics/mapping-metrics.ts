import { Inject, Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { MetricsRegistry } from './webhook-metrics';

/** Mapped values left out of Iterable updates (see src/mapping/coerce.ts), by Iterable field name. */
@Injectable()
export class MappingMetrics {
  private readonly dropped: Counter<'field'>;

  constructor(metrics: MetricsRegistry, @Inject(APP_CONFIG) config: AppConfig) {
    this.dropped = new Counter({
      name: 'kis_mapping_dropped_total',
      help: 'Mapped Kommo values left out of an Iterable update because they could not be coerced to the declared type',
      labelNames: ['field'],
      registers: [metrics.registry],
    });
    // Every mapped field starts at 0, so `increase()` alerts see the first drop; the label set is the mapping file's.
    for (const f of config.mapping?.fields ?? []) this.dropped.inc({ field: f.to }, 0);
  }

  countDropped(field: string): void {
    this.dropped.inc({ field });
  }
}
