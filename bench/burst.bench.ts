import { IterableSimulator } from '../test/simulators/iterable.simulator';
import { KommoSimulator } from '../test/simulators/kommo.simulator';
import { cpuSecondsOf, dropPrefix, freePort, memoryOf, sampleRss, SECRETS, serviceEnv, startNode, statusDelivery, uniquePrefix, until, untilHttpOk } from './bench-support';

/**
 * (b) A manager moves 1,000 deals to Won: 10 deliveries of 100 at once, the service (ROLE=all, one process) between
 * the Kommo simulator at 7 req/s and the Iterable simulator. "Synced" = every deal has its Won note, the last step.
 */

const PIPELINE = { id: 7001, name: 'Sales', statuses: [{ id: 301, name: 'Negotiation' }] };
const WORKFLOW = 9001;
const LIST = 4001;

export interface BurstFigures {
  deals: number;
  deliveries: number;
  seconds: number;
  kommoCalls: number;
  kommoCallsPerDeal: number;
  kommoCallsByEndpoint: Record<string, number>;
  kommoMaxPerSecond: number;
  kommo429s: number;
  iterableCalls: number;
  iterable429s: number;
  workerPeakRssMiB: number;
  /** where the time went: the service's CPU vs the simulators' (same machine) */
  cpuSeconds: { service: number; simulatorsAndBench: number };
  /** shortest time between a Kommo call and the 7th after it, as the simulator saw them (< 1000 ms = 8 in a second) */
  kommoTightestEightCallsMs?: number;
}

function seed(kommo: KommoSimulator, deals: number): number[] {
  kommo.addPipeline(PIPELINE);
  return Array.from({ length: deals }, (_, i) => {
    const contact = kommo.addContact({ name: `Client ${i}`, first_name: 'Client', last_name: `${i}`, emails: [{ value: `bench-${i}@example.com`, enum_code: 'WORK' }] });
    // Half the deals have a linked company whose name the profile needs (one more batched read).
    const company = i % 2 ? kommo.addCompany({ name: `Company ${i}` }) : undefined;
    return kommo.addLead({ name: `Deal ${i}`, price: 1000 + i, status_id: 142, pipeline_id: PIPELINE.id, contacts: [{ id: contact, is_main: true }], company_id: company, updated_at: 1790000000 });
  });
}

export async function benchBurst(deals: number, deliveries: number): Promise<BurstFigures> {
  const kommo = new KommoSimulator({ token: SECRETS.kommoToken, ratePerSecond: 7 });
  const iterable = new IterableSimulator({ apiKey: SECRETS.iterableKey });
  const prefix = uniquePrefix('burst');
  const port = await freePort();
  const env = serviceEnv(prefix, {
    ROLE: 'all',
    PORT: String(port),
    KOMMO_BASE_URL: await kommo.start(),
    ITERABLE_BASE_URL: await iterable.start(),
    KOMMO_RATE_LIMIT_PER_SECOND: '7',
    ITERABLE_ONBOARDING_WORKFLOW_ID: String(WORKFLOW),
    ITERABLE_CUSTOMERS_LIST_ID: String(LIST),
  });
  iterable.addList(LIST);
  const leadIds = seed(kommo, deals);
  const child = startNode(['dist/main.js'], env);
  try {
    await untilHttpOk(child, `http://127.0.0.1:${port}/health/ready`);
    kommo.reset();
    const perDelivery = Math.ceil(deals / deliveries);
    const bodies = Array.from({ length: deliveries }, (_, d) =>
      statusDelivery(leadIds.slice(d * perDelivery, (d + 1) * perDelivery).map((id) => ({ id, statusId: 142, pipelineId: PIPELINE.id, oldStatusId: 301, updatedAt: 1790000000 }))),
    );
    const sampler = sampleRss(child.proc.pid!);
    const cpuBefore = { service: cpuSecondsOf(child.proc.pid!), sims: process.cpuUsage() };
    const started = performance.now();
    const answers = await Promise.all(
      bodies.map((body) =>
        fetch(`http://127.0.0.1:${port}/webhooks/kommo/${SECRETS.webhookToken}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body }),
      ),
    );
    if (answers.some((a) => a.status !== 200)) throw new Error(`bench: deliveries answered ${answers.map((a) => a.status).join(',')}`);
    const wanted = new Set(leadIds);
    const synced = () => new Set(kommo.notes('leads').filter((n) => wanted.has(n.entity_id)).map((n) => n.entity_id)).size;
    await until(`${deals} Won notes`, () => synced() >= deals, 180_000, 20).catch((e: Error) => {
      const seen = `${synced()} synced; Kommo ${JSON.stringify(kommo.stats)}; Iterable calls ${iterable.calls.length}`;
      throw new Error(`${e.message} (${seen})\n${child.output.join('').slice(-3000)}`);
    });
    const seconds = (performance.now() - started) / 1000;
    sampler.stop();
    const simsCpu = process.cpuUsage(cpuBefore.sims);
    const at = kommo.calls.map((c) => c.at);
    const spans = at.slice(7).map((t, i) => t - at[i]);
    if (process.env.BENCH_TRACE) {
      const size = (c: (typeof kommo.calls)[number]) => (Array.isArray(c.body) ? c.body.length : ((c.query.filter as { id?: unknown[] })?.id?.length ?? ''));
      const t0 = kommo.calls[0]?.at ?? 0;
      process.stdout.write(`${kommo.calls.map((c) => `${c.at - t0} ${c.status} ${c.method} ${c.path} ${size(c)}`).join('\n')}\n`);
    }
    const byEndpoint: Record<string, number> = {};
    for (const c of kommo.calls) byEndpoint[`${c.method} ${c.path}`] = (byEndpoint[`${c.method} ${c.path}`] ?? 0) + 1;
    return {
      deals,
      deliveries,
      seconds,
      kommoCalls: kommo.stats.requests,
      kommoCallsPerDeal: kommo.stats.requests / deals,
      kommoCallsByEndpoint: byEndpoint,
      kommoMaxPerSecond: kommo.stats.maxPerSecond,
      kommo429s: kommo.stats.rateLimited,
      iterableCalls: iterable.calls.length,
      iterable429s: Object.values(iterable.stats()).reduce((n, s) => n + s.rateLimited, 0),
      workerPeakRssMiB: memoryOf(child.proc.pid!).peakMiB,
      cpuSeconds: { service: cpuSecondsOf(child.proc.pid!) - cpuBefore.service, simulatorsAndBench: (simsCpu.user + simsCpu.system) / 1e6 },
      kommoTightestEightCallsMs: spans.length ? Math.min(...spans) : undefined,
    };
  } finally {
    await child.stop();
    await kommo.stop();
    await iterable.stop();
    await dropPrefix(prefix);
  }
}
