import type Redis from 'ioredis';
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

/**
 * Queues and workers: BullMQ workers block on Redis and must wait for it to come back rather than fail, so no
 * per-request retry limit. The webhook side fails fast on its own (see JobProducer), not through these options.
 */
export function redisConnection(url: string): RedisOptions {
  return { ...redisOptionsFromUrl(url), maxRetriesPerRequest: null, enableOfflineQueue: true, retryStrategy: (t) => Math.min(t * 200, 2000) };
}

/** BullMQ types its connection loosely (it supports other clients); ours is always ioredis. */
export async function ioredisOf(queue: { client: Promise<unknown> }): Promise<Redis> {
  return (await queue.client) as Redis;
}
