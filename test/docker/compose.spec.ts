import Ajv from 'ajv';
import draft7 from 'ajv/dist/refs/json-schema-draft-07.json';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';

/**
 * No Docker engine runs here: the compose file is checked against the Compose Specification's JSON schema (as
 * bundled by dclint, which tracks compose-spec), and both files against what production needs.
 */
const root = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const compose: any = parse(read('docker-compose.yml'));

/** The drain bound lives in main.ts (importing it would start the service). */
function drainBoundMs(): number {
  const m = /const DRAIN_BOUND_MS = ([\d_]+);/.exec(read('src/main.ts'));
  if (!m) throw new Error('DRAIN_BOUND_MS not found in src/main.ts');
  return Number(m[1].replace(/_/g, ''));
}

/** Compose durations: `1m30s`, `40s`, `500ms`. */
function durationMs(d: string): number {
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001 };
  const parts = [...d.matchAll(/(\d+(?:\.\d+)?)(ms|us|h|m|s)/g)];
  if (!parts.length || parts.map((p) => p[0]).join('') !== d) throw new Error(`not a compose duration: ${d}`);
  return parts.reduce((ms, [, n, unit]) => ms + Number(n) * units[unit], 0);
}

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification schema', () => {
    const schemaPath = join(dirname(require.resolve('dclint/package.json')), 'schemas', 'compose.schema.json');
    const schema = JSON.parse(readFileSync(schemaPath, 'utf8'));
    expect(schema.title).toBe('Compose Specification');
    expect(schema.$schema).toMatch(/json-schema\.org\/draft-07\/schema#?$/);
    // strictTypes off: the schema is upstream's, written for validators less strict than Ajv.
    const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, strictTypes: false });
    // The schema names draft-07 by its https URL; Ajv knows draft-07 by the http one.
    ajv.addMetaSchema({ ...draft7, $id: schema.$schema });
    addFormats(ajv);
    const validate = ajv.compile(schema);
    expect(validate(compose) ? [] : validate.errors).toEqual([]);
    expect(validate({ services: { sync: { build: '.', stop_grace_period: 40 } } })).toBe(false);
  });

  it('runs Redis with AOF, noeviction, a healthcheck and a volume', () => {
    const redis = compose.services.redis;
    const command = [redis.command].flat().join(' ');
    expect(command).toMatch(/--appendonly yes\b/);
    expect(command).toMatch(/--maxmemory-policy noeviction\b/);
    expect(redis.healthcheck.test.join(' ')).toMatch(/redis-cli ping/);
    const [volume] = redis.volumes as string[];
    expect(volume).toMatch(/^[\w-]+:\/data$/);
    expect(Object.keys(compose.volumes)).toContain(volume.split(':')[0]);
  });

  it('starts the service after a healthy Redis, with .env, a readiness healthcheck and room to drain', () => {
    const sync = compose.services.sync;
    expect(sync.depends_on).toEqual({ redis: { condition: 'service_healthy' } });
    expect([sync.env_file].flat()).toContain('.env');
    expect(sync.environment.REDIS_URL).toBe('redis://redis:6379');
    expect(sync.healthcheck.test.join(' ')).toContain('/health/ready');
    expect(durationMs(sync.stop_grace_period)).toBeGreaterThan(drainBoundMs());
  });
});

describe('Dockerfile', () => {
  const lines = read('Dockerfile')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages = lines.reduce<string[][]>((all, l) => (l.startsWith('FROM ') ? [...all, [l]] : (all.at(-1)?.push(l), all)), []);
  const [build, final] = [stages[0], stages.at(-1)!];
  const runs = (stage: string[]) => stage.filter((l) => l.startsWith('RUN ')).join(' && ');

  it('is multi-stage on Node 20; the final stage has production dependencies only and runs as non-root', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage[0]).toMatch(/^FROM node:20\b/);
    expect(runs(final)).toMatch(/npm ci --omit=dev\b/);
    expect(final.some((l) => /^COPY --from=\S+ \S*dist\b/.test(l))).toBe(true);
    const user = final.filter((l) => l.startsWith('USER ')).at(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^USER (root|0)(:|$)/);
  });

  it('checks readiness and starts node dist/main.js', () => {
    expect(final.find((l) => l.startsWith('HEALTHCHECK '))).toContain('/health/ready');
    expect(final.filter((l) => l.startsWith('CMD ')).at(-1)).toBe('CMD ["node", "dist/main.js"]');
  });

  it('builds with the steps CI runs (npm ci, then npm run build), from every file the build reads', () => {
    const ci = read('.ci/run');
    const ciSteps = [...ci.matchAll(/^npm (ci|run build)\b/gm)].map((m) => m[1]);
    expect(ciSteps).toEqual(['ci', 'run build']);
    const buildSteps = [...runs(build).matchAll(/\bnpm (ci|run build)\b/g)].map((m) => m[1]);
    expect(buildSteps).toEqual(ciSteps);

    const copied = build.filter((l) => l.startsWith('COPY ')).flatMap((l) => l.split(/\s+/).slice(1, -1));
    const tsconfigBuild = JSON.parse(read('tsconfig.build.json'));
    for (const needed of ['package.json', 'package-lock.json', 'tsconfig.build.json', tsconfigBuild.extends.replace(/^\.\//, ''), 'src']) {
      expect(copied).toContain(needed);
    }
  });
});
