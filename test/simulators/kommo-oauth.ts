import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { problem, sendProblem } from './kommo-problems';

/** `POST /oauth2/access_token` with Kommo's refresh-token rotation. */

export interface OAuthOptions {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  /** seconds; Kommo issues 24 h access tokens */
  expiresIn?: number;
  /** an authorization code the `authorization_code` grant accepts (once, like the real 20-minute code) */
  authCode?: string;
}

export class KommoOAuth {
  private opts?: OAuthOptions;
  /**
   * Kommo: "the old refresh token will still be functional and you can use it until you use the new one". So two
   * are live: the newest issued and the one that produced it, until the newest is used.
   */
  private current?: string;
  private previous?: string;
  private readonly accessTokens = new Map<string, number>();
  refreshes = 0;

  enable(opts: OAuthOptions): void {
    this.opts = opts;
    this.current = opts.refreshToken;
    this.previous = undefined;
  }

  /** Whether `token` is an unexpired access token this server issued. */
  accepts(token: string): boolean {
    const expiresAt = this.accessTokens.get(token);
    return expiresAt !== undefined && expiresAt > Date.now();
  }

  /** Makes every issued access token fail with 401, as after 24 h, so the client has to refresh. */
  expireAccessTokens(): void {
    this.accessTokens.clear();
  }

  get refreshToken(): string | undefined {
    return this.current;
  }

  register(app: FastifyInstance): void {
    app.post('/oauth2/access_token', async (req, reply) => {
      const body = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
      const opts = this.opts;
      if (!opts || body.client_id !== opts.clientId || body.client_secret !== opts.clientSecret) {
        return sendProblem(reply, 401, problem(401, 'Client authentication failed', { hint: 'Invalid client credentials' }));
      }
      if (body.grant_type === 'authorization_code') {
        if (!opts.authCode || body.code !== opts.authCode) return sendProblem(reply, 400, badGrant('Authorization code is invalid'));
        opts.authCode = undefined;
        this.previous = undefined;
      } else if (body.grant_type === 'refresh_token') {
        const used = body.refresh_token;
        if (typeof used !== 'string' || (used !== this.current && used !== this.previous)) {
          return sendProblem(reply, 400, badGrant('Token has been revoked'));
        }
        if (used === this.current) this.previous = this.current;
      } else {
        return sendProblem(reply, 400, badGrant('Unsupported grant type'));
      }
      this.current = `kommo-rt-${randomBytes(12).toString('hex')}`;
      const accessToken = `kommo-at-${randomBytes(12).toString('hex')}`;
      const expiresIn = opts.expiresIn ?? 86400;
      this.accessTokens.set(accessToken, Date.now() + expiresIn * 1000);
      this.refreshes++;
      return reply.type('application/json').send({
        token_type: 'Bearer',
        expires_in: expiresIn,
        server_time: Math.floor(Date.now() / 1000),
        access_token: accessToken,
        refresh_token: this.current,
      });
    });
  }
}

const badGrant = (hint: string) => problem(400, 'The request is missing a required parameter or a parameter is invalid', { hint });
