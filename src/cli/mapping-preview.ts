import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type AppConfig } from '../config/config';
import { WON_STATUS_ID } from '../sync/jobs';
import { noteTexts } from '../sync/note-texts';
import { loadLeadContext } from '../sync/kommo-to-iterable/lead-context';
import { wonFollowUps, wonProfileUpdate } from '../sync/kommo-to-iterable/won-requests';
import { cliClients, redactedMessage, type CliOutput } from './cli-clients';

const USAGE = 'usage: npm run mapping:preview -- --lead <id> [--json]';

export interface PreviewRequest {
  method: 'POST';
  path: string;
  body: unknown;
}

/**
 * `npm run mapping:preview -- --lead <id>`: reads the lead from Kommo and prints the Iterable requests a Won of
 * it would send, built by the same code as the Won handler, without sending anything. Returns the exit code:
 * 0 printed, 1 a reason (invalid configuration or mapping, no email, Kommo refused), 2 bad usage.
 */
export async function runMappingPreview(argv: string[], env: NodeJS.ProcessEnv, io: CliOutput): Promise<number> {
  let leadId: number;
  let asJson: boolean;
  try {
    const { values } = parseArgs({ args: argv, options: { lead: { type: 'string' }, json: { type: 'boolean' } }, strict: true });
    leadId = Number(values.lead);
    if (!values.lead || !Number.isSafeInteger(leadId) || leadId < 1) throw new Error('--lead must be a lead id');
    asJson = Boolean(values.json);
  } catch (e) {
    io.err(`mapping-preview: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  let config: AppConfig;
  try {
    config = loadConfig(env);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    io.err(`mapping-preview: ${e.message}`);
    return 1;
  }
  const clients = cliClients(config);
  try {
    const { lead, contact, email } = await loadLeadContext(clients.kommo, leadId);
    if (!email) {
      const note = noteTexts(config.mapping?.notes).noEmail();
      io.err(`mapping-preview: lead ${leadId}: its main contact has no email, so a Won sends nothing to Iterable (only the note "${note}")`);
      return 1;
    }
    const ctx = { lead, contact, email, changedAt: lead.closed_at ?? Math.floor(Date.now() / 1000) };
    const profile = await wonProfileUpdate(clients.kommo, config, ctx);
    const next = wonFollowUps(config, ctx);
    const base = new URL(config.iterable.baseUrl).pathname.replace(/\/+$/, '');
    const requests: PreviewRequest[] = [
      { method: 'POST', path: `${base}/users/update`, body: profile.request },
      { method: 'POST', path: `${base}/events/track`, body: next.event },
      ...(next.workflow ? [{ method: 'POST' as const, path: `${base}/workflows/triggerWorkflow`, body: next.workflow }] : []),
      ...(next.list ? [{ method: 'POST' as const, path: `${base}/lists/subscribe`, body: next.list }] : []),
    ];
    if (asJson) {
      io.out(JSON.stringify({ lead: leadId, requests, dropped: profile.dropped, note: next.note }, null, 2));
      return 0;
    }
    io.out(`# What a Won of lead ${leadId} sends to Iterable (${email}); nothing was sent.`);
    if (lead.status_id !== WON_STATUS_ID) io.out(`# The lead is in status ${lead.status_id}, not Won: this is what a Won would send.`);
    for (const d of profile.dropped) io.out(`# left out of users/update: ${d.field}: ${d.reason}`);
    for (const r of requests) io.out(`${r.method} ${r.path}\n${JSON.stringify(r.body, null, 2)}\n`);
    io.out(`# then a note on the lead in Kommo: ${next.note}`);
    return 0;
  } catch (e) {
    io.err(`mapping-preview: lead ${leadId}: ${redactedMessage(e, config.secrets)}`);
    return 1;
  } finally {
    clients.close();
  }
}

if (require.main === module) {
  void runMappingPreview(process.argv.slice(2), process.env, {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  }).then((code) => process.exit(code));
}
