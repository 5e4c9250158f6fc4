import 'reflect-metadata';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { createApp } from '../../src/app.factory';
import { AppConfig, loadConfig } from '../../src/config/config';
import { IterableSimulator } from '../simulators/iterable.simulator';
import { KommoSimulator } from '../simulators/kommo.simulator';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const SECRETS = {
  kommoToken: 'kommo-test-token',
  webhookToken: 'hook-token-0123456789abcdef',
  iterableKey: 'iterable-test-key',
  iterableSecret: 'iterable-webhook-secret',
  adminPassword: 'admin-password-123',
};

export interface Harness {
  app: NestFastifyApplication;
  url: string;
  config: AppConfig;
  kommo: KommoSimulator;
  iterable: IterableSimulator;
  redis: Redis;
  logs: string[];
  postKommo(body: string, token?: string): Promise<Response>;
  postIterable(body: unknown, auth?: string): Promise<Response>;
  close(): Promise<void>;
}

/**
 * The service wired to both simulators over real HTTP, on a real Redis under a prefix of its own. `tune` adjusts
 * what no environment variable sets (e.g. `jobs.authPauseMs`) before the app is built.
 */
export async function startHarness(
  env: Record<string, string> = {},
  sims?: { kommo?: KommoSimulator; iterable?: IterableSimulator },
  tune?: (config: AppConfig) => void,
): Promise<Harness> {
  const kommo = sims?.kommo ?? new KommoSimulator({ token: SECRETS.kommoToken });
  const iterable = sims?.iterable ?? new IterableSimulator({ apiKey: SECRETS.iterableKey });
  const kommoUrl = await kommo.start();
  const iterableUrl = await iterable.start();
  const prefix = `kis-test-${randomBytes(4).toString('hex')}`;
  const config = loadConfig({
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'info',
    KOMMO_BASE_URL: kommoUrl,
    KOMMO_ACCESS_TOKEN: SECRETS.kommoToken,
    KOMMO_WEBHOOK_TOKEN: SECRETS.webhookToken,
    ITERABLE_BASE_URL: iterableUrl,
    ITERABLE_API_KEY: SECRETS.iterableKey,
    ITERABLE_WEBHOOK_SECRET: SECRETS.iterableSecret,
    ADMIN_USERNAME: 'admin',
    ADMIN_PASSWORD: SECRETS.adminPassword,
    JOB_BACKOFF_MS: '50',
    ...env,
  });
  const { logs, logStream } = captureLogs();
  tune?.(config);
  const app = await createApp(config, { logStream });
  await app.listen(0, '127.0.0.1');
  const url = await app.getUrl();
  const redis = new Redis(REDIS_URL);
  return {
    app,
    url,
    config,
    kommo,
    iterable,
    redis,
    logs,
    ...webhookPosters(url),
    async close() {
      await app.close();
      await kommo.stop();
      await iterable.stop();
      const keys = await redis.keys(`${prefix}:*`);
      for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
      redis.disconnect();
    },
  };
}

/** The two webhook calls Kommo and Iterable make, aimed at the app at `url`. */
function webhookPosters(url: string): Pick<Harness, 'postKommo' | 'postIterable'> {
  return {
    postKommo: (body, token = SECRETS.webhookToken) =>
      fetch(`${url}/webhooks/kommo/${token}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body }),
    postIterable: (body, auth = SECRETS.iterableSecret) =>
      fetch(`${url}/webhooks/iterable`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: auth },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
  };
}

function captureLogs(): { logs: string[]; logStream: PassThrough } {
  const logs: string[] = [];
  const logStream = new PassThrough();
  logStream.on('data', (chunk: Buffer) => logs.push(chunk.toString('utf8')));
  return { logs, logStream };
}

/**
 * One more service process beside `first`: same Redis, QUEUE_PREFIX and simulators, its own config changes (e.g.
 * `{ role: 'worker' }`) and logs. Closing it stops only this app; `first.close()` cleans up the rest.
 */
export async function joinHarness(first: Harness, changes: Partial<AppConfig>): Promise<Harness> {
  const config: AppConfig = { ...first.config, ...changes };
  const { logs, logStream } = captureLogs();
  const app = await createApp(config, { logStream });
  await app.listen(0, '127.0.0.1');
  const url = await app.getUrl();
  return {
    ...first,
    app,
    url,
    config,
    logs,
    ...webhookPosters(url),
    close: () => app.close(),
  };
}

/** JSON of a response, typed loosely: tests assert its shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function json(res: Response): Promise<any> {
  return res.json();
}

/** Polls until `check` returns a truthy value (no fixed sleeps); fails with `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Builds a form body the way Kommo does: bracket keys, percent-encoded, `+` for spaces. */
export function kommoForm(fields: Record<string, string | number>): string {
  return new URLSearchParams(Object.entries(fields).map(([k, v]): [string, string] => [k, String(v)])).toString();
}

/** A `leads[status]` entry i of an account webhook. */
export function statusEntry(i: number, lead: { id: number; status_id: number; pipeline_id: number; old_status_id?: number; updated_at?: number }) {
  const out: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(lead)) if (v !== undefined) out[`leads[status][${i}][${k}]`] = v;
  return out;
}
