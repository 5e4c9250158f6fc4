import { Controller, Get, Inject, OnApplicationShutdown, BeforeApplicationShutdown } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { InjectQueue } from '@nestjs/bullmq';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { Queue } from 'bullmq';
import { APP_CONFIG, AppConfig } from '../config/config';
import { ApiPauseRegistry } from '../delivery/api-pause';
import { PolicyWorkerHost } from '../delivery/policy-worker.host';
import { ioredisOf } from '../delivery/redis';
import { KommoWebhookStatus } from '../maintenance/kommo-webhook.status';
import { QUEUES } from '../sync/jobs';
import { PROCESSORS } from '../sync/processors';

const PING_TIMEOUT_MS = 1000;

/** Probes for orchestrators: `live` is the process alone; `ready` says whether it can do its job now. */
@Controller('health')
export class HealthController implements BeforeApplicationShutdown, OnApplicationShutdown {
  private shuttingDown = false;

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    @InjectQueue(QUEUES.kommoToIterable) private readonly queue: Queue,
    private readonly pauses: ApiPauseRegistry,
    private readonly moduleRef: ModuleRef,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly kommoWebhook: KommoWebhookStatus,
  ) {}

  @Get('live')
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([() => this.lifecycle(), () => this.redis(), () => this.workers(), () => this.apis(), () => this.kommoWebhook.indicator()]);
  }

  /** Orchestrators stop routing here before the drain starts. */
  beforeApplicationShutdown() {
    this.shuttingDown = true;
  }

  onApplicationShutdown() {
    this.shuttingDown = true;
  }

  private lifecycle() {
    const s = this.indicator.check('lifecycle');
    return this.shuttingDown ? s.down({ message: 'shutting down' }) : s.up();
  }

  /** Pings on the existing producer connection: no new connection per probe. */
  private async redis() {
    const s = this.indicator.check('redis');
    try {
      await within(ioredisOf(this.queue).then((client) => client.ping()));
      return s.up();
    } catch (err) {
      return s.down({ message: (err as Error).message });
    }
  }

  private workers() {
    const s = this.indicator.check('workers');
    if (this.config.role === 'api') return s.up({ role: 'api', workers: 0 });
    const hosts = PROCESSORS.map((p) => this.moduleRef.get<PolicyWorkerHost>(p, { strict: false }));
    const stopped = hosts.filter((h) => !h.worker?.isRunning()).map((h) => h.constructor.name);
    return stopped.length ? s.down({ stopped }) : s.up({ running: hosts.length });
  }

  /** An API whose credentials were rejected has its work paused; the service cannot do its job. */
  private async apis() {
    const s = this.indicator.check('apis');
    try {
      const paused = await within(this.pauses.paused());
      return Object.keys(paused).length ? s.down({ paused }) : s.up();
    } catch (err) {
      return s.down({ message: (err as Error).message });
    }
  }
}

/**
 * Redis calls of a probe. During an outage ioredis holds commands until Redis is back, and a connection opened
 * while Redis was down is not even there yet: the probe must answer 503 now, not then.
 */
function within<T>(work: Promise<T>, ms = PING_TIMEOUT_MS): Promise<T> {
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms).unref());
  return Promise.race([work, timeout]);
}
