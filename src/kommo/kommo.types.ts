/** Kommo API v4 shapes, as far as this service reads them. Webhook (form) shapes live in kommo-webhook.parser.ts. */

export interface KommoFieldValue {
  value?: string | number | boolean | null;
  enum_id?: number;
  enum_code?: string | null;
}

export interface KommoCustomField {
  field_id: number;
  field_name?: string;
  field_code?: string | null;
  field_type?: string;
  values: KommoFieldValue[];
}

export interface KommoLossReason {
  id: number;
  name: string;
}

export interface KommoLead {
  id: number;
  name: string;
  price: number | null;
  status_id: number;
  pipeline_id: number;
  loss_reason_id?: number | null;
  created_at: number;
  updated_at: number;
  closed_at?: number | null;
  custom_fields_values: KommoCustomField[] | null;
  _embedded?: {
    contacts?: { id: number; is_main: boolean }[];
    companies?: { id: number }[];
    tags?: { id: number; name: string }[];
    /** The reference says object, the example and SDK say array: both are accepted. */
    loss_reason?: KommoLossReason[] | KommoLossReason | null;
  };
}

export interface KommoContact {
  id: number;
  name: string;
  first_name?: string | null;
  last_name?: string | null;
  updated_at: number;
  custom_fields_values: KommoCustomField[] | null;
  _embedded?: {
    leads?: { id: number }[];
    companies?: { id: number }[];
    tags?: { id: number; name: string }[];
  };
}

export interface KommoCompany {
  id: number;
  name: string;
  custom_fields_values: KommoCustomField[] | null;
}

export interface KommoStatus {
  id: number;
  name: string;
  pipeline_id: number;
}

export interface KommoPipeline {
  id: number;
  name: string;
  _embedded: { statuses: KommoStatus[] };
}

export type NoteEntity = 'leads' | 'contacts';

/** A note as `GET /api/v4/{entity}/notes` lists it. */
export interface KommoNote {
  id: number;
  entity_id: number;
  note_type: string;
  params?: { text?: string } | null;
  created_at: number;
  updated_at: number;
}

export interface NewNote {
  entityId: number;
  text: string;
}
