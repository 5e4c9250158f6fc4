import { Presets, SingleBar } from 'cli-progress';
import { parseArgs } from 'node:util';
import type { BackfillStatus } from '../sync/backfill/backfill.service';
import type { CliOutput } from './cli-clients';

const USAGE = 'usage: npm run backfill -- [--since <ISO date>] [--url <service URL, default http://127.0.0.1:$PORT>]';
/** Kommo's page size: the bar's total grows by one page until the last page is read. */
const PAGE = 250;
/** Polls that may fail in a row (the service restarting mid-backfill) before giving up. */
const MAX_POLL_FAILURES = 60;

export interface BackfillCliOptions {
  /** where the progress bar goes; stderr by default, so stdout keeps only the result */
  stream?: NodeJS.WritableStream;
  pollMs?: number;
}

/**
 * `npm run backfill`: starts a backfill through the service's admin API (or follows the one already running)
 * and shows its progress until it ends. Needs ADMIN_USERNAME/ADMIN_PASSWORD. Exit code: 0 completed, 1 failed
 * or refused, 2 bad usage.
 */
export async function runBackfillCli(argv: string[], env: NodeJS.ProcessEnv, io: CliOutput, opts: BackfillCliOptions = {}): Promise<number> {
  let since: string | undefined;
  let base: string;
  try {
    const { values } = parseArgs({ args: argv, options: { since: { type: 'string' }, url: { type: 'string' } }, strict: true });
    since = values.since;
    base = (values.url ?? `http://127.0.0.1:${env.PORT ?? 3000}`).replace(/\/+$/, '');
    if (!env.ADMIN_USERNAME || !env.ADMIN_PASSWORD) throw new Error('set ADMIN_USERNAME and ADMIN_PASSWORD (the service admin credentials)');
  } catch (e) {
    io.err(`backfill: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const headers = {
    authorization: `Basic ${Buffer.from(`${env.ADMIN_USERNAME}:${env.ADMIN_PASSWORD}`).toString('base64')}`,
    'content-type': 'application/json',
  };
  let res: Response;
  try {
    res = await fetch(`${base}/admin/backfill`, { method: 'POST', headers, body: JSON.stringify(since ? { since } : {}) });
  } catch (e) {
    io.err(`backfill: the service at ${base} did not answer (${(e as Error).message})`);
    return 1;
  }
  const body = (await res.json().catch(() => ({}))) as { backfillId?: string; message?: string };
  if (res.status === 400) {
    io.err(`backfill: ${body.message ?? 'bad request'}\n${USAGE}`);
    return 2;
  }
  if ((res.status !== 202 && res.status !== 409) || !body.backfillId) {
    const why = res.status === 401 ? 'admin credentials rejected' : res.status === 404 ? 'no admin API there (are ADMIN_* set on the service?)' : body.message;
    io.err(`backfill: HTTP ${res.status}: ${why ?? 'unexpected answer'}`);
    return 1;
  }
  io.out(res.status === 409 ? `a backfill is already running: following ${body.backfillId}` : `backfill ${body.backfillId} started`);
  return follow(`${base}/admin/backfill/${encodeURIComponent(body.backfillId)}`, headers, io, opts);
}

async function follow(url: string, headers: Record<string, string>, io: CliOutput, opts: BackfillCliOptions): Promise<number> {
  const bar = new SingleBar(
    {
      format: ' {bar} {value}/{total} won deals | {users} pushed | {failed} failed | {skipped} skipped | {state}',
      stream: opts.stream ?? process.stderr,
      noTTYOutput: true,
      notTTYSchedule: 2000,
      hideCursor: true,
    },
    Presets.shades_classic,
  );
  bar.start(PAGE, 0, { users: 0, failed: 0, skipped: 0, state: 'waiting' });
  let failures = 0;
  try {
    for (;;) {
      const status = await poll(url, headers).catch((e: Error) => e);
      if (status instanceof Error) {
        if (++failures > MAX_POLL_FAILURES) {
          io.err(`backfill: lost the service: ${status.message}`);
          return 1;
        }
      } else {
        failures = 0;
        const { stats, state } = status;
        const finished = state === 'completed' || state === 'failed';
        bar.setTotal(Math.max(1, stats.leads + (finished ? 0 : PAGE)));
        bar.update(stats.leads, { ...stats, state });
        if (state === 'completed') {
          bar.stop();
          io.out(status.result ?? `backfill ${status.backfillId} completed`);
          return 0;
        }
        if (state === 'failed') {
          bar.stop();
          io.err(`backfill ${status.backfillId} failed at page ${status.page}: ${status.error ?? 'unknown error'} (replay it from the dead letters to resume)`);
          return 1;
        }
      }
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 500));
    }
  } finally {
    bar.stop();
  }
}

async function poll(url: string, headers: Record<string, string>): Promise<BackfillStatus> {
  const res = await fetch(url, { headers });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return (await res.json()) as BackfillStatus;
}

if (require.main === module) {
  void runBackfillCli(process.argv.slice(2), process.env, {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  }).then((code) => process.exit(code));
}
