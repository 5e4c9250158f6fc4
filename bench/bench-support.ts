import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import Redis from 'ioredis';

/** Processes, ports, memory and Redis housekeeping shared by the bench sections. */

export const ROOT = join(__dirname, '..');
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const SECRETS = {
  kommoToken: 'bench-kommo-token',
  webhookToken: 'bench-webhook-token-0123456789',
  iterableKey: 'bench-iterable-key',
  iterableSecret: 'bench-iterable-secret',
  adminPassword: 'bench-admin-password',
};

export const uniquePrefix = (what: string): string => `kis-bench-${what}-${randomBytes(3).toString('hex')}`;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export interface Child {
  proc: ChildProcess;
  output: string[];
  stop(): Promise<void>;
}

/** A Node child with its stdout/stderr kept (for a failure message), stopped with SIGTERM, then SIGKILL. */
export function startNode(args: string[], env: Record<string, string>): Child {
  const proc = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const keep = (b: Buffer) => {
    output.push(b.toString('utf8'));
    if (output.length > 200) output.shift();
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  return {
    proc,
    output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        const kill = setTimeout(() => proc.kill('SIGKILL'), 10_000);
        proc.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        proc.kill('SIGTERM');
      }),
  };
}

/** Polls `check` until truthy; `what` names the wait in the error after `timeoutMs`. */
export async function until<T>(what: string, check: () => T | Promise<T>, timeoutMs: number, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await Promise.resolve()
      .then(check)
      .catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function untilHttpOk(child: Child, url: string, timeoutMs = 60_000): Promise<void> {
  await until(`${url}`, async () => {
    if (child.proc.exitCode !== null) throw new Error(`bench: child exited (${child.proc.exitCode}):\n${child.output.join('')}`);
    return (await fetch(url)).ok;
  }, timeoutMs, 100).catch((e: Error) => {
    throw new Error(`${e.message}\n${child.output.join('').slice(-2000)}`);
  });
}

/** Resident set size of a process now and its peak so far (Linux /proc), in MiB. */
export function memoryOf(pid: number): { rssMiB: number; peakMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  return { rssMiB: kb('VmRSS') / 1024, peakMiB: kb('VmHWM') / 1024 };
}

/** CPU seconds (user + system) a process has used so far (Linux /proc). */
export function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Samples a process's RSS every 200 ms until stopped; returns the largest sample. */
export function sampleRss(pid: number): { stop(): number } {
  let max = 0;
  const timer = setInterval(() => {
    try {
      max = Math.max(max, memoryOf(pid).rssMiB);
    } catch {
      /* process gone */
    }
  }, 200);
  return {
    stop() {
      clearInterval(timer);
      return max;
    },
  };
}

/** Deletes everything a bench run left under its prefix (never FLUSHDB: the Redis may be shared). */
export async function dropPrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** One Kommo `leads[status]` delivery, form-encoded as Kommo sends it. */
export function statusDelivery(leads: { id: number; statusId: number; pipelineId: number; oldStatusId: number; updatedAt: number }[]): string {
  const form = new URLSearchParams();
  leads.forEach((l, i) => {
    form.append(`leads[status][${i}][id]`, String(l.id));
    form.append(`leads[status][${i}][status_id]`, String(l.statusId));
    form.append(`leads[status][${i}][pipeline_id]`, String(l.pipelineId));
    form.append(`leads[status][${i}][old_status_id]`, String(l.oldStatusId));
    form.append(`leads[status][${i}][updated_at]`, String(l.updatedAt));
  });
  form.append('account[id]', '1');
  return form.toString();
}

/** The service's environment; callers add ROLE, PORT, the simulators' URLs. */
export function serviceEnv(prefix: string, extra: Record<string, string>): Record<string, string> {
  return {
    NODE_ENV: 'production',
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    KOMMO_ACCESS_TOKEN: SECRETS.kommoToken,
    KOMMO_WEBHOOK_TOKEN: SECRETS.webhookToken,
    ITERABLE_API_KEY: SECRETS.iterableKey,
    ITERABLE_WEBHOOK_SECRET: SECRETS.iterableSecret,
    ...extra,
  };
}
