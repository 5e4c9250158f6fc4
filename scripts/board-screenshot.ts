/**
 * Looks at Bull Board the way an operator does: headless Chromium, Basic credentials, the failed tab of a queue
 * holding a dead letter (a Won rejected by Iterable with a 400). Not part of `npm test`: it needs a Chromium
 * (`apt-get install -y chromium`). Run: `npx ts-node --transpile-only scripts/board-screenshot.ts [out.png]`.
 */
import 'reflect-metadata';
import { chromium } from 'playwright-core';
import { kommoForm, SECRETS, startHarness, statusEntry, waitFor } from '../test/support/harness';

const OUT = process.argv[2] ?? '/tmp/board.png';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const PIPELINE = { id: 7301, name: 'Sales', statuses: [{ id: 331, name: 'Qualified' }] };

async function main() {
  const h = await startHarness();
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    h.kommo.addPipeline(PIPELINE);
    const contact = h.kommo.addContact({ name: 'Ana Lima', emails: [{ value: 'ana@acme.io', enum_code: 'WORK' }] });
    const leadId = h.kommo.addLead({ name: 'Acme deal', price: 1200, status_id: 142, pipeline_id: PIPELINE.id, contacts: [{ id: contact, is_main: true }] });
    h.iterable.failNext({ path: 'users/update' }, [400]);
    await h.postKommo(kommoForm(statusEntry(0, { id: leadId, status_id: 142, pipeline_id: PIPELINE.id })));
    const queue = h.app.get<{ getFailedCount(): Promise<number> }>('BullQueue_kommo-to-iterable');
    await waitFor('the dead letter', async () => (await queue.getFailedCount()) === 1);

    const context = await browser.newContext({ httpCredentials: { username: 'admin', password: SECRETS.adminPassword }, viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    const res = await page.goto(`${h.url}/admin/queues`);
    console.log(`GET /admin/queues → ${res?.status()}`);
    await page.getByText('kommo-to-iterable').first().click();
    await page.waitForURL(/\/queue\/kommo-to-iterable/);
    await page.getByRole('link', { name: /failed/i }).first().click();
    await page.waitForURL(/status=failed/);
    // a job card opens on its Data tab: the operator's next click is Error
    await page.getByText('Error', { exact: true }).first().click();
    await page.getByText(/iterable 400/i).first().waitFor({ timeout: 10_000 });
    await page.screenshot({ path: OUT, fullPage: true });
    console.log(`${page.url().replace(h.url, '')}: screenshot in ${OUT}`);
  } finally {
    await browser.close();
    await h.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
