import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Queue } from 'bullmq';
import { runKommoWebhookCli } from '../../src/cli/kommo-webhook';
import { redisConnection } from '../../src/delivery/redis';
import { KOMMO_WEBHOOK_CHECK, KOMMO_WEBHOOK_CHECK_EVERY_MS, MAINTENANCE_QUEUE } from '../../src/maintenance/maintenance.queue';
import { Harness, json, REDIS_URL, SECRETS, startHarness, waitFor } from '../support/harness';

/** The Kommo webhook: registered by the CLI, watched by a scheduled check for Kommo's silent `disabled` flag. */

const PUBLIC_URL = 'https://sync.example.com';
const DESTINATION = `${PUBLIC_URL}/webhooks/kommo/${SECRETS.webhookToken}`;

describe('Kommo webhook registration and health', () => {
  let h: Harness;
  let maintenance: Queue;
  let env: Record<string, string>;

  const cli = async (args: string[], overrides: Record<string, string> = {}) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runKommoWebhookCli(args, { ...env, ...overrides }, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };
  const metric = async (name: string) => {
    const text = await (await fetch(`${h.url}/metrics`)).text();
    expect(text).not.toContain(SECRETS.webhookToken);
    return new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1];
  };
  const readiness = async () => {
    const res = await fetch(`${h.url}/health/ready`);
    return { status: res.status, report: await json(res) };
  };
  /** What the scheduler does every 5 minutes, now. */
  const checkNow = async (expected: { disabled: string }) => {
    await maintenance.add(KOMMO_WEBHOOK_CHECK, {});
    await waitFor(`kis_kommo_webhook_disabled ${expected.disabled}`, async () => (await metric('kis_kommo_webhook_disabled')) === expected.disabled);
  };

  beforeAll(async () => {
    h = await startHarness();
    env = {
      REDIS_URL,
      QUEUE_PREFIX: h.config.queuePrefix,
      KOMMO_BASE_URL: h.kommo.baseUrl,
      KOMMO_ACCESS_TOKEN: SECRETS.kommoToken,
      KOMMO_WEBHOOK_TOKEN: SECRETS.webhookToken,
      ITERABLE_API_KEY: SECRETS.iterableKey,
      ITERABLE_WEBHOOK_SECRET: SECRETS.iterableSecret,
    };
    maintenance = new Queue(MAINTENANCE_QUEUE, { connection: redisConnection(REDIS_URL), prefix: h.config.queuePrefix });
  });
  afterAll(async () => {
    await maintenance.close();
    await h.close();
  });

  it('schedules the check once at startup: no hook yet is a warning, not a failed probe', async () => {
    const schedulers = await waitFor('the job scheduler', async () => {
      const found = await maintenance.getJobSchedulers();
      return found.length ? found : undefined;
    });
    expect(schedulers!.map((s) => [s.key, s.every])).toEqual([[KOMMO_WEBHOOK_CHECK, KOMMO_WEBHOOK_CHECK_EVERY_MS]]);
    const { status, report } = (await waitFor('the first check', async () => {
      const r = await readiness();
      return r.report.info?.kommoWebhook?.checkedAt ? r : undefined;
    }))!;
    expect(status).toBe(200);
    expect(await metric('kis_kommo_webhook_registered')).toBe('0');
    expect(report.info.kommoWebhook).toMatchObject({ status: 'up', registered: false, warning: expect.stringMatching(/kommo:webhook/) });
  });

  it('the CLI registers the destination with status_lead and prints it without the token', async () => {
    const { code, out, err } = await cli(['--url', `${PUBLIC_URL}/`]);
    expect({ code, err }).toEqual({ code: 0, err: '' });
    expect(h.kommo.webhooks()).toEqual([{ destination: DESTINATION, settings: ['status_lead'], disabled: false }]);
    expect(out).toMatch(/^Kommo webhook #\d+ registered: https:\/\/sync\.example\.com\/webhooks\/kommo\/\[redacted\] \(settings: status_lead; disabled: false\)$/);
    expect(out).not.toContain(SECRETS.webhookToken);
  });

  it('a hook Kommo disabled shows as a metric and a readiness warning, with ready still 200', async () => {
    h.kommo.setWebhookDisabled(DESTINATION, true);
    await checkNow({ disabled: '1' });
    expect(await metric('kis_kommo_webhook_registered')).toBe('1');
    const { status, report } = await readiness();
    expect(status).toBe(200);
    expect(report.info.kommoWebhook).toMatchObject({ status: 'up', webhookDisabled: true, warning: expect.stringMatching(/Kommo disabled the service's webhook/) });
    expect(JSON.stringify(report)).not.toContain(SECRETS.webhookToken);
    expect(h.logs.join('')).toMatch(/Kommo has disabled the webhook https:\/\/sync\.example\.com\/webhooks\/kommo\/\[redacted\]/);

    // Registering again re-enables it (as the simulator models Kommo), and the next check clears the warning.
    expect((await cli(['--url', PUBLIC_URL])).code).toBe(0);
    await checkNow({ disabled: '0' });
    expect((await readiness()).report.info.kommoWebhook).toEqual({ status: 'up', checkedAt: expect.any(String), webhookDisabled: false });
  });

  it('the CLI fails with the reason: a bad URL, a missing variable, Kommo refusing the token', async () => {
    expect(await cli([])).toMatchObject({ code: 2, err: expect.stringMatching(/--url is required/) });
    expect(await cli(['--url', `${PUBLIC_URL}/webhooks/kommo/x`])).toMatchObject({ code: 2, err: expect.stringMatching(/base address/) });
    expect(await cli(['--url', PUBLIC_URL], { KOMMO_WEBHOOK_TOKEN: '' })).toMatchObject({ code: 1, err: expect.stringMatching(/KOMMO_WEBHOOK_TOKEN/) });
    const refused = await cli(['--url', PUBLIC_URL], { KOMMO_ACCESS_TOKEN: 'a-revoked-kommo-token' });
    expect(refused).toMatchObject({ code: 1, err: expect.stringMatching(/^kommo-webhook: registration failed: ApiAuthError: /) });
    expect(refused.err).not.toContain('a-revoked-kommo-token');
  });

  it('runs as `npm run kommo:webhook -- --url …`', async () => {
    const { stdout } = await promisify(execFile)('npm', ['run', '--silent', 'kommo:webhook', '--', '--url', 'https://other.example.com'], {
      env: { ...process.env, ...env },
      timeout: 30_000,
    });
    expect(stdout.trim()).toMatch(/^Kommo webhook #\d+ registered: https:\/\/other\.example\.com\/webhooks\/kommo\/\[redacted\]/);
    expect(h.kommo.webhooks().map((w) => w.destination)).toContain(`https://other.example.com/webhooks/kommo/${SECRETS.webhookToken}`);
  });
});
