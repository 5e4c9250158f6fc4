import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { FieldError, problem, sendProblem, validationFailed } from './kommo-problems';
import { KommoStore, nowSeconds, SimNote } from './kommo-store';
import type { KommoViews } from './kommo-views';

/** Notes, contact tags and webhook subscriptions: the writes the service makes. */

type Item = Record<string, unknown>;
type Req = FastifyRequest<{ Params: { entity: string; id?: string }; Body: unknown; Querystring: Record<string, unknown> }>;

const HAL = 'application/hal+json';
const MAX_BATCH = 250;
const NOTE_TYPES = new Set([
  'common', 'call_in', 'call_out', 'service_message', 'extended_service_message', 'message_cashier',
  'geolocation', 'sms_in', 'sms_out', 'attachment',
]);
const NOTE_ENTITIES = new Set(['leads', 'contacts', 'companies']);

const isObject = (v: unknown): v is Item => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Kommo validates a whole batch and rejects it with per-item errors keyed by request_id. */
function rejectBatch(reply: FastifyReply, errors: { requestId: string; errors: FieldError[] }[]): FastifyReply {
  return sendProblem(reply, 400, validationFailed(errors));
}

function batchOf(body: unknown, reply: FastifyReply): Item[] | undefined {
  if (!Array.isArray(body)) {
    const errors = [{ code: 'InvalidType', path: '', detail: 'This value should be of type array.' }];
    rejectBatch(reply, [{ requestId: '0', errors }]);
    return undefined;
  }
  if (!body.length || body.length > MAX_BATCH) {
    const detail = `This collection should contain between 1 and ${MAX_BATCH} elements.`;
    rejectBatch(reply, [{ requestId: '0', errors: [{ code: 'Count', path: '', detail }] }]);
    return undefined;
  }
  return body.map((item) => (isObject(item) ? item : {}));
}

export function registerWriteRoutes(app: FastifyInstance, store: KommoStore, views: KommoViews): void {
  const exists = (entity: string, id: number) =>
    entity === 'leads' ? store.leads.has(id) : entity === 'contacts' ? store.contacts.has(id) : store.companies.has(id);

  const addNotes = async (req: Req, reply: FastifyReply) => {
    const entity = req.params.entity;
    if (!NOTE_ENTITIES.has(entity)) return sendProblem(reply, 404, problem(404, 'Not found'));
    const items = batchOf(req.body, reply);
    if (!items) return reply;
    const pathId = req.params.id === undefined ? undefined : Number(req.params.id);
    const requestIds = items.map((item, i) => String(item.request_id ?? i));
    const errors = items.map((item, i) => {
      const problems: FieldError[] = [];
      const entityId = pathId ?? item.entity_id;
      if (typeof entityId !== 'number' || !Number.isSafeInteger(entityId) || entityId <= 0) {
        problems.push({ code: 'NotBlank', path: 'entity_id', detail: 'This value should not be blank.' });
      } else if (!exists(entity, entityId)) {
        problems.push({ code: 'NotFound', path: 'entity_id', detail: 'Entity not found' });
      }
      if (typeof item.note_type !== 'string' || !NOTE_TYPES.has(item.note_type)) {
        problems.push({ code: 'NotSupportedChoice', path: 'note_type', detail: 'The value you selected is not a valid choice.' });
      }
      const params = isObject(item.params) ? item.params : {};
      if (item.note_type === 'common' && (typeof params.text !== 'string' || !params.text.trim())) {
        problems.push({ code: 'NotBlank', path: 'params.text', detail: 'This value should not be blank.' });
      }
      return { requestId: requestIds[i], errors: problems };
    });
    if (errors.some((e) => e.errors.length)) return rejectBatch(reply, errors.filter((e) => e.errors.length));
    const created = items.map((item): SimNote => {
      const params = isObject(item.params) ? item.params : {};
      const text = typeof params.text === 'string' ? params.text : '';
      const note: SimNote = {
        id: store.id(),
        entity_type: entity as SimNote['entity_type'],
        entity_id: (pathId ?? item.entity_id) as number,
        note_type: item.note_type as string,
        text,
        params: { ...params, text },
        created_at: nowSeconds(),
      };
      store.notes.push(note);
      return note;
    });
    const notes = created.map((n, i) => views.note(n, requestIds[i]));
    return reply.type(HAL).send({ _links: views.links(`${entity}/notes`), _embedded: { notes } });
  };
  app.post('/api/v4/:entity/notes', addNotes);
  app.post('/api/v4/:entity/:id/notes', addNotes);

  const tagNames = (v: unknown): string[] =>
    (Array.isArray(v) ? v : []).filter(isObject).map((t) => String(t.name ?? '')).filter(Boolean);

  const patchContacts = (items: Item[], reply: FastifyReply) => {
    const errors = items
      .map((item, i) => ({ requestId: String(item.request_id ?? i), id: item.id }))
      .filter((x) => typeof x.id !== 'number' || !store.contacts.has(x.id))
      .map((x) => ({ requestId: x.requestId, errors: [{ code: 'NotFound', path: 'id', detail: 'Entity not found' }] }));
    if (errors.length) {
      rejectBatch(reply, errors);
      return undefined;
    }
    return items.map((item, i) => {
      const contact = store.contacts.get(item.id as number)!;
      for (const key of ['name', 'first_name', 'last_name'] as const) if (typeof item[key] === 'string') contact[key] = item[key];
      store.addTags(contact.id, tagNames(item.tags_to_add), tagNames(item.tags_to_delete));
      const { id, updated_at } = contact;
      return { id, updated_at, request_id: String(item.request_id ?? i), _links: views.links(`contacts/${id}`) };
    });
  };
  app.patch('/api/v4/contacts', async (req: Req, reply) => {
    const items = batchOf(req.body, reply);
    const updated = items && patchContacts(items, reply);
    if (!updated) return reply;
    return reply.type(HAL).send({ _links: views.links('contacts'), _embedded: { contacts: updated } });
  });
  app.patch('/api/v4/contacts/:id', async (req: Req, reply) => {
    const body = isObject(req.body) ? req.body : {};
    const updated = patchContacts([{ ...body, id: Number(req.params.id) }], reply);
    if (!updated) return reply;
    const { id, updated_at, _links } = updated[0];
    return reply.type(HAL).send({ id, updated_at, _links });
  });

  app.get('/api/v4/webhooks', async (req: Req, reply) => {
    const filter = (req.query.filter ?? {}) as Record<string, unknown>;
    const hooks = store.webhooks.filter((w) => filter.destination === undefined || w.destination === filter.destination);
    if (!hooks.length) return reply.code(204).send();
    const webhooks = hooks.map((w) => views.webhook(w));
    return reply.type(HAL).send({ _total_items: hooks.length, _links: views.links('webhooks'), _embedded: { webhooks } });
  });
  app.post('/api/v4/webhooks', async (req: Req, reply) => {
    const body = isObject(req.body) ? req.body : {};
    const settings = Array.isArray(body.settings) ? body.settings.map(String) : [];
    if (typeof body.destination !== 'string' || !/^https?:\/\//.test(body.destination) || !settings.length) {
      const errors = [{ code: 'InvalidValue', path: 'destination', detail: 'This value is not valid.' }];
      return rejectBatch(reply, [{ requestId: '0', errors }]);
    }
    // Posting a known destination again updates that hook: Kommo keys webhooks by destination, not id.
    let hook = store.webhooks.find((w) => w.destination === body.destination);
    if (!hook) {
      hook = { id: store.id(), destination: body.destination, settings, sort: 10, disabled: false, created_at: nowSeconds(), updated_at: 0 };
      store.webhooks.push(hook);
    }
    const sort = typeof body.sort === 'number' ? body.sort : hook.sort;
    Object.assign(hook, { settings, sort, disabled: false, updated_at: nowSeconds() });
    return reply.code(201).type(HAL).send(views.webhook(hook));
  });
  app.delete('/api/v4/webhooks', async (req: Req, reply) => {
    const destination = isObject(req.body) ? req.body.destination : undefined;
    const at = store.webhooks.findIndex((w) => w.destination === destination);
    if (at < 0) return sendProblem(reply, 404, problem(404, 'Not found'));
    store.webhooks.splice(at, 1);
    return reply.code(204).send();
  });
}
