import type { NoteTemplates } from '../sync/note-texts';

/** The mapping file's shape after validation. The file itself is snake_case YAML (see sync-config.example.yml). */

export const FIELD_TYPES = ['string', 'number', 'boolean', 'date', 'string[]'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];
export const ENTITIES = ['lead', 'contact', 'company'] as const;
export type Entity = (typeof ENTITIES)[number];

/** Lead properties that are not custom fields, with the types they make sense as. */
export const BUILTINS = {
  tags: ['string[]', 'string'],
  responsible_user_id: ['number', 'string'],
  pipeline_id: ['number', 'string'],
  pipeline_name: ['string'],
  lead_name: ['string'],
  price: ['number', 'string'],
  created_at: ['date', 'number'],
  closed_at: ['date', 'number'],
  updated_at: ['date', 'number'],
} satisfies Record<string, readonly FieldType[]>;
export type BuiltinName = keyof typeof BUILTINS;

/** Kommo's UTM and click-id fields are lead custom fields (type tracking_data) found by their field_code. */
export const TRACKING_BUILTINS: Record<string, string> = {
  utm_source: 'UTM_SOURCE',
  utm_medium: 'UTM_MEDIUM',
  utm_campaign: 'UTM_CAMPAIGN',
  utm_term: 'UTM_TERM',
  utm_content: 'UTM_CONTENT',
  utm_referrer: 'UTM_REFERRER',
  gclid: 'GCLID',
  fbclid: 'FBCLID',
};

export type FieldSource =
  | { kind: 'custom'; entity: Entity; fieldId?: number; fieldCode?: string; enumCode?: string }
  | { kind: 'builtin'; name: BuiltinName };

export interface FieldMapping {
  /** the Iterable dataFields name */
  to: string;
  type: FieldType;
  source: FieldSource;
}

/** `all` (the default), `none`, or the status ids whose stage changes are tracked. */
export type StageEvents = 'all' | 'none' | number[];

export interface PipelineSettings {
  /** null: none for this pipeline, even when a default exists; absent: the default */
  onboardingWorkflowId?: number | null;
  customersListId?: number | null;
  stageEvents?: StageEvents;
}

export interface SyncConfig {
  fields: FieldMapping[];
  planFieldId?: number;
  companyFieldId?: number;
  onboardingWorkflowId?: number;
  customersListId?: number;
  stageEvents: StageEvents;
  pipelines: Record<number, PipelineSettings>;
  notes: NoteTemplates;
}

export type IssuePath = (string | number)[];
export interface Issue {
  path: IssuePath;
  message: string;
}

