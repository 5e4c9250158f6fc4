import type { KommoCustomField } from '../../src/kommo/kommo.types';

/** In-memory Kommo account data. HAL rendering lives in kommo-views.ts; HTTP concerns in kommo.simulator.ts. */

export const WON = 142;
export const LOST = 143;
/** Ids as a real account shows them; only their stability matters to tests. */
export const EMAIL_FIELD_ID = 2161203;
export const PHONE_FIELD_ID = 2161201;
const ENUM_IDS: Record<string, number> = {
  WORK: 4808283,
  WORKDD: 4808285,
  MOB: 4808287,
  FAX: 4808289,
  HOME: 4808291,
  PRIV: 4808293,
  OTHER: 4808295,
};

export interface TypedValue { value: string; enum_code?: string }

export interface SimPipeline { id: number; name: string; statuses: { id: number; name: string; type: number }[] }
export interface SimLossReason { id: number; name: string; created_at: number }
export interface SimCompany { id: number; name: string; created_at: number; updated_at: number }
export interface SimContact {
  id: number;
  name: string;
  first_name: string;
  last_name: string;
  custom_fields_values: KommoCustomField[] | null;
  created_at: number;
  updated_at: number;
  tags: string[];
}
export interface SimLead {
  id: number;
  name: string;
  price: number;
  status_id: number;
  pipeline_id: number;
  contacts: { id: number; is_main: boolean }[];
  company_id: number | null;
  loss_reason_id: number | null;
  custom_fields_values: KommoCustomField[] | null;
  created_at: number;
  updated_at: number;
  closed_at: number | null;
}
export interface SimNote {
  id: number;
  entity_type: 'leads' | 'contacts';
  entity_id: number;
  note_type: string;
  /** `params.text`, for assertions; '' for note types without text */
  text: string;
  params: { text: string; [key: string]: unknown };
  created_at: number;
}
export interface SimWebhook {
  id: number;
  destination: string;
  settings: string[];
  sort: number;
  disabled: boolean;
  created_at: number;
  updated_at: number;
}

export type NewContact = {
  id?: number;
  name: string;
  first_name?: string;
  last_name?: string;
  emails?: TypedValue[];
  phones?: TypedValue[];
  custom_fields_values?: KommoCustomField[] | null;
  updated_at?: number;
};
export type NewLead = {
  id?: number;
  name: string;
  price?: number;
  status_id: number;
  pipeline_id: number;
  contacts?: { id: number; is_main: boolean }[];
  company_id?: number;
  loss_reason_id?: number;
  custom_fields_values?: KommoCustomField[] | null;
  updated_at?: number;
  closed_at?: number;
};

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

function multitext(fieldId: number, name: string, code: string, values: TypedValue[]): KommoCustomField {
  const typed = values.map((v) => {
    const enumCode = v.enum_code ?? 'WORK';
    return { value: v.value, enum_id: ENUM_IDS[enumCode] ?? ENUM_IDS.OTHER, enum_code: enumCode };
  });
  return { field_id: fieldId, field_name: name, field_code: code, field_type: 'multitext', values: typed };
}

export class KommoStore {
  readonly pipelines = new Map<number, SimPipeline>();
  readonly lossReasons = new Map<number, SimLossReason>();
  readonly companies = new Map<number, SimCompany>();
  readonly contacts = new Map<number, SimContact>();
  readonly leads = new Map<number, SimLead>();
  readonly notes: SimNote[] = [];
  readonly webhooks: SimWebhook[] = [];
  /** contact id → its leads, rebuilt after a lead is added or changed */
  private byContact?: Map<number, SimLead[]>;
  private nextId = 1_000_000;

  id(): number {
    return this.nextId++;
  }

  addPipeline(p: { id: number; name: string; statuses: { id: number; name: string }[] }): void {
    const own = p.statuses.filter((s) => s.id !== WON && s.id !== LOST).map((s, i) => ({ ...s, type: i === 0 ? 1 : 0 }));
    const system = [{ id: WON, name: 'Closed - won', type: 0 }, { id: LOST, name: 'Closed - lost', type: 0 }];
    this.pipelines.set(p.id, { id: p.id, name: p.name, statuses: [...own, ...system] });
  }

  addLossReason(r: { id: number; name: string }): void {
    this.lossReasons.set(r.id, { ...r, created_at: nowSeconds() });
  }

  addCompany(c: { id?: number; name: string }): number {
    const id = c.id ?? this.id();
    this.companies.set(id, { id, name: c.name, created_at: nowSeconds(), updated_at: nowSeconds() });
    return id;
  }

  addContact(c: NewContact): number {
    const id = c.id ?? this.id();
    const fields = [
      ...(c.phones?.length ? [multitext(PHONE_FIELD_ID, 'Phone', 'PHONE', c.phones)] : []),
      ...(c.emails?.length ? [multitext(EMAIL_FIELD_ID, 'Email', 'EMAIL', c.emails)] : []),
      ...(c.custom_fields_values ?? []),
    ];
    const updated = c.updated_at ?? nowSeconds();
    this.contacts.set(id, {
      id,
      name: c.name,
      first_name: c.first_name ?? '',
      last_name: c.last_name ?? '',
      // Kommo sends null, not [], for an entity without custom field values.
      custom_fields_values: fields.length ? fields : null,
      created_at: Math.min(updated, nowSeconds()),
      updated_at: updated,
      tags: [],
    });
    return id;
  }

  addLead(l: NewLead): number {
    const id = l.id ?? this.id();
    this.byContact = undefined;
    const updated = l.updated_at ?? nowSeconds();
    this.leads.set(id, {
      id,
      name: l.name,
      price: l.price ?? 0,
      status_id: l.status_id,
      pipeline_id: l.pipeline_id,
      contacts: l.contacts ?? [],
      company_id: l.company_id ?? null,
      loss_reason_id: l.loss_reason_id ?? null,
      custom_fields_values: l.custom_fields_values?.length ? l.custom_fields_values : null,
      created_at: Math.min(updated, nowSeconds()),
      updated_at: updated,
      closed_at: l.closed_at ?? (l.status_id === WON || l.status_id === LOST ? updated : null),
    });
    return id;
  }

  updateLead(id: number, patch: Partial<NewLead>): void {
    const lead = this.leads.get(id);
    if (!lead) throw new Error(`KommoSimulator: no lead ${id}`);
    this.byContact = undefined;
    const closes = patch.status_id !== undefined && [WON, LOST].includes(patch.status_id);
    Object.assign(lead, patch, {
      updated_at: patch.updated_at ?? nowSeconds(),
      closed_at: patch.closed_at ?? (closes ? (patch.updated_at ?? nowSeconds()) : lead.closed_at),
    });
  }

  /** Indexed: every contact view asks, and a scan per contact made a 250-contact page of a 15,000-lead account slow. */
  leadsOfContact(contactId: number): SimLead[] {
    if (!this.byContact) {
      this.byContact = new Map();
      for (const l of this.leads.values()) {
        for (const c of new Set(l.contacts.map((x) => x.id))) {
          const list = this.byContact.get(c) ?? [];
          list.push(l);
          this.byContact.set(c, list);
        }
      }
    }
    return this.byContact.get(contactId) ?? [];
  }

  /**
   * Kommo's `query` is full-text and fuzzy: integrators see hits that do not contain the searched email. Sharing
   * the part before '@' stands in for that, so a client that does not post-filter gets caught.
   */
  searchContacts(query: string): SimContact[] {
    const q = query.trim().toLowerCase();
    if (!q) return [...this.contacts.values()];
    const local = q.includes('@') ? q.split('@')[0] : undefined;
    return [...this.contacts.values()].filter((c) => {
      const fieldValues = (c.custom_fields_values ?? []).flatMap((f) => f.values.map((v) => String(v.value ?? '')));
      const strings = [c.name, c.first_name, c.last_name, ...fieldValues];
      return strings.some((s) => {
        const lower = s.toLowerCase();
        return lower.includes(q) || (local !== undefined && lower.includes('@') && lower.split('@')[0] === local);
      });
    });
  }

  addTags(contactId: number, names: string[], remove: string[] = []): void {
    const contact = this.contacts.get(contactId);
    if (!contact) return;
    const lowerRemove = new Set(remove.map((n) => n.toLowerCase()));
    contact.tags = contact.tags.filter((t) => !lowerRemove.has(t.toLowerCase()));
    for (const n of names) if (!contact.tags.some((t) => t.toLowerCase() === n.toLowerCase())) contact.tags.push(n);
    contact.updated_at = nowSeconds();
  }
}
