import { HttpService } from '@nestjs/axios';
import type DataLoader from 'dataloader';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/config';
import { PermanentApiError } from '../delivery/errors';
import { RateLimiter } from '../delivery/rate-limit';
import { kommoBatchLoader, loadAll } from './kommo-batch-loader';
import { emailsOf } from './kommo-fields';
import { KommoCall, KommoHttp, positiveId } from './kommo-http';
import { NOTE_QUERIES_PER_CALL, readRecentNotes, type RecentNotesQuery } from './kommo-notes.reader';
import { NOTES_PER_CALL, postNotes } from './kommo-notes.writer';
import { KommoTokenSource } from './kommo-token.source';
import type {
  KommoCompany,
  KommoContact,
  KommoLead,
  KommoLossReason,
  KommoNote,
  KommoPipeline,
  NewNote,
  NoteEntity,
} from './kommo.types';
import { TtlCache } from './ttl-cache';

/** Kommo caps pages and batch reads at 250. */
const MAX_PAGE = 250;
/** A fuzzy `query` can bury the exact match under look-alikes; a few pages, not the whole account. */
const MAX_SEARCH_PAGES = 4;
const LEAD_WITH = 'contacts,loss_reason';

type List<K extends string, T> = { _links?: { next?: unknown }; _embedded?: { [key in K]?: T[] } };

export interface LeadListParams {
  /** unix seconds: leads updated at or after */
  updatedFrom?: number;
  /** status ids in any pipeline (142 Won, 143 Lost exist in all of them) */
  statusIds?: number[];
  page?: number;
  /** 1..250, default 250 */
  limit?: number;
}

/**
 * The one way this service talks to Kommo: cached pipelines and loss reasons, exact email lookup, and reads and
 * notes shared by every job of the process: concurrent `getLead`s become one `filter[id][]` call (see
 * kommo-batch-loader.ts). Rate slots, auth and error mapping are KommoHttp's.
 */
@Injectable()
export class KommoClient {
  private readonly api: KommoHttp;
  private readonly pipelines = new TtlCache(() => this.fetchAll<'pipelines', KommoPipeline>('/leads/pipelines'));
  private readonly lossReasons = new TtlCache(() => this.fetchAll<'loss_reasons', KommoLossReason>('/leads/loss_reasons'));
  private readonly leads = kommoBatchLoader<number, KommoLead>((ids) => this.readByIds('/leads', 'leads', ids, LEAD_WITH), MAX_PAGE);
  private readonly contacts = kommoBatchLoader<number, KommoContact>((ids) => this.readByIds('/contacts', 'contacts', ids, 'leads'), MAX_PAGE);
  private readonly companies = kommoBatchLoader<number, KommoCompany>((ids) => this.readByIds('/companies', 'companies', ids), MAX_PAGE);
  private readonly notes = {
    leads: kommoBatchLoader<NewNote, number>((notes) => postNotes(this.api, 'leads', notes), NOTES_PER_CALL),
    contacts: kommoBatchLoader<NewNote, number>((notes) => postNotes(this.api, 'contacts', notes), NOTES_PER_CALL),
  };
  private readonly recentNotes = {
    leads: kommoBatchLoader<RecentNotesQuery, KommoNote[]>((qs) => readRecentNotes(this.api, 'leads', qs), NOTE_QUERIES_PER_CALL),
    contacts: kommoBatchLoader<RecentNotesQuery, KommoNote[]>((qs) => readRecentNotes(this.api, 'contacts', qs), NOTE_QUERIES_PER_CALL),
  };

  constructor(@Inject(APP_CONFIG) config: AppConfig, http: HttpService, limiter: RateLimiter, tokens: KommoTokenSource) {
    this.api = new KommoHttp(config, http, limiter, tokens);
  }

  /** With contacts and loss reason; a lead Kommo does not have (deleted) → PermanentApiError 404. */
  async getLead(id: number): Promise<KommoLead> {
    return this.leads.load(positiveId(id));
  }

  /** The leads Kommo has among `ids`; missing ones are left out. */
  async getLeads(ids: number[]): Promise<KommoLead[]> {
    return this.existing(this.leads, ids);
  }

  /** One page of leads in id order (stable while paging); for reconciliation and backfill. */
  async listLeads(params: LeadListParams): Promise<{ leads: KommoLead[]; hasNext: boolean }> {
    const { updatedFrom, statusIds, page = 1, limit = MAX_PAGE } = params;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
      throw new PermanentApiError('kommo', 400, `limit must be 1..${MAX_PAGE}`);
    }
    const filter: Record<string, unknown> = {};
    if (updatedFrom !== undefined) filter.updated_at = { from: updatedFrom };
    if (statusIds?.length) {
      // Kommo filters stages by (pipeline_id, status_id) pair; 142/143 exist in every pipeline, other ids in one.
      const pairs = (await this.getPipelines()).flatMap((p) =>
        (p._embedded?.statuses ?? [])
          .filter((s) => statusIds.includes(s.id))
          .map((s) => ({ pipeline_id: p.id, status_id: s.id })),
      );
      if (!pairs.length) return { leads: [], hasNext: false };
      // Indexed, not `[]`: with brackets, each key of an object in an array would become an element of its own.
      filter.statuses = Object.fromEntries(pairs.map((p, i) => [i, p]));
    }
    const query: Record<string, unknown> = { with: LEAD_WITH, page: positiveId(page), limit, order: { id: 'asc' } };
    if (Object.keys(filter).length) query.filter = filter;
    const call: KommoCall = { method: 'GET', path: '/leads', endpoint: 'GET /leads', query };
    const body = await this.api.call<List<'leads', KommoLead>>(call);
    return { leads: body?._embedded?.leads ?? [], hasNext: Boolean(body?._links?.next) };
  }

  /** With its leads; missing → PermanentApiError 404. */
  async getContact(id: number): Promise<KommoContact> {
    return this.contacts.load(positiveId(id));
  }

  async getContacts(ids: number[]): Promise<KommoContact[]> {
    return this.existing(this.contacts, ids);
  }

  async getCompany(id: number): Promise<KommoCompany> {
    return this.companies.load(positiveId(id));
  }

  getPipelines(): Promise<KommoPipeline[]> {
    return this.pipelines.get();
  }

  /** Names for a stage; a miss reloads the pipelines once (a stage created since the last load). */
  async stageName(pipelineId: number, statusId: number): Promise<{ pipelineName?: string; stageName?: string }> {
    const lookup = (pipelines: KommoPipeline[]) => {
      const pipeline = pipelines.find((p) => p.id === pipelineId);
      const stage = pipeline?._embedded?.statuses?.find((s) => s.id === statusId);
      return { pipelineName: pipeline?.name, stageName: stage?.name };
    };
    const hit = lookup(await this.pipelines.get());
    if (hit.stageName !== undefined) return hit;
    return lookup(await this.pipelines.get({ missed: `${pipelineId}:${statusId}` }));
  }

  getLossReasons(): Promise<KommoLossReason[]> {
    return this.lossReasons.get();
  }

  /** Kommo embeds the reason as an array (example, SDK) or an object (reference); else look its id up. */
  async lossReasonName(lead: KommoLead): Promise<string | undefined> {
    const embedded = lead._embedded?.loss_reason;
    const first = Array.isArray(embedded) ? embedded[0] : (embedded ?? undefined);
    if (first?.name) return first.name;
    const id = lead.loss_reason_id ?? first?.id;
    if (!id) return undefined;
    const byId = (reasons: KommoLossReason[]) => reasons.find((r) => r.id === id)?.name;
    return byId(await this.lossReasons.get()) ?? byId(await this.lossReasons.get({ missed: String(id) }));
  }

  /** Contacts whose EMAIL is exactly `email` (case-insensitive): Kommo's `query` is full-text and fuzzy. */
  async findContactsByEmail(email: string): Promise<KommoContact[]> {
    const wanted = email.trim().toLowerCase();
    if (!wanted) return [];
    const matches: KommoContact[] = [];
    for (let page = 1; page <= MAX_SEARCH_PAGES; page++) {
      const query = { query: email.trim(), with: 'leads', limit: MAX_PAGE, page };
      const call: KommoCall = { method: 'GET', path: '/contacts', endpoint: 'GET /contacts', query };
      const body = await this.api.call<List<'contacts', KommoContact>>(call);
      const contacts = body?._embedded?.contacts ?? [];
      matches.push(...contacts.filter((c) => emailsOf(c).some((e) => e.value.toLowerCase() === wanted)));
      if (!body?._links?.next) break;
    }
    return matches;
  }

  /**
   * Common notes, sharing array POSTs of ≤ 50 with other jobs' notes; ids in input order. Throws the first note's
   * error if any failed (the others may exist: notes are not transactional at Kommo either).
   */
  async addNotes(entity: NoteEntity, notes: NewNote[]): Promise<number[]> {
    if (entity !== 'leads' && entity !== 'contacts') {
      throw new PermanentApiError('kommo', 400, `unsupported note entity: ${String(entity)}`);
    }
    const checked = notes.map((n) => ({ entityId: positiveId(n.entityId), text: n.text }));
    const results = await loadAll(this.notes[entity], checked);
    const failed = results.find((r): r is Error => r instanceof Error);
    if (failed) throw failed;
    return results as number[];
  }

  /** Common notes on one lead or contact updated at or after `since` (unix s), sharing listings with other jobs. */
  async notesSince(entity: NoteEntity, entityId: number, since: number): Promise<KommoNote[]> {
    return this.recentNotes[entity].load({ entityId: positiveId(entityId), since });
  }

  /** `tags_to_add` adds; `_embedded.tags` would replace every tag other integrations set. */
  async addContactTags(contactId: number, tags: string[]): Promise<void> {
    const names = [...new Set(tags.map((t) => t.trim()).filter(Boolean))];
    const data = [{ id: positiveId(contactId), tags_to_add: names.map((name) => ({ name })) }];
    if (names.length) await this.api.call({ method: 'PATCH', path: '/contacts', endpoint: 'PATCH /contacts', data });
  }

  /** One `filter[id][]` call for a batch (≤ 250); an id Kommo left out is that caller's 404, not the batch's. */
  private async readByIds<K extends string, T extends { id: number }>(
    path: `/${K}`,
    key: K,
    ids: readonly number[],
    withs?: string,
  ): Promise<(T | Error)[]> {
    const query = { filter: { id: [...new Set(ids)] }, ...(withs ? { with: withs } : {}), limit: MAX_PAGE };
    const body = await this.api.call<List<K, T>>({ method: 'GET', path, endpoint: `GET ${path}`, query });
    const byId = new Map((body?._embedded?.[key] ?? []).map((e) => [e.id, e]));
    const kind = key.replace(/ies$/, 'y').replace(/s$/, '');
    return ids.map((id) => byId.get(id) ?? new PermanentApiError('kommo', 404, `Kommo ${kind} ${id} not found`));
  }

  private async existing<T>(loader: DataLoader<number, T>, ids: number[]): Promise<T[]> {
    const results = await loadAll(loader, [...new Set(ids.map(positiveId))]);
    const missing = (r: unknown) => r instanceof PermanentApiError && r.status === 404;
    const failed = results.find((r): r is Error => r instanceof Error && !missing(r));
    if (failed) throw failed;
    return results.filter((r) => !(r instanceof Error)) as T[];
  }

  /** `/leads/pipelines` embeds `pipelines`, `/leads/loss_reasons` embeds `loss_reasons`. */
  private async fetchAll<K extends string, T>(path: `/leads/${K}`): Promise<T[]> {
    const body = await this.api.call<List<K, T>>({ method: 'GET', path, endpoint: `GET ${path}` });
    return body?._embedded?.[path.slice('/leads/'.length) as K] ?? [];
  }
}
