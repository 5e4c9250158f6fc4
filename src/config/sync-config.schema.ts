import {
  BUILTINS,
  ENTITIES,
  FIELD_TYPES,
  TRACKING_BUILTINS,
  type BuiltinName,
  type Entity,
  type FieldMapping,
  type FieldSource,
  type FieldType,
  type Issue,
  type IssuePath,
  type PipelineSettings,
  type StageEvents,
  type SyncConfig,
} from './sync-config.types';
import { NOTE_PLACEHOLDERS, type NoteKey, type NoteTemplates } from '../sync/note-texts';
import { iterableNameProblem, reservedTargetProblem } from './iterable-names';

/** Validation of the parsed mapping file: every problem is reported with its path in the file, not just the first. */

type Obj = Record<string, unknown>;
type IssueSink = (path: IssuePath, message: string) => void;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
const show = (v: unknown) => JSON.stringify(v) ?? String(v);
const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const NOTE_KEYS = new Map((Object.keys(NOTE_PLACEHOLDERS) as NoteKey[]).map((k) => [snake(k), k]));
const TOP_KEYS = ['fields', 'plan_field_id', 'company_field_id', 'onboarding_workflow_id', 'customers_list_id', 'stage_events', 'pipelines', 'notes'];
const FIELD_KEYS = ['to', 'type', 'entity', 'field_id', 'field_code', 'enum_code', 'builtin'];
const PIPELINE_KEYS = ['onboarding_workflow_id', 'customers_list_id', 'stage_events'];

export function validateSyncConfig(raw: unknown): { config?: SyncConfig; issues: Issue[] } {
  const issues: Issue[] = [];
  const issue: IssueSink = (path, message) => issues.push({ path, message });
  const doc: Obj = raw === null || raw === undefined ? {} : isObj(raw) ? raw : {};
  if (!isObj(raw) && raw !== null && raw !== undefined) issue([], 'the file must be a YAML mapping (key: value) at the top level');
  unknownKeys(doc, TOP_KEYS, [], issue);

  const id = (key: string) => idOf(doc, key, [key], issue);
  const config: SyncConfig = {
    fields: fieldsOf(doc.fields, issue),
    planFieldId: id('plan_field_id'),
    companyFieldId: id('company_field_id'),
    onboardingWorkflowId: id('onboarding_workflow_id'),
    customersListId: id('customers_list_id'),
    stageEvents: stageEventsOf(doc.stage_events, ['stage_events'], issue) ?? 'all',
    pipelines: pipelinesOf(doc.pipelines, issue),
    notes: notesOf(doc.notes, issue),
  };
  return issues.length ? { issues } : { config, issues };
}

function idOf(obj: Obj, key: string, path: IssuePath, issue: IssueSink): number | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (!isId(v)) issue(path, `must be a positive integer id, got ${show(v)}`);
  return isId(v) ? v : undefined;
}

function pipelinesOf(raw: unknown, issue: IssueSink): Record<number, PipelineSettings> {
  if (raw === undefined || raw === null) return {};
  if (!isObj(raw)) {
    issue(['pipelines'], 'must be a mapping of pipeline id → settings');
    return {};
  }
  const out: Record<number, PipelineSettings> = {};
  for (const [key, value] of Object.entries(raw)) {
    const path = ['pipelines', key];
    if (!/^[1-9]\d*$/.test(key)) issue(path, `"${key}" is not a pipeline id (a positive integer)`);
    if (!isObj(value)) {
      issue(path, `must be a mapping with ${PIPELINE_KEYS.join(', ')}`);
      continue;
    }
    unknownKeys(value, PIPELINE_KEYS, path, issue);
    // null (or an empty value) turns the default off for this pipeline; leaving the key out keeps the default
    const nullableId = (k: string) => (value[k] === null ? null : idOf(value, k, [...path, k], issue));
    const settings: PipelineSettings = {};
    if ('onboarding_workflow_id' in value) settings.onboardingWorkflowId = nullableId('onboarding_workflow_id');
    if ('customers_list_id' in value) settings.customersListId = nullableId('customers_list_id');
    if ('stage_events' in value) settings.stageEvents = stageEventsOf(value.stage_events, [...path, 'stage_events'], issue);
    out[Number(key)] = settings;
  }
  return out;
}

function fieldsOf(raw: unknown, issue: IssueSink): FieldMapping[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    issue(['fields'], 'must be a list of field mappings (each item starts with "- to:")');
    return [];
  }
  const out: FieldMapping[] = [];
  const seen = new Map<string, number>();
  raw.forEach((item: unknown, i) => {
    const path = ['fields', i];
    if (!isObj(item)) return issue(path, 'must be a mapping with to, type and a source (field_id, field_code or builtin)');
    unknownKeys(item, FIELD_KEYS, path, issue);
    const to = item.to;
    if (typeof to !== 'string') issue([...path, 'to'], 'required: the Iterable field name (a string)');
    else {
      const problem = iterableNameProblem(to) ?? reservedTargetProblem(to);
      if (problem) issue([...path, 'to'], `"${to}" ${problem}`);
      else if (seen.has(to)) issue([...path, 'to'], `duplicate target "${to}" (also fields[${seen.get(to)}].to)`);
      seen.set(to, seen.get(to) ?? i);
    }
    const type = item.type;
    const typeOk = (FIELD_TYPES as readonly unknown[]).includes(type);
    if (type === undefined) issue([...path, 'type'], `required: one of ${FIELD_TYPES.join(', ')}`);
    else if (!typeOk) issue([...path, 'type'], `unknown type ${show(type)} (expected one of ${FIELD_TYPES.join(', ')})`);
    const source = sourceOf(item, path, typeOk ? (type as FieldType) : undefined, issue);
    if (typeof to === 'string' && typeOk && source) out.push({ to, type: type as FieldType, source });
  });
  return out;
}

function sourceOf(item: Obj, path: IssuePath, type: FieldType | undefined, issue: IssueSink): FieldSource | undefined {
  const given = ['field_id', 'field_code', 'builtin'].filter((k) => item[k] !== undefined);
  if (given.length !== 1) {
    issue(path, given.length ? `give only one of ${given.join(', ')}` : 'needs a source: field_id, field_code or builtin');
    return undefined;
  }
  const entity = item.entity ?? 'lead';
  if (!(ENTITIES as readonly unknown[]).includes(entity)) {
    issue([...path, 'entity'], `unknown entity ${show(entity)} (expected one of ${ENTITIES.join(', ')})`);
    return undefined;
  }
  const enumCode = item.enum_code;
  if (enumCode !== undefined && (typeof enumCode !== 'string' || !enumCode)) issue([...path, 'enum_code'], 'must be a value tag such as WORK or MOB');
  if (item.builtin !== undefined) {
    const name = String(item.builtin);
    if (item.entity !== undefined && item.entity !== 'lead') issue([...path, 'entity'], 'built-ins are lead properties: leave entity out');
    if (name in TRACKING_BUILTINS) return { kind: 'custom', entity: 'lead', fieldCode: TRACKING_BUILTINS[name] };
    if (!(name in BUILTINS)) {
      const known = [...Object.keys(BUILTINS), ...Object.keys(TRACKING_BUILTINS)].join(', ');
      issue([...path, 'builtin'], `unknown built-in ${show(item.builtin)} (expected one of ${known})`);
      return undefined;
    }
    const allowed: readonly FieldType[] = BUILTINS[name as BuiltinName];
    if (type && !allowed.includes(type)) issue([...path, 'type'], `built-in ${name} cannot be sent as ${type} (use ${allowed.join(' or ')})`);
    return { kind: 'builtin', name: name as BuiltinName };
  }
  if (item.field_id !== undefined && !isId(item.field_id)) {
    issue([...path, 'field_id'], `must be a positive integer, got ${show(item.field_id)}`);
    return undefined;
  }
  if (item.field_code !== undefined && (typeof item.field_code !== 'string' || !item.field_code.trim())) {
    issue([...path, 'field_code'], `must be a field code such as UTM_SOURCE or PHONE, got ${show(item.field_code)}`);
    return undefined;
  }
  return {
    kind: 'custom',
    entity: entity as Entity,
    ...(item.field_id !== undefined ? { fieldId: item.field_id as number } : { fieldCode: (item.field_code as string).trim() }),
    ...(typeof enumCode === 'string' && enumCode ? { enumCode } : {}),
  };
}

function stageEventsOf(raw: unknown, path: IssuePath, issue: IssueSink): StageEvents | undefined {
  if (raw === undefined) return undefined;
  if (raw === 'all' || raw === 'none') return raw;
  if (Array.isArray(raw) && raw.every(isId)) return raw;
  issue(path, `must be all, none or a list of status ids, got ${show(raw)}`);
  return undefined;
}

function notesOf(raw: unknown, issue: IssueSink): NoteTemplates {
  if (raw === undefined || raw === null) return {};
  if (!isObj(raw)) {
    issue(['notes'], 'must be a mapping of note name → text');
    return {};
  }
  const notes: NoteTemplates = {};
  for (const [key, text] of Object.entries(raw)) {
    const note = NOTE_KEYS.get(key);
    if (!note) {
      issue(['notes', key], `unknown note (expected one of ${[...NOTE_KEYS.keys()].join(', ')})`);
      continue;
    }
    if (typeof text !== 'string' || !text.trim()) {
      issue(['notes', key], 'must be a non-empty text');
      continue;
    }
    const allowed = NOTE_PLACEHOLDERS[note];
    const unknown = [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).filter((p) => !allowed.includes(p));
    if (unknown.length) {
      const hint = allowed.length ? `this note can use {${allowed[0]}}` : 'this note takes no placeholders';
      issue(['notes', key], `unknown placeholder {${unknown[0]}} (${hint})`);
      continue;
    }
    notes[note] = text;
  }
  return notes;
}

function unknownKeys(obj: Obj, allowed: string[], path: IssuePath, issue: IssueSink): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) issue([...path, key], `unknown key (expected one of ${allowed.join(', ')})`);
  }
}
