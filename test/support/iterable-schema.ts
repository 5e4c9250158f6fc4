/**
 * Request-body validators built from Iterable's published Swagger 2.0 spec. Shared by the simulator (which
 * answers BadJsonBody like the real API) and by specs that check our bodies independently of the simulator.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/**
 * Iterable's published Swagger spec. A copy is kept in test/fixtures so a fresh clone is self-contained; the
 * project's reference copy in `shared/` beside the repo, when present, wins (a test checks the two agree).
 */
export const SHARED_SPEC_PATH = path.join(__dirname, '../../../shared/reference/iterable-api-docs.json');
export const VENDORED_SPEC_PATH = path.join(__dirname, '../fixtures/iterable-api-docs.json');
export const ITERABLE_SPEC_PATH = existsSync(SHARED_SPEC_PATH) ? SHARED_SPEC_PATH : VENDORED_SPEC_PATH;

export type JsonSchema = Record<string, unknown>;

interface SwaggerOperation {
  parameters?: { in: string; name: string; required?: boolean; schema?: JsonSchema }[];
}
interface SwaggerSpec {
  paths: Record<string, Record<string, SwaggerOperation>>;
  definitions: Record<string, JsonSchema>;
}

let spec: SwaggerSpec | undefined;
const cache = new Map<string, ValidateFunction | null>();
// strict: false because Swagger keeps `example` (and prose) beside the JSON-Schema keywords.
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);

export function loadIterableSpec(): SwaggerSpec {
  spec ??= JSON.parse(readFileSync(ITERABLE_SPEC_PATH, 'utf8')) as SwaggerSpec;
  return spec;
}

/** `users/update`, `/users/update` and `/api/users/update` all name the same operation. */
export function swaggerPath(p: string): string {
  return '/api/' + p.replace(/^\/+/, '').replace(/^api\//, '');
}

/**
 * Inlines `#/definitions/…` refs: some definition names hold spaces and prose (e.g. "CancelScheduledMessageRequest -
 * campaignId OR …"), which JSON-pointer refs handle badly, and a cycle would otherwise recurse forever.
 */
function deref(node: unknown, seen: string[] = []): unknown {
  if (Array.isArray(node)) return node.map((n) => deref(n, seen));
  if (!node || typeof node !== 'object') return node;
  const ref = (node as { $ref?: unknown }).$ref;
  if (typeof ref === 'string' && ref.startsWith('#/definitions/')) {
    const name = ref.slice('#/definitions/'.length);
    if (seen.includes(name)) return {};
    return deref(loadIterableSpec().definitions[name], [...seen, name]);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) if (k !== 'example') out[k] = deref(v, seen);
  return out;
}

/** The JSON Schema of an operation's body parameter, refs inlined; undefined when it takes no body. */
export function bodySchema(method: string, p: string): JsonSchema | undefined {
  const op = loadIterableSpec().paths[swaggerPath(p)]?.[method.toLowerCase()];
  const param = op?.parameters?.find((x) => x.in === 'body');
  return param?.schema ? (deref(param.schema) as JsonSchema) : undefined;
}

/**
 * A validator for an operation's body, or null when the operation has no body. `overlay` adds a
 * project rule on top (Swagger types `dataFields` as a bare object, so field types need one).
 */
export function bodyValidator(method: string, p: string, overlay?: JsonSchema): ValidateFunction | null {
  const key = `${method.toUpperCase()} ${swaggerPath(p)} ${overlay ? JSON.stringify(overlay) : ''}`;
  if (!cache.has(key)) {
    const schema = bodySchema(method, p);
    cache.set(key, schema ? ajv.compile(overlay ? { allOf: [schema, overlay] } : schema) : null);
  }
  return cache.get(key)!;
}

/** Ajv errors keyed the way Iterable reports them: `{"obj.events[1].createdAt": "must be integer"}`. */
export function errorParams(errors: ErrorObject[] | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of errors ?? []) {
    const where = e.instancePath
      .split('/')
      .slice(1)
      .map((s) => (/^\d+$/.test(s) ? `[${s}]` : `.${s}`))
      .join('');
    const missing = e.keyword === 'required' ? `.${String(e.params.missingProperty)}` : '';
    out[`obj${where}${missing}`] = e.message ?? e.keyword;
  }
  return out;
}

/** Validates a body; `errors` is empty when it conforms (or when the operation takes no body). */
export function validateBody(method: string, p: string, body: unknown, overlay?: JsonSchema) {
  const validate = bodyValidator(method, p, overlay);
  if (!validate) return { valid: true, errors: {} as Record<string, string> };
  const valid = validate(body);
  return { valid, errors: valid ? {} : errorParams(validate.errors) };
}
