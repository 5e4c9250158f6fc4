import { Inject, Injectable, OnApplicationShutdown, Provider } from '@nestjs/common';
import Redis from 'ioredis';
import { APP_CONFIG, AppConfig } from '../config/config';
import { ApiMetrics } from '../metrics/api-metrics';
import { RateLimiter } from './rate-limit';
import { redisConnection } from './redis';

const LIMITER_REDIS = Symbol('LIMITER_REDIS');

/** The limiter's own connection: API calls wait on it, webhook intake must not. */
@Injectable()
class LimiterConnectionCloser implements OnApplicationShutdown {
  constructor(@Inject(LIMITER_REDIS) private readonly redis: Redis) {}
  async onApplicationShutdown() {
    this.redis.disconnect();
  }
}

export const rateLimiterProviders: Provider[] = [
  {
    provide: LIMITER_REDIS,
    inject: [APP_CONFIG],
    useFactory: (config: AppConfig) => new Redis({ ...redisConnection(config.redisUrl), maxRetriesPerRequest: 3, lazyConnect: true }),
  },
  {
    provide: RateLimiter,
    inject: [LIMITER_REDIS, APP_CONFIG, ApiMetrics],
    useFactory: (redis: Redis, config: AppConfig, metrics: ApiMetrics) =>
      new RateLimiter(redis, config.queuePrefix, (key, ms) => metrics.rateLimitWait(key, ms)),
  },
  LimiterConnectionCloser,
];
