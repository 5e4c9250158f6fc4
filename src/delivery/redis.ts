import type { RedisOptions } from 'ioredis';

/** ioredis options from a redis:// or rediss:// URL (BullMQ takes options, not URLs). */
export function redisOptionsFromUrl(url: string): RedisOptions {
  const u = new URL(url);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : undefined;
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : 6379,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: Number.isInteger(db) ? db : undefined,
    tls: u.protocol === 'rediss:' ? {} : undefined,
  };
}

const retryStrategy = (times: number) => Math.min(times * 200, 2000);

/**
 * The producer side. `enableOfflineQueue: false` makes a command fail at once while Redis is down, so the
 * webhook answers 503 instead of hanging past Kommo's 2-second timeout (and never 2xx for what was not stored).
 */
export function producerConnection(url: string): RedisOptions {
  return { ...redisOptionsFromUrl(url), enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000, retryStrategy };
}

/** Workers block on Redis and must wait for it to come back rather than fail: no per-request retry limit. */
export function workerConnection(url: string): RedisOptions {
  return { ...redisOptionsFromUrl(url), maxRetriesPerRequest: null, enableOfflineQueue: true, retryStrategy };
}

/** BullMQ types its connection loosely (it supports other clients); ours is always ioredis. */
export async function ioredisOf(queue: { client: Promise<unknown> }): Promise<import('ioredis').default> {
  return (await queue.client) as import('ioredis').default;
}
