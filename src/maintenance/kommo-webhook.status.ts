import { Inject, Injectable } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { Queue } from 'bullmq';
import { Gauge } from 'prom-client';
import { APP_CONFIG, AppConfig } from '../config/config';
import { ioredisOf } from '../delivery/redis';
import { MetricsRegistry } from '../metrics/webhook-metrics';
import { QUEUES } from '../sync/jobs';
import { KOMMO_WEBHOOK_CHECK_EVERY_MS } from './maintenance.queue';

/** What the last check of `GET /api/v4/webhooks` found; shared in Redis so every replica reports the same. */
export interface KommoWebhookState {
  checkedAt: string;
  /** a hook points at /webhooks/kommo/<our token> */
  registered?: boolean;
  /** Kommo's silent `disabled` flag on that hook */
  disabled?: boolean;
  /** the last check failed (the fields above are from the check before) */
  error?: string;
}

/** Probes and scrapes must not hang on a Redis outage: the redis check reports that, not this one. */
const READ_TIMEOUT_MS = 500;

/** Publishes the webhook check's result: `kis_kommo_webhook_*` gauges and a warning in `/health/ready` (never a 503). */
@Injectable()
export class KommoWebhookStatus {
  private readonly key: string;

  constructor(
    @InjectQueue(QUEUES.kommoToIterable) private readonly queue: Queue,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly indicators: HealthIndicatorService,
    metrics: MetricsRegistry,
  ) {
    this.key = `${config.queuePrefix}:kommo-webhook-status`;
    // Label-less gauges always expose a sample: 0 also stands for "not checked yet" (see /health/ready's checkedAt).
    const gauge = (name: string, help: string, value: (s: KommoWebhookState) => boolean | undefined) => {
      const read = () => this.readQuietly();
      return new Gauge({
        name,
        help,
        registers: [metrics.registry],
        async collect() {
          const state = await read();
          this.set(state && value(state) ? 1 : 0);
        },
      });
    };
    gauge('kis_kommo_webhook_disabled', "1 when Kommo reports the service's webhook disabled (checked every 5 minutes)", (s) => s.disabled);
    gauge('kis_kommo_webhook_registered', '1 when the last check found a Kommo webhook pointing at /webhooks/kommo/<token>', (s) => s.registered);
  }

  async save(state: KommoWebhookState): Promise<void> {
    // Expires when no worker checks any more, rather than reporting an old answer as current.
    await (await ioredisOf(this.queue)).set(this.key, JSON.stringify(state), 'PX', 3 * KOMMO_WEBHOOK_CHECK_EVERY_MS);
  }

  async read(): Promise<KommoWebhookState | undefined> {
    const raw = await (await ioredisOf(this.queue)).get(this.key);
    return raw ? (JSON.parse(raw) as KommoWebhookState) : undefined;
  }

  /** The `kommoWebhook` entry of `/health/ready`: always up, with a warning an operator can act on. */
  async indicator() {
    const check = this.indicators.check('kommoWebhook');
    const up = (details: Record<string, unknown>) => check.up(details);
    const s = await this.readQuietly();
    if (!s) return up({ checked: false });
    const at = { checkedAt: s.checkedAt, webhookDisabled: Boolean(s.disabled) };
    if (s.disabled) {
      return up({ ...at, warning: "Kommo disabled the service's webhook (too many failed deliveries or an IP block): no Kommo events arrive. Re-enable it in Kommo (Settings → Integrations → Web hooks → Save) or run kommo:webhook again." });
    }
    if (s.registered === false) {
      return up({ ...at, registered: false, warning: 'no Kommo webhook points at /webhooks/kommo/<KOMMO_WEBHOOK_TOKEN>: register it with kommo:webhook' });
    }
    if (s.error) return up({ ...at, warning: `the Kommo webhook check failed: ${s.error}` });
    return up(at);
  }

  private async readQuietly(): Promise<KommoWebhookState | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), READ_TIMEOUT_MS)));
    try {
      return await Promise.race([this.read(), timeout]);
    } catch {
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }
}
