import { HttpService } from '@nestjs/axios';
import { Inject, Injectable, Optional, Provider } from '@nestjs/common';
import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import type Redis from 'ioredis';
import { APP_CONFIG, AppConfig } from '../config/config';
import { ApiAuthError } from '../delivery/errors';
import { ioredisOf } from '../delivery/redis';
import { QUEUES } from '../sync/jobs';
import { KommoOAuth } from './kommo-oauth';

/** Where KommoClient gets its Bearer token: the long-lived token from config, or OAuth tokens shared via Redis. */
@Injectable()
export class KommoTokenSource {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() @Inject(KommoOAuth) private readonly oauth?: KommoOAuth | null,
  ) {}

  async accessToken(): Promise<string> {
    if (this.oauth) return this.oauth.accessToken();
    const token = this.config.kommo.accessToken;
    if (!token) throw new ApiAuthError('kommo', 401, 'no Kommo access token configured');
    return token;
  }

  /** Called after a 401 with the token that failed. True when a fresh token is now available and worth one retry. */
  async onUnauthorized(failedToken: string): Promise<boolean> {
    return this.oauth ? this.oauth.onUnauthorized(failedToken) : false;
  }
}

/** OAuth only when no long-lived token is configured (config.ts requires one of the two). */
export function kommoOAuthFor(config: AppConfig, http: HttpService, redis: () => Promise<Redis>): KommoOAuth | null {
  const { baseUrl, accessToken, oauth } = config.kommo;
  return oauth && !accessToken ? new KommoOAuth(baseUrl, oauth, http, redis, config.queuePrefix) : null;
}

export const kommoTokenProviders: Provider[] = [
  {
    provide: KommoOAuth,
    inject: [APP_CONFIG, HttpService, getQueueToken(QUEUES.kommoToIterable)],
    useFactory: (config: AppConfig, http: HttpService, queue: Queue) => kommoOAuthFor(config, http, () => ioredisOf(queue)),
  },
  KommoTokenSource,
];
