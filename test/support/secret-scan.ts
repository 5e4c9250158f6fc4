import type Redis from 'ioredis';
import { SECRETS } from './harness';

/**
 * Each configured secret in every form it could leak in: as is, percent-encoded (a path or query), JSON-escaped
 * (a log line), and the admin's Basic credential (base64 of `user:password`, which no plain-text search finds).
 */
export function secretForms(): Record<string, string> {
  const forms: Record<string, string> = {};
  for (const [name, value] of Object.entries(SECRETS)) {
    forms[name] = value;
    forms[`${name} (url-encoded)`] = encodeURIComponent(value);
    forms[`${name} (json)`] = JSON.stringify(value).slice(1, -1);
  }
  forms['admin Basic credential'] = Buffer.from(`admin:${SECRETS.adminPassword}`).toString('base64');
  forms['Iterable webhook secret (base64)'] = Buffer.from(SECRETS.iterableSecret).toString('base64');
  return forms;
}

/** Names of the secret forms found in `text`, with the line around the first hit: [] when clean. */
export function leakedSecrets(text: string): string[] {
  return Object.entries(secretForms()).flatMap(([name, form]) => {
    const at = text.indexOf(form);
    if (at < 0) return [];
    const end = text.indexOf('\n', at);
    const line = text.slice(text.lastIndexOf('\n', at) + 1, end < 0 ? undefined : end);
    return [`${name}: ${line.slice(0, 300)}`];
  });
}

/** Every value stored under `prefix`: job data, failure reasons, stack traces, job logs, limiter and guard keys. */
export async function dumpPrefix(redis: Redis, prefix: string): Promise<string> {
  const out: string[] = [];
  for (const key of await redis.keys(`${prefix}:*`)) {
    const type = await redis.type(key);
    if (type === 'hash') out.push(key, JSON.stringify(await redis.hgetall(key)));
    else if (type === 'string') out.push(key, (await redis.get(key)) ?? '');
    else if (type === 'list') out.push(key, ...(await redis.lrange(key, 0, -1)));
    else if (type === 'set') out.push(key, ...(await redis.smembers(key)));
    else if (type === 'zset') out.push(key, ...(await redis.zrange(key, 0, -1)));
    else if (type === 'stream') out.push(key, JSON.stringify(await redis.xrange(key, '-', '+')));
  }
  return out.join('\n');
}
