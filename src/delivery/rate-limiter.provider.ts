import { Inject, Injectable, Logger, OnApplicationShutdown, Provider } from '@nestjs/common';
import Redis from 'ioredis';
import { APP_CONFIG, AppConfig } from '../config/config';
import { ApiMetrics } from '../metrics/api-metrics';
import { errorListener } from './error-log';
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
    useFactory: (config: AppConfig) => {
      const redis = new Redis({ ...redisConnection(config.redisUrl), maxRetriesPerRequest: 3, lazyConnect: true });
      // without a listener, ioredis prints "[ioredis] Unhandled error event" raw on every failed reconnect
      redis.on('error', errorListener('rate limiter connection', new Logger('RateLimiter')));
      return redis;
    },
  },
  {
    provide: RateLimiter,
    inject: [LIMITER_REDIS, APP_CONFIG, ApiMetrics],
    useFactory: (redis: Redis, config: AppConfig, metrics: ApiMetrics) =>
      new RateLimiter(redis, config.queuePrefix, (key, ms) => metrics.rateLimitWait(key, ms)),
  },
  LimiterConnectionCloser,
];
