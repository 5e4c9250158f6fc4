import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { validateBody } from '../support/iterable-schema';
import { ROUTES, type Handler } from './iterable-sim-handlers';
import { IterableSimState, type SimEvent, type SimTrigger, type SimUser } from './iterable-sim-state';
import {
  type EndpointStats,
  type FaultMatcher,
  RATE_LIMIT_TEXT,
  SimTraffic,
  endpointKey,
  faultReply,
} from './iterable-sim-traffic';

export type { EndpointStats, FaultMatcher, SimEvent, SimTrigger, SimUser };

export interface SimCall {
  method: string;
  /** Full path without the query string, e.g. '/api/users/update'. */
  path: string;
  query: Record<string, string>;
  /** Parsed JSON, or the raw text when the body was not JSON; undefined without a body. */
  body: unknown;
  status: number;
  at: number;
}

interface Answer {
  status: number;
  body: unknown;
  contentType?: string;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * Iterable's REST API as tests (and `npm run demo`) need it: one email-based project, request bodies held to
 * the published Swagger spec, per-endpoint rate limits with Iterable's plain-text 429, fixed field types, and
 * injectable faults. State survives stop()/start(), so a test can take Iterable "down" and bring it back.
 */
export class IterableSimulator {
  readonly calls: SimCall[] = [];
  private readonly state = new IterableSimState();
  private readonly traffic = new SimTraffic();
  private apiKey: string;
  private latencyMs = 0;
  private app?: FastifyInstance;
  private url?: string;

  constructor(opts: { apiKey?: string } = {}) {
    this.apiKey = opts.apiKey ?? 'iterable-test-key';
  }

  /** Listens on 127.0.0.1; resolves to a base URL that already ends in `/api`, like ITERABLE_BASE_URL. */
  async start(port = 0): Promise<string> {
    const app = Fastify({ logger: false, bodyLimit: 16 * 1024 * 1024 });
    // Bodies are parsed here, not by Fastify, so that bad JSON gets Iterable's answer and not Fastify's.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    for (const r of ROUTES) {
      app.route({
        method: r.method,
        url: '/api/' + r.path.replace('{email}', ':email'),
        handler: (req, reply) => this.handle(req, reply, r.path, r.handler),
      });
    }
    app.setNotFoundHandler((req, reply) => this.handle(req, reply, undefined, undefined));
    await app.listen({ host: '127.0.0.1', port });
    this.app = app;
    this.url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/api`;
    return this.url;
  }

  async stop(): Promise<void> {
    await this.app?.close();
    this.app = undefined;
  }

  get baseUrl(): string {
    if (!this.url) throw new Error('IterableSimulator not started');
    return this.url;
  }

  setApiKey(key: string): void {
    this.apiKey = key;
  }
  addList(listId: number): void {
    this.state.lists.add(listId);
  }
  /** `path` as in config: 'users/update'. null removes the limit. */
  setLimit(path: string, perSecond: number | null): void {
    this.traffic.setLimit(path, perSecond);
  }
  setLatency(ms: number): void {
    this.latencyMs = ms;
  }
  /** The next requests matching `matcher` answer `statuses`, one each, in order, without side effects. */
  failNext(matcher: FaultMatcher, statuses: number[]): void {
    this.traffic.failNext(matcher, statuses);
  }

  /** Clears data, the call log, stats and pending faults; keeps the key, lists, limits and latency. */
  reset(): void {
    this.calls.length = 0;
    this.state.clear();
    this.traffic.clear();
  }

  users(): SimUser[] {
    return structuredClone([...this.state.users.values()]);
  }
  user(email: string): SimUser | undefined {
    return structuredClone(this.state.users.get(email.toLowerCase()));
  }
  isForgotten(email: string): boolean {
    return this.state.forgotten.has(email.toLowerCase());
  }
  events(eventName?: string): SimEvent[] {
    const all = [...this.state.events.values()];
    return structuredClone(eventName ? all.filter((e) => e.eventName === eventName) : all);
  }
  triggers(): SimTrigger[] {
    return structuredClone(this.state.triggers);
  }
  subscriptions(listId?: number): { listId: number; email: string }[] {
    return [...this.state.subscriptions]
      .filter(([id]) => listId === undefined || id === listId)
      .flatMap(([id, emails]) => [...emails].map((email) => ({ listId: id, email })));
  }
  fieldTypes(): Record<string, string> {
    return this.state.userFields.toObject();
  }
  /** Per endpoint key ('users/update', 'users/{email}', …). */
  stats(): Record<string, EndpointStats> {
    return this.traffic.snapshot();
  }

  private async handle(req: FastifyRequest, reply: FastifyReply, route: string | undefined, handler: Handler | undefined) {
    const at = Date.now();
    const path = req.url.split('?')[0];
    const key = route ?? endpointKey(path);
    const raw = typeof req.body === 'string' && req.body.length ? req.body : undefined;
    let body: unknown = raw;
    let badJson: string | undefined;
    try {
      body = raw === undefined ? undefined : JSON.parse(raw);
    } catch (e) {
      badJson = (e as Error).message;
    }
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    this.traffic.arrive(key);
    const answer = this.answer(req.method, path, key, body, badJson, req, handler);
    this.traffic.answered(key, answer.status);
    this.calls.push({ method: req.method, path, query: { ...(req.query as Record<string, string>) }, body, status: answer.status, at });
    return reply
      .code(answer.status)
      .type(answer.contentType ?? JSON_TYPE)
      .send(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body));
  }

  private answer(method: string, path: string, key: string, body: unknown, badJson: string | undefined, req: FastifyRequest, handler?: Handler): Answer {
    const injected = this.traffic.takeFault(method, path, key);
    if (injected !== undefined) return faultReply(injected);
    if (!this.traffic.admit(key)) return { status: 429, body: RATE_LIMIT_TEXT, contentType: 'text/plain; charset=utf-8' };
    if (req.headers['api-key'] !== this.apiKey) return { status: 401, body: { msg: 'Invalid API key', code: 'BadApiKey', params: { endpoint: path } } };
    if (!handler) return { status: 404, body: { msg: `No route for ${method} ${path}`, code: 'NotFound', params: null } };
    const bad = (params: unknown) => ({ status: 400, body: { msg: `[${path}] Invalid JSON body`, code: 'BadJsonBody', params } });
    if (badJson !== undefined) return bad({ obj: badJson });
    const checked = validateBody(method, key, body);
    if (!checked.valid) return bad(checked.errors);
    try {
      return handler(this.state, { body, query: req.query as Record<string, string>, params: req.params as Record<string, string> });
    } catch (e) {
      return { status: 500, body: { msg: `Simulator error: ${(e as Error).message}`, code: 'GenericError', params: null } };
    }
  }
}
