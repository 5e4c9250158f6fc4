/**
 * `npm run bench`: SPEC's "Scale" figures on this machine. Builds dist/, then measures (a) webhook ingest against a
 * bare Fastify + BullMQ endpoint, (b) a 1,000-deal Won burst at Kommo 7 req/s, (c) a 15,000-deal backfill, (d) the
 * service's RSS under ingest. Prints a table and writes bench-results/latest.json. Loopback only; needs Redis at
 * REDIS_URL (keys under its own prefixes, deleted afterwards). Not part of `npm test`.
 *
 * Options (env): BENCH_INGEST_SECONDS (15), BENCH_INGEST_ROUNDS (5), BENCH_INGEST_LOG_LEVEL (info), BENCH_BURST_DEALS
 * (1000), BENCH_BACKFILL_DEALS (15000), BENCH_ONLY=ingest,burst,backfill (BENCH_ONLY=ingest runs (a) and (d) only).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, type as osType, release } from 'node:os';
import { join } from 'node:path';
import { benchBackfill, type BackfillFigures } from './backfill.bench';
import { ROOT } from './bench-support';
import { benchBurst, type BurstFigures } from './burst.bench';
import { benchIngest, type IngestFigures } from './ingest.bench';

const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const only = new Set((process.env.BENCH_ONLY ?? 'ingest,burst,backfill').split(',').map((s) => s.trim()));

interface Row {
  figure: string;
  value: string;
  target: string;
  met?: boolean;
}

function rows(ingest?: IngestFigures, burst?: BurstFigures, backfill?: BackfillFigures): Row[] {
  const out: Row[] = [];
  const f = (n: number, d = 1) => n.toFixed(d);
  if (ingest) {
    const { bare, service } = ingest;
    out.push(
      { figure: '(a) ingest, bare Fastify+BullMQ (median round)', value: `${f(bare.requestsPerSecond, 0)} req/s, p99 ${bare.p99Ms} ms`, target: 'baseline' },
      { figure: '(a) ingest, service ROLE=api (median round)', value: `${f(service.requestsPerSecond, 0)} req/s, p99 ${service.p99Ms} ms`, target: '' },
      { figure: '(a) throughput ratio (median of paired rounds)', value: `${f(ingest.throughputRatio, 2)}×`, target: '≥ 0.8×', met: ingest.throughputRatio >= 0.8 },
      { figure: '(a) CPU per delivery, service/bare', value: `${f(ingest.cpuPerRequestRatio, 2)}× (all rounds)`, target: 'report' },
      { figure: '(a) p99 ratio (median of paired rounds)', value: `${f(ingest.p99Ratio, 2)}×`, target: '≤ 2×', met: ingest.p99Ratio <= 2 },
      { figure: '(a) non-2xx / errors', value: `${service.non2xx + bare.non2xx} / ${service.errors + bare.errors}`, target: '0 / 0', met: service.non2xx + bare.non2xx + service.errors + bare.errors === 0 },
      { figure: '(d) service RSS idle → under load', value: `${f(ingest.serviceRss.idleMiB, 0)} → ${f(ingest.serviceRss.underLoadMaxMiB, 0)} MiB (peak ${f(ingest.serviceRss.peakMiB, 0)})`, target: 'report' },
    );
  } else out.push({ figure: '(a)/(d) ingest and RSS', value: 'not run (BENCH_ONLY)', target: '' });
  if (burst) {
    out.push(
      { figure: `(b) ${burst.deals} Won in ${burst.deliveries} deliveries`, value: `${f(burst.seconds)} s`, target: '≤ 20 s', met: burst.seconds <= 20 },
      { figure: '(b) Kommo calls', value: `${burst.kommoCalls} (${f(burst.kommoCallsPerDeal, 3)}/deal)`, target: '« 3/deal' },
      { figure: '(b) Kommo max/s, 429s', value: `${burst.kommoMaxPerSecond}, ${burst.kommo429s}`, target: '≤ 7, 0', met: burst.kommoMaxPerSecond <= 7 && burst.kommo429s === 0 },
      { figure: '(b) worker peak RSS', value: `${f(burst.workerPeakRssMiB, 0)} MiB`, target: 'report' },
    );
  } else out.push({ figure: '(b) Won burst', value: 'not run (BENCH_ONLY)', target: '' });
  if (!backfill) out.push({ figure: '(c) backfill', value: 'not run (BENCH_ONLY)', target: '' });
  else if (!backfill.measured) out.push({ figure: '(c) backfill', value: `not measured: ${backfill.reason}`, target: '≤ 30 s' });
  else {
    out.push(
      { figure: `(c) backfill ${backfill.deals} Won`, value: `${f(backfill.seconds)} s`, target: '≤ 30 s', met: backfill.seconds <= 30 },
      { figure: '(c) Kommo calls, max/s, 429s', value: `${backfill.kommoCalls}, ${backfill.kommoMaxPerSecond}, ${backfill.kommo429s}`, target: '≤ 7/s, 0', met: backfill.kommoMaxPerSecond <= 7 && backfill.kommo429s === 0 },
      { figure: '(c) Iterable bulkUpdate calls, users', value: `${backfill.iterableBulkUpdateCalls}, ${backfill.iterableUsers}`, target: `${backfill.deals} users`, met: backfill.iterableUsers === backfill.deals },
      { figure: '(c) peak RSS', value: `${f(backfill.peakRssMiB, 0)} MiB`, target: 'report' },
    );
  }
  return out;
}

function print(table: Row[]): void {
  const cells = table.map((r) => [r.figure, r.value, r.target, r.met === undefined ? '' : r.met ? 'met' : 'MISSED']);
  const widths = [0, 1, 2, 3].map((i) => Math.max(...cells.map((c) => c[i].length), 6));
  const line = (c: string[]) => `| ${c.map((s, i) => s.padEnd(widths[i])).join(' | ')} |`;
  process.stdout.write(`${[line(['figure', 'value', 'target', '']), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n')}\n`);
}

async function main() {
  process.stdout.write('bench: building dist/ …\n');
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: +(totalmem() / 2 ** 30).toFixed(1), node: process.version, os: `${osType()} ${release()}` };
  const ingest = only.has('ingest') ? await benchIngest(num('BENCH_INGEST_SECONDS', 15)) : undefined;
  const burst = only.has('burst') ? await benchBurst(num('BENCH_BURST_DEALS', 1000), 10) : undefined;
  const backfill = only.has('backfill') ? await benchBackfill(num('BENCH_BACKFILL_DEALS', 15_000)) : undefined;
  const table = rows(ingest, burst, backfill);
  print(table);
  mkdirSync(join(ROOT, 'bench-results'), { recursive: true });
  const file = join(ROOT, 'bench-results', 'latest.json');
  writeFileSync(file, `${JSON.stringify({ at: new Date().toISOString(), machine, ingest, burst, backfill, table }, null, 2)}\n`);
  process.stdout.write(`bench: wrote ${file}\n`);
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
