import type { Provider } from '@nestjs/common';
import { ApiMetrics } from './api-metrics';
import { JobMetrics } from './job-metrics';
import { QueueMetrics } from './queue-metrics';
import { MetricsRegistry, WebhookMetrics } from './webhook-metrics';

/** Every role registers all of them: a metric that exists at 0 is easier to alert on than one that is absent. */
export const METRICS_PROVIDERS: Provider[] = [MetricsRegistry, WebhookMetrics, ApiMetrics, JobMetrics, QueueMetrics];
