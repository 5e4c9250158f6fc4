import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { HttpService } from '@nestjs/axios';
import axios from 'axios';
import Redis from 'ioredis';
import { ConfigError, loadConfig } from '../config/config';
import { RateLimiter } from '../delivery/rate-limit';
import { redisOptionsFromUrl } from '../delivery/redis';
import { KommoHttp } from '../kommo/kommo-http';
import { kommoOAuthFor, KommoTokenSource } from '../kommo/kommo-token.source';
import { KommoWebhooks, maskDestination, serviceDestination, SYNCED_WEBHOOK_SETTINGS } from '../kommo/kommo-webhooks';
import { CliOutput, redactedMessage } from './cli-clients';

const USAGE = 'usage: kommo-webhook --url https://<public address of this service>';

/**
 * Registers (or updates) the service's Kommo webhook: `${url}/webhooks/kommo/<KOMMO_WEBHOOK_TOKEN>` with
 * `status_lead`. Reads the service's own environment (Kommo credentials, Redis for the shared rate limit and OAuth
 * tokens). Returns the exit code.
 */
export async function runKommoWebhookCli(argv: string[], env: NodeJS.ProcessEnv, io: CliOutput): Promise<number> {
  let url: string;
  try {
    const { values } = parseArgs({ args: argv, options: { url: { type: 'string' } }, strict: true });
    url = parsePublicUrl(values.url);
  } catch (e) {
    io.err(`kommo-webhook: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  let config;
  try {
    config = loadConfig(env);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    io.err(`kommo-webhook: ${e.message}`);
    return 1;
  }
  const redis = new Redis({ ...redisOptionsFromUrl(config.redisUrl), lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 5000 });
  try {
    const http = new HttpService(axios.create());
    const tokens = new KommoTokenSource(config, kommoOAuthFor(config, http, async () => redis));
    const webhooks = new KommoWebhooks(new KommoHttp(config, http, new RateLimiter(redis, config.queuePrefix), tokens));
    const hook = await webhooks.register(serviceDestination(url, config.kommo.webhookToken), SYNCED_WEBHOOK_SETTINGS);
    io.out(
      `Kommo webhook #${hook.id} registered: ${maskDestination(hook.destination)} ` +
        `(settings: ${hook.settings.join(', ')}; disabled: ${hook.disabled})`,
    );
    return 0;
  } catch (e) {
    io.err(`kommo-webhook: registration failed: ${redactedMessage(e, config.secrets)}`);
    return 1;
  } finally {
    redis.disconnect();
  }
}

/** The public base URL; the token segment is appended from KOMMO_WEBHOOK_TOKEN, never typed into a shell history. */
function parsePublicUrl(value: string | undefined): string {
  if (!value) throw new Error('--url is required');
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new Error(`--url is not a URL: ${value}`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('--url must be an http(s) URL');
  if (u.pathname.includes('/webhooks/')) throw new Error('--url is the service\'s base address; the webhook path and token are added for you');
  return `${u.origin}${u.pathname}`.replace(/\/+$/, '');
}

if (require.main === module) {
  void runKommoWebhookCli(process.argv.slice(2), process.env, {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  }).then((code) => process.exit(code));
}
