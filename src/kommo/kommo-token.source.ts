import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/config';
import { ApiAuthError } from '../delivery/errors';

/**
 * Where KommoClient gets its Bearer token. Today: the long-lived token from config. The seam is here so OAuth
 * (refresh via `/oauth2/access_token`, rotated refresh token in Redis) can replace it without touching the client.
 */
@Injectable()
export class KommoTokenSource {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async accessToken(): Promise<string> {
    const token = this.config.kommo.accessToken;
    if (!token) throw new ApiAuthError('kommo', 401, 'no Kommo access token available (OAuth refresh not implemented yet)');
    return token;
  }

  /** Called after a 401. True when a fresh token is now available and the request is worth one retry. */
  async onUnauthorized(): Promise<boolean> {
    return false;
  }
}
