/**
 * `npm run demo`: the service between the Kommo and Iterable simulators, no credentials needed. Plays a Won, a
 * stage change, a Lost, an unsubscribe and a bounce, prints each API call the service made, then leaves Bull
 * Board up until Ctrl-C.
 */
import 'reflect-metadata';
import Redis from 'ioredis';
import { createApp } from '../../src/app.factory';
import { loadConfig } from '../../src/config/config';
import { IterableSimulator } from './iterable.simulator';
import { KommoSimulator } from './kommo.simulator';

const WEBHOOK_TOKEN = 'demo-webhook-token-0123456789';
const DEMO_PREFIX = process.env.DEMO_QUEUE_PREFIX ?? 'kis-demo';
const ITERABLE_SECRET = 'demo-iterable-secret';
const PLAN_FIELD = 880001;
const PIPELINE = { id: 5001, name: 'Sales', statuses: [{ id: 61, name: 'Qualified' }, { id: 62, name: 'Proposal sent' }] };

const tty = process.stdout.isTTY;
const dim = (s: string) => (tty ? `\x1b[2m${s}\x1b[0m` : s);
const bold = (s: string) => (tty ? `\x1b[1m${s}\x1b[0m` : s);

async function main() {
  const kommo = new KommoSimulator({ token: 'demo-kommo-token' });
  const iterable = new IterableSimulator({ apiKey: 'demo-iterable-key' });
  const config = loadConfig({
    // Only these come from the environment: a production .env exported in this shell must not leak its prefix,
    // mapping file or account id into the demo.
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    PORT: process.env.PORT ?? '3000',
    QUEUE_PREFIX: DEMO_PREFIX,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    RECONCILE_INTERVAL_MS: '0',
    KOMMO_BASE_URL: await kommo.start(),
    KOMMO_ACCESS_TOKEN: 'demo-kommo-token',
    KOMMO_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
    KOMMO_PLAN_FIELD_ID: String(PLAN_FIELD),
    ITERABLE_BASE_URL: await iterable.start(),
    ITERABLE_API_KEY: 'demo-iterable-key',
    ITERABLE_WEBHOOK_SECRET: ITERABLE_SECRET,
    ITERABLE_ONBOARDING_WORKFLOW_ID: '9001',
    ITERABLE_CUSTOMERS_LIST_ID: '4001',
    ADMIN_USERNAME: process.env.ADMIN_USERNAME ?? 'admin',
    ADMIN_PASSWORD: process.env.ADMIN_PASSWORD ?? 'demo-password',
  });
  await forgetEarlierRuns(config.redisUrl);
  await registerWebhook(config.kommo.baseUrl, `http://127.0.0.1:${config.port}/webhooks/kommo/${WEBHOOK_TOKEN}`);
  const app = await createApp(config);
  await app.listen(config.port, '127.0.0.1');
  const url = await app.getUrl();

  kommo.addPipeline(PIPELINE);
  kommo.addLossReason({ id: 71, name: 'Chose a competitor' });
  iterable.addList(4001);
  const company = kommo.addCompany({ name: 'Northwind Traders' });
  const maria = kommo.addContact({ name: 'Maria Anders', first_name: 'Maria', last_name: 'Anders', emails: [{ value: 'maria@northwind.example', enum_code: 'WORK' }] });
  const tom = kommo.addContact({ name: 'Tom Hardy', first_name: 'Tom', last_name: 'Hardy', emails: [{ value: 'tom@contoso.example', enum_code: 'WORK' }] });
  const plan = (value: string) => [{ field_id: PLAN_FIELD, field_name: 'Plan', field_type: 'select', values: [{ value, enum_id: 1 }] }];
  const wonLead = kommo.addLead({ name: 'Northwind annual', price: 24000, status_id: 142, pipeline_id: PIPELINE.id, contacts: [{ id: maria, is_main: true }], company_id: company, custom_fields_values: plan('growth') });
  const lostLead = kommo.addLead({ name: 'Contoso pilot', price: 5000, status_id: 143, pipeline_id: PIPELINE.id, contacts: [{ id: tom, is_main: true }], loss_reason_id: 71 });
  const movedLead = kommo.addLead({ name: 'Northwind add-on', price: 3000, status_id: 62, pipeline_id: PIPELINE.id, contacts: [{ id: maria, is_main: true }] });

  const now = Math.floor(Date.now() / 1000);
  const kommoHook = (entries: Record<string, string | number>[]) =>
    fetch(`${url}/webhooks/kommo/${WEBHOOK_TOKEN}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(entries.flatMap((e, i) => Object.entries(e).map(([k, v]): [string, string] => [`leads[status][${i}][${k}]`, String(v)])).concat([['account[id]', '1']])).toString(),
    });
  const iterableHook = (body: unknown) =>
    fetch(`${url}/webhooks/iterable`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: ITERABLE_SECRET }, body: JSON.stringify(body) });

  const scenes: { title: string; play: () => Promise<Response>; done: () => boolean }[] = [
    { title: 'Deal "Northwind annual" moved to Won', play: () => kommoHook([{ id: wonLead, status_id: 142, old_status_id: 62, pipeline_id: PIPELINE.id, updated_at: now }]), done: () => kommo.notes('leads', wonLead).length > 0 },
    { title: 'Deal "Northwind add-on" moved to "Proposal sent"', play: () => kommoHook([{ id: movedLead, status_id: 62, old_status_id: 61, pipeline_id: PIPELINE.id, updated_at: now }]), done: () => iterable.events('crm_stage_changed').length > 0 },
    { title: 'Deal "Contoso pilot" Lost', play: () => kommoHook([{ id: lostLead, status_id: 143, old_status_id: 62, pipeline_id: PIPELINE.id, updated_at: now }]), done: () => iterable.events('deal_lost').length > 0 },
    { title: 'Maria unsubscribed from email in Iterable', play: () => iterableHook({ email: 'maria@northwind.example', eventName: 'emailUnSubscribe', dataFields: { email: 'maria@northwind.example', unsubSource: 'EmailLink', createdAt: '2026-11-26 10:00:00 +00:00', messageId: 'demo-1' } }), done: () => kommo.contactTags(maria).length > 0 },
    { title: "Tom's email bounced in Iterable", play: () => iterableHook({ email: 'tom@contoso.example', eventName: 'emailBounce', dataFields: { email: 'tom@contoso.example', recipientState: 'HardBounce', createdAt: '2026-11-26 10:01:00 +00:00', messageId: 'demo-2' } }), done: () => kommo.notes('leads', lostLead).length > 0 },
  ];

  // The service checks its Kommo webhook once at startup; let that call pass so the timings below are the sync's own.
  for (const until = Date.now() + 5000; Date.now() < until && !kommo.calls.some((c) => c.path.endsWith('/webhooks')); ) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 200));
  console.log(bold(`\nkommo-iterable-sync demo — service at ${url}\n`));
  for (const scene of scenes) {
    const kommoFrom = kommo.calls.length;
    const iterableFrom = iterable.calls.length;
    const started = Date.now();
    const res = await scene.play();
    console.log(bold(`▶ ${scene.title}`) + dim(`  → webhook ${res.status} ${await res.text()}`));
    while (!scene.done()) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 300));
    const calls = [
      ...kommo.calls.slice(kommoFrom).map((c) => ({ at: c.at, line: `Kommo    ${c.method} /api/v4${c.path.replace(/^\/api\/v4/, '')} → ${c.status}${noteText(c.body)}` })),
      ...iterable.calls.slice(iterableFrom).map((c) => ({ at: c.at, line: `Iterable ${c.method} ${c.path} → ${c.status}  ${dim(JSON.stringify(c.body ?? ''))}` })),
    ].sort((a, b) => a.at - b.at);
    for (const c of calls) console.log(`   ${dim(`+${String(c.at - started).padStart(4)} ms`)}  ${c.line}`);
    const lastIterable = iterable.calls.slice(iterableFrom).at(-1);
    if (lastIterable) console.log(dim(`   webhook → last Iterable call: ${lastIterable.at - started} ms`));
    console.log();
  }
  console.log(bold(`Bull Board: ${url}/admin/queues  (user ${config.admin?.username}, password ${process.env.ADMIN_PASSWORD ? '<ADMIN_PASSWORD>' : 'demo-password'})`));
  console.log(dim('Ctrl-C to stop.'));

  const stop = async () => {
    await app.close();
    await kommo.stop();
    await iterable.stop();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  if (process.env.DEMO_EXIT === '1') await stop();
}

/** The demo's queues start empty each run (its prefix is its own, never a deployment's). */
async function forgetEarlierRuns(redisUrl: string): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    const keys: string[] = [];
    for await (const batch of redis.scanStream({ match: `${DEMO_PREFIX}:*`, count: 500 })) keys.push(...(batch as string[]));
    for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
  } finally {
    redis.disconnect();
  }
}

/** As `npm run kommo:webhook` would: the service's periodic check then finds its hook registered. */
async function registerWebhook(kommoBase: string, destination: string): Promise<void> {
  await fetch(`${kommoBase}/api/v4/webhooks`, {
    method: 'POST',
    headers: { authorization: 'Bearer demo-kommo-token', 'content-type': 'application/json' },
    body: JSON.stringify({ destination, settings: ['status_lead'], sort: 10 }),
  });
}

function noteText(body: unknown): string {
  if (!Array.isArray(body)) return '';
  return body.map((n: { params?: { text?: string }; tags_to_add?: { name: string }[] }) => (n.params?.text ? `  “${n.params.text}”` : n.tags_to_add ? `  tags +${n.tags_to_add.map((t) => t.name).join(',')}` : '')).join('');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
