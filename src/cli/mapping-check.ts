import 'reflect-metadata';
import { ConfigError, loadConfig, type AppConfig } from '../config/config';
import { checkFieldTypes, mismatchConsequence } from '../mapping/schema-check';
import { cliClients, redactedMessage, type CliOutput } from './cli-clients';

/**
 * `npm run mapping:check`: compares the declared type of every built-in and mapped field with the type the
 * Iterable project already fixed for it (`GET users/getFields`). Returns the exit code: 0 no mismatch,
 * 1 a mismatch or a reason (invalid configuration or mapping, Iterable refused).
 */
export async function runMappingCheck(env: NodeJS.ProcessEnv, io: CliOutput): Promise<number> {
  let config: AppConfig;
  try {
    config = loadConfig(env);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    io.err(`mapping-check: ${e.message}`);
    return 1;
  }
  const clients = cliClients(config);
  try {
    const checks = checkFieldTypes(config.mapping?.fields ?? [], await clients.iterable.getFields());
    const width = Math.max(...checks.map((c) => c.field.length));
    for (const c of checks) {
      const name = `${c.field.padEnd(width)}  ${c.declared.padEnd(8)}  ${c.builtIn ? 'built-in' : 'mapped  '}`;
      if (c.status === 'ok') io.out(`ok        ${name}  Iterable: ${c.iterable}`);
      else if (c.status === 'new') io.out(`new       ${name}  not in Iterable yet: the first Won creates it`);
      else io.out(`MISMATCH  ${name}  Iterable: ${c.iterable}. ${mismatchConsequence(c)}`);
    }
    const count = (s: string) => checks.filter((c) => c.status === s).length;
    io.out(`\n${checks.length} fields: ${count('ok')} ok, ${count('new')} new, ${count('mismatch')} mismatched`);
    return count('mismatch') ? 1 : 0;
  } catch (e) {
    io.err(`mapping-check: reading Iterable's user fields failed: ${redactedMessage(e, config.secrets)}`);
    return 1;
  } finally {
    clients.close();
  }
}

if (require.main === module) {
  void runMappingCheck(process.env, {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  }).then((code) => process.exit(code));
}
