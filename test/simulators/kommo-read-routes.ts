import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import * as qs from 'qs';
import { problem, sendProblem } from './kommo-problems';
import type { KommoStore, SimLead, SimNote } from './kommo-store';
import type { KommoViews } from './kommo-views';

/** GET endpoints of Kommo v4 that the service reads. Lists answer 204 with no body when nothing matches. */

type Query = Record<string, unknown>;
type Req = FastifyRequest<{ Params: { id: string }; Querystring: Query }>;

const HAL = 'application/hal+json';
const MAX_LIMIT = 250;

export function withsOf(q: Query): Set<string> {
  return new Set(String(q.with ?? '').split(',').map((s) => s.trim()).filter(Boolean));
}

/** `filter[id][]=1`, `filter[id][0]=1`, `filter[id]=1` and, past qs's array limit, an index-keyed object. */
export function numbers(v: unknown): number[] {
  const raw = Array.isArray(v) ? v : v && typeof v === 'object' ? Object.values(v) : v === undefined ? [] : [v];
  return raw.map(Number).filter((n) => Number.isFinite(n));
}

function filterOf(q: Query): Query {
  return (q.filter && typeof q.filter === 'object' ? q.filter : {}) as Query;
}

function entityId(req: Req, reply: FastifyReply): number | undefined {
  const id = Number(req.params.id);
  if (Number.isSafeInteger(id) && id > 0) return id;
  sendProblem(reply, 404, problem(404, 'Not found'));
  return undefined;
}

export function registerReadRoutes(app: FastifyInstance, store: KommoStore, views: KommoViews): void {
  /** One page of `items` in Kommo's list envelope, or 204 when the page is empty. */
  const page = (req: Req, reply: FastifyReply, path: string, key: string, items: unknown[]) => {
    const q = req.query;
    const limit = q.limit === undefined ? 50 : Number(q.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      return sendProblem(reply, 422, problem(422, `Limit ${MAX_LIMIT} per page`));
    }
    const pageNo = Math.max(1, Number(q.page ?? 1) || 1);
    const slice = items.slice((pageNo - 1) * limit, pageNo * limit);
    if (!slice.length) return reply.code(204).send();
    const href = (p: number) => `${path}?${qs.stringify({ ...q, page: p, limit }, { encodeValuesOnly: true })}`;
    const more = items.length > pageNo * limit;
    return reply
      .type(HAL)
      .send({ _page: pageNo, _links: views.links(href(pageNo), more ? href(pageNo + 1) : undefined), _embedded: { [key]: slice } });
  };

  app.get('/api/v4/leads', async (req: Req, reply) => {
    const f = filterOf(req.query);
    const ids = new Set(numbers(f.id));
    const updated = (f.updated_at ?? {}) as Query;
    const from = updated.from === undefined ? undefined : Number(updated.from);
    const to = updated.to === undefined ? undefined : Number(updated.to);
    const pairs = Object.values((f.statuses ?? {}) as Record<string, Query>).map((s) => ({
      status: Number(s.status_id),
      pipeline: s.pipeline_id === undefined ? undefined : Number(s.pipeline_id),
    }));
    const pipelines = new Set(numbers(f.pipeline_id));
    const match = (l: SimLead) =>
      (!ids.size || ids.has(l.id)) &&
      (from === undefined || l.updated_at >= from) &&
      (to === undefined || l.updated_at <= to) &&
      (!pipelines.size || pipelines.has(l.pipeline_id)) &&
      (!pairs.length || pairs.some((p) => p.status === l.status_id && (p.pipeline === undefined || p.pipeline === l.pipeline_id)));
    const withs = withsOf(req.query);
    const leads = [...store.leads.values()].filter(match).sort((a, b) => a.id - b.id);
    return page(req, reply, 'leads', 'leads', leads.map((l) => views.lead(l, withs)));
  });

  app.get('/api/v4/leads/pipelines', async (_req, reply) => {
    const pipelines = [...store.pipelines.values()].map((p, i) => views.pipeline(p, i + 1));
    if (!pipelines.length) return reply.code(204).send();
    const body = { _total_items: pipelines.length, _links: views.links('leads/pipelines'), _embedded: { pipelines } };
    return reply.type(HAL).send(body);
  });

  app.get('/api/v4/leads/loss_reasons', async (_req, reply) => {
    const reasons = [...store.lossReasons.values()].map((r) => views.lossReason(r));
    if (!reasons.length) return reply.code(204).send();
    const body = { _total_items: reasons.length, _links: views.links('leads/loss_reasons'), _embedded: { loss_reasons: reasons } };
    return reply.type(HAL).send(body);
  });

  app.get('/api/v4/leads/:id', async (req: Req, reply) => {
    const id = entityId(req, reply);
    if (id === undefined) return reply;
    const lead = store.leads.get(id);
    if (!lead) return sendProblem(reply, 404, problem(404, 'Not found'));
    return reply.type(HAL).send(views.lead(lead, withsOf(req.query)));
  });

  /**
   * Notes of an entity type, or of one entity (`/leads/{id}/notes`), oldest first: `filter[entity_id]`, `filter[id]`,
   * `filter[note_type]` (one or several), `filter[updated_at]` (a timestamp or `[from]`/`[to]`); 204 when none match.
   */
  const listNotes = (entity: SimNote['entity_type']) => async (req: Req, reply: FastifyReply) => {
    const pathId = req.params.id === undefined ? undefined : entityId(req, reply);
    if (req.params.id !== undefined && pathId === undefined) return reply;
    const f = filterOf(req.query);
    const entityIds = new Set(pathId === undefined ? numbers(f.entity_id) : [pathId]);
    const ids = new Set(numbers(f.id));
    const types = new Set((Array.isArray(f.note_type) ? f.note_type : f.note_type === undefined ? [] : [f.note_type]).map(String));
    const updated = f.updated_at;
    const range = updated && typeof updated === 'object' ? (updated as Query) : { from: updated, to: updated };
    const [from, to] = [range.from, range.to].map((v) => (v === undefined ? undefined : Number(v)));
    const notes = store.notes.filter(
      (n) =>
        n.entity_type === entity &&
        (!entityIds.size || entityIds.has(n.entity_id)) &&
        (!ids.size || ids.has(n.id)) &&
        (!types.size || types.has(n.note_type)) &&
        (from === undefined || n.created_at >= from) &&
        (to === undefined || n.created_at <= to),
    );
    const path = pathId === undefined ? `${entity}/notes` : `${entity}/${pathId}/notes`;
    return page(req, reply, path, 'notes', notes.map((n) => views.listedNote(n)));
  };
  // Static paths: `/leads/notes` must not reach `/leads/:id`.
  for (const entity of ['leads', 'contacts'] as const) {
    app.get(`/api/v4/${entity}/notes`, listNotes(entity));
    app.get(`/api/v4/${entity}/:id/notes`, listNotes(entity));
  }

  app.get('/api/v4/contacts', async (req: Req, reply) => {
    const ids = new Set(numbers(filterOf(req.query).id));
    const query = req.query.query === undefined ? undefined : String(req.query.query);
    const found = query === undefined ? [...store.contacts.values()] : store.searchContacts(query);
    const withs = withsOf(req.query);
    const contacts = found.filter((c) => !ids.size || ids.has(c.id)).sort((a, b) => a.id - b.id);
    return page(req, reply, 'contacts', 'contacts', contacts.map((c) => views.contact(c, withs)));
  });

  app.get('/api/v4/contacts/:id', async (req: Req, reply) => {
    const id = entityId(req, reply);
    if (id === undefined) return reply;
    const contact = store.contacts.get(id);
    if (!contact) return sendProblem(reply, 404, problem(404, 'Not found'));
    return reply.type(HAL).send(views.contact(contact, withsOf(req.query)));
  });

  app.get('/api/v4/companies', async (req: Req, reply) => {
    const ids = new Set(numbers(filterOf(req.query).id));
    const companies = [...store.companies.values()].filter((c) => !ids.size || ids.has(c.id)).sort((a, b) => a.id - b.id);
    return page(req, reply, 'companies', 'companies', companies.map((c) => views.company(c)));
  });

  app.get('/api/v4/companies/:id', async (req: Req, reply) => {
    const id = entityId(req, reply);
    if (id === undefined) return reply;
    const company = store.companies.get(id);
    if (!company) return sendProblem(reply, 404, problem(404, 'Not found'));
    return reply.type(HAL).send(views.company(company));
  });
}
