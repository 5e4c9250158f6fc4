import type { BuiltinName, FieldMapping, FieldSource } from '../config/sync-config.types';
import type { KommoCompany, KommoContact, KommoCustomField, KommoLead } from '../kommo/kommo.types';
import { coerce, type MappedValue } from './coerce';

/** The Kommo records a mapping reads from; company and pipeline name only when `sourcesNeeded` asks for them. */
export interface MappingInput {
  lead: KommoLead & { responsible_user_id?: number | null };
  contact?: KommoContact;
  company?: KommoCompany;
  pipelineName?: string;
}

/** A value left out of the update because it could not be sent as its declared type. */
export interface DroppedField {
  field: string;
  reason: string;
}

export interface MappedFields {
  dataFields: Record<string, MappedValue>;
  dropped: DroppedField[];
}

/** Which extra Kommo reads the mappings need: the lead's company, the pipeline's name. */
export function sourcesNeeded(mappings: readonly FieldMapping[]): { company: boolean; pipelineName: boolean } {
  return {
    company: mappings.some((m) => m.source.kind === 'custom' && m.source.entity === 'company'),
    pipelineName: mappings.some((m) => m.source.kind === 'builtin' && m.source.name === 'pipeline_name'),
  };
}

/**
 * The mapped `dataFields` for one Won lead. A field with no value in Kommo is left out (Iterable keeps what it
 * had); a value that cannot be coerced to the declared type is left out and listed in `dropped`.
 */
export function mapFields(mappings: readonly FieldMapping[], input: MappingInput): MappedFields {
  const dataFields: Record<string, MappedValue> = {};
  const dropped: DroppedField[] = [];
  for (const m of mappings) {
    const result = coerce(rawValues(m.source, input), m.type);
    if (!result) continue;
    if (result.ok) dataFields[m.to] = result.value;
    else dropped.push({ field: m.to, reason: result.reason });
  }
  return { dataFields, dropped };
}

function rawValues(source: FieldSource, input: MappingInput): unknown[] {
  if (source.kind === 'builtin') return builtinValues(source.name, input);
  const entity = { lead: input.lead, contact: input.contact, company: input.company }[source.entity];
  const fields = (entity?.custom_fields_values ?? []).filter((f) => matches(f, source));
  return fields
    .flatMap((f) => f.values ?? [])
    .filter((v) => !source.enumCode || v.enum_code?.toUpperCase() === source.enumCode.toUpperCase())
    .map((v) => v.value);
}

function matches(field: KommoCustomField, source: Extract<FieldSource, { kind: 'custom' }>): boolean {
  if (source.fieldId !== undefined) return field.field_id === source.fieldId;
  return (field.field_code ?? '').toUpperCase() === source.fieldCode?.toUpperCase();
}

function builtinValues(name: BuiltinName, { lead, pipelineName }: MappingInput): unknown[] {
  switch (name) {
    case 'tags':
      return (lead._embedded?.tags ?? []).map((t) => t.name);
    case 'responsible_user_id':
      return [lead.responsible_user_id];
    case 'pipeline_id':
      return [lead.pipeline_id];
    case 'pipeline_name':
      return [pipelineName];
    case 'lead_name':
      return [lead.name];
    case 'price':
      return [lead.price];
    case 'created_at':
      return [lead.created_at];
    case 'closed_at':
      return [lead.closed_at];
    case 'updated_at':
      return [lead.updated_at];
    default: {
      const unknown: never = name;
      throw new Error(`no value for built-in ${String(unknown)}`);
    }
  }
}
