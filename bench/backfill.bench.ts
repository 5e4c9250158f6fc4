import { IterableSimulator } from '../test/simulators/iterable.simulator';
import { KommoSimulator } from '../test/simulators/kommo.simulator';
import { dropPrefix, freePort, sampleRss, SECRETS, serviceEnv, startNode, uniquePrefix, until, untilHttpOk } from './bench-support';

/**
 * (c) 15,000 Won deals into Iterable through `POST /admin/backfill` (ROLE=all, one process), Kommo simulator at
 * 7 req/s. Done = the backfill job's state is `completed`. A service without the endpoint answers 404: the section
 * then reports itself as not measured instead of failing the bench.
 */

const PIPELINE = { id: 7002, name: 'Sales', statuses: [{ id: 311, name: 'Negotiation' }] };

export type BackfillFigures =
  | { measured: false; reason: string }
  | {
      measured: true;
      deals: number;
      seconds: number;
      kommoCalls: number;
      kommoMaxPerSecond: number;
      kommo429s: number;
      iterableBulkUpdateCalls: number;
      iterableUsers: number;
      peakRssMiB: number;
      status: unknown;
    };

export async function benchBackfill(deals: number): Promise<BackfillFigures> {
  const kommo = new KommoSimulator({ token: SECRETS.kommoToken, ratePerSecond: 7 });
  const iterable = new IterableSimulator({ apiKey: SECRETS.iterableKey });
  const prefix = uniquePrefix('backfill');
  const port = await freePort();
  const env = serviceEnv(prefix, {
    ROLE: 'all',
    PORT: String(port),
    KOMMO_BASE_URL: await kommo.start(),
    ITERABLE_BASE_URL: await iterable.start(),
    KOMMO_RATE_LIMIT_PER_SECOND: '7',
    ADMIN_USERNAME: 'admin',
    ADMIN_PASSWORD: SECRETS.adminPassword,
  });
  kommo.addPipeline(PIPELINE);
  for (let i = 0; i < deals; i++) {
    const contact = kommo.addContact({ name: `Customer ${i}`, first_name: 'Customer', last_name: `${i}`, emails: [{ value: `backfill-${i}@example.com`, enum_code: 'WORK' }] });
    kommo.addLead({ name: `Deal ${i}`, price: 500 + i, status_id: 142, pipeline_id: PIPELINE.id, contacts: [{ id: contact, is_main: true }], updated_at: 1780000000 });
  }
  const child = startNode(['dist/main.js'], env);
  const base = `http://127.0.0.1:${port}/admin/backfill`;
  const headers = { authorization: `Basic ${Buffer.from(`admin:${SECRETS.adminPassword}`).toString('base64')}`, 'content-type': 'application/json' };
  try {
    await untilHttpOk(child, `http://127.0.0.1:${port}/health/ready`);
    kommo.reset();
    const sampler = sampleRss(child.proc.pid!);
    const started = performance.now();
    const res = await fetch(base, { method: 'POST', headers, body: '{}' });
    if (res.status === 404) return { measured: false, reason: 'POST /admin/backfill answers 404: backfill not in this build' };
    if (res.status !== 202) throw new Error(`bench: POST /admin/backfill answered ${res.status}: ${await res.text()}`);
    const { backfillId } = (await res.json()) as { backfillId: string };
    const status = await until(
      'the backfill to finish',
      async () => {
        const s = (await (await fetch(`${base}/${backfillId}`, { headers })).json()) as { state: string };
        return ['completed', 'failed'].includes(s.state) ? s : undefined;
      },
      300_000,
      100,
    );
    const seconds = (performance.now() - started) / 1000;
    const peakRssMiB = sampler.stop();
    return {
      measured: true,
      deals,
      seconds,
      kommoCalls: kommo.stats.requests,
      kommoMaxPerSecond: kommo.stats.maxPerSecond,
      kommo429s: kommo.stats.rateLimited,
      iterableBulkUpdateCalls: iterable.calls.filter((c) => c.path === '/api/users/bulkUpdate').length,
      iterableUsers: iterable.users().filter((u) => u.email.startsWith('backfill-')).length,
      peakRssMiB,
      status,
    };
  } finally {
    await child.stop();
    await kommo.stop();
    await iterable.stop();
    await dropPrefix(prefix);
  }
}
