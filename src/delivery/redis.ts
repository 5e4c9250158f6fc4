import { createIORedisClient, RedisConnection } from 'bullmq';
import Redis from 'ioredis';
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

/**
 * ioredis leaves a client that is disconnected between two reconnect attempts parked: no socket, no retry timer,
 * and never the 'end' event that BullMQ's Worker.close() waits for (taskforcesh/bullmq#4656), so a shutdown during
 * or just after a Redis outage would hang until the drain bound. Such a client is ended at once instead.
 */
class EndingRedis extends Redis {
  override disconnect(reconnect = false): void {
    const parked = !reconnect && this.status === 'reconnecting';
    super.disconnect(reconnect);
    if (!parked) return;
    // what ioredis does itself when a connection ends: fail the commands still waiting (BullMQ's blocking read)
    this.status = 'end';
    (this as unknown as { flushQueue(err: Error): void }).flushQueue(new Error('Connection is closed.'));
    this.emit('end');
  }
}

/** Makes every BullMQ connection of this process an EndingRedis (BullMQ's documented hook for custom clients). */
export function useEndingRedisClients(): void {
  RedisConnection.clientFactory = (opts) => createIORedisClient(new EndingRedis(opts));
}
