import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import { Queue } from 'bullmq';
import { APP_CONFIG, AppConfig } from '../config/config';
import { QUEUES } from '../sync/jobs';
import { ApiName } from './errors';
import { AUTH_PAUSE_MS } from './job-policy';
import { ioredisOf } from './redis';

/**
 * Which APIs are paused for bad or revoked credentials. Kept in Redis, so every replica's /health/ready agrees;
 * it expires by itself if no worker probes the API again.
 */
@Injectable()
export class ApiPauseRegistry {
  private readonly logger = new Logger(ApiPauseRegistry.name);
  private readonly known = new Set<ApiName>();

  constructor(
    @InjectQueue(QUEUES.kommoToIterable) private readonly queue: Queue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  get pauseMs(): number {
    return this.config.jobs.authPauseMs ?? AUTH_PAUSE_MS;
  }

  async pause(api: ApiName, reason: string): Promise<void> {
    this.known.add(api);
    const client = await ioredisOf(this.queue);
    await client.set(this.key(api), reason, 'PX', this.pauseMs * 3);
    this.logger.error(`${api} credentials rejected (${reason}); its jobs are paused, not failed, until a call succeeds`);
  }

  /** Called after a job's API calls succeeded. Cheap when nothing is paused in this process. */
  async resume(apis: ApiName[]): Promise<void> {
    const hit = apis.filter((a) => this.known.has(a));
    if (!hit.length) return;
    const client = await ioredisOf(this.queue);
    await client.del(...hit.map((a) => this.key(a)));
    hit.forEach((a) => this.known.delete(a));
    this.logger.log(`${hit.join(', ')} calls succeed again; work resumed`);
  }

  async paused(): Promise<Partial<Record<ApiName, string>>> {
    const client = await ioredisOf(this.queue);
    const [kommo, iterable] = await client.mget(this.key('kommo'), this.key('iterable'));
    return { ...(kommo ? { kommo } : {}), ...(iterable ? { iterable } : {}) };
  }

  private key(api: ApiName): string {
    return `${this.config.queuePrefix}:paused:${api}`;
  }
}
