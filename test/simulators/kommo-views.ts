import type { KommoStore, SimCompany, SimContact, SimLead, SimLossReason, SimNote, SimPipeline, SimWebhook } from './kommo-store';

/** Renders store records in Kommo's v4 HAL shapes (`_links.self.href`, `_embedded`), as the fact sheet shows them. */
export const ACCOUNT_ID = 31361463;
const USER_ID = 10072086;

type Links = { self: { href: string }; next?: { href: string } };

/** Tag ids are per entity type in Kommo; a stable hash keeps them the same across calls. */
function tagId(name: string): number {
  let h = 7;
  for (const ch of name.toLowerCase()) h = (h * 31 + ch.charCodeAt(0)) % 1_000_000;
  return 100_000 + h;
}

export class KommoViews {
  constructor(
    private readonly store: KommoStore,
    private readonly base: () => string,
  ) {}

  links(path: string, next?: string): Links {
    const links: Links = { self: { href: `${this.base()}/api/v4/${path}` } };
    if (next) links.next = { href: `${this.base()}/api/v4/${next}` };
    return links;
  }

  lead(l: SimLead, withs: Set<string>): Record<string, unknown> {
    const embedded: Record<string, unknown> = {
      tags: [],
      companies: l.company_id ? [{ id: l.company_id, _links: this.links(`companies/${l.company_id}`) }] : [],
    };
    if (withs.has('contacts')) {
      embedded.contacts = l.contacts.map((c) => ({ id: c.id, is_main: c.is_main, _links: this.links(`contacts/${c.id}`) }));
    }
    const reason = l.loss_reason_id ? this.store.lossReasons.get(l.loss_reason_id) : undefined;
    // The reference calls this an object; the example response and the SDK show an array. Real traffic: array.
    if (withs.has('loss_reason') && reason) embedded.loss_reason = [this.lossReason(reason)];
    return {
      id: l.id,
      name: l.name,
      price: l.price,
      responsible_user_id: USER_ID,
      group_id: 0,
      status_id: l.status_id,
      pipeline_id: l.pipeline_id,
      loss_reason_id: l.loss_reason_id,
      created_by: USER_ID,
      updated_by: USER_ID,
      created_at: l.created_at,
      updated_at: l.updated_at,
      closed_at: l.closed_at,
      closest_task_at: null,
      is_deleted: false,
      custom_fields_values: l.custom_fields_values,
      score: null,
      account_id: ACCOUNT_ID,
      labor_cost: null,
      _links: this.links(`leads/${l.id}`),
      _embedded: embedded,
    };
  }

  contact(c: SimContact, withs: Set<string>): Record<string, unknown> {
    const companies = [...new Set(this.store.leadsOfContact(c.id).map((l) => l.company_id).filter((id) => id))];
    const embedded: Record<string, unknown> = {
      tags: c.tags.map((name) => ({ id: tagId(name), name, color: null })),
      companies: companies.map((id) => ({ id, _links: this.links(`companies/${id}`) })),
    };
    if (withs.has('leads')) {
      embedded.leads = this.store.leadsOfContact(c.id).map((l) => ({ id: l.id, _links: this.links(`leads/${l.id}`) }));
    }
    return {
      id: c.id,
      name: c.name,
      first_name: c.first_name,
      last_name: c.last_name,
      responsible_user_id: USER_ID,
      group_id: 0,
      created_by: USER_ID,
      updated_by: USER_ID,
      created_at: c.created_at,
      updated_at: c.updated_at,
      closest_task_at: null,
      is_deleted: false,
      is_unsorted: false,
      custom_fields_values: c.custom_fields_values,
      account_id: ACCOUNT_ID,
      _links: this.links(`contacts/${c.id}`),
      _embedded: embedded,
    };
  }

  company(c: SimCompany): Record<string, unknown> {
    return {
      id: c.id,
      name: c.name,
      responsible_user_id: USER_ID,
      group_id: 0,
      created_by: USER_ID,
      updated_by: USER_ID,
      created_at: c.created_at,
      updated_at: c.updated_at,
      closest_task_at: null,
      is_deleted: false,
      custom_fields_values: null,
      account_id: ACCOUNT_ID,
      _links: this.links(`companies/${c.id}`),
      _embedded: { tags: [] },
    };
  }

  pipeline(p: SimPipeline, sort: number): Record<string, unknown> {
    const statuses = p.statuses.map((s, i) => ({
      id: s.id,
      name: s.name,
      sort: (i + 1) * 10,
      is_editable: s.type === 0 && s.id !== 142 && s.id !== 143,
      pipeline_id: p.id,
      color: '#c1c1c1',
      type: s.type,
      account_id: ACCOUNT_ID,
      _links: this.links(`leads/pipelines/${p.id}/statuses/${s.id}`),
    }));
    return {
      id: p.id,
      name: p.name,
      sort,
      is_main: sort === 1,
      is_unsorted_on: true,
      is_archive: false,
      account_id: ACCOUNT_ID,
      _links: this.links(`leads/pipelines/${p.id}`),
      _embedded: { statuses },
    };
  }

  lossReason(r: SimLossReason): Record<string, unknown> {
    const { id, name, created_at } = r;
    return { id, name, sort: 100000, created_at, updated_at: created_at, _links: this.links(`leads/loss_reasons/${id}`) };
  }

  note(n: SimNote, requestId: string): Record<string, unknown> {
    const { id, entity_id } = n;
    return { id, entity_id, request_id: requestId, _links: this.links(`${n.entity_type}/${entity_id}/notes/${id}`) };
  }

  /** A note as `GET /{entity}/notes` lists it (Kommo keeps no request_id). */
  listedNote(n: SimNote): Record<string, unknown> {
    const { id, entity_id, note_type, params, created_at } = n;
    return {
      id,
      entity_id,
      created_by: USER_ID,
      updated_by: USER_ID,
      created_at,
      updated_at: created_at,
      responsible_user_id: USER_ID,
      group_id: 0,
      note_type,
      params,
      account_id: ACCOUNT_ID,
      _links: this.links(`${n.entity_type}/${entity_id}/notes/${id}`),
    };
  }

  webhook(w: SimWebhook): Record<string, unknown> {
    return { ...w, account_id: ACCOUNT_ID };
  }
}
