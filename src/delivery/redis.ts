import Redis, { RedisOptions } from 'ioredis';

export const REDIS = Symbol('REDIS');

/**
 * The producer/command connection. `enableOfflineQueue: false` makes a command fail at once while Redis is down,
 * so the webhook answers 503 instead of hanging past Kommo's 2-second timeout.
 */
export function createRedis(url: string, extra: RedisOptions = {}): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    ...extra,
  });
}

/** BullMQ workers need blocking commands that wait for Redis to come back: no request limit. */
export function workerConnectionOptions(url: string): RedisOptions & { url: string } {
  return { url, maxRetriesPerRequest: null, enableOfflineQueue: true, retryStrategy: (t) => Math.min(t * 200, 2000) };
}
