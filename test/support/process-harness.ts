import { ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import * as ts from 'typescript';
import Redis from 'ioredis';
import { REDIS_URL, SECRETS, waitFor } from './harness';
import { freePort } from './redis-server';

const ROOT = join(__dirname, '..', '..');
const CACHE = join(ROOT, 'node_modules', '.cache', 'kis-service');

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** performance.now() when the process was gone */
  at: number;
}

/** The service as its own OS process (`node main.js`), for what only a process can show: kill -9, SIGTERM. */
export interface ServiceProcess {
  url: string;
  pid: number;
  /** stdout and stderr so far, interleaved as they arrived */
  readonly output: string;
  readonly exited: Promise<Exit>;
  /** sends a signal; resolves at once (await `exited` for the end) */
  signal(sig: NodeJS.Signals): void;
  /** SIGKILL if still running; for afterAll */
  stop(): Promise<void>;
}

/**
 * src/ transpiled to plain JS once per source state (no type-check: ts-jest already does that), cached under
 * node_modules/.cache so node resolves packages from the project. A child then starts in ~2 s, not ~8 s as
 * under ts-node, and `npm test` still needs no prior build.
 */
export function compiledMain(): string {
  const files = tsFiles(join(ROOT, 'src'));
  const hash = createHash('sha1');
  for (const f of files) hash.update(relative(ROOT, f)).update(readFileSync(f));
  const out = join(CACHE, hash.digest('hex').slice(0, 16));
  if (!existsSync(join(out, 'main.js'))) {
    const { config } = ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile);
    const { options } = ts.parseJsonConfigFileContent(config, ts.sys, ROOT);
    const compilerOptions = { ...options, sourceMap: false, inlineSourceMap: false, declaration: false };
    const tmp = `${out}.${process.pid}.tmp`;
    for (const f of files) {
      const js = join(tmp, relative(join(ROOT, 'src'), f)).replace(/\.ts$/, '.js');
      mkdirSync(dirname(js), { recursive: true });
      writeFileSync(js, ts.transpileModule(readFileSync(f, 'utf8'), { compilerOptions, fileName: f }).outputText);
    }
    pruneCache();
    try {
      renameSync(tmp, out);
    } catch (err) {
      // another test process compiled the same sources a moment earlier
      rmSync(tmp, { recursive: true, force: true });
      if (!existsSync(join(out, 'main.js'))) throw err;
    }
  }
  return join(out, 'main.js');
}

/** Builds of older sources; only stale ones, since a concurrent test run may be starting a child from its own. */
function pruneCache(): void {
  if (!existsSync(CACHE)) return;
  for (const entry of readdirSync(CACHE)) {
    const p = join(CACHE, entry);
    if (Date.now() - statSync(p).mtimeMs > 3600_000) rmSync(p, { recursive: true, force: true });
  }
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts') ? [p] : [];
  });
}

/** The environment the e2e harness uses, for a child: both simulators, the test secrets, a prefix of its own. */
export function serviceEnv(opts: { kommoUrl: string; iterableUrl: string; prefix: string; redisUrl?: string }): Record<string, string> {
  return {
    REDIS_URL: opts.redisUrl ?? REDIS_URL,
    QUEUE_PREFIX: opts.prefix,
    LOG_LEVEL: 'info',
    KOMMO_BASE_URL: opts.kommoUrl,
    KOMMO_ACCESS_TOKEN: SECRETS.kommoToken,
    KOMMO_WEBHOOK_TOKEN: SECRETS.webhookToken,
    ITERABLE_BASE_URL: opts.iterableUrl,
    ITERABLE_API_KEY: SECRETS.iterableKey,
    ITERABLE_WEBHOOK_SECRET: SECRETS.iterableSecret,
    ADMIN_USERNAME: 'admin',
    ADMIN_PASSWORD: SECRETS.adminPassword,
    JOB_BACKOFF_MS: '50',
  };
}

/** Starts `node main.js` with `env` (plus PATH and a free PORT); resolves once /health/ready answers 200. */
export async function startServiceProcess(env: Record<string, string>, readyTimeoutMs = 30_000): Promise<ServiceProcess> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [compiledMain()], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: string[] = [];
  child.stdout!.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
  let gone: Exit | undefined;
  const exited = once(child, 'exit').then(([code, signal]) => (gone = { code, signal, at: performance.now() }));
  const url = `http://127.0.0.1:${port}`;
  const proc: ServiceProcess = {
    url,
    pid: child.pid!,
    get output() {
      return chunks.join('');
    },
    exited,
    signal: (sig) => void child.kill(sig),
    async stop() {
      if (!gone) child.kill('SIGKILL');
      await exited;
    },
  };
  try {
    await waitFor(`the service process on port ${port} to be ready`, async () => {
      if (gone) throw new Error(`the service process exited (${gone.code ?? gone.signal}):\n${proc.output}`);
      return fetch(`${url}/health/ready`).then((r) => r.status === 200, () => false);
    }, readyTimeoutMs);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return proc;
}

/** Removes every key under `prefix` (a child's queues, locks, limiter state). */
export async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  const keys = await redis.keys(`${prefix}:*`);
  for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
}
