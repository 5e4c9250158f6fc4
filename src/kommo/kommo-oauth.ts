import { createHash, randomUUID } from 'node:crypto';
import type { HttpService } from '@nestjs/axios';
import { isAxiosError } from 'axios';
import type Redis from 'ioredis';
import { ApiAuthError, errorForStatus, TransientApiError } from '../delivery/errors';
import { apiCall } from '../metrics/api-metrics';

/** Refresh this long before expiry, so no call leaves with a token about to lapse mid-flight. */
export const REFRESH_AHEAD_MS = 5 * 60_000;
/** Outlives one token call (10 s timeout); a holder that crashes frees it by expiry. */
const LOCK_TTL_MS = 15_000;
const POLL_MS = 50;
const TIMEOUT_MS = 10_000;
const ENDPOINT = 'POST /oauth2/access_token';
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export interface OAuthSettings {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  refreshToken: string;
}

/** What every process shares under `${QUEUE_PREFIX}:kommo-oauth`. */
interface StoredTokens {
  accessToken: string;
  /** epoch ms */
  expiresAt: number;
  refreshToken: string;
  /** hash of the KOMMO_REFRESH_TOKEN this rotation chain started from: a new env value (re-authorization) restarts it */
  seed: string;
  /** fingerprint of the client credentials + refresh token Kommo refused: not sent again until one of them changes */
  rejected?: string;
}

/**
 * Kommo OAuth 2.0 for a fleet: one process refreshes (a Redis lock) and stores both tokens, the others wait for
 * its result. Kommo rotates the refresh token on every refresh; the stored one wins over the env value, which is
 * spent once its successor has been used.
 */
export class KommoOAuth {
  private readonly key: string;
  private readonly lockKey: string;
  private readonly seed: string;
  private cached?: StoredTokens;
  private inflight?: Promise<StoredTokens>;

  constructor(
    private readonly baseUrl: string,
    private readonly settings: OAuthSettings,
    private readonly http: HttpService,
    /** the queue's connection (resolved lazily: BullMQ hands it out as a promise) */
    private readonly redis: () => Promise<Redis>,
    prefix: string,
  ) {
    this.key = `${prefix}:kommo-oauth`;
    this.lockKey = `${this.key}:lock`;
    this.seed = sha256(settings.refreshToken);
  }

  async accessToken(): Promise<string> {
    if (this.cached && this.usable(this.cached)) return this.cached.accessToken;
    return (await this.obtain()).accessToken;
  }

  /** After a 401 with `failed`: true once a different token is current (refreshed here or by another process). */
  async onUnauthorized(failed: string): Promise<boolean> {
    return (await this.obtain(failed)).accessToken !== failed;
  }

  /** One lookup or refresh at a time per process; callers join it. */
  private async obtain(failed?: string): Promise<StoredTokens> {
    for (;;) {
      const joined = Boolean(this.inflight);
      this.inflight ??= this.resolve(failed).finally(() => (this.inflight = undefined));
      const tokens = await this.inflight;
      if (!joined || this.usable(tokens, failed)) return tokens;
    }
  }

  private async resolve(failed?: string): Promise<StoredTokens> {
    const deadline = Date.now() + 2 * LOCK_TTL_MS;
    for (;;) {
      const stored = await this.read();
      if (stored && this.usable(stored, failed)) return this.keep(stored);
      this.throwIfRejected(stored);
      const lock = randomUUID();
      if (await (await this.redis()).set(this.lockKey, lock, 'PX', LOCK_TTL_MS, 'NX')) {
        try {
          // The previous holder may have stored fresh tokens between our read and our lock.
          const latest = await this.read();
          if (latest && this.usable(latest, failed)) return this.keep(latest);
          this.throwIfRejected(latest);
          return this.keep(await this.refresh(latest));
        } finally {
          await (await this.redis()).eval(RELEASE, 1, this.lockKey, lock).catch(() => undefined);
        }
      }
      if (Date.now() > deadline) throw new TransientApiError('kommo', undefined, 'Kommo OAuth: another process held the refresh lock too long');
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  private async refresh(stored: StoredTokens | undefined): Promise<StoredTokens> {
    const { clientId, clientSecret, redirectUri } = this.settings;
    const refreshToken = this.ours(stored) ? stored.refreshToken : this.settings.refreshToken;
    const body = { client_id: clientId, client_secret: clientSecret, grant_type: 'refresh_token', refresh_token: refreshToken, redirect_uri: redirectUri };
    let res;
    try {
      res = await this.http.axiosRef.post<unknown>(`${this.baseUrl}/oauth2/access_token`, body, {
        ...apiCall('kommo', ENDPOINT),
        timeout: TIMEOUT_MS,
        validateStatus: () => true,
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      });
    } catch (e) {
      const reason = isAxiosError(e) ? [e.code, e.message].filter(Boolean).join(' ') : 'request failed';
      throw new TransientApiError('kommo', undefined, `Kommo OAuth refresh: ${reason}`);
    }
    const answer = isRecord(res.data) ? res.data : {};
    if ([400, 401, 403].includes(res.status)) {
      // A revoked or spent refresh token: retrying cannot help. Remember it so no process sends it again (but never
      // overwrite the chain another deployment started from a newer KOMMO_REFRESH_TOKEN).
      if (!stored || this.ours(stored)) {
        const base = stored ?? { accessToken: '', expiresAt: 0 };
        await this.write({ ...base, refreshToken, seed: this.seed, rejected: this.fingerprint(refreshToken) });
      }
      const why = [answer.hint, answer.title, answer.detail].find((v) => typeof v === 'string' && v) as string | undefined;
      throw new ApiAuthError('kommo', res.status, `Kommo refused the OAuth refresh (${clip(why ?? `HTTP ${res.status}`)}); re-authorize the integration and set a new KOMMO_REFRESH_TOKEN`);
    }
    if (res.status < 200 || res.status >= 300) throw errorForStatus('kommo', ENDPOINT, res.status, `Kommo OAuth refresh: HTTP ${res.status}`);
    const { access_token, refresh_token, expires_in } = answer;
    if (typeof access_token !== 'string' || typeof refresh_token !== 'string' || typeof expires_in !== 'number') {
      throw new TransientApiError('kommo', res.status, 'Kommo OAuth refresh: the answer lacked access_token, refresh_token or expires_in');
    }
    const tokens = { accessToken: access_token, refreshToken: refresh_token, expiresAt: Date.now() + expires_in * 1000, seed: this.seed };
    // Written before the lock is released. If this write fails, Kommo keeps the old refresh token valid until the new one is used.
    await this.write(tokens);
    return tokens;
  }

  private ours(t: StoredTokens | undefined): t is StoredTokens {
    return t !== undefined && t.seed === this.seed;
  }

  private usable(t: StoredTokens, failed?: string): boolean {
    return this.ours(t) && !t.rejected && Boolean(t.accessToken) && t.accessToken !== failed && t.expiresAt - Date.now() > REFRESH_AHEAD_MS;
  }

  private throwIfRejected(t: StoredTokens | undefined): void {
    if (this.ours(t) && t.rejected === this.fingerprint(t.refreshToken)) {
      throw new ApiAuthError('kommo', 401, 'Kommo refused the stored OAuth refresh token earlier; re-authorize the integration and set a new KOMMO_REFRESH_TOKEN');
    }
  }

  private fingerprint(refreshToken: string): string {
    return sha256(`${this.settings.clientId}\n${this.settings.clientSecret}\n${refreshToken}`);
  }

  private keep(t: StoredTokens): StoredTokens {
    this.cached = t;
    return t;
  }

  private async read(): Promise<StoredTokens | undefined> {
    const raw = await (await this.redis()).get(this.key);
    if (!raw) return undefined;
    try {
      const t = JSON.parse(raw) as StoredTokens;
      return typeof t.refreshToken === 'string' && typeof t.seed === 'string' ? t : undefined;
    } catch {
      return undefined;
    }
  }

  private async write(t: StoredTokens): Promise<void> {
    await (await this.redis()).set(this.key, JSON.stringify(t));
  }
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const clip = (s: string) => (s.length > 200 ? `${s.slice(0, 200)}…` : s);
