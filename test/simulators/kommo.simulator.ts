import Fastify, { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import * as qs from 'qs';
import { KommoOAuth, OAuthOptions } from './kommo-oauth';
import { nginxPage, problem, sendFault, sendProblem, tooManyRequests, unauthorized } from './kommo-problems';
import { registerReadRoutes } from './kommo-read-routes';
import { KommoStore, NewContact, NewLead, SimNote } from './kommo-store';
import { FaultMatcher, isApiPath, KommoCall, KommoSimulatorStats, KommoTraffic } from './kommo-traffic';
import { registerWriteRoutes } from './kommo-write-routes';
import { KommoViews } from './kommo-views';

/**
 * Kommo API v4 over real HTTP, as the fact sheet (shared/reference/kommo-api.md) describes it: Bearer auth,
 * a 7 req/s sliding window answered with 429 + `retry_after`, 204 for empty results, fuzzy contact search,
 * problem+json errors and nginx HTML 403s. Used by specs, e2e tests and `npm run demo`.
 */

export type { FaultMatcher, KommoCall, KommoSimulatorStats } from './kommo-traffic';

export interface KommoSimulatorOptions {
  token?: string;
  ratePerSecond?: number;
  retryAfterSeconds?: number;
}

export class KommoSimulator {
  private readonly traffic = new KommoTraffic();
  private readonly store = new KommoStore();
  private readonly oauth = new KommoOAuth();
  private readonly views = new KommoViews(this.store, () => this.base);
  private readonly pending = new WeakMap<object, { call: KommoCall; inWindow: number }>();
  private token: string;
  private ratePerSecond: number;
  private readonly retryAfterSeconds: number;
  private latencyMs = 0;
  private app?: FastifyInstance;
  private base = '';

  constructor(opts: KommoSimulatorOptions = {}) {
    this.token = opts.token ?? 'kommo-test-token';
    this.ratePerSecond = opts.ratePerSecond ?? 7;
    this.retryAfterSeconds = opts.retryAfterSeconds ?? 1;
  }

  async start(port = 0): Promise<string> {
    const app = Fastify({
      // Kommo takes PHP-style brackets (`filter[id][]=1`); qs's default array limit of 20 would turn 250 ids into an object.
      routerOptions: { querystringParser: (s: string) => qs.parse(s, { arrayLimit: 1000, parameterLimit: 5000, depth: 5 }) },
      bodyLimit: 4 * 1024 * 1024,
    });
    app.addHook('onRequest', async (req) => {
      this.pending.set(req.raw, this.traffic.arrive(req.method, req.url, (req.query ?? {}) as Record<string, unknown>));
    });
    app.addHook('preHandler', async (req, reply) => this.gate(req, reply));
    app.addHook('onSend', async (req, reply, payload) => {
      const entry = this.pending.get(req.raw);
      const lost = entry && reply.statusCode < 300 ? this.traffic.takeLostAnswer(entry.call) : undefined;
      if (lost === undefined) return payload;
      reply.code(lost).type('text/html');
      return nginxPage(lost);
    });
    app.addHook('onResponse', async (req, reply) => {
      const entry = this.pending.get(req.raw);
      if (entry) entry.call.status = reply.statusCode;
    });
    app.setNotFoundHandler((_req, reply) => sendProblem(reply, 404, problem(404, 'Not found')));
    app.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
      const status = err.statusCode && err.statusCode < 500 ? err.statusCode : 500;
      return sendProblem(reply, status, problem(status, err.message));
    });
    this.oauth.register(app);
    registerReadRoutes(app, this.store, this.views);
    registerWriteRoutes(app, this.store, this.views);
    await app.listen({ host: '127.0.0.1', port });
    const address = app.server.address();
    if (!address || typeof address === 'string') throw new Error('KommoSimulator: no TCP address');
    this.app = app;
    this.base = `http://127.0.0.1:${address.port}`;
    return this.base;
  }

  async stop(): Promise<void> {
    await this.app?.close();
    this.app = undefined;
  }

  get baseUrl(): string {
    return this.base;
  }

  /** Every request, in arrival order. */
  get calls(): KommoCall[] {
    return this.traffic.calls;
  }

  get stats(): KommoSimulatorStats {
    return this.traffic.stats;
  }

  // --- behaviour knobs -------------------------------------------------------------------------------------------

  /** Only `t` is accepted from now on: simulates a revoked or rotated long-lived token. */
  setToken(t: string): void {
    this.token = t;
  }

  setRate(perSecond: number): void {
    this.ratePerSecond = perSecond;
  }

  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  /** The next `statuses.length` matching requests answer with these statuses, in order, before auth or limits. */
  failNext(matcher: FaultMatcher, statuses: number[]): void {
    this.traffic.failNext(matcher, statuses);
  }

  /**
   * The next matching request is carried out (a note is written), but its client gets `status` (504: nginx timed out
   * waiting for Kommo) instead of the answer: the write happened, and the caller cannot know it.
   */
  loseAnswerNext(matcher: FaultMatcher, status = 504): void {
    this.traffic.loseAnswerNext(matcher, status);
  }

  enableOAuth(opts: OAuthOptions): void {
    this.oauth.enable(opts);
  }

  expireAccessTokens(): void {
    this.oauth.expireAccessTokens();
  }

  /** The refresh token a client must hold now (rotates on every refresh), and how many refreshes happened. */
  get oauthState(): { refreshToken?: string; refreshes: number } {
    return { refreshToken: this.oauth.refreshToken, refreshes: this.oauth.refreshes };
  }

  // --- data ------------------------------------------------------------------------------------------------------

  addPipeline(p: { id: number; name: string; statuses: { id: number; name: string }[] }): void {
    this.store.addPipeline(p);
  }
  addLossReason(r: { id: number; name: string }): void {
    this.store.addLossReason(r);
  }
  addContact(c: NewContact): number {
    return this.store.addContact(c);
  }
  addCompany(c: { id?: number; name: string }): number {
    return this.store.addCompany(c);
  }
  addLead(l: NewLead): number {
    return this.store.addLead(l);
  }
  updateLead(id: number, patch: Partial<NewLead>): void {
    this.store.updateLead(id, patch);
  }

  notes(entityType?: 'leads' | 'contacts', entityId?: number): SimNote[] {
    return this.store.notes.filter(
      (n) => (!entityType || n.entity_type === entityType) && (entityId === undefined || n.entity_id === entityId),
    );
  }

  /** A common note as if written earlier (by a process that died before recording it, or long ago); returns its id. */
  addNote(n: { entity: 'leads' | 'contacts'; entityId: number; text: string; createdAt?: number }): number {
    const note: SimNote = {
      id: this.store.id(),
      entity_type: n.entity,
      entity_id: n.entityId,
      note_type: 'common',
      text: n.text,
      params: { text: n.text },
      created_at: n.createdAt ?? Math.floor(Date.now() / 1000),
    };
    this.store.notes.push(note);
    return note.id;
  }

  contactTags(id: number): string[] {
    return [...(this.store.contacts.get(id)?.tags ?? [])];
  }

  webhooks(): { destination: string; settings: string[]; disabled: boolean }[] {
    return this.store.webhooks.map(({ destination, settings, disabled }) => ({ destination, settings, disabled }));
  }

  /** Kommo disables a hook silently after too many failed deliveries; only `GET /webhooks` shows it. */
  setWebhookDisabled(destination: string, disabled: boolean): void {
    const hook = this.store.webhooks.find((w) => w.destination === destination);
    if (!hook) throw new Error(`KommoSimulator: no webhook for ${destination}`);
    hook.disabled = disabled;
  }

  /** Calls whose method and path match, e.g. `callsTo('POST', '/api/v4/leads/notes')`. */
  callsTo(method: string, pathPrefix: string): KommoCall[] {
    return this.calls.filter((c) => c.method === method && c.path.startsWith(pathPrefix));
  }

  /** Clears the call log, stats, the rate window and pending faults; seeded data stays. */
  reset(): void {
    this.traffic.reset();
  }

  // --- request pipeline ------------------------------------------------------------------------------------------

  private async gate(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    const entry = this.pending.get(req.raw);
    if (!entry) return undefined;
    entry.call.body = req.body;
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    const isApi = isApiPath(entry.call.path);
    const fault = this.traffic.takeFault(entry.call);
    if (fault !== undefined) {
      if (fault === 429 && isApi) this.stats.rateLimited++;
      return sendFault(reply, fault, this.retryAfterSeconds);
    }
    if (!isApi) return undefined;
    // Arrivals count whether or not they were served: hammering through 429s keeps the window full, as at Kommo.
    if (entry.inWindow > this.ratePerSecond) {
      this.stats.rateLimited++;
      return sendProblem(reply, 429, tooManyRequests(this.retryAfterSeconds));
    }
    const auth = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim();
    if (!auth || (auth !== this.token && !this.oauth.accepts(auth))) return sendProblem(reply, 401, unauthorized());
    return undefined;
  }
}
