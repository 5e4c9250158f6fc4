import { HttpService } from '@nestjs/axios';
import axios from 'axios';
import Redis from 'ioredis';
import type { AppConfig } from '../config/config';
import { RateLimiter } from '../delivery/rate-limit';
import { redisOptionsFromUrl } from '../delivery/redis';
import { IterableClient } from '../iterable/iterable.client';
import { KommoClient } from '../kommo/kommo.client';
import { KommoTokenSource, kommoOAuthFor } from '../kommo/kommo-token.source';

export interface CliOutput {
  out(line: string): void;
  err(line: string): void;
}

export interface CliClients {
  kommo: KommoClient;
  iterable: IterableClient;
  close(): void;
}

/**
 * The API clients outside Nest, for the command-line tools. They share the service's Redis so their calls take
 * slots from the same fleet-wide rate limits (and the same OAuth tokens) as the running service.
 */
export function cliClients(config: AppConfig): CliClients {
  const redis = new Redis({ ...redisOptionsFromUrl(config.redisUrl), lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 5000 });
  const http = new HttpService(axios.create());
  const limiter = new RateLimiter(redis, config.queuePrefix);
  const tokens = new KommoTokenSource(config, kommoOAuthFor(config, http, async () => redis));
  return {
    kommo: new KommoClient(config, http, limiter, tokens),
    iterable: new IterableClient(config, http, limiter),
    close: () => redis.disconnect(),
  };
}

/** An error for the terminal: API messages may echo a credential back. */
export function redactedMessage(err: unknown, secrets: readonly string[]): string {
  const e = err as Error;
  const text = `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`;
  return secrets.reduce((m, s) => (s.length >= 4 ? m.split(s).join('[redacted]') : m), text);
}
