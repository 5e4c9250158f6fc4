import {
  FAILED_USER_LISTS,
  type FailedList,
  type Fields,
  type IterableSimState,
  type Reply,
  PROJECT_ID,
  fail,
  identify,
  isReply,
  itemFailure,
  newId,
  ok,
  typeMismatch,
} from './iterable-sim-state';

/** Endpoint behaviour. Bodies arrive already checked against the Swagger spec, so shapes can be trusted. */
export interface SimRequest {
  body: any;
  query: Record<string, string | undefined>;
  params: Record<string, string | undefined>;
}
export type Handler = (s: IterableSimState, req: SimRequest) => Reply;

/** Real Iterable's ceiling is unstated; 1000 per call is what every known client treats as safe. */
const MAX_BATCH = 1000;
const MAX_BYTES = 4 * 1024 * 1024;

interface Item {
  email?: string;
  userId?: string;
  dataFields?: Fields;
}

function tooLarge(items: unknown[]): Reply | undefined {
  if (items.length > MAX_BATCH) return fail(400, 'BatchTooLarge', `Batch of ${items.length} exceeds the maximum of ${MAX_BATCH}`);
  if (Buffer.byteLength(JSON.stringify(items)) > MAX_BYTES) return fail(400, 'BatchTooLarge', 'Request body exceeds 4MB');
  return undefined;
}

/** A type mismatch in any item fails the whole batch (BLK then retries items one by one). */
function batchMismatch(fields: IterableSimState['userFields'], items: Item[], ns: (i: Item) => string = () => ''): Reply | undefined {
  const scratch = fields.clone();
  const errors = {};
  for (const item of items) {
    const found = scratch.mismatches(item.dataFields, ns(item));
    if (Object.keys(found).length) Object.assign(errors, found);
    else scratch.record(item.dataFields, ns(item));
  }
  return typeMismatch(errors);
}

function bulkBody(lists: readonly FailedList[]) {
  const failedUpdates = Object.fromEntries(lists.map((l) => [l, [] as string[]])) as Record<FailedList, string[]>;
  return { successCount: 0, failCount: 0, createdFields: [] as string[], filteredOutFields: [] as string[], failedUpdates };
}

function finish<T extends ReturnType<typeof bulkBody>>(res: T): Reply {
  const f = res.failedUpdates;
  res.failCount = Object.values(f).reduce((n, l) => n + l.length, 0);
  res.createdFields = [...new Set(res.createdFields)];
  // Deprecated top-level copies that real responses still carry.
  return ok({ ...res, invalidEmails: f.invalidEmails ?? [], invalidUserIds: f.invalidUserIds ?? [] });
}

const updateUser: Handler = (s, { body }) => {
  const who = identify(s, body);
  if (isReply(who)) return who;
  if (s.isForgotten(who)) return fail(409, 'ForgottenUserError', `Contact is GDPR forgotten: ${body.email ?? body.userId}`);
  const mismatch = typeMismatch(s.userFields.mismatches(body.dataFields));
  if (mismatch) return mismatch;
  s.userFields.record(body.dataFields);
  s.upsertUser(who.email!, body.dataFields, { userId: body.userId, mergeNested: body.mergeNestedObjects });
  return ok();
};

const bulkUpdate: Handler = (s, { body }) => {
  const users = body.users as Item[];
  const rejected = tooLarge(users) ?? batchMismatch(s.userFields, users);
  if (rejected) return rejected;
  const res = bulkBody(FAILED_USER_LISTS);
  for (const u of users) {
    const why = itemFailure(s, u, false);
    if (why) res.failedUpdates[why].push(u.email ?? u.userId ?? '');
    else {
      res.createdFields.push(...s.userFields.record(u.dataFields));
      const email = u.email?.toLowerCase() ?? s.byUserId(u.userId!)!.email;
      s.upsertUser(email, u.dataFields, { userId: u.userId, mergeNested: (u as { mergeNestedObjects?: boolean }).mergeNestedObjects });
      res.successCount++;
    }
  }
  return finish(res);
};

function storeEvent(s: IterableSimState, b: any, email: string | undefined): string {
  const id: string = b.id ?? newId();
  const writes = (s.events.get(id)?.writes ?? 0) + 1;
  const createdAt = b.createdAt ?? Math.floor(Date.now() / 1000);
  const { eventName, userId, dataFields = {}, campaignId, templateId } = b;
  s.events.set(id, { id, eventName, email, userId, createdAt, dataFields, campaignId, templateId, writes });
  return id;
}

const track: Handler = (s, { body }) => {
  const who = identify(s, body);
  if (isReply(who)) return who;
  if (s.isForgotten(who)) return fail(400, 'ForgottenUserError', `Contact is GDPR forgotten: ${body.email ?? body.userId}`);
  const ns = `${body.eventName}:`;
  const mismatch = typeMismatch(s.eventFields.mismatches(body.dataFields, ns));
  if (mismatch) return mismatch;
  s.eventFields.record(body.dataFields, ns);
  const id = storeEvent(s, body, who.email);
  return ok({ msg: `Event with id: ${id} tracked.`, code: 'Success', params: { id } });
};

const TRACK_LISTS = ['forgottenEmails', 'forgottenUserIds', 'invalidEmails', 'invalidUserIds', 'notFoundEmails', 'notFoundUserIds'] as const;

const trackBulk: Handler = (s, { body }) => {
  const events = body.events as (Item & { eventName: string })[];
  const rejected = tooLarge(events) ?? batchMismatch(s.eventFields, events, (e) => `${(e as { eventName: string }).eventName}:`);
  if (rejected) return rejected;
  const res = bulkBody(TRACK_LISTS);
  for (const e of events) {
    // Unlike events/track, trackBulk drops events of users it does not know.
    const why = itemFailure(s, e, true) as (typeof TRACK_LISTS)[number] | undefined;
    if (why) res.failedUpdates[why].push(e.email ?? e.userId ?? '');
    else {
      res.createdFields.push(...s.eventFields.record(e.dataFields, `${e.eventName}:`));
      storeEvent(s, e, e.email?.toLowerCase() ?? s.byUserId(e.userId!)!.email);
      res.successCount++;
    }
  }
  return finish({ ...res, disallowedEventNames: [] as string[] });
};

const triggerWorkflow: Handler = (s, { body }) => {
  let who: { email?: string; userId?: string } = {};
  if (body.email !== undefined || body.userId !== undefined || body.listId === undefined) {
    const found = identify(s, body);
    if (isReply(found)) return found;
    if (s.isForgotten(found)) return fail(400, 'ForgottenUserError', `Contact is GDPR forgotten: ${body.email ?? body.userId}`);
    who = found;
  }
  const { workflowId, listId, dataFields } = body;
  s.triggers.push({ workflowId, ...who, listId, dataFields, at: Date.now() });
  return ok();
};

const subscribe: Handler = (s, { body }) => {
  const listId = body.listId as number;
  // Real Iterable answers an unknown list with HTTP 400 whose code claims "Success".
  if (!s.lists.has(listId)) return fail(400, 'Success', `error.lists.invalidListId(${listId})`, { projectId: PROJECT_ID, listId });
  const subscribers = body.subscribers as Item[];
  const rejected = tooLarge(subscribers) ?? batchMismatch(s.userFields, subscribers);
  if (rejected) return rejected;
  const res = bulkBody(FAILED_USER_LISTS);
  const members = s.subscriptions.get(listId) ?? new Set<string>();
  s.subscriptions.set(listId, members);
  for (const u of subscribers) {
    const why = itemFailure(s, u, body.updateExistingUsersOnly === true);
    if (why) res.failedUpdates[why].push(u.email ?? u.userId ?? '');
    else {
      const email = u.email?.toLowerCase() ?? s.byUserId(u.userId!)!.email;
      res.createdFields.push(...s.userFields.record(u.dataFields));
      s.upsertUser(email, u.dataFields, { userId: u.userId });
      members.add(email);
      res.successCount++;
    }
  }
  return finish(res);
};

const forget: Handler = (s, { body }) => {
  if (body.email === undefined && body.userId === undefined) return fail(400, 'BadParams', 'Either email or userId must be provided');
  const email = body.email?.toLowerCase() ?? s.byUserId(body.userId)?.email;
  if (email) {
    s.forgotten.add(email);
    s.deleteUser(email);
  }
  if (body.userId !== undefined) s.forgotten.add(`id:${body.userId}`);
  return ok({ msg: 'User has been forgotten', code: 'Success', params: null });
};

const deleteUser: Handler = (s, { params }) => {
  const email = (params.email ?? '').toLowerCase();
  if (!s.users.has(email)) return fail(400, 'BadParams', `User does not exist. Email: ${params.email} UserId: `);
  s.deleteUser(email);
  return ok({ msg: `All users associated with ${params.email} were successfully deleted`, code: 'Success', params: null });
};

const getUser: Handler = (s, { query, params }) => {
  const user = s.users.get((query.email ?? params.email ?? '').toLowerCase());
  // Iterable answers an unknown user with 200 and an empty object.
  return ok(user ? { user: { ...user, dataFields: { ...user.dataFields } } } : {});
};

const getFields: Handler = (s) => ok({ fields: s.userFields.toObject() });

/** Swagger path (under /api) → handler. Fastify's `:email` stands for Swagger's `{email}`. */
export const ROUTES: { method: 'GET' | 'POST' | 'DELETE'; path: string; handler: Handler }[] = [
  { method: 'POST', path: 'users/update', handler: updateUser },
  { method: 'POST', path: 'users/bulkUpdate', handler: bulkUpdate },
  { method: 'POST', path: 'events/track', handler: track },
  { method: 'POST', path: 'events/trackBulk', handler: trackBulk },
  { method: 'POST', path: 'workflows/triggerWorkflow', handler: triggerWorkflow },
  { method: 'POST', path: 'lists/subscribe', handler: subscribe },
  { method: 'POST', path: 'users/forget', handler: forget },
  { method: 'GET', path: 'users/getFields', handler: getFields },
  { method: 'GET', path: 'users/getByEmail', handler: getUser },
  { method: 'GET', path: 'users/{email}', handler: getUser },
  { method: 'DELETE', path: 'users/{email}', handler: deleteUser },
];
